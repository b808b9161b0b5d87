/*
 * Which extensions each message type needs and which it may carry: RFC
 * 2367 3.1.1-3.1.10 for the SA messages, KAME's for the SPD ones, as a
 * const table. "May carry" is the union of the request and the node's
 * reply or broadcast of that type, so one rule set serves the node
 * (checking requests) and clients (checking what the node sent). A reply
 * with sadb_msg_errno set carries no extensions (RFC 2367 3.1) and is
 * checked only for that.
 */
#include "pfkey/pfkey_priv.h"

#define B(t) ((uint64_t)1 << (t))

/* How a message type constrains sadb_msg_satype. */
enum satype_rule {
	ST_SA,        /* AH, ESP or IPComp */
	ST_ANY,       /* UNSPEC or one of those */
	ST_UNSPEC,    /* SPD messages: UNSPEC */
	ST_PROMISC,   /* X_PROMISC: 0 (off) or 1 (on), as Linux reads it */
};

struct msg_rule {
	uint64_t need;            /* extensions that must be present */
	uint64_t may;             /* extensions that may be present (need included) */
	enum satype_rule satype;
	bool same_family;         /* SRC and DST, when both present, of one family */
};

#define ADDRS    (B(SADB_EXT_ADDRESS_SRC) | B(SADB_EXT_ADDRESS_DST))
#define LIFES    (B(SADB_EXT_LIFETIME_CURRENT) | B(SADB_EXT_LIFETIME_HARD) | \
		  B(SADB_EXT_LIFETIME_SOFT))
#define KEYS     (B(SADB_EXT_KEY_AUTH) | B(SADB_EXT_KEY_ENCRYPT))
#define IDENTS   (B(SADB_EXT_IDENTITY_SRC) | B(SADB_EXT_IDENTITY_DST))
#define NATT     (B(SADB_X_EXT_NAT_T_TYPE) | B(SADB_X_EXT_NAT_T_SPORT) | \
		  B(SADB_X_EXT_NAT_T_DPORT) | B(SADB_X_EXT_NAT_T_OA))
/* Everything an SA message (ADD/UPDATE/GET reply/DUMP reply/EXPIRE) may hold. */
#define SA_ALL   (B(SADB_EXT_SA) | ADDRS | B(SADB_EXT_ADDRESS_PROXY) | LIFES | KEYS | IDENTS | \
		  B(SADB_EXT_SENSITIVITY) | B(SADB_X_EXT_SA2) | NATT | B(SADB_X_EXT_SA_REPLAY) | \
		  B(SADB_X_EXT_KMPRIVATE))
/* Everything a policy message may hold. */
#define SPD_ALL  (ADDRS | B(SADB_X_EXT_POLICY) | LIFES)

