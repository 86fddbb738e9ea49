/* RFC 4745 10.2: the union of the permissions of every matching rule. */
#include "perm.h"

#include <string.h>

int perm_list_has(const struct perm_list *l, const char *v)
{
	for (unsigned i = 0; i < l->n; i++)
		if (strcmp(l->v[i], v) == 0)
			return 1;
	return 0;
}

int perm_list_add(struct perm_list *l, const char *v)
{
	if (perm_list_has(l, v))
		return 0;
	if (l->n == PERM_LIST_MAX || strlen(v) >= PERM_STR_MAX)
		return -1;
	strcpy(l->v[l->n++], v);
	return 0;
}

static int list_union(struct perm_list *into, const struct perm_list *add)
{
	int rc = 0;
	for (unsigned i = 0; i < add->n; i++)
		rc |= perm_list_add(into, add->v[i]);
	return rc;
}

static int select_union(struct perm_select *into, const struct perm_select *add)
{
	into->all |= add->all;
	return list_union(&into->service_uri, &add->service_uri) |
	       list_union(&into->service_uri_scheme, &add->service_uri_scheme) |
	       list_union(&into->device_id, &add->device_id) |
	       list_union(&into->occurrence_id, &add->occurrence_id) |
	       list_union(&into->class_, &add->class_);
}

int perm_union(struct pres_perm *into, const struct pres_perm *add)
{
	int rc = select_union(&into->services, &add->services) |
	         select_union(&into->persons, &add->persons) |
	         select_union(&into->devices, &add->devices);
	into->activities |= add->activities;
	into->class_ |= add->class_;
	into->device_id |= add->device_id;
	into->mood |= add->mood;
	into->place_is |= add->place_is;
	into->place_type |= add->place_type;
	into->privacy |= add->privacy;
	into->relationship |= add->relationship;
	into->status_icon |= add->status_icon;
	into->sphere |= add->sphere;
	into->time_offset |= add->time_offset;
	into->note |= add->note;
	into->all_attributes |= add->all_attributes;
	if (add->user_input > into->user_input)
		into->user_input = add->user_input;
	for (unsigned i = 0; i < add->unknown.n; i++) {
		int found = 0;
		for (unsigned k = 0; k < into->unknown.n; k++)
			found |= strcmp(into->unknown.e[k].ns, add->unknown.e[i].ns) == 0 &&
			         strcmp(into->unknown.e[k].name, add->unknown.e[i].name) == 0;
		if (found)
			continue;
		if (into->unknown.n == PERM_LIST_MAX) {
			rc = -1;
			continue;
		}
		into->unknown.e[into->unknown.n++] = add->unknown.e[i];
	}
	return rc ? -1 : 0;
}
