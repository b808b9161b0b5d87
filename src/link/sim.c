/*
 * Simulated links. A sim_world owns one clock and one event queue (a binary
 * heap ordered by (time, sequence), so events at the same time run in the
 * order they were scheduled) holding frame deliveries and sim_at()
 * callbacks. It also drives the timers of every stack added to it: the next
 * thing to happen is the earliest of the queue head and every stack's next
 * timer. Every random decision (loss, duplication, reordering, jitter) is
 * drawn from the world's RNG in a fixed order, so a seed fixes the run.
 *
 * A segment is a hub: a frame sent by one attached interface reaches every
 * other attached interface, each copy with its own fate.
 */
#include <stdio.h>
#include <stdlib.h>
#include "core/stack.h"
#include "link/ether.h"
#include "link/netdev.h"
#include "link/pcap.h"
#include "link/sim.h"

#define SIM_PPM 1000000u
#define SIM_MTU_DEFAULT 1500u
#define SIM_QUEUE_DEFAULT 1000u

/* One frame on the wire, shared by every copy in flight (one per receiver). */
struct sim_frame {
	unsigned refs;
	uint32_t len;
	uint8_t data[];
};

enum sim_ev_kind { SIM_EV_FRAME, SIM_EV_CALL };

struct sim_event {
	uint64_t time;
	uint64_t seq;
	enum sim_ev_kind kind;
	union {
		struct {
			struct sim_port *port;   /* NULL once the port is destroyed */
			uint64_t gen;            /* port->gen at send time */
			struct sim_frame *frame;
		} fr;
		struct {
			void (*fn)(void *ctx);
			void *ctx;
		} call;
	};
};

/* Backend state of one simulated interface (dev->priv). */
struct sim_port {
	struct dlist node;          /* seg->ports */
	struct sim_world *w;        /* NULL once the world is gone */
	struct sim_segment *seg;    /* NULL while unplugged */
	struct netdev *dev;
	/* Bumped on every unplug: copies sent before it are lost (cable pulled). */
	uint64_t gen;
	/*
	 * Transmit queue on a rate-limited segment: the times at which the
	 * frames not yet fully sent leave the port, oldest first (a ring;
	 * the times only grow, so the last one is when the medium is free).
	 */
	uint64_t *qend;
	uint32_t qhead, qn, qcap;
};

struct sim_segment {
	struct dlist node;          /* w->segments */
	struct sim_world *w;
	char name[32];
	struct sim_link_params params;
	struct dlist ports;         /* struct sim_port, in attach order */
	struct pcap_writer *pcap;
};

struct sim_world {
	uint64_t now;
	uint64_t seq;
	struct rng rng;
	struct sim_event *heap;
	size_t nev, cap;
	struct stack **stacks;
	size_t nstacks, stacks_cap;
	struct dlist segments;
	unsigned warned_spin;
};

/* ---- event heap ---- */