static const struct msg_rule msg_rules[SADB_MAX + 1] = {
	/* 3.1.1: <base, address(SD), SPI range>; reply <base, SA, address(SD)> (Linux
	 * answers with the whole larval SA, which has no keys). */
	[SADB_GETSPI] = { ADDRS, (SA_ALL & ~KEYS) | B(SADB_EXT_SPIRANGE), ST_SA, true },
	/* 3.1.2/3.1.3: <base, SA, (lifetime(HS)), address(SD), (address(P)), key(AE), ...>. */
	[SADB_UPDATE] = { B(SADB_EXT_SA) | ADDRS, SA_ALL, ST_SA, true },
	[SADB_ADD] = { B(SADB_EXT_SA) | ADDRS, SA_ALL, ST_SA, true },
	/* 3.1.4: <base, SA, address(SD)> (Linux needs the SA: no KAME delete-all);
	 * the broadcast of a deletion may describe the whole SA. */
	[SADB_DELETE] = { B(SADB_EXT_SA) | ADDRS, SA_ALL, ST_SA, true },
	/* 3.1.5: <base, SA, address(SD)>; reply: the whole SA. */
	[SADB_GET] = { B(SADB_EXT_SA) | ADDRS, SA_ALL, ST_SA, true },
	/* 3.1.6: <base, address(SD), (address(P)), (identity(SD)), (sensitivity), proposal>,
	 * and Linux's X_POLICY naming the policy that wanted the SA. */
	[SADB_ACQUIRE] = { ADDRS | B(SADB_EXT_PROPOSAL), ADDRS | B(SADB_EXT_PROPOSAL) |
			   B(SADB_EXT_ADDRESS_PROXY) | IDENTS | B(SADB_EXT_SENSITIVITY) |
			   B(SADB_X_EXT_POLICY) | B(SADB_X_EXT_SA2), ST_SA, true },
	/* 3.1.7: <base>; reply <base, supported>. */
	[SADB_REGISTER] = { 0, B(SADB_EXT_SUPPORTED_AUTH) | B(SADB_EXT_SUPPORTED_ENCRYPT), ST_ANY },
	/* 3.1.8: <base, SA, lifetime(C and one of HS), address(SD)>. */
	[SADB_EXPIRE] = { B(SADB_EXT_SA) | ADDRS | B(SADB_EXT_LIFETIME_CURRENT), SA_ALL, ST_SA, true },
	/* 3.1.9: <base>. */
	[SADB_FLUSH] = { 0, 0, ST_ANY },
	/* 3.1.10: <base>; each reply: a whole SA. */
	[SADB_DUMP] = { 0, SA_ALL, ST_ANY, true },
	[SADB_X_PROMISC] = { 0, 0, ST_PROMISC },
	/* KAME SPD messages: the selector in the addresses, the rest in X_POLICY. */
	[SADB_X_SPDUPDATE] = { ADDRS | B(SADB_X_EXT_POLICY), SPD_ALL, ST_UNSPEC, true },
	[SADB_X_SPDADD] = { ADDRS | B(SADB_X_EXT_POLICY), SPD_ALL, ST_UNSPEC, true },
	[SADB_X_SPDSETIDX] = { ADDRS | B(SADB_X_EXT_POLICY), SPD_ALL, ST_UNSPEC, true },
	[SADB_X_SPDDELETE] = { ADDRS | B(SADB_X_EXT_POLICY), SPD_ALL, ST_UNSPEC, true },
	/* By policy id: X_POLICY alone; the reply is the whole policy. */
	[SADB_X_SPDDELETE2] = { B(SADB_X_EXT_POLICY), SPD_ALL, ST_UNSPEC, true },
	[SADB_X_SPDGET] = { B(SADB_X_EXT_POLICY), SPD_ALL, ST_UNSPEC, true },
	[SADB_X_SPDDUMP] = { 0, SPD_ALL, ST_UNSPEC, true },
	[SADB_X_SPDFLUSH] = { 0, 0, ST_UNSPEC },
	[SADB_X_SPDEXPIRE] = { ADDRS | B(SADB_X_EXT_POLICY), SPD_ALL, ST_UNSPEC, true },
	/* node -> daemons: <base, SA, address(S), NAT-T sport, address(D), NAT-T dport>. */
	[SADB_X_NAT_T_NEW_MAPPING] = { B(SADB_EXT_SA) | ADDRS | B(SADB_X_EXT_NAT_T_SPORT) |
				       B(SADB_X_EXT_NAT_T_DPORT), B(SADB_EXT_SA) | ADDRS |
				       B(SADB_X_EXT_NAT_T_SPORT) | B(SADB_X_EXT_NAT_T_DPORT) |
				       B(SADB_X_EXT_NAT_T_TYPE), ST_SA, true },
};

