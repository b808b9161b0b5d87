/*
 * The sim-file engine: a file is checked whole first (every line, names,
 * times), then run; so a typo on line 40 is reported before line 1 has
 * printed anything. Both passes go through the same directive handlers,
 * with sf->live telling whether to create things.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "link/sim.h"
#include "usagi/stack.h"
#include "sim/simfile_priv.h"
#include "setkey/setkey.h"

#define SF_MAX_ARGS 32

void sf_error(struct simfile *sf, const char *fmt, ...)
{
	va_list ap;

	fprintf(sf->err, "usagi: %s:%d: ", sf->name, sf->line);
	va_start(ap, fmt);
	vfprintf(sf->err, fmt, ap);
	va_end(ap);
	fputc('\n', sf->err);
	fflush(sf->err);
}

uint64_t sf_now(const struct simfile *sf)
{
	return sf->w ? sim_world_now(sf->w) : sf->last_now;
}

void sf_timeline(struct simfile *sf, uint64_t t, const char *who, const char *sep, const char *text)
{
	fprintf(sf->out, "[%3llu.%03llu] %s%s%s\n", (unsigned long long)(t / NS_PER_SEC),
		(unsigned long long)(t % NS_PER_SEC / NS_PER_MS), who ? who : "",
		who ? sep : "", text);
	fflush(sf->out);
}

struct sf_name *sf_name_find(struct dlist *list, const char *name)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, list) {
		struct sf_name *n = dlist_entry(pos, struct sf_name, node);

		if (strcmp(n->name, name) == 0)
			return n;
	}
	return NULL;
}

static struct sf_name *name_add(struct simfile *sf, struct dlist *list, const char *name)
{
	struct sf_name *n;

	if (strlen(name) >= SIMFILE_NAME_MAX) {
		sf_error(sf, "name \"%s\" is too long", name);
		return NULL;
	}
	if (sf_name_find(list, name)) {
		sf_error(sf, "\"%s\" is already declared", name);
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		sf_error(sf, "out of memory");
		return NULL;
	}
	snprintf(n->name, sizeof(n->name), "%s", name);
	dlist_add_tail(list, &n->node);
	return n;
}

static void names_free(struct dlist *list)
{
	struct dlist *pos, *tmp;

	dlist_for_each_safe(pos, tmp, list) {
		dlist_del(pos);
		free(dlist_entry(pos, struct sf_name, node));
	}
}

struct sf_unit {
	const char *sfx;
	double mult;
};

/* A number with one of @units' suffixes, scaled, within [@lo, @hi): 0 or -EINVAL. */
static int parse_scaled(const char *s, const struct sf_unit *units, size_t n, double lo, double hi,
			uint64_t *out)
{
	char *end;
	double v;

	if (!s || !(isdigit((unsigned char)s[0]) || s[0] == '.'))
		return -EINVAL;
	v = strtod(s, &end);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(end, units[i].sfx) == 0) {
			double r = v * units[i].mult;

			if (!(r >= lo && r < hi))
				return -EINVAL;
			*out = (uint64_t)llround(r);
			return 0;
		}
	}
	return -EINVAL;
}

int simfile_parse_time(const char *s, uint64_t *ns)
{
	static const struct sf_unit units[] = {
		{ "", 1e9 }, { "s", 1e9 }, { "ms", 1e6 }, { "us", 1e3 }, { "ns", 1 }, { "m", 60e9 },
	};

	return parse_scaled(s, units, ARRAY_SIZE(units), 0, 1.8e19, ns);
}

int simfile_parse_ppm(const char *s, uint32_t *ppm)
{
	char *end;
	double v;

	if (!s || !(isdigit((unsigned char)s[0]) || s[0] == '.'))
		return -EINVAL;
	v = strtod(s, &end);
	if (strcmp(end, "%") == 0)
		v /= 100;
	else if (*end)
		return -EINVAL;
	if (!(v >= 0 && v <= 1))
		return -EINVAL;
	*ppm = (uint32_t)llround(v * 1e6);
	return 0;
}

