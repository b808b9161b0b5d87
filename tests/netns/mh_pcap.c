/*
 * netns_mh_pcap FILE: writes FILE, a pcap with one Ethernet + IPv6 frame
 * per Mobility Header message usagi's codec builds (mh_build, checksum by
 * mh_csum_set, RFC 6275 6.1), options included: BRR, HoTI, CoTI, HoT,
 * CoT, a home registration BU, a route-optimisation BU with Alternate CoA,
 * Nonce Indices and a real Binding Authorization Data (mip6_rr), a BA
 * with K, a BA with Binding Refresh Advice and BAD, a refusing BA (status
 * 135), a BE. tests/netns/mh_tshark.sh
 * has tshark dissect it. Prints "bu_auth HEX", the authenticator it
 * computed. Exit 0, or 1 with a message.
 */
#include <stdio.h>

#include "core/common.h"
#include "link/pcap.h"
#include "mip6/mh.h"
#include "mip6/mip6_rr.h"

#define ETH_HLEN 14
#define IP6_HLEN 40

static struct in6_addr a6(const char *s)
{
	struct in6_addr a;

	inet_pton(AF_INET6, s, &a);
	return a;
}

/* Ethernet + IPv6 (next header 135, RFC 6275 6.1) around @mh, checksummed for @src -> @dst. */
static int frame(struct pcap_writer *w, unsigned i, uint8_t *mh, size_t len,
		 const char *src, const char *dst)
{
	static const uint8_t head[ETH_HLEN] = {
		0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x86, 0xdd,
	};
	struct in6_addr s = a6(src), d = a6(dst);
	uint8_t f[ETH_HLEN + IP6_HLEN + 256] = { 0 };

	if (len > 256)
		return -1;
	mh_csum_set(mh, len, &s, &d);
	memcpy(f, head, ETH_HLEN);
	f[ETH_HLEN] = 0x60;
	put_be16(f + ETH_HLEN + 4, (uint16_t)len);
	f[ETH_HLEN + 6] = 135;
	f[ETH_HLEN + 7] = 64;
	memcpy(f + ETH_HLEN + 8, &s, 16);
	memcpy(f + ETH_HLEN + 24, &d, 16);
	memcpy(f + ETH_HLEN + IP6_HLEN, mh, len);
	pcapw_write(w, (uint64_t)(i + 1) * NS_PER_SEC, f, ETH_HLEN + IP6_HLEN + len);
	return 0;
}

/* The RO BU: Kbm from two keygen tokens, authenticator over the built bytes (5.2.5, 6.2.7). */
static int sign_bu(uint8_t *mh, size_t auth_off)
{
	uint8_t kcn[MIP6_KCN_LEN], hn[MIP6_NONCE_LEN], cn[MIP6_NONCE_LEN];
	uint8_t ht[MIP6_TOKEN_LEN], ct[MIP6_TOKEN_LEN], kbm[MIP6_KBM_LEN];
	struct in6_addr home = a6("2001:db8:1::100"), coa = a6("2001:db8:2::200");
	struct in6_addr corr = a6("2001:db8:3::3");

	memset(kcn, 0x11, sizeof(kcn));
	memset(hn, 0x22, sizeof(hn));
	memset(cn, 0x33, sizeof(cn));
	if (mip6_keygen_token(kcn, &home, hn, MIP6_TOKEN_HOME, ht) ||
	    mip6_keygen_token(kcn, &coa, cn, MIP6_TOKEN_COA, ct))
		return -1;
	mip6_kbm(ht, ct, kbm);
	if (mip6_bu_auth(kbm, &coa, &corr, mh, auth_off, mh + auth_off))
		return -1;
	printf("bu_auth ");
	for (int i = 0; i < MIP6_AUTH_LEN; i++)
		printf("%02x", mh[auth_off + i]);
	printf("\n");
	return 0;
}

