/* RFC 4745 10.2: the union of the permissions of every matching rule. */
#include "presec/pres_perm.h"

#include <stddef.h>
#include <string.h>

const struct perm_flag perm_flags[] = {
        {"activities", "activities", offsetof(struct pres_perm, activities)},
        {"class", "class", offsetof(struct pres_perm, class_)},
        {"deviceID", NULL, offsetof(struct pres_perm, device_id)},
        {"mood", "mood", offsetof(struct pres_perm, mood)},
        {"place-is", "place-is", offsetof(struct pres_perm, place_is)},
        {"place-type", "place-type", offsetof(struct pres_perm, place_type)},
        {"privacy", "privacy", offsetof(struct pres_perm, privacy)},
        {"relationship", "relationship", offsetof(struct pres_perm, relationship)},
        {"status-icon", "status-icon", offsetof(struct pres_perm, status_icon)},
        {"sphere", "sphere", offsetof(struct pres_perm, sphere)},
        {"time-offset", "time-offset", offsetof(struct pres_perm, time_offset)},
        {"note", NULL, offsetof(struct pres_perm, note)},
};
const unsigned perm_n_flags = sizeof(perm_flags) / sizeof(perm_flags[0]);

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
	for (unsigned i = 0; i < perm_n_flags; i++)
		*perm_flag(into, &perm_flags[i]) |=
		        *perm_flag((struct pres_perm *)add, &perm_flags[i]);
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

static int word(struct pres_perm *p, const char *w, size_t n, const char **why)
{
	static const struct {
		const char *name;
		size_t off;
	} flags[] = {
	        {"all-attributes", offsetof(struct pres_perm, all_attributes)},
	        {"all-services", offsetof(struct pres_perm, services.all)},
	        {"all-persons", offsetof(struct pres_perm, persons.all)},
	        {"all-devices", offsetof(struct pres_perm, devices.all)},
	};
	const struct {
		const char *key;
		struct perm_list *l;
	} lists[] = {
	        {"service-uri=", &p->services.service_uri},
	        {"service-scheme=", &p->services.service_uri_scheme},
	        {"service-id=", &p->services.occurrence_id},
	        {"service-class=", &p->services.class_},
	        {"person-id=", &p->persons.occurrence_id},
	        {"person-class=", &p->persons.class_},
	        {"device=", &p->devices.device_id},
	        {"device-id=", &p->devices.occurrence_id},
	        {"device-class=", &p->devices.class_},
	};
	char v[2 * PERM_STR_MAX];
	for (unsigned i = 0; i < perm_n_flags; i++)
		if (strlen(perm_flags[i].word) == n && strncmp(w, perm_flags[i].word, n) == 0) {
			*perm_flag(p, &perm_flags[i]) = 1;
			return 0;
		}
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strlen(flags[i].name) == n && strncmp(w, flags[i].name, n) == 0) {
			*(int *)((char *)p + flags[i].off) = 1;
			return 0;
		}
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		size_t k = strlen(lists[i].key);
		if (n > k && strncmp(w, lists[i].key, k) == 0) {
			if (n - k >= PERM_STR_MAX) {
				*why = "permission value too long";
				return -1;
			}
			memcpy(v, w + k, n - k);
			v[n - k] = '\0';
			if (perm_list_add(lists[i].l, v) != 0) {
				*why = "too many values in one permission list";
				return -1;
			}
			return 0;
		}
	}
	if (n > 11 && strncmp(w, "user-input=", 11) == 0) {
		static const char *const levels[] = {"false", "bare", "thresholds", "full"};
		for (int i = 0; i < 4; i++)
			if (n - 11 == strlen(levels[i]) &&
			    strncmp(w + 11, levels[i], n - 11) == 0) {
				if ((enum perm_user_input)i > p->user_input)
					p->user_input = (enum perm_user_input)i;
				return 0;
			}
		*why = "user-input is false, bare, thresholds or full";
		return -1;
	}
	if (n > 8 && strncmp(w, "unknown=", 8) == 0) {
		const char *hash = memchr(w + 8, '#', n - 8);
		size_t nsl = hash ? (size_t)(hash - (w + 8)) : 0, nml = hash ? n - 9 - nsl : 0;
		if (!hash || !nsl || !nml || nsl >= PERM_STR_MAX || nml >= PERM_STR_MAX) {
			*why = "unknown= needs NAMESPACE#NAME";
			return -1;
		}
		if (p->unknown.n == PERM_LIST_MAX) {
			*why = "too many unknown attributes";
			return -1;
		}
		memcpy(p->unknown.e[p->unknown.n].ns, w + 8, nsl);
		p->unknown.e[p->unknown.n].ns[nsl] = '\0';
		memcpy(p->unknown.e[p->unknown.n].name, hash + 1, nml);
		p->unknown.e[p->unknown.n].name[nml] = '\0';
		p->unknown.n++;
		return 0;
	}
	*why = "unknown permission word";
	return -1;
}

