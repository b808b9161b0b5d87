/*
 * TCP control blocks: their tables, lifetime, initial sequence numbers
 * (RFC 6528), the MSS towards a peer, and the byte rings behind the send
 * and receive buffers. See tcp.h for ownership.
 */
#include <stdio.h>
#include <stdlib.h>
#include "l4/tcp.h"
#include "l4/sock.h"
#include "proto/ip4.h"
#include "proto/ip6.h"
#include "ipv6/route6.h"
#include "ipv4/route4.h"
#include "xfrm/policy.h"
#include "xfrm/xfrm_overhead.h"
#include "mip6/mip6.h"
#include "core/ratelimit.h"
#include "link/netdev.h"

static const char *const state_names[] = {
	"CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
	"FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT",
};

const char *tcp_state_name(enum tcp_cstate s)
{
	return (unsigned)s < ARRAY_SIZE(state_names) ? state_names[s] : "?";
}

/*
 * A secret of its own for each use, derived from the stack's random hash
 * key with SipHash-2-4 as the PRF and @label as input, so that TCP draws
 * nothing from st->rng (what other layers draw stays as it was).
 */
static void derive_key(struct stack *st, const char *label, struct siphash_key *out)
{
	uint64_t w[2];
	char in[24] = { 0 };

	snprintf(in, sizeof(in), "%s-0", label);
	w[0] = siphash24(&st->hkey, in, sizeof(in));
	in[strlen(label) + 1] = '1';
	w[1] = siphash24(&st->hkey, in, sizeof(in));
	_Static_assert(sizeof(w) == sizeof(*out), "siphash key is 128 bits");
	memcpy(out, w, sizeof(w));
}

int tcp_init(struct stack *st)
{
	struct tcp_state *ts = calloc(1, sizeof(*ts));

	if (!ts)
		return -ENOMEM;
	dlist_init(&ts->all);
	dlist_init(&ts->senders);
	dlist_init(&ts->services);
	for (unsigned i = 0; i < TCP_HASH_SIZE; i++) {
		dlist_init(&ts->bhash[i]);
		dlist_init(&ts->ehash[i]);
	}
	derive_key(st, "tcp-isn", &ts->isn_key);
	derive_key(st, "tcp-cookie", &ts->cookie_key);
	ts->syncookies = true;                 /* as Linux's tcp_syncookies=1 */
	ts->msl_ns = 30 * NS_PER_SEC;          /* TIME-WAIT 60 s, as Linux */
	ts->rto_min_ns = 200 * NS_PER_MS;      /* Linux's floor; RFC 6298 2.4 says 1 s (see docs/tcp.md) */
	ts->rto_max_ns = 60 * NS_PER_SEC;      /* RFC 6298 2.5 */
	ts->rto_init_ns = NS_PER_SEC;          /* RFC 6298 2.1 */
	ts->delack_ns = 40 * NS_PER_MS;        /* Linux's delayed-ACK minimum; RFC 9293 3.8.6.3: < 500 ms */
	ts->keepidle_ns = 7200 * NS_PER_SEC;   /* RFC 1122 4.2.3.6: >= 2 hours */
	ts->keepintvl_ns = 75 * NS_PER_SEC;
	ts->keepcnt = 9;
	ts->syn_retries = 6;
	ts->data_retries = 15;
	/*
	 * RFC 5681 3.1's IW (3 SMSS at MSS 1440); 10 (RFC 6928, Linux's) by
	 * sysctl. Not the default yet: see docs/tcp.md "Measured" (a larger IW
	 * shifts the shallow-queue overshoot so an unpaced recovery burst
	 * loses again and cuts cwnd twice).
	 */
	ts->initial_window = 0;
	ts->rcvbuf = 256 * 1024;
	ts->sndbuf = 256 * 1024;
	ts->challenge_limit = 1000;
	/* Closed-port RSTs: 1 per ms on average, bursts of 100 (Linux limits its ICMP errors alike). */
	ts->rst_cost_ms = 1;
	ts->rst_burst = 100;
	ts->rst_tokens = ratelimit_full(ts->rst_cost_ms, ts->rst_burst);
	ts->cc_default = &tcp_newreno;
	st->sk.tcp = ts;
	return 0;
}

