/* pidf_filter: what a watcher may see of a presence document (RFC 5025 over RFC 3863/4479/4480
 * documents), for the cfg script and for other modules. The Kamailio glue around pidf.c. */
#include <libxml/parser.h>
#include <stdlib.h>
#include <string.h>

#include "core/counters.h"
#include "core/data_lump.h"
#include "core/dprint.h"
#include "core/ip_addr.h"
#include "core/kemi.h"
#include "core/mem/mem.h"
#include "core/mod_fix.h"
#include "core/parser/msg_parser.h"
#include "core/sr_module.h"

#include "pidf.h"
#include "presec/kamailio_cfg.h"
#include "presec/pidf_filter_api.h"

MODULE_VERSION

static stat_var *st_filtered, *st_refused;
static stat_export_t mod_stats[] = {
        {"filtered", 0, &st_filtered},
        {"refused", 0, &st_refused},
        {0, 0, 0},
};

/* ---- the API ---- */
/* the API's lengths are int (Kamailio's str) */
static int int_len(int rc, char **out, size_t n, int *out_len, const char **why)
{
	if (rc != 0)
		return -1;
	if (n >= 0x7fffffff) {
		free(*out);
		*why = "document too large";
		return -1;
	}
	*out_len = (int)n;
	return 0;
}

static int api_filter(const char *body, int len, const char *entity, const struct pres_perm *perm,
                      char **out, int *out_len, const char **why)
{
	size_t n = 0;
	int rc = pidf_filter_text(body, (size_t)len, entity, perm, out, &n, why);
	return int_len(rc, out, n, out_len, why);
}

static int api_polite_block(const char *entity, char **out, int *out_len, const char **why)
{
	size_t n = 0;
	return int_len(pidf_polite_block_text(entity, out, &n, why), out, n, out_len, why);
}

static void api_free_doc(char *doc)
{
	free(doc);
}

static int bind_pidf_filter(pidf_filter_api_t *api)
{
	if (!api)
		return -1;
	api->filter = api_filter;
	api->polite_block = api_polite_block;
	api->free_doc = api_free_doc;
	api->perm_parse = perm_parse;
	return 0;
}

/* ---- pidf_filter_body(permissions) ---- */
static int filter_body(struct sip_msg *msg, str *perms)
{
	struct pres_perm p;
	const char *why = NULL;
	char permtext[1024], *out = NULL, *copy;
	int out_len;
	struct lump *l;
	char *body;
	int len;

	memset(&p, 0, sizeof(p));
	if (perms->len >= (int)sizeof(permtext)) {
		LM_ERR("pidf_filter_body: permissions too long\n");
		return -1;
	}
	memcpy(permtext, perms->s, perms->len);
	permtext[perms->len] = '\0';
	if (perm_parse(permtext, &p, &why) != 0) {
		LM_ERR("pidf_filter_body: permissions '%s': %s\n", permtext, why);
		return -1;
	}
	if (!(body = get_body(msg)) || (len = msg->len - (int)(body - msg->buf)) <= 0) {
		LM_NOTICE("pidf_filter_body: no body in the %.*s from %s\n",
		          msg->first_line.u.request.method.len, msg->first_line.u.request.method.s,
		          presec_src_ip(msg));
		return -2;
	}
	if (api_filter(body, len, NULL, &p, &out, &out_len, &why) != 0) {
		update_stat(st_refused, 1);
		LM_NOTICE("pidf_filter_body: presence document from %s refused: %s\n",
		          presec_src_ip(msg), why);
		return -3;
	}
	/* the body is replaced; Kamailio's core corrects Content-Length when it sends */
	if (!(copy = pkg_malloc(out_len))) {
		free(out);
		return -1;
	}
	memcpy(copy, out, out_len);
	free(out);
	if (!(l = del_lump(msg, (int)(body - msg->buf), len, 0)) ||
	    !insert_new_lump_after(l, copy, out_len, 0)) {
		pkg_free(copy);
		LM_ERR("pidf_filter_body: cannot replace the body\n");
		return -1;
	}
	update_stat(st_filtered, 1);
	return 1;
}

static int w_filter_body(struct sip_msg *msg, char *p1, char *p2)
{
	str perms;
	(void)p2;
	if (fixup_get_svalue(msg, (gparam_t *)p1, &perms) != 0) {
		LM_ERR("pidf_filter_body: cannot get the permissions\n");
		return -1;
	}
	return filter_body(msg, &perms);
}

/* ---- module interface ---- */
static int mod_init(void)
{
	/* libxml2 initialises its globals once, before the processes fork */
	xmlInitParser();
	if (register_module_stats("pidf_filter", mod_stats) != 0) {
		LM_ERR("cannot register statistics\n");
		return -1;
	}
	return 0;
}

static void mod_destroy(void)
{
	xmlCleanupParser();
}

static cmd_export_t cmds[] = {
        {"pidf_filter_body", (cmd_function)w_filter_body, 1, fixup_spve_null, fixup_free_spve_null,
         ANY_ROUTE},
        /* Kamailio's find_export() convention; void (*)(void) is the generic function type */
        {"bind_pidf_filter", (cmd_function)(void (*)(void))bind_pidf_filter, 0, 0, 0, 0},
        {0, 0, 0, 0, 0, 0},
};

struct module_exports exports = {
        "pidf_filter",   /* module name */
        DEFAULT_DLFLAGS, /* dlopen flags */
        cmds,            /* cfg functions */
        0,               /* module parameters */
        0,               /* RPC commands */
        0,               /* pseudo-variables */
        0,               /* response function */
        mod_init,        /* module init */
        0,               /* per-child init */
        mod_destroy,     /* destroy */
};

static sr_kemi_t sr_kemi_pidf_filter_exports[] = {
        PRESEC_KEMI_S("pidf_filter", "pidf_filter_body", filter_body),
        PRESEC_KEMI_END,
};

PRESEC_MOD_REGISTER(sr_kemi_pidf_filter_exports)
