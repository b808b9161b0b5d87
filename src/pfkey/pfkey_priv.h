/* Shared inside the PF_KEY codec (pfkey_parse.c, pfkey_check.c, pfkey_build.c, pfkey_convert.c). */
#ifndef USAGI_PFKEY_PFKEY_PRIV_H
#define USAGI_PFKEY_PFKEY_PRIV_H

#include <sys/socket.h>
#include <netinet/in.h>
#include "core/common.h"
#include "proto/ip4.h"
#include "pfkey/pfkey_codec.h"

/* A sockaddr read from the wire (Linux layout). */
struct pfkey_sockaddr {
	struct in6_addr addr;        /* IPv4 mapped */
	uint16_t port;               /* host order */
	uint8_t family;
	uint8_t salen;               /* 16 or 28: its size on the wire before padding */
};

/*
 * Reads a sockaddr_in/sockaddr_in6 from @len bytes at @p (unaligned is
 * fine). 0, or -EINVAL for another family or too few bytes.
 */
int pfkey_sockaddr_get(const uint8_t *p, size_t len, struct pfkey_sockaddr *out);
/* Writes one at @p (zeroed first; 16 or 28 bytes); returns its size, 0 for a bad family. */
size_t pfkey_sockaddr_put(uint8_t *p, const struct in6_addr *a, uint8_t family, uint16_t port);
/* The sockaddr size of @family, 0 if neither AF_INET nor AF_INET6. */
size_t pfkey_sockaddr_len(uint8_t family);

#endif
