/* The API the pidf_filter module gives other modules (presence_authz), bound with
 * find_export("bind_pidf_filter", 0, 0) as Kamailio modules do. No Kamailio header. */
#ifndef PRESEC_PIDF_FILTER_API_H
#define PRESEC_PIDF_FILTER_API_H

#include "presec/pres_perm.h"

typedef struct pidf_filter_api {
	/* What a watcher with `perm` may see of a PIDF body published for `entity` (NULL: no
	 * entity check). 0 with *out (free it with free_doc) or -1 with *why. */
	int (*filter)(const char *body, int len, const char *entity, const struct pres_perm *perm,
	              char **out, int *out_len, const char **why);
	/* RFC 5025 polite-block document for `entity`. */
	int (*polite_block)(const char *entity, char **out, int *out_len, const char **why);
	void (*free_doc)(char *doc);
	/* the compact permission syntax of presec/pres_perm.h */
	int (*perm_parse)(const char *s, struct pres_perm *p, const char **why);
} pidf_filter_api_t;

typedef int (*bind_pidf_filter_f)(pidf_filter_api_t *api);

#endif
