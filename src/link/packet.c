/*
 * AF_PACKET backend: usagi shares an existing interface (typically one end
 * of a veth pair) with the kernel. We see every frame on the wire, so the
 * socket is bound to one interface, joins all-multicast (ND and MLD use
 * multicast MACs the kernel has not subscribed to), and skips the copies of
 * our own transmissions that the kernel loops back to packet sockets.
 *
 * Caveat (INTEROP.md): frames from a peer with offloads on arrive with
 * partial checksums or as GSO super-frames; turn offloads off on the peer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>   /* ETH_P_ALL, ETH_HLEN */
#include "core/stack.h"
#include "link/netdev.h"
#include "link/netns.h"
#include "link/packet.h"

#define PACKET_RX_BATCH 64
#define PACKET_VLAN_SLACK 4

struct packet_priv {
	int fd;
	int ifindex;       /* in the interface's own namespace */
};

struct packet_open {
	const char *ifname;
	int fd;
	int ifindex;
	uint8_t mac[6];
	int mtu;
};

/* The socket's address family gives the ioctls the socket's namespace. */
static int packet_query(int fd, struct packet_open *o)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o->ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		return -errno;
	o->ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	if (ifr.ifr_hwaddr.sa_family != 1 /* ARPHRD_ETHER */)
		return -EPROTOTYPE;
	memcpy(o->mac, ifr.ifr_hwaddr.sa_data, 6);
	o->mtu = ioctl(fd, SIOCGIFMTU, &ifr) < 0 ? 0 : ifr.ifr_mtu;
	return 0;
}

/* Runs inside the target namespace. */
static int packet_open_here(void *ctx)
{
	struct packet_open *o = ctx;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct packet_mreq mr = { .mr_type = PACKET_MR_ALLMULTI };
	int fd, rc;

	/* Protocol 0 receives nothing until bind(): no frames of other interfaces slip in. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = packet_query(fd, o);
	if (rc < 0)
		goto fail;
	sll.sll_ifindex = o->ifindex;
	mr.mr_ifindex = o->ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
		rc = -errno;
		goto fail;
	}
	o->fd = fd;
	return 0;
fail:
	close(fd);
	return rc;
}

/* Consumes @p. */
static int packet_xmit(struct netdev *dev, struct pkt *p)
{
	struct packet_priv *pp = dev->priv;
	ssize_t n = send(pp->fd, p->data, p->len, MSG_DONTWAIT);
	int rc = 0;

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
		STAT_INC(dev->st, packet_tx_again);
		rc = -EAGAIN;
	} else if (n < 0) {
		STAT_INC(dev->st, packet_tx_error);
		rc = -errno;
	} else if ((size_t)n != p->len) {
		STAT_INC(dev->st, packet_tx_error);
		rc = -EIO;
	}
	pkt_free(p);
	return rc;
}

static int packet_fd(const struct netdev *dev)
{
	const struct packet_priv *pp = dev->priv;

	return pp->fd;
}

/* One frame into @p: 1, 0 when none is pending, or -errno. */
static int packet_recv_one(struct netdev *dev, struct pkt *p)
{
	struct packet_priv *pp = dev->priv;
	struct sockaddr_ll from;
	socklen_t fromlen = sizeof(from);
	ssize_t n;

	for (;;) {
		n = recvfrom(pp->fd, p->data, pkt_tailroom(p), MSG_TRUNC,
			     (struct sockaddr *)&from, &fromlen);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		/* Our own frames, looped back to every packet socket on the interface. */
		if (from.sll_pkttype != PACKET_OUTGOING)
			break;
		STAT_INC(dev->st, packet_rx_outgoing);
		fromlen = sizeof(from);
	}
	/* MSG_TRUNC: n is the frame's real length; a longer frame than our MTU is cut. */
	pkt_put(p, MIN((size_t)n, pkt_tailroom(p)));
	return 1;
}

/* Reads up to PACKET_RX_BATCH frames; returns frames delivered or -errno. */
static int packet_rx_ready(struct netdev *dev)
{
	struct stack *st = dev->st;
	struct pkt *burst[PACKET_RX_BATCH];
	int frames = 0;

	while (frames < PACKET_RX_BATCH) {
		struct pkt *p = pkt_alloc(st->pool, PKT_HEADROOM,
					  dev->mtu + ETH_HLEN + PACKET_VLAN_SLACK);
		int rc;

		if (!p) {
			STAT_INC(st, packet_rx_nomem);
			break;
		}
		rc = packet_recv_one(dev, p);
		if (rc <= 0) {
			pkt_free(p);
			if (rc == 0)
				break;
			STAT_INC(st, packet_rx_error);
			netdev_rx_burst(dev, burst, (unsigned)frames);
			return frames ? frames : rc;
		}
		burst[frames++] = p;
	}
	netdev_rx_burst(dev, burst, (unsigned)frames);
	return frames;
}

static void packet_destroy(struct netdev *dev)
{
	struct packet_priv *pp = dev->priv;

	close(pp->fd);
	free(pp);
}

static const struct netdev_ops packet_ops = {
	.kind = "packet",
	.xmit = packet_xmit,
	.fd = packet_fd,
	.rx_ready = packet_rx_ready,
	.destroy = packet_destroy,
};

struct netdev *packet_create(struct stack *st, const char *name, const char *ifname, const char *netns)
{
	struct packet_open o = { .ifname = ifname, .fd = -1 };
	struct packet_priv *pp;
	struct netdev *dev;
	int rc;

	if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ) {
		errno = EINVAL;
		return NULL;
	}
	rc = netns_run(netns, packet_open_here, &o);
	if (rc < 0) {
		log_err(st, "packet %s%s%s: %s", netns ? netns : "", netns ? "/" : "", ifname,
			strerror(-rc));
		errno = -rc;
		return NULL;
	}
	pp = malloc(sizeof(*pp));
	if (!pp) {
		close(o.fd);
		errno = ENOMEM;
		return NULL;
	}
	pp->fd = o.fd;
	pp->ifindex = o.ifindex;
	dev = netdev_create(st, name, &packet_ops, pp, o.mac);
	if (!dev) {
		rc = errno;
		close(o.fd);
		free(pp);
		errno = rc;
		return NULL;
	}
	/* Speak the interface's MTU; out-of-range values keep the default. */
	if (o.mtu)
		netdev_set_mtu(dev, (uint32_t)o.mtu);
	return dev;
}
