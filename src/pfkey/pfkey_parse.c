/*
 * PF_KEYv2 framing: one message checked end to end before anything reads
 * its meaning (RFC 2367 2.3, 3.1). Each extension type has a row in a
 * const table (its smallest size, whether the size is fixed, and a
 * validator for what follows the struct); pfkey_parse walks the chain
 * once, bounds-checking every length against what is left of the message.
 */
#include "pfkey/pfkey_priv.h"

/* Linux's sockaddr sizes: the wire uses the Linux layout (sa_family first, no sa_len). */
#define SIN_LEN  sizeof(struct sockaddr_in)
#define SIN6_LEN sizeof(struct sockaddr_in6)

typedef int (*ext_check_fn)(const uint8_t *e, size_t len, const char **why);

struct ext_rule {
	uint16_t min;                /* bytes: the struct */
	bool exact;                  /* the struct and nothing after it */
	ext_check_fn check;          /* what follows the struct, NULL: anything */
	const char *name;
};

/* A sockaddr of @len bytes at @p: its family, length and address. -EINVAL if malformed. */
int pfkey_sockaddr_get(const uint8_t *p, size_t len, struct pfkey_sockaddr *out)
{
	uint16_t family;

	if (len < 2)
		return -EINVAL;
	memcpy(&family, p, 2);
	memset(out, 0, sizeof(*out));
	if (family == AF_INET && len >= SIN_LEN) {
		struct sockaddr_in sin;

		memcpy(&sin, p, SIN_LEN);
		out->family = AF_INET;
		out->salen = SIN_LEN;
		out->port = ntohs(sin.sin_port);
		ip4_to_mapped(&out->addr, sin.sin_addr.s_addr);
		return 0;
	}
	if (family == AF_INET6 && len >= SIN6_LEN) {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, p, SIN6_LEN);
		out->family = AF_INET6;
		out->salen = SIN6_LEN;
		out->port = ntohs(sin6.sin6_port);
		out->addr = sin6.sin6_addr;
		return 0;
	}
	return -EINVAL;
}

static int check_address(const uint8_t *e, size_t len, const char **why)
{
	const struct sadb_address *a = (const void *)e;
	struct pfkey_sockaddr sa;

	if (pfkey_sockaddr_get(e + sizeof(*a), len - sizeof(*a), &sa) < 0) {
		*why = "address: not a whole sockaddr_in/sockaddr_in6";
		return -EINVAL;
	}
	/* RFC 2367 2.3.5: the sockaddr padded to 8 bytes, and nothing else. */
	if (len != sizeof(*a) + PFKEY_ALIGN8(sa.salen)) {
		*why = "address: extension length does not match its sockaddr";
		return -EINVAL;
	}
	if (a->sadb_address_prefixlen > (sa.family == AF_INET ? 32 : 128)) {
		*why = "address: prefix length longer than the address";
		return -EINVAL;
	}
	return 0;
}

static int check_key(const uint8_t *e, size_t len, const char **why)
{
	const struct sadb_key *k = (const void *)e;

	/* RFC 2367 2.3.6: the bits, rounded up to bytes, inside the extension. */
	if (((size_t)k->sadb_key_bits + 7) / 8 > len - sizeof(*k)) {
		*why = "key: more key bits than the extension holds";
		return -EINVAL;
	}
	return 0;
}

static int check_ident(const uint8_t *e, size_t len, const char **why)
{
	/* RFC 2367 2.3.7: an identity string is NUL-terminated inside the extension. */
	if (len > sizeof(struct sadb_ident) &&
	    !memchr(e + sizeof(struct sadb_ident), 0, len - sizeof(struct sadb_ident))) {
		*why = "identity: string not NUL-terminated";
		return -EINVAL;
	}
	return 0;
}

static int check_sens(const uint8_t *e, size_t len, const char **why)
{
	const struct sadb_sens *s = (const void *)e;
	size_t words = (size_t)s->sadb_sens_sens_len + s->sadb_sens_integ_len;

	/* RFC 2367 2.3.8: the two bitmaps, and nothing else, follow. */
	if (len != sizeof(*s) + words * 8) {
		*why = "sensitivity: bitmap lengths do not match the extension";
		return -EINVAL;
	}
	return 0;
}

