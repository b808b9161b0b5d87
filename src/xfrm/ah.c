/* AH (RFC 4302): placeholder until the codec lands; every call refuses. */
#include "core/stack.h"
#include "xfrm/ah.h"

size_t ah_hdr_len(const struct ah_sa_params *sa, int family) { (void)sa; (void)family; return 0; }
int ah_output(const struct ah_sa_params *sa, struct pkt *p, size_t ahoff, uint8_t next_header, uint64_t seq)
{ (void)sa; (void)p; (void)ahoff; (void)next_header; (void)seq; return -EOPNOTSUPP; }
int ah_peek(const struct pkt *p, size_t ahoff, uint32_t *spi, uint32_t *seq_lo)
{ (void)p; (void)ahoff; (void)spi; (void)seq_lo; return -EOPNOTSUPP; }
int ah_input(const struct ah_sa_params *sa, const struct pkt *p, size_t ahoff, uint32_t seq_hi, size_t *ah_len)
{ (void)sa; (void)p; (void)ahoff; (void)seq_hi; (void)ah_len; return -EOPNOTSUPP; }
void ah_count_input(struct stack *st, int rc) { (void)st; (void)rc; }
void ah_count_output(struct stack *st, int rc) { (void)st; (void)rc; }
