/*
 * `usagi node -c FILE [--control DIR]`: one host on real links (TAP,
 * AF_PACKET). The config file's commands run first, one a line; then a
 * ppoll loop serves the links, the control socket and the stack's timers
 * until SIGINT/SIGTERM. The stack clock is CLOCK_MONOTONIC since start.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "core/stack.h"
#include "link/netdev.h"
#include "link/packet.h"
#include "link/pcap.h"
#include "link/tap.h"
#include "sim/linefile.h"
#include "pfkey_srv.h"
#include "usagi.h"

static volatile sig_atomic_t stop_requested;

struct node {
	struct stack *st;
	struct ctl_server srv;
	struct pfk_server pfk;       /* DIR/pfkey (pfkey_srv.c) */
	uint64_t t0;
	const char *conf;
	int line;                    /* config line being run */
	int errors;                  /* error lines printed for it */
	struct cmd_env conf_env;     /* stays valid: a config command may pend */
	int muted[64];               /* ifindexes whose fd failed: not polled */
	unsigned nmuted;
};

static void on_signal(int sig)
{
	stop_requested = 1;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t node_now(const struct node *n)
{
	return mono_ns() - n->t0;
}

static void node_log(void *ctx, const struct stack *st, int level, const char *msg)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	struct timespec ts;
	struct tm tm;
	char when[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld %s %s: %s\n", when, ts.tv_nsec / 1000000, usagi_stack_name(st),
		level >= 0 && level < 4 ? names[level] : "?", msg);
}

/* `link add NAME type tap [netns NS]` / `type packet dev IF [netns NS]`. */
static int node_link_create(struct cmd_env *env, const char *name, int argc, char **argv)
{
	const char *netns = NULL, *dev = NULL;
	bool tap = !strcmp(argv[0], "tap"), packet = !strcmp(argv[0], "packet");
	struct netdev *nd;

	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			goto usage;
		if (!strcmp(argv[i], "netns"))
			netns = argv[i + 1];
		else if (!strcmp(argv[i], "dev") && packet)
			dev = argv[i + 1];
		else
			goto usage;
	}
	if ((!tap && !packet) || (packet && !dev))
		goto usage;
	nd = tap ? tap_create(env->st, name, name, netns) : packet_create(env->st, name, dev, netns);
	if (!nd) {
		int e = errno;

		fprintf(env->err, "link add: %s: %s\n", name, strerror(e));
		return -e;
	}
	return 0;
usage:
	fprintf(env->err, "link add: usage: link add NAME type tap [netns NS] | "
		"link add NAME type packet dev IF [netns NS]\n");
	return -EINVAL;
}

/* A config line the stack still uses (a pending command keeps pointers into it). */
struct held_line {
	struct dlist node;
	char text[];
};

static void conf_err_line(void *ctx, const char *line)
{
	struct node *n = ctx;

	fprintf(stderr, "usagi: %s:%d: %s\n", n->conf, n->line, line);
	n->errors++;
}

static void conf_done(struct cmd_env *env, int rc)
{
	struct node *n = env->ctx;

	if (rc)
		fprintf(stderr, "usagi: %s: a background command exited with status %d\n", n->conf, rc);
}

/* Runs FILE one line at a time; stops at the first failure (after its error line). */
static int run_config(struct node *n, struct dlist *held)
{
	FILE *f = fopen(n->conf, "r");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;

	if (!f) {
		fprintf(stderr, "usagi: %s: %s\n", n->conf, strerror(errno));
		return -1;
	}
	while (rc == 0 && (len = getline(&buf, &cap, f)) >= 0) {
		struct held_line *h = malloc(sizeof(*h) + (size_t)len + 1);

		if (!h) {
			rc = -1;
			break;
		}
		memcpy(h->text, buf, (size_t)len + 1);
		n->line++;
		n->errors = 0;
		rc = cmd_exec_line(&n->conf_env, h->text);
		if (rc == CMD_PENDING) {
			dlist_add_tail(held, &h->node);
			rc = 0;
			continue;
		}
		free(h);
		if (rc && !n->errors)
			fprintf(stderr, "usagi: %s:%d: command failed (status %d)\n", n->conf, n->line, rc);
	}
	free(buf);
	fclose(f);
	return rc ? -1 : 0;
}

