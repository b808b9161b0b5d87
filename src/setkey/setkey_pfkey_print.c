/*
 * PF_KEY messages printed as setkey prints them: SA messages in `setkey
 * -D` form and policy messages in `-DP` form, both through setkey_print.c
 * (the same printer the node's own `setkey -D` uses, so the two paths
 * print the same text), and the `setkey -x` monitor's view of any message.
 */
#include <stdio.h>
#include <string.h>
#include "setkey/setkey_pfkey.h"
#include "proto/ip4.h"

const char *setkey_pfkey_satype_name(uint8_t satype, char *buf, size_t size)
{
	switch (satype) {
	case SADB_SATYPE_UNSPEC: return "unspec";
	case SADB_SATYPE_AH: return "ah";
	case SADB_SATYPE_ESP: return "esp";
	case SADB_X_SATYPE_IPCOMP: return "ipcomp";
	}
	snprintf(buf, size, "%u", satype);
	return buf;
}

/*
 * What the codec's conversion cannot take (a larval SA has no algorithms,
 * an ACQUIRE larval no SPI) still prints: addresses, SPI, protocol, mode
 * and reqid straight from the extensions.
 */
static int minimal_cfg(const struct pfkey_msg *m, struct xfrm_sa_cfg *c)
{
	const struct sadb_x_sa2 *sa2 = PFKEY_EXT(m, SADB_X_EXT_SA2, sadb_x_sa2);
	struct pfkey_addr src, dst;
	int mode = sa2 ? pfkey_mode_to_xfrm(sa2->sadb_x_sa2_mode) : XFRM_MODE_TRANSPORT;

	memset(c, 0, sizeof(*c));
	if (pfkey_get_address(m, SADB_EXT_ADDRESS_SRC, &src) < 0 ||
	    pfkey_get_address(m, SADB_EXT_ADDRESS_DST, &dst) < 0)
		return -EINVAL;
	c->saddr = src.addr;
	c->id.daddr = dst.addr;
	c->family = dst.family;
	c->id.spi = pfkey_get_spi(m);
	c->id.proto = pfkey_satype_to_proto(m->hdr->sadb_msg_satype);
	c->mode = mode < 0 ? XFRM_MODE_TRANSPORT : (uint8_t)mode;
	c->reqid = sa2 ? sa2->sadb_x_sa2_reqid : 0;
	return c->id.proto ? 0 : -EINVAL;
}

int setkey_pfkey_print_sa(FILE *f, const struct pfkey_msg *m, uint64_t now_ns)
{
	const struct sadb_sa *sa = PFKEY_EXT(m, SADB_EXT_SA, sadb_sa);
	const struct sadb_x_sa2 *sa2 = PFKEY_EXT(m, SADB_X_EXT_SA2, sadb_x_sa2);
	const struct sadb_lifetime *cur = PFKEY_EXT(m, SADB_EXT_LIFETIME_CURRENT, sadb_lifetime);
	struct setkey_sa_view v = { .now = now_ns };
	struct xfrm_sa_cfg cfg;
	const char *why = NULL;

	if (!sa)
		return -EINVAL;
	if (pfkey_to_sa_cfg(m, &cfg, &why) < 0 && minimal_cfg(m, &cfg) < 0) {
		crypto_wipe(&cfg, sizeof(cfg));
		return -EINVAL;
	}
	v.c = &cfg;
	v.state = sa->sadb_sa_state;
	v.seq_out = sa2 ? sa2->sadb_x_sa2_sequence : 0;
	v.replay = cfg.replay_window;
	v.no_lifetimes = !cur;
	if (cur) {
		v.cur.packets = cur->sadb_lifetime_allocations;
		v.cur.bytes = cur->sadb_lifetime_bytes;
		v.cur.add_time = cur->sadb_lifetime_addtime * NS_PER_SEC;
		v.cur.use_time = cur->sadb_lifetime_usetime * NS_PER_SEC;
	}
	v.sadb_seq = m->hdr->sadb_msg_seq;
	v.pid = m->hdr->sadb_msg_pid;
	setkey_print_sa_view(f, &v);
	crypto_wipe(&cfg, sizeof(cfg));
	return 0;
}

