/* The registration table against a model of what it must do (the straightforward scanned
 * table it replaced): random registrations, re-registrations, de-registrations, expiry,
 * purges and a full table over a few addresses, with every lookup and count compared; and
 * memory and the lock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "regstore.h"

#include "../counting_store.h"

#define MAX   24
#define ADDRS 64

/* the model: what is stored per address (expired or not), -1: nothing */
static struct {
	int stored;
	time_t expires;
	char impu[REG_IMPU_MAX];
} model[ADDRS];

static unsigned model_count(void)
{
	unsigned n = 0;
	for (int a = 0; a < ADDRS; a++)
		n += model[a].stored;
	return n;
}

static int model_set(int a, const struct reg_entry *e, time_t now)
{
	int remove = e->n == 0 || e->expires <= now;
	if (model[a].stored) {
		model[a].stored = !remove;
	} else if (!remove) {
		if (model_count() == MAX) /* full: expired ones go first */
			for (int b = 0; b < ADDRS; b++)
				if (model[b].stored && model[b].expires <= now)
					model[b].stored = 0;
		if (model_count() == MAX)
			return -1;
		model[a].stored = 1;
	}
	if (model[a].stored) {
		model[a].expires = e->expires;
		snprintf(model[a].impu, sizeof(model[a].impu), "%s", e->impu[0]);
	}
	return 0;
}

static void test_table_behaves_like_the_model(void **state)
{
	struct regstore *rs = regstore_new(&ops, MAX);
	struct reg_entry e, out;
	time_t now = 1000;
	(void)state;
	assert_non_null(rs);
	srand(7);
	for (int step = 0; step < 20000; step++) {
		int a = rand() % ADDRS, op = rand() % 10;
		char ip[REG_IP_MAX];
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", a % 3, a / 3, a);
		if (op < 5) { /* register, re-register or de-register */
			memset(&e, 0, sizeof(e));
			snprintf(e.ue_ip, sizeof(e.ue_ip), "%s", ip);
			e.n = op == 0 ? 0 : 1;
			snprintf(e.impu[0], sizeof(e.impu[0]), "sip:u%d-%d@ims.example", a, step);
			e.expires = now + (rand() % 40) - 5;
			assert_int_equal(regstore_set(rs, &e, now), model_set(a, &e, now));
		} else if (op < 9) {
			int live = model[a].stored && model[a].expires > now;
			assert_int_equal(regstore_get(rs, ip, now, &out), live ? 0 : -1);
			if (live)
				assert_string_equal(out.impu[0], model[a].impu);
		} else if (rand() % 8 == 0) {
			unsigned expired = 0;
			for (int b = 0; b < ADDRS; b++)
				if (model[b].stored && model[b].expires <= now) {
					model[b].stored = 0;
					expired++;
				}
			assert_int_equal(regstore_purge(rs, now), expired);
		}
		assert_int_equal(regstore_count(rs), model_count());
		now += rand() % 3;
	}
	regstore_destroy(rs);
	assert_int_equal(allocated, 0);
	assert_int_equal(locked, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_table_behaves_like_the_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