/* "100Mbit", "1Gbit", "64kbit", "9600bit" or a bare number of bit/s. 0 or -EINVAL. */
int simfile_parse_rate(const char *s, uint64_t *bps)
{
	static const struct sf_unit units[] = {
		{ "", 1 }, { "bit", 1 }, { "kbit", 1e3 }, { "Kbit", 1e3 }, { "Mbit", 1e6 }, { "Gbit", 1e9 },
	};

	return parse_scaled(s, units, ARRAY_SIZE(units), 1, 1e15, bps);
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char tail;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -EINVAL;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

static int seg_params(struct simfile *sf, int argc, char **argv, struct sim_link_params *p)
{
	for (int i = 0; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end;
		int rc;

		if (!v) {
			sf_error(sf, "segment: \"%s\" needs a value", k);
			return -EINVAL;
		}
		if (!strcmp(k, "delay"))
			rc = simfile_parse_time(v, &p->delay_ns);
		else if (!strcmp(k, "jitter"))
			rc = simfile_parse_time(v, &p->jitter_ns);
		else if (!strcmp(k, "reorder-delay"))
			rc = simfile_parse_time(v, &p->reorder_delay_ns);
		else if (!strcmp(k, "loss"))
			rc = simfile_parse_ppm(v, &p->loss_ppm);
		else if (!strcmp(k, "dup"))
			rc = simfile_parse_ppm(v, &p->dup_ppm);
		else if (!strcmp(k, "reorder"))
			rc = simfile_parse_ppm(v, &p->reorder_ppm);
		else if (!strcmp(k, "mtu")) {
			unsigned long m = strtoul(v, &end, 10);

			rc = *end || m < 68 || m > 65535 ? -EINVAL : 0;
			p->mtu = (uint32_t)m;
		} else if (!strcmp(k, "rate")) {
			rc = simfile_parse_rate(v, &p->rate_bps);
		} else if (!strcmp(k, "queue")) {
			unsigned long m = strtoul(v, &end, 10);

			rc = *end || m < 1 || m > 1000000 ? -EINVAL : 0;
			p->queue_frames = (uint32_t)m;
		} else {
			sf_error(sf, "segment: unknown parameter \"%s\" (delay jitter loss dup reorder reorder-delay mtu rate queue)", k);
			return -EINVAL;
		}
		if (rc) {
			sf_error(sf, "segment: bad %s \"%s\"", k, v);
			return -EINVAL;
		}
	}
	if (p->reorder_ppm && !p->reorder_delay_ns)
		p->reorder_delay_ns = p->delay_ns ? p->delay_ns : NS_PER_MS;
	return 0;
}

static int mkdir_p(const char *dir)
{
	char path[4096];

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int capture(struct simfile *sf, struct sim_segment *seg, const char *name)
{
	char path[4096];
	int rc;
	size_t n;
	char *grown;

	rc = mkdir_p(sf->o->outdir);
	if (rc < 0) {
		sf_error(sf, "cannot create %s: %s", sf->o->outdir, strerror(-rc));
		return rc;
	}
	snprintf(path, sizeof(path), "%s/%s.pcap", sf->o->outdir, name);
	rc = sim_segment_capture(seg, path);
	if (rc) {
		rc = rc < 0 ? rc : -errno;
		sf_error(sf, "cannot write %s: %s", path, strerror(-rc));
		return rc;
	}
	n = strlen(path);
	grown = realloc(sf->pcaps, sf->pcaps_len + n + 2);
	if (!grown)
		return -ENOMEM;
	sf->pcaps = grown;
	if (sf->pcaps_len)
		sf->pcaps[sf->pcaps_len++] = ' ';
	memcpy(sf->pcaps + sf->pcaps_len, path, n + 1);
	sf->pcaps_len += n;
	return 0;
}

static int d_segment(struct simfile *sf, int argc, char **argv)
{
	struct sim_link_params p = { 0 };
	struct sf_name *n;

	if (argc < 2) {
		sf_error(sf, "usage: segment NAME [delay T] [jitter T] [loss P%%] [dup P%%] [reorder P%%] [reorder-delay T] [mtu N] [rate R] [queue N]");
		return -EINVAL;
	}
	if (seg_params(sf, argc - 2, argv + 2, &p) < 0)
		return -EINVAL;
	n = name_add(sf, &sf->segments, argv[1]);
	if (!n)
		return -EINVAL;
	if (!sf->live)
		return 0;
	n->obj = sim_segment_new(sf->w, argv[1], &p);
	if (!n->obj) {
		sf_error(sf, "segment %s: %s", argv[1], strerror(errno));
		return -EINVAL;
	}
	return sf->o->outdir ? capture(sf, n->obj, argv[1]) : 0;
}

static bool reserved(const char *name)
{
	return !strcmp(name, "echo") || !strcmp(name, "heading");
}

static struct sf_host *host_new(struct simfile *sf, const char *name, uint64_t seed)
{
	struct usagi_stack_config cfg = { .name = name, .seed = seed, .now = sim_world_now(sf->w) };
	struct sf_host *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->sf = sf;
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->st = usagi_stack_new(&cfg);
	if (!h->st) {
		free(h);
		return NULL;
	}
	usagi_stack_set_log(h->st, sf_host_log, h);
	usagi_stack_set_log_level(h->st, sf->o->log_level ? sf->o->log_level : 2);
	sim_world_add_stack(sf->w, h->st);
	return h;
}

static int d_host(struct simfile *sf, int argc, char **argv)
{
	uint64_t seed = sf->o->seed * 0x9e3779b97f4a7c15ULL + ++sf->nhosts * 0x2545f4914f6cdd1dULL;
	struct sf_name *n;
	char *end;

	if (argc != 2 && !(argc == 4 && !strcmp(argv[2], "seed"))) {
		sf_error(sf, "usage: host NAME [seed N]");
		return -EINVAL;
	}
	if (argc == 4) {
		seed = strtoull(argv[3], &end, 0);
		if (*end || !isdigit((unsigned char)argv[3][0])) {
			sf_error(sf, "host: bad seed \"%s\"", argv[3]);
			return -EINVAL;
		}
	}
	if (reserved(argv[1])) {
		sf_error(sf, "host: \"%s\" is a reserved word", argv[1]);
		return -EINVAL;
	}
	n = name_add(sf, &sf->hosts, argv[1]);
	if (!n)
		return -EINVAL;
	if (!sf->live)
		return 0;
	n->obj = host_new(sf, argv[1], seed);
	if (!n->obj) {
		sf_error(sf, "host %s: %s", argv[1], strerror(errno));
		return -EINVAL;
	}
	return 0;
}

static int d_attach(struct simfile *sf, int argc, char **argv)
{
	struct sf_name *h, *s;
	uint8_t mac[6];
	bool have_mac = argc == 6 && !strcmp(argv[4], "mac");
	struct sf_host *host;

	if (argc != 4 && !have_mac) {
		sf_error(sf, "usage: attach HOST IFNAME SEGMENT [mac XX:XX:XX:XX:XX:XX]");
		return -EINVAL;
	}
	h = sf_name_find(&sf->hosts, argv[1]);
	s = sf_name_find(&sf->segments, argv[3]);
	if (!h || !s) {
		sf_error(sf, "attach: no such %s \"%s\"", h ? "segment" : "host", h ? argv[3] : argv[1]);
		return -EINVAL;
	}
	if (strlen(argv[2]) >= 16 || !argv[2][0]) {
		sf_error(sf, "attach: bad interface name \"%s\"", argv[2]);
		return -EINVAL;
	}
	if (have_mac && parse_mac(argv[5], mac) < 0) {
		sf_error(sf, "attach: bad MAC address \"%s\"", argv[5]);
		return -EINVAL;
	}
	if (!sf->live)
		return 0;
	host = h->obj;
	if (!sim_attach(s->obj, host->st, argv[2], have_mac ? mac : NULL)) {
		sf_error(sf, "attach %s %s: %s", argv[1], argv[2], strerror(errno));
		return -EINVAL;
	}
	return 0;
}

static int d_run(struct simfile *sf, int argc, char **argv)
{
	uint64_t t;

	if (argc != 2 || simfile_parse_time(argv[1], &t) < 0) {
		sf_error(sf, "usage: run TIME (e.g. run 10s)");
		return -EINVAL;
	}
	if (sf->ran && t <= sf->ran_until) {
		sf_error(sf, "run: %s is not after the previous run", argv[1]);
		return -EINVAL;
	}
	sf->ran = true;
	sf->ran_until = t;
	if (sf->live)
		sim_run_until(sf->w, t);
	return 0;
}

/* `at TIME WHO REST`: @argv holds at, TIME, WHO; @rest the untouched remainder. */
static int d_at(struct simfile *sf, char **argv, const char *rest)
{
	uint64_t t;
	bool special = reserved(argv[2]);

	if (simfile_parse_time(argv[1], &t) < 0) {
		sf_error(sf, "at: bad time \"%s\" (e.g. 2.5s, 300ms)", argv[1]);
		return -EINVAL;
	}
	if (sf->ran && t <= sf->ran_until) {
		sf_error(sf, "at: %s is in the past (already ran to that time)", argv[1]);
		return -EINVAL;
	}
	if (!special && !sf_name_find(&sf->hosts, argv[2])) {
		sf_error(sf, "at: no such host \"%s\"", argv[2]);
		return -EINVAL;
	}
	if (!special && !*rest) {
		sf_error(sf, "at: no command for %s", argv[2]);
		return -EINVAL;
	}
	if (!sf->any_at || t > sf->last_at)
		sf->last_at = t;
	sf->any_at = true;
	return sf->live ? sf_schedule(sf, t, argv[2], rest) : 0;
}

static char *take_word(char **p)
{
	char *s = *p, *w;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	if (!*s || *s == '#') {
		*p = s;
		return NULL;
	}
	w = s;
	while (*s && *s != ' ' && *s != '\t' && *s != '\r')
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return w;
}

static int do_line(struct simfile *sf, char *line)
{
	char *argv[SF_MAX_ARGS], *p = line, *end;
	int argc = 0;

	while (argc < SF_MAX_ARGS && (argv[argc] = take_word(&p)))
		if (argc++ == 2 && !strcmp(argv[0], "at"))
			break;
	if (argc == 0)
		return 0;
	if (!strcmp(argv[0], "at")) {
		if (argc < 3) {
			sf_error(sf, "usage: at TIME HOST COMMAND... | at TIME echo|heading TEXT");
			return -EINVAL;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			*--end = '\0';
		return d_at(sf, argv, p);
	}
	if (argc == SF_MAX_ARGS) {
		sf_error(sf, "too many words");
		return -E2BIG;
	}
	if (!strcmp(argv[0], "host"))
		return d_host(sf, argc, argv);
	if (!strcmp(argv[0], "segment"))
		return d_segment(sf, argc, argv);
	if (!strcmp(argv[0], "attach"))
		return d_attach(sf, argc, argv);
	if (!strcmp(argv[0], "run"))
		return d_run(sf, argc, argv);
	sf_error(sf, "unknown directive \"%s\" (host segment attach at run)", argv[0]);
	return -EINVAL;
}

/* One pass over every line; stops at the first error. */
static int pass(struct simfile *sf, const char *text)
{
	const char *s = text;

	sf->line = 0;
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		char *line = strndup(s, n);
		int rc;

		sf->line++;
		if (!line)
			return -ENOMEM;
		rc = do_line(sf, line);
		free(line);
		if (rc < 0)
			return rc;
		s += n + (nl ? 1 : 0);
	}
	return 0;
}

static void reset_names(struct simfile *sf)
{
	names_free(&sf->hosts);
	names_free(&sf->segments);
	sf->nhosts = 0;
	sf->ran = sf->any_at = false;
	sf->ran_until = sf->last_at = 0;
}

/* Appends the lines of @text that @all does not hold yet (SAs both ends know are written once). */
static void append_new_lines(char **all, size_t *len, const char *text)
{
	for (const char *s = text; *s;) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s + 1) : strlen(s);
		char *line = strndup(s, n), *grown;

		if (line && !(*all && strstr(*all, line)) &&
		    (grown = realloc(*all, *len + n + 1))) {
			memcpy(grown + *len, line, n + 1);
			*all = grown;
			*len += n;
		}
		free(line);
		s += n;
	}
}

