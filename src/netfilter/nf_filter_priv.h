/* The filter's per-stack state (nf_filter*.c only). */
#ifndef USAGI_NETFILTER_NF_FILTER_PRIV_H
#define USAGI_NETFILTER_NF_FILTER_PRIV_H

#include "netfilter/nf_filter.h"

struct nf_filter_chain_rules {
	struct nf_rule *rules;        /* evaluated in order */
	uint32_t n, cap;
	uint32_t used;                /* NF_M_* of every rule ever added since the last flush */
	uint8_t policy;               /* NF_FILTER_ACCEPT or NF_FILTER_DROP */
	uint64_t policy_packets;      /* packets the policy decided */
};

struct nf_filter {
	struct nf_filter_chain_rules chain[NF_FILTER_NCHAINS];
	uint32_t next_handle;
	bool hooked;                  /* registered at the hooks (nf_filter_hook.c) */
};

/* The filter of @st, created (and hooked) on first use; NULL on ENOMEM. */
struct nf_filter *nf_filter_get(struct stack *st);
/* Registers the filter at INPUT, FORWARD, OUTPUT; 0 or -errno (nf_filter_hook.c). */
int nf_filter_hook_register(struct stack *st);
/* The rule language's name of upper-layer protocol @proto ("tcp", "mh", ...), NULL if none. */
const char *nf_filter_l4_name(uint8_t proto);

#endif
