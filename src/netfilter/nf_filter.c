/*
 * The filter's rule language and ruleset: parsing `filter add` words into
 * struct nf_rule, the per-chain arrays, evaluation and the nft-shaped
 * listing. The hook glue (packet -> nf_pktinfo, reject) is in
 * nf_filter_hook.c.
 */
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <arpa/inet.h>
#include "netfilter/nf_filter.h"
#include "netfilter/nf_filter_priv.h"
#include "core/stack.h"
#include "ipv4/ipv4.h"
#include "proto/ip4.h"
#include "link/netdev.h"

static const char *const chain_names[NF_FILTER_NCHAINS] = { "input", "forward", "output" };
static const char *const verdict_names[] = { "accept", "drop", "reject" };
static const char *const ct_names[] = { "new", "established", "related", "invalid", "untracked" };

static const struct { const char *name; uint8_t proto; } l4_names[] = {
	{ "tcp", 6 }, { "udp", 17 }, { "icmp", 1 }, { "icmpv6", 58 },
	{ "esp", 50 }, { "ah", 51 }, { "mh", 135 },    /* mh: the Mobility Header (RFC 6275) */
};

const char *nf_filter_l4_name(uint8_t proto)
{
	for (size_t i = 0; i < ARRAY_SIZE(l4_names); i++)
		if (l4_names[i].proto == proto)
			return l4_names[i].name;
	return NULL;
}

int nf_filter_chain_parse(const char *s)
{
	for (int i = 0; i < NF_FILTER_NCHAINS; i++)
		if (strcmp(s, chain_names[i]) == 0)
			return i;
	return -EINVAL;
}

static int fail(char *err, size_t n, const char *what, const char *arg)
{
	snprintf(err, n, "%s \"%s\"", what, arg);
	return -EINVAL;
}

static int parse_num(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!*s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return *end || errno || *out > max ? -EINVAL : 0;
}

static int parse_ct(const char *s, uint8_t *bits)
{
	char buf[128];

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	*bits = 0;
	for (char *save, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(ct_names) && strcmp(w, ct_names[i]); i++)
			;
		if (i == ARRAY_SIZE(ct_names))
			return -EINVAL;
		*bits |= (uint8_t)(1u << i);
	}
	return *bits ? 0 : -EINVAL;
}

/* A name of l4_names or a protocol number 0..255, as nft takes both. */
static int parse_l4(const char *s, uint8_t *proto)
{
	unsigned long v;

	for (size_t i = 0; i < ARRAY_SIZE(l4_names); i++) {
		if (strcmp(s, l4_names[i].name) == 0) {
			*proto = l4_names[i].proto;
			return 0;
		}
	}
	if (parse_num(s, 255, &v) < 0)
		return -EINVAL;
	*proto = (uint8_t)v;
	return 0;
}

static int parse_icmp6_range(const char *s, struct nf_rule *r)
{
	char buf[16], *dash;
	unsigned long lo, hi;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash)
		*dash++ = '\0';
	if (parse_num(buf, 255, &lo) < 0 || (dash && parse_num(dash, 255, &hi) < 0))
		return -EINVAL;
	if (!dash)
		hi = lo;
	if (hi < lo)
		return -EINVAL;
	r->icmp6_lo = (uint8_t)lo;
	r->icmp6_hi = (uint8_t)hi;
	return 0;
}

/* `ip6|ip saddr|daddr PREFIX`. */
static int parse_addr(struct nf_rule *r, const char *fam, const char *dir, const char *v,
		      char *err, size_t n)
{
	bool src = strcmp(dir, "saddr") == 0;
	unsigned plen;

	if (!src && strcmp(dir, "daddr") != 0)
		return fail(err, n, "expected saddr or daddr, got", dir);
	if (strcmp(fam, "ip6") == 0) {
		struct in6_addr a;

		if (!strchr(v, ':') || in6_parse_prefix(v, &a, &plen) < 0)
			return fail(err, n, "invalid IPv6 prefix", v);
		in6_prefix_mask(&a, plen);
		*(src ? &r->saddr6 : &r->daddr6) = a;
		*(src ? &r->splen6 : &r->dplen6) = (uint8_t)plen;
		r->match |= src ? NF_M_SADDR6 : NF_M_DADDR6;
	} else {
		uint32_t a;

		if (strchr(v, ':') || ip4_parse_prefix(v, &a, &plen) < 0)
			return fail(err, n, "invalid IPv4 prefix", v);
		a &= ip4_mask(plen);
		*(src ? &r->saddr4 : &r->daddr4) = a;
		*(src ? &r->splen4 : &r->dplen4) = (uint8_t)plen;
		r->match |= src ? NF_M_SADDR4 : NF_M_DADDR4;
	}
	return 0;
}

