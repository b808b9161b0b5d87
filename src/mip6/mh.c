/*
 * The Mobility Header codec (RFC 6275 6.1, 6.2), with the receive checks
 * of 9.2 in the order the RFC lists them: checksum, MH Type, Payload
 * Proto, Header Len; then the message's own fields and its options.
 */
#include "core/csum.h"
#include "core/stack.h"
#include "mip6/mh.h"
#include "proto/ip6.h"

/*
 * Octets of message data after the 6-octet common header, before the
 * options (figures of 6.1.2-6.1.9). A Header Len whose (Header Len + 1) * 8
 * is below 6 + this is the "less than the length specified for this
 * particular type" of 9.2: BRR 0, HoTI/CoTI 1, HoT/CoT 2, BU/BA 1, BE 2.
 */
static const uint8_t mh_fixed[MH_TYPE_MAX + 1] = {
	[MH_BRR] = 2,    /* Reserved */
	[MH_HOTI] = 10,  /* Reserved, Home Init Cookie */
	[MH_COTI] = 10,  /* Reserved, Care-of Init Cookie */
	[MH_HOT] = 18,   /* Home Nonce Index, Home Init Cookie, Home Keygen Token */
	[MH_COT] = 18,   /* Care-of Nonce Index, Care-of Init Cookie, Care-of Keygen Token */
	[MH_BU] = 6,     /* Sequence #, A|H|L|K + Reserved, Lifetime */
	[MH_BA] = 6,     /* Status, K + Reserved, Sequence #, Lifetime */
	[MH_BE] = 18,    /* Status, Reserved, Home Address */
};

#define OPT_BIT(t) (1u << (t))

/*
 * Options each message may carry (the "Mobility Options" paragraph of each
 * message in 6.1.x); the others are silently ignored (6.2). Messages not
 * listed accept none.
 */
static const uint8_t mh_allowed[MH_TYPE_MAX + 1] = {
	[MH_BU] = OPT_BIT(MH_OPT_ALTCOA) | OPT_BIT(MH_OPT_NONCE) | OPT_BIT(MH_OPT_AUTH),
	[MH_BA] = OPT_BIT(MH_OPT_BRA) | OPT_BIT(MH_OPT_AUTH),
};

/* Option Length (data octets) and the alignment xn+y of 6.2.4-6.2.7. */
static const struct { uint8_t len, mult, rem; } opt_geom[MH_OPT_AUTH + 1] = {
	[MH_OPT_BRA] = { 2, 2, 0 },
	[MH_OPT_ALTCOA] = { 16, 8, 6 },
	[MH_OPT_NONCE] = { 4, 2, 0 },
	[MH_OPT_AUTH] = { MH_AUTH_LEN, 8, 2 },  /* implicit: it is the last option (6.2.7) */
};

static const char *const mh_names[MH_TYPE_MAX + 1] = {
	"BRR", "HoTI", "CoTI", "HoT", "CoT", "BU", "BA", "BE",
};

const char *mh_type_name(uint8_t type)
{
	return type <= MH_TYPE_MAX ? mh_names[type] : "MH?";
}

/* Message data decoders: @d is the MH past its 6-octet header, mh_fixed[type] octets long. */
static void dec_brr(const uint8_t *d, struct mh_msg *m)
{
}

static void dec_init(const uint8_t *d, struct mh_msg *m)
{
	memcpy(m->hoti.cookie, d + 2, MH_COOKIE_LEN);   /* hoti and coti share their layout */
}

static void dec_test(const uint8_t *d, struct mh_msg *m)
{
	m->hot.nonce_idx = get_be16(d);                  /* hot and cot share their layout */
	memcpy(m->hot.cookie, d + 2, MH_COOKIE_LEN);
	memcpy(m->hot.token, d + 2 + MH_COOKIE_LEN, MH_TOKEN_LEN);
}

static void dec_bu(const uint8_t *d, struct mh_msg *m)
{
	m->bu.seq = get_be16(d);
	m->bu.flags = d[2];    /* whole octet: later RFCs define the low bits (RFC 3963, 5213) */
	m->bu.lifetime = get_be16(d + 4);
}

static void dec_ba(const uint8_t *d, struct mh_msg *m)
{
	m->ba.status = d[0];
	m->ba.flags = d[1];
	m->ba.seq = get_be16(d + 2);
	m->ba.lifetime = get_be16(d + 4);
}

static void dec_be(const uint8_t *d, struct mh_msg *m)
{
	m->be.status = d[0];
	memcpy(&m->be.home, d + 2, 16);
}

static void (*const mh_dec[MH_TYPE_MAX + 1])(const uint8_t *, struct mh_msg *) = {
	[MH_BRR] = dec_brr, [MH_HOTI] = dec_init, [MH_COTI] = dec_init,
	[MH_HOT] = dec_test, [MH_COT] = dec_test, [MH_BU] = dec_bu,
	[MH_BA] = dec_ba, [MH_BE] = dec_be,
};