/* Static reasons, one per extension, so the reason names the missing/forbidden one. */
static const char *ext_reason(bool missing, unsigned type)
{
	static char const *const need[PFKEY_EXT_SLOTS] = {
		[SADB_EXT_SA] = "message needs SADB_EXT_SA",
		[SADB_EXT_LIFETIME_CURRENT] = "message needs SADB_EXT_LIFETIME_CURRENT",
		[SADB_EXT_ADDRESS_SRC] = "message needs SADB_EXT_ADDRESS_SRC",
		[SADB_EXT_ADDRESS_DST] = "message needs SADB_EXT_ADDRESS_DST",
		[SADB_EXT_PROPOSAL] = "message needs SADB_EXT_PROPOSAL",
		[SADB_X_EXT_POLICY] = "message needs SADB_X_EXT_POLICY",
		[SADB_X_EXT_NAT_T_SPORT] = "message needs SADB_X_EXT_NAT_T_SPORT",
		[SADB_X_EXT_NAT_T_DPORT] = "message needs SADB_X_EXT_NAT_T_DPORT",
	};
	static char const *const forbid[PFKEY_EXT_SLOTS] = {
		[SADB_EXT_SA] = "SADB_EXT_SA not allowed in this message",
		[SADB_EXT_LIFETIME_CURRENT] = "SADB_EXT_LIFETIME_CURRENT not allowed in this message",
		[SADB_EXT_LIFETIME_HARD] = "SADB_EXT_LIFETIME_HARD not allowed in this message",
		[SADB_EXT_LIFETIME_SOFT] = "SADB_EXT_LIFETIME_SOFT not allowed in this message",
		[SADB_EXT_ADDRESS_SRC] = "SADB_EXT_ADDRESS_SRC not allowed in this message",
		[SADB_EXT_ADDRESS_DST] = "SADB_EXT_ADDRESS_DST not allowed in this message",
		[SADB_EXT_ADDRESS_PROXY] = "SADB_EXT_ADDRESS_PROXY not allowed in this message",
		[SADB_EXT_KEY_AUTH] = "SADB_EXT_KEY_AUTH not allowed in this message",
		[SADB_EXT_KEY_ENCRYPT] = "SADB_EXT_KEY_ENCRYPT not allowed in this message",
		[SADB_EXT_IDENTITY_SRC] = "SADB_EXT_IDENTITY_SRC not allowed in this message",
		[SADB_EXT_IDENTITY_DST] = "SADB_EXT_IDENTITY_DST not allowed in this message",
		[SADB_EXT_SENSITIVITY] = "SADB_EXT_SENSITIVITY not allowed in this message",
		[SADB_EXT_PROPOSAL] = "SADB_EXT_PROPOSAL not allowed in this message",
		[SADB_EXT_SUPPORTED_AUTH] = "SADB_EXT_SUPPORTED_AUTH not allowed in this message",
		[SADB_EXT_SUPPORTED_ENCRYPT] = "SADB_EXT_SUPPORTED_ENCRYPT not allowed in this message",
		[SADB_EXT_SPIRANGE] = "SADB_EXT_SPIRANGE not allowed in this message",
		[SADB_X_EXT_KMPRIVATE] = "SADB_X_EXT_KMPRIVATE not allowed in this message",
		[SADB_X_EXT_POLICY] = "SADB_X_EXT_POLICY not allowed in this message",
		[SADB_X_EXT_SA2] = "SADB_X_EXT_SA2 not allowed in this message",
		[SADB_X_EXT_NAT_T_TYPE] = "SADB_X_EXT_NAT_T_TYPE not allowed in this message",
		[SADB_X_EXT_NAT_T_SPORT] = "SADB_X_EXT_NAT_T_SPORT not allowed in this message",
		[SADB_X_EXT_NAT_T_DPORT] = "SADB_X_EXT_NAT_T_DPORT not allowed in this message",
		[SADB_X_EXT_NAT_T_OA] = "SADB_X_EXT_NAT_T_OA not allowed in this message",
		[SADB_X_EXT_SA_REPLAY] = "SADB_X_EXT_SA_REPLAY not allowed in this message",
	};
	const char *r = type < PFKEY_EXT_SLOTS ? (missing ? need : forbid)[type] : NULL;

	return r ? r : missing ? "message lacks a required extension" :
		   "extension not allowed in this message";
}

