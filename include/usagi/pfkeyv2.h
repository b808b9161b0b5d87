/*
 * PF_KEY version 2 on the wire (RFC 2367), as usagi's node speaks it on
 * DIR/pfkey, with the extensions KAME, Linux and FreeBSD key daemons use.
 *
 * A key daemon includes this header instead of <linux/pfkeyv2.h> and
 * <linux/ipsec.h> (do not include both: the names are the same). Every
 * number below is the one Linux uses, so code written for Linux PF_KEY
 * compiles and behaves unchanged; where usagi adds something Linux lacks
 * (SADB_X_EXT_SA_REPLAY, SADB_X_SAFLAGS_ESN) the comment says whose it is.
 *
 * Message layout (RFC 2367 2.3): a struct sadb_msg, then extensions, each
 * starting with a struct sadb_ext header. Every length is counted in 8-byte
 * units (PFKEY_UNIT64) and includes its own header; every extension starts
 * and ends on an 8-byte boundary.
 *
 * Byte order (RFC 2367 2.1): host order for every length, counter, reqid,
 * policy id and SPI range; network order for the SPI in sadb_sa_spi, for
 * addresses and ports inside sockaddrs and for the NAT-T ports
 * (sadb_x_nat_t_port_port).
 *
 * Addresses: a struct sadb_address is followed by a sockaddr in the Linux
 * layout (16-bit sa_family first, no sa_len byte): struct sockaddr_in (16
 * bytes) or struct sockaddr_in6 (28 bytes, padded to 32), padded with zeros
 * to a multiple of 8 bytes.
 */
#ifndef USAGI_PFKEYV2_H
#define USAGI_PFKEYV2_H

#include <stdint.h>

#if defined(_LINUX_PFKEY2_H)
#error "usagi/pfkeyv2.h replaces <linux/pfkeyv2.h>: include only one of them"
#endif

#define PF_KEY_V2 2                 /* sadb_msg_version, and socket(AF_KEY, SOCK_RAW, PF_KEY_V2) */
#define PFKEYV2_REVISION 199806L    /* the RFC's date stamp */

/* Lengths on the wire are in 8-byte words. */
#define PFKEY_ALIGN8(n)    ((((n) + 7) / 8) * 8)           /* round a byte count up to 8 */
#define PFKEY_UNIT64(n)    ((n) >> 3)                      /* bytes -> 8-byte words */
#define PFKEY_UNUNIT64(n)  ((n) << 3)                      /* 8-byte words -> bytes */

/* ---- The base header and the common extension header ---------------------------------- */

/* RFC 2367 2.3.1: starts every message; 16 bytes. */
struct sadb_msg {
	uint8_t  sadb_msg_version;    /* PF_KEY_V2 */
	uint8_t  sadb_msg_type;       /* SADB_* message type */
	uint8_t  sadb_msg_errno;      /* 0 in requests; a positive errno in a failed reply */
	uint8_t  sadb_msg_satype;     /* SADB_SATYPE_* */
	uint16_t sadb_msg_len;        /* whole message, 8-byte words */
	uint16_t sadb_msg_reserved;   /* zero */
	uint32_t sadb_msg_seq;        /* chosen by the sender, echoed in the reply */
	uint32_t sadb_msg_pid;        /* sender's id, echoed; 0 in kernel-originated messages */
};

/* RFC 2367 2.3.2: the first 4 bytes of every extension. */
struct sadb_ext {
	uint16_t sadb_ext_len;        /* this extension, header included, 8-byte words */
	uint16_t sadb_ext_type;       /* SADB_EXT_* / SADB_X_EXT_* */
};

/* ---- RFC 2367 extensions --------------------------------------------------------------- */

