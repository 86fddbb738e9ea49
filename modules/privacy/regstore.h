/* What the P-CSCF learned from the 200 OK to each UE's REGISTER (TS 24.229 5.2.2): the
 * P-Associated-URI list, i.e. the IMPUs the UE may assert, the first being the default one.
 * Keyed by the SA the REGISTER arrived over: the UE's address, its protected client port and the
 * IMPI the SA was set up for (TS 33.203 7.1; sec_agree tells which SA), never by a header the
 * UE wrote. Pure core; memory and locking from the caller. */
#ifndef PRESEC_REGSTORE_H
#define PRESEC_REGSTORE_H
#include <stddef.h>
#include <time.h>

#include "presec/store_ops.h"

#define REG_IP_MAX   48
#define REG_IMPUS    8
#define REG_IMPU_MAX 256
#define REG_IMPI_MAX 256

struct reg_entry {
	/* the key: one SA set of one UE */
	char ue_ip[REG_IP_MAX];
	unsigned short port;
	char impi[REG_IMPI_MAX];
	unsigned n;
	char impu[REG_IMPUS][REG_IMPU_MAX];
	time_t expires;
};

struct regstore;
struct regstore *regstore_new(const struct presec_store_ops *ops, unsigned max);
void regstore_destroy(struct regstore *rs);
/* Sets (or replaces) the entry of (e->ue_ip, e->port, e->impi); e->n == 0 or an expiry in the
 * past removes it. 0, or -1 when the table is full. */
int regstore_set(struct regstore *rs, const struct reg_entry *e, time_t now);
/* Copies the live entry of (ue_ip, port, impi); 0 or -1. */
int regstore_get(struct regstore *rs, const char *ue_ip, unsigned short port, const char *impi,
                 time_t now, struct reg_entry *out);
/* For operators (RPC): the live entry of ue_ip (on port, unless 0) that lasts longest; 0 or
 * -1. */
int regstore_find(struct regstore *rs, const char *ue_ip, unsigned short port, time_t now,
                  struct reg_entry *out);
unsigned regstore_purge(struct regstore *rs, time_t now);
unsigned regstore_count(struct regstore *rs);

#endif
