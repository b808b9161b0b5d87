/*
 * Mobile IPv6 data plane (src/mip6/mip6_dp*.c) on stacks joined by
 * tests/lib/ipsec_lab.h links, with the bindings installed directly
 * (mip6_dp_add), so the signalling is not needed:
 *
 *   route optimisation:   MN eth0 2001:db8:2::1 (CoA), 2001:db8:1::100/128 (HoA)
 *                           ---- link 0 ---- eth0 2001:db8:2::c CN
 *   tunnels:              MN ---- link 0 ---- eth0 2001:db8:2::a HA eth1 2001:db8:1::a
 *                           ---- link 1 ---- eth0 2001:db8:1::c CN
 *
 * What it asserts: the HAO and RH2 inserted by bindings and on request,
 * with the exact wire layout (header order, lengths, PadN for 8n+6, the
 * upper-layer checksum valid over the home address and not over the
 * care-of address); the correspondent swapping the HAO and delivering
 * with the home address as source, the mobile node accepting a RH2 for its
 * home address; HAO packets dropped without a binding unless they are
 * Binding Updates, malformed HAOs, a HAO in Hop-by-Hop, a HAO at a node
 * without Mobile IPv6 (Parameter Problem as for any unknown option); RH2
 * for a non-home address dropped; the reverse tunnel MN -> HA -> CN and
 * the HA's tunnel to the CoA (forwarded and local traffic), foreign
 * IPv6-in-IPv6 left to the old path, nested tunnels refused; ESP transport
 * policies written with home addresses matching with HAO/RH2 present and
 * ESP placed after them; the binding table itself. Every test ends with
 * the packet pools back at their baseline.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "ipsec_lab.h"
#include "core/csum.h"
#include "link/ether.h"
#include "mip6/mip6_dp_priv.h"
#include "proto/ip6.h"
#include "usagi/socket.h"

#define HOA "2001:db8:1::100"
#define COA "2001:db8:2::1"
#define CN "2001:db8:2::c"        /* route-optimisation fixture */
#define HA_FOREIGN "2001:db8:2::a"
#define HA_HOME "2001:db8:1::a"
#define CN_HOME "2001:db8:1::c"   /* tunnel fixture: on the home link */

struct fx {
	struct lab *l;
	int mn, cn, ha;
	int k0, k1;
	unsigned base[3];
};

static struct in6_addr ad(const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}
/* A pointer to the address @s, for the calls that take one. */
#define AP(s) (&(struct in6_addr[]){ ad(s) }[0])

static void settle(struct fx *f)
{
	lab_pump(f->l, 10);
	for (unsigned i = 0; i < f->l->nnodes; i++)
		f->base[i] = pkt_pool_in_use(lab_st(f->l, (int)i)->pool);
	for (unsigned k = 0; k < f->l->nlinks; k++)
		lab_cap_clear(f->l, (int)k);
}

static int ro_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->l = lab_new();
	f->mn = lab_node(f->l, "MN");
	f->cn = lab_node(f->l, "CN");
	f->ha = -1;
	f->k0 = lab_connect(f->l, f->mn, "eth0", f->cn, "eth0");
	lab_cmd(f->l, f->mn, "addr add " COA "/64 dev eth0 nodad");
	lab_cmd(f->l, f->mn, "addr add " HOA "/128 dev eth0 nodad");
	lab_cmd(f->l, f->cn, "addr add " CN "/64 dev eth0 nodad");
	/* A router that never answers: only what goes to the care-of address arrives. */
	lab_cmd(f->l, f->cn, "route add 2001:db8:1::/64 via 2001:db8:2::99 dev eth0");
	settle(f);
	*state = f;
	return 0;
}

static int tnl_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->l = lab_new();
	f->mn = lab_node(f->l, "MN");
	f->ha = lab_node(f->l, "HA");
	f->cn = lab_node(f->l, "CN");
	f->k0 = lab_connect(f->l, f->mn, "eth0", f->ha, "eth0");
	f->k1 = lab_connect(f->l, f->ha, "eth1", f->cn, "eth0");
	lab_cmd(f->l, f->mn, "addr add " COA "/64 dev eth0 nodad");
	lab_cmd(f->l, f->mn, "addr add " HOA "/128 dev eth0 nodad");
	lab_cmd(f->l, f->mn, "route add default via " HA_FOREIGN " dev eth0");
	lab_cmd(f->l, f->ha, "addr add " HA_FOREIGN "/64 dev eth0 nodad");
	lab_cmd(f->l, f->ha, "addr add " HA_HOME "/64 dev eth1 nodad");
	lab_cmd(f->l, f->ha, "sysctl net.ipv6.conf.all.forwarding=1");
	lab_cmd(f->l, f->cn, "addr add " CN_HOME "/64 dev eth0 nodad");
	/* Stands in for the home agent's proxy ND of the home address (another part). */
	lab_cmd(f->l, f->cn, "route add " HOA "/128 via " HA_HOME " dev eth0");
	settle(f);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	/* Long enough for ND to give up on the neighbours that never answer. */
	for (int i = 0; i < 6; i++)
		lab_pump(f->l, 1000);
	for (unsigned i = 0; i < f->l->nnodes; i++)
		assert_int_equal(pkt_pool_in_use(lab_st(f->l, (int)i)->pool), f->base[i]);
	lab_free(f->l);
	free(f);
	return 0;
}

#define MN(f) lab_st((f)->l, (f)->mn)
#define CNS(f) lab_st((f)->l, (f)->cn)
#define HA(f) lab_st((f)->l, (f)->ha)

static void dp_bind(struct stack *st, enum mip6_dp_kind kind, const char *hoa, const char *coa,
		    const char *peer)
{
	struct mip6_dp_binding b = { .kind = kind, .hoa = ad(hoa), .coa = ad(coa) };

	if (peer)
		b.peer = ad(peer);
	assert_int_equal(mip6_dp_add(st, &b), 0);
}

