/* ESP encapsulation and decapsulation (RFC 4303) on struct pkt. */
#include "xfrm/esp.h"

#include "core/stack.h"

/*
 * @n rounded up to a multiple of @blk. Every cipher block (and RFC 4303's
 * 4-byte minimum) is a power of two: a mask, not a division, which costs
 * tens of cycles per packet; the division stays for any other size.
 */
static inline size_t round_up(size_t n, size_t blk)
{
	if ((blk & (blk - 1)) == 0)
		return (n + blk - 1) & ~(blk - 1);
	return (n + blk - 1) / blk * blk;
}

/*
 * A big-endian 32-bit store as one byte swap and one store: the byte-wise
 * put_be32 compiles to a chain of shifts and ors, twice per packet here.
 */
static inline void store_be32(uint8_t *b, uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	memcpy(b, &v, 4);
}

/* RFC 4303 2.4: the default padding bytes 1, 2, 3, ... (at most 255 of them). */
static const uint8_t pad_bytes[255] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
	25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46,
	47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68,
	69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90,
	91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109,
	110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126,
	127, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 140, 141, 142, 143,
	144, 145, 146, 147, 148, 149, 150, 151, 152, 153, 154, 155, 156, 157, 158, 159, 160,
	161, 162, 163, 164, 165, 166, 167, 168, 169, 170, 171, 172, 173, 174, 175, 176, 177,
	178, 179, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 190, 191, 192, 193, 194,
	195, 196, 197, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211,
	212, 213, 214, 215, 216, 217, 218, 219, 220, 221, 222, 223, 224, 225, 226, 227, 228,
	229, 230, 231, 232, 233, 234, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245,
	246, 247, 248, 249, 250, 251, 252, 253, 254, 255,
};

/* What the codec needs of the SA's algorithms, read inline from the context once per packet. */
struct esp_geom {
	size_t hl;              /* header + IV */
	size_t blk;             /* padding alignment */
	size_t icv;
	bool aead;
};

static inline struct esp_geom geom(const struct esp_sa_params *sa)
{
	const struct crypto_geom *g = crypto_ctx_geom(sa->c);

	return (struct esp_geom){ .hl = ESP_HDR_LEN + g->iv_len, .blk = g->block,
				  .icv = g->icv_len, .aead = g->aead };
}

/* RFC 4303 2.4: payload + pad length + next header, padded to the block. */
static inline size_t pad_to(const struct esp_geom *g, size_t len)
{
	return round_up(len + ESP_TRAILER_LEN, g->blk);
}

/*
 * RFC 4106 5 (and RFC 7634 2.1 by reference): the AAD is SPI || seq, or
 * SPI || seq high || seq low with ESN. Returns its length.
 */
static size_t aead_aad(const struct esp_sa_params *sa, const uint8_t *hdr, uint32_t seq_hi,
		       uint8_t aad[12])
{
	memcpy(aad, hdr, 4);
	if (!sa->esn) {
		memcpy(aad + 4, hdr + 4, 4);
		return 8;
	}
	put_be32(aad + 4, seq_hi);
	memcpy(aad + 8, hdr + 4, 4);
	return 12;
}

/*
 * RFC 4303 2.2.1: with ESN the ICV covers the high 32 bits of the sequence
 * number as if appended after the trailer. They are written where the ICV
 * goes (every integrity algorithm's ICV is >= 4 bytes), so the MAC always
 * runs over one contiguous buffer; the ICV then overwrites them.
 */
static size_t auth_len(const struct esp_sa_params *sa, uint8_t *icv, size_t len,
		       uint32_t seq_hi)
{
	if (!sa->esn)
		return len;
	put_be32(icv, seq_hi);
	return len + 4;
}

static int seal(const struct esp_sa_params *sa, const struct esp_geom *g, uint8_t *hdr,
		size_t ct_len, uint32_t seq_hi)
{
	size_t hl = g->hl;
	uint8_t *ct = hdr + hl, *icv = ct + ct_len;
	uint8_t aad[12];
	size_t alen;
	int rc;

	if (g->aead) {
		alen = aead_aad(sa, hdr, seq_hi, aad);
		return crypto_encrypt(sa->c, hdr + ESP_HDR_LEN, aad, alen, ct, ct_len, icv);
	}
	rc = crypto_encrypt(sa->c, hdr + ESP_HDR_LEN, NULL, 0, ct, ct_len, NULL);
	if (rc || !g->icv)      /* no integrity algorithm */
		return rc;
	return crypto_auth(sa->c, hdr, auth_len(sa, icv, hl + ct_len, seq_hi), icv);
}

