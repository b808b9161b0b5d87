/*
 * The Mobility Header (RFC 6275 6.1): every message and option, parsed
 * from the wire with strict length checks and built back. A pure codec:
 * no stack state except the drop counters (mh_stats.def).
 *
 * Wire layout (all messages): Payload Proto (must be 59), Header Len
 * (8-octet units, not counting the first 8), MH Type, Reserved, Checksum
 * (over the RFC 2460 pseudo-header with the home address as source when a
 * Home Address option is present and the final destination, i.e. the home
 * address of a type 2 routing header), then the message data and options.
 * The whole header is a multiple of 8 octets.
 */
#ifndef USAGI_MIP6_MH_H
#define USAGI_MIP6_MH_H

#include "core/common.h"

struct stack;

enum mh_type {
	MH_BRR = 0,    /* Binding Refresh Request */
	MH_HOTI = 1,   /* Home Test Init */
	MH_COTI = 2,   /* Care-of Test Init */
	MH_HOT = 3,    /* Home Test */
	MH_COT = 4,    /* Care-of Test */
	MH_BU = 5,     /* Binding Update */
	MH_BA = 6,     /* Binding Acknowledgement */
	MH_BE = 7,     /* Binding Error */
	MH_TYPE_MAX = 7,
};

/* Mobility options (RFC 6275 6.2). */
enum mh_opt_type {
	MH_OPT_PAD1 = 0, MH_OPT_PADN = 1, MH_OPT_BRA = 2, MH_OPT_ALTCOA = 3,
	MH_OPT_NONCE = 4, MH_OPT_AUTH = 5,
};

/* BU flags (RFC 6275 6.1.7), in the octet after the sequence number. */
enum { MH_BU_A = 0x80, MH_BU_H = 0x40, MH_BU_L = 0x20, MH_BU_K = 0x10 };
/* BA flags (6.1.8). */
enum { MH_BA_K = 0x80 };

/* BA status codes (6.1.8); < 128 accepted. */
enum mh_ba_status {
	MH_BA_ACCEPTED = 0,
	MH_BA_ACCEPTED_PREFIX_DISC = 1,
	MH_BA_UNSPECIFIED = 128,
	MH_BA_PROHIBITED = 129,
	MH_BA_RESOURCES = 130,
	MH_BA_NO_HOME_REG = 131,          /* home registration not supported */
	MH_BA_NOT_HOME_SUBNET = 132,
	MH_BA_NOT_HOME_AGENT = 133,       /* not home agent for this mobile node */
	MH_BA_DAD_FAILED = 134,
	MH_BA_SEQ_OUT_OF_WINDOW = 135,
	MH_BA_EXPIRED_HOME_NONCE = 136,
	MH_BA_EXPIRED_COA_NONCE = 137,
	MH_BA_EXPIRED_NONCES = 138,
	MH_BA_REG_TYPE_CHANGE = 139,      /* registration type change disallowed */
};

/* BE status codes (6.1.9). */
enum { MH_BE_UNKNOWN_HAO = 1, MH_BE_UNKNOWN_MH = 2 };

#define MH_COOKIE_LEN 8
#define MH_TOKEN_LEN 8
#define MH_AUTH_LEN 12           /* Binding Authorization Data: 96 bits */
#define MH_HDR_LEN 6             /* up to and including the checksum */
#define MH_CSUM_OFF 4

/* Options found in (or to put into) a message; has_* say which. */
struct mh_opts {
	bool has_refresh;            /* Binding Refresh Advice */
	uint16_t refresh;            /* 4-second units */
	bool has_altcoa;             /* Alternate Care-of Address */
	struct in6_addr altcoa;
	bool has_nonce;              /* Nonce Indices */
	uint16_t home_nonce_idx, coa_nonce_idx;
	bool has_auth;               /* Binding Authorization Data (always last) */
	uint8_t auth[MH_AUTH_LEN];
	uint16_t auth_off;           /* parse/build: offset of auth[] in the message */
};

