/*
 * TCP (RFC 9293) internals, shared by tcp_codec.c (segment parse/build),
 * tcp.c (control blocks, tables, ISN, user calls), tcp_input.c (segment
 * arrival, RFC 9293 3.10.7), tcp_output.c (segment transmission), tcp_timer.c
 * (retransmission, delayed ACK, TIME-WAIT, keepalive) and tcp_cc.c
 * (congestion control behind struct tcp_cc_ops).
 *
 * Ownership. A connection is a struct tcb; a user's stream socket
 * (struct usock, proto IPPROTO_TCP) points to one. The tcb outlives the
 * socket: usagi_close orphans it (tcb->sk = NULL) and the FIN exchange and
 * TIME-WAIT go on without a user. A connection made by a listener has no
 * socket until usagi_accept gives it one. Tcbs are freed only from the
 * reaper (tcp_reap), at the end of each input or timer run, never under a
 * caller's feet.
 *
 * Addresses are IPv4-mapped for IPv4, as everywhere in l4/ (sock.h).
 */
#ifndef USAGI_L4_TCP_H
#define USAGI_L4_TCP_H

#include "core/stack.h"
#include "proto/tcp.h"

struct usock;

enum tcp_cstate {
	TCPS_CLOSED, TCPS_LISTEN, TCPS_SYN_SENT, TCPS_SYN_RECEIVED, TCPS_ESTABLISHED,
	TCPS_FIN_WAIT_1, TCPS_FIN_WAIT_2, TCPS_CLOSE_WAIT, TCPS_CLOSING, TCPS_LAST_ACK,
	TCPS_TIME_WAIT,
};
const char *tcp_state_name(enum tcp_cstate s);

/* RFC 9293 3.4: sequence numbers compare modulo 2^32. */
#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b) SEQ_LT(b, a)
#define SEQ_GEQ(a, b) SEQ_LEQ(b, a)

/* Options of one segment, as parsed or to be built. */
#define TCP_MAX_SACK 4
struct tcp_sack_block {
	uint32_t left, right;
};
struct tcp_opts {
	bool mss_ok, ws_ok, ts_ok, sack_perm;
	uint16_t mss;
	uint8_t wscale;
	uint32_t tsval, tsecr;
	uint8_t nsack;
	struct tcp_sack_block sack[TCP_MAX_SACK];
};

/* A parsed segment (tcp_parse). */
struct tcp_seg {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;            /* as on the wire, unscaled */
	uint16_t hlen;
	uint32_t len;            /* payload octets */
	struct tcp_opts o;
};

/* tcp_codec.c */
/*
 * Checks the header at @p's data (length, data offset) and parses its
 * options (RFC 9293 3.2; unknown kinds skipped, overruns refused). Does not
 * pull. 0 or -EINVAL after counting the reason.
 */
int tcp_parse(struct stack *st, const struct pkt *p, struct tcp_seg *seg);
/* Options alone (@len octets at @b); 0 or -EINVAL (counted if @st). */
int tcp_parse_opts(struct stack *st, const uint8_t *b, size_t len, struct tcp_opts *o, bool syn);
/* Octets tcp_build_opts writes for @o (a multiple of 4, at most 40). */
size_t tcp_opts_len(const struct tcp_opts *o, bool syn);
/* Writes @o at @b (tcp_opts_len octets, NOP padded); returns that length. */
size_t tcp_build_opts(uint8_t *b, const struct tcp_opts *o, bool syn);
/*
 * Pushes a header with @o onto @p (data = payload). The checksum is left 0
 * for ip6_output/ip4_output (csum_off = TCP_CSUM_OFF). 0 or -ENOBUFS.
 */
int tcp_push_hdr(struct pkt *p, const struct tcp_seg *seg);
/* Checksum of the segment at data over the IPv6 (or, for mapped addresses, IPv4) pseudo-header. */
bool tcp_csum_ok(const struct in6_addr *src, const struct in6_addr *dst, const struct pkt *p);
/*
 * RFC 2883 4: true if the first SACK block of @seg (an ACK) is a D-SACK, a
 * duplicate the peer received: below SEG.ACK or inside the second block.
 */