/* 2.3.3 SA: which SA and its algorithms. 16 bytes. */
struct sadb_sa {
	uint16_t sadb_sa_len;
	uint16_t sadb_sa_exttype;     /* SADB_EXT_SA */
	uint32_t sadb_sa_spi;         /* network order; IPComp: the CPI in the low 16 bits */
	/*
	 * Anti-replay window. Linux and usagi: in packets (0..255; larger
	 * windows go in SADB_X_EXT_SA_REPLAY). KAME/FreeBSD kernels read it as
	 * bytes of bitmap (8 packets each); see pfkey_codec.h.
	 */
	uint8_t  sadb_sa_replay;
	uint8_t  sadb_sa_state;       /* SADB_SASTATE_* (replies only) */
	uint8_t  sadb_sa_auth;        /* SADB_AALG_* */
	uint8_t  sadb_sa_encrypt;     /* SADB_EALG_*, or SADB_X_CALG_* for IPComp */
	uint32_t sadb_sa_flags;       /* SADB_SAFLAGS_* */
};

/* 2.3.4 lifetimes (current, hard, soft). 32 bytes. */
struct sadb_lifetime {
	uint16_t sadb_lifetime_len;
	uint16_t sadb_lifetime_exttype;   /* SADB_EXT_LIFETIME_CURRENT/HARD/SOFT */
	uint32_t sadb_lifetime_allocations;
	uint64_t sadb_lifetime_bytes;
	/* CURRENT: absolute times (seconds since the epoch, 0 = not yet); HARD/SOFT: seconds of life. */
	uint64_t sadb_lifetime_addtime;
	uint64_t sadb_lifetime_usetime;
};

/* 2.3.5 address (src, dst, proxy, NAT-T OA): 8 bytes, then a sockaddr padded to 8. */
struct sadb_address {
	uint16_t sadb_address_len;
	uint16_t sadb_address_exttype;    /* SADB_EXT_ADDRESS_* / SADB_X_EXT_NAT_T_OA */
	uint8_t  sadb_address_proto;      /* upper-layer protocol (SPD), IPSEC_ULPROTO_ANY or 0 for SAs */
	uint8_t  sadb_address_prefixlen;  /* bits: IPv4 0..32, IPv6 0..128 */
	uint16_t sadb_address_reserved;
};

/* 2.3.6 key: 8 bytes, then sadb_key_bits of key, padded to 8 bytes. */
struct sadb_key {
	uint16_t sadb_key_len;
	uint16_t sadb_key_exttype;        /* SADB_EXT_KEY_AUTH / SADB_EXT_KEY_ENCRYPT */
	uint16_t sadb_key_bits;           /* key length in bits (not the padding) */
	uint16_t sadb_key_reserved;
};

/* 2.3.7 identity: 16 bytes, then an optional NUL-terminated string, padded to 8. */
struct sadb_ident {
	uint16_t sadb_ident_len;
	uint16_t sadb_ident_exttype;      /* SADB_EXT_IDENTITY_SRC / _DST */
	uint16_t sadb_ident_type;         /* SADB_IDENTTYPE_* */
	uint16_t sadb_ident_reserved;
	uint64_t sadb_ident_id;           /* numeric id, when there is no string */
};

/* 2.3.8 sensitivity: 16 bytes, then sens_len + integ_len 64-bit bitmap words. */
struct sadb_sens {
	uint16_t sadb_sens_len;
	uint16_t sadb_sens_exttype;       /* SADB_EXT_SENSITIVITY */
	uint32_t sadb_sens_dpd;           /* domain of protection */
	uint8_t  sadb_sens_sens_level;
	uint8_t  sadb_sens_sens_len;      /* 64-bit words of the sensitivity bitmap */
	uint8_t  sadb_sens_integ_level;
	uint8_t  sadb_sens_integ_len;     /* 64-bit words of the integrity bitmap */
	uint32_t sadb_sens_reserved;
};

/* 2.3.9 proposal: 8 bytes, then struct sadb_comb entries. */
struct sadb_prop {
	uint16_t sadb_prop_len;
	uint16_t sadb_prop_exttype;       /* SADB_EXT_PROPOSAL */
	uint8_t  sadb_prop_replay;        /* window the daemon should negotiate */
	uint8_t  sadb_prop_reserved[3];
};

