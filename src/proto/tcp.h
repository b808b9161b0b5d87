/* TCP wire format (RFC 9293 3.1) and its options (RFC 9293 3.2, RFC 7323, RFC 2018). */
#ifndef USAGI_PROTO_TCP_H
#define USAGI_PROTO_TCP_H

#include <stdint.h>

struct tcp_hdr {
	uint8_t sport[2];
	uint8_t dport[2];
	uint8_t seq[4];
	uint8_t ack[4];
	uint8_t off;             /* data offset (32-bit words) << 4 | reserved */
	uint8_t flags;           /* TCP_F_* */
	uint8_t wnd[2];
	uint8_t cksum[2];
	uint8_t urp[2];
};
#define TCP_HLEN 20
#define TCP_MAX_HLEN 60
#define TCP_CSUM_OFF 16
_Static_assert(sizeof(struct tcp_hdr) == TCP_HLEN, "tcp_hdr");

enum {
	TCP_F_FIN = 0x01, TCP_F_SYN = 0x02, TCP_F_RST = 0x04, TCP_F_PSH = 0x08,
	TCP_F_ACK = 0x10, TCP_F_URG = 0x20, TCP_F_ECE = 0x40, TCP_F_CWR = 0x80,
};

/* Option kinds (IANA "TCP Option Kind Numbers"). */
enum {
	TCPOPT_EOL = 0, TCPOPT_NOP = 1, TCPOPT_MSS = 2, TCPOPT_WSCALE = 3,
	TCPOPT_SACK_PERM = 4, TCPOPT_SACK = 5, TCPOPT_TS = 8,
};
#define TCPOLEN_MSS 4
#define TCPOLEN_WSCALE 3
#define TCPOLEN_SACK_PERM 2
#define TCPOLEN_TS 10
#define TCP_MAX_WSCALE 14        /* RFC 7323 2.3 */

#endif
