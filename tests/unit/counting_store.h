/* For unit tests of the pure cores' shared tables: presec/store_ops.h with malloc that counts
 * what is still allocated (`allocated`, 0 when nothing leaked) and the checking lock. Include
 * after cmocka.h. */
#ifndef PRESEC_TEST_COUNTING_STORE_H
#define PRESEC_TEST_COUNTING_STORE_H

#include "checking_lock.h"

static int allocated;

static void *counting_alloc(size_t n)
{
	allocated++;
	return malloc(n);
}

static void counting_free(void *p)
{
	if (p)
		allocated--;
	free(p);
}

static const struct presec_store_ops ops = {counting_alloc, counting_free, lk, ulk, NULL};

#endif