/* One acceptable combination inside a proposal. 72 bytes. */
struct sadb_comb {
	uint8_t  sadb_comb_auth;          /* SADB_AALG_* */
	uint8_t  sadb_comb_encrypt;       /* SADB_EALG_* */
	uint16_t sadb_comb_flags;         /* SADB_SAFLAGS_* */
	uint16_t sadb_comb_auth_minbits;
	uint16_t sadb_comb_auth_maxbits;
	uint16_t sadb_comb_encrypt_minbits;
	uint16_t sadb_comb_encrypt_maxbits;
	uint32_t sadb_comb_reserved;
	uint32_t sadb_comb_soft_allocations;
	uint32_t sadb_comb_hard_allocations;
	uint64_t sadb_comb_soft_bytes;
	uint64_t sadb_comb_hard_bytes;
	uint64_t sadb_comb_soft_addtime;
	uint64_t sadb_comb_hard_addtime;
	uint64_t sadb_comb_soft_usetime;
	uint64_t sadb_comb_hard_usetime;
};

/* 2.3.10 supported algorithms: 8 bytes, then struct sadb_alg entries. */
struct sadb_supported {
	uint16_t sadb_supported_len;
	uint16_t sadb_supported_exttype;  /* SADB_EXT_SUPPORTED_AUTH / _ENCRYPT */
	uint32_t sadb_supported_reserved;
};

/* One algorithm the node offers. 8 bytes. */
struct sadb_alg {
	uint8_t  sadb_alg_id;             /* SADB_AALG_* or SADB_EALG_* */
	uint8_t  sadb_alg_ivlen;          /* IV bytes (0 for auth algorithms) */
	uint16_t sadb_alg_minbits;        /* key length range, bits */
	uint16_t sadb_alg_maxbits;
	uint16_t sadb_alg_reserved;
};

/* 2.3.11 SPI range for GETSPI. 16 bytes. */
struct sadb_spirange {
	uint16_t sadb_spirange_len;
	uint16_t sadb_spirange_exttype;   /* SADB_EXT_SPIRANGE */
	uint32_t sadb_spirange_min;       /* host order, inclusive */
	uint32_t sadb_spirange_max;
	uint32_t sadb_spirange_reserved;
};

/* ---- KAME / Linux / FreeBSD extensions ------------------------------------------------- */

/* Key-manager private data: 8 bytes, then opaque bytes. usagi carries it, never reads it. */
struct sadb_x_kmprivate {
	uint16_t sadb_x_kmprivate_len;
	uint16_t sadb_x_kmprivate_exttype; /* SADB_X_EXT_KMPRIVATE */
	uint32_t sadb_x_kmprivate_reserved;
};

/* What RFC 2367's SA extension lacks: mode and reqid (KAME). 16 bytes. */
struct sadb_x_sa2 {
	uint16_t sadb_x_sa2_len;
	uint16_t sadb_x_sa2_exttype;      /* SADB_X_EXT_SA2 */
	uint8_t  sadb_x_sa2_mode;         /* IPSEC_MODE_* (ANY is taken as transport) */
	uint8_t  sadb_x_sa2_reserved1;
	uint16_t sadb_x_sa2_reserved2;
	uint32_t sadb_x_sa2_sequence;     /* last output sequence number (replies; low 32 bits) */
	uint32_t sadb_x_sa2_reqid;        /* host order; 0 = none */
};

/*
 * A security policy (KAME): 16 bytes, then, for IPSEC_POLICY_IPSEC, one
 * struct sadb_x_ipsecrequest per transform, outermost last as setkey
 * writes them. The selector travels beside it in the SRC/DST address
 * extensions (prefix lengths, ports, upper-layer protocol).
 */
struct sadb_x_policy {
	uint16_t sadb_x_policy_len;
	uint16_t sadb_x_policy_exttype;   /* SADB_X_EXT_POLICY */
	uint16_t sadb_x_policy_type;      /* IPSEC_POLICY_* */
	uint8_t  sadb_x_policy_dir;       /* IPSEC_DIR_* */
	uint8_t  sadb_x_policy_reserved;
	uint32_t sadb_x_policy_id;        /* the policy's index (SPDGET/SPDDELETE2); host order */
	uint32_t sadb_x_policy_priority;  /* lower value wins (Linux) */
};

