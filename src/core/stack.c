#include <stdlib.h>
#include <stdio.h>
#include "core/stack.h"
#include "link/netdev.h"
#include "ipv4/route4.h"
#include "xfrm/policy.h"
#include "xfrm/xfrm.h"
#include "xfrm/xfrm_io.h"
#include "xfrm/xfrm_natt.h"
#include "netfilter/nf_filter.h"
#include "mip6/mip6.h"
#include "netfilter/nf_conntrack.h"

/* Layer init/fini in order; fini runs in reverse. */
static const struct {
	const char *name;
	int (*init)(struct stack *st);
	void (*fini)(struct stack *st);
} layers[] = {
	{ "route6", route6_init, route6_fini },
	{ "nd6", nd6_init, nd6_fini },
	{ "ip6", ip6_init, ip6_fini },
	{ "icmp6", icmp6_init, NULL },
	{ "route4", route4_init, route4_fini },
	{ "ip4", ip4_init, ip4_fini },
	{ "sock", sock_init, sock_fini },
	{ "sad", xfrm_sad_init, xfrm_sad_fini },   /* before spd: bundles hold SAs */
	{ "spd", xfrm_spd_init, xfrm_spd_fini },
	{ "natt", xfrm_natt_init, xfrm_natt_fini },
	{ "xfrm_out", xfrm_output_init, xfrm_output_fini },
	{ "nf_filter", nf_filter_init, nf_filter_free },
	{ "netfilter", nf_init, nf_fini },
	{ "mip6", mip6_init, mip6_fini },
};

struct stack *usagi_stack_new(const struct usagi_stack_config *cfg)
{
	struct stack *st = calloc(1, sizeof(*st));
	size_t i;

	if (!st)
		return NULL;
	snprintf(st->name, sizeof(st->name), "%s", cfg && cfg->name ? cfg->name : "host");
	st->now = cfg ? cfg->now : 0;
	st->epoch_ns = cfg ? cfg->epoch_ns : 0;
	rng_seed(&st->rng, cfg ? cfg->seed : 0);
	st->hkey.k0 = rng_next(&st->rng);
	st->hkey.k1 = rng_next(&st->rng);
	st->log_level = ULOG_INFO;
	timer_wheel_init(&st->timers, st, st->now);
	dlist_init(&st->netdevs);
	st->next_ifindex = 1;
	st->pool = pkt_pool_new(cfg && cfg->pool_packets ? cfg->pool_packets : 4096);
	if (!st->pool)
		goto fail;
	for (i = 0; i < ARRAY_SIZE(layers); i++) {
		if (layers[i].init(st) < 0) {
			log_err(st, "%s: init failed", layers[i].name);
			while (i-- > 0)
				if (layers[i].fini)
					layers[i].fini(st);
			goto fail;
		}
	}
	return st;
fail:
	pkt_pool_free(st->pool);
	free(st);
	errno = ENOMEM;
	return NULL;
}

void usagi_stack_free(struct stack *st)
{
	struct dlist *pos, *tmp;

	if (!st)
		return;
	dlist_for_each_safe(pos, tmp, &st->netdevs)
		netdev_destroy(dlist_entry(pos, struct netdev, node));
	for (size_t i = ARRAY_SIZE(layers); i-- > 0;)
		if (layers[i].fini)
			layers[i].fini(st);
	pktq_purge(&st->loopback);
	if (pkt_pool_in_use(st->pool))
		log_warn(st, "%u packets still allocated at exit", pkt_pool_in_use(st->pool));
	pkt_pool_free(st->pool);
	free(st);
}

#define LOOPBACK_MAX 1024      /* packets waiting on the loopback queue */
#define LOOPBACK_BUDGET 256    /* delivered per poll, so a ping-pong cannot starve timers */

int stack_loopback(struct stack *st, struct pkt *p, struct netdev *dev)
{
	if (st->loopback.len >= LOOPBACK_MAX) {
		pkt_free(p);
		return -ENOBUFS;
	}
	p->dev = dev;
	p->flags = 0;
	pktq_push(&st->loopback, p);
	return 0;
}

void stack_forget_dev(struct stack *st, const struct netdev *dev)
{
	struct pktq keep = { 0 };
	struct pkt *p;

	while ((p = pktq_pop(&st->loopback))) {
		if (p->dev == dev)
			pkt_free(p);
		else
			pktq_push(&keep, p);
	}
	st->loopback = keep;
	reasm_forget_dev(st, dev);
}

/* Delivers looped-back packets to the input of their family (the version nibble). */
static void loopback_poll(struct stack *st)
{
	struct pkt *p;

	for (unsigned n = 0; n < LOOPBACK_BUDGET && (p = pktq_pop(&st->loopback)); n++) {
		p->tstamp = st->now;
		if (p->len && p->data[0] >> 4 == 4)
			ip4_input(st, p);
		else
			ip6_input(st, p);
	}
}

void usagi_stack_advance(struct stack *st, uint64_t now)
{
	if (now > st->now)
		st->now = now;
	loopback_poll(st);
	timer_wheel_advance(&st->timers, st->now);
	loopback_poll(st);
}

uint64_t usagi_stack_next_event(const struct stack *st)
{
	if (st->loopback.head)
		return st->now;
	return timer_wheel_next(&st->timers);
}

uint64_t usagi_stack_now(const struct stack *st) { return st->now; }
const char *usagi_stack_name(const struct stack *st) { return st->name; }

void usagi_stack_set_log_level(struct stack *st, int level)
{
	st->log_level = level < 0 ? ULOG_ERR : level > ULOG_DEBUG ? ULOG_DEBUG : (enum log_level)level;
}

void usagi_stack_set_log(struct stack *st, usagi_log_fn fn, void *ctx)
{
	st->log_fn = fn;
	st->log_ctx = ctx;
}

struct pkt *stack_pkt_alloc(struct stack *st, size_t len)
{
	struct pkt *p = pkt_alloc(st->pool, PKT_HEADROOM, len);

	if (!p)
		STAT_INC(st, pkt_alloc_fail);
	return p;
}
