/* Extension copying for the PF_KEY server (pfkey_server_util.h). */
#include "pfkey/pfkey_server_util.h"

int pfkey_copy_exts(struct pfkey_buf *b, const struct pfkey_msg *m, uint64_t keep)
{
	keep &= ~PFKEY_EXT_KEYS;
	for (unsigned t = 1; t < PFKEY_EXT_SLOTS; t++) {
		const struct sadb_ext *e = m->ext[t];
		size_t len;
		void *p;

		if (!e || !(keep & PFKEY_EXT_BIT(t)))
			continue;
		len = PFKEY_UNUNIT64((size_t)e->sadb_ext_len);   /* checked by pfkey_parse */
		p = pfkey_buf_ext(b, (uint16_t)t, len);
		if (!p)
			return b->err;
		memcpy(p, e, len);
	}
	return b->err;
}

int pfkey_copy_buf_exts(struct pfkey_buf *b, struct pfkey_buf *from, uint64_t keep)
{
	struct pfkey_msg m;
	int rc = pfkey_buf_finish(from);

	if (rc < 0)
		return rc;
	rc = pfkey_parse(from->data, from->len, &m);
	if (rc < 0)
		return rc;
	return pfkey_copy_exts(b, &m, keep);
}