bool tcp_sack_is_dsack(const struct tcp_seg *seg);

/* tcp_cc.c: congestion control (RFC 5681), one ops table per algorithm. */
struct tcb;
struct tcp_cc_ops {
	const char *name;
	void (*init)(struct tcb *t);
	/* New ssthresh after a loss (fast retransmit or RTO). */
	uint32_t (*ssthresh)(struct tcb *t);
	/* @acked new octets acknowledged outside recovery: grow cwnd. */
	void (*cong_avoid)(struct tcb *t, uint32_t acked);
};
extern const struct tcp_cc_ops tcp_newreno, tcp_cubic;
/*
 * The initial congestion window (octets) for @t's SMSS under
 * tcp_state.initial_window: RFC 5681 3.1 (0) or RFC 6928 2 (N segments).
 */
uint32_t tcp_initial_cwnd(const struct tcb *t);
/* The largest tcp_state.initial_window (segments) sysctl accepts. */
#define TCP_IW_MAX 64
/* The algorithm named @name ("newreno", "reno", "cubic"), or NULL. */
const struct tcp_cc_ops *tcp_cc_find(const char *name);
/* tcp_hystart.c: HyStart++ (RFC 9406). */
#define TCP_HS_MIN_RTT_THRESH (4 * NS_PER_MS)
#define TCP_HS_MAX_RTT_THRESH (16 * NS_PER_MS)
#define TCP_HS_MIN_RTT_DIVISOR 8
#define TCP_HS_N_RTT_SAMPLE 8
#define TCP_HS_CSS_GROWTH_DIVISOR 4
#define TCP_HS_CSS_ROUNDS 5
#define TCP_HS_L 8                 /* segments per ACK at most: no pacing */
/* Starts HyStart++ for a new connection's slow start (unless tcp_state.hystart_off). */
void tcp_hystart_init(struct tcb *t);
/* Notes the RTT sample (ns) of the ACK being processed. */
void tcp_hystart_rtt(struct tcb *t, uint64_t rtt);
/* A loss (fast retransmit or RTO): HyStart++ is over for this connection (RFC 9406 4.2, 4.3). */
void tcp_hystart_stop(struct tcb *t);
/*
 * Slow start under HyStart++ for an ACK of @acked new octets (cwnd <
 * ssthresh, t->hs.on): grows cwnd by min(acked, L SMSS), or a quarter of
 * that in CSS; tracks rounds and their least RTT; moves to CSS when the
 * RTT rose by RttThresh, back to slow start if CSS was spurious, and to
 * congestion avoidance (ssthresh = cwnd) after CSS_ROUNDS rounds.
 */
void tcp_hystart_ack(struct tcb *t, uint32_t acked);
/* RttThresh (RFC 9406 4.2) for the last round's least RTT @last_min (ns). */
uint64_t tcp_hystart_thresh(uint64_t last_min);

/*
 * Congestion window validation (tcp_cc.c; RFC 5681 3.1, RFC 7661, RFC
 * 9438 5.8). cwnd grows only while the sender uses it: in congestion
 * avoidance the flight of this period (one RTT, tcp_output.c) or just
 * before this ACK of @acked octets came within an SMSS of cwnd and
 * pipeACK is not below cwnd / 2 (RFC 7661 4.3); in slow start the
 * flight reached at least half of cwnd. True if cwnd may grow now.
 */
bool tcp_cwnd_limited(const struct tcb *t, uint32_t acked);
/* RFC 7661 4.1-4.2: an ACK of @acked new octets; pipeACK samples, phase, NVP end (4.4). */
void tcp_cwv_ack(struct tcb *t, uint32_t acked);
/* RFC 7661 4.2: pipeACK is below cwnd / 2 (the non-validated phase). */
bool tcp_cwv_nonvalidated(const struct tcb *t);
/* RFC 7661 4.2, 4.4: enters or leaves the non-validated phase; reduces cwnd at the NVP's end. */
void tcp_cwv_phase(struct tcb *t);
/* RFC 7661 4.4: the non-validated period: 5 minutes. */
#define TCP_CWV_NVP (300 * NS_PER_SEC)
/* RFC 7661 4.1: the pipeACK sampling period is at least this long (and at least 3 RTT). */
#define TCP_CWV_PSP_MIN NS_PER_SEC

