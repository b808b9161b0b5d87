/*
 * `conntrack -L|-F|-C|-S|-E`: the connection tracking table as
 * conntrack-tools shows it (conntrack(8)), so scripts written for it read
 * usagi's output too. Listing walks the table with the resumable cursor
 * (nf_ct_walk) in chunks, so a table of a million entries lists every
 * entry exactly once; `--resume CURSOR` lists one chunk from CURSOR and
 * ends with `#resume NEXT` while entries remain (the `usagi conntrack`
 * client pages through a node's table with it).
 */
#include "cmd/cmd_priv.h"
#include "netfilter/nf_conntrack.h"
#include "ipv4/ipv4.h"

#define WHAT "conntrack"
#define CT_CHUNK 4096

struct ct_list {
	FILE *f;
	uint8_t l3;                  /* 0: any */
	int l4;                      /* -1: any */
	size_t shown;
};

static void print_tuple(FILE *f, const struct nf_tuple *t)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	if (t->l3 == AF_INET)
		fprintf(f, "src=%s dst=%s ", ip4_ntop(t->src.s6_addr32[3], s),
			ip4_ntop(t->dst.s6_addr32[3], d));
	else
		fprintf(f, "src=%s dst=%s ", in6_ntop(&t->src, s), in6_ntop(&t->dst, d));
	if (t->l4 == IPPROTO_ICMP || t->l4 == IPPROTO_ICMPV6)
		fprintf(f, "type=%u code=%u id=%u ", t->icmp_type, t->icmp_code, t->icmp_id);
	else if (t->l4 == IPPROTO_TCP || t->l4 == IPPROTO_UDP)
		fprintf(f, "sport=%u dport=%u ", t->sport, t->dport);
}

void cmd_print_conntrack(FILE *f, struct stack *st, const struct nf_conn *ct, int event)
{
	static const char *const ev_names[] = { "[NEW]", "[UPDATE]", "[DESTROY]" };
	struct nf_tuple t;

	if (event)
		fprintf(f, "%9s ", ev_names[event == NF_CT_EV_NEW ? 0 : event == NF_CT_EV_UPDATE ? 1 : 2]);
	fprintf(f, "%-8s %u ", nf_l4_name(ct->tuple.l4), ct->tuple.l4);
	if (event != NF_CT_EV_DESTROY)
		fprintf(f, "%u ", nf_ct_expires_in(st, ct));
	if (ct->tuple.l4 == IPPROTO_TCP && event != NF_CT_EV_DESTROY)
		fprintf(f, "%s ", nf_tcp_state_name(ct->l4state));
	nf_ct_tuple(ct, NF_DIR_ORIG, &t);
	print_tuple(f, &t);
	if (!(ct->status & NF_CTS_SEEN_REPLY))
		fputs("[UNREPLIED] ", f);
	nf_ct_tuple(ct, NF_DIR_REPLY, &t);
	print_tuple(f, &t);
	if (ct->status & NF_CTS_ASSURED)
		fputs("[ASSURED] ", f);
	if (event)
		fprintf(f, "mark=%u\n", ct->mark);
	else
		fprintf(f, "mark=%u use=1\n", ct->mark);
}

static int list_one(struct stack *st, struct nf_conn *ct, void *ctx)
{
	struct ct_list *l = ctx;

	if ((l->l3 && ct->tuple.l3 != l->l3) || (l->l4 >= 0 && ct->tuple.l4 != l->l4))
		return 0;
	cmd_print_conntrack(l->f, st, ct, 0);
	l->shown++;
	return 0;
}

/* -p takes a name conntrack knows or a number. */
static int parse_proto(const char *s)
{
	static const struct { const char *n; int p; } names[] = {
		{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP }, { "icmp", IPPROTO_ICMP },
		{ "icmpv6", IPPROTO_ICMPV6 }, { "ipv6-icmp", IPPROTO_ICMPV6 },
	};
	unsigned long v;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i].n))
			return names[i].p;
	return cmd_parse_ulong(s, 0, 255, &v) < 0 ? -1 : (int)v;
}

