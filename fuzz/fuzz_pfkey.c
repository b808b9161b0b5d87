/*
 * libFuzzer target for the PF_KEY codec (src/pfkey): each input is one
 * message, parsed from an exact-size 8-byte-aligned copy (so a read past
 * the end is caught), checked against its type's rules and converted to
 * SAD/SPD terms. What converts is built back into a message with the
 * codec's own builder, parsed and converted again, and must come out the
 * same: the parser and the builder agree on every message either accepts.
 */
#include <stdlib.h>
#include "pfkey/pfkey_codec.h"
#include "crypto/crypto.h"

static void same_or_abort(const void *a, const void *b, size_t n)
{
	if (memcmp(a, b, n))
		abort();
}

/* cfg -> ADD -> parse -> cfg' == cfg. */
static void sa_again(const struct pfkey_msg *m, const struct xfrm_sa_cfg *cfg)
{
	struct xfrm_sa_cfg back;
	struct pfkey_buf b;
	struct pfkey_msg m2;

	if (pfkey_buf_init(&b, SADB_ADD, m->hdr->sadb_msg_satype, 0, 0) < 0)
		abort();
	if (pfkey_add_sa_cfg(&b, cfg, true) == 0 && pfkey_buf_finish(&b) == 0) {
		if (pfkey_parse(b.data, b.len, &m2) < 0 || pfkey_to_sa_cfg(&m2, &back, NULL) < 0)
			abort();
		same_or_abort(&back.id.daddr, &cfg->id.daddr, 16);
		same_or_abort(&back.saddr, &cfg->saddr, 16);
		if (back.id.spi != cfg->id.spi || back.replay_window != cfg->replay_window ||
		    back.mode != cfg->mode || back.reqid != cfg->reqid || back.flags != cfg->flags ||
		    back.enc.key_len != cfg->enc.key_len || back.auth.key_len != cfg->auth.key_len ||
		    strcmp(back.enc.name, cfg->enc.name) || strcmp(back.auth.name, cfg->auth.name) ||
		    strcmp(back.comp.name, cfg->comp.name) || back.encap.type != cfg->encap.type)
			abort();
		same_or_abort(back.enc.key, cfg->enc.key, cfg->enc.key_len);
		same_or_abort(back.auth.key, cfg->auth.key, cfg->auth.key_len);
		crypto_wipe(&back, sizeof(back));
	}
	pfkey_buf_free(&b);
}

/* policy -> SPDADD -> parse -> policy' == policy (when the selector is there to build). */
static void policy_again(const struct xfrm_policy *pol)
{
	struct xfrm_policy back;
	struct pfkey_buf b;
	struct pfkey_msg m2;

	if (pfkey_buf_init(&b, SADB_X_SPDADD, 0, 0, 0) < 0)
		abort();
	if (pol->sel.family && pfkey_add_policy(&b, pol) == 0 && pfkey_buf_finish(&b) == 0) {
		if (pfkey_parse(b.data, b.len, &m2) < 0 || pfkey_check(&m2) < 0 ||
		    pfkey_to_policy(&m2, &back, NULL) < 0)
			abort();
		if (back.dir != pol->dir || back.action != pol->action || back.ntmpl != pol->ntmpl ||
		    back.priority != pol->priority || back.index != pol->index ||
		    back.sel.splen != pol->sel.splen || back.sel.dplen != pol->sel.dplen ||
		    back.sel.proto != pol->sel.proto || back.sel.sport != pol->sel.sport ||
		    back.sel.dport != pol->sel.dport)
			abort();
		for (unsigned i = 0; i < pol->ntmpl; i++)
			if (back.tmpl[i].proto != pol->tmpl[i].proto || back.tmpl[i].mode != pol->tmpl[i].mode ||
			    back.tmpl[i].level != pol->tmpl[i].level || back.tmpl[i].reqid != pol->tmpl[i].reqid ||
			    memcmp(&back.tmpl[i].daddr, &pol->tmpl[i].daddr, 16))
				abort();
	}
	pfkey_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t *buf = malloc(size ? (size + 7) / 8 * 8 : 8);
	struct xfrm_sa_cfg cfg;
	struct xfrm_policy pol;
	struct pfkey_msg m;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	/* Exact size for the parser: the rounded-up tail is never counted in. */
	if (pfkey_parse(buf, size, &m) == 0) {
		if (m.len != size || !m.hdr)
			abort();
		(void)pfkey_msg_type_name(m.hdr->sadb_msg_type);
		if (pfkey_check(&m) == 0) {
			if (pfkey_satype_to_proto(m.hdr->sadb_msg_satype) &&
			    pfkey_to_sa_cfg(&m, &cfg, NULL) == 0) {
				if (m.ext[SADB_EXT_SA])   /* else no algorithms were read: not an ADD */
					sa_again(&m, &cfg);
				crypto_wipe(&cfg, sizeof(cfg));
			}
			if (m.ext[SADB_X_EXT_POLICY] && pfkey_to_policy(&m, &pol, NULL) == 0)
				policy_again(&pol);
		}
	} else if (!m.why) {
		abort();   /* every refusal names its reason */
	}
	free(buf);
	return 0;
}
