#!/usr/bin/env bash
# Hostile ESP from scapy over IPv4: ipsec_hostile.sh with FAMILY=4, the
# same cases against IPv4 transport and IPv4-in-IPv4 tunnel SAs, plus the
# IPv4 header around ESP.
#
#   +---------------- ns $K ------------------------------------+
#   |  kernel tap0 192.0.2.1/24 (drops ESP itself: nft)          |
#   |  scapy (lib/ipsec_hostile.py ... 4): sendp + sniff on tap0, |
#   |  a host (transport SAs) and the gateway of 198.51.100.0/25  |
#   +----|-------------------------------------------------------+
#        |  hostile ESP ->   <- ESP answers of the udp-echo service
#   +----|-------------------------------------------------------+
#   |  usagi node "u": tap0 192.0.2.2/24, service udp-echo 7      |
#   |  SAs: transport 0x3000 in / 0x3001 out (UDP),               |
#   |  tunnel 0x3100 in / 0x3101 out (198.51.100.0/25); a policy  |
#   |  for 198.51.100.128/26 via another gateway, 192.0.2.3       |
#   |  (AES-CBC-128 + HMAC-SHA-256-128, replay window 64)         |
#   +------------------------------------------------------------+
#
# Proves every case of ipsec_hostile.sh over IPv4 under the same counter
# (inner source 198.51.100.200 for the tunnel without a policy), and:
# ESP behind IPv4 options (a 24-octet header cut out on decapsulation)
# and ESP in three IPv4 fragments are answered (frag4_ok); ESP in
# overlapping fragments (frag4_overlap), under an IHL past the total
# length (ip4_in_bad_ihl), a total length past the frame
# (ip4_in_truncated) or a bad header checksum (ip4_in_bad_csum) is dropped
# by IPv4 before any IPsec counter moves; a total length that cuts the
# packet after the IV leaves ESP too short (esp_in_truncated); a 4in4
# packet whose inner header has a bad checksum (ip4_in_bad_csum) or a
# total length past the decrypted payload (ip4_in_truncated) is
# decapsulated, then dropped by IPv4 input, no IPsec drop counted.
FAMILY=4 exec bash "$(dirname "$0")/ipsec_hostile.sh"
