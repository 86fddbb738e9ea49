/* The P-CSCF's SA records: lookups by Call-ID and by the UE's protected client port, SPI
 * uniqueness, removal with a callback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "sa_store.h"

#include "../checking_lock.h"
static const struct presec_store_ops ops = {malloc, free, lk, ulk, NULL};

static struct sa_rec rec(const char *impi, const char *ip, uint16_t port_uc, const char *cid,
                         enum sa_state st, time_t expires)
{
	struct sa_rec r;
	memset(&r, 0, sizeof(r));
	strcpy(r.impi, impi);
	strcpy(r.ue_ip, ip);
	strcpy(r.call_id, cid);
	r.port_uc = port_uc;
	r.spi_uc = 1111;
	r.spi_us = 1112;
	r.state = st;
	r.expires = expires;
	return r;
}

/* atk18: a UE registered from fd00:9::11 is reached by any spelling of its address (the
 * Contact check takes [FD00:9::11] as it), and its record keeps the one form */
static void test_an_ipv6_address_is_found_by_any_spelling(void **state)
{
	struct sa_store *st = sa_store_new(&ops, 4);
	struct sa_rec r = rec("v1@x", "FD00:9:0::11", 5062, "c1", SA_ACTIVE, 100), out;
	(void)state;
	r.port_us = 5063;
	int a = sa_store_add(st, &r);
	assert_true(a >= 0);
	assert_int_equal(sa_store_get(st, a, SA_ACTIVE, &out), 0);
	assert_string_equal(out.ue_ip, "fd00:9::11");
	assert_int_equal(sa_store_by_ue_server(st, "fd00:9::11", 5063, 50, &out), a);
	assert_int_equal(sa_store_by_ue_server(st, "FD00:9::11", 5063, 50, &out), a);
	assert_int_equal(sa_store_by_ue_server(st, "fd00:9:0:0:0:0:0:11", 5063, 50, &out), a);
	assert_int_equal(sa_store_by_ue_flow(st, "Fd00:9::0011", 5062, 50, &out), a);
	assert_int_equal(sa_store_count_ue(st, "fd00:0009::11", SA_ACTIVE), 1);
	assert_int_equal(sa_store_by_ue_server(st, "fd00:9::111", 5063, 50, &out), -1);
	assert_int_equal(sa_store_by_ue_server(st, "fd00:9::11%lo", 5063, 50, &out), -1);
	/* put keeps the one form too */
	strcpy(r.ue_ip, "FD00:9::11");
	assert_int_equal(sa_store_put(st, a, &r), 0);
	assert_int_equal(sa_store_by_ue_server(st, "fd00:9::11", 5063, 50, &out), a);
	assert_string_equal(out.ue_ip, "fd00:9::11");
	assert_int_equal(sa_store_retire(st, "FD00:9::11", -1, SA_ACTIVE, 60), 1);
	sa_store_destroy(st);
}

