/* How a pure core's shared table gets its memory and its lock: Kamailio shared memory and a
 * process-shared lock in a module (presec/kamailio_shm.h), malloc and a no-op or checking lock
 * in the unit tests. No Kamailio header. */
#ifndef PRESEC_STORE_OPS_H
#define PRESEC_STORE_OPS_H
#include <stddef.h>

struct presec_store_ops {
	void *(*alloc)(size_t n);
	void (*release)(void *p);
	void (*lock)(void *arg);
	void (*unlock)(void *arg);
	void *lock_arg;
};

#endif
