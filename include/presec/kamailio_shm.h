/* The Kamailio side of presec/store_ops.h, for the modules' glue only (it includes Kamailio
 * headers): shared memory and one process-shared lock for a core's table. */
#ifndef PRESEC_KAMAILIO_SHM_H
#define PRESEC_KAMAILIO_SHM_H

#include "core/locking.h"
#include "core/mem/shm_mem.h"

#include "presec/store_ops.h"

static void *presec_shm_alloc(size_t n)
{
	return shm_malloc(n);
}

static void presec_shm_release(void *p)
{
	shm_free(p);
}

static void presec_shm_lock(void *arg)
{
	lock_get((gen_lock_t *)arg);
}

static void presec_shm_unlock(void *arg)
{
	lock_release((gen_lock_t *)arg);
}

/* Allocates and initializes *lock and fills *ops; 0, or -1 when shared memory ran out. */
static inline int presec_shm_store_ops(struct presec_store_ops *ops, gen_lock_t **lock)
{
	if (!(*lock = lock_alloc()) || !lock_init(*lock))
		return -1;
	ops->alloc = presec_shm_alloc;
	ops->release = presec_shm_release;
	ops->lock = presec_shm_lock;
	ops->unlock = presec_shm_unlock;
	ops->lock_arg = *lock;
	return 0;
}

/* Releases a lock made by presec_shm_store_ops(). */
static inline void presec_shm_lock_free(gen_lock_t **lock)
{
	if (*lock) {
		lock_destroy(*lock);
		lock_dealloc(*lock);
		*lock = NULL;
	}
}

#endif