static void test_lookups(void **state)
{
	struct sa_store *st = sa_store_new(&ops, 4);
	struct sa_rec r = rec("alice@x", "10.0.0.1", 5060, "c1", SA_OFFERED, 100), out;
	(void)state;
	int a = sa_store_add(st, &r);
	assert_true(a >= 0);
	assert_int_equal(sa_store_by_call_id(st, "c1", SA_OFFERED, &out), a);
	assert_int_equal(sa_store_by_call_id(st, "c1", SA_PENDING, &out), -1);
	/* a reply is matched among the records of the UE its REGISTER came from: another UE that
	 * writes the same Call-ID does not reach this one's record */
	assert_int_equal(sa_store_by_call_id_from(st, "c1", "10.0.0.1", SA_OFFERED, &out), a);
	assert_int_equal(sa_store_by_call_id_from(st, "c1", "10.0.0.2", SA_OFFERED, &out), -1);
	assert_int_equal(sa_store_by_call_id_from(st, "c1", "10.0.0.1", SA_PENDING, &out), -1);
	/* an offer carries no SA yet: nothing arrives over it */
	assert_int_equal(sa_store_by_ue_client(st, "10.0.0.1", 5060, NULL, 50, &out), -1);
	r.state = SA_PENDING;
	assert_int_equal(sa_store_put(st, a, &r), 0);
	assert_int_equal(sa_store_by_ue_client(st, "10.0.0.1", 5060, NULL, 50, &out), a);
	assert_int_equal(sa_store_by_ue_client(st, "10.0.0.1", 5061, NULL, 50, &out), -1);
	assert_int_equal(sa_store_by_ue_client(st, "10.0.0.2", 5060, NULL, 50, &out), -1);
	assert_int_equal(sa_store_by_ue_client(st, "10.0.0.1", 5060, NULL, 100, &out),
	                 -1); /* expired */
	/* the newest of two matches wins */
	struct sa_rec r2 = rec("alice@x", "10.0.0.1", 5060, "c2", SA_ACTIVE, 200);
	r2.port_us = 5062;
	int b = sa_store_add(st, &r2);
	assert_int_equal(sa_store_by_ue_client(st, "10.0.0.1", 5060, NULL, 50, &out), b);
	assert_string_equal(out.call_id, "c2");
	/* SM7 keeps the Call-ID of SM1: that registration's SAs, even when not the newest */
	assert_int_equal(sa_store_by_ue_client(st, "10.0.0.1", 5060, "c1", 50, &out), a);
	assert_int_equal(sa_store_by_ue_client(st, "10.0.0.1", 5060, "c9", 50, &out), b);
	assert_int_equal(sa_store_by_ue_ip(st, "10.0.0.1", 50, &out), b);
	/* towards the UE: the SA of the address and protected server port the request targets */
	assert_int_equal(sa_store_by_ue_server(st, "10.0.0.1", 5062, 50, &out), b);
	assert_int_equal(sa_store_by_ue_server(st, "10.0.0.1", 5999, 50, &out), -1);
	assert_int_equal(sa_store_by_ue_server(st, "10.0.0.2", 5062, 50, &out), -1);
	assert_int_equal(sa_store_count(st), 2);
	sa_store_destroy(st);
}

static void test_bounded(void **state)
{
	struct sa_store *st = sa_store_new(&ops, 2);
	struct sa_rec r = rec("a@x", "10.0.0.1", 1, "c", SA_OFFERED, 100);
	(void)state;
	assert_true(sa_store_add(st, &r) >= 0);
	assert_true(sa_store_add(st, &r) >= 0);
	assert_int_equal(sa_store_add(st, &r), -1);
	assert_null(sa_store_new(&ops, 0));
	sa_store_destroy(st);
}

static int older_than(const struct sa_rec *r, void *arg)
{
	return r->expires <= *(time_t *)arg;
}

static void test_spis_are_unique_and_not_the_ues(void **state)
{
	struct sa_store *st = sa_store_new(&ops, 8);
	uint32_t cursor = 0;
	struct sa_rec out;
	uint32_t seen[16];
	int n = 0;
	(void)state;
	for (int i = 0; i < 8; i++) {
		struct sa_rec r = rec("a@x", "10.0.0.1", (uint16_t)i, "c", SA_OFFERED, 100);
		int id = sa_store_add(st, &r);
		/* the UE's own SPIs sit inside our range */
		assert_int_equal(sa_store_assign_spis(st, id, &cursor, 1110, 1140), 0);
		assert_int_equal(sa_store_get(st, id, SA_ANY, &out), 0);
		assert_true(out.spi_pc != 1111 && out.spi_pc != 1112 && out.spi_ps != 1111 &&
		            out.spi_ps != 1112 && out.spi_pc != out.spi_ps);
		for (int j = 0; j < n; j++)
			assert_true(seen[j] != out.spi_pc && seen[j] != out.spi_ps);
		seen[n++] = out.spi_pc;
		seen[n++] = out.spi_ps;
	}
	sa_store_destroy(st);
	/* the cursor comes round to SPIs still held: they are skipped, and once every SPI of the
	 * range is held the allocation fails; when a holder goes its SPIs are free again */
	st = sa_store_new(&ops, 4);
	cursor = 0;
	int held[3];
	for (int i = 0; i < 3; i++) {
		struct sa_rec r = rec("a@x", "10.0.0.1", (uint16_t)i, "c", SA_OFFERED, 100 + i);
		held[i] = sa_store_add(st, &r);
	}
	assert_int_equal(sa_store_assign_spis(st, held[0], &cursor, 3000, 3003), 0);
	assert_int_equal(sa_store_assign_spis(st, held[1], &cursor, 3000, 3003), 0);
	assert_int_equal(sa_store_assign_spis(st, held[2], &cursor, 3000, 3003), -1);
	time_t first = 100;
	assert_int_equal(sa_store_remove_if(st, older_than, &first, NULL, NULL), 1);
	assert_int_equal(sa_store_assign_spis(st, held[2], &cursor, 3000, 3003), 0);
	assert_int_equal(sa_store_get(st, held[2], SA_ANY, &out), 0);
	assert_true((out.spi_pc == 3000 || out.spi_pc == 3001) &&
	            (out.spi_ps == 3000 || out.spi_ps == 3001));
	sa_store_destroy(st);
	/* a range too small for two fresh SPIs fails cleanly */
	st = sa_store_new(&ops, 2);
	struct sa_rec r = rec("a@x", "10.0.0.1", 1, "c", SA_OFFERED, 100);
	int id = sa_store_add(st, &r);
	cursor = 0;
	assert_int_equal(sa_store_assign_spis(st, id, &cursor, 1111, 1113), -1);
	sa_store_destroy(st);
}