static bool ev_before(const struct sim_event *a, const struct sim_event *b)
{
	return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static void ev_swap(struct sim_event *a, struct sim_event *b)
{
	struct sim_event t = *a;

	*a = *b;
	*b = t;
}

/* 0 or -ENOMEM; @ev->seq is assigned here. */
static int heap_push(struct sim_world *w, struct sim_event *ev)
{
	size_t i;

	if (w->nev == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct sim_event *h = realloc(w->heap, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		w->heap = h;
		w->cap = cap;
	}
	ev->seq = w->seq++;
	i = w->nev++;
	w->heap[i] = *ev;
	while (i > 0 && ev_before(&w->heap[i], &w->heap[(i - 1) / 2])) {
		ev_swap(&w->heap[i], &w->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	return 0;
}

static struct sim_event heap_pop(struct sim_world *w)
{
	struct sim_event top = w->heap[0];
	size_t i = 0;

	w->heap[0] = w->heap[--w->nev];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < w->nev && ev_before(&w->heap[l], &w->heap[m]))
			m = l;
		if (r < w->nev && ev_before(&w->heap[r], &w->heap[m]))
			m = r;
		if (m == i)
			break;
		ev_swap(&w->heap[i], &w->heap[m]);
		i = m;
	}
	return top;
}

static void frame_put(struct sim_frame *f)
{
	if (f && --f->refs == 0)
		free(f);
}

/* ---- world ---- */

struct sim_world *sim_world_new(uint64_t seed)
{
	struct sim_world *w = calloc(1, sizeof(*w));

	if (!w) {
		errno = ENOMEM;
		return NULL;
	}
	rng_seed(&w->rng, seed);
	dlist_init(&w->segments);
	return w;
}

uint64_t sim_world_now(const struct sim_world *w) { return w->now; }

void sim_world_add_stack(struct sim_world *w, struct stack *st)
{
	for (size_t i = 0; i < w->nstacks; i++)
		if (w->stacks[i] == st)
			return;
	if (w->nstacks == w->stacks_cap) {
		size_t cap = w->stacks_cap ? w->stacks_cap * 2 : 8;
		struct stack **s = realloc(w->stacks, cap * sizeof(*s));

		if (!s) {
			/* No error path in the contract: the caller keeps the stack. */
			log_err(st, "sim: cannot add stack to world (ENOMEM)");
			return;
		}
		w->stacks = s;
		w->stacks_cap = cap;
	}
	w->stacks[w->nstacks++] = st;
	usagi_stack_advance(st, w->now);
}

/*
 * Stacks go first (their interfaces unplug themselves and void their
 * frames in flight), then the queue, then the segments; interfaces of
 * stacks the caller still owns are left unplugged and worldless.
 */
void sim_world_free(struct sim_world *w)
{
	struct dlist *pos, *tmp, *ppos, *ptmp;

	if (!w)
		return;
	for (size_t i = 0; i < w->nstacks; i++)
		usagi_stack_free(w->stacks[i]);
	free(w->stacks);
	for (size_t i = 0; i < w->nev; i++)
		if (w->heap[i].kind == SIM_EV_FRAME)
			frame_put(w->heap[i].fr.frame);
	free(w->heap);
	dlist_for_each_safe(pos, tmp, &w->segments) {
		struct sim_segment *seg = dlist_entry(pos, struct sim_segment, node);

		dlist_for_each_safe(ppos, ptmp, &seg->ports) {
			struct sim_port *port = dlist_entry(ppos, struct sim_port, node);

			dlist_del(&port->node);
			port->seg = NULL;
			port->w = NULL;
		}
		pcapw_close(seg->pcap);
		free(seg);
	}
	free(w);
}

/* ---- segments ---- */

void sim_segment_set_params(struct sim_segment *seg, const struct sim_link_params *params)
{
	if (params)
		seg->params = *params;
	else
		memset(&seg->params, 0, sizeof(seg->params));
	if (!seg->params.mtu)
		seg->params.mtu = SIM_MTU_DEFAULT;
}

struct sim_segment *sim_segment_new(struct sim_world *w, const char *name,
				    const struct sim_link_params *params)
{
	struct sim_segment *seg;

	if (!name || !*name || strlen(name) >= sizeof(seg->name)) {
		errno = EINVAL;
		return NULL;
	}
	if (sim_segment_by_name(w, name)) {
		errno = EEXIST;
		return NULL;
	}
	seg = calloc(1, sizeof(*seg));
	if (!seg) {
		errno = ENOMEM;
		return NULL;
	}
	seg->w = w;
	snprintf(seg->name, sizeof(seg->name), "%s", name);
	dlist_init(&seg->ports);
	sim_segment_set_params(seg, params);
	dlist_add_tail(&w->segments, &seg->node);
	return seg;
}

struct sim_segment *sim_segment_by_name(struct sim_world *w, const char *name)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &w->segments) {
		struct sim_segment *seg = dlist_entry(pos, struct sim_segment, node);

		if (strcmp(seg->name, name) == 0)
			return seg;
	}
	return NULL;
}

/* 0 or -errno; a second capture replaces the first. */
int sim_segment_capture(struct sim_segment *seg, const char *path)
{
	struct pcap_writer *pw = pcapw_open(path);

	if (!pw)
		return -errno;
	pcapw_close(seg->pcap);
	seg->pcap = pw;
	return 0;
}

/* ---- sending ---- */

static bool roll(struct sim_world *w, uint32_t ppm)
{
	return ppm && rng_below(&w->rng, SIM_PPM) < ppm;
}

static uint64_t copy_delay(struct sim_world *w, const struct sim_link_params *lp,
			   struct stack *rx_st)
{
	uint64_t d = lp->delay_ns;

	if (lp->jitter_ns)
		d += rng_next(&w->rng) % lp->jitter_ns;
	if (roll(w, lp->reorder_ppm)) {
		STAT_INC(rx_st, sim_reorder);
		d += lp->reorder_delay_ns;
	}
	return d;
}

static void queue_copy(struct sim_world *w, struct sim_port *rx, struct sim_frame *f,
		       uint64_t delay)
{
	struct sim_event ev = {
		.time = w->now + delay, .kind = SIM_EV_FRAME,
		.fr = { .port = rx, .gen = rx->gen, .frame = f },
	};

	if (heap_push(w, &ev) < 0) {
		STAT_INC(rx->dev->st, sim_tx_nomem);
		return;
	}
	f->refs++;
}

