/*
 * The filter's ruleset per stack: rule arrays per chain, evaluation,
 * host mode and the nft-shaped listing.
 */
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include "netfilter/nf_filter_priv.h"
#include "netfilter/nf_conntrack.h"
#include "core/stack.h"
#include "ipv4/ipv4.h"
#include "proto/ip4.h"
#include "link/netdev.h"

static const char *const chain_names[NF_FILTER_NCHAINS] = { "input", "forward", "output" };
static const char *const verdict_names[] = { "accept", "drop", "reject", "reject with tcp reset" };
static const char *const ct_names[] = { "new", "established", "related", "invalid", "untracked" };

struct nf_filter *nf_filter_get(struct stack *st)
{
	if (!st->nf_filter) {
		st->nf_filter = calloc(1, sizeof(*st->nf_filter));
		if (!st->nf_filter)
			return NULL;
		st->nf_filter->next_handle = 1;
	}
	/* Retried on every use: a failed registration (ENOMEM) must not leave rules unapplied. */
	if (!st->nf_filter->hooked && nf_filter_hook_register(st) == 0)
		st->nf_filter->hooked = true;
	return st->nf_filter;
}

/*
 * Conntrack runs while some rule asks for `ct state` (as Linux loads it for
 * the rules that need it): started by the first such rule, stopped (table
 * flushed, hooks unregistered) when the last goes. 0 or -ENOMEM.
 */
static int ct_sync(struct stack *st)
{
	const struct nf_filter *f = st->nf_filter;

	for (int c = 0; f && c < NF_FILTER_NCHAINS; c++)
		for (uint32_t i = 0; i < f->chain[c].n; i++)
			if (f->chain[c].rules[i].match & NF_M_CTSTATE)
				return nf_ct_enable(st);
	nf_ct_disable(st);
	return 0;
}