/* tcp_cubic.c: W_cubic(t) = C (t - K)^3 + W_max (RFC 9438 4.2), segments and seconds. */
double tcp_cubic_w(double w_max, double k, double t);

/*
 * Scoreboard blocks: a burst of losses leaves one hole per lost segment,
 * and blocks the board forgets count as in flight in RFC 6675's pipe. The
 * board is allocated when the first SACK arrives and grows up to
 * tcp_sack_cap() blocks: TCP_SACK_BOARD, or as many as the send buffer can
 * hold holes (one per two full segments) if that is more.
 */
#define TCP_SACK_BOARD 128

/*
 * RFC 9406 HyStart++ in a connection's initial slow start (tcp_hystart.c):
 * rounds of one window each, the least RTT of this round and the last,
 * and Conservative Slow Start (CSS) once the RTT has grown.
 */
struct tcp_hystart {
	bool on;                   /* running: initial slow start, no loss yet */
	bool css;                  /* in CSS */
	bool round_set;            /* window_end is valid */
	uint8_t css_rounds;        /* rounds ended in CSS */
	uint32_t window_end;       /* a round ends when SND.UNA reaches it (SND.NXT at its start) */
	uint32_t samples;          /* rttSampleCount */
	uint64_t last_min, cur_min; /* lastRoundMinRTT, currentRoundMinRTT (ns, UINT64_MAX = none) */
	uint64_t css_baseline;     /* cssBaselineMinRtt */
	uint64_t sample;           /* RTT sample of the ACK being processed (0: none) */
};

/*
 * Congestion window validation state (tcp_output.c notes what is sent,
 * tcp_cc.c what is acknowledged).
 */
struct tcp_cwv {
	bool set;                  /* a period runs: seq is valid */
	bool limited;              /* the flight came within an SMSS of cwnd in this period */
	uint32_t seq;              /* the period (about an RTT) ends when SND.UNA passes it */
	uint32_t max_flight;       /* the largest flight sent in this period */
	uint64_t last_send;        /* when data last left (RFC 5681 4.1 restart after idle; 0: never) */
	/* RFC 7661 4.1 pipeACK: octets acknowledged per RTT, the largest over the sampling period. */
	bool pipeack_set;          /* pipeACK is defined */
	uint32_t pipeack;          /* the largest sample of the previous sampling period */
	uint32_t pipeack_cur;      /* the largest sample of this one */
	uint32_t sample_acked;     /* octets acknowledged since sample_start */
	uint64_t sample_start, psp_start; /* ns; 0: not started */
	uint64_t nvp_start;        /* ns the non-validated phase began (0: validated) */
};

/* A byte ring: the send buffer (from SND.UNA) and the receive buffer (to RCV.NXT). */
struct tcp_ring {
	uint8_t *buf;
	uint32_t size, head, len;
};

struct tcb {
	struct dlist all;          /* tcp_state.all */
	struct dlist bnode;        /* tcp_state.bhash[lport], while bound */
	struct dlist enode;        /* tcp_state.ehash[4-tuple], once it has a peer */
	struct dlist qnode;        /* listener's children (syn or accept queue) */
	struct stack *st;
	struct usock *sk;          /* NULL: orphaned, or not accepted yet */
	struct tcb *listener;      /* children until accepted */
	struct dlist children;     /* listener: every child not accepted yet */
	unsigned backlog, nchildren;
	uint64_t cookie_until;     /* listener: its cookies may come back until then (0: none sent) */

	enum tcp_cstate state;
	struct in6_addr laddr, faddr;
	uint16_t lport, fport;
	int ifindex;               /* scope of link-local peers, bound interface */
	bool bhashed, ehashed, dead, user_closed, v6only, bound_user;