static bool satype_served(uint8_t t)
{
	return t == SADB_SATYPE_AH || t == SADB_SATYPE_ESP || t == SADB_X_SATYPE_IPCOMP;
}

/* RSVP, OSPFv2, RIPv2, MIP: real SA types, no transform for them here. */
static bool satype_unserved(uint8_t t)
{
	return t >= SADB_SATYPE_RSVP && t <= SADB_SATYPE_MIP;
}

static int check_satype(enum satype_rule rule, uint8_t t, const char **why)
{
	switch (rule) {
	case ST_SA:
		if (satype_served(t))
			return 0;
		break;
	case ST_ANY:
		if (t == SADB_SATYPE_UNSPEC || satype_served(t))
			return 0;
		break;
	case ST_UNSPEC:
		if (t == SADB_SATYPE_UNSPEC)
			return 0;
		*why = "SPD messages take SA type UNSPEC";
		return -EINVAL;
	case ST_PROMISC:
		if (t <= 1)
			return 0;
		*why = "X_PROMISC takes 0 (off) or 1 (on) in sadb_msg_satype";
		return -EINVAL;
	}
	if (satype_unserved(t)) {
		*why = "SA type not supported";
		return -EOPNOTSUPP;
	}
	*why = "bad SA type for this message";
	return -EINVAL;
}

/* Cross-extension rules: one family for SRC/DST, a sane SPI range. */
static int check_cross(const struct pfkey_msg *m, const struct msg_rule *r, const char **why)
{
	const struct sadb_spirange *sr = PFKEY_EXT(m, SADB_EXT_SPIRANGE, sadb_spirange);
	struct pfkey_addr s, d;

	if (r->same_family && pfkey_get_address(m, SADB_EXT_ADDRESS_SRC, &s) == 0 &&
	    pfkey_get_address(m, SADB_EXT_ADDRESS_DST, &d) == 0 && s.family != d.family) {
		*why = "source and destination addresses of different families";
		return -EINVAL;
	}
	if (sr && sr->sadb_spirange_min > sr->sadb_spirange_max) {
		*why = "SPI range minimum above its maximum";
		return -EINVAL;
	}
	return 0;
}

int pfkey_check_why(const struct pfkey_msg *m, const char **why)
{
	const char *dummy;
	const struct msg_rule *r;
	uint64_t have = 0;
	int rc;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (!m->hdr || m->hdr->sadb_msg_type > SADB_MAX) {
		*why = "message type not supported";
		return -EOPNOTSUPP;
	}
	r = &msg_rules[m->hdr->sadb_msg_type];
	if (!r->may && !r->need && m->hdr->sadb_msg_type != SADB_FLUSH &&
	    m->hdr->sadb_msg_type != SADB_X_PROMISC && m->hdr->sadb_msg_type != SADB_X_SPDFLUSH) {
		*why = "message type not supported";
		return -EOPNOTSUPP;
	}
	for (unsigned t = 1; t < PFKEY_EXT_SLOTS; t++)
		if (m->ext[t])
			have |= B(t);
	/* RFC 2367 3.1: a failed request comes back as its header alone. */
	if (m->hdr->sadb_msg_errno)
		return have ? (*why = "an error reply carries no extensions", -EINVAL) : 0;
	if ((rc = check_satype(r->satype, m->hdr->sadb_msg_satype, why)) < 0)
		return rc;
	if (r->need & ~have) {
		*why = ext_reason(true, (unsigned)__builtin_ctzll(r->need & ~have));
		return -EINVAL;
	}
	if (have & ~r->may) {
		*why = ext_reason(false, (unsigned)__builtin_ctzll(have & ~r->may));
		return -EINVAL;
	}
	return check_cross(m, r, why);
}

int pfkey_check(const struct pfkey_msg *m)
{
	return pfkey_check_why(m, NULL);
}
