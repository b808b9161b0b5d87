/*
 * setkey statements as PF_KEY requests (RFC 2367 3.1, KAME's SPD messages
 * for the policy statements), the error text for a refused request, and
 * SA/policy messages printed in `setkey -D`/`-DP` form through the one
 * printer of setkey_print.c. See setkey_pfkey.h.
 */
#include <stdio.h>
#include <string.h>
#include "setkey/setkey_pfkey.h"
#include "proto/ip4.h"

bool setkey_pfkey_has_twin(const struct setkey_op *op)
{
	return (op->flags & SETKEY_F_WITH_FWD) &&
	       (op->type == SETKEY_SPDADD || op->type == SETKEY_SPDUPDATE ||
		op->type == SETKEY_SPDDELETE);
}

static uint8_t alg_id(enum crypto_kind kind, const struct xfrm_algo *a)
{
	const struct crypto_alg *alg = a->name[0] ? crypto_alg_by_name(kind, a->name) : NULL;

	return alg ? alg->sadb_id : 0;
}

static int add_sa_addresses(struct pfkey_buf *b, const struct xfrm_sa_cfg *c)
{
	pfkey_add_address(b, SADB_EXT_ADDRESS_SRC, &c->saddr, c->family, 0, 0xff, 0);
	return pfkey_add_address(b, SADB_EXT_ADDRESS_DST, &c->id.daddr, c->family, 0, 0xff, 0);
}

static void add_lifetimes(struct pfkey_buf *b, const struct xfrm_lifetime *l)
{
	/* RFC 2367 2.3.4: allocations count packets here, as on Linux. */
	if (l->hard_packets || l->hard_bytes || l->hard_add_s || l->hard_use_s)
		pfkey_add_lifetime(b, SADB_EXT_LIFETIME_HARD, (uint32_t)MIN(l->hard_packets, UINT32_MAX),
				   l->hard_bytes, l->hard_add_s, l->hard_use_s);
	if (l->soft_packets || l->soft_bytes || l->soft_add_s || l->soft_use_s)
		pfkey_add_lifetime(b, SADB_EXT_LIFETIME_SOFT, (uint32_t)MIN(l->soft_packets, UINT32_MAX),
				   l->soft_bytes, l->soft_add_s, l->soft_use_s);
}

/* SA, SA2, lifetimes, addresses, keys, NAT-T: an ADD or UPDATE (RFC 2367 3.1.2, 3.1.3). */
static int build_add(const struct setkey_op *op, struct pfkey_buf *b)
{
	const struct xfrm_sa_cfg *c = &op->sa;
	bool comp = c->id.proto == IPPROTO_COMP;
	uint8_t enc = comp ? alg_id(CRYPTO_COMP, &c->comp) : alg_id(CRYPTO_ENC, &c->enc);
	uint8_t mode = op->flags & SETKEY_F_MODE_ANY ? IPSEC_MODE_ANY : pfkey_mode_from_xfrm(c->mode);

	if (comp && !enc)
		enc = SADB_X_CALG_DEFLATE;
	pfkey_add_sa(b, c->id.spi, c->replay_window, SADB_SASTATE_MATURE, alg_id(CRYPTO_AUTH, &c->auth),
		     enc, c->flags & XFRM_SA_F_ESN ? SADB_X_SAFLAGS_ESN : 0);
	pfkey_add_sa2(b, mode, c->reqid);
	if (c->replay_window > PFKEY_REPLAY_SA_MAX)
		pfkey_add_sa_replay(b, c->replay_window);
	add_lifetimes(b, &c->lft);
	add_sa_addresses(b, c);
	if (c->auth.key_len)
		pfkey_add_key(b, SADB_EXT_KEY_AUTH, c->auth.key_len * 8u, c->auth.key);
	if (c->enc.key_len && !comp)
		pfkey_add_key(b, SADB_EXT_KEY_ENCRYPT, c->enc.key_len * 8u, c->enc.key);
	if (op->flags & SETKEY_F_NATT)
		pfkey_add_natt(b, (uint8_t)c->encap.type, c->encap.sport, c->encap.dport);
	return b->err;
}

