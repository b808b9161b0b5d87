/*
 * PF_KEY <-> SAD: an SA message's extensions to a struct xfrm_sa_cfg (what
 * ADD/UPDATE/GETSPI ask for) and an xfrm_state to the extensions of a
 * GET/DUMP/EXPIRE answer. The meanings follow Linux's af_key where
 * RFC 2367 leaves room (allocations = packets, replay window in packets,
 * mode ANY = transport) and the setkey executor (src/setkey), so a
 * statement reaches the SAD the same way over either path.
 */
#include <stdio.h>
#include "pfkey/pfkey_priv.h"
#include "crypto/crypto.h"

/* ---- Small mappings ------------------------------------------------------------------- */

uint8_t pfkey_satype_to_proto(uint8_t satype)
{
	return satype == SADB_SATYPE_ESP ? IPPROTO_ESP : satype == SADB_SATYPE_AH ? IPPROTO_AH :
	       satype == SADB_X_SATYPE_IPCOMP ? IPPROTO_COMP : 0;
}

uint8_t pfkey_proto_to_satype(uint8_t proto)
{
	return proto == IPPROTO_ESP ? SADB_SATYPE_ESP : proto == IPPROTO_AH ? SADB_SATYPE_AH :
	       proto == IPPROTO_COMP ? SADB_X_SATYPE_IPCOMP : SADB_SATYPE_UNSPEC;
}

int pfkey_mode_to_xfrm(uint8_t mode)
{
	/* Linux: ANY is transport (af_key pfkey_mode_to_xfrm). */
	if (mode == IPSEC_MODE_ANY || mode == IPSEC_MODE_TRANSPORT)
		return XFRM_MODE_TRANSPORT;
	return mode == IPSEC_MODE_TUNNEL ? XFRM_MODE_TUNNEL : -EINVAL;
}

uint8_t pfkey_mode_from_xfrm(uint8_t xfrm_mode)
{
	return xfrm_mode == XFRM_MODE_TUNNEL ? IPSEC_MODE_TUNNEL : IPSEC_MODE_TRANSPORT;
}

int pfkey_dir_to_xfrm(uint8_t dir)
{
	return dir == IPSEC_DIR_INBOUND ? XFRM_DIR_IN : dir == IPSEC_DIR_OUTBOUND ? XFRM_DIR_OUT :
	       dir == IPSEC_DIR_FWD ? XFRM_DIR_FWD : -EINVAL;
}

uint8_t pfkey_dir_from_xfrm(uint8_t xfrm_dir)
{
	return xfrm_dir == XFRM_DIR_IN ? IPSEC_DIR_INBOUND : xfrm_dir == XFRM_DIR_OUT ?
	       IPSEC_DIR_OUTBOUND : xfrm_dir == XFRM_DIR_FWD ? IPSEC_DIR_FWD : IPSEC_DIR_INVALID;
}

uint8_t pfkey_state_from_xfrm(enum xfrm_sa_state s)
{
	switch (s) {
	case XFRM_STATE_LARVAL: return SADB_SASTATE_LARVAL;
	case XFRM_STATE_MATURE: return SADB_SASTATE_MATURE;
	case XFRM_STATE_DYING: return SADB_SASTATE_DYING;
	default: return SADB_SASTATE_DEAD;
	}
}

/* ---- Wire -> xfrm_sa_cfg -------------------------------------------------------------- */

static int bad(const char **why, const char *reason)
{
	*why = reason;
	return -EINVAL;
}

/* SRC/DST: the SA's addresses. Prefix lengths and ports mean nothing for an SA (Linux). */
static int sa_addresses(const struct pfkey_msg *m, struct xfrm_sa_cfg *cfg, const char **why)
{
	struct pfkey_addr s, d;

	if (pfkey_get_address(m, SADB_EXT_ADDRESS_DST, &d) < 0)
		return bad(why, "SA needs a destination address");
	if (pfkey_get_address(m, SADB_EXT_ADDRESS_SRC, &s) < 0)
		return bad(why, "SA needs a source address");
	if (s.family != d.family)
		return bad(why, "source and destination addresses of different families");
	cfg->family = d.family;
	cfg->id.daddr = d.addr;
	/* An unspecified IPv4 source stays ::ffff:0.0.0.0, as setkey gives it. */
	cfg->saddr = s.addr;
	return 0;
}

/* Algorithm @id of @kind into @a; 0 = none. */
static int sa_alg(enum crypto_kind kind, unsigned id, struct xfrm_algo *a, const char **why,
		  const char *unknown)
{
	const struct crypto_alg *alg;

	if (id == 0)
		return 0;
	if (!(alg = crypto_alg_by_sadb(kind, id)))
		return bad(why, unknown);
	snprintf(a->name, sizeof(a->name), "%s", alg->name);
	return 0;
}