static int check_prop(const uint8_t *e, size_t len, const char **why)
{
	if ((len - sizeof(struct sadb_prop)) % sizeof(struct sadb_comb)) {
		*why = "proposal: not a whole number of sadb_comb";
		return -EINVAL;
	}
	return 0;
}

/* One ipsecrequest of @len bytes (its own length, already inside the policy). */
static int check_request(const uint8_t *r, size_t len, const char **why)
{
	struct pfkey_sockaddr s, d;

	if (len == sizeof(struct sadb_x_ipsecrequest))
		return 0;
	if (pfkey_sockaddr_get(r + 16, len - 16, &s) < 0 ||
	    pfkey_sockaddr_get(r + 16 + s.salen, len - 16 - s.salen, &d) < 0 ||
	    s.family != d.family) {
		*why = "ipsecrequest: endpoints are not two sockaddrs of one family";
		return -EINVAL;
	}
	/* The pair back to back, padded once (what Linux and libipsec write). */
	if (len != 16 + PFKEY_ALIGN8((size_t)2 * s.salen)) {
		*why = "ipsecrequest: length does not match its endpoints";
		return -EINVAL;
	}
	return 0;
}

static int check_policy(const uint8_t *e, size_t len, const char **why)
{
	size_t off = sizeof(struct sadb_x_policy);

	while (off < len) {
		const struct sadb_x_ipsecrequest *rq = (const void *)(e + off);
		size_t rlen;

		if (len - off < sizeof(*rq)) {
			*why = "ipsecrequest: truncated";
			return -EINVAL;
		}
		rlen = rq->sadb_x_ipsecrequest_len;
		if (rlen < sizeof(*rq) || rlen % 8 || rlen > len - off) {
			*why = "ipsecrequest: bad length";
			return -EINVAL;
		}
		if (check_request(e + off, rlen, why) < 0)
			return -EINVAL;
		off += rlen;
	}
	return 0;
}

static const struct ext_rule ext_rules[PFKEY_EXT_SLOTS] = {
	[SADB_EXT_SA] = { sizeof(struct sadb_sa), true, NULL, "SADB_EXT_SA" },
	[SADB_EXT_LIFETIME_CURRENT] = { 32, true, NULL, "SADB_EXT_LIFETIME_CURRENT" },
	[SADB_EXT_LIFETIME_HARD] = { 32, true, NULL, "SADB_EXT_LIFETIME_HARD" },
	[SADB_EXT_LIFETIME_SOFT] = { 32, true, NULL, "SADB_EXT_LIFETIME_SOFT" },
	[SADB_EXT_ADDRESS_SRC] = { 8, false, check_address, "SADB_EXT_ADDRESS_SRC" },
	[SADB_EXT_ADDRESS_DST] = { 8, false, check_address, "SADB_EXT_ADDRESS_DST" },
	[SADB_EXT_ADDRESS_PROXY] = { 8, false, check_address, "SADB_EXT_ADDRESS_PROXY" },
	[SADB_EXT_KEY_AUTH] = { 8, false, check_key, "SADB_EXT_KEY_AUTH" },
	[SADB_EXT_KEY_ENCRYPT] = { 8, false, check_key, "SADB_EXT_KEY_ENCRYPT" },
	[SADB_EXT_IDENTITY_SRC] = { 16, false, check_ident, "SADB_EXT_IDENTITY_SRC" },
	[SADB_EXT_IDENTITY_DST] = { 16, false, check_ident, "SADB_EXT_IDENTITY_DST" },
	[SADB_EXT_SENSITIVITY] = { 16, false, check_sens, "SADB_EXT_SENSITIVITY" },
	[SADB_EXT_PROPOSAL] = { 8, false, check_prop, "SADB_EXT_PROPOSAL" },
	/* sadb_alg is 8 bytes: any 8-aligned length is whole entries. */
	[SADB_EXT_SUPPORTED_AUTH] = { 8, false, NULL, "SADB_EXT_SUPPORTED_AUTH" },
	[SADB_EXT_SUPPORTED_ENCRYPT] = { 8, false, NULL, "SADB_EXT_SUPPORTED_ENCRYPT" },
	[SADB_EXT_SPIRANGE] = { 16, true, NULL, "SADB_EXT_SPIRANGE" },
	[SADB_X_EXT_KMPRIVATE] = { 8, false, NULL, "SADB_X_EXT_KMPRIVATE" },
	[SADB_X_EXT_POLICY] = { 16, false, check_policy, "SADB_X_EXT_POLICY" },
	[SADB_X_EXT_SA2] = { 16, true, NULL, "SADB_X_EXT_SA2" },
	[SADB_X_EXT_NAT_T_TYPE] = { 8, true, NULL, "SADB_X_EXT_NAT_T_TYPE" },
	[SADB_X_EXT_NAT_T_SPORT] = { 8, true, NULL, "SADB_X_EXT_NAT_T_SPORT" },
	[SADB_X_EXT_NAT_T_DPORT] = { 8, true, NULL, "SADB_X_EXT_NAT_T_DPORT" },
	[SADB_X_EXT_NAT_T_OA] = { 8, false, check_address, "SADB_X_EXT_NAT_T_OA" },
	[SADB_X_EXT_SA_REPLAY] = { 8, true, NULL, "SADB_X_EXT_SA_REPLAY" },
};