/*
 * One transform of a policy: 16 bytes, then either nothing or the tunnel
 * endpoints: two sockaddrs of one family back to back (outer source at
 * byte 16, outer destination right after it, at 16 + 16 for IPv4 or
 * 16 + 28 for IPv6), the pair padded with zeros to a multiple of 8:
 * 48 bytes in all for IPv4, 72 for IPv6. sadb_x_ipsecrequest_len counts
 * BYTES (not 8-byte words, unlike every other length) and includes the
 * sockaddrs and the padding.
 */
struct sadb_x_ipsecrequest {
	uint16_t sadb_x_ipsecrequest_len;       /* BYTES, a multiple of 8 */
	uint16_t sadb_x_ipsecrequest_proto;     /* IPPROTO_ESP / IPPROTO_AH / IPPROTO_COMP */
	uint8_t  sadb_x_ipsecrequest_mode;      /* IPSEC_MODE_* */
	uint8_t  sadb_x_ipsecrequest_level;     /* IPSEC_LEVEL_* */
	uint16_t sadb_x_ipsecrequest_reserved1;
	uint32_t sadb_x_ipsecrequest_reqid;     /* host order; 0 = any (UNIQUE: assigned) */
	uint32_t sadb_x_ipsecrequest_reserved2;
};

/* NAT traversal (RFC 3948) encapsulation type. 8 bytes. */
struct sadb_x_nat_t_type {
	uint16_t sadb_x_nat_t_type_len;
	uint16_t sadb_x_nat_t_type_exttype;     /* SADB_X_EXT_NAT_T_TYPE */
	uint8_t  sadb_x_nat_t_type_type;        /* UDP_ENCAP_ESPINUDP (2) */
	uint8_t  sadb_x_nat_t_type_reserved[3];
};

/* NAT traversal UDP port (source or destination). 8 bytes. */
struct sadb_x_nat_t_port {
	uint16_t sadb_x_nat_t_port_len;
	uint16_t sadb_x_nat_t_port_exttype;     /* SADB_X_EXT_NAT_T_SPORT / _DPORT */
	uint16_t sadb_x_nat_t_port_port;        /* network order */
	uint16_t sadb_x_nat_t_port_reserved;
};

/*
 * Replay windows above 255 packets (FreeBSD's extension, same layout). 8
 * bytes. The value is in packets. usagi numbers it SADB_X_EXT_SA_REPLAY =
 * 32, not FreeBSD's 26, because Linux gives 26 to SADB_X_EXT_FILTER.
 */
struct sadb_x_sa_replay {
	uint16_t sadb_x_sa_replay_len;
	uint16_t sadb_x_sa_replay_exttype;      /* SADB_X_EXT_SA_REPLAY */
	uint32_t sadb_x_sa_replay_replay;       /* packets */
};

_Static_assert(sizeof(struct sadb_msg) == 16, "sadb_msg is 16 bytes");
_Static_assert(sizeof(struct sadb_ext) == 4, "sadb_ext is 4 bytes");
_Static_assert(sizeof(struct sadb_sa) == 16, "sadb_sa is 16 bytes");
_Static_assert(sizeof(struct sadb_lifetime) == 32, "sadb_lifetime is 32 bytes");
_Static_assert(sizeof(struct sadb_address) == 8, "sadb_address is 8 bytes");
_Static_assert(sizeof(struct sadb_key) == 8, "sadb_key is 8 bytes");
_Static_assert(sizeof(struct sadb_ident) == 16, "sadb_ident is 16 bytes");
_Static_assert(sizeof(struct sadb_sens) == 16, "sadb_sens is 16 bytes");
_Static_assert(sizeof(struct sadb_prop) == 8, "sadb_prop is 8 bytes");
_Static_assert(sizeof(struct sadb_comb) == 72, "sadb_comb is 72 bytes");
_Static_assert(sizeof(struct sadb_supported) == 8, "sadb_supported is 8 bytes");
_Static_assert(sizeof(struct sadb_alg) == 8, "sadb_alg is 8 bytes");
_Static_assert(sizeof(struct sadb_spirange) == 16, "sadb_spirange is 16 bytes");
_Static_assert(sizeof(struct sadb_x_kmprivate) == 8, "sadb_x_kmprivate is 8 bytes");
_Static_assert(sizeof(struct sadb_x_sa2) == 16, "sadb_x_sa2 is 16 bytes");
_Static_assert(sizeof(struct sadb_x_policy) == 16, "sadb_x_policy is 16 bytes");
_Static_assert(sizeof(struct sadb_x_ipsecrequest) == 16, "sadb_x_ipsecrequest is 16 bytes");
_Static_assert(sizeof(struct sadb_x_nat_t_type) == 8, "sadb_x_nat_t_type is 8 bytes");
_Static_assert(sizeof(struct sadb_x_nat_t_port) == 8, "sadb_x_nat_t_port is 8 bytes");
_Static_assert(sizeof(struct sadb_x_sa_replay) == 8, "sadb_x_sa_replay is 8 bytes");

