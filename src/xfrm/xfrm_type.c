/*
 * The three IPsec protocols behind one table of operations (xfrm_io_priv.h):
 * ESP (RFC 4303), AH (RFC 4302), IPComp (RFC 3173). Each op only adapts the
 * SA to its codec; everything around it is the packet path's.
 */
#include "core/stack.h"
#include "xfrm/ah.h"
#include "xfrm/esp.h"
#include "xfrm/ipcomp.h"
#include "xfrm/xfrm_io_priv.h"

/* ESP */

static struct esp_sa_params esp_params(const struct xfrm_state *x)
{
	return (struct esp_sa_params){ .spi = x->c.id.spi, .esn = x->c.flags & XFRM_SA_F_ESN,
				       .c = x->crypto };
}

static size_t esp_gap(const struct xfrm_state *x, int family)
{
	struct esp_sa_params sa = esp_params(x);

	return esp_encap_headroom(&sa);
}

static size_t esp_tail(const struct xfrm_state *x, size_t plen)
{
	struct esp_sa_params sa = esp_params(x);

	return esp_encap_tailroom(&sa, plen);
}

static int esp_out(struct stack *st, struct xfrm_state *x, struct pkt *p, size_t hoff, size_t gap,
		   uint8_t next)
{
	struct esp_sa_params sa = esp_params(x);
	uint64_t seq;
	int rc = xfrm_state_next_seq(st, x, &seq);

	if (rc < 0)
		return rc;
	/* esp_encap pushes header + IV (the gap) in front of the payload. */
	pkt_pull(p, hoff + gap);
	rc = esp_encap(&sa, p, next, seq);
	esp_count_output(st, rc);
	if (rc < 0)
		return rc;
	pkt_push(p, hoff);
	return 0;
}

static int esp_in(struct stack *st, struct xfrm_state *x, struct pkt **pp, size_t hoff,
		  uint32_t seq_hi)
{
	struct esp_sa_params sa = esp_params(x);
	int rc = esp_decap(&sa, *pp, seq_hi);

	esp_count_input(st, rc);
	return rc;
}

/* AH */

static struct ah_sa_params ah_params(const struct xfrm_state *x)
{
	return (struct ah_sa_params){ .spi = x->c.id.spi, .esn = x->c.flags & XFRM_SA_F_ESN,
				      .c = x->crypto };
}

static size_t ah_gap(const struct xfrm_state *x, int family)
{
	struct ah_sa_params sa = ah_params(x);

	return ah_hdr_len(&sa, family);
}

static size_t no_tail(const struct xfrm_state *x, size_t plen)
{
	return 0;
}

/* RFC 4302 3.3.3: the ICV covers the final lengths, which the caller has set. */
static int ah_out(struct stack *st, struct xfrm_state *x, struct pkt *p, size_t hoff, size_t gap,
		  uint8_t next)
{
	struct ah_sa_params sa = ah_params(x);
	uint64_t seq;
	int rc = xfrm_state_next_seq(st, x, &seq);

	if (rc < 0)
		return rc;
	rc = ah_output(&sa, p, hoff, next, seq);
	ah_count_output(st, rc);
	return rc < 0 ? rc : 0;
}

static int ah_peek_op(const struct pkt *p, uint32_t *spi, uint32_t *seq_lo)
{
	return ah_peek(p, 0, spi, seq_lo);
}

/* ah_input reads the whole packet from the IP header and leaves it unchanged. */
static int ah_in(struct stack *st, struct xfrm_state *x, struct pkt **pp, size_t hoff, uint32_t seq_hi)
{
	struct ah_sa_params sa = ah_params(x);
	struct pkt *p = *pp;
	size_t ah_len = 0;
	int rc;

	pkt_push(p, hoff);
	/* RFC 6275 9.3.1: IPv6 input already swapped a Home Address option in place. */
	rc = ah_input_flags(&sa, p, hoff, seq_hi,
			    p->data[0] >> 4 == 6 && IP6_CB(p)->hao ? AH_IN_HAO_SWAPPED : 0, &ah_len);
	ah_count_input(st, rc);
	if (rc < 0)
		return rc;
	if (!pkt_pull(p, hoff + ah_len))
		return -EMSGSIZE;
	return rc;
}

/* IPComp */

static size_t ipcomp_gap(const struct xfrm_state *x, int family)
{
	return IPCOMP_HDR_LEN;
}

static int ipcomp_out(struct stack *st, struct xfrm_state *x, struct pkt *p, size_t hoff,
		      size_t gap, uint8_t next)
{
	int rc;

	pkt_pull(p, hoff + IPCOMP_HDR_LEN);
	rc = ipcomp_output(x->comp, (uint16_t)x->c.id.spi, p, next, IPCOMP_THRESHOLD_DEFAULT);
	ipcomp_count_output(st, rc);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		pkt_push(p, hoff + IPCOMP_HDR_LEN);
		return XFRM_DECLINED;
	}
	pkt_push(p, hoff);     /* the IPComp header landed in the gap */
	return 0;
}

static int ipcomp_peek_op(const struct pkt *p, uint32_t *spi, uint32_t *seq_lo)
{
	uint16_t cpi;
	int rc = ipcomp_peek(p, &cpi);

	*spi = cpi;
	*seq_lo = 0;
	return rc;
}

static int ipcomp_in(struct stack *st, struct xfrm_state *x, struct pkt **pp, size_t hoff,
		     uint32_t seq_hi)
{
	int rc = ipcomp_input(st, x->comp, pp);

	ipcomp_count_input(st, rc);
	return rc;
}

static const struct xfrm_type esp_type = {
	.proto = IPPROTO_ESP, .seq = true, .gap = esp_gap, .tail = esp_tail,
	.output = esp_out, .peek = esp_peek, .input = esp_in,
};
static const struct xfrm_type ah_type = {
	.proto = IPPROTO_AH, .seq = true, .gap = ah_gap, .tail = no_tail,
	.output = ah_out, .peek = ah_peek_op, .input = ah_in,
};
static const struct xfrm_type ipcomp_type = {
	.proto = IPPROTO_COMP, .seq = false, .gap = ipcomp_gap, .tail = no_tail,
	.output = ipcomp_out, .peek = ipcomp_peek_op, .input = ipcomp_in,
};

const struct xfrm_type *const xfrm_types[256] = {
	[IPPROTO_ESP] = &esp_type,
	[IPPROTO_AH] = &ah_type,
	[IPPROTO_COMP] = &ipcomp_type,
};