	/* Send sequence space (RFC 9293 3.3.1). */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, max_snd_wnd, snd_wl1, snd_wl2;
	uint8_t snd_wscale, rcv_wscale;
	uint16_t mss;              /* segment payload we send (peer's MSS, our path) */
	uint16_t adv_mss;          /* what we announced */
	/* Receive sequence space. */
	uint32_t irs, rcv_nxt, rcv_adv;
	/* Negotiated options. */
	bool ts_on, sack_on;
	uint32_t ts_recent, ts_off;
	uint32_t last_ack_sent;

	struct tcp_ring snd, rcv;  /* snd: unacknowledged and unsent data from snd_ring_seq */
	uint32_t snd_ring_seq;     /* sequence number of the first octet in snd */
	bool fin_pending;          /* user shut down writing: FIN after the data */
	bool fin_rcvd;             /* rcv_nxt is past the peer's FIN */
	bool rd_shut;
	struct pkt *ooo;           /* out-of-order segments, sorted, trimmed, data = payload */
	unsigned ooo_count;
	struct tcp_sack_block last_ooo; /* RFC 2018 4: the block reported first */
	struct tcp_sack_block dsack;    /* RFC 2883: a duplicate, reported first in the next ACK */
	bool dsack_pending;

	/* RFC 6298 */
	uint64_t srtt, rttvar, rto;
	unsigned backoff, retries;
	bool rtt_timing;
	uint32_t rtt_seq;
	uint64_t rtt_start;

	/* Congestion control (RFC 5681, RFC 6582). */
	const struct tcp_cc_ops *cc;
	uint32_t cwnd, ssthresh, recover, bytes_acked;
	unsigned dupacks;
	bool in_recovery;
	uint64_t cc_priv[8];       /* the algorithm's own state (tcp_cubic.c) */
	struct tcp_hystart hs;     /* RFC 9406, for either algorithm's slow start */
	struct tcp_cwv cwv;        /* RFC 7661 / RFC 5681 4.1 congestion window validation */
	struct tcp_sack_block *sacked; /* tcp_sack.c: peer's SACKs above SND.UNA (heap, sack_cap) */
	uint16_t nsacked, sack_cap;
	uint32_t high_rxt;         /* RFC 6675 HighRxt: retransmitted up to here in this recovery */
	uint32_t rxt_mark;         /* HighData when this recovery's latest retransmission left */
	uint32_t rescue_rxt;       /* RFC 6675 RescueRxt, valid if rescue_set */
	bool rescue_set;

	unsigned ack_pending;      /* full segments received since our last ACK */
	bool nodelay;
	int err;                   /* -errno to report once (ECONNRESET, ECONNREFUSED, ETIMEDOUT) */
	bool eof_reported;
	struct timer rtx_timer, delack_timer, tw_timer, keep_timer;
	uint64_t last_rcv;         /* for keepalives */
	unsigned probes;
	bool keepalive;
	bool persist;              /* rtx_timer is the persist timer (zero window, RFC 9293 3.8.6.1) */
	bool passive;              /* made by a listener */
	uint16_t user_mss;         /* TCP_MAXSEG, 0 = none */
};

