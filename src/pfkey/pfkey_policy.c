/*
 * PF_KEY <-> SPD: KAME's policy messages (the selector in the SRC/DST
 * address extensions, the rest in X_POLICY with one ipsecrequest per
 * template) to and from struct xfrm_policy; and the algorithm lists the
 * node advertises (REGISTER's SUPPORTED, ACQUIRE's PROPOSAL) built from
 * the crypto table.
 */
#include "pfkey/pfkey_priv.h"
#include "crypto/crypto.h"

static int bad(const char **why, const char *reason)
{
	*why = reason;
	return -EINVAL;
}

/* ---- Wire -> xfrm_policy -------------------------------------------------------------- */

static int policy_selector(const struct pfkey_msg *m, struct xfrm_selector *sel, const char **why)
{
	struct pfkey_addr s, d;
	bool hs = pfkey_get_address(m, SADB_EXT_ADDRESS_SRC, &s) == 0;
	bool hd = pfkey_get_address(m, SADB_EXT_ADDRESS_DST, &d) == 0;

	if (!hs && !hd)
		return 0;   /* SPDGET/SPDDELETE2 name the policy by id */
	if (!hs || !hd)
		return bad(why, "policy selector needs both addresses");
	if (s.family != d.family)
		return bad(why, "source and destination addresses of different families");
	if (s.proto != d.proto)
		return bad(why, "source and destination upper-layer protocols differ");
	sel->family = s.family;
	sel->src = s.addr;
	sel->dst = d.addr;
	sel->splen = s.plen;
	sel->dplen = d.plen;
	sel->proto = s.proto == 0 ? XFRM_PROTO_ANY : s.proto;
	/* PF_KEY: a port of 0 is any; any other port is exact (the SPD's normal form). */
	sel->sport = s.port;
	sel->dport = d.port;
	sel->sport_mask = s.port ? 0xffff : 0;
	sel->dport_mask = d.port ? 0xffff : 0;
	return 0;
}

static void endpoint_in(struct in6_addr *out, const struct pfkey_sockaddr *sa)
{
	/* An all-zero endpoint (0.0.0.0 or ::) is the SPD's "any": ::. */
	if (sa->family == AF_INET && ip4_from_mapped(&sa->addr) == 0)
		memset(out, 0, sizeof(*out));
	else
		*out = sa->addr;
}

/* One ipsecrequest (framing already checked by pfkey_parse) into @t. */
static int policy_tmpl(const struct sadb_x_ipsecrequest *rq, uint8_t sel_family,
		       struct xfrm_tmpl *t, const char **why)
{
	const uint8_t *p = (const uint8_t *)rq;
	struct pfkey_sockaddr s, d;
	int mode;

	memset(t, 0, sizeof(*t));
	t->proto = (uint8_t)rq->sadb_x_ipsecrequest_proto;
	if (rq->sadb_x_ipsecrequest_proto != IPPROTO_ESP && rq->sadb_x_ipsecrequest_proto != IPPROTO_AH &&
	    rq->sadb_x_ipsecrequest_proto != IPPROTO_COMP)
		return bad(why, "ipsecrequest protocol is not esp, ah or ipcomp");
	if ((mode = pfkey_mode_to_xfrm(rq->sadb_x_ipsecrequest_mode)) < 0)
		return bad(why, "ipsecrequest mode is not transport or tunnel");
	if (rq->sadb_x_ipsecrequest_level > IPSEC_LEVEL_UNIQUE)
		return bad(why, "ipsecrequest level is not default, use, require or unique");
	t->mode = (uint8_t)mode;
	t->level = rq->sadb_x_ipsecrequest_level;
	t->reqid = rq->sadb_x_ipsecrequest_reqid;
	/* Transport endpoints mean nothing to the SPD (as in setkey); tunnel ones are the SA's. */
	if (mode != XFRM_MODE_TUNNEL)
		return 0;
	t->family = sel_family;
	if (rq->sadb_x_ipsecrequest_len == sizeof(*rq))
		return 0;
	if (pfkey_sockaddr_get(p + sizeof(*rq), rq->sadb_x_ipsecrequest_len - sizeof(*rq), &s) < 0 ||
	    pfkey_sockaddr_get(p + sizeof(*rq) + s.salen,
			       rq->sadb_x_ipsecrequest_len - sizeof(*rq) - s.salen, &d) < 0)
		return bad(why, "ipsecrequest endpoints malformed");
	t->family = s.family;
	endpoint_in(&t->saddr, &s);
	endpoint_in(&t->daddr, &d);
	return 0;
}