static int n_removed;
static void removed(const struct sa_rec *r, void *arg)
{
	(void)r;
	(void)arg;
	assert_int_equal(locked, 0); /* the callback runs outside the lock */
	n_removed++;
}

static void test_remove_if(void **state)
{
	struct sa_store *st = sa_store_new(&ops, 4);
	time_t t = 150;
	(void)state;
	struct sa_rec a = rec("a@x", "10.0.0.1", 1, "c1", SA_ACTIVE, 100);
	struct sa_rec b = rec("b@x", "10.0.0.2", 1, "c2", SA_ACTIVE, 200);
	sa_store_add(st, &a);
	sa_store_add(st, &b);
	n_removed = 0;
	assert_int_equal(sa_store_remove_if(st, older_than, &t, removed, NULL), 1);
	assert_int_equal(n_removed, 1);
	assert_int_equal(sa_store_count(st), 1);
	sa_store_destroy(st);
}

/* TS 33.203 7.4: a new registration's SAs retire the older ones of the same UE */
static void test_retire(void **state)
{
	struct sa_store *st = sa_store_new(&ops, 4);
	struct sa_rec out;
	(void)state;
	struct sa_rec a = rec("a@x", "10.0.0.1", 1, "c1", SA_ACTIVE, 1000);
	struct sa_rec b = rec("a@x", "10.0.0.1", 2, "c2", SA_ACTIVE, 2000);
	struct sa_rec c = rec("c@x", "10.0.0.9", 1, "c3", SA_ACTIVE, 1000);
	int ia = sa_store_add(st, &a), ib = sa_store_add(st, &b), ic = sa_store_add(st, &c);
	assert_int_equal(sa_store_retire(st, "10.0.0.1", ib, SA_ACTIVE, 500), 1);
	assert_int_equal(sa_store_get(st, ia, SA_RETIRING, &out), 0);
	assert_int_equal(out.expires, 500);
	assert_int_equal(sa_store_get(st, ib, SA_ACTIVE, &out), 0);
	assert_int_equal(sa_store_get(st, ic, SA_ACTIVE, &out), 0);
	/* de-registration: all of them, never later than they would have expired anyway */
	assert_int_equal(sa_store_retire(st, "10.0.0.1", -1, SA_PENDING | SA_ACTIVE, 5000), 1);
	assert_int_equal(sa_store_get(st, ib, SA_RETIRING, &out), 0);
	assert_int_equal(out.expires, 2000);
	sa_store_destroy(st);
}

/* The chained indexes agree with a full scan of the table through any sequence of adds,
 * writes, SPI assignments, retirements and removals (a model check with a fixed seed). */
struct truth {
	const char *ip, *cid;
	uint16_t port;
	time_t now;
	unsigned n_ip_states, n_ip_any, n_cid, n_client, n_active, n_installed, n_staying;
	int ids_cid[64], ids_client[64], ids_active[64], ids_installed[64], ids_staying[64];
};