/* RFC 2367 3.1.1: the SPI from a range; setkey's spi, or any free one when it is 0. */
static int build_getspi(const struct setkey_op *op, struct pfkey_buf *b)
{
	const struct xfrm_sa_cfg *c = &op->sa;
	uint32_t max = c->id.proto == IPPROTO_COMP ? 0xffff : UINT32_MAX;
	uint8_t mode = op->flags & SETKEY_F_MODE_ANY ? IPSEC_MODE_ANY : pfkey_mode_from_xfrm(c->mode);

	pfkey_add_sa2(b, mode, c->reqid);
	add_sa_addresses(b, c);
	return pfkey_add_spirange(b, c->id.spi ? c->id.spi : XFRM_SPI_MIN, c->id.spi ? c->id.spi : max);
}

/* GET and DELETE name the SA by SA (SPI) and the addresses (RFC 2367 3.1.4, 3.1.5). */
static int build_id(const struct setkey_op *op, struct pfkey_buf *b)
{
	pfkey_add_sa(b, op->sa.id.spi, 0, 0, 0, 0, 0);
	return add_sa_addresses(b, &op->sa);
}

static int build_policy(const struct setkey_op *op, enum setkey_pfkey_part part, struct pfkey_buf *b)
{
	struct xfrm_policy pol = op->pol;

	if (part == SETKEY_PART_FWD_TWIN)
		pol.dir = XFRM_DIR_FWD;
	if (op->type == SETKEY_SPDDELETE || part == SETKEY_PART_UNDO) {
		pol.ntmpl = 0;   /* KAME: the selector and direction name the policy */
		memset(&pol.lft, 0, sizeof(pol.lft));
	}
	/* setkey's language gives policies no lifetimes (ipsec-tools' spdadd has none); an op may. */
	if (pfkey_add_policy(b, &pol) < 0)
		return -EINVAL;
	return pfkey_add_policy_lifetimes(b, &pol);
}

static uint8_t request_type(const struct setkey_op *op, enum setkey_pfkey_part part)
{
	static const uint8_t types[SETKEY_OP_MAX] = {
		[SETKEY_ADD] = SADB_ADD, [SETKEY_UPDATE] = SADB_UPDATE,
		[SETKEY_GETSPI] = SADB_GETSPI, [SETKEY_GET] = SADB_GET,
		[SETKEY_DELETE] = SADB_DELETE, [SETKEY_DELETEALL] = SADB_DUMP,
		[SETKEY_FLUSH] = SADB_FLUSH, [SETKEY_DUMP] = SADB_DUMP,
		[SETKEY_SPDADD] = SADB_X_SPDADD, [SETKEY_SPDUPDATE] = SADB_X_SPDUPDATE,
		[SETKEY_SPDDELETE] = SADB_X_SPDDELETE, [SETKEY_SPDFLUSH] = SADB_X_SPDFLUSH,
		[SETKEY_SPDDUMP] = SADB_X_SPDDUMP,
	};

	if (part == SETKEY_PART_UNDO)
		return SADB_X_SPDDELETE;
	return (unsigned)op->type < SETKEY_OP_MAX ? types[op->type] : 0;
}

static uint8_t request_satype(const struct setkey_op *op)
{
	switch (op->type) {
	case SETKEY_FLUSH:
	case SETKEY_DUMP:
		return pfkey_proto_to_satype(op->proto);
	case SETKEY_SPDADD: case SETKEY_SPDUPDATE: case SETKEY_SPDDELETE:
	case SETKEY_SPDFLUSH: case SETKEY_SPDDUMP:
		return SADB_SATYPE_UNSPEC;
	default:
		return pfkey_proto_to_satype(op->sa.id.proto);
	}
}

