/*
 * `service udp-echo PORT` (RFC 862 over UDP): every datagram goes back to
 * its sender, from the address it was sent to, reusing the received buffer.
 * The socket lives until the stack is freed (sock_fini closes it).
 */
#include "l4/sock.h"
#include "proto/ip4.h"
#include "ipv4/inet4.h"

/*
 * Source ports of other datagram services that answer anything (echo,
 * daytime, chargen, time): answering them would start an endless ping-pong
 * between two services (the "UDP echo loop", CERT CA-1996-01).
 */
static const uint16_t echo_refused_sport[] = { 0, 7, 13, 19, 37 };

static bool echo_refused(const struct usock *s, uint16_t sport)
{
	if (sport == s->lport)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(echo_refused_sport); i++)
		if (echo_refused_sport[i] == sport)
			return true;
	return false;
}

/* Sends @p (data = payload) back whence it came. Consumes @p. */
static void echo_one(struct usock *s, struct pkt *p)
{
	static const struct in6_addr any;
	struct sock_rxmeta m = *SOCK_RXMETA(p);
	struct stack *st = s->st;
	struct sockaddr_in6 to;
	int rc;

	if (echo_refused(s, m.sport)) {
		STAT_INC(st, udp_echo_refused);
		pkt_free(p);
		return;
	}
	/* The buffer becomes an output packet: none of the input metadata carries over. */
	memset(p->cb, 0, sizeof(p->cb));
	p->flags = 0;
	p->dev = NULL;
	p->nh = p->th = -1;
	if (pkt_reserve_headroom(p, PKT_HEADROOM) < 0) {
		STAT_INC(st, udp_echo_err);
		pkt_free(p);
		return;
	}
	sockaddr_make(&to, &m.src, m.sport, sockaddr_needs_scope(&m.src) ? m.ifindex : 0);
	/* A reply to a group (or IPv4 broadcast) comes from one of our unicast addresses
	 * (RFC 4291 2.7, RFC 1122 4.1.3.5). */
	if (in6_is_v4mapped(&m.dst)) {
		rc = udp4_send(s, p, inet4_is_local(st, ip4_from_mapped(&m.dst)) ? &m.dst : &any, &to);
	} else {
		rc = udp6_send(s, p, in6_is_multicast(&m.dst) ? &any : &m.dst, &to);
	}
	if (rc < 0)
		STAT_INC(st, udp_echo_err);
	else
		STAT_INC(st, udp_echo_replied);
}

static void echo_ready(struct usock *s, void *ctx)
{
	struct pkt *p;

	while ((p = sock_dequeue(s)))
		echo_one(s, p);
}

int service_udp_echo(struct stack *st, uint16_t port)
{
	struct sockaddr_in6 sin;
	struct usock *s;
	int rc;

	if (port == 0)
		return -EINVAL;
	s = usagi_socket(st, AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
	if (!s)
		return -errno;
	sockaddr_make(&sin, &in6addr_any, port, 0);
	rc = usagi_bind(s, (const struct sockaddr *)&sin, sizeof(sin));
	if (rc < 0) {
		usagi_close(s);
		return rc;
	}
	usagi_sock_set_callback(s, echo_ready, NULL);
	return 0;
}
