/* For unit tests of the pure cores' shared tables (presec/store_ops.h): a lock that fails the
 * test when it is taken twice or released without being held. Include after cmocka.h. */
#ifndef PRESEC_TEST_CHECKING_LOCK_H
#define PRESEC_TEST_CHECKING_LOCK_H

static int locked;

static void lk(void *a)
{
	(void)a;
	assert_int_equal(locked, 0);
	locked = 1;
}

static void ulk(void *a)
{
	(void)a;
	assert_int_equal(locked, 1);
	locked = 0;
}

#endif