int setkey_pfkey_request(const struct setkey_op *op, enum setkey_pfkey_part part, uint32_t seq,
			 uint32_t pid, struct pfkey_buf *b)
{
	uint8_t type = request_type(op, part);
	int rc = pfkey_buf_init(b, type, request_satype(op), seq, pid);

	if (rc < 0)
		return rc;
	if (!type || (part != SETKEY_PART_MAIN && !setkey_pfkey_has_twin(op)))
		return -EINVAL;
	switch (op->type) {
	case SETKEY_ADD:
	case SETKEY_UPDATE:
		rc = build_add(op, b);
		break;
	case SETKEY_GETSPI:
		rc = build_getspi(op, b);
		break;
	case SETKEY_GET:
	case SETKEY_DELETE:
		rc = build_id(op, b);
		break;
	case SETKEY_SPDADD:
	case SETKEY_SPDUPDATE:
	case SETKEY_SPDDELETE:
		rc = build_policy(op, part, b);
		break;
	default:
		break;   /* FLUSH, DUMP, DELETEALL's DUMP, SPDFLUSH, SPDDUMP: the header alone */
	}
	return rc < 0 ? rc : pfkey_buf_finish(b);
}

bool setkey_pfkey_deleteall_match(const struct setkey_op *op, const struct pfkey_msg *m)
{
	struct pfkey_addr src, dst;

	if (pfkey_get_address(m, SADB_EXT_ADDRESS_SRC, &src) < 0 ||
	    pfkey_get_address(m, SADB_EXT_ADDRESS_DST, &dst) < 0)
		return false;
	return in6_equal(&src.addr, &op->sa.saddr) && in6_equal(&dst.addr, &op->sa.id.daddr);
}

int setkey_pfkey_delete_of(const struct pfkey_msg *m, uint32_t seq, uint32_t pid, struct pfkey_buf *b)
{
	struct pfkey_addr src, dst;
	int rc = pfkey_buf_init(b, SADB_DELETE, m->hdr->sadb_msg_satype, seq, pid);

	if (rc < 0)
		return rc;
	if (pfkey_get_address(m, SADB_EXT_ADDRESS_SRC, &src) < 0 ||
	    pfkey_get_address(m, SADB_EXT_ADDRESS_DST, &dst) < 0)
		return -EINVAL;
	pfkey_add_sa(b, pfkey_get_spi(m), 0, 0, 0, 0, 0);
	pfkey_add_address(b, SADB_EXT_ADDRESS_SRC, &src.addr, src.family, 0, 0xff, 0);
	pfkey_add_address(b, SADB_EXT_ADDRESS_DST, &dst.addr, dst.family, 0, 0xff, 0);
	return pfkey_buf_finish(b);
}

/* ---- Refusals: the same text setkey_apply() gives ------------------------------------ */

static const char *addr_str(const struct in6_addr *a, char *buf)
{
	char b4[INET_ADDRSTRLEN];

	if (in6_is_v4mapped(a))
		return strcpy(buf, inet_ntop(AF_INET, a->s6_addr + 12, b4, sizeof(b4)));
	return in6_ntop(a, buf);
}

/* "esp SA to 2001:db8::2 spi 4096(0x00001000)" */
static const char *sa_desc(const struct setkey_op *op, char *buf, size_t size)
{
	const char *p = op->sa.id.proto == IPPROTO_ESP ? "esp" : op->sa.id.proto == IPPROTO_AH ? "ah" :
			"ipcomp";
	char a[INET6_ADDRSTRLEN];

	snprintf(buf, size, "%s SA to %s spi %u(0x%08x)", p, addr_str(&op->sa.id.daddr, a),
		 op->sa.id.spi, op->sa.id.spi);
	return buf;
}

/* Why the node refused an SA (EINVAL carries no reason): ask the crypto layer, as setkey_apply does. */
static const char *sa_refusal(const struct setkey_op *op)
{
	const char *why = "the SAD refused the configuration";
	const struct crypto_alg *enc, *auth = NULL;
	struct crypto_ctx *c = NULL;

	if (op->sa.id.proto == IPPROTO_COMP)
		return why;
	enc = crypto_alg_by_name(CRYPTO_ENC, op->sa.enc.name[0] ? op->sa.enc.name : "null");
	if (op->sa.auth.name[0])
		auth = crypto_alg_by_name(CRYPTO_AUTH, op->sa.auth.name);
	if (enc && crypto_ctx_new(&c, enc, op->sa.enc.key, op->sa.enc.key_len, auth,
				  op->sa.auth.key, op->sa.auth.key_len, &why) == -EINVAL)
		return why;
	crypto_ctx_free(c);
	return "the SAD refused the configuration";
}

