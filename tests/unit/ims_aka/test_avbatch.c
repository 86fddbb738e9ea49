/* Batches of authentication vectors over SQNs reserved in the database: the block of one
 * reservation, SQN order, single use, floors against racing reservations, resync, expiry, and
 * two processes of each of two S-CSCFs racing on one SQN counter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "avbatch.h"

#include "../checking_lock.h"
static const struct presec_store_ops ops = {malloc, free, lk, ulk, NULL};

#define B   5 /* sqn_ind_bits */
#define IMP "alice@ims.example"

static const struct avbatch_sub sub = {"AKAv1-MD5", "sip:alice@ims.example,tel:+15550001"};

/* The database's one statement: SQN_HE moves n SEQs up and is returned. */
static uint64_t reserve(uint64_t *sqn_he, unsigned n)
{
	*sqn_he = (((*sqn_he >> B) + n) << B) % (UINT64_C(1) << 48);
	return *sqn_he;
}

/* A block as the glue files it: vectors made for each SQN (here the SQN marks the vector). */
static unsigned block(uint64_t sqn_he_after, unsigned n, unsigned ind, struct avbatch_vec *v)
{
	uint64_t s[AVBATCH_MAX];
	assert_int_equal(avbatch_block(sqn_he_after, n, B, ind, s), 0);
	for (unsigned i = 0; i < n; i++) {
		memset(&v[i], 0, sizeof(v[i]));
		v[i].sqn = s[i];
		memcpy(v[i].av.xres, &s[i], sizeof(s[i]));
	}
	return n;
}

static uint64_t take(struct avbatch *ab, time_t now)
{
	struct avbatch_vec v;
	struct avbatch_sub s;
	if (avbatch_take(ab, IMP, now, &v, &s) != 1)
		return 0;
	uint64_t mark;
	memcpy(&mark, v.av.xres, sizeof(mark));
	assert_true(mark == v.sqn); /* the vector made for that SQN */
	assert_string_equal(s.impus, sub.impus);
	return v.sqn;
}

static void test_block(void **state)
{
	(void)state;
	uint64_t s[AVBATCH_MAX];
	/* SQN_HE 10 || 0 moved by 4: SEQ 11..14, with IND 3 */
	assert_int_equal(avbatch_block(14 << B, 4, B, 3, s), 0);
	for (unsigned i = 0; i < 4; i++)
		assert_true(s[i] == (((uint64_t)(11 + i) << B) | 3));
	/* one SEQ is the old statement's step */
	assert_int_equal(avbatch_block(1 << B, 1, B, 0, s), 0);
	assert_true(s[0] == 1 << B);
	/* SEQ wraps within its 43 bits, as the statement's modulo */
	assert_int_equal(avbatch_block(1 << B, 3, B, 0, s), 0);
	assert_true(s[0] == ((AKA_SQN_MAX >> B) << B) && s[1] == 0 && s[2] == 1 << B);
	assert_int_equal(avbatch_block(1 << B, 0, B, 0, s), -1);
	assert_int_equal(avbatch_block(1 << B, AVBATCH_MAX + 1, B, 0, s), -1);
	assert_int_equal(avbatch_block(1 << B, 1, 11, 0, s), -1);
}

static void test_in_order_and_once(void **state)
{
	(void)state;
	struct avbatch *ab = avbatch_new(&ops, 16, 10, 8, 60, B);
	struct avbatch_vec v[AVBATCH_MAX], tmp;
	uint64_t he = 0, prev = 0;
	assert_non_null(ab);
	assert_int_equal(take(ab, 1), 0); /* nothing reserved yet */
	unsigned n = block(reserve(&he, 8), 8, 0, v);
	/* filed in any order, handed out in SQN order */
	tmp = v[0];
	v[0] = v[5];
	v[5] = tmp;
	assert_int_equal(avbatch_put(ab, IMP, &sub, v, n, 1), 8);
	for (int i = 0; i < 8; i++) {
		uint64_t s = take(ab, 2);
		assert_true(s > prev);
		prev = s;
	}
	assert_int_equal(take(ab, 2), 0); /* each once */
	assert_true(prev == he);
	/* a block at or below the floor is never used */
	assert_int_equal(avbatch_put(ab, IMP, &sub, v, n, 3), 0);
	unsigned impis, vectors;
	avbatch_count(ab, &impis, &vectors);
	assert_int_equal(impis, 1);
	assert_int_equal(vectors, 0);
	assert_int_equal(avbatch_put(ab, IMP, &sub, v, AVBATCH_MAX, 3), -1); /* above batch */
	avbatch_destroy(ab);
}