/* ---- Message types (sadb_msg_type) ----------------------------------------------------- */

#define SADB_RESERVED           0
#define SADB_GETSPI             1    /* allocate an SPI: a LARVAL SA */
#define SADB_UPDATE             2    /* complete a LARVAL SA, or change a MATURE one */
#define SADB_ADD                3    /* add a MATURE SA */
#define SADB_DELETE             4
#define SADB_GET                5
#define SADB_ACQUIRE            6    /* node -> registered daemons: an SA is needed */
#define SADB_REGISTER           7    /* a daemon asks for ACQUIREs of one SA type */
#define SADB_EXPIRE             8    /* node -> all: a soft or hard lifetime ran out */
#define SADB_FLUSH              9
#define SADB_DUMP               10
#define SADB_X_PROMISC          11   /* see every message any socket sends */
#define SADB_X_PCHANGE          12   /* not served by usagi */
#define SADB_X_SPDUPDATE        13
#define SADB_X_SPDADD           14
#define SADB_X_SPDDELETE        15   /* by selector and direction */
#define SADB_X_SPDGET           16   /* by policy id */
#define SADB_X_SPDACQUIRE       17   /* not served by usagi */
#define SADB_X_SPDDUMP          18
#define SADB_X_SPDFLUSH         19
#define SADB_X_SPDSETIDX        20   /* add by selector, like SPDADD */
#define SADB_X_SPDEXPIRE        21   /* node -> all: a policy's lifetime ran out */
#define SADB_X_SPDDELETE2       22   /* by policy id */
#define SADB_X_NAT_T_NEW_MAPPING 23  /* node -> daemons: a NAT-T peer's address/port changed */
#define SADB_X_MIGRATE          24   /* not served by usagi */
#define SADB_MAX                24

/* ---- SA flags (sadb_sa_flags) ---------------------------------------------------------- */

#define SADB_SAFLAGS_PFS         0x00000001u  /* RFC 2367 */
#define SADB_X_SAFLAGS_ESN       0x00000400u  /* 64-bit sequence numbers (FreeBSD/OpenBSD value) */
#define SADB_SAFLAGS_NOPMTUDISC  0x20000000u  /* Linux */
#define SADB_SAFLAGS_DECAP_DSCP  0x40000000u  /* Linux */
#define SADB_SAFLAGS_NOECN       0x80000000u  /* Linux */

/* ---- SA states (sadb_sa_state) --------------------------------------------------------- */

#define SADB_SASTATE_LARVAL   0
#define SADB_SASTATE_MATURE   1
#define SADB_SASTATE_DYING    2
#define SADB_SASTATE_DEAD     3
#define SADB_SASTATE_MAX      3

/* ---- SA types (sadb_msg_satype) -------------------------------------------------------- */

#define SADB_SATYPE_UNSPEC    0    /* all types (FLUSH, DUMP, REGISTER) */
#define SADB_SATYPE_AH        2
#define SADB_SATYPE_ESP       3
#define SADB_SATYPE_RSVP      5    /* not served by usagi */
#define SADB_SATYPE_OSPFV2    6    /* not served by usagi */
#define SADB_SATYPE_RIPV2     7    /* not served by usagi */
#define SADB_SATYPE_MIP       8    /* not served by usagi */
#define SADB_X_SATYPE_IPCOMP  9
#define SADB_SATYPE_MAX       9

/* ---- Algorithm ids (sadb_sa_auth, sadb_sa_encrypt, sadb_alg_id) ------------------------ */

