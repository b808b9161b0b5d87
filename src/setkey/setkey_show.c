/*
 * `ipsec sa show` and `ipsec policy show`: the SAD and SPD in the shape
 * of `ip -s xfrm state` / `ip -s xfrm policy`, with Linux's algorithm
 * names, so people who know iproute2 read them at a glance:
 *
 *   src 2001:db8::1 dst 2001:db8::2
 *   	proto esp spi 0x00001000 reqid 0 mode transport
 *   	replay-window 32 flag esn
 *   	auth-trunc hmac(sha1) 0x00112233445566778899aabbccddeeff00112233 96
 *   	enc cbc(aes) 0x00112233445566778899aabbccddeeff
 *   	anti-replay context: seq 0x0, oseq 0x0
 *   	lifetime config:
 *   	  limit: soft (INF)(bytes), hard (INF)(bytes)
 *   	  ...
 *
 * Keys are printed as ip xfrm prints them (the operator put them there);
 * `nokeys` leaves them out. Times are wall-clock dates: the stack's clock
 * plus st->epoch_ns (see setkey_print.c).
 */
#include <stdio.h>
#include <time.h>
#include "setkey/setkey.h"
#include "core/stack.h"
#include "proto/ip4.h"

static const char *addr_str(const struct in6_addr *a, char *buf)
{
	char b4[INET_ADDRSTRLEN];

	if (in6_is_v4mapped(a))
		return strcpy(buf, inet_ntop(AF_INET, a->s6_addr + 12, b4, sizeof(b4)));
	return in6_ntop(a, buf);
}

/* "2024-05-01 12:00:05" for stack time @ns of @st (UTC), or "-" for never. */
static const char *when(const struct stack *st, uint64_t ns, bool set, char *buf)
{
	time_t t = (time_t)((st->epoch_ns + ns) / NS_PER_SEC);
	struct tm tm;

	if (!set)
		return "-";
	if (!gmtime_r(&t, &tm) || strftime(buf, 24, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		return "?";
	return buf;
}

static void print_key(FILE *f, const struct xfrm_algo *a, bool keys)
{
	if (!keys)
		return;
	fputs(" 0x", f);
	for (unsigned i = 0; i < a->key_len && i < sizeof(a->key); i++)
		fprintf(f, "%02x", a->key[i]);
}

/* The algorithm lines: auth-trunc, aead or enc, comp. */
static void show_algs(FILE *f, const struct xfrm_sa_cfg *c, bool keys)
{
	const struct crypto_alg *enc = NULL, *auth = NULL, *comp = NULL;

	if (c->auth.name[0])
		auth = crypto_alg_by_name(CRYPTO_AUTH, c->auth.name);
	if (c->id.proto == IPPROTO_ESP)
		enc = crypto_alg_by_name(CRYPTO_ENC, c->enc.name[0] ? c->enc.name : "null");
	if (c->comp.name[0] || c->id.proto == IPPROTO_COMP)
		comp = crypto_alg_by_name(CRYPTO_COMP, c->comp.name[0] ? c->comp.name : "deflate");
	if (c->flags & XFRM_SA_F_NOCRYPTO)
		return;
	if (auth) {
		fprintf(f, "\tauth-trunc %s", setkey_linux_name(auth));
		print_key(f, &c->auth, keys);
		fprintf(f, " %u\n", auth->icv_len * 8u);
	}
	if (enc && enc->kind == CRYPTO_AEAD) {
		fprintf(f, "\taead %s", setkey_linux_name(enc));
		print_key(f, &c->enc, keys);
		fprintf(f, " %u\n", enc->icv_len * 8u);
	} else if (enc) {
		fprintf(f, "\tenc %s", setkey_linux_name(enc));
		print_key(f, &c->enc, keys);
		fputc('\n', f);
	}
	if (comp)
		fprintf(f, "\tcomp %s\n", setkey_linux_name(comp));
}

static void limit(FILE *f, const char *what, uint64_t soft, uint64_t hard)
{
	fprintf(f, "\t  limit: soft ");
	if (soft)
		fprintf(f, "%llu", (unsigned long long)soft);
	else
		fputs("(INF)", f);
	fprintf(f, "(%s), hard ", what);
	if (hard)
		fprintf(f, "%llu", (unsigned long long)hard);
	else
		fputs("(INF)", f);
	fprintf(f, "(%s)\n", what);
}

static void show_lifetimes(FILE *f, const struct stack *st, const struct xfrm_state *x)
{
	const struct xfrm_lifetime *l = &x->c.lft;
	char t1[24], t2[24];

	fputs("\tlifetime config:\n", f);
	limit(f, "bytes", l->soft_bytes, l->hard_bytes);
	limit(f, "packets", l->soft_packets, l->hard_packets);
	fprintf(f, "\t  expire add: soft %llu(sec), hard %llu(sec)\n",
		(unsigned long long)l->soft_add_s, (unsigned long long)l->hard_add_s);
	fprintf(f, "\t  expire use: soft %llu(sec), hard %llu(sec)\n",
		(unsigned long long)l->soft_use_s, (unsigned long long)l->hard_use_s);
	fprintf(f, "\tlifetime current:\n\t  %llu(bytes), %llu(packets)\n",
		(unsigned long long)x->cur.bytes, (unsigned long long)x->cur.packets);
	fprintf(f, "\t  add %s use %s\n", when(st, x->cur.add_time, true, t1),
		when(st, x->cur.use_time, x->cur.use_time != 0, t2));
}

static const char *const state_names[] = { "larval", "mature", "dying", "dead" };

void setkey_show_sa(FILE *f, const struct stack *st, const struct xfrm_state *x, bool keys)
{
	const struct xfrm_sa_cfg *c = &x->c;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	fprintf(f, "src %s dst %s\n", addr_str(&c->saddr, a), addr_str(&c->id.daddr, b));
	fprintf(f, "\tproto %s spi 0x%08x reqid %u mode %s\n",
		c->id.proto == IPPROTO_ESP ? "esp" : c->id.proto == IPPROTO_AH ? "ah" : "comp",
		c->id.spi, c->reqid, c->mode == XFRM_MODE_TUNNEL ? "tunnel" : "transport");
	if (x->state != XFRM_STATE_MATURE)
		fprintf(f, "\tstate %s\n", state_names[x->state & 3]);
	fprintf(f, "\treplay-window %u%s\n", x->replay ? x->replay->size : 0,
		c->flags & XFRM_SA_F_ESN ? " flag esn" : "");
	show_algs(f, c, keys);
	if (c->encap.type) {
		struct in6_addr oa = c->encap.oa;

		if (c->family == AF_INET && in6_is_unspec(&oa))
			ip4_to_mapped(&oa, 0);
		fprintf(f, "\tencap type espinudp sport %u dport %u addr %s\n", c->encap.sport,
			c->encap.dport, addr_str(&oa, a));
	}
	if (c->id.proto != IPPROTO_COMP)
		fprintf(f, "\tanti-replay context: seq 0x%llx, oseq 0x%llx\n",
			(unsigned long long)(x->replay ? x->replay->top : 0),
			(unsigned long long)x->seq_out);
	show_lifetimes(f, st, x);
	fprintf(f, "\tstats:\n\t  replay-window %llu replay %llu failed %llu\n",
		(unsigned long long)x->stats.replay_old, (unsigned long long)x->stats.replay_dup,
		(unsigned long long)x->stats.integrity_failed);
}

static void show_selector(FILE *f, const struct xfrm_selector *s)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	const char *pname = setkey_proto_name(s->proto);
	bool typed = s->proto == IPPROTO_ICMP || s->proto == IPPROTO_ICMPV6 || s->proto == 135;

	fprintf(f, "src %s/%u dst %s/%u", addr_str(&s->src, a), s->splen, addr_str(&s->dst, b),
		s->dplen);
	if (s->proto != XFRM_PROTO_ANY) {
		if (pname)
			fprintf(f, " proto %s", pname);
		else
			fprintf(f, " proto %u", s->proto);
	}
	if (typed && s->sport_mask)
		fprintf(f, " type %u", s->sport);
	if (typed && s->dport_mask)
		fprintf(f, " code %u", s->dport);
	if (!typed && s->sport_mask)
		fprintf(f, " sport %u", s->sport);
	if (!typed && s->dport_mask)
		fprintf(f, " dport %u", s->dport);
	fputc('\n', f);
}

static const char *const dir_names[] = { "in", "out", "fwd" };
static const char *const level_names[] = { "default", "use", "required", "unique" };

static void show_tmpl(FILE *f, const struct xfrm_policy *pol, const struct xfrm_tmpl *t)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	struct in6_addr any = { 0 };

	/* Transport templates have no addresses: print the selector family's "any". */
	if (t->mode == XFRM_TMPL_TRANSPORT && pol->sel.family == AF_INET)
		ip4_to_mapped(&any, 0);
	fprintf(f, "\ttmpl src %s dst %s\n",
		addr_str(t->mode == XFRM_TMPL_TUNNEL ? &t->saddr : &any, a),
		addr_str(t->mode == XFRM_TMPL_TUNNEL ? &t->daddr : &any, b));
	fprintf(f, "\t\tproto %s reqid %u mode %s\n",
		t->proto == IPPROTO_ESP ? "esp" : t->proto == IPPROTO_AH ? "ah" : "comp",
		t->reqid, t->mode == XFRM_TMPL_TUNNEL ? "tunnel" : "transport");
	fprintf(f, "\t\tlevel %s\n", level_names[t->level & 3]);
}

