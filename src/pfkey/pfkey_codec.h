/*
 * The PF_KEYv2 codec (RFC 2367 + KAME/Linux/FreeBSD extensions): the one
 * parser, checker, builder and SAD/SPD converter that the node's PF_KEY
 * server, `usagi setkey`, the tests and the fuzzer all use. It holds no
 * state, counts nothing and does no I/O; wire structs are in
 * include/usagi/pfkeyv2.h.
 *
 * Receiving:   pfkey_parse (framing: every length, alignment, sockaddr,
 *              key, ipsecrequest) -> pfkey_check (which extensions this
 *              message type needs or must not carry) -> pfkey_to_sa_cfg /
 *              pfkey_to_policy (meaning).
 * Sending:     pfkey_buf_init -> pfkey_add_* ... -> pfkey_buf_finish ->
 *              b.data/b.len -> pfkey_buf_free.
 *
 * Errors are -errno, the value a PF_KEY reply carries in sadb_msg_errno
 * (as a positive number) so a daemon sees what Linux would tell it:
 *   -EMSGSIZE    the buffer is not exactly the length the header declares,
 *                or shorter than a header, or a built message would exceed
 *                PFKEY_MSG_MAX;
 *   -EINVAL      anything malformed inside a correctly sized message
 *                (version, reserved bytes, extension lengths/overlaps/
 *                duplicates/unknown types, sockaddrs, prefix lengths, keys,
 *                ipsecrequests, sub-structure counts), a missing or
 *                forbidden extension, an SA type wrong for the message,
 *                a value the SAD/SPD cannot represent;
 *   -EOPNOTSUPP  a message type usagi does not serve (X_PCHANGE,
 *                X_SPDACQUIRE, X_MIGRATE, > SADB_MAX, 0), or an SA type
 *                it has no transform for (RSVP, OSPFv2, RIPv2, MIP);
 *   -ENOMEM      the builder could not grow its buffer.
 * Each -EINVAL/-EOPNOTSUPP comes with a fixed reason string (never any key
 * byte) for logs and for `usagi setkey` to print.
 *
 * Replay windows: sadb_sa_replay is read as packets, as Linux does (KAME
 * and FreeBSD kernels read it as bytes of bitmap, 8 packets a byte;
 * ipsec-tools' setkey passes `-r N` through unchanged, so on Linux and on
 * usagi `-r 64` is 64 packets). A window above 255 packets travels in
 * SADB_X_EXT_SA_REPLAY (in packets, as FreeBSD's kernel reads it), with
 * sadb_sa_replay = 255; when both are present SA_REPLAY wins.
 */
#ifndef USAGI_PFKEY_PFKEY_CODEC_H
#define USAGI_PFKEY_PFKEY_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "usagi/pfkeyv2.h"
#include "xfrm/xfrm.h"

/* ext[] is indexed by extension type, 1..SADB_EXT_MAX. */
#define PFKEY_EXT_SLOTS (SADB_EXT_MAX + 1)
/* The largest message: sadb_msg_len is 16 bits of 8-byte words. */
#define PFKEY_MSG_MAX ((size_t)0xffff * 8)
/* sadb_sa_replay's range; larger windows need SADB_X_EXT_SA_REPLAY. */
#define PFKEY_REPLAY_SA_MAX 255

/*
 * A parsed message: pointers into the caller's buffer, which must stay
 * alive and unchanged while the pfkey_msg is used. ext[t] is the
 * extension of type t or NULL. Every pointer is 8-byte aligned relative
 * to the start of the buffer; the buffer itself must be 8-byte aligned
 * (malloc'd or a uint64_t array) for the fields to be read directly.
 */
struct pfkey_msg {
	const struct sadb_msg *hdr;
	const struct sadb_ext *ext[PFKEY_EXT_SLOTS];
	size_t len;                  /* bytes, == hdr->sadb_msg_len * 8 */
	const char *why;             /* set by pfkey_parse when it fails: a fixed reason */
};

