/* The per-process database connection of a module's glue (includes Kamailio headers). */
#ifndef PRESEC_KAMAILIO_DB_H
#define PRESEC_KAMAILIO_DB_H

#include <string.h>

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

/* mod_init: the db_url modparam is required and its database module must run raw queries (the
 * modules' statements are raw SQL). 0, or -1 with a log line. */
static inline int presec_db_bind_raw(str *url, db_func_t *dbf)
{
	if (!url->s || url->len == 0) {
		LM_ERR("db_url is required\n");
		return -1;
	}
	url->len = (int)strlen(url->s);
	if (db_bind_mod(url, dbf) < 0 || !DB_CAPABILITY(*dbf, DB_CAP_RAW_QUERY)) {
		LM_ERR("cannot bind a database module with raw queries for %.*s\n", url->len,
		       url->s);
		return -1;
	}
	return 0;
}

/* One raw statement over this process's connection h. 0 with *res to be freed by the caller,
 * or -1 with nothing to free (no connection in this process, or the statement failed). */
static inline int presec_db_raw(db_func_t *dbf, db1_con_t *h, const char *sql, int len,
                                db1_res_t **res)
{
	str q = {(char *)sql, len};
	*res = NULL;
	if (!h) {
		LM_ERR("no database connection in this process\n");
		return -1;
	}
	if (dbf->raw_query(h, &q, res) < 0 || !*res) {
		if (*res)
			dbf->free_result(h, *res);
		*res = NULL;
		return -1;
	}
	return 0;
}

/* A text, string or blob value of a result row as it is (not copied, not NUL-terminated):
 * 0, or -1 for NULL or another type. */
static inline int presec_db_str(const db_val_t *v, str *out)
{
	if (VAL_NULL(v))
		return -1;
	switch (VAL_TYPE(v)) {
	case DB1_STRING:
		out->s = (char *)VAL_STRING(v);
		out->len = (int)strlen(out->s);
		return 0;
	case DB1_STR:
		*out = VAL_STR(v);
		return 0;
	case DB1_BLOB:
		*out = VAL_BLOB(v);
		return 0;
	default:
		return -1;
	}
}

/* The same value copied into out as a C string: 0, or -1 (NULL, another type, too long). */
static inline int presec_db_text(const db_val_t *v, char *out, size_t outsz)
{
	str s;
	if (presec_db_str(v, &s) != 0 || s.len < 0 || (size_t)s.len >= outsz)
		return -1;
	memcpy(out, s.s, (size_t)s.len);
	out[s.len] = '\0';
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