static int policy_tmpls(const struct sadb_x_policy *xp, struct xfrm_policy *pol, const char **why)
{
	const uint8_t *p = (const uint8_t *)xp;
	size_t len = (size_t)xp->sadb_x_policy_len * 8, off = sizeof(*xp);
	int rc;

	while (off + sizeof(struct sadb_x_ipsecrequest) <= len) {
		const struct sadb_x_ipsecrequest *rq = (const void *)(p + off);

		if (rq->sadb_x_ipsecrequest_len < sizeof(*rq))
			return bad(why, "ipsecrequest: bad length");   /* not after pfkey_parse */
		if (pol->action != XFRM_ACT_IPSEC)
			return bad(why, "ipsecrequests in a policy that is not ipsec");
		if (pol->ntmpl == XFRM_TMPL_MAX)
			return bad(why, "more ipsecrequests than the SPD holds (6)");
		if ((rc = policy_tmpl(rq, pol->sel.family, &pol->tmpl[pol->ntmpl], why)) < 0)
			return rc;
		pol->ntmpl++;
		off += rq->sadb_x_ipsecrequest_len;
	}
	if (pol->action == XFRM_ACT_IPSEC && pol->ntmpl == 0)
		return bad(why, "ipsec policy without ipsecrequests");
	return 0;
}

/* KAME/Linux SPDADD: HARD's addtime is the policy's lifetime, its usetime the idle time ("validtime"). */
static void policy_lifetimes(const struct pfkey_msg *m, struct xfrm_policy_lifetime *l)
{
	const struct sadb_lifetime *h = PFKEY_EXT(m, SADB_EXT_LIFETIME_HARD, sadb_lifetime);
	const struct sadb_lifetime *s = PFKEY_EXT(m, SADB_EXT_LIFETIME_SOFT, sadb_lifetime);

	if (h) {
		l->hard_add_s = h->sadb_lifetime_addtime;
		l->hard_use_s = h->sadb_lifetime_usetime;
	}
	if (s) {
		l->soft_add_s = s->sadb_lifetime_addtime;
		l->soft_use_s = s->sadb_lifetime_usetime;
	}
}

int pfkey_to_policy(const struct pfkey_msg *m, struct xfrm_policy *pol, const char **why)
{
	const struct sadb_x_policy *xp = PFKEY_EXT(m, SADB_X_EXT_POLICY, sadb_x_policy);
	const char *dummy;
	int dir, rc;

	if (!why)
		why = &dummy;
	*why = NULL;
	memset(pol, 0, sizeof(*pol));
	if (!xp)
		return bad(why, "policy message needs SADB_X_EXT_POLICY");
	if ((dir = pfkey_dir_to_xfrm(xp->sadb_x_policy_dir)) < 0)
		return bad(why, "policy direction is not in, out or fwd");
	pol->dir = (uint8_t)dir;
	switch (xp->sadb_x_policy_type) {
	case IPSEC_POLICY_DISCARD: pol->action = XFRM_ACT_BLOCK; break;
	case IPSEC_POLICY_NONE: pol->action = XFRM_ACT_ALLOW; break;
	case IPSEC_POLICY_IPSEC: pol->action = XFRM_ACT_IPSEC; break;
	default: return bad(why, "policy type is not discard, none or ipsec");
	}
	pol->priority = xp->sadb_x_policy_priority;
	pol->index = xp->sadb_x_policy_id;
	policy_lifetimes(m, &pol->lft);
	if ((rc = policy_selector(m, &pol->sel, why)) < 0)
		return rc;
	return policy_tmpls(xp, pol, why);
}

