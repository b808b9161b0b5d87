/* The table as the tools see it: resumable walk, flush, count, stats, events, names. */
#include <stdlib.h>
#include "netfilter/nf_priv.h"

size_t nf_ct_walk(struct stack *st, struct nf_ct_cursor *cur, size_t max,
		  int (*fn)(struct stack *st, struct nf_conn *ct, void *ctx), void *ctx)
{
	struct nf_state *nf = st->nf;
	size_t n = 0;

	if (!nf)
		return 0;
	if (cur->next == 0)
		cur->next = 1;
	while (n < max && cur->next < nf->nslots) {
		struct nf_conn *ct = nf_slot(nf, cur->next++);

		if (!ct->id)
			continue;
		n++;
		if (fn(st, ct, ctx))
			break;
	}
	return n;
}

size_t nf_ct_flush(struct stack *st)
{
	struct nf_state *nf = st->nf;
	size_t n = 0;

	if (!nf)
		return 0;
	for (uint32_t s = 1; s < nf->nslots; s++) {
		struct nf_conn *ct = nf_slot(nf, s);

		if (ct->id) {
			nf_ct_destroy_slot(st, s);
			n++;
		}
	}
	return n;
}

size_t nf_ct_count(const struct stack *st)
{
	return st->nf ? st->nf->count : 0;
}

void nf_ct_get_stats(const struct stack *st, struct nf_ct_stats *o)
{
	memset(o, 0, sizeof(*o));
	o->found = STAT_GET(st, nf_ct_found);
	o->new = STAT_GET(st, nf_ct_new);
	o->invalid = STAT_GET(st, nf_ct_invalid);
	o->ignore = STAT_GET(st, nf_ct_ignore);
	o->insert_failed = STAT_GET(st, nf_ct_insert_failed);
	o->drop = STAT_GET(st, nf_ct_drop);
	o->early_drop = STAT_GET(st, nf_ct_early_drop);
	o->error = STAT_GET(st, nf_ct_error);
	o->expired = STAT_GET(st, nf_ct_expired);
	o->count = nf_ct_count(st);
	o->max = st->nf ? st->nf->max : NF_DEFAULT_MAX;
}

int nf_ct_listen(struct stack *st, unsigned mask, nf_ct_event_fn fn, void *ctx)
{
	struct nf_state *nf = nf_state_get(st);
	struct nf_listener *v;

	if (!nf)
		return -ENOMEM;
	for (unsigned i = 0; i < nf->nlis; i++)
		if (nf->lis[i].fn == fn && nf->lis[i].ctx == ctx)
			return -EEXIST;
	v = realloc(nf->lis, (nf->nlis + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	nf->lis = v;
	v[nf->nlis++] = (struct nf_listener){ fn, ctx, mask };
	return 0;
}

int nf_ct_unlisten(struct stack *st, nf_ct_event_fn fn, void *ctx)
{
	struct nf_state *nf = st->nf;

	for (unsigned i = 0; nf && i < nf->nlis; i++) {
		if (nf->lis[i].fn != fn || nf->lis[i].ctx != ctx)
			continue;
		nf->lis[i] = nf->lis[--nf->nlis];
		return 0;
	}
	return -ENOENT;
}

const char *nf_tcp_state_name(int s)
{
	static const char *const names[NF_TCP_MAX] = {
		"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT",
		"LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
	};
	return s >= 0 && s < NF_TCP_MAX ? names[s] : "?";
}

const char *nf_ct_state_name(enum nf_ct_state s)
{
	static const char *const names[] = { "NEW", "ESTABLISHED", "RELATED", "INVALID", "UNTRACKED" };

	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "?";
}

const char *nf_l4_name(uint8_t l4)
{
	switch (l4) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmpv6";
	default: return "unknown";
	}
}