static int sa_key(const struct pfkey_msg *m, unsigned type, struct xfrm_algo *a, const char **why)
{
	unsigned bits;
	const uint8_t *k = pfkey_get_key(m, type, &bits);

	if (!k)
		return 0;
	if (!a->name[0] && bits)
		return bad(why, type == SADB_EXT_KEY_AUTH ? "authentication key without an algorithm" :
			   "encryption key without an algorithm");
	if (bits % 8)
		return bad(why, "key length not a whole number of bytes");
	if (bits / 8 > sizeof(a->key))
		return bad(why, "key longer than any algorithm takes");
	a->key_len = (uint16_t)(bits / 8);
	memcpy(a->key, k, a->key_len);
	return 0;
}

/* SA extension: SPI, window, algorithms, ESN; then the keys. */
static int sa_ext(const struct pfkey_msg *m, struct xfrm_sa_cfg *cfg, const char **why)
{
	const struct sadb_sa *sa = PFKEY_EXT(m, SADB_EXT_SA, sadb_sa);
	const struct sadb_x_sa_replay *rp = PFKEY_EXT(m, SADB_X_EXT_SA_REPLAY, sadb_x_sa_replay);
	uint32_t window = sa ? sa->sadb_sa_replay : 0;
	int rc = 0;

	if (!sa)
		return m->ext[SADB_EXT_KEY_AUTH] || m->ext[SADB_EXT_KEY_ENCRYPT] ?
		       bad(why, "keys without an SA extension") : 0;
	cfg->id.spi = ntohl(sa->sadb_sa_spi);
	if (cfg->id.proto == IPPROTO_COMP && cfg->id.spi > 0xffff)
		return bad(why, "IPComp CPI above 65535");
	if (rp)
		window = rp->sadb_x_sa_replay_replay;
	if (window > XFRM_REPLAY_MAX)
		return bad(why, "replay window above 4096 packets");
	cfg->replay_window = (uint16_t)window;
	if (sa->sadb_sa_flags & SADB_X_SAFLAGS_ESN)
		cfg->flags |= XFRM_SA_F_ESN;
	if (cfg->id.proto == IPPROTO_COMP) {
		if (sa->sadb_sa_auth || m->ext[SADB_EXT_KEY_AUTH] || m->ext[SADB_EXT_KEY_ENCRYPT])
			return bad(why, "IPComp takes no authentication algorithm and no keys");
		return sa_alg(CRYPTO_COMP, sa->sadb_sa_encrypt, &cfg->comp, why,
			      "unknown compression algorithm");
	}
	if (cfg->id.proto == IPPROTO_AH && (sa->sadb_sa_encrypt || m->ext[SADB_EXT_KEY_ENCRYPT]))
		return bad(why, "AH takes no encryption algorithm");
	if (cfg->id.proto == IPPROTO_AH && !sa->sadb_sa_auth)
		return bad(why, "AH needs an authentication algorithm");
	if ((rc = sa_alg(CRYPTO_ENC, sa->sadb_sa_encrypt, &cfg->enc, why,
			 "unknown encryption algorithm")) < 0 ||
	    (rc = sa_alg(CRYPTO_AUTH, sa->sadb_sa_auth, &cfg->auth, why,
			 "unknown authentication algorithm")) < 0 ||
	    (rc = sa_key(m, SADB_EXT_KEY_ENCRYPT, &cfg->enc, why)) < 0 ||
	    (rc = sa_key(m, SADB_EXT_KEY_AUTH, &cfg->auth, why)) < 0)
		return rc;
	return 0;
}

static void lifetime_in(const struct sadb_lifetime *l, uint64_t *packets, uint64_t *bytes,
			uint64_t *add_s, uint64_t *use_s)
{
	if (!l)
		return;
	*packets = l->sadb_lifetime_allocations;
	*bytes = l->sadb_lifetime_bytes;
	*add_s = l->sadb_lifetime_addtime;
	*use_s = l->sadb_lifetime_usetime;
}

