/*
 * The PF_KEY message builder: a growable buffer with a sticky error, so a
 * sequence of pfkey_add_* calls needs one check at pfkey_buf_finish.
 * Every extension is written zeroed and padded to 8 bytes (RFC 2367 2.3).
 * Buffers that ever held key bytes are wiped before they are freed,
 * including the ones left behind when the buffer grows.
 */
#include <stdlib.h>
#include "pfkey/pfkey_priv.h"
#include "crypto/crypto.h"

#define BUF_INITIAL 512

static int set_err(struct pfkey_buf *b, int err)
{
	if (!b->err)
		b->err = err;
	return b->err;
}

static int grow(struct pfkey_buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : BUF_INITIAL;
	uint8_t *n;

	while (cap < need)
		cap *= 2;
	/* Not realloc: the old block may hold keys and must be wiped, not just released. */
	if (!(n = malloc(cap)))
		return set_err(b, -ENOMEM);
	if (b->data) {
		memcpy(n, b->data, b->len);
		if (b->has_keys)
			crypto_wipe(b->data, b->cap);
		free(b->data);
	}
	b->data = n;
	b->cap = cap;
	return 0;
}

int pfkey_buf_init(struct pfkey_buf *b, uint8_t type, uint8_t satype, uint32_t seq, uint32_t pid)
{
	struct sadb_msg *h;

	memset(b, 0, sizeof(*b));
	if (grow(b, BUF_INITIAL) < 0)
		return b->err;
	h = (struct sadb_msg *)(void *)b->data;
	memset(h, 0, sizeof(*h));
	h->sadb_msg_version = PF_KEY_V2;
	h->sadb_msg_type = type;
	h->sadb_msg_satype = satype;
	h->sadb_msg_seq = seq;
	h->sadb_msg_pid = pid;
	h->sadb_msg_len = PFKEY_UNIT64(sizeof(*h));
	b->len = sizeof(*h);
	return 0;
}

int pfkey_buf_reply(struct pfkey_buf *b, const struct sadb_msg *req, int err)
{
	int rc = pfkey_buf_init(b, req->sadb_msg_type, req->sadb_msg_satype, req->sadb_msg_seq,
				req->sadb_msg_pid);

	if (rc == 0)
		pfkey_set_errno(b, err);
	return rc;
}

void pfkey_set_errno(struct pfkey_buf *b, int err)
{
	unsigned e = (unsigned)(err < 0 ? -err : err);

	if (b->data)
		((struct sadb_msg *)(void *)b->data)->sadb_msg_errno = (uint8_t)MIN(e, 255u);
}

int pfkey_buf_finish(struct pfkey_buf *b)
{
	if (b->err)
		return b->err;
	if (!b->data)
		return set_err(b, -EINVAL);
	if (b->len > PFKEY_MSG_MAX)
		return set_err(b, -EMSGSIZE);
	((struct sadb_msg *)(void *)b->data)->sadb_msg_len = (uint16_t)PFKEY_UNIT64(b->len);
	return 0;
}

void pfkey_buf_free(struct pfkey_buf *b)
{
	if (!b)
		return;
	if (b->data && b->has_keys)
		crypto_wipe(b->data, b->cap);
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void *pfkey_buf_ext(struct pfkey_buf *b, uint16_t type, size_t len)
{
	struct sadb_ext *e;
	size_t alen = PFKEY_ALIGN8(len);

	if (b->err)
		return NULL;
	if (!b->data || alen < sizeof(*e) || alen > PFKEY_MSG_MAX) {
		set_err(b, b->data ? -EMSGSIZE : -EINVAL);
		return NULL;
	}
	if (b->len + alen > b->cap && grow(b, b->len + alen) < 0)
		return NULL;
	e = (struct sadb_ext *)(void *)(b->data + b->len);
	memset(e, 0, alen);
	e->sadb_ext_len = (uint16_t)PFKEY_UNIT64(alen);
	e->sadb_ext_type = type;
	b->len += alen;
	return e;
}

int pfkey_add_sa(struct pfkey_buf *b, uint32_t spi, uint32_t replay, uint8_t state,
		 uint8_t auth, uint8_t encrypt, uint32_t flags)
{
	struct sadb_sa *sa = pfkey_buf_ext(b, SADB_EXT_SA, sizeof(*sa));

	if (!sa)
		return b->err;
	sa->sadb_sa_spi = htonl(spi);
	sa->sadb_sa_replay = (uint8_t)MIN(replay, (uint32_t)PFKEY_REPLAY_SA_MAX);
	sa->sadb_sa_state = state;
	sa->sadb_sa_auth = auth;
	sa->sadb_sa_encrypt = encrypt;
	sa->sadb_sa_flags = flags;
	return 0;
}

int pfkey_add_lifetime(struct pfkey_buf *b, uint16_t which, uint32_t allocations,
		       uint64_t bytes, uint64_t addtime, uint64_t usetime)
{
	struct sadb_lifetime *l;

	if (which < SADB_EXT_LIFETIME_CURRENT || which > SADB_EXT_LIFETIME_SOFT)
		return set_err(b, -EINVAL);
	if (!(l = pfkey_buf_ext(b, which, sizeof(*l))))
		return b->err;
	l->sadb_lifetime_allocations = allocations;
	l->sadb_lifetime_bytes = bytes;
	l->sadb_lifetime_addtime = addtime;
	l->sadb_lifetime_usetime = usetime;
	return 0;
}

size_t pfkey_sockaddr_len(uint8_t family)
{
	return family == AF_INET ? sizeof(struct sockaddr_in) :
	       family == AF_INET6 ? sizeof(struct sockaddr_in6) : 0;
}

size_t pfkey_sockaddr_put(uint8_t *p, const struct in6_addr *a, uint8_t family, uint16_t port)
{
	if (family == AF_INET) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

		sin.sin_addr.s_addr = ip4_from_mapped(a);
		memcpy(p, &sin, sizeof(sin));
		return sizeof(sin);
	}
	if (family == AF_INET6) {
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port),
					     .sin6_addr = *a };

		memcpy(p, &sin6, sizeof(sin6));
		return sizeof(sin6);
	}
	return 0;
}

