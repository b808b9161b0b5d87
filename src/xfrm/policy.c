/*
 * SPD: policies, their indexes, dumps, template order and bundle
 * resolution. The lookup structure is in policy_index.c.
 */
#include <stdlib.h>
#include "core/stack.h"
#include "proto/ip4.h"
#include "xfrm/policy_priv.h"
#include "xfrm/policy_events.h"

#define INDEX_SEQ_MAX (UINT32_MAX >> 3)

int xfrm_spd_init(struct stack *st)
{
	st->spd = calloc(1, sizeof(*st->spd));
	if (!st->spd)
		return -ENOMEM;
	st->spd->key = st->hkey;
	st->spd->next_index = 1;
	st->spd->next_reqid = XFRM_REQID_MANUAL_MAX + 1;
	st->spd->npol = st->xfrm_npol;
	memset(st->xfrm_npol, 0, sizeof(st->xfrm_npol));
	return 0;
}

void xfrm_spd_fini(struct stack *st)
{
	if (!st->spd)
		return;
	spd_ev_fini(st);
	xfrm_policy_flush(st);
	free(st->spd->idx);
	free(st->spd->pol);
	free(st->spd);
	st->spd = NULL;
}

static bool addr_fits(const struct in6_addr *a, uint8_t family)
{
	return family == AF_INET ? in6_is_v4mapped(a) : family == AF_INET6;
}

/* Copies @in to @out in the one form the SPD compares: masked, defaults made explicit. */
static int sel_normalise(const struct xfrm_selector *in, struct xfrm_selector *out)
{
	unsigned max = in->family == AF_INET ? 32 : 128;

	memset(out, 0, sizeof(*out));
	if ((in->family != AF_INET && in->family != AF_INET6) || in->splen > max || in->dplen > max)
		return -EINVAL;
	out->family = in->family;
	out->splen = in->splen;
	out->dplen = in->dplen;
	out->src = in->src;
	out->dst = in->dst;
	if (in->family == AF_INET) {
		/* 0.0.0.0 may come as :: from a caller that left it zero. */
		if (in6_is_unspec(&out->src))
			ip4_to_mapped(&out->src, 0);
		if (in6_is_unspec(&out->dst))
			ip4_to_mapped(&out->dst, 0);
		if (!in6_is_v4mapped(&out->src) || !in6_is_v4mapped(&out->dst))
			return -EINVAL;
	}
	in6_prefix_mask(&out->src, spd_plen(out, out->splen));
	in6_prefix_mask(&out->dst, spd_plen(out, out->dplen));
	out->proto = in->proto == 0 ? XFRM_PROTO_ANY : in->proto;
	out->sport_mask = in->sport_mask ? in->sport_mask : in->sport ? 0xffff : 0;
	out->dport_mask = in->dport_mask ? in->dport_mask : in->dport ? 0xffff : 0;
	out->sport = in->sport & out->sport_mask;
	out->dport = in->dport & out->dport_mask;
	out->ifindex = in->ifindex;
	return 0;
}

