/* AH (RFC 4302) on a whole IPv6 or IPv4 packet; the ICV input is built in ah_mutable.c. */
#include "xfrm/ah_priv.h"

#include "core/stack.h"

#include <sys/socket.h>

size_t ah_hdr_len(const struct ah_sa_params *sa, int family)
{
	/* RFC 4302 2.2 / 3.3.3.2.1: IPv6 extension headers are 8-octet aligned. */
	size_t align = family == AF_INET6 ? 8 : family == AF_INET ? 4 : 0;

	if (!align)
		return 0;
	return (AH_FIXED_LEN + crypto_ctx_icv_len(sa->c) + align - 1) / align * align;
}

/* The family of the IP header at p->data, from its version; 0 if neither. */
static int pkt_family(const struct pkt *p)
{
	const uint8_t *v = pkt_header(p, 0, 1, NULL);

	if (!v)
		return 0;
	return *v >> 4 == 6 ? AF_INET6 : *v >> 4 == 4 ? AF_INET : 0;
}

static void layout_init(struct ah_layout *l, const struct ah_sa_params *sa, const struct pkt *p,
			size_t ahoff, size_t ah_len, uint32_t seq_hi, bool swap_hao)
{
	l->pkt = p->data;
	l->len = p->len;
	l->ahoff = ahoff;
	l->ah_len = ah_len;
	l->icv_len = crypto_ctx_icv_len(sa->c);
	l->esn = sa->esn;
	l->seq_hi = seq_hi;
	l->swap_hao = swap_hao;
}

int ah_output(const struct ah_sa_params *sa, struct pkt *p, size_t ahoff, uint8_t next_header,
	      uint64_t seq)
{
	size_t hl = ah_hdr_len(sa, pkt_family(p));
	uint8_t icv[CRYPTO_MAX_ICV];
	struct ah_layout l;
	struct ah_icv b;
	uint8_t *ah;

	if (!crypto_ctx_auth(sa->c) || !hl)
		return -EINVAL;
	ah = pkt_header_w(p, ahoff, hl);
	if (!ah)
		return -EINVAL;
	layout_init(&l, sa, p, ahoff, hl, (uint32_t)(seq >> 32), true);
	if (ah_icv_build(&b, &l))
		return -EINVAL;
	/* Written only now: a malformed packet leaves @p as it was. */
	ah[0] = next_header;
	ah[1] = (uint8_t)(hl / 4 - 2);
	ah[2] = ah[3] = 0;
	put_be32(ah + 4, sa->spi);
	put_be32(ah + 8, (uint32_t)seq);
	memset(ah + AH_FIXED_LEN, 0, hl - AH_FIXED_LEN);
	if (crypto_auth_v(sa->c, b.v, b.n, icv))
		return -EIO;
	memcpy(ah + AH_FIXED_LEN, icv, l.icv_len);
	return 0;
}

int ah_peek(const struct pkt *p, size_t ahoff, uint32_t *spi, uint32_t *seq_lo)
{
	const uint8_t *ah = pkt_header(p, ahoff, AH_FIXED_LEN, NULL);

	if (!ah)
		return -EMSGSIZE;
	*spi = get_be32(ah + 4);
	*seq_lo = get_be32(ah + 8);
	return 0;
}

int ah_input_flags(const struct ah_sa_params *sa, const struct pkt *p, size_t ahoff,
		   uint32_t seq_hi, unsigned flags, size_t *ah_len)
{
	size_t hl = ah_hdr_len(sa, pkt_family(p));
	uint8_t want[CRYPTO_MAX_ICV];
	const uint8_t *ah;
	struct ah_layout l;
	struct ah_icv b;
	int rc;

	if (!crypto_ctx_auth(sa->c) || !hl)
		return -EINVAL;
	ah = pkt_header(p, ahoff, AH_FIXED_LEN, NULL);
	if (!ah)
		return -EMSGSIZE;
	/* RFC 4302 2.2: the length must be what this SA's ICV (and padding) makes it. */
	if (((size_t)ah[1] + 2) * 4 != hl)
		return -EPROTO;
	if (!pkt_header(p, ahoff, hl, NULL))
		return -EMSGSIZE;
	layout_init(&l, sa, p, ahoff, hl, seq_hi, !(flags & AH_IN_HAO_SWAPPED));
	if (ah_icv_build(&b, &l))
		return -EINVAL;
	memcpy(want, ah + AH_FIXED_LEN, l.icv_len);
	rc = crypto_auth_verify_v(sa->c, b.v, b.n, want);
	if (rc)
		return rc == -EBADMSG ? rc : -EIO;
	*ah_len = hl;
	return ah[0];
}

int ah_input(const struct ah_sa_params *sa, const struct pkt *p, size_t ahoff, uint32_t seq_hi,
	     size_t *ah_len)
{
	return ah_input_flags(sa, p, ahoff, seq_hi, 0, ah_len);
}

void ah_count_input(struct stack *st, int rc)
{
	switch (rc) {
	case -EMSGSIZE: STAT_INC(st, ah_in_truncated); break;
	case -EPROTO: STAT_INC(st, ah_in_bad_len); break;
	case -EINVAL: STAT_INC(st, ah_in_bad_hdr); break;
	case -EBADMSG: STAT_INC(st, ah_in_icv_fail); break;
	default:
		if (rc < 0)
			STAT_INC(st, ah_in_crypto_fail);
		else
			STAT_INC(st, ah_in_ok);
	}
}

void ah_count_output(struct stack *st, int rc)
{
	if (rc == -EINVAL)
		STAT_INC(st, ah_out_bad_hdr);
	else if (rc < 0)
		STAT_INC(st, ah_out_crypto_fail);
	else
		STAT_INC(st, ah_out_ok);
}
