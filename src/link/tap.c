/*
 * TAP backend. One read() is one frame and one write() sends one frame
 * (IFF_NO_PI: no packet-information prefix). The fd is non-blocking: the
 * event loop polls ops->fd and calls ops->rx_ready, which reads a bounded
 * batch so one busy link cannot starve the others. The kernel hands us
 * frames with finished checksums.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <linux/if_tun.h>   /* also ETH_HLEN, via linux/if_ether.h */
#include "core/stack.h"
#include "link/netdev.h"
#include "link/netns.h"
#include "link/tap.h"

#define TAP_RX_BATCH 64
#define TAP_VLAN_SLACK 4   /* a tagged frame from the kernel side still fits */

struct tap_priv {
	int fd;
};

struct tap_open {
	const char *ifname;
	int fd;
};

/* Runs inside the target namespace: TUNSETIFF resolves the name where /dev/net/tun was opened. */
static int tap_open_here(void *ctx)
{
	struct tap_open *o = ctx;
	struct ifreq ifr = { 0 };
	int fd, rc;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o->ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	o->fd = fd;
	return 0;
}

/* Consumes @p. */
static int tap_xmit(struct netdev *dev, struct pkt *p)
{
	struct tap_priv *tp = dev->priv;
	ssize_t n = write(tp->fd, p->data, p->len);
	int rc = 0;

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		/* The kernel queue is full: drop, as a NIC with a full ring would. */
		STAT_INC(dev->st, tap_tx_again);
		rc = -EAGAIN;
	} else if (n < 0) {
		STAT_INC(dev->st, tap_tx_error);
		rc = -errno;
	} else if ((size_t)n != p->len) {
		STAT_INC(dev->st, tap_tx_error);
		rc = -EIO;
	}
	pkt_free(p);
	return rc;
}

static int tap_fd(const struct netdev *dev)
{
	const struct tap_priv *tp = dev->priv;

	return tp->fd;
}

/* Reads up to TAP_RX_BATCH frames; returns frames delivered or -errno. */
static int tap_rx_ready(struct netdev *dev)
{
	struct tap_priv *tp = dev->priv;
	struct stack *st = dev->st;
	struct pkt *burst[TAP_RX_BATCH];
	int frames = 0;

	while (frames < TAP_RX_BATCH) {
		struct pkt *p = pkt_alloc(st->pool, PKT_HEADROOM,
					  dev->mtu + ETH_HLEN + TAP_VLAN_SLACK);
		ssize_t n;

		if (!p) {
			/* Left in the kernel queue; read again once packets are freed. */
			STAT_INC(st, tap_rx_nomem);
			break;
		}
		n = read(tp->fd, p->data, pkt_tailroom(p));
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;

			pkt_free(p);
			if (err == EAGAIN || err == EWOULDBLOCK)
				break;
			STAT_INC(st, tap_rx_error);
			netdev_rx_burst(dev, burst, (unsigned)frames);
			return frames ? frames : -err;
		}
		pkt_put(p, (size_t)n);
		burst[frames++] = p;
	}
	netdev_rx_burst(dev, burst, (unsigned)frames);
	return frames;
}

static void tap_destroy(struct netdev *dev)
{
	struct tap_priv *tp = dev->priv;

	close(tp->fd);
	free(tp);
}

static const struct netdev_ops tap_ops = {
	.kind = "tap",
	.xmit = tap_xmit,
	.fd = tap_fd,
	.rx_ready = tap_rx_ready,
	.destroy = tap_destroy,
};

struct netdev *tap_create(struct stack *st, const char *name, const char *ifname, const char *netns)
{
	struct tap_open o = { .ifname = ifname, .fd = -1 };
	struct tap_priv *tp;
	struct netdev *dev;
	int rc;

	if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ) {
		errno = EINVAL;
		return NULL;
	}
	rc = netns_run(netns, tap_open_here, &o);
	if (rc < 0) {
		log_err(st, "tap %s%s%s: %s", netns ? netns : "", netns ? "/" : "", ifname,
			strerror(-rc));
		errno = -rc;
		return NULL;
	}
	tp = malloc(sizeof(*tp));
	if (!tp) {
		close(o.fd);
		errno = ENOMEM;
		return NULL;
	}
	tp->fd = o.fd;
	/* NULL MAC: ours is a random local one, not the kernel side's. */
	dev = netdev_create(st, name, &tap_ops, tp, NULL);
	if (!dev) {
		rc = errno;
		close(o.fd);
		free(tp);
		errno = rc;
		return NULL;
	}
	return dev;
}
