/* The per-process memo of the last loaded policy: lent for its key and generation only, never
 * released or replaced while lent out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "policy_memo.h"

static int released;
static void release(void *v)
{
	released++;
	free(v);
}

static void *val(void)
{
	return malloc(8);
}

static void test_lent_for_its_key_and_generation(void **state)
{
	(void)state;
	struct pmemo m;
	void *v, *got;
	pmemo_init(&m, release);
	released = 0;
	assert_int_equal(pmemo_borrow(&m, "p1@ims.example", 14, 1, &got), 0);
	v = val();
	assert_int_equal(pmemo_offer(&m, "p1@ims.example", 14, 1, v), 1);
	pmemo_return(&m);
	/* the fan-out: the next watchers of p1 borrow the same value */
	for (int i = 0; i < 49; i++) {
		assert_int_equal(pmemo_borrow(&m, "p1@ims.example", 14, 1, &got), 1);
		assert_ptr_equal(got, v);
		pmemo_return(&m);
	}
	/* another presentity, a prefix of the key: not lent */
	assert_int_equal(pmemo_borrow(&m, "p2@ims.example", 14, 1, &got), 0);
	assert_int_equal(pmemo_borrow(&m, "p1@ims.exampl", 13, 1, &got), 0);
	/* a flush since (generation 2): released, loaded again */
	assert_int_equal(pmemo_borrow(&m, "p1@ims.example", 14, 2, &got), 0);
	assert_int_equal(released, 1);
	assert_int_equal(pmemo_borrow(&m, "p1@ims.example", 14, 2, &got), 0);
	/* a key too long is not taken */
	char longkey[PMEMO_KEY_MAX + 1];
	memset(longkey, 'a', sizeof(longkey));
	v = val();
	assert_int_equal(pmemo_offer(&m, longkey, sizeof(longkey), 2, v), 0);
	free(v);
	assert_int_equal(pmemo_clear(&m), 1);
}

static void test_never_released_while_lent(void **state)
{
	(void)state;
	struct pmemo m;
	void *a = val(), *b = val(), *got;
	pmemo_init(&m, release);
	released = 0;
	assert_int_equal(pmemo_offer(&m, "p1", 2, 1, a), 1); /* lent to the caller */
	/* a nested load of another presentity while a is in use: the memo keeps a */
	assert_int_equal(pmemo_offer(&m, "p2", 2, 1, b), 0);
	free(b);
	assert_int_equal(pmemo_borrow(&m, "p1", 2, 1, &got), 1); /* two users now */
	/* a flush while lent: not lent again, not released until returned */
	assert_int_equal(pmemo_borrow(&m, "p1", 2, 2, &got), 0);
	assert_int_equal(released, 0);
	assert_int_equal(pmemo_clear(&m), 0);
	pmemo_return(&m);
	pmemo_return(&m);
	pmemo_return(&m); /* one too many is harmless */
	assert_int_equal(m.users, 0);
	b = val();
	assert_int_equal(pmemo_offer(&m, "p2", 2, 2, b), 1); /* replaces a */
	assert_int_equal(released, 1);
	pmemo_return(&m);
	assert_int_equal(pmemo_clear(&m), 1);
	assert_int_equal(released, 2);
	assert_int_equal(pmemo_clear(&m), 1); /* empty */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_lent_for_its_key_and_generation),
	        cmocka_unit_test(test_never_released_while_lent),
	};
	return cmocka_run_group_tests_name("presence_authz/policy_memo", tests, NULL, NULL);
}