/* Grows @port's ring to @cap entries, keeping its order. 0 or -ENOMEM. */
static int txq_grow(struct sim_port *port, uint32_t cap)
{
	uint64_t *q = malloc(cap * sizeof(*q));

	if (!q)
		return -ENOMEM;
	for (uint32_t i = 0; i < port->qn; i++)
		q[i] = port->qend[(port->qhead + i) % port->qcap];
	free(port->qend);
	port->qend = q;
	port->qhead = 0;
	port->qcap = cap;
	return 0;
}

/*
 * Serialisation at @port's rate (lp->rate_bps != 0): the frame of @len
 * octets starts when the medium is free and leaves len * 8 / rate later.
 * Returns the time from now until its last bit is out, or -1 when the
 * port's queue is full (the frame is dropped, as by a NIC or switch port).
 */
static int64_t txq_enqueue(struct sim_world *w, const struct sim_link_params *lp,
			   struct sim_port *port, uint32_t len)
{
	uint32_t limit = lp->queue_frames ? lp->queue_frames : SIM_QUEUE_DEFAULT;
	uint64_t start, end;

	while (port->qn && port->qend[port->qhead] <= w->now) {
		port->qhead = (port->qhead + 1) % port->qcap;
		port->qn--;
	}
	if (port->qn >= limit)
		return -1;
	if (port->qcap < limit && port->qn == port->qcap &&
	    txq_grow(port, MIN(limit, port->qcap ? port->qcap * 2 : 64)) < 0)
		return -1;
	start = port->qn ? port->qend[(port->qhead + port->qn - 1) % port->qcap] : w->now;
	/* Rounded up: a frame never takes less than its bits at the rate. */
	end = start + ((uint64_t)len * 8 * NS_PER_SEC + lp->rate_bps - 1) / lp->rate_bps;
	port->qend[(port->qhead + port->qn++) % port->qcap] = end;
	return (int64_t)(end - w->now);
}

/* Fate of one copy, decided per receiver: lost, or delivered once or twice. */
static void send_to(struct sim_world *w, const struct sim_link_params *lp,
		    struct sim_port *rx, struct sim_frame *f, uint64_t tx_ns)
{
	struct stack *rst = rx->dev->st;
	int copies = 1;

	if (roll(w, lp->loss_ppm)) {
		STAT_INC(rst, sim_loss);
		return;
	}
	if (roll(w, lp->dup_ppm)) {
		STAT_INC(rst, sim_dup);
		copies = 2;
	}
	for (int i = 0; i < copies; i++)
		queue_copy(w, rx, f, tx_ns + copy_delay(w, lp, rst));
}

/* Consumes @p. A frame the link drops is still "sent" (returns 0), as on a wire. */
static int sim_xmit(struct netdev *dev, struct pkt *p)
{
	struct sim_port *port = dev->priv;
	struct sim_segment *seg = port->seg;
	struct sim_frame *f;
	struct dlist *pos, *tmp;
	int64_t tx_ns = 0;
	int rc = 0;

	if (!seg) {
		STAT_INC(dev->st, sim_no_carrier);
		rc = -ENOLINK;
		goto out;
	}
	if (seg->pcap)
		pcapw_write(seg->pcap, seg->w->now, p->data, p->len);
	if (p->len < ETH_HLEN) {
		STAT_INC(dev->st, sim_runt);
		goto out;
	}
	if (p->len - ETH_HLEN > seg->params.mtu) {
		STAT_INC(dev->st, sim_mtu_drop);
		goto out;
	}
	if (seg->params.rate_bps) {
		tx_ns = txq_enqueue(seg->w, &seg->params, port, (uint32_t)p->len);
		if (tx_ns < 0) {
			STAT_INC(dev->st, sim_queue_drop);
			goto out;
		}
	}
	f = malloc(sizeof(*f) + p->len);
	if (!f) {
		STAT_INC(dev->st, sim_tx_nomem);
		rc = -ENOBUFS;
		goto out;
	}
	f->refs = 1;
	f->len = p->len;
	memcpy(f->data, p->data, p->len);
	dlist_for_each_safe(pos, tmp, &seg->ports) {
		struct sim_port *rx = dlist_entry(pos, struct sim_port, node);

		if (rx != port)
			send_to(seg->w, &seg->params, rx, f, (uint64_t)tx_ns);
	}
	frame_put(f);
out:
	pkt_free(p);
	return rc;
}

static int sim_fd(const struct netdev *dev) { return -1; }

/* Voids this port's frames in flight; they are freed when popped. */
static void sim_destroy(struct netdev *dev)
{
	struct sim_port *port = dev->priv;
	struct sim_world *w = port->w;

	if (port->seg)
		dlist_del(&port->node);
	for (size_t i = 0; w && i < w->nev; i++)
		if (w->heap[i].kind == SIM_EV_FRAME && w->heap[i].fr.port == port)
			w->heap[i].fr.port = NULL;
	free(port->qend);
	free(port);
}

