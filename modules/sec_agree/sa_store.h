/* The P-CSCF's security associations with its UEs, one record per UE registration flow: the
 * four unidirectional ESP SAs of TS 33.203 7.1 share one record (the UE's ports and SPIs, ours,
 * the algorithms). Pure core: memory and locking come from the caller (Kamailio shm and a
 * process-shared lock in the module, malloc in the tests). No key is kept here. */
#ifndef PRESEC_SA_STORE_H
#define PRESEC_SA_STORE_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "negotiate.h"

#include "presec/store_ops.h"

#define SA_IP_MAX     48
#define SA_ID_MAX     256 /* IMPI, IMPU */
#define SA_CALLID_MAX 256
#define SA_SERVER_MAX 1536 /* the Security-Server header we sent */

enum sa_state {
	SA_OFFERED = 1, /* SM1 seen: the UE's offer and our choice, no SA yet */
	SA_PENDING = 2, /* SM4 (401) passed: SAs installed with a short lifetime, awaiting SM7 */
	SA_ACTIVE = 4,  /* SM8 (200 to the protected REGISTER): registration lifetime */
	SA_RETIRING =
	        8, /* replaced by a newer registration's SAs, kept a little for late messages */
};
#define SA_ANY (SA_OFFERED | SA_PENDING | SA_ACTIVE | SA_RETIRING)

struct sa_rec {
	enum sa_state state;
	char impi[SA_ID_MAX], impu[SA_ID_MAX], call_id[SA_CALLID_MAX];
	char ue_ip[SA_IP_MAX], pcscf_ip[SA_IP_MAX];
	uint16_t port_uc, port_us, port_pc, port_ps;
	uint32_t spi_uc, spi_us, spi_pc, spi_ps;
	struct sec_combo combo;
	char server[SA_SERVER_MAX];
	time_t created, expires;
	int installed; /* kernel state exists for the four SAs */
	int ue_tcp;    /* the UE registered over TCP: requests towards it go over TCP */
};

struct sa_store;
struct sa_store *sa_store_new(const struct presec_store_ops *ops, unsigned max);
void sa_store_destroy(struct sa_store *st);

/* Adds a record; returns its id (>= 0) or -1 when the store is full. */
int sa_store_add(struct sa_store *st, const struct sa_rec *r);
/* Copies the record `id` out when its state is in `states`; 0 or -1. */
int sa_store_get(struct sa_store *st, int id, unsigned states, struct sa_rec *out);
/* Writes the record back (after get); 0 or -1 when the id is no longer in use. */
int sa_store_put(struct sa_store *st, int id, const struct sa_rec *r);
/* The newest record of a Call-ID in one of `states`; id or -1. */
int sa_store_by_call_id(struct sa_store *st, const char *call_id, unsigned states,
                        struct sa_rec *out);
/* The same among the records of one UE address only: a reply is matched to the SA record of
 * the UE its REGISTER came from, whatever Call-ID another UE wrote. id or -1. */
int sa_store_by_call_id_from(struct sa_store *st, const char *call_id, const char *ue_ip,
                             unsigned states, struct sa_rec *out);
/* The record whose SA carries traffic from ue_ip:port_uc to our port_ps (PENDING, ACTIVE or
 * RETIRING, unexpired at now). When several match (a re-registration's new SAs beside the old
 * ones), the one of call_id (SM7 keeps the Call-ID of SM1), else the newest. id or -1. */
int sa_store_by_ue_client(struct sa_store *st, const char *ue_ip, uint16_t port_uc,
                          const char *call_id, time_t now, struct sa_rec *out);
/* The record whose SAs carry a UE's request other than a REGISTER from ue_ip:port_uc: an
 * ACTIVE one (the newest), else a RETIRING one; never a PENDING one, which only says someone
 * asked for a challenge (TS 33.203 7.2: SAs are used for other requests after SM8). id or -1. */
int sa_store_by_ue_flow(struct sa_store *st, const char *ue_ip, uint16_t port_uc, time_t now,
                        struct sa_rec *out);
/* A live record (pending, active or retiring, unexpired) for ue_ip:port_uc whose IMPI is not
 * impi: a new offer reusing that flow would shadow it. id or -1. */
int sa_store_flow_of_other(struct sa_store *st, const char *ue_ip, uint16_t port_uc,
                           const char *impi, time_t now, struct sa_rec *out);
/* The UE's newest record whose SAs are installed and stay (pending or active), else its
 * newest retiring one; id or -1. A new set shares flows with it, and so does one that goes
 * (sa_backend.h). */
int sa_store_newest_installed(struct sa_store *st, const char *ue_ip, struct sa_rec *out);
/* The active record for a UE address (for requests towards the UE); id or -1. */
int sa_store_by_ue_ip(struct sa_store *st, const char *ue_ip, time_t now, struct sa_rec *out);
/* The active record whose SA carries traffic from us to ue_ip:port_us (a request towards the
 * UE's registered contact); id or -1. */
int sa_store_by_ue_server(struct sa_store *st, const char *ue_ip, uint16_t port_us, time_t now,
                          struct sa_rec *out);

/* TS 33.203 7.4: every record of ue_ip in `states` other than keep_id (-1: none) becomes
 * RETIRING and expires at `until` at the latest. Returns how many. */
unsigned sa_store_retire(struct sa_store *st, const char *ue_ip, int keep_id, unsigned states,
                         time_t until);

/* Assigns spi_pc and spi_ps to record `id`: unique among every live record of the store and
 * different from the UE's SPIs (TS 33.203 7.1), from [lo, hi], in one locked step. 0 or -1. */
int sa_store_assign_spis(struct sa_store *st, int id, uint32_t *cursor, uint32_t lo, uint32_t hi);

/* Removes every record for which match() is true, calling removed() with a copy of each
 * (outside the lock) so that the caller can delete kernel state. Returns how many. */
unsigned sa_store_remove_if(struct sa_store *st, int (*match)(const struct sa_rec *, void *),
                            void *match_arg, void (*removed)(const struct sa_rec *, void *),
                            void *removed_arg);
/* Calls fn for each record, under the lock (fn must not call back into the store). */
void sa_store_foreach(struct sa_store *st, void (*fn)(int id, const struct sa_rec *, void *),
                      void *arg);
unsigned sa_store_count(struct sa_store *st);
/* How many records of ue_ip are in one of `states` (max_offers_per_ue). */
unsigned sa_store_count_ue(struct sa_store *st, const char *ue_ip, unsigned states);

#endif