/* Keeps known option @t (its Option Type octet at @mh + @off, length already checked). */
static void opt_store(uint8_t t, const uint8_t *mh, size_t off, struct mh_opts *o)
{
	const uint8_t *v = mh + off + 2;

	switch (t) {
	case MH_OPT_BRA:
		o->has_refresh = true;
		o->refresh = get_be16(v);
		break;
	case MH_OPT_ALTCOA:
		o->has_altcoa = true;
		memcpy(&o->altcoa, v, 16);
		break;
	case MH_OPT_NONCE:
		o->has_nonce = true;
		o->home_nonce_idx = get_be16(v);
		o->coa_nonce_idx = get_be16(v + 2);
		break;
	case MH_OPT_AUTH:
		o->has_auth = true;
		memcpy(o->auth, v, MH_AUTH_LEN);
		o->auth_off = (uint16_t)(off + 2);
		break;
	}
}

/*
 * The options from @off to @len (6.2): TLVs but for Pad1. Each must fit;
 * a known option allowed in @type must have its length, BAD must end the
 * header; unknown and not-allowed ones are skipped (6.2.1, 6.2).
 */
static enum mh_verdict opts_parse(struct stack *st, const uint8_t *mh, size_t len, size_t off,
				  uint8_t type, struct mh_opts *o)
{
	while (off < len) {
		uint8_t t = mh[off];
		size_t olen;

		if (t == MH_OPT_PAD1) {
			off++;
			continue;
		}
		if (off + 2 > len || off + 2 + mh[off + 1] > len) {
			STAT_INC(st, mh_in_opt_overrun);
			return MH_DROP;
		}
		olen = mh[off + 1];
		if (t <= MH_OPT_AUTH && t != MH_OPT_PADN && (mh_allowed[type] & OPT_BIT(t))) {
			if (olen != opt_geom[t].len) {
				STAT_INC(st, mh_in_opt_bad_len);
				return MH_DROP;
			}
			if (t == MH_OPT_AUTH && off + 2 + olen != len) {
				STAT_INC(st, mh_in_auth_not_last);
				return MH_DROP;
			}
			opt_store(t, mh, off, o);
		} else if (t != MH_OPT_PADN) {
			STAT_INC(st, mh_in_opt_unknown);
		}
		off += 2 + olen;
	}
	return MH_OK;
}

/* The length checks of 6.1.1: the header is exactly (Header Len + 1) * 8 octets. */
static bool len_ok(struct stack *st, const uint8_t *mh, size_t len)
{
	size_t hlen;

	if (len < 8) {
		STAT_INC(st, mh_in_truncated);
		return false;
	}
	hlen = ((size_t)mh[1] + 1) * 8;
	if (hlen > len) {
		STAT_INC(st, mh_in_truncated);
		return false;
	}
	if (hlen < len) {
		STAT_INC(st, mh_in_bad_len);
		return false;
	}
	return true;
}

enum mh_verdict mh_parse(struct stack *st, const uint8_t *mh, size_t len,
			 const struct in6_addr *src, const struct in6_addr *dst,
			 struct mh_msg *out, uint32_t *ptr)
{
	uint8_t type;

	memset(out, 0, sizeof(*out));
	STAT_INC(st, mh_in_msgs);
	if (!len_ok(st, mh, len))
		return MH_DROP;
	/* 6.1.1: pseudo-header with Next Header 135 and the MH length. */
	if (csum_fold(csum_partial(mh, len, csum_ipv6_pseudo(src, dst, (uint32_t)len, NH_MH)))) {
		STAT_INC(st, mh_in_bad_csum);
		return MH_DROP;
	}
	type = out->type = mh[2];
	if (type > MH_TYPE_MAX) {
		STAT_INC(st, mh_in_unknown_type);
		return MH_UNKNOWN_TYPE;
	}
	if (mh[0] != NH_NONE) {
		STAT_INC(st, mh_in_bad_proto);
		if (ptr)
			*ptr = 0;
		return MH_PARAM_PROB;
	}
	if (len < MH_HDR_LEN + (size_t)mh_fixed[type]) {
		STAT_INC(st, mh_in_short_hdrlen);
		if (ptr)
			*ptr = 1;
		return MH_PARAM_PROB;
	}
	mh_dec[type](mh + MH_HDR_LEN, out);
	return opts_parse(st, mh, len, MH_HDR_LEN + mh_fixed[type], type, &out->opt);
}

/* Message data encoders: the counterparts of dec_*, onto zeroed octets. */
static void enc_brr(const struct mh_msg *m, uint8_t *d)
{
}

static void enc_init(const struct mh_msg *m, uint8_t *d)
{
	memcpy(d + 2, m->hoti.cookie, MH_COOKIE_LEN);
}