/* Two processes of one S-CSCF reserve at the same time and file in the other order: the one
 * that reserved first must not hand out an SQN below what the other already sent. */
static void test_racing_reservations_stay_monotonic(void **state)
{
	(void)state;
	struct avbatch *ab = avbatch_new(&ops, 16, 10, 4, 60, B);
	struct avbatch_vec va[4], vb[4];
	uint64_t he = 100 << B;
	unsigned na = block(reserve(&he, 4), 4, 0, va); /* A: 101..104 */
	unsigned nb = block(reserve(&he, 4), 4, 0, vb); /* B: 105..108 */
	assert_int_equal(avbatch_put(ab, IMP, &sub, vb, nb, 1), 4);
	uint64_t b1 = take(ab, 1);
	assert_true(b1 == (uint64_t)105 << B);
	assert_int_equal(avbatch_put(ab, IMP, &sub, va, na, 1), 0); /* all below B's 105 */
	uint64_t a1 = take(ab, 1);
	assert_true(a1 == (uint64_t)106 << B);
	/* the other way round: A files before B takes, both blocks are used in order */
	na = block(reserve(&he, 4), 4, 0, va); /* 109..112 */
	nb = block(reserve(&he, 4), 4, 0, vb); /* 113..116 */
	assert_int_equal(avbatch_put(ab, IMP, &sub, vb, nb, 2),
	                 2); /* 107, 108 waiting: full at 4 */
	assert_int_equal(avbatch_put(ab, IMP, &sub, va, na, 2), 2); /* 109, 110 push out 113, 114 */
	uint64_t prev = a1;
	for (uint64_t s; (s = take(ab, 2)) != 0; prev = s)
		assert_true(s > prev);
	assert_true(prev == (uint64_t)110 << B);
	avbatch_destroy(ab);
}

static void test_resync_expiry_forget_purge(void **state)
{
	(void)state;
	struct avbatch *ab = avbatch_new(&ops, 16, 1, 4, 30, B);
	struct avbatch_vec v[4], old[4];
	uint64_t he = 0;
	unsigned n = block(reserve(&he, 4), 4, 0, old); /* 1..4, reserved before the reset */
	assert_int_equal(avbatch_put(ab, IMP, &sub, old, n, 10), 4);
	assert_true(take(ab, 10) == 1 << B);
	/* TS 33.102 6.3.5: AUTS says the USIM is at SEQ 50; the HE restarts from there */
	avbatch_resync(ab, IMP, (uint64_t)50 << B);
	assert_int_equal(take(ab, 10), 0);
	assert_int_equal(avbatch_put(ab, IMP, &sub, old, n, 10), 0); /* stale block refused */
	he = (uint64_t)50 << B;
	n = block(reserve(&he, 4), 4, 0, v); /* 51..54 */
	assert_int_equal(avbatch_put(ab, IMP, &sub, v, n, 10), 4);
	assert_true(take(ab, 10) == (uint64_t)51 << B);
	/* vectors wait lifetime seconds at most */
	assert_int_equal(take(ab, 40), 0);
	/* a second IMPI does not fit (max_entries 1) */
	assert_int_equal(avbatch_put(ab, "bob@ims.example", &sub, v, n, 41), -1);
	/* forget drops the vectors, the floor stays */
	n = block(reserve(&he, 4), 4, 0, v);
	assert_int_equal(avbatch_put(ab, IMP, &sub, v, n, 41), 4);
	assert_int_equal(avbatch_forget(ab, "bob@ims.example"), 0);
	assert_int_equal(avbatch_forget(ab, NULL), 4);
	assert_int_equal(avbatch_put(ab, IMP, &sub, old, 4, 41), 0);
	/* purge: the empty entry goes one lifetime after it was last touched */
	assert_int_equal(avbatch_purge(ab, 60), 0);
	assert_int_equal(avbatch_purge(ab, 72), 1);
	unsigned impis, vectors;
	avbatch_count(ab, &impis, &vectors);
	assert_int_equal(impis, 0);
	assert_null(avbatch_new(&ops, 3, 1, 4, 30, B));
	assert_null(avbatch_new(&ops, 4, 1, 0, 30, B));
	assert_null(avbatch_new(&ops, 4, 1, 4, 0, B));
	assert_null(avbatch_new(&ops, 4, 1, 4, 30, 11));
	avbatch_destroy(ab);
}

