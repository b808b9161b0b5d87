/*
 * `setkey -D` and `setkey -DP`: the SAD and SPD printed the way
 * ipsec-tools' setkey prints PF_KEY dumps on Linux, line for line, so
 * people and scripts that read those dumps read these:
 *
 *   2001:db8::1 2001:db8::2 
 *   	esp mode=transport spi=4096(0x00001000) reqid=0(0x00000000)
 *   	E: aes-cbc  00112233 44556677 8899aabb ccddeeff
 *   	A: hmac-sha1  00112233 44556677 8899aabb ccddeeff 00112233
 *   	seq=0x00000000 replay=0 flags=0x00000000 state=mature 
 *   	created: Jan  1 00:00:01 1970	current: Jan  1 00:00:05 1970
 *   	diff: 4(s)	hard: 0(s)	soft: 0(s)
 *   	last:                     	hard: 0(s)	soft: 0(s)
 *   	current: 0(bytes)	hard: 0(bytes)	soft: 0(bytes)
 *   	allocated: 0	hard: 0	soft: 0
 *   	sadb_seq=0 pid=0 refcnt=0
 *
 * (trailing blanks included). Times are wall-clock dates in UTC: the
 * stack's clock plus st->epoch_ns (the wall clock at stack time 0, which
 * a node sets when it starts); a simulation leaves it 0, so its times
 * show as 1970 plus simulated time and its output stays the same run
 * after run. PF_KEY carries the same seconds (pfkey_time_s), so the node's
 * `setkey -D` and `usagi setkey -D` print the same dates.
 */
#include <stdio.h>
#include <time.h>
#include "setkey/setkey.h"
#include "core/stack.h"
#include "proto/ip4.h"

const char *setkey_ctime(uint64_t ns, char *buf)
{
	time_t t = (time_t)(ns / NS_PER_SEC);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(buf, 21, "%b %e %H:%M:%S %Y", &tm) == 0)
		strcpy(buf, "????????????????????");
	return buf;
}

const char *setkey_linux_name(const struct crypto_alg *alg)
{
	if (alg->impl == CRYPTO_IMPL_GCM)
		return "rfc4106(gcm(aes))";  /* Linux gives the ICV length apart */
	for (int i = 0; i < CRYPTO_MAX_ALIASES && alg->aliases[i]; i++)
		if (strchr(alg->aliases[i], '(') || alg->impl == CRYPTO_IMPL_DEFLATE)
			return alg->aliases[i];
	return alg->impl == CRYPTO_IMPL_NULL_AUTH ? "digest_null" : alg->name;
}

static const char *addr_str(const struct in6_addr *a, char *buf)
{
	char b4[INET_ADDRSTRLEN];

	if (in6_is_v4mapped(a))
		return strcpy(buf, inet_ntop(AF_INET, a->s6_addr + 12, b4, sizeof(b4)));
	return in6_ntop(a, buf);
}

/* ipsec-tools' hex dump: a blank before every 4 bytes, a newline after every 32. */
static void hexdump(FILE *f, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i && i % 32 == 0)
			fputc('\n', f);
		if (i % 4 == 0)
			fputc(' ', f);
		fprintf(f, "%02x", b[i]);
	}
}

static void print_key_line(FILE *f, char tag, const struct xfrm_algo *a)
{
	if (!a->name[0] || a->key_len == 0)
		return;                      /* PF_KEY carries no key extension then */
	fprintf(f, "\t%c: %s ", tag, a->name);
	hexdump(f, a->key, a->key_len);
	fputc('\n', f);
}

static const char *const state_names[] = { "larval", "mature", "dying", "dead" };

static void print_sa_head(FILE *f, const struct xfrm_sa_cfg *c)
{
	bool natt = c->encap.type != 0 && c->id.proto == IPPROTO_ESP;
	char a[INET6_ADDRSTRLEN];

	fputs(addr_str(&c->saddr, a), f);
	if (natt)
		fprintf(f, "[%u]", c->encap.sport);
	fprintf(f, " %s", addr_str(&c->id.daddr, a));
	if (natt)
		fprintf(f, "[%u]", c->encap.dport);
	fprintf(f, " \n\t%s mode=%s spi=%u(0x%08x) reqid=%u(0x%08x)\n",
		natt ? "esp-udp" : c->id.proto == IPPROTO_ESP ? "esp" :
		c->id.proto == IPPROTO_AH ? "ah" : "ipcomp",
		c->mode == XFRM_MODE_TUNNEL ? "tunnel" : "transport",
		c->id.spi, c->id.spi, c->reqid, c->reqid);
	if (c->id.proto == IPPROTO_ESP)
		print_key_line(f, 'E', &c->enc);
	/* ipsec-tools ends the C: line without a newline; the seq line follows on it. */
	if (c->id.proto == IPPROTO_COMP)
		fprintf(f, "\tC: %s ", c->comp.name[0] ? c->comp.name : "deflate");
	print_key_line(f, 'A', &c->auth);
}