/* Integrity. src/crypto uses these same numbers (crypto.h includes this header). */
enum {
	SADB_AALG_NONE = 0,
	SADB_AALG_MD5HMAC = 2,
	SADB_AALG_SHA1HMAC = 3,
	SADB_X_AALG_SHA2_256HMAC = 5,
	SADB_X_AALG_SHA2_384HMAC = 6,
	SADB_X_AALG_SHA2_512HMAC = 7,
	SADB_X_AALG_RIPEMD160HMAC = 8,
	SADB_X_AALG_AES_XCBC_MAC = 9,
	SADB_X_AALG_SM3_256HMAC = 10,      /* Linux; not implemented by usagi */
	SADB_X_AALG_NULL = 251,            /* KAME */
};
#define SADB_AALG_MAX 251

/* Encryption and AEAD. */
enum {
	SADB_EALG_NONE = 0,
	SADB_EALG_DESCBC = 2,
	SADB_EALG_3DESCBC = 3,
	SADB_X_EALG_CASTCBC = 6,
	SADB_X_EALG_BLOWFISHCBC = 7,
	SADB_EALG_NULL = 11,
	SADB_X_EALG_AESCBC = 12,
	SADB_X_EALG_AESCTR = 13,
	SADB_X_EALG_AES_CCM_ICV8 = 14,     /* Linux; not implemented by usagi */
	SADB_X_EALG_AES_CCM_ICV12 = 15,    /* Linux; not implemented by usagi */
	SADB_X_EALG_AES_CCM_ICV16 = 16,    /* Linux; not implemented by usagi */
	SADB_X_EALG_AES_GCM_ICV8 = 18,
	SADB_X_EALG_AES_GCM_ICV12 = 19,
	SADB_X_EALG_AES_GCM_ICV16 = 20,
	SADB_X_EALG_CAMELLIACBC = 22,      /* Linux; not implemented by usagi */
	SADB_X_EALG_NULL_AES_GMAC = 23,    /* Linux; not implemented by usagi */
	SADB_X_EALG_SM4CBC = 24,           /* Linux; not implemented by usagi */
	SADB_X_EALG_CHACHA20_POLY1305 = 28, /* usagi's id; Linux PF_KEY has none */
	SADB_X_EALG_SERPENTCBC = 252,
	SADB_X_EALG_TWOFISHCBC = 253,
};
#define SADB_EALG_MAX 253

/* Compression (IPComp SAs carry it in sadb_sa_encrypt). */
enum {
	SADB_X_CALG_NONE = 0,
	SADB_X_CALG_OUI = 1,               /* not implemented by usagi */
	SADB_X_CALG_DEFLATE = 2,
	SADB_X_CALG_LZS = 3,               /* not implemented by usagi */
	SADB_X_CALG_LZJH = 4,              /* not implemented by usagi */
};
#define SADB_X_CALG_MAX 4

/* ---- Extension types (sadb_ext_type) --------------------------------------------------- */

#define SADB_EXT_RESERVED          0
#define SADB_EXT_SA                1    /* struct sadb_sa */
#define SADB_EXT_LIFETIME_CURRENT  2    /* struct sadb_lifetime */
#define SADB_EXT_LIFETIME_HARD     3
#define SADB_EXT_LIFETIME_SOFT     4
#define SADB_EXT_ADDRESS_SRC       5    /* struct sadb_address + sockaddr */
#define SADB_EXT_ADDRESS_DST       6
#define SADB_EXT_ADDRESS_PROXY     7
#define SADB_EXT_KEY_AUTH          8    /* struct sadb_key + key */
#define SADB_EXT_KEY_ENCRYPT       9
#define SADB_EXT_IDENTITY_SRC      10   /* struct sadb_ident + string */
#define SADB_EXT_IDENTITY_DST      11
#define SADB_EXT_SENSITIVITY       12   /* struct sadb_sens + bitmaps */
#define SADB_EXT_PROPOSAL          13   /* struct sadb_prop + sadb_comb[] */
#define SADB_EXT_SUPPORTED_AUTH    14   /* struct sadb_supported + sadb_alg[] */
#define SADB_EXT_SUPPORTED_ENCRYPT 15
#define SADB_EXT_SPIRANGE          16   /* struct sadb_spirange */
#define SADB_X_EXT_KMPRIVATE       17   /* struct sadb_x_kmprivate + opaque */
#define SADB_X_EXT_POLICY          18   /* struct sadb_x_policy + ipsecrequests */
#define SADB_X_EXT_SA2             19   /* struct sadb_x_sa2 */
#define SADB_X_EXT_NAT_T_TYPE      20   /* struct sadb_x_nat_t_type */
#define SADB_X_EXT_NAT_T_SPORT     21   /* struct sadb_x_nat_t_port */
#define SADB_X_EXT_NAT_T_DPORT     22
#define SADB_X_EXT_NAT_T_OA        23   /* struct sadb_address: original address before NAT */
#define SADB_X_EXT_SEC_CTX         24   /* Linux; refused by usagi */
#define SADB_X_EXT_KMADDRESS       25   /* Linux; refused by usagi */
#define SADB_X_EXT_FILTER          26   /* Linux; refused by usagi */
#define SADB_X_EXT_SA_REPLAY       32   /* struct sadb_x_sa_replay; FreeBSD numbers it 26 */
#define SADB_EXT_MAX               32   /* Linux stops at 26; arrays indexed by type need 33 */