/* One message; the union member is the one @type names. */
struct mh_msg {
	uint8_t type;                /* enum mh_type */
	union {
		struct { uint8_t cookie[MH_COOKIE_LEN]; } hoti, coti;        /* HoTI, CoTI */
		struct {                                                      /* HoT, CoT */
			uint16_t nonce_idx;
			uint8_t cookie[MH_COOKIE_LEN];
			uint8_t token[MH_TOKEN_LEN];
		} hot, cot;
		struct { uint16_t seq; uint8_t flags; uint16_t lifetime; } bu;   /* lifetime in 4 s units */
		struct { uint8_t status, flags; uint16_t seq, lifetime; } ba;
		struct { uint8_t status; struct in6_addr home; } be;
	};
	struct mh_opts opt;
};

/* What the receiver does with a message mh_parse refused (RFC 6275 9.2). */
enum mh_verdict {
	MH_OK = 0,
	MH_DROP,          /* silently discarded (bad checksum, truncated, bad option), counted */
	MH_PARAM_PROB,    /* ICMPv6 Parameter Problem code 0 at *ptr (offset from the MH start):
			     Payload Proto not 59, or Header Len below the type's minimum */
	MH_UNKNOWN_TYPE,  /* Binding Error status 2 back to the sender */
};

/*
 * Parses the Mobility Header at @mh (@len octets: exactly the header, as
 * delivered, Header Len must cover it) into @out. @src and @dst are the
 * pseudo-header addresses (home address if a HAO was present, final
 * destination); the checksum is verified. Options: aligned as 6.2 asks is
 * not required of senders, but each must fit, Pad1/PadN are skipped,
 * unknown options skipped (6.2.1), a known option with a wrong length is a
 * drop, BAD must be the last. Options not allowed in a message are ignored
 * (6.2: "silently ignored"). Each refusal is counted in @st (mh_stats.def);
 * *ptr is set for MH_PARAM_PROB.
 * Checks in the order of 9.2: @len must be (Header Len + 1) * 8 (shorter:
 * MH_DROP mh_in_truncated, longer: MH_DROP mh_in_bad_len), checksum
 * (mh_in_bad_csum), MH Type (MH_UNKNOWN_TYPE, out->type set), Payload
 * Proto (ptr 0), Header Len below the type's minimum -- BRR 0, HoTI/CoTI 1,
 * HoT/CoT 2, BU/BA 1, BE 2 -- (ptr 1), then options (mh_in_opt_overrun,
 * mh_in_opt_bad_len, mh_in_auth_not_last: nothing, not even padding, may
 * follow BAD). Not-allowed options are skipped like unknown ones (only
 * their fit is checked; counted in mh_in_opt_unknown). @out is zeroed
 * first, so parsed structs compare with memcmp; @ptr may be NULL.
 */
enum mh_verdict mh_parse(struct stack *st, const uint8_t *mh, size_t len,
			 const struct in6_addr *src, const struct in6_addr *dst,
			 struct mh_msg *out, uint32_t *ptr);

/*
 * Builds @m into @buf (@cap octets): fixed part, options in the order BRA,
 * Alternate CoA, Nonce Indices, BAD with the alignment 6.2 asks (2n, 8n+6,
 * 2n, 8n+2) by Pad1/PadN, padded to a multiple of 8 (BAD ends the message
 * exactly). Payload Proto 59. Checksum left 0 (ip6_output fills it through
 * ip6_tx.csum_off = MH_CSUM_OFF, or mh_csum_set). When opt.has_auth, the
 * authenticator is written from opt.auth and *auth_off (if non-NULL) gets
 * its offset, so a caller can compute it over buf[0..*auth_off) and write it
 * afterwards. Returns the length, or -ENOSPC / -EINVAL (type unknown).
 * Every option whose has_* is set is written, allowed in @m->type or not
 * (a receiver ignores the others, 6.2); opt.auth_off is not read.
 */
int mh_build(const struct mh_msg *m, uint8_t *buf, size_t cap, size_t *auth_off);

/* Fills the checksum of the built message at @mh (@len) for @src/@dst. */
void mh_csum_set(uint8_t *mh, size_t len, const struct in6_addr *src, const struct in6_addr *dst);

/* "BU", "BA", ... for logs and timelines; "MH?" for others. */
const char *mh_type_name(uint8_t type);

#endif
