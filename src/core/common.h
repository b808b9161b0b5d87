/* Small helpers shared by every module: sizes, lists, byte order, addresses. */
#ifndef USAGI_CORE_COMMON_H
#define USAGI_CORE_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define UNUSED __attribute__((unused))
#define PACKED __attribute__((packed))

#define NS_PER_MS 1000000ULL
#define NS_PER_SEC 1000000000ULL

/* Intrusive doubly linked list (circular, with a head node). */
struct dlist {
	struct dlist *next, *prev;
};
#define DLIST_INIT(name) { &(name), &(name) }
static inline void dlist_init(struct dlist *h) { h->next = h->prev = h; }
static inline bool dlist_empty(const struct dlist *h) { return h->next == h; }
static inline void dlist_add_tail(struct dlist *h, struct dlist *n)
{
	n->prev = h->prev; n->next = h; h->prev->next = n; h->prev = n;
}
static inline void dlist_add_head(struct dlist *h, struct dlist *n)
{
	n->next = h->next; n->prev = h; h->next->prev = n; h->next = n;
}
static inline void dlist_del(struct dlist *n)
{
	n->prev->next = n->next; n->next->prev = n->prev; n->next = n->prev = n;
}
#define dlist_entry(ptr, type, member) container_of(ptr, type, member)
#define dlist_for_each_safe(pos, tmp, head) \
	for (pos = (head)->next, tmp = pos->next; pos != (head); pos = tmp, tmp = pos->next)

/* Unaligned big-endian accessors for wire formats. */
static inline uint16_t get_be16(const void *p)
{
	const uint8_t *b = p; return (uint16_t)(b[0] << 8 | b[1]);
}
static inline uint32_t get_be32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}
/* One load, then a byte swap where the host is little-endian (hot paths: lpm6, the SPD). */
static inline uint64_t get_be64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}
static inline void put_be16(void *p, uint16_t v)
{
	uint8_t *b = p; b[0] = v >> 8; b[1] = (uint8_t)v;
}
static inline void put_be32(void *p, uint32_t v)
{
	uint8_t *b = p; b[0] = v >> 24; b[1] = (uint8_t)(v >> 16); b[2] = (uint8_t)(v >> 8); b[3] = (uint8_t)v;
}

/* IPv6 address predicates (struct in6_addr from <netinet/in.h>). */
static inline bool in6_equal(const struct in6_addr *a, const struct in6_addr *b)
{
	return memcmp(a, b, 16) == 0;
}
static inline bool in6_is_unspec(const struct in6_addr *a)
{
	static const struct in6_addr z;
	return in6_equal(a, &z);
}
static inline bool in6_is_multicast(const struct in6_addr *a) { return a->s6_addr[0] == 0xff; }
static inline bool in6_is_linklocal(const struct in6_addr *a)
{
	return a->s6_addr[0] == 0xfe && (a->s6_addr[1] & 0xc0) == 0x80;
}
static inline bool in6_is_loopback(const struct in6_addr *a)
{
	static const struct in6_addr lo = { .s6_addr = { [15] = 1 } };
	return in6_equal(a, &lo);
}
/* Multicast scope (RFC 4291 2.7), 0 if not multicast. */
static inline int in6_mc_scope(const struct in6_addr *a)
{
	return in6_is_multicast(a) ? (a->s6_addr[1] & 0x0f) : 0;
}
/* True if the first @len bits of @a and @b agree. */
bool in6_prefix_match(const struct in6_addr *a, const struct in6_addr *b, unsigned len);
/* Zero every bit after the first @len. */
void in6_prefix_mask(struct in6_addr *a, unsigned len);
/* ff02::1:ffXX:XXXX for @a (RFC 4291 2.7.1). */
void in6_solicited_node(struct in6_addr *out, const struct in6_addr *a);
/* 33:33:xx:xx:xx:xx for multicast @a (RFC 2464 7). */
void in6_mc_to_mac(uint8_t mac[6], const struct in6_addr *a);
/* Modified EUI-64 interface identifier from a MAC (RFC 4291 App. A). */
void in6_eui64(uint8_t iid[8], const uint8_t mac[6]);
/* "2001:db8::1" into buf (INET6_ADDRSTRLEN); returns buf. */
const char *in6_ntop(const struct in6_addr *a, char *buf);
/* Parses "ADDR" or "ADDR/LEN" (LEN defaults to 128); 0 or -EINVAL. */
int in6_parse_prefix(const char *s, struct in6_addr *a, unsigned *len);

static const struct in6_addr in6_all_nodes = { .s6_addr = { 0xff, 2, [15] = 1 } };
static const struct in6_addr in6_all_routers = { .s6_addr = { 0xff, 2, [15] = 2 } };
static const struct in6_addr in6_all_mldv2_routers = { .s6_addr = { 0xff, 2, [15] = 0x16 } };

#endif