/* X_SA2, lifetimes, NAT-T. */
static int sa_extras(const struct pfkey_msg *m, struct xfrm_sa_cfg *cfg, const char **why)
{
	const struct sadb_x_sa2 *sa2 = PFKEY_EXT(m, SADB_X_EXT_SA2, sadb_x_sa2);
	const struct sadb_x_nat_t_type *nt = PFKEY_EXT(m, SADB_X_EXT_NAT_T_TYPE, sadb_x_nat_t_type);
	const struct sadb_x_nat_t_port *sp = PFKEY_EXT(m, SADB_X_EXT_NAT_T_SPORT, sadb_x_nat_t_port);
	const struct sadb_x_nat_t_port *dp = PFKEY_EXT(m, SADB_X_EXT_NAT_T_DPORT, sadb_x_nat_t_port);
	struct xfrm_lifetime *l = &cfg->lft;
	struct pfkey_addr oa;
	int mode = XFRM_MODE_TRANSPORT;

	if (sa2 && (mode = pfkey_mode_to_xfrm(sa2->sadb_x_sa2_mode)) < 0)
		return bad(why, "SA mode not transport or tunnel");
	cfg->mode = (uint8_t)mode;
	cfg->reqid = sa2 ? sa2->sadb_x_sa2_reqid : 0;
	lifetime_in(PFKEY_EXT(m, SADB_EXT_LIFETIME_HARD, sadb_lifetime), &l->hard_packets,
		    &l->hard_bytes, &l->hard_add_s, &l->hard_use_s);
	lifetime_in(PFKEY_EXT(m, SADB_EXT_LIFETIME_SOFT, sadb_lifetime), &l->soft_packets,
		    &l->soft_bytes, &l->soft_add_s, &l->soft_use_s);
	if (!nt && (sp || dp || m->ext[SADB_X_EXT_NAT_T_OA]))
		return bad(why, "NAT-T ports or address without SADB_X_EXT_NAT_T_TYPE");
	if (!nt)
		return 0;
	if (cfg->id.proto != IPPROTO_ESP)
		return bad(why, "NAT-T encapsulation is for ESP only");
	if (nt->sadb_x_nat_t_type_type != UDP_ENCAP_ESPINUDP)
		return bad(why, "NAT-T type is not UDP_ENCAP_ESPINUDP (2)");
	cfg->encap.type = nt->sadb_x_nat_t_type_type;
	cfg->encap.sport = sp ? ntohs(sp->sadb_x_nat_t_port_port) : 0;
	cfg->encap.dport = dp ? ntohs(dp->sadb_x_nat_t_port_port) : 0;
	if (pfkey_get_address(m, SADB_X_EXT_NAT_T_OA, &oa) == 0)
		cfg->encap.oa = oa.addr;
	return 0;
}

int pfkey_to_sa_id(const struct pfkey_msg *m, struct xfrm_id *id, const char **why)
{
	const char *dummy;
	struct pfkey_addr d;

	if (!why)
		why = &dummy;
	*why = NULL;
	memset(id, 0, sizeof(*id));
	if (!(id->proto = pfkey_satype_to_proto(m->hdr->sadb_msg_satype)))
		return bad(why, "SA type is not AH, ESP or IPComp");
	if (!m->ext[SADB_EXT_SA])
		return bad(why, "SA needs an SA extension (its SPI)");
	if (pfkey_get_address(m, SADB_EXT_ADDRESS_DST, &d) < 0)
		return bad(why, "SA needs a destination address");
	id->daddr = d.addr;
	id->spi = pfkey_get_spi(m);
	return 0;
}

int pfkey_to_sa_cfg(const struct pfkey_msg *m, struct xfrm_sa_cfg *cfg, const char **why)
{
	const char *dummy;
	int rc;

	if (!why)
		why = &dummy;
	*why = NULL;
	memset(cfg, 0, sizeof(*cfg));
	if (!(cfg->id.proto = pfkey_satype_to_proto(m->hdr->sadb_msg_satype)))
		return bad(why, "SA type is not AH, ESP or IPComp");
	if ((rc = sa_addresses(m, cfg, why)) < 0 || (rc = sa_ext(m, cfg, why)) < 0 ||
	    (rc = sa_extras(m, cfg, why)) < 0) {
		crypto_wipe(cfg, sizeof(*cfg));
		return rc;
	}
	return 0;
}

/* ---- xfrm_state -> wire --------------------------------------------------------------- */

static uint8_t alg_id(enum crypto_kind kind, const char *name)
{
	const struct crypto_alg *a = name[0] ? crypto_alg_by_name(kind, name) : NULL;

	return a ? a->sadb_id : 0;
}

static uint32_t clamp32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static void cfg_lifetimes(struct pfkey_buf *b, const struct xfrm_lifetime *l)
{
	if (l->hard_packets || l->hard_bytes || l->hard_add_s || l->hard_use_s)
		pfkey_add_lifetime(b, SADB_EXT_LIFETIME_HARD, clamp32(l->hard_packets), l->hard_bytes,
				   l->hard_add_s, l->hard_use_s);
	if (l->soft_packets || l->soft_bytes || l->soft_add_s || l->soft_use_s)
		pfkey_add_lifetime(b, SADB_EXT_LIFETIME_SOFT, clamp32(l->soft_packets), l->soft_bytes,
				   l->soft_add_s, l->soft_use_s);
}