#define TCP_HASH_BITS 8
#define TCP_HASH_SIZE (1u << TCP_HASH_BITS)
struct tcp_state {
	struct dlist all;
	struct dlist bhash[TCP_HASH_SIZE];    /* by local port */
	struct dlist ehash[TCP_HASH_SIZE];    /* by 4-tuple */
	struct siphash_key isn_key;           /* RFC 6528 F()'s secret */
	struct siphash_key cookie_key;        /* tcp_cookie.c */
	bool syncookies;           /* answer SYNs with cookies when a listen queue is full */
	/* Tunables (tests shorten them). */
	uint64_t msl_ns;           /* TIME-WAIT lasts 2 * msl_ns */
	uint64_t rto_min_ns, rto_max_ns, rto_init_ns;
	uint64_t delack_ns;
	uint64_t keepidle_ns, keepintvl_ns;
	unsigned keepcnt, syn_retries, data_retries;
	uint32_t rcvbuf, sndbuf;   /* defaults of new connections */
	const struct tcp_cc_ops *cc_default;
	bool hystart_off;          /* new connections slow-start without HyStart++ (RFC 9406; on by default) */
	/*
	 * Initial window of new connections in segments (sysctl
	 * net.ipv4.tcp_initial_window): 0 = RFC 5681 3.1's 2-4 SMSS; N = RFC
	 * 6928's rule with N for 10: min(N SMSS, max(2 SMSS, N x 1460)).
	 * An int for cmd_sysctl.c's table.
	 */
	int initial_window;
	/* RFC 5961 7: challenge ACKs per second, all connections together. */
	uint32_t challenge_limit, challenge_count;
	uint64_t challenge_epoch;
	/* RSTs to segments for closed ports: token bucket (core/ratelimit.h); cost 0 = unlimited. */
	uint32_t rst_cost_ms, rst_burst;
	uint64_t rst_tokens, rst_last;
	unsigned depth;            /* > 0 while input or timers run: no reaping */
	bool stopping;             /* stack going away: send nothing */
	struct dlist senders;      /* tcp_service.c: `service tcp-send` contexts */
	struct dlist services;     /* tcp_service.c: `service tcp-echo` / `tcp-discard` listeners */
};

/* tcp.c */
int tcp_init(struct stack *st);
void tcp_fini(struct stack *st);
/* A CLOSED tcb without buffers (tcp_alloc_bufs gives them). */
struct tcb *tcb_new(struct stack *st);
int tcp_alloc_bufs(struct tcb *t, uint32_t rcvbuf, uint32_t sndbuf);
struct dlist *tcp_bbucket(struct stack *st, uint16_t port);
void tcp_set_state(struct tcb *t, enum tcp_cstate s);
/* Ends the connection now: timers off, unhashed, marked for the reaper; tells the user @err. */
void tcp_done(struct tcb *t, int err);
/* Frees dead tcbs unless input or a timer is running. */
void tcp_reap(struct stack *st);
void tcp_ehash(struct tcb *t);
struct tcb *tcp_lookup(struct stack *st, const struct in6_addr *src, uint16_t sport,
		       const struct in6_addr *dst, uint16_t dport, int iif);
uint32_t tcp_isn(struct stack *st, const struct in6_addr *la, uint16_t lp,
		 const struct in6_addr *fa, uint16_t fp);
/* MSS to announce and use towards @t->faddr: path MTU minus IP, TCP (and IPsec) headers. */
uint16_t tcp_path_mss(struct tcb *t);
/* Sequence number of our FIN (valid once fin_pending). */
static inline uint32_t tcp_fin_seq(const struct tcb *t)
{
	return t->snd_ring_seq + t->snd.len;
}
/* True once the peer acknowledged our FIN. */
static inline bool tcp_fin_acked(const struct tcb *t)
{
	return t->fin_pending && t->snd.len == 0 && t->snd_una == t->snd_ring_seq + 1;
}
/* User: no more data to send (FIN after what is queued). */
void tcp_shutdown_wr(struct tcb *t);
/* Runs the owner's readiness callback. */
void tcp_wake(struct tcb *t);
uint32_t tcp_rcv_space(const struct tcb *t);

/* ring helpers (tcp.c) */
int tcp_ring_init(struct tcp_ring *r, uint32_t size);
void tcp_ring_free(struct tcp_ring *r);
uint32_t tcp_ring_write(struct tcp_ring *r, const void *src, uint32_t n);
void tcp_ring_peek(const struct tcp_ring *r, uint32_t off, void *dst, uint32_t n);
void tcp_ring_drop(struct tcp_ring *r, uint32_t n);