static void print_sa_lifetimes(FILE *f, const struct setkey_sa_view *v)
{
	const struct xfrm_lifetime *l = &v->c->lft;
	const struct xfrm_lifetime_cur *cur = &v->cur;
	char t1[24], t2[24];

	fprintf(f, "\tcreated: %s\tcurrent: %s\n", setkey_ctime(cur->add_time, t1),
		setkey_ctime(v->now, t2));
	/* Whole seconds apart, as setkey computes it from PF_KEY's seconds: both paths agree. */
	fprintf(f, "\tdiff: %llu(s)\thard: %llu(s)\tsoft: %llu(s)\n",
		(unsigned long long)(v->now / NS_PER_SEC - MIN(v->now, cur->add_time) / NS_PER_SEC),
		(unsigned long long)l->hard_add_s, (unsigned long long)l->soft_add_s);
	fprintf(f, "\tlast: %s\thard: %llu(s)\tsoft: %llu(s)\n",
		cur->use_time ? setkey_ctime(cur->use_time, t1) : "                    ",
		(unsigned long long)l->hard_use_s, (unsigned long long)l->soft_use_s);
	fprintf(f, "\tcurrent: %llu(bytes)\thard: %llu(bytes)\tsoft: %llu(bytes)\n",
		(unsigned long long)cur->bytes, (unsigned long long)l->hard_bytes,
		(unsigned long long)l->soft_bytes);
	fprintf(f, "\tallocated: %llu\thard: %llu\tsoft: %llu\n",
		(unsigned long long)cur->packets, (unsigned long long)l->hard_packets,
		(unsigned long long)l->soft_packets);
}

/*
 * The one SA printer: the SAD path (setkey_print_sa) and the PF_KEY path
 * (`usagi setkey -D`, from a parsed SADB_DUMP reply) both fill a view, so
 * both print the same text.
 */
void setkey_print_sa_view(FILE *f, const struct setkey_sa_view *v)
{
	print_sa_head(f, v->c);
	fprintf(f, "\tseq=0x%08x replay=%u flags=0x%08x state=%s \n",
		(uint32_t)v->seq_out, v->replay,
		v->c->flags & XFRM_SA_F_ESN ? SETKEY_SAFLAG_ESN : 0, state_names[v->state & 3]);
	/* A PF_KEY message without a current lifetime (a request, a larval SA): no times, as setkey. */
	if (!v->no_lifetimes)
		print_sa_lifetimes(f, v);
	fprintf(f, "\tsadb_seq=%u pid=%u refcnt=0\n", v->sadb_seq, v->pid);
}

/* Stack time @t as a wall-clock time (ns since 1970); 0 (never) stays 0. */
static uint64_t wall(const struct stack *st, uint64_t t)
{
	return t ? st->epoch_ns + t : 0;
}

void setkey_print_sa(FILE *f, const struct stack *st, const struct xfrm_state *x, unsigned seq)
{
	struct setkey_sa_view v = {
		.c = &x->c, .state = x->state, .seq_out = x->seq_out,
		.replay = x->replay ? x->replay->size : 0, .cur = x->cur,
		.now = st->epoch_ns + st->now, .sadb_seq = seq,
	};

	v.cur.add_time = st->epoch_ns + x->cur.add_time;
	v.cur.use_time = wall(st, x->cur.use_time);
	setkey_print_sa_view(f, &v);
}

static bool has_type(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6 || proto == 135;
}

/* ADDR[/PLEN][PORT] as ipsec-tools prints a selector end: no /PLEN for a host, no port for ICMP/MH. */
static void print_sel_end(FILE *f, const struct xfrm_selector *s, const struct in6_addr *a,
			  unsigned plen, uint16_t port)
{
	char buf[INET6_ADDRSTRLEN];
	unsigned full = s->family == AF_INET ? 32 : 128;

	fputs(addr_str(a, buf), f);
	if (plen != full)
		fprintf(f, "/%u", plen);
	if (has_type(s->proto) || s->proto == 47)
		;
	else if (port == 0)
		fputs("[any]", f);
	else
		fprintf(f, "[%u]", port);
	fputc(' ', f);
}

/* ipsec-tools' relative priority: the nearest of high, def and low, and the offset from it. */
static void print_prio(FILE *f, uint32_t prio)
{
	const char *base;
	int64_t off;

	if (prio == 0)
		return;
	if (prio < SETKEY_PRIO_DEFAULT / 4 * 3) {
		base = "high";
		off = (int64_t)SETKEY_PRIO_HIGH - prio;
	} else if (prio < SETKEY_PRIO_DEFAULT / 4 * 5) {
		base = "def";
		off = (int64_t)SETKEY_PRIO_DEFAULT - prio;
	} else {
		base = "low";
		off = (int64_t)SETKEY_PRIO_LOW - prio;
	}
	fprintf(f, " prio %s", base);
	if (off)
		fprintf(f, " %c %llu", off < 0 ? '-' : '+', (unsigned long long)(off < 0 ? -off : off));
}