/*
 * Parses and validates the framing of one message of @len bytes at @buf
 * (RFC 2367 2.3, 3.1): @len == sadb_msg_len * 8, >= 16, a multiple of 8;
 * version PF_KEY_V2; sadb_msg_reserved 0; sadb_msg_errno 0 is NOT
 * required (replies carry errors and are parsed too); a known message
 * type. Then every extension: length >= its struct and inside the message,
 * a multiple of 8 bytes (non-zero), no duplicate type, no unknown type,
 * and its own contents:
 *   address (SRC/DST/PROXY/NAT_T_OA): a sockaddr_in or sockaddr_in6 (Linux
 *     layout: family first) padded to 8 and nothing more, prefix length
 *     <= 32 / 128 (reserved bytes are not checked, as in Linux);
 *   key: its (sadb_key_bits + 7) / 8 bytes inside the extension (0 bits:
 *     an empty key, as for the null algorithm);
 *   identity: the string (if any) NUL-terminated inside the extension;
 *   sensitivity: (sens_len + integ_len) * 8 bytes exactly follow;
 *   proposal / supported: whole sadb_comb / sadb_alg entries exactly fill it;
 *   X_POLICY: every ipsecrequest's byte length >= 16, a multiple of 8,
 *     inside the extension, the requests filling it exactly; a request
 *     longer than 16 bytes holds exactly two sockaddrs of one family back
 *     to back, padded once (48 bytes in all for IPv4, 72 for IPv6);
 *   SA, lifetimes, SPIRANGE, X_SA2, NAT_T_TYPE/SPORT/DPORT, X_SA_REPLAY:
 *     exactly their struct;
 *   KMPRIVATE, SUPPORTED: anything 8-aligned.
 * Refused extension types: 0, X_SEC_CTX, X_KMADDRESS, X_FILTER and every
 * number usagi does not know.
 * 0 and *@m filled, or -EMSGSIZE / -EINVAL / -EOPNOTSUPP with @m->why set
 * (other fields of @m are then unspecified). Pure: reads @buf only.
 */
int pfkey_parse(const void *buf, size_t len, struct pfkey_msg *m);

/*
 * The message-type rules (RFC 2367 3.1.x tables, KAME's SPD messages) for
 * a message a user sends: which extensions it must carry, which it must
 * not, and which SA types it accepts (e.g. ADD needs SA, SRC, DST and an
 * AH/ESP/IPComp satype; FLUSH accepts UNSPEC). Kernel-originated types
 * (ACQUIRE, EXPIRE, X_SPDEXPIRE, X_NAT_T_NEW_MAPPING) are checked against
 * what the node sends, so a parsed broadcast passes too. 0 or -EINVAL
 * (a missing/forbidden extension, a bad satype), -EOPNOTSUPP (an SA type
 * usagi has no transform for). A const table, no state.
 */
int pfkey_check(const struct pfkey_msg *m);
/* pfkey_check, and on failure *@why names the rule broken ("ADD needs SADB_EXT_SA"). */
int pfkey_check_why(const struct pfkey_msg *m, const char **why);

/* Typed access to a parsed extension; NULL when absent. */
#define PFKEY_EXT(m, type, ctype) ((const struct ctype *)(const void *)(m)->ext[(type)])

/*
 * Stack time @t_ns as PF_KEY carries add and use times (RFC 2367 2.3.3:
 * seconds since the epoch): @epoch_ns is the wall clock at stack time 0
 * (st->epoch_ns; 0 in simulations and tests, whose times then count from
 * 1970 and stay deterministic). A use time of 0 means never used: callers
 * send 0 for it, not this.
 */
static inline uint64_t pfkey_time_s(uint64_t t_ns, uint64_t epoch_ns)
{
	return (epoch_ns + t_ns) / 1000000000ull;
}

/* An address extension decoded. */
struct pfkey_addr {
	struct in6_addr addr;        /* IPv4 as ::ffff:a.b.c.d */
	uint8_t family;              /* AF_INET or AF_INET6 */
	uint8_t plen;                /* prefix length in the family's terms */
	uint8_t proto;               /* sadb_address_proto */
	uint16_t port;               /* host order, 0 = any */
};

/* Decodes address extension @type of @m. 0, or -ENOENT when absent. */
int pfkey_get_address(const struct pfkey_msg *m, unsigned type, struct pfkey_addr *out);
/* Key extension @type: its bytes ((bits + 7) / 8 of them) and bit count; NULL when absent. */
const uint8_t *pfkey_get_key(const struct pfkey_msg *m, unsigned type, unsigned *bits);
/* The SA extension's SPI in host order, 0 when there is no SA extension. */
uint32_t pfkey_get_spi(const struct pfkey_msg *m);

/* ---- Building ------------------------------------------------------------------------- */

/*
 * A message under construction: owns @data (heap), grows as extensions
 * are added. The first failure (-ENOMEM, -EMSGSIZE, -EINVAL) sticks in
 * @err: later pfkey_add_* calls do nothing and return it, and
 * pfkey_buf_finish returns it, so a builder sequence needs one check.
 * Key bytes are wiped from the buffer (and from every buffer it grew
 * out of) by pfkey_buf_free and on growth.
 */