/* tcp_output.c */
/* Sends what window, congestion window, Nagle and the FIN allow. */
void tcp_output(struct tcb *t);
/* A bare ACK now (cancels a delayed one). */
void tcp_send_ack(struct tcb *t);
/* ACK later (delayed ACK) or now, by RFC 9293 3.8.6.3 / RFC 1122 4.2.3.2. */
void tcp_ack_soon(struct tcb *t, bool full_segment);
void tcp_send_syn(struct tcb *t);
/* RST for @t's connection (abort). */
void tcp_send_rst(struct tcb *t);
/* Retransmits the segment at SND.UNA (fast retransmit, RTO, partial ACK). */
void tcp_retransmit_one(struct tcb *t);
/* RFC 9293 3.10.7.1: the answer to a segment for no connection (never to a RST). */
void tcp_reply_rst(struct stack *st, const struct pkt *p, const struct tcp_seg *seg,
		   const struct in6_addr *src, const struct in6_addr *dst);
/* Zero-window probe (RFC 9293 3.8.6.1), also the keepalive probe (RFC 1122 4.2.3.6). */
void tcp_send_probe(struct tcb *t);
/*
 * A SYN-ACK whose ISN is @cookie, for @seg (a SYN to a full listener),
 * keeping no state; with timestamps in @seg it also offers window scale
 * (our shift @rcv_wscale) and SACK as @seg did, coded in its TSval.
 */
void tcp_send_cookie_synack(struct stack *st, const struct pkt *p, const struct tcp_seg *seg,
			    const struct in6_addr *src, const struct in6_addr *dst, uint32_t cookie,
			    uint16_t mss, uint8_t rcv_wscale);
/* Lowers the MSS after a Packet Too Big / Fragmentation Needed. */
void tcp_mtu_reduced(struct tcb *t);
/* Challenge ACK (RFC 5961 3.2, 4.2, 5.2), rate-limited per stack. */
void tcp_challenge_ack(struct tcb *t);

/* tcp_cookie.c: SYN cookies (RFC 4987 3.6). */
/* A cookie is good in its 64 s period and the next: at most this long after it was sent. */
#define TCP_COOKIE_LIFE_NS (128 * NS_PER_SEC)
/* The ISN of a stateless SYN-ACK; *used_mss = the largest cookie MSS <= @mss. */
uint32_t tcp_cookie_make(struct stack *st, const struct in6_addr *la, uint16_t lp,
			 const struct in6_addr *fa, uint16_t fp, uint32_t peer_isn, uint16_t mss,
			 uint16_t *used_mss);
/*
 * The TSval of a cookie SYN-ACK at timestamp clock @now: at most @now, its
 * low 6 bits holding the window shift and SACK-permitted of @syn.
 */
uint32_t tcp_cookie_tsval(uint32_t now, const struct tcp_opts *syn);
/*
 * Reads the options back from the TSecr of the cookie ACK (@now: the
 * connection's timestamp clock): sets @o's ws_ok, wscale, sack_perm.
 * 0, or -EINVAL if @tsecr cannot be an echo of a cookie TSval.
 */
int tcp_cookie_ts_decode(uint32_t now, uint32_t tsecr, struct tcp_opts *o);
/* Checks @cookie (our ISN, from SEG.ACK - 1); 0 with the MSS it names, or -EINVAL. */
int tcp_cookie_check(struct stack *st, const struct in6_addr *la, uint16_t lp,
		     const struct in6_addr *fa, uint16_t fp, uint32_t peer_isn, uint32_t cookie,
		     uint16_t *mss);