int pfkey_add_address(struct pfkey_buf *b, uint16_t which, const struct in6_addr *a,
		      uint8_t family, uint16_t port, uint8_t plen, uint8_t proto)
{
	size_t salen = pfkey_sockaddr_len(family);
	unsigned full = family == AF_INET ? 32 : 128;
	struct sadb_address *e;

	if (plen == 0xff)
		plen = (uint8_t)full;
	if (!salen || plen > full || (which != SADB_EXT_ADDRESS_SRC && which != SADB_EXT_ADDRESS_DST &&
				      which != SADB_EXT_ADDRESS_PROXY && which != SADB_X_EXT_NAT_T_OA))
		return set_err(b, -EINVAL);
	if (!(e = pfkey_buf_ext(b, which, sizeof(*e) + salen)))
		return b->err;
	e->sadb_address_proto = proto;
	e->sadb_address_prefixlen = plen;
	pfkey_sockaddr_put((uint8_t *)(e + 1), a, family, port);
	return 0;
}

int pfkey_add_key(struct pfkey_buf *b, uint16_t which, unsigned bits, const void *bytes)
{
	size_t n = ((size_t)bits + 7) / 8;
	struct sadb_key *k;

	if ((which != SADB_EXT_KEY_AUTH && which != SADB_EXT_KEY_ENCRYPT) || bits > 0xffff)
		return set_err(b, -EINVAL);
	b->has_keys = true;   /* before the copy: growth from here on wipes */
	if (!(k = pfkey_buf_ext(b, which, sizeof(*k) + n)))
		return b->err;
	k->sadb_key_bits = (uint16_t)bits;
	if (n)
		memcpy(k + 1, bytes, n);
	return 0;
}

int pfkey_add_spirange(struct pfkey_buf *b, uint32_t min, uint32_t max)
{
	struct sadb_spirange *r = pfkey_buf_ext(b, SADB_EXT_SPIRANGE, sizeof(*r));

	if (!r)
		return b->err;
	r->sadb_spirange_min = min;
	r->sadb_spirange_max = max;
	return 0;
}

int pfkey_add_sa2(struct pfkey_buf *b, uint8_t mode, uint32_t reqid)
{
	struct sadb_x_sa2 *s = pfkey_buf_ext(b, SADB_X_EXT_SA2, sizeof(*s));

	if (!s)
		return b->err;
	s->sadb_x_sa2_mode = mode;
	s->sadb_x_sa2_reqid = reqid;
	return 0;
}

int pfkey_add_sa_replay(struct pfkey_buf *b, uint32_t window)
{
	struct sadb_x_sa_replay *r = pfkey_buf_ext(b, SADB_X_EXT_SA_REPLAY, sizeof(*r));

	if (!r)
		return b->err;
	r->sadb_x_sa_replay_replay = window;
	return 0;
}

static int add_port(struct pfkey_buf *b, uint16_t which, uint16_t port)
{
	struct sadb_x_nat_t_port *p = pfkey_buf_ext(b, which, sizeof(*p));

	if (!p)
		return b->err;
	p->sadb_x_nat_t_port_port = htons(port);
	return 0;
}

int pfkey_add_natt(struct pfkey_buf *b, uint8_t type, uint16_t sport, uint16_t dport)
{
	struct sadb_x_nat_t_type *t = pfkey_buf_ext(b, SADB_X_EXT_NAT_T_TYPE, sizeof(*t));

	if (!t)
		return b->err;
	t->sadb_x_nat_t_type_type = type;
	if (add_port(b, SADB_X_EXT_NAT_T_SPORT, sport) < 0)
		return b->err;
	return add_port(b, SADB_X_EXT_NAT_T_DPORT, dport);
}

int pfkey_add_ident(struct pfkey_buf *b, uint16_t which, uint16_t type, uint64_t id, const char *str)
{
	size_t n = str ? strlen(str) + 1 : 0;
	struct sadb_ident *e;

	if ((which != SADB_EXT_IDENTITY_SRC && which != SADB_EXT_IDENTITY_DST) || n > PFKEY_MSG_MAX)
		return set_err(b, -EINVAL);
	if (!(e = pfkey_buf_ext(b, which, sizeof(*e) + n)))
		return b->err;
	e->sadb_ident_type = type;
	e->sadb_ident_id = id;
	if (n)
		memcpy(e + 1, str, n);
	return 0;
}

int pfkey_add_policy_id(struct pfkey_buf *b, uint8_t type, uint8_t dir, uint32_t id,
			uint32_t priority)
{
	struct sadb_x_policy *p = pfkey_buf_ext(b, SADB_X_EXT_POLICY, sizeof(*p));

	if (!p)
		return b->err;
	p->sadb_x_policy_type = type;
	p->sadb_x_policy_dir = dir;
	p->sadb_x_policy_id = id;
	p->sadb_x_policy_priority = priority;
	return 0;
}
