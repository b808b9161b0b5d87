/*
 * The packet side of conntrack: classify a packet (nf_ct_in), remember the
 * verdict in the packet for later hooks (nf_ct_get), confirm entries whose
 * first packet passed every hook, and the hook functions that do it.
 */
#include "netfilter/nf_priv.h"
#include "ipv6/ipv6.h"

/* Remembers the verdict in @p for later hooks: the slot and the conn's id guard against reuse. */
static void record(struct pkt *p, const struct nf_ct_info *ci, uint32_t slot)
{
	p->nfct_info = (uint8_t)(ci->state | ci->dir << 4);
	p->nfct = ci->ct ? slot : 0;
	p->nfct_id = ci->ct ? ci->ct->id : 0;
}

bool nf_ct_get(struct stack *st, const struct pkt *p, struct nf_ct_info *out)
{
	const struct nf_state *nf = st->nf;
	struct nf_conn *ct;

	out->ct = NULL;
	out->dir = p->nfct_info >> 4;
	out->state = (enum nf_ct_state)(p->nfct_info & 0xf);
	if ((p->nfct_info & 0xf) == NF_CT_HINT)
		goto gone;
	if (!p->nfct) {
		if (out->state == NF_CT_INVALID && p->nfct_info)
			return true;
		out->state = NF_CT_UNTRACKED;
		return p->nfct_info == NF_CT_UNTRACKED;
	}
	if (!nf || p->nfct >= nf->nslots)
		goto gone;
	ct = nf_slot(nf, p->nfct);
	if (ct->id != p->nfct_id)
		goto gone;
	out->ct = ct;
	return true;
gone:
	out->state = NF_CT_UNTRACKED;
	return false;
}

/* An existing entry for a packet: expire it lazily or update it. */
static int ct_update(struct stack *st, const struct nf_l4proto *l4, uint32_t slot, int dir,
		     const struct nf_pkt *np, bool created, struct nf_ct_info *out)
{
	struct nf_conn *ct = nf_slot(st->nf, slot);
	uint8_t status = ct->status, l4state = ct->l4state;
	int state = l4->packet(st, ct, dir, np, created);

	if (state == NF_CT_L4_REOPEN) {
		nf_ct_destroy_slot(st, slot);
		return -EAGAIN;
	}
	if (state == NF_CT_INVALID) {
		STAT_INC(st, nf_ct_invalid);
		if (created)
			nf_ct_destroy_slot(st, slot);
		out->state = NF_CT_INVALID;
		return 0;
	}
	if (dir == NF_DIR_REPLY)
		ct->status |= NF_CTS_SEEN_REPLY;
	ct->packets[dir]++;
	ct->bytes[dir] += np->len;
	if (!created && (ct->status & NF_CTS_CONFIRMED) &&
	    (status != ct->status || l4state != ct->l4state))
		nf_ct_event(st, NF_CT_EV_UPDATE, ct);
	out->ct = ct;
	out->dir = dir;
	/* Linux: ESTABLISHED once a reply has been seen, NEW until then (any direction). */
	out->state = (ct->status & NF_CTS_SEEN_REPLY) ? NF_CT_ESTABLISHED : NF_CT_NEW;
	return 0;
}

/* An nf_ct_prefetch hint for @t: the slot it names if that entry is still @t's (*dir set), else 0. */
static uint32_t hint_take(const struct stack *st, const struct pkt *p, const struct nf_tuple *t,
			  int *dir)
{
	const struct nf_state *nf = st->nf;
	const struct nf_conn *ct;

	if ((p->nfct_info & 0xf) != NF_CT_HINT || !p->nfct || p->nfct >= nf->nslots)
		return 0;
	ct = nf_slot(nf, p->nfct);
	if (ct->id != p->nfct_id || !nf_ct_tuple_is(ct, p->nfct_info >> 4, t))
		return 0;
	*dir = p->nfct_info >> 4;
	return p->nfct;
}

/*
 * What is decided before any lookup of the packet's own tuple: no layer 4,
 * a bad checksum, ND/MLD, an ICMP error. True if @out is final.
 */
static bool ct_early(struct stack *st, struct pkt *p, int hook, const struct nf_pkt *np,
		     struct nf_ct_info *out, uint32_t *slot)
{
	int dir, rel;

	/* RFC 8200 4.7 No Next Header: no layer 4 to track; Linux finds none and calls it INVALID. */
	if (np->t.l3 == AF_INET6 && np->t.l4 == IPPROTO_NONE)
		goto invalid;
	/* Linux's nf_conntrack_checksum: checked on the way in only, never on what we send. */
	if (hook == NF_PREROUTING && st->nf->checksum &&
	    !nf_ct_csum_ok(np, np->t.l3 == AF_INET6 && IP6_CB(p)->hao)) {
		STAT_INC(st, nf_ct_bad_csum);
		goto invalid;
	}
	if (np->t.l4 != IPPROTO_ICMP && np->t.l4 != IPPROTO_ICMPV6)
		return false;
	if (nf_icmp_untracked(np)) {
		STAT_INC(st, nf_ct_ignore);
		out->state = NF_CT_UNTRACKED;
		return true;
	}
	rel = nf_icmp_error(st, np, slot, &dir);
	if (rel == NF_CT_RELATED) {
		out->state = NF_CT_RELATED;
		out->ct = nf_slot(st->nf, *slot);
		out->dir = dir;
		STAT_INC(st, nf_ct_related);
		return true;
	}
	if (rel < 0)
		return false;
invalid:
	STAT_INC(st, nf_ct_invalid);
	return true;
}