/* SA and X_SA2 of @c, with the state, window and the output sequence number of a live SA. */
static void cfg_sa(struct pfkey_buf *b, const struct xfrm_sa_cfg *c, uint8_t state, uint32_t window,
		   uint32_t seq)
{
	uint8_t auth = 0, enc = 0;
	struct sadb_x_sa2 *sa2;

	if (c->id.proto == IPPROTO_COMP) {
		enc = alg_id(CRYPTO_COMP, c->comp.name);
	} else {
		enc = alg_id(CRYPTO_ENC, c->enc.name);
		auth = alg_id(CRYPTO_AUTH, c->auth.name);
	}
	pfkey_add_sa(b, c->id.spi, window, state, auth, enc,
		     (c->flags & XFRM_SA_F_ESN) ? SADB_X_SAFLAGS_ESN : 0);
	if ((sa2 = pfkey_buf_ext(b, SADB_X_EXT_SA2, sizeof(*sa2)))) {
		sa2->sadb_x_sa2_mode = pfkey_mode_from_xfrm(c->mode);
		sa2->sadb_x_sa2_reqid = c->reqid;
		sa2->sadb_x_sa2_sequence = seq;
	}
}

/* How an SA is described besides its configuration. */
struct sa_desc {
	uint8_t state;                       /* SADB_SASTATE_* */
	uint32_t window;                     /* packets */
	uint32_t seq;                        /* low 32 bits of the output sequence number */
	const struct xfrm_lifetime_cur *cur; /* NULL: no LIFETIME_CURRENT */
	uint64_t epoch_ns;                   /* for cur's times */
};

/*
 * The extensions of an SA in one order for every message:
 * SA, X_SA2, [X_SA_REPLAY], SRC, DST, [KEY_AUTH], [KEY_ENCRYPT],
 * [LIFETIME_CURRENT], [LIFETIME_HARD], [LIFETIME_SOFT], [NAT-T type,
 * sport, dport, [OA]].
 */
static int add_cfg(struct pfkey_buf *b, const struct xfrm_sa_cfg *c, const struct sa_desc *d,
		   bool with_keys)
{
	const struct xfrm_lifetime_cur *cur = d->cur;
	bool keys = with_keys && d->state != SADB_SASTATE_LARVAL;   /* a larval SA has none yet */

	cfg_sa(b, c, d->state, d->window, d->seq);
	if (d->window > PFKEY_REPLAY_SA_MAX)
		pfkey_add_sa_replay(b, d->window);
	pfkey_add_address(b, SADB_EXT_ADDRESS_SRC, &c->saddr, c->family, 0, 0xff, 0);
	pfkey_add_address(b, SADB_EXT_ADDRESS_DST, &c->id.daddr, c->family, 0, 0xff, 0);
	if (keys && c->auth.key_len)
		pfkey_add_key(b, SADB_EXT_KEY_AUTH, c->auth.key_len * 8u, c->auth.key);
	if (keys && c->enc.key_len)
		pfkey_add_key(b, SADB_EXT_KEY_ENCRYPT, c->enc.key_len * 8u, c->enc.key);
	if (cur)
		pfkey_add_lifetime(b, SADB_EXT_LIFETIME_CURRENT, clamp32(cur->packets), cur->bytes,
				   pfkey_time_s(cur->add_time, d->epoch_ns),
				   cur->use_time ? pfkey_time_s(cur->use_time, d->epoch_ns) : 0);
	cfg_lifetimes(b, &c->lft);
	if (c->encap.type) {
		pfkey_add_natt(b, (uint8_t)c->encap.type, c->encap.sport, c->encap.dport);
		if (!in6_is_unspec(&c->encap.oa))
			pfkey_add_address(b, SADB_X_EXT_NAT_T_OA, &c->encap.oa,
					  in6_is_v4mapped(&c->encap.oa) ? AF_INET : AF_INET6, 0, 0xff, 0);
	}
	return b->err;
}

int pfkey_add_sa_cfg(struct pfkey_buf *b, const struct xfrm_sa_cfg *cfg, bool with_keys)
{
	struct sa_desc d = { .state = SADB_SASTATE_MATURE, .window = cfg->replay_window };

	return add_cfg(b, cfg, &d, with_keys);
}

int pfkey_add_state(struct pfkey_buf *b, const struct xfrm_state *x, bool with_keys, uint64_t epoch_ns)
{
	/*
	 * The window the SAD runs (an ESN SA asked for less than 32 got 32), and
	 * for a LARVAL SA its add time and the hard lifetime it dies by
	 * (XFRM_LARVAL_LIFETIME_S), as Linux and KAME show a larval SA.
	 */
	struct sa_desc d = { .state = pfkey_state_from_xfrm(x->state),
			     .window = x->replay ? x->replay->size : 0,
			     .seq = (uint32_t)x->seq_out, .cur = &x->cur, .epoch_ns = epoch_ns };

	return add_cfg(b, &x->c, &d, with_keys);
}