static struct usock *udp_at(struct stack *st, const char *addr, uint16_t port)
{
	struct usock *s = usagi_socket(st, AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

	assert_non_null(s);
	sa.sin6_addr = ad(addr);
	assert_int_equal(usagi_bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return s;
}

/* True if the next datagram on @s is @msg from [@from]:@port. */
static bool got_from(struct usock *s, const char *msg, const char *from, uint16_t port)
{
	struct sockaddr_in6 sa;
	socklen_t sl = sizeof(sa);
	struct in6_addr want = ad(from);
	char buf[4096];
	ssize_t n = usagi_recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&sa, &sl);

	return n == (ssize_t)strlen(msg) && memcmp(buf, msg, (size_t)n) == 0 &&
	       in6_equal(&sa.sin6_addr, &want) && ntohs(sa.sin6_port) == port;
}

/* @msg sent on @a to [@dst]:@dport arrives on @b from [@src]:@sport. */
static void udp_passes(struct fx *f, struct usock *a, const char *dst, uint16_t dport,
		       struct usock *b, const char *msg, const char *src, uint16_t sport)
{
	ssize_t n = (ssize_t)strlen(msg);

	assert_int_equal(lab_send_to(a, dst, dport, msg, (size_t)n), n);
	lab_pump(f->l, 1);
	assert_true(got_from(b, msg, src, sport));
}

/* @msg sent on @a to [@dst]:@dport does not arrive on @b. */
static void udp_lost(struct fx *f, struct usock *a, const char *dst, uint16_t dport,
		     struct usock *b, const char *msg)
{
	ssize_t n = (ssize_t)strlen(msg);