int setkey_pfkey_print_policy(FILE *f, const struct pfkey_msg *m)
{
	const struct sadb_lifetime *cur = PFKEY_EXT(m, SADB_EXT_LIFETIME_CURRENT, sadb_lifetime);
	struct xfrm_policy pol;

	/* The limits (lifetime:, validtime:) come with the policy from LIFETIME_HARD. */
	if (pfkey_to_policy(m, &pol, NULL) < 0)
		return -EINVAL;
	if (cur) {
		pol.add_time = cur->sadb_lifetime_addtime * NS_PER_SEC;
		pol.use_time = cur->sadb_lifetime_usetime * NS_PER_SEC;
	}
	setkey_print_policy_pid(f, &pol, m->hdr->sadb_msg_seq, m->hdr->sadb_msg_pid);
	return 0;
}

static const char *addr_str(const struct in6_addr *a, char *buf)
{
	char b4[INET_ADDRSTRLEN];

	if (in6_is_v4mapped(a))
		return strcpy(buf, inet_ntop(AF_INET, a->s6_addr + 12, b4, sizeof(b4)));
	return in6_ntop(a, buf);
}

/* "SRC DST" of a message that names no SA (ACQUIRE, a DELETE without its SA printed). */
static void print_addresses(FILE *f, const struct pfkey_msg *m)
{
	struct pfkey_addr src, dst;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	if (pfkey_get_address(m, SADB_EXT_ADDRESS_SRC, &src) < 0 ||
	    pfkey_get_address(m, SADB_EXT_ADDRESS_DST, &dst) < 0)
		return;
	fprintf(f, "%s %s\n", addr_str(&src.addr, a), addr_str(&dst.addr, b));
}

/* Entries of a PROPOSAL or SUPPORTED extension (the codec checked they fill it exactly). */
static unsigned entries(const struct sadb_ext *e, size_t head, size_t each)
{
	size_t len = e ? PFKEY_UNUNIT64((size_t)e->sadb_ext_len) : 0;

	return len > head ? (unsigned)((len - head) / each) : 0;
}

static void print_acquire(FILE *f, const struct pfkey_msg *m)
{
	const struct sadb_x_policy *xp = PFKEY_EXT(m, SADB_X_EXT_POLICY, sadb_x_policy);

	print_addresses(f, m);
	fprintf(f, "\tacquire: spid=%u proposals=%u\n", xp ? xp->sadb_x_policy_id : 0,
		entries(m->ext[SADB_EXT_PROPOSAL], sizeof(struct sadb_prop), sizeof(struct sadb_comb)));
}

static void print_register(FILE *f, const struct pfkey_msg *m)
{
	fprintf(f, "\tsupported: auth=%u encrypt=%u\n",
		entries(m->ext[SADB_EXT_SUPPORTED_AUTH], sizeof(struct sadb_supported),
			sizeof(struct sadb_alg)),
		entries(m->ext[SADB_EXT_SUPPORTED_ENCRYPT], sizeof(struct sadb_supported),
			sizeof(struct sadb_alg)));
}

void setkey_pfkey_print_event(FILE *f, const char *stamp, const struct pfkey_msg *m, uint64_t now_ns)
{
	const struct sadb_msg *h = m->hdr;
	char sat[8];

	fprintf(f, "%s %s %s seq=%u pid=%u", stamp, pfkey_msg_type_name(h->sadb_msg_type),
		setkey_pfkey_satype_name(h->sadb_msg_satype, sat, sizeof(sat)), h->sadb_msg_seq,
		h->sadb_msg_pid);
	if (h->sadb_msg_type == SADB_EXPIRE || h->sadb_msg_type == SADB_X_SPDEXPIRE)
		fputs(m->ext[SADB_EXT_LIFETIME_HARD] ? " hard" : " soft", f);
	if (h->sadb_msg_errno)
		fprintf(f, " errno=%u (%s)", h->sadb_msg_errno, strerror(h->sadb_msg_errno));
	fputc('\n', f);
	if (h->sadb_msg_errno)
		return;
	if (h->sadb_msg_type == SADB_ACQUIRE)
		print_acquire(f, m);
	else if (h->sadb_msg_type == SADB_REGISTER)
		print_register(f, m);
	else if (m->ext[SADB_EXT_SA] && setkey_pfkey_print_sa(f, m, now_ns) == 0)
		;
	else if (m->ext[SADB_X_EXT_POLICY] && setkey_pfkey_print_policy(f, m) == 0)
		;
	else
		print_addresses(f, m);
}
