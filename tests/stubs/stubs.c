/*
 * TEMPORARY during the foundation work: weak fallbacks for functions whose
 * modules are being written in parallel, so every program links meanwhile.
 * A real (strong) definition in the library always wins. Removed once every
 * module has landed.
 */
#include <stdlib.h>
#include "core/stack.h"
#include "core/csum.h"
#include "link/netdev.h"
#include "link/pcap.h"
#include "link/sim.h"
#include "ipv6/addrconf.h"
#include "ipv6/mld6.h"
#include "usagi/socket.h"

#define W __attribute__((weak))

W void timer_wheel_init(struct timer_wheel *tw, struct stack *o, uint64_t now) { tw->owner = o; tw->now = now; }
W void timer_wheel_advance(struct timer_wheel *tw, uint64_t now) { tw->now = now; }
W uint64_t timer_wheel_next(const struct timer_wheel *tw) { return UINT64_MAX; }
W void timer_init(struct timer *t, timer_fn fn) { memset(t, 0, sizeof(*t)); t->fn = fn; }
W void timer_arm(struct timer_wheel *tw, struct timer *t, uint64_t e) { t->expires = e; }
W void timer_cancel(struct timer_wheel *tw, struct timer *t) { t->armed = false; }
W uint64_t siphash24(const struct siphash_key *k, const void *d, size_t l) { return 0; }
W uint32_t csum_partial(const void *d, size_t l, uint32_t s) { return s; }
W uint16_t csum_fold(uint32_t s) { return 0; }
W uint32_t csum_ipv6_pseudo(const struct in6_addr *a, const struct in6_addr *b, uint32_t l, uint8_t n) { return 0; }
W uint16_t csum_ipv6(const struct in6_addr *a, const struct in6_addr *b, uint8_t n, const void *d, size_t l) { return 0; }

W void ip6_tx_init(struct ip6_tx *tx, const struct in6_addr *dst, uint8_t proto) { memset(tx, 0, sizeof(*tx)); }
W int ip6_init(struct stack *st) { return 0; }
W void ip6_fini(struct stack *st) {}
W void ip6_poll(struct stack *st) {}
W int ip6_input(struct stack *st, struct pkt *p) { pkt_free(p); return -ENOSYS; }
W int ip6_output(struct stack *st, struct pkt *p, const struct ip6_tx *tx) { pkt_free(p); return -ENOSYS; }
W int ip6_finish_output(struct stack *st, struct pkt *p, struct netdev *d, const struct in6_addr *nh) { pkt_free(p); return -ENOSYS; }
W uint32_t pmtu6_get(struct stack *st, const struct in6_addr *dst, struct netdev *dev) { return dev ? dev->mtu : 1280; }
W void pmtu6_update(struct stack *st, const struct in6_addr *dst, uint32_t mtu) {}
W const struct ip6_conf *ip6_conf_of(const struct netdev *dev) { static const struct ip6_conf c; return &c; }
W bool ip6_forwarding(const struct stack *st, const struct netdev *dev) { return false; }
W int icmp6_init(struct stack *st) { return 0; }
W int icmp6_input(struct stack *st, struct pkt *p) { pkt_free(p); return -ENOSYS; }
W void icmp6_send_error(struct stack *st, const struct pkt *o, uint8_t t, uint8_t c, uint32_t i) {}
W int icmp6_send(struct stack *st, struct pkt *p, struct ip6_tx *tx) { pkt_free(p); return -ENOSYS; }

W int addrconf_dev_init(struct netdev *dev) { return 0; }
W void addrconf_dev_fini(struct netdev *dev) {}
W void addrconf_link_up(struct netdev *dev) {}
W void addrconf_link_down(struct netdev *dev) {}
W int addrconf_add(struct netdev *d, const struct in6_addr *a, unsigned p, uint32_t f, uint32_t v, uint32_t pr) { return -ENOSYS; }
W int addrconf_del(struct netdev *d, const struct in6_addr *a, unsigned p) { return -ENOSYS; }
W struct inet6_ifaddr *addrconf_lookup(struct stack *st, const struct in6_addr *a) { return NULL; }
W bool addrconf_is_local(struct stack *st, const struct in6_addr *a) { return false; }
W int addrconf_select_source(struct stack *st, const struct in6_addr *d, struct netdev *o, struct in6_addr *out) { return -EADDRNOTAVAIL; }
W const struct in6_addr *addrconf_linklocal(struct netdev *dev) { return NULL; }
W void addrconf_dad_conflict(struct netdev *dev, struct inet6_ifaddr *ifa) {}
W void addrconf_prefix_rcv(struct netdev *d, const struct in6_addr *p, unsigned l, uint32_t v, uint32_t pr) {}