/* ---- two S-CSCFs, two processes each, on one SQN counter (real processes, shared memory) ---- */
struct shared {
	pthread_mutex_t db, lock[2];
	uint64_t sqn_he;
	char arena[2][1 << 20];
	size_t used[2];
	uint64_t taken[4][200];
};
static struct shared *sh;
static int cur; /* which S-CSCF's arena this allocation is for */

static void *arena_alloc(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (sh->used[cur] + n > sizeof(sh->arena[cur]))
		return NULL;
	void *p = sh->arena[cur] + sh->used[cur];
	sh->used[cur] += n;
	return p;
}
static void arena_free(void *p)
{
	(void)p;
}
static void mlock_(void *a)
{
	pthread_mutex_lock(a);
}
static void munlock_(void *a)
{
	pthread_mutex_unlock(a);
}

static void test_two_scscfs_two_processes(void **state)
{
	(void)state;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(sh != MAP_FAILED);
	pthread_mutexattr_t ma;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&sh->db, &ma);
	struct avbatch *ab[2];
	for (int s = 0; s < 2; s++) {
		pthread_mutex_init(&sh->lock[s], &ma);
		struct presec_store_ops o = {arena_alloc, arena_free, mlock_, munlock_,
		                             &sh->lock[s]};
		cur = s;
		ab[s] = avbatch_new(&o, 16, 100, 8, 60, B); /* before the fork, as mod_init */
		assert_non_null(ab[s]);
	}
	pid_t pids[4];
	for (int p = 0; p < 4; p++) {
		if ((pids[p] = fork()) == 0) {
			int s = p / 2; /* S-CSCF s, IND s */
			cur = s;
			for (int i = 0; i < 200; i++) {
				struct avbatch_vec v;
				struct avbatch_sub got;
				while (avbatch_take(ab[s], IMP, 1, &v, &got) != 1) {
					struct avbatch_vec blk[8];
					uint64_t sq[8];
					pthread_mutex_lock(&sh->db);
					uint64_t after = reserve(&sh->sqn_he, 8);
					pthread_mutex_unlock(&sh->db);
					if (avbatch_block(after, 8, B, (unsigned)s, sq) != 0)
						_exit(2);
					for (int j = 0; j < 8; j++) {
						memset(&blk[j], 0, sizeof(blk[j]));
						blk[j].sqn = sq[j];
					}
					if (avbatch_put(ab[s], IMP, &sub, blk, 8, 1) < 0)
						_exit(3);
				}
				sh->taken[p][i] = v.sqn;
			}
			_exit(0);
		}
		assert_true(pids[p] > 0);
	}
	for (int p = 0; p < 4; p++) {
		int st;
		assert_int_equal(waitpid(pids[p], &st, 0), pids[p]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	/* unique across all, each with its S-CSCF's IND, rising within each process */
	for (int p = 0; p < 4; p++)
		for (int i = 0; i < 200; i++) {
			uint64_t s = sh->taken[p][i];
			assert_true((s & ((1 << B) - 1)) == (uint64_t)(p / 2));
			assert_true(i == 0 || s > sh->taken[p][i - 1]);
			assert_true((s >> B) <= (sh->sqn_he >> B));
			for (int q = 0; q < 4; q++)
				for (int j = 0; j < 200; j++)
					if (q != p || j != i)
						assert_true(sh->taken[q][j] != s);
		}
	munmap(sh, sizeof(*sh));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_block),
	        cmocka_unit_test(test_in_order_and_once),
	        cmocka_unit_test(test_racing_reservations_stay_monotonic),
	        cmocka_unit_test(test_resync_expiry_forget_purge),
	        cmocka_unit_test(test_two_scscfs_two_processes),
	};
	return cmocka_run_group_tests_name("ims_aka/avbatch", tests, NULL, NULL);
}
