/*
 * lpm6: longest-prefix match on 128-bit keys (internal to route6.c).
 *
 * A multibit trie: a 16-bit root, then 8-bit nodes. A prefix lives in the
 * node whose stride holds its last bit, expanded over the entries it covers
 * (each entry keeps the longest such prefix). Below an entry, prefixes are
 * kept in a small bucket scanned longest first until it grows past
 * LPM6_BUCKET_MAX, then the bucket becomes a node: random tables stay a
 * root entry and a bucket of one or two prefixes deep. Levels that would
 * hold a single child and no prefix are skipped (path compression), and an
 * entry keeps a copy of its prefix's value. An exact-match hash
 * of every prefix serves add/delete and the rare slow paths.
 *
 * The caller owns the prefix objects (it embeds struct lpm6_pfx first in
 * its own struct) and keeps them alive while they are in the table.
 *
 * Payload: a table made with lpm6_new_payload(key, n) also copies the n
 * bytes that follow struct lpm6_pfx in the caller's object into its
 * buckets, refreshed by lpm6_set_val(), and every lpm6_val it hands back is
 * followed by those n bytes (the bucket's copy or the object's own), so a
 * caller whose hot data fits there reads nothing past the match.
 */
#ifndef USAGI_IPV6_LPM6_H
#define USAGI_IPV6_LPM6_H

#include "core/common.h"
#include "core/siphash.h"

/* What a match hands back; buckets keep a copy so a hit needs no pointer chase. */
struct lpm6_val {
	const void *val;           /* the caller's (route6: best route) */
	uint64_t expires;          /* the caller's (route6: its expiry) */
	struct lpm6_pfx *pfx;
};

struct lpm6_pfx {
	uint64_t hi, lo;           /* the prefix, host order, masked to plen */
	uint8_t plen;
	struct lpm6_pfx *hnext;    /* lpm6.c: exact-match hash chain */
	struct lpm6_val v;         /* set with lpm6_set_val() once in the table */
};

struct lpm6;

#define LPM6_PAYLOAD_MAX 128

struct lpm6 *lpm6_new(const struct siphash_key *key);
/* A table with a payload of @psize bytes (<= LPM6_PAYLOAD_MAX), see above; NULL on ENOMEM or a bad size. */
struct lpm6 *lpm6_new_payload(const struct siphash_key *key, size_t psize);
/* Frees the table, not the prefixes. */
void lpm6_free(struct lpm6 *t);
/* Fills p->hi/lo/plen from @a masked to @plen (plen <= 128). */
void lpm6_key(struct lpm6_pfx *p, const struct in6_addr *a, unsigned plen);
void lpm6_key_to_addr(const struct lpm6_pfx *p, struct in6_addr *a);
/* The prefix with exactly this key, NULL if none. */
struct lpm6_pfx *lpm6_find(const struct lpm6 *t, const struct lpm6_pfx *key);
/* Inserts @p (its key must not be in the table yet). 0 or -ENOMEM. */
int lpm6_insert(struct lpm6 *t, struct lpm6_pfx *p);
/* Removes @p, which must be in the table. */
void lpm6_remove(struct lpm6 *t, struct lpm6_pfx *p);
/* Sets the value of @p (in the table) and its bucket copy (with a payload table, the payload's too). */
void lpm6_set_val(struct lpm6 *t, struct lpm6_pfx *p, const void *val, uint64_t expires);
/*
 * Value of the longest prefix containing @a, NULL if none; valid until the
 * table changes. With a payload table, the payload follows it. Hot path.
 */
const struct lpm6_val *lpm6_match(const struct lpm6 *t, const struct in6_addr *a);
/*
 * The same for the address whose bits are @hi (0..63) and @lo (64..127),
 * for callers that compute a key: passing it in registers spares the store
 * a load would have to wait for.
 */
const struct lpm6_val *lpm6_match_key(const struct lpm6 *t, uint64_t hi, uint64_t lo);
/* Longest prefix containing @a that is shorter than @plen (slow: one hash probe per length). */
struct lpm6_pfx *lpm6_match_shorter(const struct lpm6 *t, const struct in6_addr *a, unsigned plen);
/* True if the table holds a prefix longer than @p and inside it (@p itself need not be in the table). */
bool lpm6_has_longer(const struct lpm6 *t, const struct lpm6_pfx *p);
/* Calls @fn for every prefix, in no particular order; @fn must not change the table. */
void lpm6_walk(const struct lpm6 *t, void (*fn)(void *ctx, struct lpm6_pfx *p), void *ctx);
unsigned lpm6_count(const struct lpm6 *t);
/* Nodes a lookup of @a reads, root included (tests: path compression). */
unsigned lpm6_depth(const struct lpm6 *t, const struct in6_addr *a);

#endif
