/* What the P-CSCF learned from the 200 OK to each UE's REGISTER (TS 24.229 5.2.2): the
 * P-Associated-URI list, i.e. the IMPUs the UE may assert, the first being the default one.
 * Keyed by the UE's address. Pure core; memory and locking from the caller. */
#ifndef PRESEC_REGSTORE_H
#define PRESEC_REGSTORE_H
#include <stddef.h>
#include <time.h>

#include "presec/store_ops.h"

#define REG_IP_MAX   48
#define REG_IMPUS    8
#define REG_IMPU_MAX 256

struct reg_entry {
	char ue_ip[REG_IP_MAX];
	unsigned n;
	char impu[REG_IMPUS][REG_IMPU_MAX];
	time_t expires;
};

struct regstore;
struct regstore *regstore_new(const struct presec_store_ops *ops, unsigned max);
void regstore_destroy(struct regstore *rs);
/* Sets (or replaces) the entry of e->ue_ip; e->n == 0 or an expiry in the past removes it.
 * 0, or -1 when the table is full. */
int regstore_set(struct regstore *rs, const struct reg_entry *e, time_t now);
/* Copies the live entry of ue_ip; 0 or -1. */
int regstore_get(struct regstore *rs, const char *ue_ip, time_t now, struct reg_entry *out);
unsigned regstore_purge(struct regstore *rs, time_t now);
unsigned regstore_count(struct regstore *rs);

#endif