/*
 * Next to the captures, DIR/esp_sa: Wireshark's records for every ESP SA
 * of every host, so a person can open the pcaps and read the ESP inside.
 */
static void write_esp_sa(struct simfile *sf)
{
	char path[4096], *all = NULL, *buf = NULL;
	size_t len = 0, blen = 0;
	unsigned n = 0;
	struct dlist *pos, *tmp;
	FILE *f = NULL;
	int fd;

	if (!sf->o->outdir || !sf->w)
		return;
	dlist_for_each_safe(pos, tmp, &sf->hosts) {
		struct sf_host *h = dlist_entry(pos, struct sf_name, node)->obj;
		FILE *m;

		if (!h || !(m = open_memstream(&buf, &blen)))
			continue;
		n += setkey_write_esp_sa(m, h->st);
		fclose(m);
		append_new_lines(&all, &len, buf);
		free(buf);
		buf = NULL;
	}
	snprintf(path, sizeof(path), "%s/esp_sa", sf->o->outdir);
	/* The records hold keys: 0600, like `ipsec esp-sa`. */
	if (n && all && (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) >= 0 &&
	    ((f = fdopen(fd, "w")) || (close(fd), false))) {
		fputs(all, f);
		fclose(f);
		fprintf(sf->out, "Wireshark ESP SAs: %s (copy to ~/.config/wireshark/esp_sa)\n", path);
	}
	free(all);
}