static void tcb_free(struct tcb *t)
{
	tcp_timers_stop(t);
	if (t->bhashed)
		dlist_del(&t->bnode);
	if (t->ehashed)
		dlist_del(&t->enode);
	dlist_del(&t->all);
	tcp_ring_free(&t->snd);
	tcp_ring_free(&t->rcv);
	pkt_free_chain(t->ooo);
	free(t->sacked);
	free(t);
}

void tcp_fini(struct stack *st)
{
	struct tcp_state *ts = st->sk.tcp;
	struct dlist *pos, *tmp;

	if (!ts)
		return;
	dlist_for_each_safe(pos, tmp, &ts->all)
		tcb_free(dlist_entry(pos, struct tcb, all));
	/* Their sockets are closed already (sock_fini). */
	dlist_for_each_safe(pos, tmp, &ts->senders) {
		dlist_del(pos);
		free(pos);
	}
	dlist_for_each_safe(pos, tmp, &ts->services) {
		dlist_del(pos);
		free(pos);
	}
	free(ts);
	st->sk.tcp = NULL;
}

struct tcb *tcb_new(struct stack *st)
{
	struct tcb *t = calloc(1, sizeof(*t));

	if (!t) {
		STAT_INC(st, tcp_nomem);
		return NULL;
	}
	t->st = st;
	dlist_init(&t->bnode);
	dlist_init(&t->enode);
	dlist_init(&t->qnode);
	dlist_init(&t->children);
	dlist_add_tail(&st->sk.tcp->all, &t->all);
	t->cc = st->sk.tcp->cc_default;
	t->rto = st->sk.tcp->rto_init_ns;
	t->mss = 536;      /* RFC 9293 3.7.1: the default send MSS (IPv4); IPv6 raises it */
	tcp_timers_init(t);
	return t;
}

void tcp_set_state(struct tcb *t, enum tcp_cstate s)
{
	log_debug(t->st, "tcp %u->%u: %s -> %s", t->lport, t->fport, tcp_state_name(t->state),
		  tcp_state_name(s));
	if (s == TCPS_ESTABLISHED && t->state != TCPS_ESTABLISHED)
		STAT_INC(t->st, tcp_established);
	t->state = s;
}

void tcp_wake(struct tcb *t)
{
	if (t->sk && t->sk->cb)
		t->sk->cb(t->sk, t->sk->cb_ctx);
}

/* A child that dies before accept leaves its listener's queue. */
static void child_unlink(struct tcb *t)
{
	if (t->listener) {
		dlist_del(&t->qnode);
		dlist_init(&t->qnode);
		t->listener->nchildren--;
		t->listener = NULL;
	}
}

void tcp_done(struct tcb *t, int err)
{
	struct dlist *pos, *tmp;

	if (t->dead)
		return;
	tcp_timers_stop(t);
	t->state = TCPS_CLOSED;
	t->dead = true;
	if (t->ehashed) {
		dlist_del(&t->enode);
		t->ehashed = false;
	}
	if (t->bhashed) {
		dlist_del(&t->bnode);
		t->bhashed = false;
	}
	child_unlink(t);
	/* A listener going away resets the children nobody accepted. */
	dlist_for_each_safe(pos, tmp, &t->children) {
		struct tcb *c = dlist_entry(pos, struct tcb, qnode);

		tcp_send_rst(c);
		tcp_done(c, 0);
	}
	if (err && t->sk)
		t->err = err;
	tcp_wake(t);
}

void tcp_reap(struct stack *st)
{
	struct tcp_state *ts = st->sk.tcp;
	struct dlist *pos, *tmp;

	if (ts->depth)
		return;
	dlist_for_each_safe(pos, tmp, &ts->all) {
		struct tcb *t = dlist_entry(pos, struct tcb, all);

		if (t->dead && !t->sk)
			tcb_free(t);
	}
}

/* The 36-octet key of a 4-tuple that the connection hash and the ISN both hash. */
static void tuple_key(uint8_t k[36], const struct in6_addr *la, uint16_t lp,
		      const struct in6_addr *fa, uint16_t fp)
{
	memcpy(k, la, 16);
	memcpy(k + 16, fa, 16);
	put_be16(k + 32, lp);
	put_be16(k + 34, fp);
}

