/*
 * Small helpers the PF_KEY server needs beside the codec's builder
 * (pfkey_codec.h): copying whole extensions from one message into another.
 */
#ifndef USAGI_PFKEY_PFKEY_SERVER_UTIL_H
#define USAGI_PFKEY_PFKEY_SERVER_UTIL_H

#include "pfkey/pfkey_codec.h"

/* Bit of extension type @t in a copy mask. */
#define PFKEY_EXT_BIT(t) (1ull << (t))
/* Key extensions: never copied, whatever the mask says (their bytes would escape the wipe). */
#define PFKEY_EXT_KEYS (PFKEY_EXT_BIT(SADB_EXT_KEY_AUTH) | PFKEY_EXT_BIT(SADB_EXT_KEY_ENCRYPT))

/*
 * Appends to @b a copy of every extension of the parsed message @m whose
 * type bit is in @keep, in type order (RFC 2367 2.3's recommended order),
 * key extensions excepted. 0 or @b's sticky error.
 */
int pfkey_copy_exts(struct pfkey_buf *b, const struct pfkey_msg *m, uint64_t keep);

/*
 * The same from a message built in @from (finished or not: it is
 * finished first). 0, or the error of @from or @b.
 */
int pfkey_copy_buf_exts(struct pfkey_buf *b, struct pfkey_buf *from, uint64_t keep);

#endif