/* tcp_sack.c: SACK scoreboard and RFC 6675 loss recovery. */
#define TCP_DUPTHRESH 3
/* Prunes the board to above @una (the ACK's new SND.UNA) and adds @seg's blocks. */
void tcp_sack_update(struct tcb *t, const struct tcp_seg *seg, uint32_t una);
/* Empties the board (after a timeout) and resets HighRxt to SND.UNA; frees its memory. */
void tcp_sack_clear(struct tcb *t);
/* The most blocks @t's board may hold (TCP_SACK_BOARD, more for a large send buffer). */
unsigned tcp_sack_cap(const struct tcb *t);
/* SACKed octets above SND.UNA. */
uint32_t tcp_sack_total(const struct tcb *t);
/* SACKed octets in [SND.UNA, @seq). */
uint32_t tcp_sack_below(const struct tcb *t, uint32_t seq);
/* RFC 6675 IsLost(@seq): DupThresh blocks or more than (DupThresh - 1) * MSS SACKed above it. */
bool tcp_sack_is_lost(const struct tcb *t, uint32_t seq);
/* RFC 6675 SetPipe(): the octets estimated in the network. */
uint32_t tcp_sack_pipe(const struct tcb *t);
/* The next hole from max(SND.UNA, HighRxt) below a SACKed block, at most @mss long. */
bool tcp_sack_next_hole(const struct tcb *t, uint32_t *seq, uint32_t *len, uint32_t mss);
/* NextSeg rule 1 (@lost_only: the hole must satisfy IsLost) or rule 3 (any such hole). */
bool tcp_sack_hole(const struct tcb *t, uint32_t mss, bool lost_only, uint32_t *seq, uint32_t *len);
/*
 * NextSeg rule 4: the rescue retransmission of the highest unSACKed
 * segment below min(@data_end, HighData), once per recovery; sets RescueRxt.
 */
bool tcp_sack_rescue(struct tcb *t, uint32_t mss, uint32_t data_end, uint32_t *seq, uint32_t *len);
/*
 * Moves *@seq past any SACKed block it is in; returns the octets from
 * there to the next SACKed block (UINT32_MAX if none).
 */
uint32_t tcp_sack_skip(const struct tcb *t, uint32_t *seq);
/*
 * A retransmission lost again: more than (DupThresh - 1) SMSS sent after
 * the latest retransmission (above rxt_mark) are SACKed while the hole at
 * SND.UNA, retransmitted, is not. Then HighRxt goes back to SND.UNA so
 * NextSeg rule 1 sends the holes still missing again; true if so.
 */
bool tcp_sack_rxt_lost(struct tcb *t);
/* tcp_output.c: retransmits [@seq, @seq + @len) (within the send ring). */
void tcp_retransmit_at(struct tcb *t, uint32_t seq, uint32_t len);
/* RFC 6675 5 (4): enters SACK loss recovery and retransmits the first hole. */
void tcp_sack_enter_recovery(struct tcb *t);

/* tcp_timer.c */
void tcp_timers_init(struct tcb *t);
void tcp_timers_stop(struct tcb *t);
void tcp_rearm_rtx(struct tcb *t);
void tcp_rtt_sample(struct tcb *t, uint64_t rtt_ns);
void tcp_enter_time_wait(struct tcb *t);
void tcp_keep_reset(struct tcb *t);

/* tcp_input.c */
int tcp6_input(struct stack *st, struct pkt *p);
int tcp4_input(struct stack *st, struct pkt *p);
/* ICMP(v6) errors quoting a segment we sent (data = quoted IP header). */
void tcp6_err(struct stack *st, struct pkt *q, uint8_t type, uint8_t code, uint32_t info);
void tcp4_err(struct stack *st, struct pkt *q, uint8_t type, uint8_t code, uint32_t info);
/* Processes @seg (data = payload) for @t: RFC 9293 3.10.7. Consumes @p. */
void tcp_segment(struct tcb *t, struct pkt *p, struct tcp_seg *seg);

/* tcp_sock.c: the socket API for SOCK_STREAM, and the options sockopt.c dispatches here. */
int tcp_opt_nodelay(struct usock *s, const void *val, socklen_t len);
int tcp_opt_maxseg(struct usock *s, const void *val, socklen_t len);
int tcp_opt_keepalive(struct usock *s, const void *val, socklen_t len);
int sock_opt_sndbuf(struct usock *s, const void *val, socklen_t len);
int tcp_opt_congestion(struct usock *s, const void *val, socklen_t len);
int tcp_sock_create(struct usock *s);
void tcp_sock_close(struct usock *s);
int tcp_sock_bind(struct usock *s, const struct sockaddr_in6 *sin, int ifindex);
int tcp_sock_connect(struct usock *s, const struct sockaddr_in6 *sin);
ssize_t tcp_sock_send(struct usock *s, const void *buf, size_t len, int flags);
ssize_t tcp_sock_recv(struct usock *s, void *buf, size_t len, int flags);

#endif