static uint32_t tuple_hash(struct stack *st, const struct in6_addr *la, uint16_t lp,
			   const struct in6_addr *fa, uint16_t fp)
{
	uint8_t k[36];

	tuple_key(k, la, lp, fa, fp);
	return (uint32_t)siphash13(&st->hkey, k, sizeof(k)) & (TCP_HASH_SIZE - 1);
}

struct dlist *tcp_bbucket(struct stack *st, uint16_t port)
{
	uint8_t k[3] = { 6 };

	put_be16(k + 1, port);
	return &st->sk.tcp->bhash[siphash13(&st->hkey, k, sizeof(k)) & (TCP_HASH_SIZE - 1)];
}

void tcp_ehash(struct tcb *t)
{
	struct stack *st = t->st;

	if (t->ehashed)
		dlist_del(&t->enode);
	dlist_add_tail(&st->sk.tcp->ehash[tuple_hash(st, &t->laddr, t->lport, &t->faddr, t->fport)],
		       &t->enode);
	t->ehashed = true;
}

/* True if listener @t takes a SYN for @dst (its bound address, family, interface). */
static bool listener_accepts(const struct tcb *t, const struct in6_addr *dst, int iif)
{
	if (in6_is_v4mapped(dst) ? t->v6only : (in6_is_v4mapped(&t->laddr) || (t->sk && t->sk->family == AF_INET)))
		return false;
	if (!sock_addr_any(&t->laddr) && !in6_equal(&t->laddr, dst))
		return false;
	return !t->ifindex || !iif || t->ifindex == iif;
}

struct tcb *tcp_lookup(struct stack *st, const struct in6_addr *src, uint16_t sport,
		       const struct in6_addr *dst, uint16_t dport, int iif)
{
	struct dlist *b = &st->sk.tcp->ehash[tuple_hash(st, dst, dport, src, sport)], *pos, *tmp;
	struct tcb *best = NULL;

	dlist_for_each_safe(pos, tmp, b) {
		struct tcb *t = dlist_entry(pos, struct tcb, enode);

		if (t->lport == dport && t->fport == sport && in6_equal(&t->faddr, src) &&
		    in6_equal(&t->laddr, dst))
			return t;
	}
	b = tcp_bbucket(st, dport);
	dlist_for_each_safe(pos, tmp, b) {
		struct tcb *t = dlist_entry(pos, struct tcb, bnode);

		if (t->state != TCPS_LISTEN || t->lport != dport || !listener_accepts(t, dst, iif))
			continue;
		/* A listener on a specific address wins over a wildcard one. */
		if (!best || (sock_addr_any(&best->laddr) && !sock_addr_any(&t->laddr)))
			best = t;
	}
	return best;
}

/*
 * RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
 * M a 4-microsecond clock, F SipHash-2-4 under a per-stack random key.
 */
uint32_t tcp_isn(struct stack *st, const struct in6_addr *la, uint16_t lp,
		 const struct in6_addr *fa, uint16_t fp)
{
	uint8_t k[36];

	tuple_key(k, la, lp, fa, fp);
	return (uint32_t)siphash24(&st->sk.tcp->isn_key, k, sizeof(k)) + (uint32_t)(st->now / 4000);
}

/*
 * Octets IPsec adds to what @t sends (RFC 4301 8.2.1): the SPD's outbound
 * bundle for the connection's flow, asked of xfrm (its tunnel headers,
 * ESP/AH/IPComp headers, largest trailer, NAT-T UDP header).
 */
static uint32_t tcp_xfrm_overhead(struct tcb *t, size_t *tunnel)
{
	struct xfrm_flow fl = {
		.src = t->laddr, .dst = t->faddr, .sport = t->lport, .dport = t->fport,
		.proto = IPPROTO_TCP, .ifindex = t->ifindex,
		.family = in6_is_v4mapped(&t->faddr) ? AF_INET : AF_INET6,
	};

	return (uint32_t)xfrm_output_overhead_split(t->st, &fl, tunnel);
}