static void teardown(struct simfile *sf)
{
	struct dlist *pos, *tmp;

	sf_cmds_finish(sf);
	write_esp_sa(sf);
	/* Interfaces going down as the world is freed are not part of the story. */
	dlist_for_each_safe(pos, tmp, &sf->hosts) {
		struct sf_host *h = dlist_entry(pos, struct sf_name, node)->obj;

		if (h)
			usagi_stack_set_log_level(h->st, 1);
	}
	if (sf->w) {
		sf->last_now = sim_world_now(sf->w);
		sim_world_free(sf->w);     /* frees every host's stack */
		sf->w = NULL;
	}
	sf_cmds_free(sf);
	dlist_for_each_safe(pos, tmp, &sf->hosts)
		free(dlist_entry(pos, struct sf_name, node)->obj);
	reset_names(sf);
	if (sf->pcaps)
		fprintf(sf->out, "captures: %s\n", sf->pcaps);
	fflush(sf->out);
	free(sf->pcaps);
}

static int failures(struct simfile *sf)
{
	struct dlist *pos, *tmp;
	int n = 0;

	dlist_for_each_safe(pos, tmp, &sf->cmds) {
		struct sf_cmd *c = dlist_entry(pos, struct sf_cmd, node);

		if (c->kind == SF_CMD && c->rc != 0)
			n++;
	}
	return n;
}

