/* IPComp (RFC 3173): placeholder until the codec lands; every call refuses. */
#include "core/stack.h"
#include "xfrm/ipcomp.h"

int ipcomp_output(struct crypto_comp *z, uint16_t cpi, struct pkt *p, uint8_t next_header, size_t threshold)
{ (void)z; (void)cpi; (void)p; (void)next_header; (void)threshold; return -EOPNOTSUPP; }
int ipcomp_peek(const struct pkt *p, uint16_t *cpi) { (void)p; (void)cpi; return -EOPNOTSUPP; }
int ipcomp_input(struct stack *st, struct crypto_comp *z, struct pkt **pp) { (void)st; (void)z; (void)pp; return -EOPNOTSUPP; }
void ipcomp_count_input(struct stack *st, int rc) { (void)st; (void)rc; }
void ipcomp_count_output(struct stack *st, int rc) { (void)st; (void)rc; }
