/*
 * Stateful filtering: rules in a small nft-shaped language, one array per
 * chain (input, forward, output) and stack, evaluated at the netfilter
 * hooks INPUT, FORWARD and OUTPUT after conntrack has classified the
 * packet. docs/filter.md describes the language and host mode.
 *
 * A rule is a conjunction of matches and one verdict:
 *   [iif NAME] [oif NAME] [ip6 saddr P] [ip6 daddr P] [ip saddr P]
 *   [ip daddr P] [meta l4proto tcp|udp|icmp|icmpv6] [th sport N]
 *   [th dport N] [icmpv6 type N[-M]] [fib saddr type local]
 *   [ct state S[,S...]] [ipsec in|out] accept|drop|reject [with tcp reset]
 * The first rule that matches decides; no match: the chain's policy.
 */
#ifndef USAGI_NETFILTER_NF_FILTER_H
#define USAGI_NETFILTER_NF_FILTER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "core/common.h"

struct stack;
struct netdev;

enum nf_filter_chain { NF_FILTER_INPUT, NF_FILTER_FORWARD, NF_FILTER_OUTPUT, NF_FILTER_NCHAINS };
/* NF_FILTER_REJECT_TCP: `reject with tcp reset`, a RST for TCP (RFC 9293 3.10.7.1), else as reject. */
enum nf_filter_verdict { NF_FILTER_ACCEPT, NF_FILTER_DROP, NF_FILTER_REJECT, NF_FILTER_REJECT_TCP };

/* ct state bits: 1 << enum nf_ct_state (NEW, ESTABLISHED, RELATED, INVALID, UNTRACKED). */
#define NF_FILTER_CT_NEW         (1u << 0)
#define NF_FILTER_CT_ESTABLISHED (1u << 1)
#define NF_FILTER_CT_RELATED     (1u << 2)
#define NF_FILTER_CT_INVALID     (1u << 3)
#define NF_FILTER_CT_UNTRACKED   (1u << 4)

enum {
	NF_M_IIF = 1 << 0, NF_M_OIF = 1 << 1, NF_M_SADDR6 = 1 << 2, NF_M_DADDR6 = 1 << 3,
	NF_M_SADDR4 = 1 << 4, NF_M_DADDR4 = 1 << 5, NF_M_L4PROTO = 1 << 6,
	NF_M_SPORT = 1 << 7, NF_M_DPORT = 1 << 8, NF_M_CTSTATE = 1 << 9,
	NF_M_IPSEC = 1 << 10, NF_M_ICMP6TYPE = 1 << 11, NF_M_LOCALSRC = 1 << 12,
};

/* One compiled rule; names are copied so a device may come and go. */
struct nf_rule {
	uint32_t handle;
	uint32_t match;               /* NF_M_* */
	char iif[16], oif[16];
	struct in6_addr saddr6, daddr6;
	uint8_t splen6, dplen6, splen4, dplen4;
	uint32_t saddr4, daddr4;      /* network order */
	uint8_t l4proto;
	uint16_t sport, dport;
	uint8_t icmp6_lo, icmp6_hi;
	uint8_t ct_states;            /* NF_FILTER_CT_* */
	bool ipsec_out;               /* ipsec out (else in) */
	uint8_t verdict;              /* enum nf_filter_verdict */
	uint64_t packets, bytes;
};

/* What rules match on, extracted once per packet (nf_filter_hook.c). */
struct nf_pktinfo {
	uint8_t family;               /* 4 or 6 */
	uint8_t l4proto;
	bool has_ports, has_icmp, local_src;
	bool ipsec_in, ipsec_out;     /* arrived through IPsec; the output policy protects it */

	uint16_t sport, dport;        /* host order */
	uint8_t icmp_type;
	struct in6_addr saddr, daddr; /* IPv4 in the low 4 bytes (s6_addr32[3]) */
	const struct netdev *iif, *oif;
	uint8_t ct_state;             /* one NF_FILTER_CT_* bit */
	uint32_t len;
};

/*
 * Compiles the words of a rule (after `filter add CHAIN`) into @r. On a bad
 * rule returns -EINVAL with the reason in @err ("invalid port \"x\"").
 */
int nf_filter_parse(int argc, char **argv, struct nf_rule *r, char *err, size_t errlen);
/* "input", "forward", "output" to the chain; -EINVAL otherwise. */
int nf_filter_chain_parse(const char *s);

/*
 * Appends @r to @chain (gets the next handle, stored back in r->handle). 0,
 * -ENOMEM. A `ct state` rule starts conntrack (nf_ct_enable); del and flush
 * stop it (nf_ct_disable, the table flushed) once no rule uses ct state.
 */
int nf_filter_add(struct stack *st, int chain, struct nf_rule *r);
/* Removes rule @handle of @chain; -ENOENT if there is none. */
int nf_filter_del(struct stack *st, int chain, uint32_t handle);
/* Removes every rule of @chain, or of every chain for -1 (policies stay). */
void nf_filter_flush(struct stack *st, int chain);
/* Sets the policy (NF_FILTER_ACCEPT or NF_FILTER_DROP) of @chain. 0, -EINVAL, -ENOMEM. */
int nf_filter_set_policy(struct stack *st, int chain, int verdict);
/*
 * Host mode (docs/filter.md): input accepts established/related, local
 * sources, ND and MLD, drops the rest; output and forward accept. Off:
 * every chain flushed, accept. Replaces the rules of all chains.
 */
int nf_filter_host_mode(struct stack *st, bool on);
/* Prints the ruleset as `nft list ruleset` shapes it, with handles and counters. */
void nf_filter_show(struct stack *st, FILE *f);

/* The verdict of @chain for @pi; counts the matching rule. */
int nf_filter_eval(struct stack *st, int chain, const struct nf_pktinfo *pi);
/* Stack layer init (nothing is allocated until first use): 0. */
int nf_filter_init(struct stack *st);
/* Frees the rules of @st (stack teardown). */
void nf_filter_free(struct stack *st);

#endif
