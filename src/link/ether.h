/* Ethernet II framing. */
#ifndef USAGI_LINK_ETHER_H
#define USAGI_LINK_ETHER_H

#include "core/common.h"

struct netdev;
struct pkt;

#define ETH_HLEN 14
#define ETH_P_IPV6 0x86dd
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806

struct eth_hdr {
	uint8_t dst[6];
	uint8_t src[6];
	uint8_t type[2];
} PACKED;

static const uint8_t eth_broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* Consumes @p (data = Ethernet header). */
void eth_input(struct netdev *dev, struct pkt *p);
/* Pushes an Ethernet header to @dst with @type and sends. Consumes @p. */
int eth_output(struct netdev *dev, struct pkt *p, const uint8_t dst[6], uint16_t type);
/* "02:00:00:00:00:01" into buf[18]. */
const char *eth_ntoa(const uint8_t mac[6], char buf[18]);
int eth_aton(const char *s, uint8_t mac[6]);

#endif