int nf_filter_add(struct stack *st, int chain, struct nf_rule *r)
{
	struct nf_filter *f = nf_filter_get(st);
	struct nf_filter_chain_rules *c;
	int rc;

	if (!f)
		return -ENOMEM;
	if (chain < 0 || chain >= NF_FILTER_NCHAINS)
		return -EINVAL;
	c = &f->chain[chain];
	if (c->n == c->cap) {
		uint32_t cap = c->cap ? c->cap * 2 : 8;
		struct nf_rule *nr = realloc(c->rules, cap * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		c->rules = nr;
		c->cap = cap;
	}
	if ((r->match & NF_M_CTSTATE) && (rc = nf_ct_enable(st)) < 0)
		return rc;
	r->handle = f->next_handle++;
	r->packets = r->bytes = 0;
	c->rules[c->n++] = *r;
	c->used |= r->match;
	return 0;
}

int nf_filter_del(struct stack *st, int chain, uint32_t handle)
{
	struct nf_filter *f = st->nf_filter;
	struct nf_filter_chain_rules *c;

	if (!f || chain < 0 || chain >= NF_FILTER_NCHAINS)
		return -ENOENT;
	c = &f->chain[chain];
	for (uint32_t i = 0; i < c->n; i++) {
		if (c->rules[i].handle == handle) {
			memmove(&c->rules[i], &c->rules[i + 1], (c->n - i - 1) * sizeof(c->rules[0]));
			c->n--;
			return ct_sync(st);
		}
	}
	return -ENOENT;
}

void nf_filter_flush(struct stack *st, int chain)
{
	struct nf_filter *f = st->nf_filter;

	if (!f)
		return;
	for (int i = 0; i < NF_FILTER_NCHAINS; i++)
		if (chain < 0 || chain == i)
			f->chain[i].n = f->chain[i].used = 0;
	ct_sync(st);
}

int nf_filter_set_policy(struct stack *st, int chain, int verdict)
{
	struct nf_filter *f = nf_filter_get(st);

	if (!f)
		return -ENOMEM;
	if (chain < 0 || chain >= NF_FILTER_NCHAINS ||
	    (verdict != NF_FILTER_ACCEPT && verdict != NF_FILTER_DROP))
		return -EINVAL;
	f->chain[chain].policy = (uint8_t)verdict;
	return 0;
}

void nf_filter_free(struct stack *st)
{
	if (!st->nf_filter)
		return;
	for (int i = 0; i < NF_FILTER_NCHAINS; i++)
		free(st->nf_filter->chain[i].rules);
	free(st->nf_filter);
	st->nf_filter = NULL;
}

static bool match_v4(uint32_t a, uint32_t net, unsigned plen)
{
	return (a & ip4_mask(plen)) == net;
}

/* True if every match of @r holds for @pi. */
static bool rule_matches(const struct nf_rule *r, const struct nf_pktinfo *pi)
{
	uint32_t m = r->match;

	if ((m & NF_M_IIF) && (!pi->iif || strcmp(pi->iif->name, r->iif)))
		return false;
	if ((m & NF_M_OIF) && (!pi->oif || strcmp(pi->oif->name, r->oif)))
		return false;
	if ((m & (NF_M_SADDR6 | NF_M_DADDR6)) && pi->family != 6)
		return false;
	if ((m & NF_M_SADDR6) && !in6_prefix_match(&pi->saddr, &r->saddr6, r->splen6))
		return false;
	if ((m & NF_M_DADDR6) && !in6_prefix_match(&pi->daddr, &r->daddr6, r->dplen6))
		return false;
	if ((m & (NF_M_SADDR4 | NF_M_DADDR4)) && pi->family != 4)
		return false;
	if ((m & NF_M_SADDR4) && !match_v4(pi->saddr.s6_addr32[3], r->saddr4, r->splen4))
		return false;
	if ((m & NF_M_DADDR4) && !match_v4(pi->daddr.s6_addr32[3], r->daddr4, r->dplen4))
		return false;
	if ((m & NF_M_L4PROTO) && pi->l4proto != r->l4proto)
		return false;
	if ((m & NF_M_SPORT) && (!pi->has_ports || pi->sport != r->sport))
		return false;
	if ((m & NF_M_DPORT) && (!pi->has_ports || pi->dport != r->dport))
		return false;
	if ((m & NF_M_CTSTATE) && !(pi->ct_state & r->ct_states))
		return false;
	if ((m & NF_M_IPSEC) && !(r->ipsec_out ? pi->ipsec_out : pi->ipsec_in))
		return false;
	if ((m & NF_M_ICMP6TYPE) && (pi->l4proto != 58 || !pi->has_icmp ||
				    pi->icmp_type < r->icmp6_lo || pi->icmp_type > r->icmp6_hi))
		return false;
	if ((m & NF_M_LOCALSRC) && !pi->local_src)
		return false;
	return true;
}

int nf_filter_eval(struct stack *st, int chain, const struct nf_pktinfo *pi)
{
	struct nf_filter *f = st->nf_filter;
	struct nf_filter_chain_rules *c;

	if (!f || chain < 0 || chain >= NF_FILTER_NCHAINS)
		return NF_FILTER_ACCEPT;
	c = &f->chain[chain];
	for (uint32_t i = 0; i < c->n; i++) {
		struct nf_rule *r = &c->rules[i];

		if (rule_matches(r, pi)) {
			r->packets++;
			r->bytes += pi->len;
			return r->verdict;
		}
	}
	c->policy_packets++;
	return c->policy;
}

int nf_filter_init(struct stack *st)
{
	st->nf_filter = NULL;
	return 0;
}

/* Host mode's input chain (docs/filter.md); parsed like user rules so `filter show` prints them. */
static const char *const host_rules[] = {
	"ct state established,related accept",
	"fib saddr type local accept",       /* this host talking to itself (the loopback queue) */
	"icmpv6 type 133-137 accept",        /* RS, RA, NS, NA, Redirect (RFC 4861) */
	"icmpv6 type 130-132 accept",        /* MLDv1 query, report, done (RFC 2710) */
	"icmpv6 type 143 accept",            /* MLDv2 report (RFC 3810) */
};

int nf_filter_host_mode(struct stack *st, bool on)
{
	int rc;

	if (!nf_filter_get(st))
		return -ENOMEM;
	nf_filter_flush(st, -1);
	for (int c = 0; c < NF_FILTER_NCHAINS; c++)
		nf_filter_set_policy(st, c, NF_FILTER_ACCEPT);
	if (!on)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(host_rules); i++) {
		char line[64], err[96], *argv[8];
		struct nf_rule r;
		int argc = 0;

		snprintf(line, sizeof(line), "%s", host_rules[i]);
		for (char *save, *w = strtok_r(line, " ", &save); w && argc < 8;
		     w = strtok_r(NULL, " ", &save))
			argv[argc++] = w;
		if (nf_filter_parse(argc, argv, &r, err, sizeof(err)) < 0)
			return -EINVAL;
		if ((rc = nf_filter_add(st, NF_FILTER_INPUT, &r)) < 0)
			return rc;
	}
	return nf_filter_set_policy(st, NF_FILTER_INPUT, NF_FILTER_DROP);
}