/* The RR messages' cookies, tokens and nonce indices. */
static void fill_rr(struct mh_msg *m)
{
	if (m->type == MH_HOTI || m->type == MH_COTI)
		for (int k = 0; k < MH_COOKIE_LEN; k++)
			m->hoti.cookie[k] = (uint8_t)(0xc0 + k);
	if (m->type != MH_HOT && m->type != MH_COT)
		return;
	m->hot.nonce_idx = m->type == MH_HOT ? 3 : 4;
	for (int k = 0; k < MH_COOKIE_LEN; k++) {
		m->hot.cookie[k] = (uint8_t)(0xc0 + k);
		m->hot.token[k] = (uint8_t)(0x70 + k);
	}
}

/* Message @type, @variant: the fields and options mh_tshark.sh expects tshark to show. */
static void fill(struct mh_msg *m, uint8_t type, int variant)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	fill_rr(m);
	if (type == MH_BU && !variant) {
		m->bu.seq = 100;
		m->bu.flags = MH_BU_A | MH_BU_H;
		m->bu.lifetime = 150;
	} else if (type == MH_BU) {
		m->bu.seq = 101;
		m->bu.lifetime = 60;
		m->opt.has_altcoa = true;
		m->opt.altcoa = a6("2001:db8:2::200");
		m->opt.has_nonce = true;
		m->opt.home_nonce_idx = 3;
		m->opt.coa_nonce_idx = 4;
		m->opt.has_auth = true;      /* filled by sign_bu */
	} else if (type == MH_BA && variant == 0) {
		m->ba.flags = MH_BA_K;
		m->ba.seq = 100;
		m->ba.lifetime = 150;
	} else if (type == MH_BA && variant == 1) {
		m->ba.seq = 101;
		m->ba.lifetime = 60;
		m->opt.has_refresh = true;
		m->opt.refresh = 40;
		m->opt.has_auth = true;
		memset(m->opt.auth, 0xab, MH_AUTH_LEN);
	} else if (type == MH_BA) {
		m->ba.status = MH_BA_SEQ_OUT_OF_WINDOW;
		m->ba.seq = 55;
	} else if (type == MH_BE) {
		m->be.status = MH_BE_UNKNOWN_HAO;
		m->be.home = a6("2001:db8:1::100");
	}
}

int main(int argc, char **argv)
{
	/* Type, options, source, destination: who sends each in RFC 6275. */
	static const struct { uint8_t type; int variant; const char *src, *dst; } pk[] = {
		{ MH_BRR, 0, "2001:db8:3::3", "2001:db8:1::100" },
		{ MH_HOTI, 0, "2001:db8:1::100", "2001:db8:3::3" },
		{ MH_COTI, 0, "2001:db8:2::200", "2001:db8:3::3" },
		{ MH_HOT, 0, "2001:db8:3::3", "2001:db8:1::100" },
		{ MH_COT, 0, "2001:db8:3::3", "2001:db8:2::200" },
		{ MH_BU, 0, "2001:db8:1::100", "2001:db8:1::1" },
		{ MH_BU, 1, "2001:db8:1::100", "2001:db8:3::3" },
		{ MH_BA, 0, "2001:db8:1::1", "2001:db8:1::100" },
		{ MH_BA, 1, "2001:db8:3::3", "2001:db8:1::100" },
		{ MH_BA, 2, "2001:db8:1::1", "2001:db8:1::100" },
		{ MH_BE, 0, "2001:db8:3::3", "2001:db8:2::200" },
	};
	struct pcap_writer *w;
	uint8_t buf[256];

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE.pcap\n", argv[0]);
		return 1;
	}
	w = pcapw_open(argv[1]);
	if (!w) {
		perror(argv[1]);
		return 1;
	}
	for (unsigned i = 0; i < ARRAY_SIZE(pk); i++) {
		struct mh_msg m;
		size_t auth_off = 0;
		int n;

		fill(&m, pk[i].type, pk[i].variant);
		n = mh_build(&m, buf, sizeof(buf), &auth_off);
		if (n < 0 || (m.type == MH_BU && m.opt.has_auth && sign_bu(buf, auth_off)) ||
		    frame(w, i, buf, (size_t)n, pk[i].src, pk[i].dst)) {
			fprintf(stderr, "packet %u: failed\n", i);
			return 1;
		}
	}
	pcapw_close(w);
	return 0;
}