W int nd6_init(struct stack *st) { return 0; }
W void nd6_fini(struct stack *st) {}
W int nd6_input(struct stack *st, struct pkt *p) { pkt_free(p); return -ENOSYS; }
W int nd6_output(struct stack *st, struct netdev *d, const struct in6_addr *nh, struct pkt *p) { pkt_free(p); return -ENOSYS; }
W int nd6_send_ns(struct netdev *d, const struct in6_addr *t, const struct in6_addr *s, const struct in6_addr *ds) { return -ENOSYS; }
W int nd6_send_unsolicited_na(struct netdev *d, const struct in6_addr *t) { return -ENOSYS; }
W int nd6_send_redirect(struct stack *st, const struct pkt *o, const struct in6_addr *t) { return -ENOSYS; }
W void nd6_confirm(struct stack *st, struct netdev *d, const struct in6_addr *a) {}
W void nd6_flush_dev(struct stack *st, struct netdev *d) {}
W void nd6_neigh_foreach(struct stack *st, void (*fn)(void *, const struct nd6_neigh_info *), void *c) {}
W const char *nud_state_name(enum nud_state s) { return "?"; }
W int nd6_ra_enable(struct netdev *d, bool on) { return -ENOSYS; }
W int nd6_ra_add_prefix(struct netdev *d, const struct nd6_ra_prefix *p) { return -ENOSYS; }
W int nd6_ra_set(struct netdev *d, uint32_t a, uint32_t b, uint16_t c, uint32_t m, bool x, bool y) { return -ENOSYS; }

W int mld6_join(struct netdev *d, const struct in6_addr *g) { return 0; }
W int mld6_leave(struct netdev *d, const struct in6_addr *g) { return 0; }
W bool mld6_is_member(struct netdev *d, const struct in6_addr *g) { return true; }
W int mld6_input(struct stack *st, struct pkt *p) { pkt_free(p); return -ENOSYS; }
W void mld6_link_up(struct netdev *d) {}
W void mld6_link_down(struct netdev *d) {}
W void mld6_dev_fini(struct netdev *d) {}
W void mld6_foreach(struct netdev *d, void (*fn)(void *, const struct in6_addr *), void *c) {}

W int route6_init(struct stack *st) { return 0; }
W void route6_fini(struct stack *st) {}
W int route6_add(struct stack *st, const struct route6 *r) { return -ENOSYS; }
W int route6_del(struct stack *st, const struct in6_addr *d, unsigned p, const struct in6_addr *g, const struct netdev *dev) { return -ESRCH; }
W const struct route6 *route6_lookup(struct stack *st, const struct in6_addr *d) { return NULL; }
W void route6_flush_dev(struct stack *st, const struct netdev *d) {}
W void route6_foreach(struct stack *st, void (*fn)(void *, const struct route6 *), void *c) {}

W int sock_init(struct stack *st) { return 0; }
W void sock_fini(struct stack *st) {}
W int udp6_input(struct stack *st, struct pkt *p) { pkt_free(p); return -ENOSYS; }
W int ping6_input(struct stack *st, struct pkt *p) { pkt_free(p); return -ENOSYS; }
W void udp6_err(struct stack *st, struct pkt *q, uint8_t t, uint8_t c, uint32_t i) {}
W int service_udp_echo(struct stack *st, uint16_t port) { return -ENOSYS; }
W struct usock *usagi_socket(struct stack *st, int d, int t, int p) { errno = ENOSYS; return NULL; }
W int usagi_bind(struct usock *s, const struct sockaddr *a, socklen_t l) { return -ENOSYS; }
W int usagi_connect(struct usock *s, const struct sockaddr *a, socklen_t l) { return -ENOSYS; }
W ssize_t usagi_sendto(struct usock *s, const void *b, size_t l, int f, const struct sockaddr *t, socklen_t tl) { return -ENOSYS; }
W ssize_t usagi_recvfrom(struct usock *s, void *b, size_t l, int f, struct sockaddr *fr, socklen_t *fl) { return -ENOSYS; }
W ssize_t usagi_recvmsg(struct usock *s, void *b, size_t l, int f, struct sockaddr *fr, socklen_t *fl, struct usagi_rxinfo *i) { return -ENOSYS; }
W int usagi_setsockopt(struct usock *s, int lv, int n, const void *v, socklen_t l) { return -ENOSYS; }
W int usagi_getsockname(struct usock *s, struct sockaddr *a, socklen_t *l) { return -ENOSYS; }
W void usagi_sock_set_callback(struct usock *s, usagi_sock_cb cb, void *c) {}
W unsigned usagi_sock_pending(const struct usock *s) { return 0; }
W void usagi_close(struct usock *s) {}

W struct pcap_writer *pcapw_open(const char *path) { errno = ENOSYS; return NULL; }
W void pcapw_write(struct pcap_writer *w, uint64_t ts, const void *f, size_t l) {}
W void pcapw_flush(struct pcap_writer *w) {}
W void pcapw_close(struct pcap_writer *w) {}
