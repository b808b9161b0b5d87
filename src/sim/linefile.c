#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "sim/linefile.h"

#define LINEFILE_MAX 4096     /* longer lines are split */

struct linefile {
	linefile_fn fn;
	void *ctx;
	size_t len;
	char buf[LINEFILE_MAX + 1];
};

static void emit(struct linefile *lf)
{
	lf->buf[lf->len] = '\0';
	lf->fn(lf->ctx, lf->buf);
	lf->len = 0;
}

static ssize_t lf_write(void *cookie, const char *data, size_t n)
{
	struct linefile *lf = cookie;

	for (size_t i = 0; i < n; i++) {
		if (data[i] == '\n') {
			emit(lf);
			continue;
		}
		if (lf->len == LINEFILE_MAX)
			emit(lf);
		lf->buf[lf->len++] = data[i];
	}
	return (ssize_t)n;
}

static int lf_close(void *cookie)
{
	struct linefile *lf = cookie;

	if (lf->len)
		emit(lf);
	free(lf);
	return 0;
}

FILE *linefile_open(linefile_fn fn, void *ctx)
{
	static const cookie_io_functions_t io = { .write = lf_write, .close = lf_close };
	struct linefile *lf = calloc(1, sizeof(*lf));
	FILE *f;

	if (!lf)
		return NULL;
	lf->fn = fn;
	lf->ctx = ctx;
	f = fopencookie(lf, "w", io);
	if (!f) {
		free(lf);
		return NULL;
	}
	setvbuf(f, NULL, _IONBF, 0);
	return f;
}