static void print_matches(FILE *f, const struct nf_rule *r)
{
	char buf[INET6_ADDRSTRLEN];
	uint32_t m = r->match;

	if (m & NF_M_IIF)
		fprintf(f, "iif %s ", r->iif);
	if (m & NF_M_OIF)
		fprintf(f, "oif %s ", r->oif);
	if (m & NF_M_SADDR6)
		fprintf(f, r->splen6 < 128 ? "ip6 saddr %s/%u " : "ip6 saddr %s ",
			in6_ntop(&r->saddr6, buf), r->splen6);
	if (m & NF_M_DADDR6)
		fprintf(f, r->dplen6 < 128 ? "ip6 daddr %s/%u " : "ip6 daddr %s ",
			in6_ntop(&r->daddr6, buf), r->dplen6);
	if (m & NF_M_SADDR4)
		fprintf(f, r->splen4 < 32 ? "ip saddr %s/%u " : "ip saddr %s ",
			ip4_ntop(r->saddr4, buf), r->splen4);
	if (m & NF_M_DADDR4)
		fprintf(f, r->dplen4 < 32 ? "ip daddr %s/%u " : "ip daddr %s ",
			ip4_ntop(r->daddr4, buf), r->dplen4);
	if (m & NF_M_LOCALSRC)
		fputs("fib saddr type local ", f);
	if (m & NF_M_L4PROTO) {
		const char *n = nf_filter_l4_name(r->l4proto);

		if (n)
			fprintf(f, "meta l4proto %s ", n);
		else
			fprintf(f, "meta l4proto %u ", r->l4proto);
	}
	if (m & NF_M_SPORT)
		fprintf(f, "th sport %u ", r->sport);
	if (m & NF_M_DPORT)
		fprintf(f, "th dport %u ", r->dport);
	if ((m & NF_M_ICMP6TYPE) && r->icmp6_lo == r->icmp6_hi)
		fprintf(f, "icmpv6 type %u ", r->icmp6_lo);
	else if (m & NF_M_ICMP6TYPE)
		fprintf(f, "icmpv6 type %u-%u ", r->icmp6_lo, r->icmp6_hi);
	if (m & NF_M_CTSTATE) {
		const char *sep = "ct state ";

		for (size_t i = 0; i < ARRAY_SIZE(ct_names); i++) {
			if (r->ct_states & (1u << i)) {
				fprintf(f, "%s%s", sep, ct_names[i]);
				sep = ",";
			}
		}
		fputc(' ', f);
	}
	if (m & NF_M_IPSEC)
		fprintf(f, "ipsec %s ", r->ipsec_out ? "out" : "in");
}

void nf_filter_show(struct stack *st, FILE *f)
{
	struct nf_filter *fl = st->nf_filter;

	fputs("table inet filter {\n", f);
	for (int c = 0; c < NF_FILTER_NCHAINS; c++) {
		const struct nf_filter_chain_rules *ch = fl ? &fl->chain[c] : NULL;

		fprintf(f, "\tchain %s {\n\t\ttype filter hook %s priority filter; policy %s;\n",
			chain_names[c], chain_names[c],
			verdict_names[ch ? ch->policy : NF_FILTER_ACCEPT]);
		for (uint32_t i = 0; ch && i < ch->n; i++) {
			const struct nf_rule *r = &ch->rules[i];

			fputs("\t\t", f);
			print_matches(f, r);
			fprintf(f, "counter packets %llu bytes %llu %s # handle %u\n",
				(unsigned long long)r->packets, (unsigned long long)r->bytes,
				verdict_names[r->verdict], r->handle);
		}
		fputs("\t}\n", f);
	}
	fputs("}\n", f);
}