static void scan(int id, const struct sa_rec *r, void *arg)
{
	struct truth *t = arg;
	if (strcmp(r->ue_ip, t->ip) == 0 && (r->state & (SA_OFFERED | SA_PENDING)))
		t->n_ip_states++;
	if (strcmp(r->ue_ip, t->ip) == 0)
		t->n_ip_any++;
	if (strcmp(r->call_id, t->cid) == 0 && (r->state & SA_ANY))
		t->ids_cid[t->n_cid++] = id;
	if (strcmp(r->ue_ip, t->ip) == 0 && r->port_uc == t->port && r->expires > t->now &&
	    (r->state & (SA_PENDING | SA_ACTIVE | SA_RETIRING)))
		t->ids_client[t->n_client++] = id;
	if (strcmp(r->ue_ip, t->ip) == 0 && r->state == SA_ACTIVE && r->expires > t->now)
		t->ids_active[t->n_active++] = id;
	if (strcmp(r->ue_ip, t->ip) == 0 && r->installed && r->state != SA_OFFERED)
		t->ids_installed[t->n_installed++] = id;
	if (strcmp(r->ue_ip, t->ip) == 0 && r->installed && (r->state & (SA_PENDING | SA_ACTIVE)))
		t->ids_staying[t->n_staying++] = id;
}

static int among(int id, const int *ids, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

static unsigned rnd(uint32_t *seed, unsigned n)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) % n;
}

static int expired_at(const struct sa_rec *r, void *arg)
{
	return r->expires <= *(time_t *)arg;
}

static void test_indexes_agree_with_a_full_scan(void **state)
{
	static const char *ips[] = {"10.0.0.1", "10.0.0.2", "10.0.0.3", "fd00::1", "10.0.0.5"};
	static const char *cids[] = {"a@h", "b@h", "c@h", "d@h", "e@h", "f@h", "g@h"};
	static const enum sa_state states[] = {SA_OFFERED, SA_PENDING, SA_ACTIVE, SA_RETIRING};
	struct sa_store *st = sa_store_new(&ops, 64);
	uint32_t cursor = 0, seed = 12345;
	struct sa_rec out;
	(void)state;
#define RND(n) rnd(&seed, n)
	for (int step = 0; step < 5000; step++) {
		unsigned op = RND(10);
		if (op < 4) {
			struct sa_rec r =
			        rec("u@x", ips[RND(5)], (uint16_t)(5060 + RND(3)), cids[RND(7)],
			            states[RND(4)], (time_t)(100 + RND(200)));
			r.installed = (int)RND(2);
			sa_store_add(st, &r);
		} else if (op < 6) {
			int id = (int)RND(64);
			if (sa_store_get(st, id, SA_ANY, &out) == 0) {
				/* a write may change every key the indexes use */
				strcpy(out.ue_ip, ips[RND(5)]);
				strcpy(out.call_id, cids[RND(7)]);
				out.state = states[RND(4)];
				assert_int_equal(sa_store_put(st, id, &out), 0);
			}
		} else if (op < 7) {
			int id = (int)RND(64);
			if (sa_store_get(st, id, SA_ANY, &out) == 0)
				sa_store_assign_spis(st, id, &cursor, 2000, 2100);
		} else if (op < 8) {
			sa_store_retire(st, ips[RND(5)], (int)RND(64) - 32,
			                RND(2) ? SA_ANY : SA_ACTIVE | SA_PENDING, (time_t)RND(300));
		} else {
			time_t t = (time_t)(100 + RND(120));
			sa_store_remove_if(st, expired_at, &t, NULL, NULL);
		}
		for (int q = 0; q < 5; q++) {
			struct truth t = {.ip = ips[q],
			                  .cid = cids[q],
			                  .port = (uint16_t)(5060 + q % 3),
			                  .now = 150};
			sa_store_foreach(st, scan, &t);
			assert_int_equal(sa_store_count_ue(st, t.ip, SA_OFFERED | SA_PENDING),
			                 t.n_ip_states);
			assert_int_equal(sa_store_count_ue(st, t.ip, SA_ANY), t.n_ip_any);
			int id = sa_store_by_call_id(st, t.cid, SA_ANY, &out);
			assert_true(t.n_cid ? among(id, t.ids_cid, t.n_cid) : id == -1);
			id = sa_store_by_ue_client(st, t.ip, t.port, NULL, t.now, &out);
			assert_true(t.n_client ? among(id, t.ids_client, t.n_client) : id == -1);
			id = sa_store_by_ue_ip(st, t.ip, t.now, &out);
			assert_true(t.n_active ? among(id, t.ids_active, t.n_active) : id == -1);
			/* a set that stays before a retiring one */
			id = sa_store_newest_installed(st, t.ip, &out);
			assert_true(t.n_staying     ? among(id, t.ids_staying, t.n_staying)
			            : t.n_installed ? among(id, t.ids_installed, t.n_installed)
			                            : id == -1);
		}
	}
	/* every SPI we hold is unique */
	uint32_t spis[128];
	unsigned n = 0;
	for (int id = 0; id < 64; id++)
		if (sa_store_get(st, id, SA_ANY, &out) == 0 && out.spi_pc) {
			for (unsigned j = 0; j < n; j++)
				assert_true(spis[j] != out.spi_pc && spis[j] != out.spi_ps);
			spis[n++] = out.spi_pc;
			spis[n++] = out.spi_ps;
		}
	assert_true(n > 0);
#undef RND
	sa_store_destroy(st);
}

