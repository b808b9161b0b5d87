/*
 * TEMPORARY while IPv4 (issue 3) is written in parallel: weak fallbacks for
 * the IPv4 contracts so every program links meanwhile. A real (strong)
 * definition in the library always wins. Removed once IPv4 has landed.
 */
#include "core/stack.h"
#include "ipv4/ipv4.h"
#include "ipv4/icmp4.h"
#include "ipv4/inet4.h"
#include "ipv4/route4.h"
#include "ipv4/arp.h"
#include "l4/udp.h"

#define W __attribute__((weak))

W void ip4_tx_init(struct ip4_tx *tx, uint32_t dst, uint8_t proto) { memset(tx, 0, sizeof(*tx)); tx->dst = dst; tx->proto = proto; tx->ttl = -1; tx->csum_off = -1; }
W int ip4_init(struct stack *st) { return 0; }
W void ip4_fini(struct stack *st) {}
W void ip4_poll(struct stack *st) {}
W int ip4_input(struct stack *st, struct pkt *p) { pkt_free(p); return -ENOSYS; }
W int ip4_output(struct stack *st, struct pkt *p, const struct ip4_tx *tx) { pkt_free(p); return -ENOSYS; }
W int ip4_finish_output(struct stack *st, struct pkt *p, struct netdev *d, uint32_t nh) { pkt_free(p); return -ENOSYS; }
W uint32_t pmtu4_get(struct stack *st, uint32_t dst, struct netdev *dev) { return 1500; }
W void pmtu4_update(struct stack *st, uint32_t dst, uint32_t mtu) {}
W const struct ip4_conf *ip4_conf_of(const struct netdev *dev) { static const struct ip4_conf c; return &c; }
W bool ip4_forwarding(const struct stack *st, const struct netdev *dev) { return false; }
W const char *ip4_ntop(uint32_t a, char *buf) { return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN); }
W int ip4_parse_prefix(const char *s, uint32_t *a, unsigned *plen) { return -EINVAL; }
W int icmp4_input(struct stack *st, struct pkt *p) { pkt_free(p); return -ENOSYS; }
W void icmp4_send_error(struct stack *st, const struct pkt *o, uint8_t t, uint8_t c, uint32_t i) {}
W int inet4_dev_init(struct netdev *dev) { return 0; }
W void inet4_dev_fini(struct netdev *dev) {}
W void inet4_link_up(struct netdev *dev) {}
W void inet4_link_down(struct netdev *dev) {}
W int inet4_add(struct netdev *dev, uint32_t a, unsigned p, uint32_t f) { return -ENOSYS; }
W int inet4_del(struct netdev *dev, uint32_t a, unsigned p) { return -ENOSYS; }
W struct in4_ifaddr *inet4_lookup(struct stack *st, uint32_t a) { return NULL; }
W bool inet4_is_local(struct stack *st, uint32_t a) { return false; }
W bool inet4_is_broadcast(struct netdev *dev, uint32_t a) { return a == 0xffffffffu; }
W int inet4_select_source(struct stack *st, uint32_t d, struct netdev *o, uint32_t *out) { return -EADDRNOTAVAIL; }
W void inet4_conflict(struct netdev *dev, struct in4_ifaddr *ifa, const uint8_t sha[6]) {}
W void inet4_foreach(struct stack *st, struct netdev *dev, void (*fn)(void *, const struct in4_ifaddr *), void *ctx) {}
W int route4_init(struct stack *st) { return 0; }
W void route4_fini(struct stack *st) {}
W int route4_add(struct stack *st, const struct route4 *r) { return -ENOSYS; }
W int route4_del(struct stack *st, uint32_t d, unsigned p, uint32_t g, const struct netdev *dev) { return -ESRCH; }
W const struct route4 *route4_lookup(struct stack *st, uint32_t d) { return NULL; }
W void route4_flush_dev(struct stack *st, const struct netdev *dev) {}
W void route4_foreach(struct stack *st, void (*fn)(void *, const struct route4 *), void *ctx) {}
W int arp_input(struct stack *st, struct pkt *p) { pkt_free(p); return -ENOSYS; }
W int arp_output(struct stack *st, struct netdev *d, uint32_t nh, struct pkt *p) { pkt_free(p); return -ENOSYS; }
W int arp_send_request(struct netdev *d, uint32_t s, uint32_t t, const uint8_t *tha) { return -ENOSYS; }
W int arp_announce(struct netdev *d, uint32_t ip) { return -ENOSYS; }
W int udp4_input(struct stack *st, struct pkt *p) { pkt_free(p); return -ENOSYS; }
W int ping4_input(struct stack *st, struct pkt *p) { pkt_free(p); return -ENOSYS; }
W void udp4_err(struct stack *st, struct pkt *q, uint8_t t, uint8_t c, uint32_t i) {}