void setkey_show_policy(FILE *f, const struct stack *st, const struct xfrm_policy *pol)
{
	const struct xfrm_policy_lifetime *l = &pol->lft;
	char t1[24], t2[24];

	show_selector(f, &pol->sel);
	fprintf(f, "\tdir %s action %s index %u priority %u\n", dir_names[pol->dir % 3],
		pol->action == XFRM_ACT_BLOCK ? "block" : "allow", pol->index, pol->priority);
	for (unsigned i = 0; i < pol->ntmpl && i < XFRM_TMPL_MAX; i++)
		show_tmpl(f, pol, &pol->tmpl[i]);
	if (l->soft_add_s || l->hard_add_s || l->soft_use_s || l->hard_use_s) {
		/* Only a policy with limits (PF_KEY SPDADD lifetimes) shows them, as `ip xfrm` does. */
		fprintf(f, "\tlifetime config:\n\t  expire add: soft %llu(sec), hard %llu(sec)\n",
			(unsigned long long)l->soft_add_s, (unsigned long long)l->hard_add_s);
		fprintf(f, "\t  expire use: soft %llu(sec), hard %llu(sec)\n",
			(unsigned long long)l->soft_use_s, (unsigned long long)l->hard_use_s);
	}
	fprintf(f, "\tlifetime current:\n\t  %llu(bytes), %llu(packets)\n",
		(unsigned long long)pol->bytes, (unsigned long long)pol->packets);
	fprintf(f, "\t  add %s use %s\n", when(st, pol->add_time, true, t1),
		when(st, pol->use_time, pol->use_time != 0, t2));
}
