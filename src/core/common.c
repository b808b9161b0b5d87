#include "core/common.h"
#include <stdio.h>
#include <stdlib.h>

bool in6_prefix_match(const struct in6_addr *a, const struct in6_addr *b, unsigned len)
{
	unsigned bytes = len / 8, bits = len % 8;

	if (len > 128)
		return false;
	if (memcmp(a->s6_addr, b->s6_addr, bytes) != 0)
		return false;
	if (bits == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - bits));
	return ((a->s6_addr[bytes] ^ b->s6_addr[bytes]) & mask) == 0;
}

void in6_prefix_mask(struct in6_addr *a, unsigned len)
{
	for (unsigned i = 0; i < 16; i++) {
		if (len >= 8) {
			len -= 8;
			continue;
		}
		a->s6_addr[i] &= (uint8_t)(0xff << (8 - len));
		len = 0;
	}
}

void in6_solicited_node(struct in6_addr *out, const struct in6_addr *a)
{
	static const uint8_t pfx[13] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };

	memcpy(out->s6_addr, pfx, 13);
	memcpy(out->s6_addr + 13, a->s6_addr + 13, 3);
}

void in6_mc_to_mac(uint8_t mac[6], const struct in6_addr *a)
{
	mac[0] = 0x33;
	mac[1] = 0x33;
	memcpy(mac + 2, a->s6_addr + 12, 4);
}

void in6_eui64(uint8_t iid[8], const uint8_t mac[6])
{
	iid[0] = mac[0] ^ 0x02;
	iid[1] = mac[1];
	iid[2] = mac[2];
	iid[3] = 0xff;
	iid[4] = 0xfe;
	iid[5] = mac[3];
	iid[6] = mac[4];
	iid[7] = mac[5];
}

const char *in6_ntop(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

int in6_parse_prefix(const char *s, struct in6_addr *a, unsigned *len)
{
	char tmp[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	if (n >= INET6_ADDRSTRLEN)
		return -EINVAL;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET6, tmp, a) != 1)
		return -EINVAL;
	*len = 128;
	if (slash) {
		char *end;
		long l;

		if (slash[1] == '\0')
			return -EINVAL;
		l = strtol(slash + 1, &end, 10);
		if (*end != '\0' || l < 0 || l > 128)
			return -EINVAL;
		*len = (unsigned)l;
	}
	return 0;
}