static struct pollfd *grow(struct pollfd **pfd, int **idx, size_t *cap, size_t need)
{
	if (need > *cap) {
		struct pollfd *p = realloc(*pfd, need * sizeof(**pfd));
		int *q;

		if (p)
			*pfd = p;
		q = realloc(*idx, need * sizeof(**idx));
		if (q)
			*idx = q;
		if (!p || !q)
			return NULL;
		*cap = need;
	}
	return *pfd;
}

static bool muted(const struct node *n, int ifindex)
{
	for (unsigned i = 0; i < n->nmuted; i++)
		if (n->muted[i] == ifindex)
			return true;
	return false;
}

/* One slot per netdev with a descriptor; @idx gets its ifindex (devices come and go via ctl). */
static size_t fill_netdevs(struct node *n, struct pollfd *pfd, int *idx)
{
	struct dlist *pos, *tmp;
	size_t k = 0;

	dlist_for_each_safe(pos, tmp, &n->st->netdevs) {
		struct netdev *dev = dlist_entry(pos, struct netdev, node);
		int fd = dev->ops && dev->ops->fd ? dev->ops->fd(dev) : -1;

		if (fd < 0 || muted(n, dev->ifindex))
			continue;
		pfd[k] = (struct pollfd){ .fd = fd, .events = POLLIN };
		idx[k++] = dev->ifindex;
	}
	return k;
}

static void serve_netdevs(struct node *n, const struct pollfd *pfd, const int *idx, size_t k)
{
	for (size_t i = 0; i < k; i++) {
		struct netdev *dev;

		if (!pfd[i].revents)
			continue;
		dev = netdev_by_index(n->st, idx[i]);
		if (!dev)
			continue;
		if (pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			log_err(n->st, "%s: link descriptor failed; no longer read", dev->name);
			if (n->nmuted < ARRAY_SIZE(n->muted))
				n->muted[n->nmuted++] = idx[i];
			continue;
		}
		if (dev->ops->rx_ready && dev->ops->rx_ready(dev) < 0)
			log_debug(n->st, "%s: receive failed", dev->name);
	}
}

static size_t count_netdevs(struct stack *st)
{
	size_t k = 0;

	for (struct dlist *p = st->netdevs.next; p != &st->netdevs; p = p->next)
		k++;
	return k;
}

static struct timespec *wait_time(struct node *n, struct timespec *ts)
{
	uint64_t next = usagi_stack_next_event(n->st), now = node_now(n);
	uint64_t d;

	if (next == UINT64_MAX)
		return NULL;
	d = next > now ? next - now : 0;
	ts->tv_sec = (time_t)(d / NS_PER_SEC);
	ts->tv_nsec = (long)(d % NS_PER_SEC);
	return ts;
}

/* Captures (`link capture`) are readable while the node runs, not only at exit. */
static void flush_captures(struct stack *st)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, &st->netdevs) {
		struct netdev *dev = dlist_entry(pos, struct netdev, node);

		if (dev->pcap)
			pcapw_flush(dev->pcap);
	}
}