static const char *const dir_names[] = { "in", "out", "fwd" };

static void spd_refusal(const struct setkey_op *op, int err, const char *what, char *t, size_t n)
{
	if (err == -EEXIST)
		snprintf(t, n, "%s: a policy with this selector exists for direction %s "
			 "(spdupdate replaces it)", what, dir_names[op->pol.dir % 3]);
	else if (err == -EINVAL)
		snprintf(t, n, "%s: the SPD refused the policy", what);
	else if (err == -ENOSPC)
		snprintf(t, n, "%s: the SPD is full", what);
	else
		snprintf(t, n, "%s: %s", what, strerror(-err));
}

static void sa_refusal_text(const struct setkey_op *op, int err, char *t, size_t n)
{
	static const char *const what[SETKEY_OP_MAX] = {
		[SETKEY_ADD] = "add", [SETKEY_UPDATE] = "update", [SETKEY_GETSPI] = "getspi",
		[SETKEY_GET] = "get", [SETKEY_DELETE] = "delete", [SETKEY_DELETEALL] = "deleteall",
		[SETKEY_FLUSH] = "flush", [SETKEY_DUMP] = "dump",
	};
	bool missing = err == -ESRCH || err == -ENOENT;
	char d[96];

	sa_desc(op, d, sizeof(d));
	if (op->type == SETKEY_ADD && err == -EEXIST)
		snprintf(t, n, "add: the %s exists", d);
	else if (op->type == SETKEY_UPDATE && missing)
		snprintf(t, n, "update: no %s (add it, or getspi first)", d);
	else if ((op->type == SETKEY_ADD || op->type == SETKEY_UPDATE) && err == -EINVAL)
		snprintf(t, n, "%s: %s refused: %s", what[op->type], d, sa_refusal(op));
	else if (op->type == SETKEY_GETSPI && (err == -EAGAIN || err == -EEXIST))
		snprintf(t, n, op->sa.id.spi ? "getspi: SPI %u is in use" : "getspi: no free SPI",
			 op->sa.id.spi);
	else if ((op->type == SETKEY_GET || op->type == SETKEY_DELETE) && missing)
		snprintf(t, n, "%s: no %s", what[op->type], d);
	else
		snprintf(t, n, "%s: %s", what[op->type] ? what[op->type] : "setkey", strerror(-err));
}

void setkey_pfkey_refusal(const struct setkey_op *op, enum setkey_pfkey_part part, int err,
			  struct setkey_msg *msg)
{
	const char *what = op->type == SETKEY_SPDUPDATE ? "spdupdate" : "spdadd";
	char *t = msg->text;
	size_t n = sizeof(msg->text);

	msg->line = op->line;
	msg->col = op->col;
	if (err > 0)
		err = -err;
	switch (op->type) {
	case SETKEY_SPDADD:
	case SETKEY_SPDUPDATE:
		spd_refusal(op, err, what, t, n);
		if (part == SETKEY_PART_FWD_TWIN)
			snprintf(t + strlen(t), n - strlen(t), " (its fwd twin; -k installs in alone)");
		break;
	case SETKEY_SPDDELETE:
		if (err == -ENOENT || err == -ESRCH)
			snprintf(t, n, "spddelete: no %s policy with this selector",
				 dir_names[op->pol.dir % 3]);
		else
			snprintf(t, n, "spddelete: %s", strerror(-err));
		break;
	case SETKEY_SPDFLUSH:
	case SETKEY_SPDDUMP:
		snprintf(t, n, "%s: %s", op->type == SETKEY_SPDFLUSH ? "spdflush" : "spddump",
			 strerror(-err));
		break;
	default:
		sa_refusal_text(op, err, t, n);
		break;
	}
}