/* R2 finding 4: a pending set someone asked for at a UE's address and protected client port
 * does not shadow the UE's active set for its requests, and an offer of another IMPI on a
 * live flow is seen */
static void test_a_request_goes_over_the_active_set(void **state)
{
	struct sa_store *st = sa_store_new(&ops, 8);
	struct sa_rec out;
	(void)state;
	struct sa_rec a = rec("alice@x", "10.0.0.1", 5060, "c1", SA_ACTIVE, 300);
	int ia = sa_store_add(st, &a);
	struct sa_rec e = rec("bob@x", "10.0.0.1", 5060, "c2", SA_PENDING, 300);
	int ie = sa_store_add(st, &e);
	assert_int_equal(sa_store_by_ue_client(st, "10.0.0.1", 5060, NULL, 50, &out), ie);
	assert_int_equal(sa_store_by_ue_flow(st, "10.0.0.1", 5060, 50, &out), ia);
	assert_string_equal(out.impi, "alice@x");
	/* a pending set alone carries no request */
	struct sa_rec p = rec("carol@x", "10.0.0.2", 5060, "c3", SA_PENDING, 300);
	assert_true(sa_store_add(st, &p) >= 0);
	assert_int_equal(sa_store_by_ue_flow(st, "10.0.0.2", 5060, 50, &out), -1);
	/* a retiring set still does, when nothing active is left */
	assert_int_equal(sa_store_retire(st, "10.0.0.1", -1, SA_ACTIVE, 200), 1);
	assert_int_equal(sa_store_by_ue_flow(st, "10.0.0.1", 5060, 50, &out), ia);
	assert_int_equal(sa_store_by_ue_flow(st, "10.0.0.1", 5060, 250, &out), -1);
	/* another IMPI on a live flow; the same IMPI is a re-registration */
	assert_int_equal(sa_store_flow_of_other(st, "10.0.0.2", 5060, "eve@x", 50, &out), 2);
	assert_string_equal(out.impi, "carol@x");
	assert_int_equal(sa_store_flow_of_other(st, "10.0.0.2", 5060, "carol@x", 50, &out), -1);
	assert_int_equal(sa_store_flow_of_other(st, "10.0.0.2", 5061, "eve@x", 50, &out), -1);
	assert_int_equal(sa_store_flow_of_other(st, "10.0.0.2", 5060, "eve@x", 400, &out), -1);
	sa_store_destroy(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_lookups),
	        cmocka_unit_test(test_a_request_goes_over_the_active_set),
	        cmocka_unit_test(test_bounded),
	        cmocka_unit_test(test_spis_are_unique_and_not_the_ues),
	        cmocka_unit_test(test_remove_if),
	        cmocka_unit_test(test_retire),
	        cmocka_unit_test(test_indexes_agree_with_a_full_scan),
	        cmocka_unit_test(test_an_ipv6_address_is_found_by_any_spelling),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