static const struct netdev_ops sim_ops = {
	.kind = "sim",
	.xmit = sim_xmit,
	.fd = sim_fd,
	.destroy = sim_destroy,
};

/* ---- attaching ---- */

struct netdev *sim_attach(struct sim_segment *seg, struct stack *st, const char *ifname,
			  const uint8_t *mac)
{
	struct sim_port *port = calloc(1, sizeof(*port));
	struct netdev *dev;

	if (!port) {
		errno = ENOMEM;
		return NULL;
	}
	port->w = seg->w;
	dev = netdev_create(st, ifname, &sim_ops, port, mac);
	if (!dev) {
		free(port);
		return NULL;
	}
	port->dev = dev;
	port->seg = seg;
	dlist_add_tail(&seg->ports, &port->node);
	return dev;
}

void sim_detach(struct netdev *dev)
{
	struct sim_port *port = dev->priv;

	if (dev->ops != &sim_ops || !port->seg)
		return;
	dlist_del(&port->node);
	port->seg = NULL;
	port->gen++;
}

bool sim_is_sim_dev(const struct netdev *dev)
{
	return dev->ops == &sim_ops;
}

void sim_move(struct netdev *dev, struct sim_segment *seg)
{
	struct sim_port *port = dev->priv;

	if (dev->ops != &sim_ops)
		return;
	/* Frames in flight and the event queue belong to one world. */
	if (port->w != seg->w)
		return;
	sim_detach(dev);
	port->seg = seg;
	dlist_add_tail(&seg->ports, &port->node);
}

/* ---- running ---- */

void sim_at(struct sim_world *w, uint64_t t, void (*fn)(void *ctx), void *ctx)
{
	struct sim_event ev = { .time = t, .kind = SIM_EV_CALL, .call = { fn, ctx } };

	/* A time in the past runs at the next step, never backwards. */
	if (ev.time < w->now)
		ev.time = w->now;
	if (heap_push(w, &ev) < 0)
		fprintf(stderr, "sim: out of memory, callback at %llu lost\n",
			(unsigned long long)t);
}

static void advance_all(struct sim_world *w)
{
	for (size_t i = 0; i < w->nstacks; i++)
		usagi_stack_advance(w->stacks[i], w->now);
}

static uint64_t stacks_next(const struct sim_world *w)
{
	uint64_t t = UINT64_MAX;

	for (size_t i = 0; i < w->nstacks; i++)
		t = MIN(t, usagi_stack_next_event(w->stacks[i]));
	return t;
}

/* The receiving stack's clock equals the world's when its frame lands. */
static void deliver(struct sim_world *w, const struct sim_event *ev)
{
	struct sim_port *port = ev->fr.port;
	struct sim_frame *f = ev->fr.frame;
	struct stack *st;
	struct pkt *p;

	if (!port)
		goto out;
	st = port->dev->st;
	if (port->gen != ev->fr.gen) {
		STAT_INC(st, sim_unplugged);
		goto out;
	}
	usagi_stack_advance(st, w->now);
	p = pkt_alloc(st->pool, PKT_HEADROOM, f->len);
	if (!p) {
		STAT_INC(st, sim_rx_nomem);
		goto out;
	}
	memcpy(pkt_put(p, f->len), f->data, f->len);
	netdev_rx(port->dev, p);
out:
	frame_put(f);
}

/* Steps at one instant in which no queued event ran: a stack that never settles. */
#define SIM_MAX_IDLE_SPINS 1000

/* The earliest of the queue head and every stack's next timer. */
static uint64_t next_time(struct sim_world *w, unsigned spins)
{
	uint64_t ev_t = w->nev ? w->heap[0].time : UINT64_MAX;
	uint64_t st_t = stacks_next(w);

	/* A stack that never settles must not stall the world: step past it. */
	if (spins >= SIM_MAX_IDLE_SPINS && st_t <= w->now) {
		if (!w->warned_spin++)
			fprintf(stderr, "sim: a stack keeps reporting work due at %llu\n",
				(unsigned long long)w->now);
		st_t = w->now + 1;
	}
	return MIN(ev_t, st_t);
}

void sim_run_until(struct sim_world *w, uint64_t t)
{
	unsigned spins = 0;

	for (;;) {
		uint64_t next = next_time(w, spins);
		struct sim_event ev;

		if (next == UINT64_MAX || next > t)
			break;
		/* A stack with work due now (or overdue) runs at the world's time. */
		spins = next > w->now ? 0 : spins + 1;
		w->now = MAX(w->now, next);
		advance_all(w);
		if (!w->nev || w->heap[0].time > w->now)
			continue;
		spins = 0;
		ev = heap_pop(w);
		if (ev.kind == SIM_EV_FRAME)
			deliver(w, &ev);
		else
			ev.call.fn(ev.call.ctx);
	}
	w->now = MAX(w->now, t);
	advance_all(w);
}
