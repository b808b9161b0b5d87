/*
 * Wireshark's ESP SA table (the `esp_sa` UAT): one record per ESP SA, so a
 * capture of usagi's traffic decrypts in Wireshark (the file in the
 * profile directory, ~/.config/wireshark/esp_sa) and in tshark (the same
 * records with `-o uat:esp_sa:RECORD`). A record is eight quoted fields:
 *
 *   "IPv6","2001:db8::1","2001:db8::2","0x00001000","AES-CBC [RFC3602]","0x<key>",
 *   "HMAC-SHA-1-96 [RFC2404]","0x<key>"
 *
 * The algorithm fields are Wireshark's own labels (tshark 4.0). SAs whose
 * algorithms Wireshark lacks (Serpent, ChaCha20-Poly1305, AES-XCBC, CAST
 * and Blowfish keys other than 128 bits) are written as `#` comments, which
 * the UAT reader skips. Wireshark 4.0 knows no ESN: such SAs are written
 * with a comment that their ICVs will not verify.
 */
#include <stdio.h>
#include "setkey/setkey.h"
#include "core/stack.h"
#include "proto/ip4.h"

struct ws_label {
	const char *name;        /* our setkey name */
	uint16_t key_bits;       /* 0: any length we accept */
	const char *label;
};

static const struct ws_label ws_enc[] = {
	{ "null", 0, "NULL" },
	{ "3des-cbc", 0, "TripleDES-CBC [RFC2451]" },
	{ "aes-cbc", 0, "AES-CBC [RFC3602]" },
	{ "aes-ctr", 0, "AES-CTR [RFC3686]" },
	{ "des-cbc", 0, "DES-CBC [RFC2405]" },
	{ "cast128-cbc", 128, "CAST5-CBC [RFC2144]" },
	{ "blowfish-cbc", 128, "BLOWFISH-CBC [RFC2451]" },
	{ "twofish-cbc", 0, "TWOFISH-CBC" },
	{ "aes-gcm-8", 0, "AES-GCM with 8 octet ICV [RFC4106]" },
	{ "aes-gcm-12", 0, "AES-GCM with 12 octet ICV [RFC4106]" },
	{ "aes-gcm-16", 0, "AES-GCM with 16 octet ICV [RFC4106]" },
};

static const struct ws_label ws_auth[] = {
	{ "null", 0, "NULL" },
	{ "hmac-sha1", 0, "HMAC-SHA-1-96 [RFC2404]" },
	{ "hmac-sha256", 0, "HMAC-SHA-256-128 [RFC4868]" },
	{ "hmac-sha384", 0, "HMAC-SHA-384-192 [RFC4868]" },
	{ "hmac-sha512", 0, "HMAC-SHA-512-256 [RFC4868]" },
	{ "hmac-md5", 0, "HMAC-MD5-96 [RFC2403]" },
	{ "hmac-ripemd160", 0, "MAC-RIPEMD-160-96 [RFC2857]" },
};

static const char *ws_find(const struct ws_label *t, size_t n, const struct xfrm_algo *a)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].name, a->name) && (!t[i].key_bits || t[i].key_bits == a->key_len * 8u))
			return t[i].label;
	return NULL;
}

/* Wireshark knows the algorithm, at some key length. */
static bool ws_known(const struct ws_label *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].name, name))
			return true;
	return false;
}

static const char *addr_str(const struct in6_addr *a, char *buf)
{
	char b4[INET_ADDRSTRLEN];

	if (in6_is_v4mapped(a))
		return strcpy(buf, inet_ntop(AF_INET, a->s6_addr + 12, b4, sizeof(b4)));
	return in6_ntop(a, buf);
}

static void put_key(FILE *f, const struct xfrm_algo *a)
{
	fputc('"', f);
	if (a->key_len) {
		fputs("0x", f);
		for (unsigned i = 0; i < a->key_len && i < sizeof(a->key); i++)
			fprintf(f, "%02x", a->key[i]);
	}
	fputc('"', f);
}

struct esp_sa_ctx {
	FILE *f;
	unsigned n;
};

static int write_one(struct stack *st, struct xfrm_state *x, void *ctx)
{
	static const struct xfrm_algo none = { .name = "null" };
	const struct xfrm_sa_cfg *c = &x->c;
	const struct xfrm_algo *auth = c->auth.name[0] ? &c->auth : &none;
	const char *enc_l, *auth_l;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	struct esp_sa_ctx *w = ctx;
	FILE *f = w->f;

	if (!xfrm_state_usable(x) || (c->flags & XFRM_SA_F_NOCRYPTO))
		return 0;
	enc_l = ws_find(ws_enc, ARRAY_SIZE(ws_enc), &c->enc);
	auth_l = ws_find(ws_auth, ARRAY_SIZE(ws_auth), auth);
	addr_str(&c->saddr, a);
	addr_str(&c->id.daddr, b);
	if (!enc_l || !auth_l) {
		const struct xfrm_algo *bad = !enc_l ? &c->enc : auth;

		fprintf(f, "# %s -> %s spi 0x%08x: %s", a, b, c->id.spi, bad->name);
		if (ws_known(!enc_l ? ws_enc : ws_auth, !enc_l ? ARRAY_SIZE(ws_enc) : ARRAY_SIZE(ws_auth),
			     bad->name))
			fprintf(f, " with a %u-bit key", bad->key_len * 8u);
		fputs(" not supported by Wireshark\n", f);
		return 0;
	}
	if (c->flags & XFRM_SA_F_ESN)
		fprintf(f, "# %s -> %s spi 0x%08x uses ESN, which Wireshark 4.0 does not "
			"know: its packets will not verify\n", a, b, c->id.spi);
	fprintf(f, "\"%s\",\"%s\",\"%s\",\"0x%08x\",\"%s\",", c->family == AF_INET ? "IPv4" : "IPv6",
		a, b, c->id.spi, enc_l);
	put_key(f, &c->enc);
	fprintf(f, ",\"%s\",", auth_l);
	put_key(f, auth);
	fputc('\n', f);
	w->n++;
	return 0;
}

unsigned setkey_write_esp_sa(FILE *f, struct stack *st)
{
	struct esp_sa_ctx ctx = { f, 0 };

	fputs("# Wireshark ESP SAs (esp_sa), written by usagi `ipsec esp-sa`.\n"
	      "# Copy to ~/.config/wireshark/esp_sa (or a profile's directory), or pass a line\n"
	      "# to tshark as -o 'uat:esp_sa:LINE'; then enable ESP decryption in the ESP preferences.\n",
	      f);
	xfrm_state_foreach(st, IPPROTO_ESP, write_one, &ctx);
	STAT_ADD(st, setkey_esp_sa_written, ctx.n);
	return ctx.n;
}
