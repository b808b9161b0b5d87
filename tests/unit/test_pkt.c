/* Packet buffers: bounds of push/pull/put/trim, pool exhaustion, accounting, copies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "core/pkt.h"

static void test_push_pull_put_trim(void **state)
{
	struct pkt_pool *pool = pkt_pool_new(4);
	struct pkt *p = pkt_alloc(pool, 16, 100);

	(void)state;
	assert_non_null(p);
	assert_int_equal(p->len, 0);
	assert_int_equal(pkt_headroom(p), 16);
	assert_true(pkt_tailroom(p) >= 100);
	uint8_t *d = pkt_put(p, 10);
	assert_non_null(d);
	memcpy(d, "0123456789", 10);
	assert_null(pkt_put(p, pkt_tailroom(p) + 1));
	assert_int_equal(p->len, 10);
	assert_null(pkt_push(p, 17));
	uint8_t *h = pkt_push(p, 16);
	assert_ptr_equal(h, p->head);
	assert_int_equal(p->len, 26);
	assert_null(pkt_push(p, 1));
	assert_ptr_equal(pkt_pull(p, 16), h);
	assert_null(pkt_pull(p, 11));
	assert_int_equal(p->len, 10);
	assert_memory_equal(p->data, "0123456789", 10);
	assert_int_equal(pkt_trim(p, 4), 0);
	assert_int_equal(p->len, 4);
	assert_int_equal(pkt_trim(p, 5), -EINVAL);
	assert_int_equal(pkt_trim(p, 4), 0);
	assert_null(pkt_header(p, 2, 3, NULL));
	assert_null(pkt_header(p, 5, 0, NULL));
	assert_non_null(pkt_header(p, 0, 4, NULL));
	assert_non_null(pkt_header(p, 4, 0, NULL));
	assert_null(pkt_header(p, SIZE_MAX, 2, NULL));
	pkt_free(p);
	assert_int_equal(pkt_pool_in_use(pool), 0);
	pkt_pool_free(pool);
}

static void test_pool_exhaustion_and_accounting(void **state)
{
	struct pkt_pool *pool = pkt_pool_new(2);
	struct pkt *a = pkt_alloc(pool, PKT_HEADROOM, 100), *b = pkt_alloc(pool, PKT_HEADROOM, 100);

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(pkt_pool_in_use(pool), 2);
	/* Pool empty: malloc takes over and is still counted. */
	struct pkt *c = pkt_alloc(pool, PKT_HEADROOM, 100);
	assert_non_null(c);
	assert_int_equal(pkt_pool_in_use(pool), 3);
	/* Larger than a pool buffer: malloc too. */
	struct pkt *big = pkt_alloc(pool, PKT_HEADROOM, 9000);
	assert_non_null(big);
	assert_true(pkt_tailroom(big) >= 9000);
	assert_non_null(pkt_put(big, 9000));
	assert_int_equal(pkt_pool_in_use(pool), 4);
	pkt_free(c);
	pkt_free(big);
	pkt_free(a);
	assert_int_equal(pkt_pool_in_use(pool), 1);
	/* A freed pool buffer is reused. */
	struct pkt *d = pkt_alloc(pool, PKT_HEADROOM, 10);
	assert_ptr_equal(d, a);
	a->next = b;
	d->next = b;
	pkt_free_chain(d);
	assert_int_equal(pkt_pool_in_use(pool), 0);
	pkt_free(NULL);
	/* No pool: plain malloc. */
	struct pkt *m = pkt_alloc(NULL, 8, 8);
	assert_non_null(m);
	assert_null(m->pool);
	pkt_free(m);
	pkt_pool_free(pool);
}

static void test_copy_and_from_bytes(void **state)
{
	struct pkt_pool *pool = pkt_pool_new(4);
	static const uint8_t bytes[] = { 1, 2, 3, 4, 5, 6, 7 };
	struct pkt *p = pkt_from_bytes(pool, bytes, sizeof(bytes));

	(void)state;
	assert_non_null(p);
	assert_int_equal(pkt_headroom(p), PKT_HEADROOM);
	assert_int_equal(p->len, sizeof(bytes));
	pkt_pull(p, 2);
	pkt_set_nh(p);
	p->flags = PKT_F_MCAST;
	p->tstamp = 77;
	memset(p->cb, 0xab, sizeof(p->cb));
	struct pkt *q = pkt_copy(pool, p);
	assert_non_null(q);
	assert_ptr_not_equal(q->data, p->data);
	assert_int_equal(q->len, 5);
	assert_memory_equal(q->data, bytes + 2, 5);
	assert_int_equal(pkt_headroom(q), pkt_headroom(p));
	assert_int_equal(q->nh, p->nh);
	assert_int_equal(q->flags, PKT_F_MCAST);
	assert_int_equal(q->tstamp, 77);
	assert_memory_equal(q->cb, p->cb, sizeof(p->cb));
	q->data[0] = 99; /* deep: the original is untouched */
	assert_int_equal(p->data[0], 3);
	assert_int_equal(pkt_pool_in_use(pool), 2);
	pkt_free(p);
	pkt_free(q);
	assert_int_equal(pkt_pool_in_use(pool), 0);
	pkt_pool_free(pool);
}

static void test_reserve_headroom(void **state)
{
	struct pkt_pool *pool = pkt_pool_new(1);
	struct pkt *p = pkt_alloc(pool, 4, 64);

	(void)state;
	memcpy(pkt_put(p, 6), "abcdef", 6);
	pkt_set_nh(p);
	pkt_pull(p, 2);
	pkt_set_th(p);
	assert_int_equal(pkt_reserve_headroom(p, 6), 0); /* already there: no move */
	assert_int_equal(pkt_headroom(p), 6);
	assert_int_equal(pkt_reserve_headroom(p, 100), 0);
	assert_true(pkt_headroom(p) >= 100);
	assert_memory_equal(p->data, "cdef", 4);
	/* Header offsets move with the data. */
	assert_memory_equal(pkt_th(p), "cdef", 4);
	assert_int_equal(pkt_th(p) - pkt_nh(p), 2);
	assert_int_equal(pkt_reserve_headroom(p, p->size), -ENOMEM);
	assert_memory_equal(p->data, "cdef", 4);
	pkt_free(p);
	pkt_pool_free(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_pull_put_trim),
		cmocka_unit_test(test_pool_exhaustion_and_accounting),
		cmocka_unit_test(test_copy_and_from_bytes),
		cmocka_unit_test(test_reserve_headroom),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