/* ---- Identity types (sadb_ident_type) -------------------------------------------------- */

#define SADB_IDENTTYPE_RESERVED  0
#define SADB_IDENTTYPE_PREFIX    1
#define SADB_IDENTTYPE_FQDN      2
#define SADB_IDENTTYPE_USERFQDN  3
#define SADB_IDENTTYPE_MAX       3

/* NAT-T encapsulation (sadb_x_nat_t_type_type), RFC 3948. */
#ifndef UDP_ENCAP_ESPINUDP
#define UDP_ENCAP_ESPINUDP 2
#endif

/* ---- Policies (KAME's <netinet6/ipsec.h>, Linux's <linux/ipsec.h>) --------------------- */

#ifndef _LINUX_IPSEC_H
#define IPSEC_PORT_ANY       0      /* a selector port of 0 matches every port */
#define IPSEC_ULPROTO_ANY    255    /* sadb_address_proto: every upper-layer protocol */
#define IPSEC_PROTO_ANY      255

/* sadb_x_ipsecrequest_mode, sadb_x_sa2_mode */
#define IPSEC_MODE_ANY       0      /* taken as transport (as Linux does) */
#define IPSEC_MODE_TRANSPORT 1
#define IPSEC_MODE_TUNNEL    2
#define IPSEC_MODE_BEET      3      /* Linux; refused by usagi */

/* sadb_x_policy_dir */
#define IPSEC_DIR_ANY        0
#define IPSEC_DIR_INBOUND    1
#define IPSEC_DIR_OUTBOUND   2
#define IPSEC_DIR_FWD        3      /* Linux's: forwarded traffic */
#define IPSEC_DIR_MAX        4
#define IPSEC_DIR_INVALID    5

/* sadb_x_policy_type */
#define IPSEC_POLICY_DISCARD 0      /* drop */
#define IPSEC_POLICY_NONE    1      /* pass in clear */
#define IPSEC_POLICY_IPSEC   2      /* apply the ipsecrequests */
#define IPSEC_POLICY_ENTRUST 3      /* socket policies only; refused in the SPD */
#define IPSEC_POLICY_BYPASS  4      /* socket policies only; refused in the SPD */

/* sadb_x_ipsecrequest_level */
#define IPSEC_LEVEL_DEFAULT  0      /* behaves as REQUIRE */
#define IPSEC_LEVEL_USE      1      /* use an SA if there is one */
#define IPSEC_LEVEL_REQUIRE  2      /* an SA is required (ACQUIRE if missing) */
#define IPSEC_LEVEL_UNIQUE   3      /* an SA of this policy alone (by reqid) */

#define IPSEC_MANUAL_REQID_MAX 0x3fff  /* reqids above are assigned to UNIQUE policies */
#define IPSEC_REPLAYWSIZE      32      /* the window key daemons usually ask for */
#endif /* _LINUX_IPSEC_H */

#endif /* USAGI_PFKEYV2_H */