uint16_t tcp_path_mss(struct tcb *t)
{
	struct stack *st = t->st;
	uint32_t mtu, hdrs, link;
	size_t tun = 0;

	if (in6_is_v4mapped(&t->faddr)) {
		uint32_t d = ip4_from_mapped(&t->faddr);
		const struct route4 *r = route4_lookup(st, d);

		mtu = pmtu4_get(st, d, r ? r->dev : NULL);
		link = r && r->dev ? MAX(r->dev->mtu, IPV4_MIN_MTU) : IPV4_MIN_MTU;
		hdrs = IPV4_HLEN + TCP_HLEN;
	} else {
		struct netdev *dev = t->ifindex ? netdev_by_index(st, t->ifindex) : NULL;

		if (!dev) {
			const struct route6 *r = route6_lookup(st, &t->faddr);

			dev = r ? r->dev : NULL;
		}
		mtu = pmtu6_get(st, &t->faddr, dev);
		link = dev ? ip6_link_mtu(dev) : IPV6_MIN_MTU;
		hdrs = IPV6_HLEN + TCP_HLEN;
	}
	hdrs += tcp_xfrm_overhead(t, &tun);
	/* RFC 6275: the HAO, RH2 or reverse tunnel a Mobile IPv6 binding adds to this flow. */
	if (!in6_is_v4mapped(&t->faddr)) {
		hdrs += mip6_output_overhead(st, &t->laddr, &t->faddr);
		tun += mip6_tunnel_overhead(st, &t->laddr, &t->faddr);
	}
	/*
	 * RFC 2473 7.1: tunnel headers count against the first hop's link; a
	 * PMTU learnt for faddr (a tunnel entry's Packet Too Big) leaves them out.
	 */
	if (tun)
		mtu = MIN(mtu + (uint32_t)tun, link);
	/* RFC 9293 3.7.1: never below the minimum the family guarantees. */
	if (mtu < hdrs + 536)
		return in6_is_v4mapped(&t->faddr) ? 536 : 1220;
	return (uint16_t)MIN(mtu - hdrs, 65495u);
}

int tcp_alloc_bufs(struct tcb *t, uint32_t rcvbuf, uint32_t sndbuf)
{
	if (t->rcv.buf)
		return 0;
	if (tcp_ring_init(&t->rcv, rcvbuf) < 0 || tcp_ring_init(&t->snd, sndbuf) < 0) {
		tcp_ring_free(&t->rcv);
		tcp_ring_free(&t->snd);
		STAT_INC(t->st, tcp_nomem);
		return -ENOMEM;
	}
	return 0;
}

void tcp_shutdown_wr(struct tcb *t)
{
	if (t->fin_pending)
		return;
	t->fin_pending = true;
	if (t->state == TCPS_ESTABLISHED)
		tcp_set_state(t, TCPS_FIN_WAIT_1);
	else if (t->state == TCPS_CLOSE_WAIT)
		tcp_set_state(t, TCPS_LAST_ACK);
	/* SYN-SENT and SYN-RECEIVED send the FIN once established (RFC 9293 3.10.4). */
	tcp_output(t);
}

uint32_t tcp_rcv_space(const struct tcb *t)
{
	return t->rcv.size - t->rcv.len;
}

int tcp_ring_init(struct tcp_ring *r, uint32_t size)
{
	r->buf = malloc(size);
	r->size = size;
	r->head = r->len = 0;
	return r->buf ? 0 : -ENOMEM;
}

void tcp_ring_free(struct tcp_ring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->size = r->len = 0;
}

uint32_t tcp_ring_write(struct tcp_ring *r, const void *src, uint32_t n)
{
	uint32_t tail, first;

	n = MIN(n, r->size - r->len);
	if (!n)
		return 0;
	tail = (r->head + r->len) % r->size;
	first = MIN(n, r->size - tail);
	memcpy(r->buf + tail, src, first);
	memcpy(r->buf, (const uint8_t *)src + first, n - first);
	r->len += n;
	return n;
}

void tcp_ring_peek(const struct tcp_ring *r, uint32_t off, void *dst, uint32_t n)
{
	uint32_t at = (r->head + off) % r->size, first = MIN(n, r->size - at);

	memcpy(dst, r->buf + at, first);
	memcpy((uint8_t *)dst + first, r->buf, n - first);
}

void tcp_ring_drop(struct tcp_ring *r, uint32_t n)
{
	n = MIN(n, r->len);
	r->head = (r->head + n) % r->size;
	r->len -= n;
	if (!r->len)
		r->head = 0;
}
