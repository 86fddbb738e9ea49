/* The transformations of RFC 5025 3.2 as one set of permissions: what a watcher may see of a
 * presence document. Rules combine by union (RFC 4745 10.2): booleans by OR, lists by union,
 * provide-user-input by maximum. Pure core. */
#ifndef PRESEC_PRES_PERM_H
#define PRESEC_PRES_PERM_H

#include <stddef.h>

#define PERM_LIST_MAX 8
#define PERM_STR_MAX  128

struct perm_list {
	unsigned n;
	char v[PERM_LIST_MAX][PERM_STR_MAX];
};

/* provide-services / provide-persons / provide-devices (RFC 5025 3.2.1-3.2.3) */
struct perm_select {
	int all;
	struct perm_list service_uri, service_uri_scheme; /* services only */
	struct perm_list device_id;                       /* devices only */
	struct perm_list occurrence_id, class_;
};

enum perm_user_input { UI_FALSE = 0, UI_BARE, UI_THRESHOLDS, UI_FULL };

struct perm_unknown {
	unsigned n;
	struct {
		char ns[PERM_STR_MAX], name[PERM_STR_MAX];
	} e[PERM_LIST_MAX];
};

struct pres_perm {
	struct perm_select services, persons, devices;
	int activities, class_, device_id, mood, place_is, place_type, privacy, relationship,
	        status_icon, sphere, time_offset, note, all_attributes;
	enum perm_user_input user_input;
	struct perm_unknown unknown;
};

/* The boolean transformations of RFC 5025 3.2: the word after "provide-", the RPID (RFC 4480)
 * element it governs where there is one, and where it sits in struct pres_perm. One table for
 * the rules' XML, the compact text form and the filter. */
struct perm_flag {
	const char *word;
	const char *rpid_element; /* NULL: not an RPID element (deviceID, note) */
	size_t offset;
};
extern const struct perm_flag perm_flags[];
extern const unsigned perm_n_flags;

static inline int *perm_flag(struct pres_perm *p, const struct perm_flag *f)
{
	return (int *)((char *)p + f->offset);
}

static inline int perm_flag_value(const struct pres_perm *p, const struct perm_flag *f)
{
	return *(const int *)((const char *)p + f->offset);
}

/* *into |= *add; 0, or -1 when a list would overflow (the entries that fit are kept). */
int perm_union(struct pres_perm *into, const struct pres_perm *add);
/* Appends v to l unless present; 0 or -1 when full or too long. */
int perm_list_add(struct perm_list *l, const char *v);
int perm_list_has(const struct perm_list *l, const char *v);

/* The permissions in a compact text form, for cfg scripts and RPC: words separated by spaces or
 * ';', each an RFC 5025 transformation without its "provide-" prefix:
 *   all-services all-persons all-devices
 *   service-uri=URI service-scheme=SCHEME service-id=ID service-class=CLASS
 *   person-id=ID person-class=CLASS device=DEVICEID device-id=ID device-class=CLASS
 *   activities class deviceID mood place-is place-type privacy relationship status-icon
 *   sphere time-offset note all-attributes user-input=false|bare|thresholds|full
 *   unknown=NAMESPACE#NAME
 * ORed into *p. 0, or -1 with *why naming the word. */
int perm_parse(const char *s, struct pres_perm *p, const char **why);

/* The inverse of perm_parse: *p in the compact text form (words separated by one space, "" for
 * no permission at all). The length it needs, as snprintf; out is always terminated. */
size_t perm_format(const struct pres_perm *p, char *out, size_t outsz);

#endif
