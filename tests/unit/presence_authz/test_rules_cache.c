/* The shared cache of compiled pres-rules: hits give back the stored bytes, flushes forget, a
 * value compiled before a flush is never put back after it, the size limit holds, and the lock
 * is always released. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "rules_cache.h"

#include "../counting_store.h"

struct got {
	char v[64];
	size_t len;
};

static int copy(const unsigned char *v, size_t len, void *arg)
{
	struct got *g = arg;
	assert_int_equal(locked, 1);
	assert_true(len < sizeof(g->v));
	memcpy(g->v, v, len);
	g->len = len;
	return 0;
}

static int put(struct rcache *c, const char *k, const char *v, unsigned long gen)
{
	return rcache_put(c, k, strlen(k), (const unsigned char *)v, strlen(v), gen);
}

static void test_hit_miss_replace(void **state)
{
	(void)state;
	struct rcache *c = rcache_new(4, 0, &ops);
	struct got g;
	struct rcache_stats s;
	assert_non_null(c);
	assert_int_equal(rcache_get(c, "alice@ims.example", 17, copy, &g), 1);
	assert_int_equal(put(c, "alice@ims.example", "policy-a", rcache_generation(c)), 0);
	assert_int_equal(put(c, "bob@ims.example", "policy-b", rcache_generation(c)), 0);
	assert_int_equal(rcache_get(c, "alice@ims.example", 17, copy, &g), 0);
	assert_int_equal(g.len, 8);
	assert_memory_equal(g.v, "policy-a", 8);
	/* one presentity, one entry, whatever the case of its host */
	assert_int_equal(put(c, "alice@IMS.example", "policy-a2", rcache_generation(c)), 0);
	assert_int_equal(rcache_get(c, "alice@ims.example", 17, copy, &g), 0);
	assert_memory_equal(g.v, "policy-a2", 9);
	/* a key that is a prefix of another is another key */
	assert_int_equal(rcache_get(c, "alice@ims.exampl", 16, copy, &g), 1);
	rcache_stats(c, &s);
	assert_int_equal(s.entries, 2);
	assert_int_equal(s.hits, 2);
	assert_int_equal(s.misses, 2);
	rcache_destroy(c);
	assert_int_equal(allocated, 0);
	assert_int_equal(locked, 0);
}

static void test_flush_and_stale_put(void **state)
{
	(void)state;
	struct rcache *c = rcache_new(2, 0, &ops);
	struct got g;
	struct rcache_stats s;
	unsigned long before = rcache_generation(c);
	assert_int_equal(put(c, "alice@ims.example", "old", before), 0);
	/* a worker read the old rules from the database ... */
	unsigned long read_at = rcache_generation(c);
	/* ... meanwhile alice put new rules over Ut: the entry is flushed */
	assert_int_equal(rcache_flush(c, "alice@ims.example", 17), 1);
	/* ... and the worker's result, compiled from the old document, is refused */
	assert_int_equal(put(c, "alice@ims.example", "old", read_at), 1);
	assert_int_equal(rcache_get(c, "alice@ims.example", 17, copy, &g), 1);
	assert_int_equal(put(c, "alice@ims.example", "new", rcache_generation(c)), 0);
	assert_int_equal(rcache_flush(c, "nobody@ims.example", 18), 0);
	assert_int_equal(put(c, "bob@ims.example", "b", rcache_generation(c)), 0);
	assert_int_equal(rcache_flush(c, NULL, 0), 2);
	rcache_stats(c, &s);
	assert_int_equal(s.entries, 0);
	assert_int_equal(s.bytes, 0);
	assert_int_equal(s.refused_stale, 1);
	assert_int_equal(s.flushes, 3);
	rcache_destroy(c);
	assert_int_equal(allocated, 0);
}

static void test_limit(void **state)
{
	(void)state;
	struct rcache *c = rcache_new(8, 2, &ops);
	struct rcache_stats s;
	assert_int_equal(put(c, "a@x", "1", 0), 0);
	assert_int_equal(put(c, "b@x", "2", 0), 0);
	assert_int_equal(put(c, "c@x", "3", 0), 1);
	/* replacing an entry is not growing */
	assert_int_equal(put(c, "a@x", "11", 0), 0);
	rcache_stats(c, &s);
	assert_int_equal(s.entries, 2);
	assert_int_equal(s.bytes, 3 + 2 + 3 + 1);
	assert_int_equal(s.refused_full, 1);
	rcache_destroy(c);
	assert_int_equal(allocated, 0);
}

static void count(const char *k, size_t kl, size_t len, void *arg)
{
	(void)k;
	assert_int_equal(kl, 3);
	*(size_t *)arg += len;
}

static void test_list(void **state)
{
	(void)state;
	struct rcache *c = rcache_new(3, 0, &ops);
	size_t total = 0;
	char k[4] = "k@0";
	for (int i = 0; i < 10; i++) {
		k[2] = (char)('0' + i);
		assert_int_equal(put(c, k, "vv", 0), 0);
	}
	assert_int_equal(rcache_list(c, 100, count, &total), 10);
	assert_int_equal(total, 20);
	assert_int_equal(rcache_list(c, 4, count, &total), 4);
	rcache_destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hit_miss_replace),
	        cmocka_unit_test(test_flush_and_stale_put),
	        cmocka_unit_test(test_limit),
	        cmocka_unit_test(test_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