/* ---- xfrm_policy -> wire -------------------------------------------------------------- */

static size_t request_len(const struct xfrm_tmpl *t, uint8_t fam)
{
	return t->mode == XFRM_MODE_TUNNEL ? 16 + PFKEY_ALIGN8(2 * pfkey_sockaddr_len(fam)) : 16;
}

static uint8_t tmpl_family(const struct xfrm_tmpl *t, const struct xfrm_policy *pol)
{
	return t->family ? t->family : pol->sel.family;
}

static int policy_ext(struct pfkey_buf *b, const struct xfrm_policy *pol)
{
	static const uint8_t types[] = { [XFRM_ACT_ALLOW] = IPSEC_POLICY_NONE,
		[XFRM_ACT_BLOCK] = IPSEC_POLICY_DISCARD, [XFRM_ACT_IPSEC] = IPSEC_POLICY_IPSEC };
	size_t len = sizeof(struct sadb_x_policy), off;
	struct sadb_x_policy *xp;

	if (pol->action > XFRM_ACT_IPSEC || pol->dir >= XFRM_DIR_MAX || pol->ntmpl > XFRM_TMPL_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < pol->ntmpl; i++) {
		if (pol->tmpl[i].mode == XFRM_MODE_TUNNEL &&
		    !pfkey_sockaddr_len(tmpl_family(&pol->tmpl[i], pol)))
			return -EINVAL;
		len += request_len(&pol->tmpl[i], tmpl_family(&pol->tmpl[i], pol));
	}
	if (!(xp = pfkey_buf_ext(b, SADB_X_EXT_POLICY, len)))
		return b->err;
	xp->sadb_x_policy_type = types[pol->action];
	xp->sadb_x_policy_dir = pfkey_dir_from_xfrm(pol->dir);
	xp->sadb_x_policy_id = pol->index;
	xp->sadb_x_policy_priority = pol->priority;
	off = sizeof(*xp);
	for (unsigned i = 0; pol->action == XFRM_ACT_IPSEC && i < pol->ntmpl; i++) {
		const struct xfrm_tmpl *t = &pol->tmpl[i];
		uint8_t fam = tmpl_family(t, pol);
		uint8_t *p = (uint8_t *)xp + off;
		struct sadb_x_ipsecrequest *rq = (void *)p;

		rq->sadb_x_ipsecrequest_len = (uint16_t)request_len(t, fam);
		rq->sadb_x_ipsecrequest_proto = t->proto;
		rq->sadb_x_ipsecrequest_mode = pfkey_mode_from_xfrm(t->mode);
		rq->sadb_x_ipsecrequest_level = t->level;
		rq->sadb_x_ipsecrequest_reqid = t->reqid;
		if (t->mode == XFRM_MODE_TUNNEL) {
			size_t n = pfkey_sockaddr_put(p + 16, &t->saddr, fam, 0);

			pfkey_sockaddr_put(p + 16 + n, &t->daddr, fam, 0);
		}
		off += rq->sadb_x_ipsecrequest_len;
	}
	return 0;
}

/* 0 (the SPD's "exact if a port is set") or all ones; anything else has no encoding. */
static bool mask_ok(uint16_t mask)
{
	return mask == 0 || mask == 0xffff;
}

int pfkey_add_policy(struct pfkey_buf *b, const struct xfrm_policy *pol)
{
	const struct xfrm_selector *s = &pol->sel;
	uint8_t proto = s->proto == 0 ? IPSEC_ULPROTO_ANY : s->proto;
	int rc;

	if (b->err)
		return b->err;
	/* PF_KEY carries exact ports or any: a partial port mask has no encoding. */
	if (!mask_ok(s->sport_mask) || !mask_ok(s->dport_mask))
		return -EINVAL;
	if ((rc = pfkey_add_address(b, SADB_EXT_ADDRESS_SRC, &s->src, s->family, s->sport,
				    s->splen, proto)) < 0 ||
	    (rc = pfkey_add_address(b, SADB_EXT_ADDRESS_DST, &s->dst, s->family, s->dport,
				    s->dplen, proto)) < 0)
		return rc;
	return policy_ext(b, pol);
}

