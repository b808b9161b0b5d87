/*
 * Netfilter hooks: per-stack ordered lists of functions at PREROUTING,
 * INPUT, FORWARD, OUTPUT and POSTROUTING, and the per-stack state they and
 * conntrack share.
 */
#include <stdlib.h>
#include "netfilter/nf_priv.h"

static const struct nf_ct_timeouts nf_default_timeouts = {
	/* nf_conntrack's defaults (Documentation/networking/nf_conntrack-sysctl). */
	.tcp = {
		[NF_TCP_NONE] = 10, [NF_TCP_SYN_SENT] = 120, [NF_TCP_SYN_RECV] = 60,
		[NF_TCP_ESTABLISHED] = 432000, [NF_TCP_FIN_WAIT] = 120,
		[NF_TCP_CLOSE_WAIT] = 60, [NF_TCP_LAST_ACK] = 30, [NF_TCP_TIME_WAIT] = 120,
		[NF_TCP_CLOSE] = 10, [NF_TCP_SYN_SENT2] = 120,
	},
	.udp = 30, .udp_stream = 120, .icmp = 30, .icmpv6 = 30, .generic = 600,
};

int nf_init(struct stack *st)
{
	st->nf = NULL;
	st->nf_hooks = 0;
	return 0;
}

void nf_ct_table_free(struct stack *st);

void nf_fini(struct stack *st)
{
	struct nf_state *nf = st->nf;

	if (!nf)
		return;
	nf_ct_table_free(st);
	for (int h = 0; h < NF_HOOK_MAX; h++)
		free(nf->hooks[h].v);
	free(nf->lis);
	free(nf);
	st->nf = NULL;
	st->nf_hooks = 0;
}

struct nf_state *nf_state_get(struct stack *st)
{
	struct nf_state *nf = st->nf;

	if (nf)
		return nf;
	nf = calloc(1, sizeof(*nf));
	if (!nf)
		return NULL;
	nf->to = nf_default_timeouts;
	nf->max = NF_DEFAULT_MAX;
	nf->tcp_loose = 1;           /* Linux's default */
	nf->checksum = 1;            /* Linux's default */
	nf->next_id = 1;
	st->nf = nf;
	return nf;
}

int nf_hook_register(struct stack *st, int hook, nf_hook_fn fn, int priority, void *ctx)
{
	struct nf_state *nf;
	struct nf_hook_list *l;
	unsigned i;

	if (hook < 0 || hook >= NF_HOOK_MAX || !fn)
		return -EINVAL;
	nf = nf_state_get(st);
	if (!nf)
		return -ENOMEM;
	l = &nf->hooks[hook];
	for (i = 0; i < l->n; i++)
		if (l->v[i].fn == fn && l->v[i].ctx == ctx)
			return -EEXIST;
	if (l->n == l->cap) {
		unsigned cap = l->cap ? l->cap * 2 : 4;
		struct nf_hook_entry *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	/* Equal priorities keep registration order: insert after them. */
	for (i = l->n; i > 0 && l->v[i - 1].prio > priority; i--)
		l->v[i] = l->v[i - 1];
	l->v[i] = (struct nf_hook_entry){ fn, ctx, priority };
	l->n++;
	st->nf_hooks |= 1u << hook;
	return 0;
}

int nf_hook_unregister(struct stack *st, int hook, nf_hook_fn fn, void *ctx)
{
	struct nf_hook_list *l;

	if (hook < 0 || hook >= NF_HOOK_MAX || !st->nf)
		return -ENOENT;
	l = &st->nf->hooks[hook];
	for (unsigned i = 0; i < l->n; i++) {
		if (l->v[i].fn != fn || l->v[i].ctx != ctx)
			continue;
		memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(l->v[0]));
		if (--l->n == 0)
			st->nf_hooks &= ~(1u << hook);
		return 0;
	}
	return -ENOENT;
}

/* Linux never confirms a connection whose first packet was dropped: neither do we. */
static void nf_drop_unconfirmed(struct stack *st, struct pkt *p)
{
	struct nf_ct_info ci;

	if (!p->nfct || !nf_ct_get(st, p, &ci) || !ci.ct)
		return;
	if (!(ci.ct->status & NF_CTS_CONFIRMED)) {
		STAT_INC(st, nf_ct_unconfirmed_drop);
		nf_ct_destroy_slot(st, p->nfct);
	}
	p->nfct = 0;
}

int nf_hook_slow(struct stack *st, int hook, struct pkt *p, struct netdev *in,
		 struct netdev *out)
{
	struct nf_hook_state hs = { .hook = hook, .in = in, .out = out };
	const struct nf_hook_list *l = &st->nf->hooks[hook];

	/* A locally made packet may reuse a received buffer (echo replies): forget its verdict. */
	if (hook == NF_OUTPUT) {
		p->nfct = 0;
		p->nfct_info = 0;
	}
	for (unsigned i = 0; i < l->n; i++) {
		if (l->v[i].fn(st, p, &hs, l->v[i].ctx) == NF_DROP) {
			STAT_INC(st, nf_hook_drop);
			nf_drop_unconfirmed(st, p);
			return NF_DROP;
		}
	}
	return NF_ACCEPT;
}

bool nf_hook_local_in(struct stack *st, struct pkt *p)
{
	uint8_t *data = p->data;
	uint32_t len = p->len;
	bool ok;

	p->data = pkt_nh(p);
	p->len += (uint32_t)(data - p->data);
	ok = nf_hook_run(st, NF_PREROUTING, p, p->dev, NULL) == NF_ACCEPT &&
	     nf_hook_run(st, NF_INPUT, p, p->dev, NULL) == NF_ACCEPT;
	p->data = data;
	p->len = len;
	return ok;
}
