/* The registration table against a model of what it must do (the straightforward scanned
 * table it replaced): random registrations, re-registrations, de-registrations, expiry,
 * purges and a full table over a few keys (address, protected client port, IMPI: several keys
 * share an address), with every lookup and count compared; and memory and the lock. */
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
#define ADDRS 64 /* keys: 16 addresses x 2 ports x 2 IMPIs */

/* the model: what is stored per key (expired or not) */
static struct {
	int stored;
	time_t expires;
	char impu[REG_IMPU_MAX];
} model[ADDRS];

static void key_of(int a, char ip[REG_IP_MAX], unsigned short *port, char impi[REG_IMPI_MAX])
{
	snprintf(ip, REG_IP_MAX, "10.%d.0.%d", a % 3, a % 16);
	*port = (unsigned short)(5060 + (a / 16) % 2);
	snprintf(impi, REG_IMPI_MAX, "u%d@ims.example", a / 32);
}

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
		char ip[REG_IP_MAX], impi[REG_IMPI_MAX];
		unsigned short port;
		key_of(a, ip, &port, impi);
		if (op < 5) { /* register, re-register or de-register */
			memset(&e, 0, sizeof(e));
			snprintf(e.ue_ip, sizeof(e.ue_ip), "%s", ip);
			snprintf(e.impi, sizeof(e.impi), "%s", impi);
			e.port = port;
			e.n = op == 0 ? 0 : 1;
			snprintf(e.impu[0], sizeof(e.impu[0]), "sip:u%d-%d@ims.example", a, step);
			e.expires = now + (rand() % 40) - 5;
			assert_int_equal(regstore_set(rs, &e, now), model_set(a, &e, now));
		} else if (op < 9) {
			int live = model[a].stored && model[a].expires > now;
			assert_int_equal(regstore_get(rs, ip, port, impi, now, &out),
			                 live ? 0 : -1);
			if (live)
				assert_string_equal(out.impu[0], model[a].impu);
			/* an operator's look-up by address (and port): the key that lasts longest
			 */
			int best = -1;
			for (int b = 0; b < ADDRS; b++) {
				char ipb[REG_IP_MAX], impib[REG_IMPI_MAX];
				unsigned short pb;
				key_of(b, ipb, &pb, impib);
				if (model[b].stored && model[b].expires > now &&
				    strcmp(ipb, ip) == 0 && pb == port &&
				    (best < 0 || model[b].expires > model[best].expires))
					best = b;
			}
			if (regstore_find(rs, ip, port, now, &out) == 0) {
				assert_true(best >= 0);
				assert_int_equal(out.expires, model[best].expires);
			} else {
				assert_int_equal(best, -1);
			}
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

/* The key is the whole SA: the same address with another port or another IMPI is another
 * registration (TS 33.203 7.1), so mallory's registration never answers for alice's SA. */
static void test_the_key_is_address_port_and_impi(void **state)
{
	struct regstore *rs = regstore_new(&ops, 8);
	struct reg_entry e, out;
	(void)state;
	memset(&e, 0, sizeof(e));
	strcpy(e.ue_ip, "127.0.2.1");
	e.port = 5060;
	strcpy(e.impi, "alice@ims.example");
	e.n = 1;
	strcpy(e.impu[0], "sip:alice@ims.example");
	e.expires = 100;
	assert_int_equal(regstore_set(rs, &e, 10), 0);
	e.port = 5999;
	strcpy(e.impi, "mallory@ims.example");
	strcpy(e.impu[0], "sip:mallory@ims.example");
	e.expires = 200;
	assert_int_equal(regstore_set(rs, &e, 10), 0);
	assert_int_equal(regstore_get(rs, "127.0.2.1", 5060, "alice@ims.example", 10, &out), 0);
	assert_string_equal(out.impu[0], "sip:alice@ims.example");
	assert_int_equal(regstore_get(rs, "127.0.2.1", 5060, "mallory@ims.example", 10, &out), -1);
	assert_int_equal(regstore_get(rs, "127.0.2.1", 5999, "alice@ims.example", 10, &out), -1);
	assert_int_equal(regstore_find(rs, "127.0.2.1", 0, 10, &out), 0);
	assert_string_equal(out.impu[0], "sip:mallory@ims.example");
	assert_int_equal(regstore_find(rs, "127.0.2.1", 5060, 10, &out), 0);
	assert_string_equal(out.impu[0], "sip:alice@ims.example");
	assert_int_equal(regstore_find(rs, "127.0.2.2", 0, 10, &out), -1);
	assert_int_equal(regstore_count(rs), 2);
	regstore_destroy(rs);
	assert_int_equal(allocated, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_table_behaves_like_the_model),
	        cmocka_unit_test(test_the_key_is_address_port_and_impi),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