	assert_int_equal(lab_send_to(a, dst, dport, msg, (size_t)n), n);
	lab_pump(f->l, 1);
	assert_true(lab_empty(b));
}

/* The @i-th IPv6 packet on link @k whose first next header is @proto; *len its length. */
static const uint8_t *pkt6(struct fx *f, int k, uint8_t proto, unsigned i, size_t *len)
{
	const struct lab_frame *fr = lab_find(f->l, k, proto, i);

	if (!fr)
		return NULL;
	*len = fr->len - ETH_HLEN;
	return fr->b + ETH_HLEN;
}

static bool addr_is(const uint8_t *p, const char *s)
{
	struct in6_addr a = ad(s);

	return memcmp(p, &a, 16) == 0;
}

/* pkt6(), asserted present and from @src to @dst (NULL: either not checked). */
static const uint8_t *pkt6_seen(struct fx *f, int k, uint8_t proto, unsigned i, const char *src,
				const char *dst, size_t *len)
{
	const uint8_t *ip = pkt6(f, k, proto, i, len);

	assert_non_null(ip);
	if (src)
		assert_true(addr_is(ip + 8, src));
	if (dst)
		assert_true(addr_is(ip + 24, dst));
	return ip;
}

/* Upper-layer checksum (UDP or MH) of the @len bytes at @l4 checks out for that pseudo-header. */
static bool csum_ok(const char *src, const char *dst, uint8_t proto, const uint8_t *l4, size_t len)
{
	struct in6_addr s = ad(src), d = ad(dst);
	size_t off = proto == NH_UDP ? 6 : 4;
	uint8_t copy[512];
	uint16_t c;

	assert_true(len <= sizeof(copy));
	memcpy(copy, l4, len);
	copy[off] = copy[off + 1] = 0;
	c = csum_ipv6(&s, &d, proto, copy, len);
	return get_be16(l4 + off) == c || (c == 0 && get_be16(l4 + off) == 0xffff);
}

/* Frame from a peer that is not a stack to node @to on link @k: IPv6 header + @body. */
static void inject6(struct fx *f, int to, int k, const char *src, const char *dst, uint8_t nxt,
		    const uint8_t *body, size_t len)
{
	struct lab_link *lk = &f->l->link[k];
	struct netdev *dev = lk->port[0].dev->st == lab_st(f->l, to) ? lk->port[0].dev : lk->port[1].dev;
	uint8_t fr[ETH_HLEN + IPV6_HLEN + 512] = { 0 };
	uint8_t *ip = fr + ETH_HLEN;

	assert_true(len <= 512);
	memcpy(fr, dev->mac, 6);
	memcpy(fr + 6, (uint8_t[]){ 0x02, 0xee, 0, 0, 0, 1 }, 6);
	put_be16(fr + 12, ETH_P_IPV6);
	ip[0] = 0x60;
	put_be16(ip + 4, (uint16_t)len);
	ip[6] = nxt;
	ip[7] = 64;
	memcpy(ip + 8, (struct in6_addr[]){ ad(src) }, 16);
	memcpy(ip + 24, (struct in6_addr[]){ ad(dst) }, 16);
	memcpy(ip + IPV6_HLEN, body, len);
	lab_inject(f->l, to, k, fr, ETH_HLEN + IPV6_HLEN + len);
	lab_pump(f->l, 1);
}

/*
 * Route optimisation from the MN to the CN (the MN's binding) and the CN's
 * binding for @cn_hoa at @cn_coa (NULL: none), and the UDP sockets: *@sm
 * at [HOA]:7001 on the MN, *@sc at port 7000 on the CN.
 */
static void ro_bound(struct fx *f, const char *cn_hoa, const char *cn_coa, struct usock **sm,
		     struct usock **sc)
{
	dp_bind(MN(f), MIP6_DP_MN_RO, HOA, COA, CN);
	if (cn_hoa)
		dp_bind(CNS(f), MIP6_DP_CN, cn_hoa, cn_coa, NULL);
	*sm = udp_at(MN(f), HOA, 7001);
	*sc = lab_udp_bound(CNS(f), AF_INET6, 7000);
}

/* UDP 7001 -> 7000 with @msg at @b, checksum over @src/@dst; its length. */
static size_t mk_udp(uint8_t *b, const char *src, const char *dst, const char *msg)
{
	size_t n = 8 + strlen(msg);
	struct in6_addr s = ad(src), d = ad(dst);

	put_be16(b, 7001);
	put_be16(b + 2, 7000);
	put_be16(b + 4, (uint16_t)n);
	put_be16(b + 6, 0);
	memcpy(b + 8, msg, strlen(msg));
	put_be16(b + 6, csum_ipv6(&s, &d, NH_UDP, b, n));
	return n;
}

/* Destination Options (next header @nxt) with PadN(4) + HAO(@home, option length @olen): 24 octets. */
static size_t mk_hao(uint8_t *b, uint8_t nxt, const char *home, uint8_t olen)
{
	memset(b, 0, 24);
	b[0] = nxt;
	b[1] = 2;
	b[2] = OPT6_PADN;
	b[3] = 2;
	b[6] = OPT6_HAO;
	b[7] = olen;
	memcpy(b + 8, (struct in6_addr[]){ ad(home) }, 16);
	if (olen < 16) {            /* the rest as PadN so the header still adds up */
		b[8 + olen] = OPT6_PADN;
		b[9 + olen] = (uint8_t)(16 - olen - 2);
	}
	return 24;
}

/* From the CoA to the CN: the options header @hdr with a HAO (@home, @olen), UDP from @home. */
static void send_hao(struct fx *f, uint8_t hdr, const char *home, uint8_t olen, const char *msg)
{
	uint8_t b[128];
	size_t n = mk_hao(b, NH_UDP, home, olen);

	n += mk_udp(b + n, home, CN, msg);
	inject6(f, f->cn, f->k0, COA, CN, hdr, b, n);
}

static const uint8_t hao_hdr_head[8] = { 0, 2, OPT6_PADN, 2, 0, 0, OPT6_HAO, 16 };
static const uint8_t rh2_hdr_head[8] = { 0, 2, 2, 1, 0, 0, 0, 0 };

/* --- route optimisation: HAO from the MN, RH2 from the CN --- */

static void test_ro_hao_and_rh2(void **state)
{
	struct fx *f = *state;
	struct usock *sm, *sc;
	const uint8_t *ip;
	size_t len;

	ro_bound(f, HOA, COA, &sm, &sc);
	/* The correspondent sees the home address as source. */
	udp_passes(f, sm, CN, 7000, sc, "ro-hello", HOA, 7001);
	ip = pkt6_seen(f, f->k0, NH_DSTOPTS, 0, COA, CN, &len);
	assert_int_equal(len, 40 + 24 + 16);
	assert_int_equal(get_be16(ip + 4), 24 + 16);
	assert_int_equal(ip[40], NH_UDP);
	assert_memory_equal(ip + 41, hao_hdr_head + 1, 7);
	assert_true(addr_is(ip + 48, HOA));
	/* RFC 6275 6.3: the checksum is the one over the home address. */
	assert_true(csum_ok(HOA, CN, NH_UDP, ip + 64, 16));
	assert_false(csum_ok(COA, CN, NH_UDP, ip + 64, 16));

	udp_passes(f, sc, HOA, 7001, sm, "ro-reply", CN, 7000);
	ip = pkt6_seen(f, f->k0, NH_ROUTING, 0, CN, COA, &len);
	assert_int_equal(len, 40 + 24 + 16);
	assert_int_equal(ip[40], NH_UDP);
	assert_memory_equal(ip + 41, rh2_hdr_head + 1, 7);
	assert_true(addr_is(ip + 48, HOA));
	assert_true(csum_ok(CN, HOA, NH_UDP, ip + 64, 16));
	assert_false(csum_ok(CN, COA, NH_UDP, ip + 64, 16));
	/* Nothing went without its header. */
	assert_int_equal(lab_count(f->l, f->k0, AF_INET6, NH_UDP), 0);
	assert_int_equal(STAT_GET(MN(f), mip6_dp_hao_out), 1);
	assert_int_equal(STAT_GET(CNS(f), mip6_dp_hao_in), 1);
	assert_int_equal(STAT_GET(CNS(f), mip6_dp_hao_ok), 1);
	assert_int_equal(STAT_GET(CNS(f), mip6_dp_rh2_out), 1);
	assert_int_equal(STAT_GET(MN(f), mip6_dp_rh2_in), 1);

	/* Bindings gone: plain packets again (the CN's now take the dead router). */
	assert_int_equal(mip6_dp_del(MN(f), MIP6_DP_MN_RO, AP(HOA),
				     AP(CN)), 0);
	udp_passes(f, sm, CN, 7000, sc, "plain", HOA, 7001);
	assert_int_equal(lab_count(f->l, f->k0, AF_INET6, NH_UDP), 1);
	assert_int_equal(STAT_GET(MN(f), mip6_dp_hao_out), 1);
	usagi_close(sm);
	usagi_close(sc);
}

/*
 * RFC 6275 6.3: the HAO goes before the Fragment header, so every fragment
 * carries it (IPv6 | DstOpts | Fragment | ...); the CN swaps it in each,
 * reassembles and delivers from the home address.
 */
static void test_ro_fragmented(void **state)
{
	struct fx *f = *state;
	static char big[3001];
	struct usock *sm, *sc;
	const uint8_t *ip;
	size_t len;
	unsigned nfrag = 0;

	memset(big, 'm', sizeof(big) - 1);
	ro_bound(f, HOA, COA, &sm, &sc);
	udp_passes(f, sm, CN, 7000, sc, big, HOA, 7001);
	for (unsigned i = 0; (ip = pkt6(f, f->k0, NH_DSTOPTS, i, &len)); i++) {
		assert_true(addr_is(ip + 8, COA));
		assert_int_equal(ip[40], NH_FRAGMENT);
		assert_true(addr_is(ip + 48, HOA));
		assert_int_equal(ip[64], NH_UDP);
		assert_true(len <= 1500);
		nfrag++;
	}
	assert_int_equal(nfrag, 3);
	assert_int_equal(STAT_GET(CNS(f), mip6_dp_hao_in), 3);
	assert_int_equal(STAT_GET(CNS(f), mip6_dp_hao_ok), 1);
	/* And back: the RH2 is unfragmentable as any routing header. */
	udp_passes(f, sc, HOA, 7001, sm, big, CN, 7000);
	for (nfrag = 0; (ip = pkt6(f, f->k0, NH_ROUTING, nfrag, &len)); nfrag++)
		assert_int_equal(ip[40], NH_FRAGMENT);
	assert_int_equal(nfrag, 3);
	usagi_close(sm);
	usagi_close(sc);
}

/* Sends an MH message of @type with a HAO from the MN to the CN through ip6_output, as asked. */
static void send_mh_hao(struct fx *f, uint8_t type)
{
	/* Payload Proto 59, Header Len 1, type, reserved, checksum, 10 octets of data. */
	uint8_t mh[16] = { 59, 1, type, 0 };
	struct pkt *p = stack_pkt_alloc(MN(f), sizeof(mh));
	struct in6_addr coa = ad(COA), cn = ad(CN);
	struct ip6_tx tx;

	assert_non_null(p);
	memcpy(pkt_put(p, sizeof(mh)), mh, sizeof(mh));
	ip6_tx_init(&tx, &cn, NH_MH);
	tx.src = ad(HOA);
	tx.csum_off = 4;
	tx.hao_coa = &coa;
	assert_int_equal(ip6_output(MN(f), p, &tx), 0);
	lab_pump(f->l, 1);
}

static void test_hao_needs_binding(void **state)
{
	struct fx *f = *state;
	struct usock *sm, *sc;
	const uint8_t *ip;
	size_t len;

	/* The CN runs Mobile IPv6, but its binding is for someone else. */
	ro_bound(f, "2001:db8:1::200", "2001:db8:2::2", &sm, &sc);
	udp_lost(f, sm, CN, 7000, sc, "no-binding");
	assert_int_equal(STAT_GET(CNS(f), mip6_dp_hao_in), 1);
	assert_int_equal(STAT_GET(CNS(f), mip6_dp_hao_no_binding), 1);
	/* 9.3.3: a Binding Error status 1 naming the home address, to the care-of address. */
	ip = pkt6_seen(f, f->k0, NH_MH, 0, CN, COA, &len);
	assert_int_equal(ip[40 + 2], MH_BE);
	assert_int_equal(ip[40 + 6], MH_BE_UNKNOWN_HAO);
	assert_true(addr_is(ip + 40 + 8, HOA));
	assert_int_equal(STAT_GET(CNS(f), mip6_be_sent), 1);
	/* A binding for the home address but another care-of address is no better. */
	dp_bind(CNS(f), MIP6_DP_CN, HOA, "2001:db8:2::3", NULL);
	udp_lost(f, sm, CN, 7000, sc, "wrong-coa");
	assert_int_equal(STAT_GET(CNS(f), mip6_dp_hao_no_binding), 2);
	assert_int_equal(mip6_dp_del(CNS(f), MIP6_DP_CN, AP(HOA), NULL), 0);

	/* A Binding Update passes without a binding (9.3.1); a HoTI with a HAO does not. */
	send_mh_hao(f, MH_BU);
	assert_int_equal(STAT_GET(CNS(f), mip6_dp_hao_bu), 1);
	assert_int_equal(STAT_GET(CNS(f), mip6_dp_hao_no_binding), 2);
	/* Asked for explicitly, MH included: CoA source, HAO, checksum over the home address. */
	ip = pkt6_seen(f, f->k0, NH_DSTOPTS, 2, COA, NULL, &len);
	assert_int_equal(len, 40 + 24 + 16);
	assert_int_equal(ip[40], NH_MH);
	assert_true(addr_is(ip + 48, HOA));
	assert_true(csum_ok(HOA, CN, NH_MH, ip + 64, 16));
	send_mh_hao(f, MH_HOTI);
	assert_int_equal(STAT_GET(CNS(f), mip6_dp_hao_bu), 1);
	assert_int_equal(STAT_GET(CNS(f), mip6_dp_hao_no_binding), 3);
	/* Mobility Header messages never take a binding's HAO (6.1): none without asking. */
	{
		uint8_t mh[16] = { 59, 1, MH_BU, 0 };
		struct pkt *p = stack_pkt_alloc(MN(f), sizeof(mh));
		struct in6_addr cn = ad(CN);
		struct ip6_tx tx;

		memcpy(pkt_put(p, sizeof(mh)), mh, sizeof(mh));
		ip6_tx_init(&tx, &cn, NH_MH);
		tx.src = ad(HOA);
		tx.csum_off = 4;
		assert_int_equal(ip6_output(MN(f), p, &tx), 0);
		lab_pump(f->l, 1);
		assert_int_equal(lab_count(f->l, f->k0, AF_INET6, NH_MH),
				 1 + STAT_GET(CNS(f), mip6_be_sent));
		assert_int_equal(STAT_GET(MN(f), mip6_dp_hao_out), 4);
	}
	usagi_close(sm);
	usagi_close(sc);
}

static void test_hao_without_mip6(void **state)
{
	struct fx *f = *state;
	struct usock *sm, *sc;
	const uint8_t *ip;
	size_t len;

	assert_null(CNS(f)->mip6);
	ro_bound(f, NULL, NULL, &sm, &sc);
	udp_lost(f, sm, CN, 7000, sc, "unknown");
	/* An unrecognised option with action bits 11: Parameter Problem code 2 at the option, to the CoA. */
	assert_int_equal(STAT_GET(CNS(f), ip6_in_opt_unknown_drop), 1);
	ip = pkt6(f, f->k0, NH_ICMPV6, 0, &len);
	for (unsigned i = 1; ip && !(ip[40] == ICMP6_PARAM_PROB); i++)
		ip = pkt6(f, f->k0, NH_ICMPV6, i, &len);
	assert_non_null(ip);
	assert_true(addr_is(ip + 24, COA));
	assert_int_equal(ip[41], ICMP6_PP_OPTION);
	assert_int_equal(get_be32(ip + 44), 40 + 6);
	assert_null(CNS(f)->mip6);
	usagi_close(sm);
	usagi_close(sc);
}

static void test_hao_malformed(void **state)
{
	struct fx *f = *state;
	struct usock *sc;
	uint8_t b[256];
	size_t n;

	dp_bind(CNS(f), MIP6_DP_CN, HOA, COA, NULL);
	sc = lab_udp_bound(CNS(f), AF_INET6, 7000);
	/* Option length 14. */
	send_hao(f, NH_DSTOPTS, HOA, 14, "x");
	assert_int_equal(STAT_GET(CNS(f), mip6_dp_hao_bad_len), 1);
	/* Two Home Address options: PadN(4) HAO PadN(6) HAO in one 48-octet header. */
	mk_hao(b, NH_UDP, HOA, 16);
	b[1] = 5;
	memcpy(b + 24, (uint8_t[]){ OPT6_PADN, 4, 0, 0, 0, 0, OPT6_HAO, 16 }, 8);
	memcpy(b + 32, (struct in6_addr[]){ ad(HOA) }, 16);
	n = 48 + mk_udp(b + 48, HOA, CN, "x");
	inject6(f, f->cn, f->k0, COA, CN, NH_DSTOPTS, b, n);
	assert_int_equal(STAT_GET(CNS(f), mip6_dp_hao_dup), 1);
	/* A multicast, a link-local and an IPv4-mapped home address. */
	send_hao(f, NH_DSTOPTS, "ff0e::1", 16, "x");
	send_hao(f, NH_DSTOPTS, "fe80::1", 16, "x");
	send_hao(f, NH_DSTOPTS, "::ffff:192.0.2.1", 16, "x");
	assert_int_equal(STAT_GET(CNS(f), mip6_dp_hao_bad_addr), 3);
	/* In Hop-by-Hop it is an unknown option (action 11). */
	send_hao(f, NH_HOPOPTS, HOA, 16, "x");
	assert_int_equal(STAT_GET(CNS(f), ip6_in_opt_unknown_drop), 1);
	assert_true(lab_empty(sc));
	assert_int_equal(STAT_GET(CNS(f), mip6_dp_hao_in), 1);     /* the first of the two */
	/* The same, well-formed: delivered from the home address. */
	send_hao(f, NH_DSTOPTS, HOA, 16, "good");
	assert_true(got_from(sc, "good", HOA, 7001));
	assert_int_equal(STAT_GET(CNS(f), mip6_dp_hao_in), 2);
	assert_int_equal(STAT_GET(CNS(f), mip6_dp_hao_ok), 1);
	usagi_close(sc);
}

/* RH2 to @dst naming @home, UDP inside (checksum over @home); injected at the MN. */
static void send_rh2(struct fx *f, const char *dst, const char *home, const char *msg)
{
	uint8_t b[128] = { NH_UDP, 2, 2, 1 };

	memcpy(b + 8, (struct in6_addr[]){ ad(home) }, 16);
	inject6(f, f->mn, f->k0, CN, dst, NH_ROUTING, b, 24 + mk_udp(b + 24, CN, home, msg));
}

static void test_rh2_home_only(void **state)
{
	struct fx *f = *state;
	struct usock *sm = udp_at(MN(f), HOA, 7000);

	dp_bind(MN(f), MIP6_DP_MN_RO, HOA, COA, CN);
	send_rh2(f, COA, "2001:db8:1::999", "not-home");
	assert_int_equal(STAT_GET(MN(f), mip6_dp_rh2_not_home), 1);
	/* Our home address, but not at the care-of address registered for it. */
	lab_cmd(f->l, f->mn, "addr add 2001:db8:2::7/64 dev eth0 nodad");
	lab_pump(f->l, 10);
	send_rh2(f, "2001:db8:2::7", HOA, "wrong-coa");
	assert_int_equal(STAT_GET(MN(f), mip6_dp_rh2_not_home), 2);
	assert_true(lab_empty(sm));
	/* RFC 6275 6.4: silently; no error went back. */
	assert_int_equal(STAT_GET(MN(f), icmp6_out_errors), 0);
	send_rh2(f, COA, HOA, "home");
	assert_true(got_from(sm, "home", CN, 7001));
	assert_int_equal(STAT_GET(MN(f), mip6_dp_rh2_in), 1);
	/* The home registration alone (MN_HA) accepts it too, and at home the home address itself. */
	mip6_dp_del(MN(f), MIP6_DP_MN_RO, AP(HOA), AP(CN));
	dp_bind(MN(f), MIP6_DP_MN_HA, HOA, COA, HA_HOME);
	send_rh2(f, COA, HOA, "home-reg");
	assert_true(got_from(sm, "home-reg", CN, 7001));
	dp_bind(MN(f), MIP6_DP_MN_HA, HOA, HOA, HA_HOME);
	send_rh2(f, HOA, HOA, "at-home");
	assert_true(got_from(sm, "at-home", CN, 7001));
	assert_int_equal(STAT_GET(MN(f), mip6_dp_rh2_in), 3);
	usagi_close(sm);
}

/* mip6_output on a hand-built packet: IPv6 | HbH | UDP, both headers asked for. */
static void test_output_layout(void **state)
{
	struct fx *f = *state;
	uint8_t b[40 + 8 + 8] = { 0x60, 0, 0, 0, 0, 16, NH_HOPOPTS, 64 };
	struct in6_addr coa = ad(COA), coa2 = ad("2001:db8:2::2");
	struct pkt *p;
	bool moved = false;

	memcpy(b + 8, (struct in6_addr[]){ ad(HOA) }, 16);
	memcpy(b + 24, (struct in6_addr[]){ ad(CN) }, 16);
	memcpy(b + 40, (uint8_t[]){ NH_UDP, 0, OPT6_PADN, 4, 0, 0, 0, 0 }, 8);
	p = pkt_from_bytes(MN(f)->pool, b, sizeof(b));
	pkt_set_nh(p);
	assert_int_equal(mip6_output(MN(f), p, &coa, &coa2, &moved), 0);
	assert_true(moved);
	assert_int_equal(p->len, sizeof(b) + 48);
	assert_int_equal(get_be16(p->data + 4), 16 + 48);
	assert_int_equal(p->data[6], NH_HOPOPTS);
	assert_true(addr_is(p->data + 8, COA));
	assert_true(addr_is(p->data + 24, "2001:db8:2::2"));
	/* RFC 8200 4.1: Hop-by-Hop, Routing (type 2), Destination Options (HAO), upper layer. */
	assert_int_equal(p->data[40], NH_ROUTING);
	assert_int_equal(p->data[48], NH_DSTOPTS);
	assert_memory_equal(p->data + 49, rh2_hdr_head + 1, 7);
	assert_true(addr_is(p->data + 56, CN));
	assert_int_equal(p->data[72], NH_UDP);
	assert_memory_equal(p->data + 73, hao_hdr_head + 1, 7);
	assert_true(addr_is(p->data + 80, HOA));
	assert_ptr_equal(pkt_nh(p), p->data);
	pkt_free(p);

	/* No room (a buffer of exactly the packet): untouched, counted. */
	p = pkt_alloc(NULL, 0, sizeof(b));
	memcpy(pkt_put(p, sizeof(b)), b, sizeof(b));
	pkt_set_nh(p);
	assert_int_equal(mip6_output(MN(f), p, &coa, NULL, &moved), -ENOBUFS);
	assert_false(moved);
	assert_memory_equal(p->data, b, sizeof(b));
	assert_int_equal(STAT_GET(MN(f), mip6_dp_out_nobufs), 1);
	pkt_free(p);
	/* A header chain that runs past the packet: refused. */
	b[41] = 9;
	p = pkt_from_bytes(MN(f)->pool, b, sizeof(b));
	assert_int_equal(mip6_output(MN(f), p, &coa, NULL, &moved), -EINVAL);
	assert_int_equal(STAT_GET(MN(f), mip6_dp_out_bad_hdr), 1);
	pkt_free(p);
	/* Without anything asked and no binding: nothing happens. */
	b[41] = 0;
	p = pkt_from_bytes(MN(f)->pool, b, sizeof(b));
	assert_int_equal(mip6_output(MN(f), p, NULL, NULL, &moved), 0);
	assert_int_equal(p->len, sizeof(b));
	pkt_free(p);
}

/*
 * ND and MLD stay on their link: a correspondent's binding does not give an
 * NA to the home address a RH2 (the mobile node may be back home, resolving
 * the correspondent), and a mobile node's reverse tunnel does not carry its
 * NS; any other ICMPv6 message does take the binding.
 */
static void test_nd_bypasses_bindings(void **state)
{
	struct fx *f = *state;
	struct stack *st = MN(f);
	struct mip6_dp_binding cn = { .kind = MIP6_DP_CN, .hoa = ad("2001:db8:7::100"),
				      .coa = ad("2001:db8:8::100") };
	struct mip6_dp_binding mnha = { .kind = MIP6_DP_MN_HA, .hoa = ad("2001:db8:7::200"),
					.coa = ad("2001:db8:8::200"), .peer = ad("2001:db8:7::1") };
	uint8_t b[40 + 24] = { 0x60, 0, 0, 0, 0, 24, NH_ICMPV6, 255 };
	struct pkt *p;
	bool moved;

	assert_int_equal(mip6_dp_add(st, &cn), 0);
	assert_int_equal(mip6_dp_add(st, &mnha), 0);
	memcpy(b + 8, (struct in6_addr[]){ ad("2001:db8:7::5") }, 16);
	memcpy(b + 24, &cn.hoa, 16);
	for (unsigned type = 128; type <= 143; type++) {
		bool nd = (type >= 130 && type <= 137) || type == 143;

		b[40] = (uint8_t)type;
		p = pkt_from_bytes(st->pool, b, sizeof(b));
		pkt_set_nh(p);
		assert_int_equal(mip6_output(st, p, NULL, NULL, &moved), 0);
		assert_int_equal(moved, !nd);
		assert_int_equal(p->len, sizeof(b) + (nd ? 0 : 24));
		pkt_free(p);
	}
	/* An NS from the away mobile node's home address is not tunnelled. */
	memcpy(b + 8, &mnha.hoa, 16);
	memcpy(b + 24, (struct in6_addr[]){ ad("2001:db8:8::1") }, 16);
	b[40] = 135;
	p = pkt_from_bytes(st->pool, b, sizeof(b));
	pkt_set_nh(p);
	assert_int_equal(mip6_tunnel_output(st, p), 1);
	pkt_free(p);
}

static void test_binding_table(void **state)
{
	struct fx *f = *state;
	struct stack *st = MN(f);
	struct in6_addr hoa = ad(HOA), cn1 = ad(CN), cn2 = ad("2001:db8:2::d");
	struct mip6_dp_binding b = { .kind = MIP6_DP_MN_RO, .hoa = hoa, .coa = ad(COA), .peer = cn1 };
	const struct mip6_dp_binding *r;

	assert_null(mip6_dp_find(st, MIP6_DP_MN_RO, &hoa, &cn1));
	assert_int_equal(mip6_dp_del(st, MIP6_DP_CN, &hoa, NULL), -ENOENT);
	assert_null(st->mip6);
	assert_int_equal(mip6_dp_add(st, &b), 0);
	assert_non_null(st->mip6);
	assert_non_null(st->mip6->dp);
	assert_non_null(st->mip6->part_fini[MIP6_PART_DP]);
	b.peer = cn2;
	b.coa = ad("2001:db8:2::5");
	assert_int_equal(mip6_dp_add(st, &b), 0);
	/* Two correspondents, two entries; the same key replaces. */
	r = mip6_dp_find(st, MIP6_DP_MN_RO, &hoa, &cn1);
	assert_non_null(r);
	assert_true(addr_is(r->coa.s6_addr, COA));
	r = mip6_dp_find(st, MIP6_DP_MN_RO, &hoa, &cn2);
	assert_true(addr_is(r->coa.s6_addr, "2001:db8:2::5"));
	b.coa = ad("2001:db8:2::6");
	assert_int_equal(mip6_dp_add(st, &b), 0);
	assert_true(addr_is(mip6_dp_find(st, MIP6_DP_MN_RO, &hoa, &cn2)->coa.s6_addr, "2001:db8:2::6"));
	/* Other kinds are other keys; a CN entry ignores the peer. */
	assert_null(mip6_dp_find(st, MIP6_DP_CN, &hoa, NULL));
	dp_bind(st, MIP6_DP_CN, HOA, COA, NULL);
	assert_non_null(mip6_dp_find(st, MIP6_DP_CN, &hoa, &cn2));
	/* Refused: unspecified and multicast addresses, an unknown kind. */
	b.coa = ad("::");
	assert_int_equal(mip6_dp_add(st, &b), -EINVAL);
	b.coa = ad(COA);
	b.peer = ad("ff02::1");
	assert_int_equal(mip6_dp_add(st, &b), -EINVAL);
	b.peer = cn1;
	b.hoa = ad("ff0e::1");
	assert_int_equal(mip6_dp_add(st, &b), -EINVAL);
	b.hoa = hoa;
	b.kind = MIP6_DP_KINDS;
	assert_int_equal(mip6_dp_add(st, &b), -EINVAL);
	assert_int_equal(STAT_GET(st, mip6_dp_bad_binding), 4);
	/* Deleting. */
	assert_int_equal(mip6_dp_del(st, MIP6_DP_MN_RO, &hoa, &cn1), 0);
	assert_int_equal(mip6_dp_del(st, MIP6_DP_MN_RO, &hoa, &cn1), -ENOENT);
	assert_null(mip6_dp_find(st, MIP6_DP_MN_RO, &hoa, &cn1));
	assert_non_null(mip6_dp_find(st, MIP6_DP_MN_RO, &hoa, &cn2));
	/* Many home addresses: all found, all deleted (chains within buckets). */
	for (unsigned i = 0; i < 600; i++) {
		struct mip6_dp_binding h = { .kind = MIP6_DP_HA, .coa = ad(COA), .peer = ad(HA_HOME) };

		h.hoa = ad("2001:db8:1::");
		put_be16(h.hoa.s6_addr + 14, (uint16_t)(i + 1));
		assert_int_equal(mip6_dp_add(st, &h), 0);
	}
	for (unsigned i = 0; i < 600; i++) {
		struct in6_addr h = ad("2001:db8:1::");

		put_be16(h.s6_addr + 14, (uint16_t)(i + 1));
		assert_non_null(mip6_dp_find(st, MIP6_DP_HA, &h, NULL));
		if (i % 2)
			assert_int_equal(mip6_dp_del(st, MIP6_DP_HA, &h, NULL), 0);
	}
	assert_int_equal(st->mip6->dp->nkind[MIP6_DP_HA], 300);
	/* mip6_fini (at stack free) frees what is left. */
}

/* --- tunnels: MN -- HA -- CN --- */

static void test_reverse_and_forward_tunnel(void **state)
{
	struct fx *f = *state;
	struct usock *sm, *sc, *sh;
	const uint8_t *ip;
	size_t len;

	dp_bind(MN(f), MIP6_DP_MN_HA, HOA, COA, HA_HOME);
	dp_bind(HA(f), MIP6_DP_HA, HOA, COA, HA_HOME);
	sm = udp_at(MN(f), HOA, 7001);
	sc = lab_udp_bound(CNS(f), AF_INET6, 7000);
	udp_passes(f, sm, CN_HOME, 7000, sc, "reverse", HOA, 7001);
	/* On the foreign link: CoA -> HA, next header 41, the whole packet inside. */
	ip = pkt6_seen(f, f->k0, NH_IPV6, 0, COA, HA_HOME, &len);
	assert_int_equal(len, 40 + 40 + 15);
	assert_int_equal(get_be16(ip + 4), 40 + 15);
	assert_int_equal(ip[7], 64);
	assert_int_equal(ip[40] >> 4, 6);
	assert_int_equal(ip[46], NH_UDP);
	assert_true(addr_is(ip + 48, HOA));
	assert_true(addr_is(ip + 64, CN_HOME));
	assert_true(csum_ok(HOA, CN_HOME, NH_UDP, ip + 80, 15));
	/* On the home link: the inner packet, forwarded (hop limit 63). */
	ip = pkt6_seen(f, f->k1, NH_UDP, 0, HOA, NULL, &len);
	assert_int_equal(ip[7], 63);
	assert_int_equal(STAT_GET(MN(f), mip6_dp_tnl_out_mn), 1);
	assert_int_equal(STAT_GET(HA(f), mip6_dp_tnl_in_ha), 1);

	/* Back: CN -> HoA reaches the HA, which tunnels it to the CoA; no Redirect on the home link. */
	udp_passes(f, sc, HOA, 7001, sm, "forward", CN_HOME, 7000);
	ip = pkt6_seen(f, f->k0, NH_IPV6, 1, HA_HOME, COA, &len);
	assert_int_equal(ip[47], 63);
	assert_true(addr_is(ip + 48, CN_HOME));
	assert_true(addr_is(ip + 64, HOA));
	assert_int_equal(STAT_GET(HA(f), mip6_dp_tnl_out_ha), 1);
	assert_int_equal(STAT_GET(HA(f), ip6_fwd_redirect), 0);
	assert_int_equal(STAT_GET(MN(f), mip6_dp_tnl_in_mn), 1);

	/* The HA's own packet to the home address goes the same way (ip6_finish_output). */
	sh = lab_udp_bound(HA(f), AF_INET6, 7002);
	udp_passes(f, sh, HOA, 7001, sm, "from-ha", HA_HOME, 7002);
	assert_int_equal(STAT_GET(HA(f), mip6_dp_tnl_out_ha), 2);
	assert_int_equal(STAT_GET(MN(f), mip6_dp_tnl_in_mn), 2);
	/* Nothing for the home address went onto the home link. */
	assert_int_equal(lab_count(f->l, f->k1, AF_INET6, NH_UDP), 2);
	usagi_close(sm);
	usagi_close(sc);
	usagi_close(sh);
}

static void test_tunnel_not_ours(void **state)
{
	struct fx *f = *state;
	uint8_t b[128] = { 0x60, 0, 0, 0, 0, 0, NH_UDP, 64 };
	size_t n;

	dp_bind(HA(f), MIP6_DP_HA, HOA, COA, HA_HOME);
	memcpy(b + 8, (struct in6_addr[]){ ad(HOA) }, 16);
	memcpy(b + 24, (struct in6_addr[]){ ad(CN_HOME) }, 16);
	n = mk_udp(b + 40, HOA, CN_HOME, "spoof");
	put_be16(b + 4, (uint16_t)n);
	/* From an address that is not the registered CoA: the old path (unknown next header). */
	inject6(f, f->ha, f->k0, "2001:db8:2::5", HA_HOME, NH_IPV6, b, 40 + n);
	assert_int_equal(STAT_GET(HA(f), mip6_dp_tnl_in_not_ours), 1);
	assert_int_equal(STAT_GET(HA(f), ip6_in_unknown_proto), 1);
	assert_int_equal(STAT_GET(HA(f), mip6_dp_tnl_in_ha), 0);
	/* To the HA's other address: not the tunnel's end either. */
	inject6(f, f->ha, f->k0, COA, HA_FOREIGN, NH_IPV6, b, 40 + n);
	assert_int_equal(STAT_GET(HA(f), mip6_dp_tnl_in_not_ours), 2);
	/* Right endpoints, IPv6-in-IPv6 again inside: refused. */
	b[6] = NH_IPV6;
	inject6(f, f->ha, f->k0, COA, HA_HOME, NH_IPV6, b, 40 + n);
	assert_int_equal(STAT_GET(HA(f), mip6_dp_tnl_in_nested), 1);
	/* Right endpoints: forwarded to the CN. */
	b[6] = NH_UDP;
	inject6(f, f->ha, f->k0, COA, HA_HOME, NH_IPV6, b, 40 + n);
	assert_int_equal(STAT_GET(HA(f), mip6_dp_tnl_in_ha), 1);
	assert_int_equal(lab_count(f->l, f->k1, AF_INET6, NH_UDP), 1);
}

/* --- ESP transport selected by home addresses, with HAO and RH2 on the wire --- */

static void ipsec_with_hao_rh2(struct fx *f, uint8_t proto)
{
	struct xfrm_selector mc = lab_sel(HOA, 128, CN, 128, IPPROTO_UDP);
	struct xfrm_selector cm = lab_sel(CN, 128, HOA, 128, IPPROTO_UDP);
	struct xfrm_tmpl tm = lab_tmpl(proto, XFRM_TMPL_TRANSPORT, NULL, NULL, XFRM_LEVEL_REQUIRE);
	struct usock *sm, *sc;
	const uint8_t *ip;
	size_t len;

	for (int i = 0; i < 2; i++) {
		struct stack *st = i ? CNS(f) : MN(f);

		lab_sa(st, proto, XFRM_MODE_TRANSPORT, HOA, CN, 0x3001, LAB_GCM);
		lab_sa(st, proto, XFRM_MODE_TRANSPORT, CN, HOA, 0x3002, LAB_GCM);
		lab_pol(st, i ? &mc : &cm, XFRM_DIR_IN, XFRM_ACT_IPSEC, 1, &tm);
		lab_pol(st, i ? &cm : &mc, XFRM_DIR_OUT, XFRM_ACT_IPSEC, 1, &tm);
	}
	ro_bound(f, HOA, COA, &sm, &sc);
	udp_passes(f, sm, CN, 7000, sc, "esp-secret-mc", HOA, 7001);
	udp_passes(f, sc, HOA, 7001, sm, "esp-secret-cm", CN, 7000);
	/* AH leaves the payload readable; ESP does not. */
	assert_int_equal(lab_wire_has(f->l, f->k0, "esp-secret", 10), proto == IPPROTO_AH);
	/* RFC 6275 6.3/6.4: ESP or AH after the HAO and after the RH2. */
	ip = pkt6_seen(f, f->k0, NH_DSTOPTS, 0, COA, NULL, &len);
	assert_int_equal(ip[40], proto);
	assert_true(addr_is(ip + 48, HOA));
	assert_int_equal(get_be32(ip + 64 + (proto == IPPROTO_AH ? 4 : 0)), 0x3001);
	ip = pkt6_seen(f, f->k0, NH_ROUTING, 0, NULL, COA, &len);
	assert_int_equal(ip[40], proto);
	assert_true(addr_is(ip + 48, HOA));
	assert_int_equal(get_be32(ip + 64 + (proto == IPPROTO_AH ? 4 : 0)), 0x3002);
	assert_int_equal(STAT_GET(MN(f), xfrm_out_ok), 1);
	assert_int_equal(STAT_GET(CNS(f), xfrm_in_ok), 1);
	assert_int_equal(STAT_GET(CNS(f), xfrm_out_ok), 1);
	assert_int_equal(STAT_GET(MN(f), xfrm_in_ok), 1);
	assert_int_equal(STAT_GET(CNS(f), xfrm_spd_in_nomatch), 0);
	assert_int_equal(STAT_GET(MN(f), xfrm_spd_in_nomatch), 0);
	usagi_close(sm);
	usagi_close(sc);
}

static void test_esp_with_hao_rh2(void **state)
{
	ipsec_with_hao_rh2(*state, IPPROTO_ESP);
}

/* AH's ICV covers the HAO and RH2 as they are at the receiver (RFC 6275 6.3, 9.3.1). */
static void test_ah_with_hao_rh2(void **state)
{
	ipsec_with_hao_rh2(*state, IPPROTO_AH);
}

#define RO_TEST(fn) cmocka_unit_test_setup_teardown(fn, ro_setup, fx_teardown)
#define TNL_TEST(fn) cmocka_unit_test_setup_teardown(fn, tnl_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		RO_TEST(test_ro_hao_and_rh2),
		RO_TEST(test_ro_fragmented),
		RO_TEST(test_hao_needs_binding),
		RO_TEST(test_hao_without_mip6),
		RO_TEST(test_hao_malformed),
		RO_TEST(test_rh2_home_only),
		RO_TEST(test_output_layout),
		RO_TEST(test_nd_bypasses_bindings),
		RO_TEST(test_binding_table),
		TNL_TEST(test_reverse_and_forward_tunnel),
		TNL_TEST(test_tunnel_not_ours),
		RO_TEST(test_esp_with_hao_rh2),
		RO_TEST(test_ah_with_hao_rh2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