int esp_encap_iv(const struct esp_sa_params *sa, struct pkt *p, uint8_t next_header,
		 uint64_t seq, const uint8_t *iv)
{
	const struct esp_geom g = geom(sa);
	size_t hl = g.hl, len = p->len;
	size_t ct_len = pad_to(&g, len);
	size_t pad = ct_len - len - ESP_TRAILER_LEN;
	size_t icv_len = g.icv;
	uint8_t *tail, *hdr;
	int rc;

	if (pkt_headroom(p) < hl || pkt_tailroom(p) < ct_len - len + icv_len)
		return -ENOBUFS;
	tail = p->data + len;
	p->len += (uint32_t)(ct_len - len + icv_len);
	memcpy(tail, pad_bytes, pad);   /* pad < blk <= 255 */
	tail[pad] = (uint8_t)pad;
	tail[pad + 1] = next_header;
	hdr = pkt_push(p, hl);
	store_be32(hdr, sa->spi);
	store_be32(hdr + 4, (uint32_t)seq);
	if (iv)
		memcpy(hdr + ESP_HDR_LEN, iv, hl - ESP_HDR_LEN);
	else
		crypto_next_iv(sa->c, seq, hdr + ESP_HDR_LEN);
	rc = seal(sa, &g, hdr, ct_len, (uint32_t)(seq >> 32));
	return rc ? -EIO : 0;
}

int esp_encap(const struct esp_sa_params *sa, struct pkt *p, uint8_t next_header, uint64_t seq)
{
	return esp_encap_iv(sa, p, next_header, seq, NULL);
}

int esp_peek(const struct pkt *p, uint32_t *spi, uint32_t *seq_lo)
{
	const uint8_t *h = pkt_header(p, 0, ESP_HDR_LEN, NULL);

	if (!h)
		return -EMSGSIZE;
	*spi = get_be32(h);
	*seq_lo = get_be32(h + 4);
	return 0;
}

/* Authenticates (non-AEAD, before decrypting) and decrypts; 0, -EBADMSG or -EIO. */
static int open_payload(const struct esp_sa_params *sa, const struct esp_geom *g, uint8_t *hdr,
			size_t ct_len, uint32_t seq_hi)
{
	size_t hl = g->hl, icv_len = g->icv;
	uint8_t *ct = hdr + hl, *icv = ct + ct_len;
	uint8_t aad[12], want[CRYPTO_MAX_ICV];
	size_t alen;
	int rc;

	if (g->aead) {
		alen = aead_aad(sa, hdr, seq_hi, aad);
		return crypto_decrypt(sa->c, hdr + ESP_HDR_LEN, aad, alen, ct, ct_len, icv);
	}
	if (icv_len) {          /* an integrity algorithm */
		memcpy(want, icv, icv_len);
		rc = crypto_auth_verify(sa->c, hdr, auth_len(sa, icv, hl + ct_len, seq_hi), want);
		if (rc)
			return rc;
	}
	return crypto_decrypt(sa->c, hdr + ESP_HDR_LEN, NULL, 0, ct, ct_len, NULL);
}

/* RFC 4303 2.4: pad length within the payload, padding bytes 1, 2, 3, ... */
static int check_trailer(const uint8_t *pt, size_t ct_len, size_t *pad_out)
{
	size_t pad = pt[ct_len - 2];

	if (pad + ESP_TRAILER_LEN > ct_len)
		return -EINVAL;
	for (size_t i = 0; i < pad; i++)
		if (pt[ct_len - ESP_TRAILER_LEN - pad + i] != (uint8_t)(i + 1))
			return -EINVAL;
	*pad_out = pad;
	return 0;
}

int esp_decap(const struct esp_sa_params *sa, struct pkt *p, uint32_t seq_hi)
{
	const struct esp_geom g = geom(sa);
	size_t hl = g.hl, icv_len = g.icv, blk = g.blk, ct_len, pad;
	uint8_t *hdr, nh;
	int rc;

	if (p->len < hl + ESP_TRAILER_LEN + icv_len)
		return -EMSGSIZE;
	ct_len = p->len - hl - icv_len;
	/* CBC needs whole blocks; RFC 4303 2.4 asks 4-byte alignment of every payload. */
	if (round_up(ct_len, blk) != ct_len)
		return -EMSGSIZE;
	hdr = p->data;
	rc = open_payload(sa, &g, hdr, ct_len, seq_hi);
	if (rc)
		return rc == -EBADMSG ? rc : -EIO;
	rc = check_trailer(hdr + hl, ct_len, &pad);
	if (rc)
		return rc;
	nh = hdr[hl + ct_len - 1];
	pkt_pull(p, hl);
	pkt_trim(p, ct_len - ESP_TRAILER_LEN - pad);
	return nh;
}

void esp_count_input(struct stack *st, int rc)
{
	switch (rc) {
	case ESP_NH_DUMMY: STAT_INC(st, esp_in_dummy); break;
	case -EMSGSIZE: STAT_INC(st, esp_in_truncated); break;
	case -EBADMSG: STAT_INC(st, esp_in_icv_fail); break;
	case -EINVAL: STAT_INC(st, esp_in_bad_pad); break;
	default:
		if (rc < 0)
			STAT_INC(st, esp_in_crypto_fail);
		else
			STAT_INC(st, esp_in_ok);
	}
}

void esp_count_output(struct stack *st, int rc)
{
	if (rc == -ENOBUFS)
		STAT_INC(st, esp_out_nobufs);
	else if (rc < 0)
		STAT_INC(st, esp_out_crypto_fail);
	else
		STAT_INC(st, esp_out_ok);
}