static void enc_test(const struct mh_msg *m, uint8_t *d)
{
	put_be16(d, m->hot.nonce_idx);
	memcpy(d + 2, m->hot.cookie, MH_COOKIE_LEN);
	memcpy(d + 2 + MH_COOKIE_LEN, m->hot.token, MH_TOKEN_LEN);
}

static void enc_bu(const struct mh_msg *m, uint8_t *d)
{
	put_be16(d, m->bu.seq);
	d[2] = m->bu.flags;
	put_be16(d + 4, m->bu.lifetime);
}

static void enc_ba(const struct mh_msg *m, uint8_t *d)
{
	d[0] = m->ba.status;
	d[1] = m->ba.flags;
	put_be16(d + 2, m->ba.seq);
	put_be16(d + 4, m->ba.lifetime);
}

static void enc_be(const struct mh_msg *m, uint8_t *d)
{
	d[0] = m->be.status;
	memcpy(d + 2, &m->be.home, 16);
}

static void (*const mh_enc[MH_TYPE_MAX + 1])(const struct mh_msg *, uint8_t *) = {
	[MH_BRR] = enc_brr, [MH_HOTI] = enc_init, [MH_COTI] = enc_init,
	[MH_HOT] = enc_test, [MH_COT] = enc_test, [MH_BU] = enc_bu,
	[MH_BA] = enc_ba, [MH_BE] = enc_be,
};

/* A bounded writer: the first overflow sticks as -ENOSPC. */
struct mh_w {
	uint8_t *buf;
	size_t cap, off;
	int err;
};

static uint8_t *w_room(struct mh_w *w, size_t n)
{
	uint8_t *p;

	if (w->err || w->off + n > w->cap) {
		w->err = -ENOSPC;
		return NULL;
	}
	p = w->buf + w->off;
	memset(p, 0, n);
	w->off += n;
	return p;
}

/* Pad1 or PadN (6.2.2, 6.2.3; data zero) up to an offset of @mult * n + @rem. */
static void w_pad(struct mh_w *w, size_t mult, size_t rem)
{
	size_t n = (rem + mult - w->off % mult) % mult;
	uint8_t *p = w_room(w, n);

	if (!p || n == 0)
		return;
	if (n == 1) {
		p[0] = MH_OPT_PAD1;
	} else {
		p[0] = MH_OPT_PADN;
		p[1] = (uint8_t)(n - 2);
	}
}

/* Option @t at its alignment; returns its data octets (zeroed), NULL on overflow. */
static uint8_t *w_opt(struct mh_w *w, uint8_t t)
{
	uint8_t *p;

	w_pad(w, opt_geom[t].mult, opt_geom[t].rem);
	p = w_room(w, 2 + (size_t)opt_geom[t].len);
	if (!p)
		return NULL;
	p[0] = t;
	p[1] = opt_geom[t].len;
	return p + 2;
}

static void w_opts(struct mh_w *w, const struct mh_opts *o, size_t *auth_off)
{
	uint8_t *v;

	if (o->has_refresh && (v = w_opt(w, MH_OPT_BRA)))
		put_be16(v, o->refresh);
	if (o->has_altcoa && (v = w_opt(w, MH_OPT_ALTCOA)))
		memcpy(v, &o->altcoa, 16);
	if (o->has_nonce && (v = w_opt(w, MH_OPT_NONCE))) {
		put_be16(v, o->home_nonce_idx);
		put_be16(v + 2, o->coa_nonce_idx);
	}
	if (o->has_auth && (v = w_opt(w, MH_OPT_AUTH))) {
		memcpy(v, o->auth, MH_AUTH_LEN);
		if (auth_off)
			*auth_off = (size_t)(v - w->buf);
	}
}

int mh_build(const struct mh_msg *m, uint8_t *buf, size_t cap, size_t *auth_off)
{
	struct mh_w w = { .buf = buf, .cap = cap };
	uint8_t *h;

	if (m->type > MH_TYPE_MAX)
		return -EINVAL;
	h = w_room(&w, MH_HDR_LEN + (size_t)mh_fixed[m->type]);
	if (!h)
		return w.err;
	h[0] = NH_NONE;
	h[2] = m->type;
	mh_enc[m->type](m, h + MH_HDR_LEN);
	w_opts(&w, &m->opt, auth_off);
	/* 6.1.1: a multiple of 8 octets (after BAD this adds nothing). */
	w_pad(&w, 8, 0);
	if (w.err)
		return w.err;
	buf[1] = (uint8_t)(w.off / 8 - 1);
	return (int)w.off;
}

void mh_csum_set(uint8_t *mh, size_t len, const struct in6_addr *src, const struct in6_addr *dst)
{
	put_be16(mh + MH_CSUM_OFF, 0);
	put_be16(mh + MH_CSUM_OFF, csum_ipv6(src, dst, NH_MH, mh, len));
}