struct pfkey_buf {
	uint8_t *data;               /* 8-byte aligned; the sadb_msg is at data[0] */
	size_t len, cap;
	int err;
	bool has_keys;               /* wipe before free */
};

/*
 * Starts a message: a sadb_msg with version 2, @type, @satype, @seq, @pid,
 * errno 0. 0 or -ENOMEM (b->err is set too; pfkey_buf_free is still safe).
 */
int pfkey_buf_init(struct pfkey_buf *b, uint8_t type, uint8_t satype, uint32_t seq, uint32_t pid);
/*
 * Starts a reply to @req: its type, satype, seq and pid, with
 * sadb_msg_errno = @err (positive or negative errno; 0 for success).
 * An error reply is just this header (RFC 2367 3.1: errors carry no
 * extensions); finish it at once.
 */
int pfkey_buf_reply(struct pfkey_buf *b, const struct sadb_msg *req, int err);
/* Sets sadb_msg_errno of the message in @b (|@err|, clamped to 255). */
void pfkey_set_errno(struct pfkey_buf *b, int err);
/*
 * Writes sadb_msg_len. 0 and the message is b->data[0..b->len), or the
 * sticky error (-ENOMEM, -EMSGSIZE when longer than PFKEY_MSG_MAX, -EINVAL
 * from a bad argument to an add). May be called again after more adds.
 */
int pfkey_buf_finish(struct pfkey_buf *b);
/* Wipes (if it held keys) and frees @data; @b may then be initialised again. NULL-safe. */
void pfkey_buf_free(struct pfkey_buf *b);

/*
 * Appends an extension of @len bytes (rounded up to 8), zeroed, with its
 * length and @type set, and returns it; NULL on failure (sticky error).
 * The pointer is valid until the next add (the buffer may move).
 */
void *pfkey_buf_ext(struct pfkey_buf *b, uint16_t type, size_t len);

/* SA extension. @spi host order (written in network order); @replay in packets, clamped to 255. */
int pfkey_add_sa(struct pfkey_buf *b, uint32_t spi, uint32_t replay, uint8_t state,
		 uint8_t auth, uint8_t encrypt, uint32_t flags);
/* Lifetime extension @which (SADB_EXT_LIFETIME_CURRENT/HARD/SOFT). */
int pfkey_add_lifetime(struct pfkey_buf *b, uint16_t which, uint32_t allocations,
		       uint64_t bytes, uint64_t addtime, uint64_t usetime);
/*
 * Address extension @which (SRC, DST, PROXY, X_NAT_T_OA). @a: IPv4 as
 * mapped when @family is AF_INET; @port host order; @plen in the family's
 * terms (0xff: the full length); @proto the upper-layer protocol (0 for SAs,
 * IPSEC_ULPROTO_ANY for any in policies). -EINVAL for a bad family/plen.
 */
int pfkey_add_address(struct pfkey_buf *b, uint16_t which, const struct in6_addr *a,
		      uint8_t family, uint16_t port, uint8_t plen, uint8_t proto);
/* Key extension @which (KEY_AUTH/KEY_ENCRYPT): @bits of key from @bytes ((bits+7)/8 read). */
int pfkey_add_key(struct pfkey_buf *b, uint16_t which, unsigned bits, const void *bytes);
/* SPI range for GETSPI, host order, inclusive. */
int pfkey_add_spirange(struct pfkey_buf *b, uint32_t min, uint32_t max);
/* X_SA2: @mode IPSEC_MODE_*, @reqid host order (sequence 0). */
int pfkey_add_sa2(struct pfkey_buf *b, uint8_t mode, uint32_t reqid);
/* X_SA_REPLAY: @window in packets. */
int pfkey_add_sa_replay(struct pfkey_buf *b, uint32_t window);
/* X_NAT_T_TYPE + X_NAT_T_SPORT + X_NAT_T_DPORT; ports host order. */
int pfkey_add_natt(struct pfkey_buf *b, uint8_t type, uint16_t sport, uint16_t dport);
/*
 * SUPPORTED_AUTH or SUPPORTED_ENCRYPT (@which) from the crypto table,
 * for a REGISTER reply of @satype: ESP lists ciphers and AEADs under
 * ENCRYPT and integrity algorithms under AUTH; AH only AUTH; IPComp
 * compression algorithms under ENCRYPT (KAME); UNSPEC as ESP. Adds
 * nothing (and returns 0) when the list would be empty (AH's ENCRYPT).
 * Key ranges in bits, salt included (what the key extension must carry),
 * IV length in bytes.
 */