static const char *const msg_names[SADB_MAX + 1] = {
	[SADB_RESERVED] = "SADB_RESERVED", [SADB_GETSPI] = "SADB_GETSPI",
	[SADB_UPDATE] = "SADB_UPDATE", [SADB_ADD] = "SADB_ADD", [SADB_DELETE] = "SADB_DELETE",
	[SADB_GET] = "SADB_GET", [SADB_ACQUIRE] = "SADB_ACQUIRE",
	[SADB_REGISTER] = "SADB_REGISTER", [SADB_EXPIRE] = "SADB_EXPIRE",
	[SADB_FLUSH] = "SADB_FLUSH", [SADB_DUMP] = "SADB_DUMP",
	[SADB_X_PROMISC] = "SADB_X_PROMISC", [SADB_X_PCHANGE] = "SADB_X_PCHANGE",
	[SADB_X_SPDUPDATE] = "SADB_X_SPDUPDATE", [SADB_X_SPDADD] = "SADB_X_SPDADD",
	[SADB_X_SPDDELETE] = "SADB_X_SPDDELETE", [SADB_X_SPDGET] = "SADB_X_SPDGET",
	[SADB_X_SPDACQUIRE] = "SADB_X_SPDACQUIRE", [SADB_X_SPDDUMP] = "SADB_X_SPDDUMP",
	[SADB_X_SPDFLUSH] = "SADB_X_SPDFLUSH", [SADB_X_SPDSETIDX] = "SADB_X_SPDSETIDX",
	[SADB_X_SPDEXPIRE] = "SADB_X_SPDEXPIRE", [SADB_X_SPDDELETE2] = "SADB_X_SPDDELETE2",
	[SADB_X_NAT_T_NEW_MAPPING] = "SADB_X_NAT_T_NEW_MAPPING", [SADB_X_MIGRATE] = "SADB_X_MIGRATE",
};

const char *pfkey_msg_type_name(unsigned type)
{
	return type < ARRAY_SIZE(msg_names) && msg_names[type] ? msg_names[type] : "UNKNOWN";
}

const char *pfkey_ext_type_name(unsigned type)
{
	return type < ARRAY_SIZE(ext_rules) && ext_rules[type].name ? ext_rules[type].name : "UNKNOWN";
}

/* Message types usagi parses: every one up to SADB_MAX but those it does not serve. */
static bool msg_type_known(unsigned type)
{
	return type >= SADB_GETSPI && type <= SADB_MAX && type != SADB_X_PCHANGE &&
	       type != SADB_X_SPDACQUIRE && type != SADB_X_MIGRATE;
}

static int fail(struct pfkey_msg *m, int err, const char *why)
{
	m->why = why;
	return err;
}