static int tmpl_check(struct xfrm_spd *spd, struct xfrm_tmpl *t, int dir)
{
	if (t->proto != IPPROTO_ESP && t->proto != IPPROTO_AH && t->proto != IPPROTO_COMP)
		return -EINVAL;
	if (t->level > XFRM_LEVEL_UNIQUE)
		return -EINVAL;
	if (t->mode == XFRM_TMPL_TRANSPORT) {
		t->family = 0;
		memset(&t->saddr, 0, sizeof(t->saddr));
		memset(&t->daddr, 0, sizeof(t->daddr));
	} else if (t->mode == XFRM_TMPL_TUNNEL) {
		if (t->family != AF_INET && t->family != AF_INET6)
			return -EINVAL;
		if ((!in6_is_unspec(&t->saddr) && !addr_fits(&t->saddr, t->family)) ||
		    (!in6_is_unspec(&t->daddr) && !addr_fits(&t->daddr, t->family)))
			return -EINVAL;
		/* Outbound traffic has to be sent somewhere. */
		if (dir != XFRM_DIR_IN && in6_is_unspec(&t->daddr))
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (t->level == XFRM_LEVEL_UNIQUE && (t->reqid == 0 || t->reqid > XFRM_REQID_MANUAL_MAX))
		t->reqid = spd->next_reqid++;
	return 0;
}

/* Validates @req into @p (selector, direction, action, templates). */
static int policy_prepare(struct xfrm_spd *spd, const struct xfrm_policy *req, struct xfrm_policy *p)
{
	int err;

	memset(p, 0, sizeof(*p));
	if (req->dir >= XFRM_DIR_MAX || req->action > XFRM_ACT_IPSEC || req->ntmpl > XFRM_TMPL_MAX)
		return -EINVAL;
	if ((req->action == XFRM_ACT_IPSEC) != (req->ntmpl > 0))
		return -EINVAL;
	err = sel_normalise(&req->sel, &p->sel);
	if (err < 0)
		return err;
	p->dir = req->dir;
	p->action = req->action;
	p->priority = req->priority;
	p->lft = req->lft;
	p->ntmpl = req->ntmpl;
	for (unsigned i = 0; i < req->ntmpl; i++) {
		p->tmpl[i] = req->tmpl[i];
		err = tmpl_check(spd, &p->tmpl[i], p->dir);
		if (err < 0)
			return err;
	}
	return 0;
}

static int order_append(struct xfrm_spd *spd, struct xfrm_policy *p)
{
	if (spd->n == spd->cap) {
		uint32_t cap = spd->cap ? spd->cap * 2 : 64;
		uint32_t *idx = realloc(spd->idx, cap * sizeof(*idx));

		if (!idx)
			return -ENOMEM;
		spd->idx = idx;
		struct xfrm_policy **pol = realloc(spd->pol, cap * sizeof(*pol));
		if (!pol)
			return -ENOMEM;
		spd->pol = pol;
		spd->cap = cap;
	}
	spd->idx[spd->n] = p->index;
	spd->pol[spd->n++] = p;
	spd->live++;
	spd->npol[p->dir]++;
	return 0;
}

/* First slot whose index is greater than @index (binary search; slots are in index order). */
static uint32_t order_after(const struct xfrm_spd *spd, uint32_t index)
{
	uint32_t lo = 0, hi = spd->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (spd->idx[mid] <= index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Squeezes out deleted slots once they are the majority, keeping order. */
static void order_compact(struct xfrm_spd *spd)
{
	uint32_t j = 0;

	if (spd->n < 64 || spd->n - spd->live <= spd->live)
		return;
	for (uint32_t i = 0; i < spd->n; i++) {
		if (spd->pol[i]) {
			spd->idx[j] = spd->idx[i];
			spd->pol[j++] = spd->pol[i];
		}
	}
	spd->n = j;
}

static void policy_unlink(struct xfrm_spd *spd, struct xfrm_policy *p)
{
	uint32_t slot = order_after(spd, p->index - 1);

	spd->changes++;
	spd_index_remove(spd, p);
	if (slot < spd->n && spd->pol[slot] == p) {
		spd->pol[slot] = NULL;
		spd->live--;
		spd->npol[p->dir]--;
	}
	free(p);
	order_compact(spd);
}

/* spdupdate on an existing policy: new priority, action and templates, same identity. */
static int policy_replace(struct xfrm_spd *spd, struct xfrm_policy *old, const struct xfrm_policy *p)
{
	bool moved = old->priority != p->priority;

	spd->changes++;
	if (moved)
		spd_index_remove(spd, old);
	old->priority = p->priority;
	old->lft = p->lft;
	old->action = p->action;
	old->ntmpl = p->ntmpl;
	memcpy(old->tmpl, p->tmpl, sizeof(old->tmpl));
	/* Re-inserting a policy into a node it just left needs no new memory unless the node went too. */
	return moved ? spd_index_insert(spd, old) : 0;
}

int xfrm_policy_add(struct stack *st, const struct xfrm_policy *req, int flags, struct xfrm_policy **out)
{
	struct xfrm_spd *spd = st->spd;
	struct xfrm_policy tmp, *old, *p;
	int err = policy_prepare(spd, req, &tmp);

	if (err < 0)
		return err;
	old = spd_index_find(spd, &tmp.sel, tmp.dir);
	if (old) {
		if (!(flags & XFRM_POLICY_F_UPDATE))
			return -EEXIST;
		err = policy_replace(spd, old, &tmp);
		if (err < 0) {
			spd_ev_gone(st, old);
			policy_unlink(spd, old);    /* lost its place in the index: it cannot stay half there */
			return err;
		}
		spd_ev_changed(st, old, XFRM_SPD_EV_UPDATE);
		if (out)
			*out = old;
		return 0;
	}
	if (spd->next_index > INDEX_SEQ_MAX)
		return -ENOSPC;
	p = malloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	*p = tmp;
	spd->changes++;
	p->index = spd->next_index << 3 | p->dir;
	p->seq = spd->next_seq++;
	p->add_time = st->now;
	if ((err = spd_index_insert(spd, p)) < 0) {
		free(p);
		return err;
	}
	if ((err = order_append(spd, p)) < 0) {
		spd_index_remove(spd, p);
		free(p);
		return err;
	}
	spd->next_index++;
	spd_ev_changed(st, p, XFRM_SPD_EV_ADD);
	if (out)
		*out = p;
	return 0;
}

int xfrm_policy_delete(struct stack *st, const struct xfrm_selector *sel, int dir)
{
	struct xfrm_selector n;
	struct xfrm_policy *p;

	if ((unsigned)dir >= XFRM_DIR_MAX || sel_normalise(sel, &n) < 0)
		return -ENOENT;
	p = spd_index_find(st->spd, &n, dir);
	if (!p)
		return -ENOENT;
	spd_ev_gone(st, p);
	policy_unlink(st->spd, p);
	return 0;
}

struct xfrm_policy *xfrm_policy_get(struct stack *st, uint32_t index)
{
	struct xfrm_spd *spd = st->spd;
	uint32_t slot;

	if (index == 0)
		return NULL;
	slot = order_after(spd, index - 1);
	return slot < spd->n && spd->idx[slot] == index ? spd->pol[slot] : NULL;
}

int xfrm_policy_delete_index(struct stack *st, uint32_t index)
{
	struct xfrm_policy *p = xfrm_policy_get(st, index);

	if (!p)
		return -ENOENT;
	spd_ev_gone(st, p);
	policy_unlink(st->spd, p);
	return 0;
}

void xfrm_policy_flush(struct stack *st)
{
	struct xfrm_spd *spd = st->spd;

	spd->changes++;
	spd_index_free(spd);
	for (uint32_t i = 0; i < spd->n; i++) {
		if (spd->pol[i])
			spd_ev_forget(st, spd->pol[i]);
		free(spd->pol[i]);
	}
	spd->n = spd->live = 0;
	memset(spd->npol, 0, XFRM_DIR_MAX * sizeof(spd->npol[0]));
	spd_ev_flushed(st);
}

unsigned xfrm_policy_count(const struct stack *st)
{
	return st->spd->live;
}

struct xfrm_policy *xfrm_policy_next(struct stack *st, struct xfrm_spd_cursor *cur)
{
	struct xfrm_spd *spd = st->spd;

	for (uint32_t slot = order_after(spd, cur->last); slot < spd->n; slot++) {
		if (spd->pol[slot]) {
			cur->last = spd->idx[slot];
			return spd->pol[slot];
		}
	}
	return NULL;
}

int xfrm_policy_foreach(struct stack *st, int (*fn)(void *ctx, struct xfrm_policy *pol), void *ctx)
{
	struct xfrm_spd_cursor cur = { 0 };
	struct xfrm_policy *p;
	int ret;

	while ((p = xfrm_policy_next(st, &cur)))
		if ((ret = fn(ctx, p)) != 0)
			return ret;
	return 0;
}

bool xfrm_selector_match(const struct xfrm_selector *sel, const struct xfrm_flow *fl)
{
	if (sel->family != fl->family)
		return false;
	if (!in6_prefix_match(&sel->src, &fl->src, spd_plen(sel, sel->splen)) ||
	    !in6_prefix_match(&sel->dst, &fl->dst, spd_plen(sel, sel->dplen)))
		return false;
	if (sel->proto != XFRM_PROTO_ANY && sel->proto != 0 && sel->proto != fl->proto)
		return false;
	if (sel->sport_mask || sel->dport_mask) {
		if (fl->flags & XFRM_FLOW_NOPORTS)
			return false;
		if ((fl->sport & sel->sport_mask) != sel->sport ||
		    (fl->dport & sel->dport_mask) != sel->dport)
			return false;
	}
	return sel->ifindex == 0 || sel->ifindex == fl->ifindex;
}

/* Application rank inside a group: compress first, then encrypt, then authenticate the lot. */
static int tmpl_rank(const struct xfrm_tmpl *t)
{
	return t->proto == IPPROTO_COMP ? 0 : t->proto == IPPROTO_ESP ? 1 : 2;
}

unsigned xfrm_policy_tmpl_order(const struct xfrm_policy *pol, const struct xfrm_tmpl *out[XFRM_TMPL_MAX])
{
	unsigned n = MIN(pol->ntmpl, XFRM_TMPL_MAX), start = 0;

	for (unsigned i = 0; i < n; i++)
		out[i] = &pol->tmpl[i];
	for (unsigned i = 0; i <= n; i++) {
		if (i < n && out[i]->mode != XFRM_TMPL_TUNNEL)
			continue;
		/* out[start..i) are transport templates: stable insertion sort by rank. */
		for (unsigned j = start + 1; j < i; j++) {
			const struct xfrm_tmpl *t = out[j];
			unsigned k = j;

			for (; k > start && tmpl_rank(out[k - 1]) > tmpl_rank(t); k--)
				out[k] = out[k - 1];
			out[k] = t;
		}
		start = i + 1;
	}
	return n;
}

int xfrm_policy_resolve(const struct xfrm_policy *pol, const struct xfrm_flow *fl,
			struct xfrm_resolved out[XFRM_TMPL_MAX])
{
	const struct xfrm_tmpl *order[XFRM_TMPL_MAX];
	struct in6_addr src = fl->src, dst = fl->dst;
	uint8_t family = fl->family;
	unsigned n;

	if (pol->action != XFRM_ACT_IPSEC || (fl->family != AF_INET && fl->family != AF_INET6))
		return -EINVAL;
	n = xfrm_policy_tmpl_order(pol, order);
	for (unsigned i = 0; i < n; i++) {
		const struct xfrm_tmpl *t = order[i];
		struct xfrm_resolved *r = &out[i];

		*r = (struct xfrm_resolved){ .tmpl = t, .proto = t->proto, .mode = t->mode,
			.level = t->level, .inner_family = family, .reqid = t->reqid, .spi = t->spi };
		if (t->mode == XFRM_TMPL_TUNNEL) {
			if (t->family != family && (in6_is_unspec(&t->saddr) || in6_is_unspec(&t->daddr)))
				return -EINVAL;    /* no address of the new family to borrow */
			family = t->family;
			if (!in6_is_unspec(&t->saddr))
				src = t->saddr;
			if (!in6_is_unspec(&t->daddr))
				dst = t->daddr;
		}
		r->family = family;
		r->saddr = src;
		r->daddr = dst;
	}
	return (int)n;
}