int pfkey_add_policy_current(struct pfkey_buf *b, const struct xfrm_policy *pol, uint64_t epoch_ns)
{
	return pfkey_add_lifetime(b, SADB_EXT_LIFETIME_CURRENT, (uint32_t)MIN(pol->packets, UINT32_MAX),
				  pol->bytes, pfkey_time_s(pol->add_time, epoch_ns),
				  pol->use_time ? pfkey_time_s(pol->use_time, epoch_ns) : 0);
}

int pfkey_add_policy_lifetimes(struct pfkey_buf *b, const struct xfrm_policy *pol)
{
	const struct xfrm_policy_lifetime *l = &pol->lft;

	if (l->hard_add_s || l->hard_use_s)
		pfkey_add_lifetime(b, SADB_EXT_LIFETIME_HARD, 0, 0, l->hard_add_s, l->hard_use_s);
	if (l->soft_add_s || l->soft_use_s)
		pfkey_add_lifetime(b, SADB_EXT_LIFETIME_SOFT, 0, 0, l->soft_add_s, l->soft_use_s);
	return b->err;
}

int pfkey_add_policy_state(struct pfkey_buf *b, const struct xfrm_policy *pol, uint64_t epoch_ns)
{
	int rc = pfkey_add_policy(b, pol);

	if (rc < 0)
		return rc;
	pfkey_add_policy_current(b, pol, epoch_ns);
	return pfkey_add_policy_lifetimes(b, pol);
}

/* ---- Algorithm lists ------------------------------------------------------------------ */

/* Which table kinds a SUPPORTED extension @which lists for @satype. */
static bool supported_has(uint16_t which, uint8_t satype, enum crypto_kind k)
{
	if (which == SADB_EXT_SUPPORTED_AUTH)
		return k == CRYPTO_AUTH && (satype == SADB_SATYPE_AH || satype == SADB_SATYPE_ESP ||
					    satype == SADB_SATYPE_UNSPEC);
	if (satype == SADB_X_SATYPE_IPCOMP)
		return k == CRYPTO_COMP;
	return (k == CRYPTO_ENC || k == CRYPTO_AEAD) &&
	       (satype == SADB_SATYPE_ESP || satype == SADB_SATYPE_UNSPEC);
}

int pfkey_add_supported(struct pfkey_buf *b, uint16_t which, uint8_t satype)
{
	const struct crypto_alg *a;
	struct sadb_alg *alg;
	unsigned n = 0;

	if (which != SADB_EXT_SUPPORTED_AUTH && which != SADB_EXT_SUPPORTED_ENCRYPT)
		return -EINVAL;
	for (unsigned i = 0; (a = crypto_alg_at(i)); i++)
		n += supported_has(which, satype, a->kind);
	if (n == 0)
		return b->err;
	if (!(alg = pfkey_buf_ext(b, which, sizeof(struct sadb_supported) + n * sizeof(*alg))))
		return b->err;
	alg = (struct sadb_alg *)(void *)((uint8_t *)alg + sizeof(struct sadb_supported));
	for (unsigned i = 0; (a = crypto_alg_at(i)); i++) {
		if (!supported_has(which, satype, a->kind))
			continue;
		alg->sadb_alg_id = a->sadb_id;
		alg->sadb_alg_ivlen = a->iv_len;
		alg->sadb_alg_minbits = a->key_min_bits;
		alg->sadb_alg_maxbits = a->key_max_bits;
		alg++;
	}
	return 0;
}