int simfile_run(const char *text, const struct simfile_opts *o)
{
	struct simfile sf = { .o = o, .name = o->name ? o->name : "sim",
			      .out = o->out ? o->out : stdout, .err = o->err ? o->err : stderr };
	int rc, failed;

	dlist_init(&sf.hosts);
	dlist_init(&sf.segments);
	dlist_init(&sf.cmds);
	rc = pass(&sf, text);
	reset_names(&sf);
	if (rc < 0)
		return SIMFILE_BAD;
	sf.live = true;
	sf.w = sim_world_new(o->seed);
	if (!sf.w) {
		fprintf(sf.err, "usagi: %s: %s\n", sf.name, strerror(errno));
		return SIMFILE_BAD;
	}
	rc = pass(&sf, text);
	if (rc == 0 && sf.any_at && (!sf.ran || sf.last_at > sf.ran_until))
		sim_run_until(sf.w, sf.last_at + SIMFILE_TAIL_NS);
	sf_cmds_finish(&sf);
	failed = failures(&sf);
	teardown(&sf);
	if (rc < 0)
		return SIMFILE_BAD;
	return failed ? SIMFILE_FAILED : SIMFILE_OK;
}

int simfile_run_file(const char *path, const struct simfile_opts *o)
{
	struct simfile_opts opts = *o;
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc;

	if (!f) {
		fprintf(o->err ? o->err : stderr, "usagi: %s: %s\n", path, strerror(errno));
		return SIMFILE_BAD;
	}
	n = getdelim(&text, &cap, '\0', f);
	fclose(f);
	if (n < 0) {
		free(text);
		text = strdup("");
	}
	opts.name = path;
	rc = text ? simfile_run(text, &opts) : SIMFILE_BAD;
	free(text);
	return rc;
}

int simfile_run_string(const char *text, const char *outdir, FILE *out)
{
	struct simfile_opts o = { .name = "sim", .outdir = outdir, .seed = 1, .out = out, .err = out };

	return simfile_run(text, &o);
}
