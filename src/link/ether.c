#include <stdio.h>
#include "core/stack.h"
#include "link/ether.h"
#include "link/netdev.h"
#include "ipv4/arp.h"

/* EtherType dispatch. */
static const struct {
	uint16_t type;
	int (*input)(struct stack *st, struct pkt *p);
} ether_protos[] = {
	{ ETH_P_IPV6, ip6_input },
	{ ETH_P_IP, ip4_input },
	{ ETH_P_ARP, arp_input },
};

void eth_input(struct netdev *dev, struct pkt *p)
{
	struct stack *st = dev->st;
	const struct eth_hdr *eh = pkt_pull(p, ETH_HLEN);
	uint16_t type;

	if (!eh) {
		STAT_INC(st, eth_truncated);
		goto drop;
	}
	STAT_INC(st, eth_rx);
	if (eh->dst[0] & 1) {
		p->flags |= memcmp(eh->dst, eth_broadcast, 6) == 0 ? PKT_F_BCAST : PKT_F_MCAST;
	} else if (memcmp(eh->dst, dev->mac, 6) != 0) {
		/* Promiscuous backends (AF_PACKET, TAP bridges) see other hosts' frames. */
		STAT_INC(st, eth_otherhost);
		goto drop;
	}
	type = get_be16(eh->type);
	for (size_t i = 0; i < ARRAY_SIZE(ether_protos); i++) {
		if (ether_protos[i].type == type) {
			ether_protos[i].input(st, p);
			return;
		}
	}
	STAT_INC(st, eth_unknown_type);
drop:
	pkt_free(p);
}

int eth_output(struct netdev *dev, struct pkt *p, const uint8_t dst[6], uint16_t type)
{
	struct eth_hdr *eh = pkt_push(p, ETH_HLEN);

	if (!eh) {
		STAT_INC(dev->st, eth_tx_error);
		pkt_free(p);
		return -ENOBUFS;
	}
	memcpy(eh->dst, dst, 6);
	memcpy(eh->src, dev->mac, 6);
	put_be16(eh->type, type);
	STAT_INC(dev->st, eth_tx);
	return netdev_xmit(dev, p);
}

const char *eth_ntoa(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

int eth_aton(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char extra;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &extra) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 0xff)
			return -EINVAL;
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}