static void comb_lifetimes(struct sadb_comb *c, const struct xfrm_lifetime *l)
{
	if (!l)
		return;
	c->sadb_comb_soft_allocations = (uint32_t)MIN(l->soft_packets, UINT32_MAX);
	c->sadb_comb_hard_allocations = (uint32_t)MIN(l->hard_packets, UINT32_MAX);
	c->sadb_comb_soft_bytes = l->soft_bytes;
	c->sadb_comb_hard_bytes = l->hard_bytes;
	c->sadb_comb_soft_addtime = l->soft_add_s;
	c->sadb_comb_hard_addtime = l->hard_add_s;
	c->sadb_comb_soft_usetime = l->soft_use_s;
	c->sadb_comb_hard_usetime = l->hard_use_s;
}

/*
 * Calls @fn for each (encrypt, auth) pair the node implements for @satype
 * (NULL = none on that side): ESP: each cipher with each integrity
 * algorithm and with none (but not null with null or none), each AEAD
 * alone; AH: each integrity algorithm; IPComp: each compression one.
 */
static unsigned for_each_comb(uint8_t satype, void (*fn)(void *ctx, const struct crypto_alg *e,
							 const struct crypto_alg *a), void *ctx)
{
	const struct crypto_alg *e, *a;
	unsigned n = 0;

	for (unsigned i = 0; (e = crypto_alg_at(i)); i++) {
		if (satype == SADB_X_SATYPE_IPCOMP && e->kind == CRYPTO_COMP) {
			fn(ctx, e, NULL), n++;
		} else if (satype == SADB_SATYPE_AH && e->kind == CRYPTO_AUTH) {
			fn(ctx, NULL, e), n++;
		} else if (satype == SADB_SATYPE_ESP && e->kind == CRYPTO_AEAD) {
			fn(ctx, e, NULL), n++;
		} else if (satype == SADB_SATYPE_ESP && e->kind == CRYPTO_ENC) {
			bool null_enc = e->impl == CRYPTO_IMPL_NULL_ENC;

			if (!null_enc)
				fn(ctx, e, NULL), n++;
			for (unsigned j = 0; (a = crypto_alg_at(j)); j++)
				if (a->kind == CRYPTO_AUTH && !(null_enc && a->impl == CRYPTO_IMPL_NULL_AUTH))
					fn(ctx, e, a), n++;
		}
	}
	return n;
}

struct comb_fill {
	struct sadb_comb *next;
	const struct xfrm_lifetime *lft;
};

static void count_comb(void *ctx, const struct crypto_alg *e, const struct crypto_alg *a)
{
}

static void fill_comb(void *ctx, const struct crypto_alg *e, const struct crypto_alg *a)
{
	struct comb_fill *f = ctx;
	struct sadb_comb *c = f->next++;

	if (e) {
		c->sadb_comb_encrypt = e->sadb_id;
		c->sadb_comb_encrypt_minbits = e->key_min_bits;
		c->sadb_comb_encrypt_maxbits = e->key_max_bits;
	}
	if (a) {
		c->sadb_comb_auth = a->sadb_id;
		c->sadb_comb_auth_minbits = a->key_min_bits;
		c->sadb_comb_auth_maxbits = a->key_max_bits;
	}
	comb_lifetimes(c, f->lft);
}

int pfkey_add_proposal(struct pfkey_buf *b, uint8_t satype, uint32_t replay,
		       const struct xfrm_lifetime *lft)
{
	unsigned n = for_each_comb(satype, count_comb, NULL);
	struct comb_fill f = { .lft = lft };
	struct sadb_prop *p;

	if (n == 0)
		return b->err ? b->err : -EINVAL;
	if (!(p = pfkey_buf_ext(b, SADB_EXT_PROPOSAL, sizeof(*p) + n * sizeof(struct sadb_comb))))
		return b->err;
	p->sadb_prop_replay = (uint8_t)MIN(replay, (uint32_t)PFKEY_REPLAY_SA_MAX);
	f.next = (struct sadb_comb *)(void *)(p + 1);
	for_each_comb(satype, fill_comb, &f);
	return 0;
}
