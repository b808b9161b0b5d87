#!/usr/bin/env bash
# TCP between the kernel's TCP and usagi's tcp-echo / tcp-discard services,
# over IPv6 and IPv4 on one TAP link.
#
#   +---------------- ns $K -----------------------+
#   |  kernel tap0 192.0.2.1/24, 2001:db8:1::1/64  |
#   |  python3 sockets (lib/tcp_kernel.py)         |
#   +----|-----------------------------------------+
#        |  /dev/net/tun (fd held by usagi)
#   +----|-----------------------------------------+
#   |  usagi node "u"                              |
#   |  tap0  192.0.2.2/24, 2001:db8:1::2/64        |
#   |  service tcp-echo 7, service tcp-discard 9   |
#   +----------------------------------------------+
#
# Kernel client -> usagi server (tcp-echo, tcp-discard), and usagi client
# (`service tcp-send`) -> kernel server. The echo proves both directions of data (usagi's receive path, window
# scaling and timestamps with the kernel's options, usagi's send path and
# checksums accepted by the kernel), the FIN exchange both ways; the
# discard service takes 4 MB; a closed port answers RST (ECONNREFUSED).
source "$(dirname "$0")/lib/common.sh"
netns_setup tcp_kernel

tcpk() { in_ns "$K" timeout 60 "$PY" "$NETNS_LIB/tcp_kernel.py" "$@"; }

single_tap_setup K tap0 u 192.0.2.1/24 2001:db8:1::1/64 <<EOF
addr add 192.0.2.2/24 dev tap0 nodad
addr add 2001:db8:1::2/64 dev tap0 nodad
service tcp-echo 7
service tcp-discard 9
EOF

usnap u a
assert_eq "IPv6 echo of 1 MB" "echo 1048576 same" "$(tcpk echo 2001:db8:1::2 7 1048576)"
pass "kernel -> usagi tcp-echo over IPv6, 1 MB both ways"

assert_eq "IPv4 echo of 1 MB" "echo 1048576 same" "$(tcpk echo 192.0.2.2 7 1048576)"
pass "kernel -> usagi tcp-echo over IPv4, 1 MB both ways"

assert_eq "IPv6 discard of 4 MB" "sent 4194304
eof" "$(tcpk discard 2001:db8:1::2 9 4194304)"
pass "kernel -> usagi tcp-discard, 4 MB, FIN both ways"

assert_eq "closed port" "refused" "$(tcpk connect 2001:db8:1::2 5555)"
assert_eq "closed port (IPv4)" "refused" "$(tcpk connect 192.0.2.2 5555)"
assert_gt "usagi answered with RST" "$(udelta u a tcp_rst_out)" 1
pass "closed port -> RST (ECONNREFUSED at the kernel)"

# usagi -> kernel: `service tcp-send` to a kernel listener, 2 MB each family.
for fam in 6 4; do
	if [ $fam = 6 ]; then kaddr=2001:db8:1::1 uaddr=2001:db8:1::2; else kaddr=192.0.2.1 uaddr=192.0.2.2; fi
	bg_in_ns "$K" "$TMP/serve$fam" timeout 40 "$PY" "$NETNS_LIB/tcp_kernel.py" serve $kaddr 8000
	wait_until 10 grep -q listening "$TMP/serve$fam" || fail "kernel server did not start"
	uctl u service tcp-send $kaddr 8000 2097152 || fail "service tcp-send"
	wait_until 30 grep -q peer "$TMP/serve$fam" || fail "kernel server: $(cat "$TMP/serve$fam")"
	assert_eq "kernel received (IPv$fam)" "listening
received 2097152 same
peer $uaddr" "$(cat "$TMP/serve$fam")"
	pass "usagi tcp-send -> kernel listener over IPv$fam, 2 MB"
done

assert_eq "no bad checksums" 0 "$(udelta u a tcp_bad_csum)"
assert_eq "no bad options" 0 "$(udelta u a tcp_bad_opt)"
assert_gt "connections established" "$(udelta u a tcp_established)" 2
pass "usagi counters clean"