/* One extension at @off, @len bytes long (already inside the message). */
static int parse_ext(struct pfkey_msg *m, const uint8_t *e, size_t len)
{
	const struct sadb_ext *x = (const void *)e;
	const struct ext_rule *r;
	unsigned type = x->sadb_ext_type;

	if (type >= ARRAY_SIZE(ext_rules) || !ext_rules[type].name)
		return fail(m, -EINVAL, "unknown extension type");
	if (m->ext[type])
		return fail(m, -EINVAL, "duplicate extension type");
	r = &ext_rules[type];
	if (len < r->min || (r->exact && len != r->min))
		return fail(m, -EINVAL, r->exact ? "extension length differs from its struct" :
			    "extension shorter than its struct");
	if (r->check && r->check(e, len, &m->why) < 0)
		return -EINVAL;
	m->ext[type] = x;
	return 0;
}

static int parse_header(const uint8_t *p, size_t len, struct pfkey_msg *m)
{
	const struct sadb_msg *h = (const void *)p;

	if (len < sizeof(*h))
		return fail(m, -EMSGSIZE, "shorter than a sadb_msg");
	if (h->sadb_msg_version != PF_KEY_V2)
		return fail(m, -EINVAL, "not PF_KEY version 2");
	if (h->sadb_msg_reserved != 0)
		return fail(m, -EINVAL, "sadb_msg_reserved is not zero");
	if (len % 8 || (size_t)h->sadb_msg_len * 8 != len)
		return fail(m, -EMSGSIZE, "sadb_msg_len does not match the message size");
	if (!msg_type_known(h->sadb_msg_type))
		return fail(m, -EOPNOTSUPP, "message type not supported");
	m->hdr = h;
	m->len = len;
	return 0;
}

int pfkey_parse(const void *buf, size_t len, struct pfkey_msg *m)
{
	const uint8_t *p = buf;
	size_t off = sizeof(struct sadb_msg);
	int rc;

	memset(m, 0, sizeof(*m));
	if ((rc = parse_header(p, len, m)) < 0)
		return rc;
	while (off < len) {
		const struct sadb_ext *x = (const void *)(p + off);
		size_t elen = (size_t)x->sadb_ext_len * 8;

		/* off and len are multiples of 8, so the 4-byte header is there. */
		if (elen == 0)
			return fail(m, -EINVAL, "zero-length extension");
		if (elen > len - off)
			return fail(m, -EINVAL, "extension runs past the end of the message");
		if ((rc = parse_ext(m, p + off, elen)) < 0)
			return rc;
		off += elen;
	}
	return 0;
}

int pfkey_get_address(const struct pfkey_msg *m, unsigned type, struct pfkey_addr *out)
{
	const struct sadb_address *a;
	struct pfkey_sockaddr sa;

	if (type >= PFKEY_EXT_SLOTS || !m->ext[type] || ext_rules[type].check != check_address)
		return -ENOENT;
	a = (const void *)m->ext[type];
	if (pfkey_sockaddr_get((const uint8_t *)a + sizeof(*a),
			       (size_t)a->sadb_address_len * 8 - sizeof(*a), &sa) < 0)
		return -EINVAL;   /* not after pfkey_parse */
	out->addr = sa.addr;
	out->family = sa.family;
	out->port = sa.port;
	out->plen = a->sadb_address_prefixlen;
	out->proto = a->sadb_address_proto;
	return 0;
}

const uint8_t *pfkey_get_key(const struct pfkey_msg *m, unsigned type, unsigned *bits)
{
	const struct sadb_key *k;

	if ((type != SADB_EXT_KEY_AUTH && type != SADB_EXT_KEY_ENCRYPT) || !m->ext[type])
		return NULL;
	k = (const void *)m->ext[type];
	*bits = k->sadb_key_bits;
	return (const uint8_t *)k + sizeof(*k);
}

uint32_t pfkey_get_spi(const struct pfkey_msg *m)
{
	const struct sadb_sa *sa = PFKEY_EXT(m, SADB_EXT_SA, sadb_sa);

	return sa ? ntohl(sa->sadb_sa_spi) : 0;
}