static int ct_classify(struct stack *st, struct pkt *p, int hook, struct nf_ct_info *out,
		       uint32_t *slot)
{
	const struct nf_l4proto *l4;
	struct nf_pkt np;
	int dir, rel;

	out->state = NF_CT_INVALID;
	out->dir = NF_DIR_ORIG;
	out->ct = NULL;
	if (nf_l3_parse(p->data, p->len, &np) < 0) {
		STAT_INC(st, nf_ct_error);
		return -EINVAL;
	}
	if (ct_early(st, p, hook, &np, out, slot))
		return 0;
	l4 = nf_l4_find(np.t.l4);
	rel = l4->tuple(&np);
	if (rel == -ENOENT) {
		STAT_INC(st, nf_ct_invalid);
		return 0;
	}
	if (rel < 0) {
		STAT_INC(st, nf_ct_error);
		return -EINVAL;
	}
	*slot = hint_take(st, p, &np.t, &dir);
	if (!*slot)
		*slot = nf_ct_lookup(st, &np.t, &dir);
	if (*slot && nf_ct_expired(st, nf_slot(st->nf, *slot))) {
		STAT_INC(st, nf_ct_expired);
		nf_ct_destroy_slot(st, *slot);
		*slot = 0;
	}
	if (*slot) {
		STAT_INC(st, nf_ct_found);
		rel = ct_update(st, l4, *slot, dir, &np, false, out);
		if (rel != -EAGAIN)
			return rel;
		*slot = 0;      /* the old connection is gone: this packet opens a new one */
	}
	if (!l4->can_create(st, &np)) {
		STAT_INC(st, nf_ct_invalid);
		return 0;
	}
	if (!nf_ct_create(st, &np.t, slot))
		return -ENOSPC;
	return ct_update(st, l4, *slot, NF_DIR_ORIG, &np, true, out);
}

int nf_ct_in(struct stack *st, struct pkt *p, int hook, struct nf_ct_info *out)
{
	uint32_t slot = 0;
	int rc;

	if (!nf_state_get(st)) {
		out->state = NF_CT_INVALID;
		out->ct = NULL;
		return -ENOMEM;
	}
	rc = ct_classify(st, p, hook, out, &slot);
	record(p, out, slot);
	return rc;
}

/* Confirms the entry the packet created: it passed every hook (NEW event). */
static void ct_confirm(struct stack *st, struct pkt *p)
{
	struct nf_ct_info ci;

	if (!nf_ct_get(st, p, &ci) || !ci.ct)
		return;
	/* Ended by this packet (timeout 0: a RST before any reply): it goes once the packet is through. */
	if (nf_ct_expired(st, ci.ct)) {
		nf_ct_destroy(st, ci.ct);
		return;
	}
	if (ci.ct->status & NF_CTS_CONFIRMED)
		return;
	ci.ct->status |= NF_CTS_CONFIRMED;
	nf_ct_event(st, NF_CT_EV_NEW, ci.ct);
}

static int hook_classify(struct stack *st, struct pkt *p, const struct nf_hook_state *hs, void *ctx)
{
	struct nf_ct_info ci;

	(void)ctx;
	nf_ct_in(st, p, hs->hook, &ci);
	return NF_ACCEPT;
}

static int hook_confirm(struct stack *st, struct pkt *p, const struct nf_hook_state *hs, void *ctx)
{
	(void)hs;
	(void)ctx;
	ct_confirm(st, p);
	return NF_ACCEPT;
}

static const struct { int hook, prio; nf_hook_fn fn; } ct_hooks[] = {
	{ NF_PREROUTING, NF_PRI_CONNTRACK, hook_classify },
	{ NF_OUTPUT, NF_PRI_CONNTRACK, hook_classify },
	{ NF_INPUT, NF_PRI_CONNTRACK_CONFIRM, hook_confirm },
	{ NF_POSTROUTING, NF_PRI_CONNTRACK_CONFIRM, hook_confirm },
};

int nf_ct_enable(struct stack *st)
{
	struct nf_state *nf = nf_state_get(st);

	if (!nf)
		return -ENOMEM;
	if (nf->ct_enabled)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(ct_hooks); i++) {
		int rc = nf_hook_register(st, ct_hooks[i].hook, ct_hooks[i].fn, ct_hooks[i].prio, NULL);

		if (rc < 0 && rc != -EEXIST) {
			while (i-- > 0)
				nf_hook_unregister(st, ct_hooks[i].hook, ct_hooks[i].fn, NULL);
			return rc;
		}
	}
	nf->ct_enabled = true;
	return 0;
}

void nf_ct_disable(struct stack *st)
{
	if (!st->nf || !st->nf->ct_enabled)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(ct_hooks); i++)
		nf_hook_unregister(st, ct_hooks[i].hook, ct_hooks[i].fn, NULL);
	st->nf->ct_enabled = false;
	nf_ct_flush(st);
}
