/*
 * The sim file behind `usagi demo` (docs/sim.md), here so tests run it too.
 *
 *        A (SLAAC, 192.0.2.10)   C (steals A's address)
 *           |                    |
 *   ==========lan1 2001:db8:1::/64, 192.0.2.0/24===========
 *                      |
 *                      R  (router, RAs on both links; .1 on both IPv4 subnets)
 *                      |
 *   ==========lan2 2001:db8:2::/64, 198.51.100.0/24========
 *           |
 *        B (SLAAC, 198.51.100.10)
 */
#include "sim/simfile.h"

/* MACs are fixed so the EUI-64 addresses below are known in advance. */
const char simfile_demo[] =
	"host R\n"
	"host A\n"
	"host B\n"
	"host C\n"
	"segment lan1 delay 1ms\n"
	"segment lan2 delay 1ms\n"
	"attach R eth0 lan1 mac 02:00:00:00:01:01\n"
	"attach R eth1 lan2 mac 02:00:00:00:02:01\n"
	"attach A eth0 lan1 mac 02:00:00:00:0a:01\n"
	"attach B eth0 lan2 mac 02:00:00:00:0b:01\n"
	"attach C eth0 lan1 mac 02:00:00:00:0c:01\n"
	"\n"
	"at 0 heading Act 1: router R comes up on lan1 and lan2\n"
	"at 0 R sysctl net.ipv6.conf.all.forwarding=1\n"
	"at 0 R link set eth0 up\n"
	"at 0 R link set eth1 up\n"
	"at 0 R addr add 2001:db8:1::1/64 dev eth0 nodad\n"
	"at 0 R addr add 2001:db8:2::1/64 dev eth1 nodad\n"
	"at 0 R ra eth0 prefix 2001:db8:1::/64\n"
	"at 0 R ra eth1 prefix 2001:db8:2::/64\n"
	"at 0 R ra eth0 on\n"
	"at 0 R ra eth1 on\n"
	"\n"
	"at 0.5s heading Act 2: hosts A (lan1) and B (lan2) autoconfigure: RS, RA, SLAAC, DAD\n"
	"at 0.5s A link set eth0 up\n"
	"at 0.5s B link set eth0 up\n"
	"at 5s heading A's addresses and routes, learnt from R's RA\n"
	"at 5s A addr show\n"
	"at 5s A route show\n"
	"\n"
	"at 6s heading Act 3: C claims A's address; DAD detects the duplicate\n"
	"at 6s C link set eth0 up\n"
	"at 9s C addr add 2001:db8:1::ff:fe00:a01/64 dev eth0\n"
	"at 11s C addr show dev eth0\n"
	"\n"
	"at 12s heading Act 4: A pings B across the router\n"
	"at 12s A ping 2001:db8:2::ff:fe00:b01 -c 3 -i 0.5\n"
	"\n"
	"at 15s heading Act 5: 3000-byte pings: fragmented by A, reassembled by B\n"
	"at 15s A ping 2001:db8:2::ff:fe00:b01 -c 2 -s 3000 -i 0.5\n"
	"\n"
	"\n"
	"at 18s heading Act 6: IPv4 beside IPv6: R routes 192.0.2.0/24 and 198.51.100.0/24\n"
	"at 18s R sysctl net.ipv4.ip_forward=1\n"
	"at 18s R addr add 192.0.2.1/24 dev eth0 nodad\n"
	"at 18s R addr add 198.51.100.1/24 dev eth1 nodad\n"
	"at 18s A addr add 192.0.2.10/24 dev eth0 nodad\n"
	"at 18s A route add default via 192.0.2.1\n"
	"at 18s B addr add 198.51.100.10/24 dev eth0 nodad\n"
	"at 18s B route add default via 198.51.100.1\n"
	"at 18s A route show\n"
	"at 18.5s heading A pings B over IPv4 across R (ARP on both links)\n"
	"at 18.5s A ping 198.51.100.10 -c 3 -i 0.5\n"
	"at 21s heading 4000-byte IPv4 pings: fragmented by A, reassembled by B\n"
	"at 21s A ping 198.51.100.10 -c 2 -s 4000 -i 0.5\n"
	"\n"
	"at 24s heading Act 7: what R learned about its neighbours (ARP and ND)\n"
	"at 24s R neigh show\n"
	"run 25s\n";