/* Signals are blocked except inside ppoll, so a stop request is never missed. */
static int event_loop(struct node *n, const sigset_t *waitmask)
{
	struct pollfd *pfd = NULL;
	int *idx = NULL;
	size_t cap = 0;

	while (!stop_requested) {
		size_t k, m, p;
		struct timespec ts;

		usagi_stack_advance(n->st, node_now(n));
		if (!grow(&pfd, &idx, &cap, count_netdevs(n->st) + ctl_server_nfds(&n->srv) +
			  pfk_server_nfds(&n->pfk))) {
			fprintf(stderr, "usagi: out of memory\n");
			break;
		}
		flush_captures(n->st);
		k = fill_netdevs(n, pfd, idx);
		m = ctl_server_fill(&n->srv, pfd + k);
		p = pfk_server_fill(&n->pfk, pfd + k + m);
		if (ppoll(pfd, k + m + p, wait_time(n, &ts), waitmask) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "usagi: poll: %s\n", strerror(errno));
			break;
		}
		usagi_stack_advance(n->st, node_now(n));
		serve_netdevs(n, pfd, idx, k);
		ctl_server_serve(&n->srv, pfd + k, m);
		pfk_server_serve(&n->pfk, pfd + k + m, p);
	}
	free(pfd);
	free(idx);
	return stop_requested ? 0 : 1;
}

static int setup_signals(sigset_t *waitmask)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &block, waitmask) < 0)
		return -1;
	sigdelset(waitmask, SIGINT);
	sigdelset(waitmask, SIGTERM);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int parse_node_args(int argc, char **argv, const char **conf, const char **ctl)
{
	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && !strcmp(argv[i], "-c"))
			*conf = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--control"))
			*ctl = argv[++i];
		else
			return -1;
	}
	return *conf ? 0 : -1;
}

static void host_name(char *buf, size_t size, const char *conf)
{
	const char *base = strrchr(conf, '/');
	char *dot;

	snprintf(buf, size, "%s", base ? base + 1 : conf);
	dot = strchr(buf, '.');
	if (dot && dot != buf)
		*dot = '\0';
}

static void free_held(struct dlist *held)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, held) {
		dlist_del(pos);
		free(dlist_entry(pos, struct held_line, node));
	}
}

int node_main(int argc, char **argv)
{
	struct node n = { 0 };
	struct usagi_stack_config cfg = { 0 };
	const char *ctl = NULL;
	sigset_t waitmask;
	struct dlist held;
	char name[32];
	int rc = 1;

	if (parse_node_args(argc, argv, &n.conf, &ctl) < 0) {
		fprintf(stderr, "usage: usagi node -c FILE [--control DIR]\n");
		return 2;
	}
	dlist_init(&held);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (setup_signals(&waitmask) < 0)
		return 1;
	host_name(name, sizeof(name), n.conf);
	if (getrandom(&cfg.seed, sizeof(cfg.seed), 0) != sizeof(cfg.seed))
		cfg.seed = mono_ns() ^ ((uint64_t)getpid() << 32);
	cfg.name = name;
	n.t0 = mono_ns();
	cfg.epoch_ns = real_ns();   /* stack time 0 is now: PF_KEY and setkey -D show real dates */
	n.st = usagi_stack_new(&cfg);
	if (!n.st) {
		fprintf(stderr, "usagi: cannot create the stack: %s\n", strerror(errno));
		return 1;
	}
	usagi_stack_set_log(n.st, node_log, &n);
	n.srv = (struct ctl_server){ .st = n.st, .link_create = node_link_create, .ctx = &n };
	n.conf_env = (struct cmd_env){ .st = n.st, .out = stdout, .link_create = node_link_create,
				       .ctx = &n, .done = conf_done };
	n.conf_env.err = linefile_open(conf_err_line, &n);
	if (n.conf_env.err && ctl_server_open(&n.srv, control_dir(ctl)) == 0) {
		if (pfk_server_open(&n.pfk, n.st, control_dir(ctl)) == 0 && run_config(&n, &held) == 0) {
			log_info(n.st, "running; control socket %s", n.srv.path);
			rc = event_loop(&n, &waitmask);
			log_info(n.st, "stopping");
		}
		cmd_cancel(&n.conf_env);
		pfk_server_close(&n.pfk);
		ctl_server_close(&n.srv);
	}
	usagi_stack_free(n.st);
	if (n.conf_env.err)
		fclose(n.conf_env.err);
	free_held(&held);
	return rc;
}