static int parse_ifname(char *dst, const char *v, char *err, size_t n)
{
	if (strlen(v) >= 16 || !*v)
		return fail(err, n, "invalid interface name", v);
	strcpy(dst, v);
	return 0;
}

/* Matches with one value word: argv[0] key, argv[1] sub-key or value. Returns words used or -EINVAL. */
static int parse_match(struct nf_rule *r, int argc, char **argv, char *err, size_t n)
{
	const char *k = argv[0];
	unsigned long v;

	if (argc < 2)
		return fail(err, n, "missing value after", k);
	if (!strcmp(k, "iif") || !strcmp(k, "oif")) {
		r->match |= k[0] == 'i' ? NF_M_IIF : NF_M_OIF;
		return parse_ifname(k[0] == 'i' ? r->iif : r->oif, argv[1], err, n) < 0 ? -EINVAL : 2;
	}
	if (!strcmp(k, "ipsec")) {
		if (strcmp(argv[1], "in") && strcmp(argv[1], "out"))
			return fail(err, n, "expected in or out after ipsec, got", argv[1]);
		r->match |= NF_M_IPSEC;
		r->ipsec_out = argv[1][0] == 'o';
		return 2;
	}
	if (argc < 3)
		return fail(err, n, "missing value after", argv[1]);
	if (!strcmp(k, "ip6") || !strcmp(k, "ip"))
		return parse_addr(r, k, argv[1], argv[2], err, n) < 0 ? -EINVAL : 3;
	if (!strcmp(k, "meta") && !strcmp(argv[1], "l4proto")) {
		if (parse_l4(argv[2], &r->l4proto) < 0)
			return fail(err, n, "unknown protocol (tcp, udp, icmp, icmpv6, esp, ah, mh or 0..255)", argv[2]);
		r->match |= NF_M_L4PROTO;
		return 3;
	}
	if (!strcmp(k, "th") && (!strcmp(argv[1], "sport") || !strcmp(argv[1], "dport"))) {
		bool s = argv[1][0] == 's';

		if (parse_num(argv[2], 65535, &v) < 0)
			return fail(err, n, "invalid port", argv[2]);
		*(s ? &r->sport : &r->dport) = (uint16_t)v;
		r->match |= s ? NF_M_SPORT : NF_M_DPORT;
		return 3;
	}
	if (!strcmp(k, "ct") && !strcmp(argv[1], "state")) {
		if (parse_ct(argv[2], &r->ct_states) < 0)
			return fail(err, n, "invalid ct state", argv[2]);
		r->match |= NF_M_CTSTATE;
		return 3;
	}
	if (!strcmp(k, "icmpv6") && !strcmp(argv[1], "type")) {
		if (parse_icmp6_range(argv[2], r) < 0)
			return fail(err, n, "invalid icmpv6 type", argv[2]);
		r->match |= NF_M_ICMP6TYPE;
		return 3;
	}
	if (!strcmp(k, "fib") && !strcmp(argv[1], "saddr") && argc >= 4 &&
	    !strcmp(argv[2], "type") && !strcmp(argv[3], "local")) {
		r->match |= NF_M_LOCALSRC;
		return 4;
	}
	return fail(err, n, "unknown match", k);
}

int nf_filter_parse(int argc, char **argv, struct nf_rule *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < argc;) {
		for (size_t v = 0; v < ARRAY_SIZE(verdict_names); v++) {
			if (strcmp(argv[i], verdict_names[v]) == 0) {
				/* nft's `reject with tcp reset`: three more words. */
				if (v == NF_FILTER_REJECT && argc - i == 4 && !strcmp(argv[i + 1], "with") &&
				    !strcmp(argv[i + 2], "tcp") && !strcmp(argv[i + 3], "reset")) {
					r->verdict = NF_FILTER_REJECT_TCP;
					return 0;
				}
				if (i + 1 < argc)
					return fail(err, errlen, "unexpected word after verdict",
						    argv[i + 1]);
				r->verdict = (uint8_t)v;
				return 0;
			}
		}
		int used = parse_match(r, argc - i, argv + i, err, errlen);

		if (used < 0)
			return used;
		i += used;
	}
	snprintf(err, errlen, "missing verdict (accept, drop or reject)");
	return -EINVAL;
}
