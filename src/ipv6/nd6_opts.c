/* Neighbor Discovery option parser (RFC 4861 4.6, RFC 8106 5.1). */
#include "ipv6/nd6_priv.h"
#include "proto/ip6.h"

/* Ethernet link-layer address options are exactly one 8-octet unit (RFC 2464 6). */
static void opt_lladdr(struct nd6_opts *o, const uint8_t **slot, const uint8_t *opt, size_t olen)
{
	if (olen != 8 || *slot) {
		o->ignored++;
		return;
	}
	*slot = opt + 2;
}

static void opt_prefix(struct nd6_opts *o, const uint8_t *opt, size_t olen)
{
	if (olen != sizeof(struct nd_opt_prefix) || o->nprefix == ND6_MAX_PREFIX) {
		o->ignored++;
		return;
	}
	o->prefix[o->nprefix++] = (const struct nd_opt_prefix *)opt;
}

static void opt_mtu(struct nd6_opts *o, const uint8_t *opt, size_t olen)
{
	if (olen != sizeof(struct nd_opt_mtu) || o->mtu) {
		o->ignored++;
		return;
	}
	o->mtu = (const struct nd_opt_mtu *)opt;
}

/* RFC 8106 5.1: length is 1 + 2 * number of addresses, so odd and at least 3. */
static void opt_rdnss(struct nd6_opts *o, const uint8_t *opt, size_t olen)
{
	size_t units = olen / 8;

	if (units < 3 || units % 2 == 0 || o->nrdnss == ND6_MAX_RDNSS) {
		o->ignored++;
		return;
	}
	o->rdnss[o->nrdnss++] = opt;
}

/* RFC 4861 4.6.3: 8 bytes of type, length and reserved, then the packet. */
static void opt_redir(struct nd6_opts *o, const uint8_t *opt, size_t olen)
{
	if (olen < 8 || o->redir) {
		o->ignored++;
		return;
	}
	o->redir = opt;
	o->redir_len = olen;
}

int nd6_opts_parse(const uint8_t *buf, size_t len, struct nd6_opts *o)
{
	size_t off = 0;

	memset(o, 0, sizeof(*o));
	while (off < len) {
		const uint8_t *opt = buf + off;
		size_t olen;

		/* RFC 4861 4.6: type and length need two bytes; length 0 is invalid. */
		if (len - off < 2 || opt[1] == 0)
			return -EINVAL;
		olen = (size_t)opt[1] * 8;
		if (olen > len - off)
			return -EINVAL;
		switch (opt[0]) {
		case ND_OPT_SLLA: opt_lladdr(o, &o->slla, opt, olen); break;
		case ND_OPT_TLLA: opt_lladdr(o, &o->tlla, opt, olen); break;
		case ND_OPT_PREFIX: opt_prefix(o, opt, olen); break;
		case ND_OPT_MTU: opt_mtu(o, opt, olen); break;
		case ND_OPT_RDNSS: opt_rdnss(o, opt, olen); break;
		case ND_OPT_REDIRECTED: opt_redir(o, opt, olen); break;
		/* RFC 4861 4.6: unknown options are skipped. */
		default: o->ignored++; break;
		}
		off += olen;
	}
	return 0;
}
