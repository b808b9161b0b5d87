/*
 * `service udp-stream` and `service udp-sink`: a constant-rate UDP stream
 * with sequence numbers and send times, and a receiver that accounts what
 * arrived, what went missing and how long the silences were. The Mobile
 * IPv6 demo measures handovers with them (packets lost per move, the time
 * from the last packet on the old path to the first on the new one).
 *
 * Datagram payload (network order): sequence number (8 octets), the
 * sender's stack time in ns (8), then zero padding to the configured size.
 * In a simulation every host shares one clock, so the receiver also knows
 * the one-way delay.
 *
 * Both live until the stack is freed (sock_fini -> service_stream_fini).
 */
#include <stdlib.h>

#include "l4/sock.h"
#include "core/stack.h"

#define STREAM_HDR 16
#define STREAM_MAX 1400
/* A silence this many intervals long is reported when the stream resumes. */
#define SINK_GAP_REPORT_NS (100 * NS_PER_MS)

static void put_u64(uint8_t *b, uint64_t v)
{
	put_be32(b, (uint32_t)(v >> 32));
	put_be32(b + 4, (uint32_t)v);
}

static uint64_t get_u64(const uint8_t *b)
{
	return (uint64_t)get_be32(b) << 32 | get_be32(b + 4);
}

struct stream {
	struct dlist node;          /* st->sk.streams */
	struct usock *s;
	bool sink;
	uint16_t port;              /* sink: bound port; source: destination port */
	/* source */
	struct sockaddr_in6 to;
	struct timer t;
	uint64_t interval_ns, count, sent, send_err;
	uint32_t size;
	/* sink */
	uint64_t next_seq, rx, lost, late, bad;
	uint64_t last_rx_ns, max_silence_ns, delay_sum_ns;
	struct in6_addr last_src;
};

static struct stream *stream_new(struct stack *st, bool sink)
{
	struct stream *sm = calloc(1, sizeof(*sm));

	if (!sm)
		return NULL;
	sm->sink = sink;
	sm->s = usagi_socket(st, AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
	if (!sm->s) {
		free(sm);
		return NULL;
	}
	dlist_add_tail(&st->sk.streams, &sm->node);
	return sm;
}

static void stream_free(struct stack *st, struct stream *sm)
{
	stack_timer_cancel(st, &sm->t);
	dlist_del(&sm->node);
	usagi_close(sm->s);
	free(sm);
}

void service_stream_fini(struct stack *st)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &st->sk.streams)
		stream_free(st, dlist_entry(pos, struct stream, node));
}

/* ---- source ---- */

static void source_tick(struct stack *st, struct timer *t)
{
	struct stream *sm = container_of(t, struct stream, t);
	uint8_t buf[STREAM_MAX] = { 0 };

	put_u64(buf, sm->sent);
	put_u64(buf + 8, st->now);
	if (usagi_sendto(sm->s, buf, sm->size, 0, (const struct sockaddr *)&sm->to, sizeof(sm->to)) < 0)
		sm->send_err++;
	sm->sent++;
	if (sm->count == 0 || sm->sent < sm->count)
		stack_timer_in(st, &sm->t, sm->interval_ns);
}

int service_udp_stream(struct stack *st, const struct service_stream_conf *c)
{
	struct stream *sm;
	int rc;

	if (c->port == 0 || c->size < STREAM_HDR || c->size > STREAM_MAX || c->interval_ns < NS_PER_MS)
		return -EINVAL;
	sm = stream_new(st, false);
	if (!sm)
		return -ENOMEM;
	sockaddr_make(&sm->to, &c->dst, c->port, 0);
	if (!in6_is_unspec(&c->src)) {
		struct sockaddr_in6 from;

		sockaddr_make(&from, &c->src, 0, 0);
		rc = usagi_bind(sm->s, (const struct sockaddr *)&from, sizeof(from));
		if (rc < 0) {
			stream_free(st, sm);
			return rc;
		}
	}
	sm->port = c->port;
	sm->interval_ns = c->interval_ns;
	sm->count = c->count;
	sm->size = c->size;
	timer_init(&sm->t, source_tick);
	stack_timer_in(st, &sm->t, 0);
	return 0;
}