static int ct_list(struct cmd_env *env, int argc, char **argv)
{
	struct ct_list l = { .f = env->out, .l4 = -1 };
	struct nf_ct_cursor cur = { 0 };
	bool resume = false;
	unsigned long v;

	for (int i = 1; i < argc; i++) {
		bool val = i + 1 < argc;

		if (!strcmp(argv[i], "-f") && val) {
			i++;
			if (strcmp(argv[i], "ipv4") && strcmp(argv[i], "ipv6"))
				return cmd_fail(env, 2, WHAT, "invalid family \"%s\" (ipv4 or ipv6)", argv[i]);
			l.l3 = argv[i][3] == '4' ? AF_INET : AF_INET6;
		} else if (!strcmp(argv[i], "-p") && val) {
			if ((l.l4 = parse_proto(argv[++i])) < 0)
				return cmd_fail(env, 2, WHAT, "invalid protocol \"%s\"", argv[i]);
		} else if (!strcmp(argv[i], "--resume") && val) {
			if (cmd_parse_ulong(argv[++i], 0, UINT32_MAX, &v) < 0)
				return cmd_fail(env, 2, WHAT, "invalid cursor \"%s\"", argv[i]);
			cur.next = (uint32_t)v;
			resume = true;
		} else {
			return cmd_bad_arg(env, WHAT, argv[i]);
		}
	}
	for (;;) {
		size_t n = nf_ct_walk(env->st, &cur, CT_CHUNK, list_one, &l);

		fflush(env->out);
		if (n < CT_CHUNK)
			break;
		if (resume) {
			fprintf(env->out, "#resume %u\n", cur.next);
			break;
		}
	}
	return 0;
}

static void ct_event(struct stack *st, int event, const struct nf_conn *ct, void *ctx)
{
	struct cmd_env *env = ctx;

	cmd_print_conntrack(env->out, st, ct, event);
	fflush(env->out);
}

/* -E runs until its client goes away (cmd_cancel); it never finishes by itself. */
static int ct_events(struct cmd_env *env, int argc, char **argv)
{
	int rc;

	if (argc > 1)
		return cmd_bad_arg(env, WHAT, argv[1]);
	rc = nf_ct_listen(env->st, NF_CT_EV_NEW | NF_CT_EV_UPDATE | NF_CT_EV_DESTROY, ct_event, env);
	if (rc == -EEXIST)
		return cmd_fail(env, 1, WHAT, "events are already being shown here");
	if (rc < 0)
		return cmd_errno(env, WHAT, rc);
	return CMD_PENDING;
}

void cmd_conntrack_cancel(struct cmd_env *env)
{
	nf_ct_unlisten(env->st, ct_event, env);
}

static int ct_flush(struct cmd_env *env, int argc, char **argv)
{
	if (argc > 1)
		return cmd_bad_arg(env, WHAT, argv[1]);
	nf_ct_flush(env->st);
	return 0;
}

static int ct_count(struct cmd_env *env, int argc, char **argv)
{
	if (argc > 1)
		return cmd_bad_arg(env, WHAT, argv[1]);
	fprintf(env->out, "%zu\n", nf_ct_count(env->st));
	return 0;
}

/* One stack is one "cpu" (conntrack -S prints a line per CPU; insert = new entries). */
static int ct_stats(struct cmd_env *env, int argc, char **argv)
{
	struct nf_ct_stats s;

	if (argc > 1)
		return cmd_bad_arg(env, WHAT, argv[1]);
	nf_ct_get_stats(env->st, &s);
	fprintf(env->out, "cpu=%-4u\tfound=%llu invalid=%llu ignore=%llu insert=%llu "
		"insert_failed=%llu drop=%llu early_drop=%llu error=%llu search_restart=%llu\n",
		0u, (unsigned long long)s.found, (unsigned long long)s.invalid,
		(unsigned long long)s.ignore, (unsigned long long)s.new,
		(unsigned long long)s.insert_failed, (unsigned long long)s.drop,
		(unsigned long long)s.early_drop, (unsigned long long)s.error,
		(unsigned long long)s.search_restart);
	return 0;
}

static const struct cmd_entry ct_cmds[] = {
	{ "-L", ct_list }, { "--dump", ct_list },
	{ "-F", ct_flush }, { "--flush", ct_flush },
	{ "-C", ct_count }, { "--count", ct_count },
	{ "-S", ct_stats }, { "--stats", ct_stats },
	{ "-E", ct_events }, { "--event", ct_events },
};

int cmd_conntrack(struct cmd_env *env, int argc, char **argv)
{
	if (argc < 2)
		return cmd_missing(env, WHAT, "-L, -F, -C, -S or -E");
	return cmd_dispatch(env, WHAT, ct_cmds, ARRAY_SIZE(ct_cmds), argc - 1, argv + 1);
}