int perm_parse(const char *s, struct pres_perm *p, const char **why)
{
	while (*s) {
		while (*s == ' ' || *s == ';' || *s == '\t')
			s++;
		size_t n = strcspn(s, " ;\t");
		if (n && word(p, s, n, why) != 0)
			return -1;
		s += n;
	}
	return 0;
}

struct fmt {
	char *out;
	size_t sz, n;
};

/* one word: a space before it unless it is the first, then its parts */
static void emit(struct fmt *f, const char *a, const char *b, const char *c, const char *d)
{
	const char *parts[5] = {f->n ? " " : "", a, b ? b : "", c ? c : "", d ? d : ""};
	for (int i = 0; i < 5; i++)
		for (const char *s = parts[i]; *s; s++, f->n++)
			if (f->n + 1 < f->sz)
				f->out[f->n] = *s;
	if (f->sz)
		f->out[f->n + 1 < f->sz ? f->n : f->sz - 1] = '\0';
}

static void emit_list(struct fmt *f, const char *key, const struct perm_list *l)
{
	for (unsigned i = 0; i < l->n; i++)
		emit(f, key, l->v[i], NULL, NULL);
}

size_t perm_format(const struct pres_perm *p, char *out, size_t outsz)
{
	static const char *const levels[] = {"false", "bare", "thresholds", "full"};
	struct fmt f = {out, outsz, 0};
	if (outsz)
		*out = '\0';
	if (p->services.all)
		emit(&f, "all-services", NULL, NULL, NULL);
	emit_list(&f, "service-uri=", &p->services.service_uri);
	emit_list(&f, "service-scheme=", &p->services.service_uri_scheme);
	emit_list(&f, "service-id=", &p->services.occurrence_id);
	emit_list(&f, "service-class=", &p->services.class_);
	if (p->persons.all)
		emit(&f, "all-persons", NULL, NULL, NULL);
	emit_list(&f, "person-id=", &p->persons.occurrence_id);
	emit_list(&f, "person-class=", &p->persons.class_);
	if (p->devices.all)
		emit(&f, "all-devices", NULL, NULL, NULL);
	emit_list(&f, "device=", &p->devices.device_id);
	emit_list(&f, "device-id=", &p->devices.occurrence_id);
	emit_list(&f, "device-class=", &p->devices.class_);
	for (unsigned i = 0; i < perm_n_flags; i++)
		if (perm_flag_value(p, &perm_flags[i]))
			emit(&f, perm_flags[i].word, NULL, NULL, NULL);
	if (p->all_attributes)
		emit(&f, "all-attributes", NULL, NULL, NULL);
	if (p->user_input != UI_FALSE && (unsigned)p->user_input < 4)
		emit(&f, "user-input=", levels[p->user_input], NULL, NULL);
	for (unsigned i = 0; i < p->unknown.n; i++)
		emit(&f, "unknown=", p->unknown.e[i].ns, "#", p->unknown.e[i].name);
	return f.n;
}
