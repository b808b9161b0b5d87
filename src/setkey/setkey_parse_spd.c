/*
 * setkey statements for the SPD:
 *
 *   spdadd [-46n] src_range dst_range upperspec [type[,code]] policy ;
 *   spdupdate ... (same) ;   spddelete ... -P direction ;   spdflush ;   spddump ;
 *   policy := -P in|out|fwd [prio SPEC] discard|none|ipsec REQUEST... 
 *   REQUEST := protocol/mode/[src-dst]/[level[:reqid]]
 *
 * upperspec ICMP/ICMPv6 `type[,code]` and Mobility Header `type` go into
 * the selector's port fields as Linux keeps them (sport = type, dport =
 * code); 0 is a wildcard there, as in KAME. In RFC mode (the default, as
 * ipsec-tools on Linux) an `in` policy carries SETKEY_F_WITH_FWD: the
 * executor installs a `fwd` twin, so forwarded tunnel traffic passes.
 */
#include <stdlib.h>
#include "setkey/setkey_priv.h"

static const struct {
	const char *name;
	uint8_t proto;
} proto_names[] = {
	{ "any", XFRM_PROTO_ANY }, { "icmp", IPPROTO_ICMP }, { "igmp", 2 }, { "ipencap", 4 },
	{ "ip4", 4 }, { "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP }, { "dccp", 33 },
	{ "ipv6", 41 }, { "gre", 47 }, { "esp", IPPROTO_ESP }, { "ah", IPPROTO_AH },
	{ "icmp6", IPPROTO_ICMPV6 }, { "ipv6-icmp", IPPROTO_ICMPV6 }, { "ipcomp", IPPROTO_COMP },
	{ "sctp", 132 }, { "mh", 135 }, { "mobility-header", 135 }, { "ipv6-mh", 135 },
	{ "udplite", 136 },
};

#define PROTO_MH 135

const char *setkey_proto_name(uint8_t proto)
{
	static const char *const names[256] = {
		[IPPROTO_ICMP] = "icmp", [2] = "igmp", [4] = "ipencap", [IPPROTO_TCP] = "tcp",
		[IPPROTO_UDP] = "udp", [33] = "dccp", [41] = "ipv6", [47] = "gre",
		[IPPROTO_ESP] = "esp", [IPPROTO_AH] = "ah", [IPPROTO_ICMPV6] = "ipv6-icmp",
		[IPPROTO_COMP] = "ipcomp", [132] = "sctp", [PROTO_MH] = "mobility-header",
		[136] = "udplite", [XFRM_PROTO_ANY] = "any",
	};
	return names[proto];
}

static bool proto_has_type(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6 || proto == PROTO_MH;
}

static int parse_upperspec(struct sk_parser *p, const struct sk_tok *t, uint8_t *proto)
{
	char buf[32];
	uint64_t v;

	for (size_t i = 0; i < ARRAY_SIZE(proto_names); i++) {
		if (sk_tok_is(t, proto_names[i].name)) {
			*proto = proto_names[i].proto;
			return 0;
		}
	}
	if (sk_parse_u64(t->s, t->len, false, 255, &v) < 0)
		return sk_error(p, t, "unknown upper-layer protocol \"%s\" (a name such as tcp, udp, "
				"icmp6, mh, any, or a number 0..255)", sk_tok_str(t, buf, sizeof(buf)));
	*proto = v == 0 ? XFRM_PROTO_ANY : (uint8_t)v;
	return 0;
}

/* `type[,code]` after icmp/icmp6, `type` after mh. */
static int parse_type_code(struct sk_parser *p, const struct sk_tok *t, struct xfrm_selector *sel)
{
	const char *comma = memchr(t->s, ',', t->len);
	size_t tlen = comma ? (size_t)(comma - t->s) : t->len;
	uint64_t type, code = 0;
	char buf[32];

	if (!proto_has_type(sel->proto))
		return sk_error(p, t, "unexpected \"%s\": only icmp, icmp6 and mh take a type",
				sk_tok_str(t, buf, sizeof(buf)));
	if (sk_parse_u64(t->s, tlen, false, 255, &type) < 0 ||
	    (comma && sk_parse_u64(comma + 1, t->len - tlen - 1, false, 255, &code) < 0))
		return sk_error(p, t, "invalid %s \"%s\" (0..255%s)",
				sel->proto == PROTO_MH ? "mobility header type" : "type[,code]",
				sk_tok_str(t, buf, sizeof(buf)), sel->proto == PROTO_MH ? "" : ",0..255");
	if (comma && sel->proto == PROTO_MH)
		return sk_error(p, t, "the mobility header has a type, no code");
	sel->sport = (uint16_t)type;
	sel->dport = (uint16_t)code;
	return 0;
}

/* src_range dst_range upperspec [type[,code]] into @sel. */
static int parse_selector(struct sk_parser *p, struct xfrm_selector *sel)
{
	struct sk_addr src, dst;
	struct sk_tok t;
	uint8_t af;
	int rc;

	if ((rc = sk_parse_af_flags(p, &af)) < 0 ||
	    (rc = sk_expect_word(p, &t, "a source range")) < 0 ||
	    (rc = sk_parse_addr(p, &t, true, af, &src)) < 0 ||
	    (rc = sk_expect_word(p, &t, "a destination range")) < 0 ||
	    (rc = sk_parse_addr(p, &t, true, af, &dst)) < 0)
		return rc;
	if (src.family != dst.family)
		return sk_error(p, &t, "source and destination ranges are of different families");
	*sel = (struct xfrm_selector){ .src = src.a, .dst = dst.a, .splen = src.plen,
				       .dplen = dst.plen, .family = src.family,
				       .sport = src.port, .dport = dst.port };
	if ((rc = sk_expect_word(p, &t, "an upper-layer protocol")) < 0 ||
	    (rc = parse_upperspec(p, &t, &sel->proto)) < 0)
		return rc;
	if (proto_has_type(sel->proto) && (src.port || dst.port))
		return sk_error(p, &t, "icmp, icmp6 and mh have no ports: give `%s TYPE[,CODE]` instead",
				setkey_proto_name(sel->proto));
	if ((rc = sk_peek(p, &t)) < 0)
		return rc;
	if (t.type == SK_WORD && t.s[0] != '-') {
		sk_next(p, &t);
		return parse_type_code(p, &t, sel);
	}
	return 0;
}

/* A signed offset word ("5", "-5", "+5"), as ipsec-tools' priority offsets. */
static int parse_offset(struct sk_parser *p, const struct sk_tok *t, int64_t *out)
{
	bool neg = t->len > 1 && t->s[0] == '-';
	size_t skip = t->len > 1 && (t->s[0] == '-' || t->s[0] == '+');
	uint64_t v;
	char buf[24];

	if (sk_parse_u64(t->s + skip, t->len - skip, false, 1ull << 32, &v) < 0)
		return sk_error(p, t, "invalid priority \"%s\"", sk_tok_str(t, buf, sizeof(buf)));
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

/*
 * `prio N` or `prio low|def|high [+|- N]`: ipsec-tools' user-facing
 * priority, higher placed first; the SPD's value (lower wins) is
 * base - offset, with def = 2^31 (ipsec-tools' PRIORITY_DEFAULT).
 */
static int parse_priority(struct sk_parser *p, uint32_t *prio)
{
	int64_t base = SETKEY_PRIO_DEFAULT, off = 0, v;
	struct sk_tok t, at;
	int rc;

	if ((rc = sk_expect_word(p, &t, "a priority")) < 0)
		return rc;
	at = t;
	if (sk_tok_is(&t, "low") || sk_tok_is(&t, "def") || sk_tok_is(&t, "high")) {
		base = t.s[0] == 'l' ? SETKEY_PRIO_LOW : t.s[0] == 'd' ? SETKEY_PRIO_DEFAULT :
		       SETKEY_PRIO_HIGH;
		if ((rc = sk_peek(p, &t)) < 0)
			return rc;
		if (sk_tok_is(&t, "+") || sk_tok_is(&t, "-")) {
			bool neg = t.s[0] == '-';

			sk_next(p, &t);
			if ((rc = sk_expect_word(p, &t, "a priority offset")) < 0 ||
			    (rc = parse_offset(p, &t, &off)) < 0)
				return rc;
			off = neg ? -off : off;
		} else if (t.type == SK_WORD && t.len > 1 && (t.s[0] == '+' || t.s[0] == '-') &&
			   t.s[1] >= '0' && t.s[1] <= '9') {
			sk_next(p, &t);
			if ((rc = parse_offset(p, &t, &off)) < 0)
				return rc;
		}
	} else if ((rc = parse_offset(p, &t, &off)) < 0) {
		return rc;
	}
	v = base - off;
	if (v < 0 || v > UINT32_MAX)
		return sk_error(p, &at, "priority out of range");
	*prio = (uint32_t)v;
	return 0;
}

static int parse_level(struct sk_parser *p, const struct sk_tok *t, const char *s, size_t len,
		       struct xfrm_tmpl *tp)
{
	const char *colon = memchr(s, ':', len);
	size_t n = colon ? (size_t)(colon - s) : len;
	uint64_t v;

	if (n == 0 || (n == 7 && !memcmp(s, "default", 7)))
		tp->level = XFRM_LEVEL_DEFAULT;
	else if (n == 3 && !memcmp(s, "use", 3))
		tp->level = XFRM_LEVEL_USE;
	else if (n == 7 && !memcmp(s, "require", 7))
		tp->level = XFRM_LEVEL_REQUIRE;
	else if (n == 6 && !memcmp(s, "unique", 6))
		tp->level = XFRM_LEVEL_UNIQUE;
	else
		return sk_error(p, t, "unknown level \"%.*s\" (default, use, require or unique[:N])",
				(int)MIN(n, 24), s);
	if (!colon)
		return 0;
	if (tp->level != XFRM_LEVEL_UNIQUE)
		return sk_error(p, t, "only unique takes :N (the reqid)");
	if (sk_parse_u64(colon + 1, len - n - 1, false, XFRM_REQID_MANUAL_MAX, &v) < 0 || v == 0)
		return sk_error(p, t, "unique:N: N must be 1..%u", XFRM_REQID_MANUAL_MAX);
	tp->reqid = (uint32_t)v;
	return 0;
}

/* "A-B" tunnel endpoints (IPv6 addresses have no '-'); [port]s are accepted and ignored. */
static int parse_endpoints(struct sk_parser *p, const struct sk_tok *t, const char *s, size_t len,
			   struct xfrm_tmpl *tp)
{
	const char *dash = memchr(s, '-', len);
	struct sk_tok part = *t;
	struct sk_addr a, b;
	int rc;

	if (!dash || dash == s || dash == s + len - 1)
		return sk_error(p, t, "a tunnel request needs its endpoints as SRC-DST");
	part.s = s;
	part.len = (size_t)(dash - s);
	if ((rc = sk_parse_addr(p, &part, false, 0, &a)) < 0)
		return rc;
	part.s = dash + 1;
	part.len = len - part.len - 1;
	if ((rc = sk_parse_addr(p, &part, false, 0, &b)) < 0)
		return rc;
	if (a.family != b.family)
		return sk_error(p, t, "tunnel endpoints are of different families");
	if (a.has_port || b.has_port)
		sk_note(p, t, "ports on tunnel endpoints are ignored");
	tp->family = a.family;
	tp->saddr = a.a;
	tp->daddr = b.a;
	return 0;
}

/* Splits "a/b/c/d" into at most 4 fields; -1 when there are more. */
static int split_slashes(const struct sk_tok *t, const char *f[4], size_t fl[4])
{
	const char *s = t->s, *end = t->s + t->len;
	int n = 0;

	for (;;) {
		const char *slash = memchr(s, '/', (size_t)(end - s));

		if (n == 4)
			return -1;
		f[n] = s;
		fl[n] = slash ? (size_t)(slash - s) : (size_t)(end - s);
		n++;
		if (!slash)
			return n;
		s = slash + 1;
	}
}

/* protocol/mode/src-dst/level */
static int parse_request(struct sk_parser *p, const struct sk_tok *t, struct xfrm_tmpl *tp)
{
	const char *f[4] = { 0 };
	size_t fl[4] = { 0 };
	int n = split_slashes(t, f, fl), rc;
	char buf[48];

	memset(tp, 0, sizeof(*tp));
	if (n < 2)
		return sk_error(p, t, "invalid request \"%s\" (protocol/mode/src-dst/level)",
				sk_tok_str(t, buf, sizeof(buf)));
	if (fl[0] == 3 && !memcmp(f[0], "esp", 3))
		tp->proto = IPPROTO_ESP;
	else if (fl[0] == 2 && !memcmp(f[0], "ah", 2))
		tp->proto = IPPROTO_AH;
	else if (fl[0] == 6 && !memcmp(f[0], "ipcomp", 6))
		tp->proto = IPPROTO_COMP;
	else
		return sk_error(p, t, "invalid request \"%s\": protocol is esp, ah or ipcomp",
				sk_tok_str(t, buf, sizeof(buf)));
	if (fl[1] == 9 && !memcmp(f[1], "transport", 9))
		tp->mode = XFRM_TMPL_TRANSPORT;
	else if (fl[1] == 6 && !memcmp(f[1], "tunnel", 6))
		tp->mode = XFRM_TMPL_TUNNEL;
	else
		return sk_error(p, t, "invalid request \"%s\": mode is transport or tunnel",
				sk_tok_str(t, buf, sizeof(buf)));
	if (tp->mode == XFRM_TMPL_TUNNEL) {
		if ((rc = parse_endpoints(p, t, n > 2 ? f[2] : "", n > 2 ? fl[2] : 0, tp)) < 0)
			return rc;
	}
	/* Transport endpoints are legal in the syntax but mean nothing: the SPD ignores them. */
	return parse_level(p, t, n > 3 ? f[3] : "", n > 3 ? fl[3] : 0, tp);
}

static int parse_action(struct sk_parser *p, struct xfrm_policy *pol)
{
	struct sk_tok t;
	char buf[32];
	int rc;

	if ((rc = sk_expect_word(p, &t, "discard, none or ipsec")) < 0)
		return rc;
	if (sk_tok_is(&t, "prio") || sk_tok_is(&t, "priority")) {
		if ((rc = parse_priority(p, &pol->priority)) < 0 ||
		    (rc = sk_expect_word(p, &t, "discard, none or ipsec")) < 0)
			return rc;
	}
	if (sk_tok_is(&t, "discard"))
		pol->action = XFRM_ACT_BLOCK;
	else if (sk_tok_is(&t, "none"))
		pol->action = XFRM_ACT_ALLOW;
	else if (sk_tok_is(&t, "ipsec"))
		pol->action = XFRM_ACT_IPSEC;
	else if (sk_tok_is(&t, "entrust") || sk_tok_is(&t, "bypass"))
		return sk_error(p, &t, "%s applies to per-socket policies, which setkey does not set",
				sk_tok_str(&t, buf, sizeof(buf)));
	else
		return sk_error(p, &t, "unknown policy \"%s\" (discard, none or ipsec)",
				sk_tok_str(&t, buf, sizeof(buf)));
	return 0;
}

static int parse_requests(struct sk_parser *p, struct xfrm_policy *pol)
{
	struct sk_tok t;
	int rc;

	for (;;) {
		if ((rc = sk_next(p, &t)) < 0)
			return rc;
		if (t.type == SK_SEMI)
			break;
		if (t.type != SK_WORD)
			return sk_error(p, &t, t.type == SK_EOF ?
					"expected \";\" at the end of the statement, found end of input" :
					"expected a request (protocol/mode/src-dst/level)");
		if (pol->action != XFRM_ACT_IPSEC) {
			char buf[32];

			return sk_error(p, &t, "expected \";\" at the end of the statement, found \"%s\"",
					sk_tok_str(&t, buf, sizeof(buf)));
		}
		if (pol->ntmpl == XFRM_TMPL_MAX)
			return sk_error(p, &t, "more than %d requests", XFRM_TMPL_MAX);
		if ((rc = parse_request(p, &t, &pol->tmpl[pol->ntmpl])) < 0)
			return rc;
		pol->ntmpl++;
	}
	if (pol->action == XFRM_ACT_IPSEC && pol->ntmpl == 0)
		return sk_error(p, &t, "ipsec needs at least one request (e.g. esp/transport//require)");
	return 0;
}

static int parse_direction(struct sk_parser *p, struct xfrm_policy *pol)
{
	struct sk_tok t;
	char buf[32];
	int rc;

	if ((rc = sk_expect_word(p, &t, "-P")) < 0)
		return rc;
	if (sk_tok_is(&t, "-ctx"))
		return sk_error(p, &t, "-ctx: security contexts (SELinux labels) are not supported");
	if (!sk_tok_is(&t, "-P"))
		return sk_error(p, &t, "expected -P DIRECTION, found \"%s\"",
				sk_tok_str(&t, buf, sizeof(buf)));
	if ((rc = sk_expect_word(p, &t, "a direction (in, out or fwd)")) < 0)
		return rc;
	if (sk_tok_is(&t, "in"))
		pol->dir = XFRM_DIR_IN;
	else if (sk_tok_is(&t, "out"))
		pol->dir = XFRM_DIR_OUT;
	else if (sk_tok_is(&t, "fwd"))
		pol->dir = XFRM_DIR_FWD;
	else
		return sk_error(p, &t, "unknown direction \"%s\" (in, out or fwd)",
				sk_tok_str(&t, buf, sizeof(buf)));
	return 0;
}

/* spddelete needs only the direction; what follows it (a full policy) is accepted unread. */
static int skip_to_end(struct sk_parser *p)
{
	struct sk_tok t;
	int rc;

	do {
		if ((rc = sk_next(p, &t)) < 0)
			return rc;
		if (t.type == SK_EOF)
			return sk_error(p, &t, "expected \";\" at the end of the statement, "
					"found end of input");
	} while (t.type != SK_SEMI);
	return 0;
}

int sk_stmt_spd(struct sk_parser *p, const struct sk_tok *cmd, enum setkey_op_type type)
{
	struct setkey_op *op = sk_new_op(p, type, cmd);
	struct sk_tok t;
	int rc;

	if (!op)
		return -EINVAL;
	if ((rc = sk_peek(p, &t)) < 0)
		return rc;
	if (sk_tok_is(&t, "tagged"))
		return sk_error(p, &t, "tagged (PF tag) policies are not supported");
	if ((rc = parse_selector(p, &op->pol.sel)) < 0 || (rc = parse_direction(p, &op->pol)) < 0)
		return rc;
	op->pol.priority = SETKEY_PRIO_DEFAULT;
	if (op->pol.dir == XFRM_DIR_IN && !(p->opts & SETKEY_PARSE_KERNEL))
		op->flags |= SETKEY_F_WITH_FWD;
	if (type == SETKEY_SPDDELETE)
		return skip_to_end(p);
	if (type == SETKEY_SPDUPDATE)
		op->pol_flags = XFRM_POLICY_F_UPDATE;
	if ((rc = parse_action(p, &op->pol)) < 0)
		return rc;
	return parse_requests(p, &op->pol);
}

int sk_stmt_spd_simple(struct sk_parser *p, const struct sk_tok *cmd, enum setkey_op_type type)
{
	if (!sk_new_op(p, type, cmd))
		return -EINVAL;
	return sk_expect_end(p);
}