/* ---- sink ---- */

/* A datagram: in order, after a gap (counted lost until it turns up late), or late. */
static void sink_account(struct stack *st, struct stream *sm, const struct sock_rxmeta *m,
			 uint64_t seq, uint64_t sent_ns)
{
	char a[INET6_ADDRSTRLEN];
	uint64_t silence = sm->rx ? st->now - sm->last_rx_ns : 0;

	sm->rx++;
	if (sent_ns <= st->now)
		sm->delay_sum_ns += st->now - sent_ns;
	if (seq < sm->next_seq) {
		sm->late++;
		if (sm->lost)
			sm->lost--;
		return;
	}
	if (silence > sm->max_silence_ns)
		sm->max_silence_ns = silence;
	if (seq > sm->next_seq || silence >= SINK_GAP_REPORT_NS || (sm->rx > 1 &&
	    !in6_equal(&m->src, &sm->last_src)))
		log_info(st, "udp-sink %u: seq %llu from %s after %llu.%03llu s silence, %llu missing",
			 sm->port, (unsigned long long)seq, in6_ntop(&m->src, a),
			 (unsigned long long)(silence / NS_PER_SEC),
			 (unsigned long long)(silence % NS_PER_SEC / NS_PER_MS),
			 (unsigned long long)(seq - sm->next_seq));
	sm->lost += seq - sm->next_seq;
	sm->next_seq = seq + 1;
	sm->last_rx_ns = st->now;
	sm->last_src = m->src;
}

static void sink_ready(struct usock *s, void *ctx)
{
	struct stream *sm = ctx;
	struct stack *st = s->st;
	struct pkt *p;

	while ((p = sock_dequeue(s))) {
		if (p->len < STREAM_HDR)
			sm->bad++;
		else
			sink_account(st, sm, SOCK_RXMETA(p), get_u64(p->data), get_u64(p->data + 8));
		pkt_free(p);
	}
}

int service_udp_sink(struct stack *st, uint16_t port)
{
	struct sockaddr_in6 sin;
	struct stream *sm;
	int rc;

	if (port == 0)
		return -EINVAL;
	sm = stream_new(st, true);
	if (!sm)
		return -ENOMEM;
	sockaddr_make(&sin, &in6addr_any, port, 0);
	rc = usagi_bind(sm->s, (const struct sockaddr *)&sin, sizeof(sin));
	if (rc < 0) {
		stream_free(st, sm);
		return rc;
	}
	sm->port = port;
	timer_init(&sm->t, NULL);
	usagi_sock_set_callback(sm->s, sink_ready, sm);
	return 0;
}

static void stream_show_one(struct stack *st, const struct stream *sm, FILE *out)
{
	char a[INET6_ADDRSTRLEN];

	if (!sm->sink) {
		fprintf(out, "udp-stream to [%s]:%u interval %llums size %u sent %llu errors %llu%s\n",
			in6_ntop(&sm->to.sin6_addr, a), sm->port,
			(unsigned long long)(sm->interval_ns / NS_PER_MS), sm->size,
			(unsigned long long)sm->sent, (unsigned long long)sm->send_err,
			timer_pending(&sm->t) ? "" : " done");
		return;
	}
	fprintf(out, "udp-sink port %u received %llu lost %llu late %llu bad %llu "
		"max-silence %llums avg-delay %lluus",
		sm->port, (unsigned long long)sm->rx, (unsigned long long)sm->lost,
		(unsigned long long)sm->late, (unsigned long long)sm->bad,
		(unsigned long long)(sm->max_silence_ns / NS_PER_MS),
		(unsigned long long)(sm->rx ? sm->delay_sum_ns / sm->rx / 1000 : 0));
	if (sm->rx)
		fprintf(out, " last-from %s", in6_ntop(&sm->last_src, a));
	fputc('\n', out);
}

void service_show(struct stack *st, FILE *out)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &st->sk.streams)
		stream_show_one(st, dlist_entry(pos, struct stream, node), out);
	tcp_service_show(st, out);
}