int pfkey_add_supported(struct pfkey_buf *b, uint16_t which, uint8_t satype);
/*
 * PROPOSAL for an ACQUIRE of @satype: one sadb_comb per algorithm
 * combination the node implements (ESP: every cipher with every integrity
 * algorithm and with none, every AEAD alone; AH: every integrity
 * algorithm; IPComp: every compression algorithm), @replay in packets
 * (clamped to 255), the lifetimes from @lft (NULL: unlimited).
 */
int pfkey_add_proposal(struct pfkey_buf *b, uint8_t satype, uint32_t replay,
		       const struct xfrm_lifetime *lft);
/* IDENTITY_SRC/_DST: @type SADB_IDENTTYPE_*, @id numeric, @str (NULL: none) NUL-terminated on the wire. */
int pfkey_add_ident(struct pfkey_buf *b, uint16_t which, uint16_t type, uint64_t id, const char *str);
/*
 * A policy: SRC and DST address extensions from the selector (prefix
 * lengths, ports, upper-layer protocol: XFRM_PROTO_ANY as
 * IPSEC_ULPROTO_ANY) and X_POLICY (type from the action, direction,
 * id = pol->index, priority) with one ipsecrequest per template in
 * setkey order, tunnel templates always with their endpoints (:: as
 * zeros, in the template's family or else the selector's), transport
 * ones without. -EINVAL for a policy the wire cannot carry (a partial
 * port mask, no family); the interface index is not carried.
 */
int pfkey_add_policy(struct pfkey_buf *b, const struct xfrm_policy *pol);
/*
 * LIFETIME_CURRENT of a policy: packets as allocations, bytes, add time
 * and last use time (0: never used) in seconds since the epoch
 * (pfkey_time_s with @epoch_ns).
 */
int pfkey_add_policy_current(struct pfkey_buf *b, const struct xfrm_policy *pol, uint64_t epoch_ns);
/*
 * LIFETIME_HARD / _SOFT of a policy when it has such limits (pol->lft):
 * add time and use (idle) time in seconds, allocations and bytes 0 (KAME's
 * "lifetime" and "validtime" are HARD's addtime and usetime).
 */
int pfkey_add_policy_lifetimes(struct pfkey_buf *b, const struct xfrm_policy *pol);
/*
 * Everything the node says of a policy it holds (SPDDUMP entries, SPDGET
 * replies, SPD broadcasts, X_SPDEXPIRE's base): pfkey_add_policy, then
 * LIFETIME_CURRENT and the limits (pfkey_add_policy_lifetimes).
 */
int pfkey_add_policy_state(struct pfkey_buf *b, const struct xfrm_policy *pol, uint64_t epoch_ns);
/* X_POLICY alone, no requests: SPDGET/SPDDELETE2 by id, SPDFLUSH-style markers. */
int pfkey_add_policy_id(struct pfkey_buf *b, uint8_t type, uint8_t dir, uint32_t id,
			uint32_t priority);

/*
 * What an ADD/UPDATE request carries for @cfg (the reverse of
 * pfkey_to_sa_cfg): SA (SPI, window up to 255, state MATURE, algorithm
 * ids, ESN flag), X_SA2 (mode, reqid), X_SA_REPLAY when the window exceeds
 * 255, SRC and DST (full prefix, protocol 0), KEY_AUTH / KEY_ENCRYPT when
 * @with_keys and the key is not empty, LIFETIME_HARD / _SOFT when any
 * limit is set, the NAT-T extensions when encapsulated (NAT_T_OA if set),
 * in that order. Key bytes make @b wipe itself.
 */
int pfkey_add_sa_cfg(struct pfkey_buf *b, const struct xfrm_sa_cfg *cfg, bool with_keys);

/*
 * Everything a GET/DUMP/EXPIRE/ADD-reply carries for SA @x: as
 * pfkey_add_sa_cfg with the SA's state, the replay window the SAD runs
 * (an ESN SA configured below 32 runs 32; no window: 0), the low 32 bits
 * of its output sequence number in X_SA2, and LIFETIME_CURRENT (packets
 * as allocations, bytes, add/use time in seconds since the epoch:
 * pfkey_time_s with @epoch_ns, use time 0 while unused) before HARD/SOFT.
 * A LARVAL SA has no keys and no algorithms; it carries its add time and
 * the hard add-time lifetime it dies by (XFRM_LARVAL_LIFETIME_S), as
 * Linux and KAME show larval SAs.
 */
int pfkey_add_state(struct pfkey_buf *b, const struct xfrm_state *x, bool with_keys, uint64_t epoch_ns);

/* ---- Converting ----------------------------------------------------------------------- */