static const char *const level_names[] = { "default", "use", "require", "unique" };

static void print_request(FILE *f, const struct xfrm_tmpl *t)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	fprintf(f, "\t%s/%s/", t->proto == IPPROTO_ESP ? "esp" : t->proto == IPPROTO_AH ? "ah" :
		"ipcomp", t->mode == XFRM_TMPL_TUNNEL ? "tunnel" : "transport");
	if (t->mode == XFRM_TMPL_TUNNEL)
		fprintf(f, "%s-%s", addr_str(&t->saddr, a), addr_str(&t->daddr, b));
	fprintf(f, "/%s", level_names[t->level & 3]);
	if (t->reqid)
		fprintf(f, "%c%u", t->reqid > XFRM_REQID_MANUAL_MAX ? '#' : ':', t->reqid);
	fputc('\n', f);
}

static const char *const dir_names[] = { "in", "out", "fwd" };
static const char *const action_names[] = { "none", "discard", "ipsec" };

void setkey_print_policy(FILE *f, const struct stack *st, const struct xfrm_policy *pol, unsigned seq)
{
	struct xfrm_policy view = *pol;

	view.add_time = st->epoch_ns + pol->add_time;
	view.use_time = wall(st, pol->use_time);
	setkey_print_policy_pid(f, &view, seq, 0);
}

/*
 * The one policy printer (the SPD path above, the PF_KEY path with the
 * message's pid): add/use times are wall-clock ns here. `lifetime:` and
 * `validtime:` are the hard add and use (idle) limits, as ipsec-tools
 * prints LIFETIME_HARD's addtime and usetime.
 */
void setkey_print_policy_pid(FILE *f, const struct xfrm_policy *pol, unsigned seq, uint32_t pid)
{
	const struct xfrm_selector *s = &pol->sel;
	const char *pname = setkey_proto_name(s->proto);
	char t1[24], t2[24];

	print_sel_end(f, s, &s->src, s->splen, s->sport);
	print_sel_end(f, s, &s->dst, s->dplen, s->dport);
	if (pname)
		fputs(pname, f);
	else
		fprintf(f, "%u", s->proto);
	if (has_type(s->proto) && (s->sport || s->dport))
		fprintf(f, " %u,%u", s->sport, s->dport);
	fprintf(f, "\n\t%s", dir_names[pol->dir % 3]);
	print_prio(f, pol->priority);
	fprintf(f, " %s\n", action_names[pol->action % 3]);
	for (unsigned i = 0; i < pol->ntmpl && i < XFRM_TMPL_MAX; i++)
		print_request(f, &pol->tmpl[i]);
	fprintf(f, "\tcreated: %s  lastused: %s\n", setkey_ctime(pol->add_time, t1),
		pol->use_time ? setkey_ctime(pol->use_time, t2) : "                    ");
	fprintf(f, "\tlifetime: %llu(s) validtime: %llu(s)\n", (unsigned long long)pol->lft.hard_add_s,
		(unsigned long long)pol->lft.hard_use_s);
	fprintf(f, "\tspid=%u seq=%u pid=%u\n\trefcnt=1\n", pol->index, seq, pid);
}

struct dump_ctx {
	FILE *f;
	unsigned left;               /* a PF_KEY dump counts its messages down to 0 */
};

static int count_sa(struct stack *st, struct xfrm_state *x, void *ctx)
{
	((struct dump_ctx *)ctx)->left++;
	return 0;
}

static int dump_sa(struct stack *st, struct xfrm_state *x, void *ctx)
{
	struct dump_ctx *d = ctx;

	setkey_print_sa(d->f, st, x, d->left ? --d->left : 0);
	return 0;
}

void setkey_dump_sad(FILE *f, struct stack *st, uint8_t proto)
{
	struct dump_ctx d = { f, 0 };

	xfrm_state_foreach(st, proto, count_sa, &d);
	if (d.left == 0) {
		fputs("No SAD entries.\n", f);
		return;
	}
	xfrm_state_foreach(st, proto, dump_sa, &d);
}

struct spd_dump_ctx {
	FILE *f;
	const struct stack *st;
	unsigned left;
};

static int count_pol(void *ctx, struct xfrm_policy *pol)
{
	((struct spd_dump_ctx *)ctx)->left++;
	return 0;
}

static int dump_pol(void *ctx, struct xfrm_policy *pol)
{
	struct spd_dump_ctx *d = ctx;

	setkey_print_policy(d->f, d->st, pol, d->left ? --d->left : 0);
	return 0;
}

void setkey_dump_spd(FILE *f, struct stack *st)
{
	struct spd_dump_ctx d = { f, st, 0 };

	xfrm_policy_foreach(st, count_pol, &d);
	if (d.left == 0) {
		fputs("No SPD entries.\n", f);
		return;
	}
	xfrm_policy_foreach(st, dump_pol, &d);
}
