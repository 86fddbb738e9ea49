/* The per-process database connection of a module's glue (includes Kamailio headers). */
#ifndef PRESEC_KAMAILIO_DB_H
#define PRESEC_KAMAILIO_DB_H

#include "core/dprint.h"
#include "core/pt.h"
#include "core/sr_module.h"
#include "lib/srdb1/db.h"

/* child_init: every process that handles requests or timers opens its own connection
 * (connections are not shared across the fork). 0 or -1. */
static inline int presec_db_child_init(int rank, db_func_t *dbf, str *url, db1_con_t **h)
{
	if (rank == PROC_INIT || rank == PROC_MAIN || rank == PROC_TCP_MAIN)
		return 0;
	if (!(*h = dbf->init(url))) {
		LM_ERR("cannot connect to the database (rank %d)\n", rank);
		return -1;
	}
	return 0;
}

static inline void presec_db_close(db_func_t *dbf, db1_con_t **h)
{
	if (*h) {
		dbf->close(*h);
		*h = NULL;
	}
}

#endif
