/*
 * ICMP (RFC 792) and ICMPv6 (RFC 4443): queries and their replies (echo;
 * ICMP timestamp, information and address mask; ICMPv6 node information)
 * paired by identifier, as Linux's invmap; errors that quote a packet of a tracked connection are
 * RELATED to it, errors quoting anything else INVALID. Neighbour Discovery
 * and MLD are left untracked, as nf_conntrack does.
 */
#include "netfilter/nf_priv.h"

uint8_t nf_icmp_pair(uint8_t l4, uint8_t type)
{
	if (l4 == IPPROTO_ICMP) {
		/* RFC 792 echo 8/0, timestamp 13/14, information 15/16; RFC 950 address mask 17/18. */
		if (type == 8 || type == 0)
			return type ^ 8;
		if (type >= 13 && type <= 18)
			return type & 1 ? type + 1 : type - 1;
		return 0xff;
	}
	/* RFC 4443 4.1/4.2 echo 128/129; RFC 4620 node information query 139, reply 140. */
	if (type == 128 || type == 139)
		return type + 1;
	if (type == 129 || type == 140)
		return type - 1;
	return 0xff;
}

static bool is_request(uint8_t l4, uint8_t type)
{
	if (l4 == IPPROTO_ICMP)
		return type == 8 || type == 13 || type == 15 || type == 17;
	return type == 128 || type == 139;
}

static int icmp_tuple(struct nf_pkt *np)
{
	if (np->l4len < 8)
		return -EINVAL;
	/* Other informational messages have no pairing: INVALID without an entry, as in Linux. */
	if (nf_icmp_pair(np->t.l4, np->l4[0]) == 0xff)
		return -ENOENT;
	np->t.icmp_type = np->l4[0];
	np->t.icmp_code = np->l4[1];
	np->t.icmp_id = get_be16(np->l4 + 4);
	return 0;
}

/* Any query starts one, whatever its code (the code is part of the tuple), as in Linux. */
static bool icmp_can_create(const struct stack *st, const struct nf_pkt *np)
{
	(void)st;
	return is_request(np->t.l4, np->t.icmp_type);
}

static int icmp_packet(struct stack *st, struct nf_conn *ct, int dir, const struct nf_pkt *np,
		       bool created)
{
	(void)dir;
	(void)np;
	(void)created;
	nf_ct_set_timeout(st, ct, ct->tuple.l4 == IPPROTO_ICMP ? st->nf->to.icmp : st->nf->to.icmpv6);
	return NF_CT_ESTABLISHED;
}

const struct nf_l4proto nf_l4_icmp = { icmp_tuple, icmp_can_create, icmp_packet };
const struct nf_l4proto nf_l4_icmp6 = { icmp_tuple, icmp_can_create, icmp_packet };

bool nf_icmp_untracked(const struct nf_pkt *np)
{
	uint8_t type;

	if (np->t.l4 != IPPROTO_ICMPV6 || np->l4len < 1)
		return false;
	type = np->l4[0];
	/* RFC 2710/3810 MLD (130-132, 143), RFC 4861 RS/RA/NS/NA (133-136). */
	return (type >= 130 && type <= 136) || type == 143;
}

static bool is_error(uint8_t l4, uint8_t type)
{
	if (l4 == IPPROTO_ICMP)
		return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
	return type >= 1 && type <= 4;
}

int nf_icmp_error(struct stack *st, const struct nf_pkt *np, uint32_t *slot, int *dir)
{
	struct nf_pkt in;
	int idir;

	if (np->l4len < 8)
		return NF_CT_INVALID;
	if (!is_error(np->t.l4, np->l4[0]))
		return -1;
	/* The quoted packet starts after the 8-byte ICMP header (RFC 792, RFC 4443 3). */
	if (nf_l3_parse_quoted(np->l4 + 8, np->l4len - 8, np->t.l3, &in) < 0 ||
	    in.t.l3 != np->t.l3 || nf_l4_find(in.t.l4)->tuple(&in) < 0)
		return NF_CT_INVALID;
	*slot = nf_ct_lookup(st, &in.t, &idir);
	if (!*slot || nf_ct_expired(st, nf_slot(st->nf, *slot)))
		return NF_CT_INVALID;
	/* The error travels back toward the sender of the quoted packet. */
	*dir = !idir;
	return NF_CT_RELATED;
}