/*
 * The SAD configuration a parsed ADD/UPDATE/GETSPI/GET/DELETE asks for,
 * from what @m carries (pfkey_parse and pfkey_check first): proto from
 * the satype; daddr/saddr/family from DST/SRC (same family; prefix
 * lengths, ports and protocol ignored, as Linux does); SPI, window, algorithms (names via
 * crypto_alg_by_sadb), ESN flag from SA; mode/reqid from X_SA2 (mode ANY
 * -> transport, BEET refused); X_SA_REPLAY; keys (AH with an encrypt
 * key, or a key for no algorithm, refused); HARD/SOFT lifetimes
 * (allocations = packets; 0 = no limit); NAT-T type/ports/OA (ESP only).
 * Without an SA extension (GETSPI) no algorithm is read: the result names
 * the SA (addresses, proto, mode, reqid) but is not a complete SA. Key length
 * per algorithm is left to the SAD (crypto_alg_check_key gives its
 * reason). @cfg is zeroed first; keys copied into it (wipe it after).
 * 0, or -EINVAL / -EOPNOTSUPP with *@why (fixed text, no key bytes).
 */
int pfkey_to_sa_cfg(const struct pfkey_msg *m, struct xfrm_sa_cfg *cfg, const char **why);

/*
 * The SA a GET or DELETE names (RFC 2367 3.1.4, 3.1.5): the protocol from
 * the satype, the SPI from the SA extension, the destination address.
 * Nothing else is read: the SA extension's algorithms, window and flags,
 * keys and lifetimes mean nothing here, and the source address is not part
 * of the SAD's id (Linux does not compare it either). 0, or -EINVAL with
 * *@why (@why may be NULL) when the satype is not AH/ESP/IPComp or the SA
 * or DST extension is missing.
 */
int pfkey_to_sa_id(const struct pfkey_msg *m, struct xfrm_id *id, const char **why);

/*
 * The SPD policy a parsed X_SPDADD/X_SPDUPDATE/X_SPDSETIDX/X_SPDDELETE
 * carries: selector from SRC/DST (prefix lengths, ports, upper-layer
 * protocol: IPSEC_ULPROTO_ANY and 0 -> XFRM_PROTO_ANY), direction (IN,
 * OUT, FWD; ANY refused), action from the policy type (DISCARD -> block,
 * NONE -> allow, IPSEC -> ipsec; ENTRUST/BYPASS refused), priority and
 * id (pol->index), and the templates from the ipsecrequests (protocol
 * ESP/AH/IPComp, mode ANY taken as transport, BEET refused, level, reqid;
 * tunnel endpoints, an all-zero one as ::, none given: :: in the
 * selector's family; transport endpoints ignored as setkey does; at
 * most XFRM_TMPL_MAX; an ipsec policy needs one, others none), and the
 * lifetimes of LIFETIME_HARD / _SOFT (add time, use time; allocations
 * and bytes are not policy limits and are ignored, as Linux does). Without
 * SRC/DST (SPDGET, SPDDELETE2) the selector stays zero; direction ANY is
 * refused, so read an id-only message's X_POLICY directly.
 * @pol is zeroed first. 0, or -EINVAL with *@why (@why may be NULL).
 */
int pfkey_to_policy(const struct pfkey_msg *m, struct xfrm_policy *pol, const char **why);

/* ---- Small mappings ------------------------------------------------------------------- */

/* SADB_SATYPE_AH/ESP/X_IPCOMP -> IPPROTO_AH/ESP/COMP; 0 for any other. */
uint8_t pfkey_satype_to_proto(uint8_t satype);
/* IPPROTO_AH/ESP/COMP -> the satype; SADB_SATYPE_UNSPEC for any other (incl. 0/any). */
uint8_t pfkey_proto_to_satype(uint8_t proto);
/* IPSEC_MODE_* -> XFRM_MODE_* (ANY -> transport), -EINVAL for BEET/unknown. */
int pfkey_mode_to_xfrm(uint8_t mode);
uint8_t pfkey_mode_from_xfrm(uint8_t xfrm_mode);
/* IPSEC_DIR_* -> XFRM_DIR_*, -EINVAL for ANY/unknown. */
int pfkey_dir_to_xfrm(uint8_t dir);
uint8_t pfkey_dir_from_xfrm(uint8_t xfrm_dir);
/* SADB_SASTATE_* of an xfrm_sa_state. */
uint8_t pfkey_state_from_xfrm(enum xfrm_sa_state s);

/* Names for logs and `setkey -x`: "SADB_ADD", "SADB_EXT_SA"...; "UNKNOWN" past the table. */
const char *pfkey_msg_type_name(unsigned type);
const char *pfkey_ext_type_name(unsigned type);

#endif
