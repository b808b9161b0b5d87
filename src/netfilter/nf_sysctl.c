/* net.netfilter.nf_conntrack_* settings (names and defaults as Linux's nf_conntrack-sysctl). */
#include <limits.h>
#include "netfilter/nf_priv.h"

#define TO(f) offsetof(struct nf_ct_timeouts, f)
#define TCP(s) (offsetof(struct nf_ct_timeouts, tcp) + (s) * sizeof(uint32_t))

static const struct { const char *name; size_t off; } nf_keys[] = {
	{ "net.netfilter.nf_conntrack_tcp_timeout_syn_sent", TCP(NF_TCP_SYN_SENT) },
	{ "net.netfilter.nf_conntrack_tcp_timeout_syn_recv", TCP(NF_TCP_SYN_RECV) },
	{ "net.netfilter.nf_conntrack_tcp_timeout_established", TCP(NF_TCP_ESTABLISHED) },
	{ "net.netfilter.nf_conntrack_tcp_timeout_fin_wait", TCP(NF_TCP_FIN_WAIT) },
	{ "net.netfilter.nf_conntrack_tcp_timeout_close_wait", TCP(NF_TCP_CLOSE_WAIT) },
	{ "net.netfilter.nf_conntrack_tcp_timeout_last_ack", TCP(NF_TCP_LAST_ACK) },
	{ "net.netfilter.nf_conntrack_tcp_timeout_time_wait", TCP(NF_TCP_TIME_WAIT) },
	{ "net.netfilter.nf_conntrack_tcp_timeout_close", TCP(NF_TCP_CLOSE) },
	{ "net.netfilter.nf_conntrack_udp_timeout", TO(udp) },
	{ "net.netfilter.nf_conntrack_udp_timeout_stream", TO(udp_stream) },
	{ "net.netfilter.nf_conntrack_icmp_timeout", TO(icmp) },
	{ "net.netfilter.nf_conntrack_icmpv6_timeout", TO(icmpv6) },
	{ "net.netfilter.nf_conntrack_generic_timeout", TO(generic) },
};
#define KEY_MAX "net.netfilter.nf_conntrack_max"
#define KEY_COUNT "net.netfilter.nf_conntrack_count"
#define KEY_LOOSE "net.netfilter.nf_conntrack_tcp_loose"
#define KEY_CSUM "net.netfilter.nf_conntrack_checksum"

const char *nf_sysctl_key(size_t i)
{
	if (i < ARRAY_SIZE(nf_keys))
		return nf_keys[i].name;
	i -= ARRAY_SIZE(nf_keys);
	return i == 0 ? KEY_MAX : i == 1 ? KEY_COUNT : i == 2 ? KEY_LOOSE : i == 3 ? KEY_CSUM : NULL;
}

#define PREFIX "net.netfilter."

/* The state behind a net.netfilter. key (0), or -ENOENT / -ENOMEM; *@to: the key's timeout, NULL if not one. */
static int nf_key(struct stack *st, const char *key, struct nf_state **nfp, uint32_t **to)
{
	struct nf_state *nf;

	if (strncmp(key, PREFIX, strlen(PREFIX)) != 0)
		return -ENOENT;
	nf = nf_state_get(st);
	if (!nf)
		return -ENOMEM;
	*nfp = nf;
	*to = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(nf_keys); i++)
		if (strcmp(key, nf_keys[i].name) == 0)
			*to = (uint32_t *)((char *)&nf->to + nf_keys[i].off);
	return 0;
}

int nf_sysctl_get(struct stack *st, const char *key, long *val)
{
	struct nf_state *nf;
	uint32_t *to;
	int rc = nf_key(st, key, &nf, &to);

	if (rc < 0)
		return rc;
	if (to) {
		*val = *to;
		return 0;
	}
	if (strcmp(key, KEY_MAX) == 0)
		*val = nf->max;
	else if (strcmp(key, KEY_COUNT) == 0)
		*val = nf->count;
	else if (strcmp(key, KEY_LOOSE) == 0)
		*val = nf->tcp_loose;
	else if (strcmp(key, KEY_CSUM) == 0)
		*val = nf->checksum;
	else
		return -ENOENT;
	return 0;
}

int nf_sysctl_set(struct stack *st, const char *key, long val)
{
	struct nf_state *nf;
	uint32_t *to;
	int rc = nf_key(st, key, &nf, &to);

	if (rc < 0)
		return rc;
	if (to) {
		if (val < 1 || val > INT_MAX)
			return -EINVAL;
		*to = (uint32_t)val;
		/* SYN_SENT2 (simultaneous open) shares syn_sent's timeout, as in Linux. */
		if (to == &nf->to.tcp[NF_TCP_SYN_SENT])
			nf->to.tcp[NF_TCP_SYN_SENT2] = (uint32_t)val;
		return 0;
	}
	if (strcmp(key, KEY_COUNT) == 0)
		return -EPERM;
	if (strcmp(key, KEY_LOOSE) == 0 || strcmp(key, KEY_CSUM) == 0) {
		if (val < 0 || val > 1)
			return -EINVAL;
		*(strcmp(key, KEY_LOOSE) == 0 ? &nf->tcp_loose : &nf->checksum) = (uint32_t)val;
		return 0;
	}
	if (strcmp(key, KEY_MAX) != 0)
		return -ENOENT;
	if (val < 1 || val > (1L << 30))
		return -EINVAL;
	return nf_ct_set_max(st, (uint32_t)val);
}
