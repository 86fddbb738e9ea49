/* RFC 4826 (rls-services, resource-lists), RFC 4825 8.2.5 (409), RFC 4662 (what an RLS serves);
 * each rule mirrors what Kamailio's rls does with a stored document (presence_authz README 5). */
#include "rls_doc.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "uri_id.h"

#define NS_RLS "urn:ietf:params:xml:ns:rls-services"
#define NS_RL  "urn:ietf:params:xml:ns:resource-lists"

struct walk {
	const struct rls_doc_limits *lim;
	const struct rls_doc_info *info;
	char (*seen)[300];
	unsigned n_seen;
	const char **why;
};

static int is(const xmlNode *n, const char *ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	       strcmp((const char *)n->ns->href, ns) == 0 &&
	       strcmp((const char *)n->name, name) == 0;
}

/* rls reads these names in any namespace and case (K/rls/notify.c:process_list_and_exec): an
 * element it would take differently from what the schema says is refused */
static int rls_keyword(const xmlNode *n)
{
	static const char *const kw[] = {"rls-services",  "service",  "list",    "entry",
	                                 "resource-list", "packages", "package", NULL};
	if (n->type != XML_ELEMENT_NODE)
		return 0;
	for (unsigned i = 0; kw[i]; i++)
		if (strcasecmp((const char *)n->name, kw[i]) == 0)
			return 1;
	return 0;
}

static int refuse(const char **why, const char *what)
{
	*why = what;
	return -1;
}

/* a service URI or member: canonical sip:user@home_domain, as rls compares text */
static int canonical_home(const char *uri, const struct rls_doc_limits *lim, char *out,
                          size_t outsz)
{
	struct uri_id id;
	const char *why = NULL;
	if (!uri || strncmp(uri, "sip:", 4) != 0 ||
	    uri_id_parse(uri, strlen(uri), &id, &why) != 0 || !id.user[0] ||
	    uri_id_aor(&id, out, outsz) < 0 || strcmp(out, uri) != 0)
		return -1;
	return lim->home_domain && uri_id_in_domain(&id, lim->home_domain) ? 0 : -1;
}

static int walk_list(struct walk *w, const xmlNode *list, unsigned depth)
{
	if (depth > w->lim->max_depth)
		return refuse(w->why, "lists nested too deep");
	for (const xmlNode *c = list->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is(c, NS_RL, "entry")) {
			char canon[300];
			xmlChar *uri = xmlGetProp(c, (const xmlChar *)"uri");
			int bad = canonical_home((const char *)uri, w->lim, canon, sizeof(canon));
			xmlFree(uri);
			if (bad)
				return refuse(
				        w->why,
				        "a list entry is not a canonical sip URI of the home domain");
			for (unsigned i = 0; i < w->info->n_services; i++)
				if (strcmp(canon, w->info->services[i]) == 0)
					return refuse(
					        w->why,
					        "a list entry names a service of this document");
			for (unsigned i = 0; i < w->n_seen; i++)
				if (strcmp(canon, w->seen[i]) == 0)
					return refuse(w->why, "a list entry appears twice");
			if (w->n_seen == w->lim->max_members)
				return refuse(w->why, "a service has more members than allowed");
			snprintf(w->seen[w->n_seen++], 300, "%s", canon);
		} else if (is(c, NS_RL, "list")) {
			if (walk_list(w, c, depth + 1) != 0)
				return -1;
		} else if (is(c, NS_RL, "display-name")) {
			continue;
		} else if (is(c, NS_RL, "entry-ref") || is(c, NS_RL, "external")) {
			/* rls follows neither: the members would be missing without a word */
			return refuse(w->why, "entry-ref and external are not served in a list");
		} else if (rls_keyword(c) || (c->ns && c->ns->href &&
		                              (strcmp((const char *)c->ns->href, NS_RL) == 0 ||
		                               strcmp((const char *)c->ns->href, NS_RLS) == 0))) {
			return refuse(w->why,
			              "an element of a list is not an RFC 4826 entry or list");
		}
	}
	return 0;
}

static int unhex(int c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

static int list_name(const char **p, char *out, size_t outsz)
{
	char q;
	size_t n = 0;
	if (strncmp(*p, "list[@name=", 11) != 0)
		return -1;
	*p += 11;
	q = **p;
	if (q != '"' && q != '\'')
		return -1;
	(*p)++;
	while (**p && **p != q) {
		char c = **p;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-') ||
		    n + 1 >= outsz || n == 32)
			return -1;
		out[n++] = c;
		(*p)++;
	}
	out[n] = '\0';
	if (!n || **p != q || (*p)[1] != ']')
		return -1;
	*p += 2;
	return 0;
}

/* <resource-list>: /xcap-root/resource-lists/users/<owner>/<doc>/~~/resource-lists/list[@name=
 * "N"](/list[@name="M"])*, optionally after https://<xcap_host>: the owner's own lists only
 * (rls resolves it among the subscriber's documents) */
static int check_ref(const xmlNode *n, const struct rls_doc_limits *lim, struct rls_doc_info *info,
                     unsigned k, const char **why)
{
	char buf[1024], doc[300];
	size_t m = 0;
	xmlChar *text = xmlNodeGetContent(n);
	const char *s = (const char *)text;
	for (size_t i = 0; s && s[i]; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			int h = unhex(s[i + 1]), l = h < 0 ? -1 : unhex(s[i + 2]);
			if (l < 0) {
				xmlFree(text);
				return refuse(why, "a resource-list reference is badly escaped");
			}
			c = h * 16 + l;
			i += 2;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (m + 1 >= sizeof(buf) || c < 0x21 || c > 0x7e) {
			xmlFree(text);
			return refuse(why, "a resource-list reference is not a plain XCAP URI");
		}
		buf[m++] = (char)c;
	}
	buf[m] = '\0';
	xmlFree(text);
	const char *p = buf;
	if (strncmp(p, "https://", 8) == 0) {
		size_t hl = lim->xcap_host ? strlen(lim->xcap_host) : 0;
		if (!hl || strncasecmp(p + 8, lim->xcap_host, hl) != 0 || p[8 + hl] != '/')
			return refuse(why, "a resource-list reference names another XCAP server");
		p += 8 + hl;
	}
	static const char root[] = "/xcap-root/resource-lists/users/";
	size_t ol = strlen(lim->owner);
	if (strncmp(p, root, sizeof(root) - 1) != 0 ||
	    strncmp(p + sizeof(root) - 1, lim->owner, ol) != 0 || p[sizeof(root) - 1 + ol] != '/')
		return refuse(why,
		              "a resource-list reference names a list that is not the user's own");
	const char *d = p + sizeof(root) + ol, *tilde = strstr(d, "/~~/");
	if (!tilde || tilde == d)
		return refuse(why, "a resource-list reference names no list in a document");
	for (const char *c = d; c < tilde; c++)
		if (*c == '/' || *c == '"' || *c == '\'' || *c == '\\')
			return refuse(why, "a resource-list reference names no list in a document");
	snprintf(doc, sizeof(doc), "%.*s", (int)(tilde - buf), buf);
	if (strlen(tilde + 3) > RLS_DOC_SELECTOR_MAX)
		return refuse(why, "a resource-list reference's selector is too long");
	const char *q = tilde + 4;
	char first[40], name[40];
	unsigned steps = 1; /* the lists selected, nested */
	if (strncmp(q, "resource-lists/", 15) != 0)
		return refuse(why, "a resource-list reference does not select a list");
	q += 15;
	if (list_name(&q, first, sizeof(first)) != 0)
		return refuse(why, "a resource-list reference does not select a list by name");
	while (*q) {
		if (*q != '/')
			return refuse(why,
			              "a resource-list reference does not select a list by name");
		q++;
		if (list_name(&q, name, sizeof(name)) != 0)
			return refuse(why,
			              "a resource-list reference does not select a list by name");
		if (++steps > lim->max_depth)
			return refuse(why,
			              "a resource-list reference selects lists nested too deep");
	}
	/* the document path as xcap_server stores it (doc_uri): without https://host */
	size_t prefix = (size_t)(p - buf);
	snprintf(info->refs[k], sizeof(info->refs[k]), "%s", doc + prefix);
	snprintf(info->ref_lists[k], sizeof(info->ref_lists[k]), "%s", first);
	return 0;
}

static int check_service(const xmlNode *svc, struct walk *w, struct rls_doc_info *info)
{
	const xmlNode *body = NULL, *packages = NULL;
	for (const xmlNode *c = svc->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is(c, NS_RLS, "list") || is(c, NS_RLS, "resource-list")) {
			if (body)
				return refuse(w->why, "a service has more than one list");
			body = c;
		} else if (is(c, NS_RLS, "packages")) {
			if (packages)
				return refuse(w->why,
				              "a service has more than one packages element");
			packages = c;
		} else if (rls_keyword(c) || (c->ns && c->ns->href &&
		                              strcmp((const char *)c->ns->href, NS_RLS) == 0)) {
			return refuse(
			        w->why,
			        "an element of a service is not an RFC 4826 list, resource-list or packages");
		}
	}
	if (!body)
		return refuse(w->why, "a service has no list");
	for (const xmlNode *c = packages ? packages->children : NULL; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		xmlChar *t = is(c, NS_RLS, "package") ? xmlNodeGetContent(c) : NULL;
		const char *v = (const char *)t;
		size_t a = v ? strspn(v, " \t\r\n") : 0, e = v ? strlen(v) : 0;
		while (e > a && strchr(" \t\r\n", v[e - 1]))
			e--;
		int ok = v && e - a == 8 && strncmp(v + a, "presence", 8) == 0;
		xmlFree(t);
		if (!ok)
			return refuse(w->why, "a service may serve the presence package only");
	}
	w->n_seen = 0;
	if (is(body, NS_RLS, "list"))
		return walk_list(w, body, 1);
	return check_ref(body, w->lim, info, info->n_refs++, w->why);
}

/* every element whose name rls reads is in its namespace and spelled exactly (a resource-list
 * inside a list would be followed too: K/rls/notify.c) */
static int names_exact(const xmlNode *n, int in_list, const char **why)
{
	for (const xmlNode *c = n; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (rls_keyword(c)) {
			const char *ns = c->ns && c->ns->href ? (const char *)c->ns->href : "";
			int ok = (strcmp(ns, NS_RLS) == 0 || strcmp(ns, NS_RL) == 0) &&
			                         strcasecmp((const char *)c->name,
			                                    "resource-list") != 0
			                 ? 1
			                 : strcmp(ns, NS_RLS) == 0 && !in_list;
			for (const xmlChar *x = c->name; ok && *x; x++)
				if (*x >= 'A' && *x <= 'Z')
					ok = 0;
			if (!ok)
				return refuse(
				        why,
				        "an element rls reads is not in its RFC 4826 namespace or not spelled exactly");
		}
		int list = in_list || (c->type == XML_ELEMENT_NODE &&
		                       strcasecmp((const char *)c->name, "list") == 0);
		if (c->children && names_exact(c->children, list, why) != 0)
			return -1;
	}
	return 0;
}

int rls_doc_check(const char *xml, size_t len, const struct rls_doc_limits *lim,
                  struct rls_doc_info *info, const char **why)
{
	struct rls_doc_info local;
	xmlDocPtr doc;
	xmlNodePtr root;
	int ret = -1;
	if (!info)
		info = &local;
	memset(info, 0, sizeof(*info));
	if (!xml || !lim || !lim->owner || !why)
		return why ? refuse(why, "no document") : -1;
	if (len > RLS_DOC_MAX_BYTES)
		return refuse(why, "rls-services document too large");
	doc = xmlReadMemory(xml, (int)len, NULL, NULL,
	                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return refuse(why, "rls-services are not well-formed XML");
	root = xmlDocGetRootElement(doc);
	if (doc->intSubset || doc->extSubset || !root || !is(root, NS_RLS, "rls-services")) {
		refuse(why,
		       "the root is not <rls-services> in the RFC 4826 namespace (or has a DOCTYPE)");
		goto out;
	}
	if (names_exact(root, 0, why) != 0)
		goto out;
	/* first the service URIs (a member may name none of them), then each service */
	for (xmlNodePtr c = root->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!is(c, NS_RLS, "service")) {
			refuse(why, "an element of rls-services is not a service");
			goto out;
		}
		if (info->n_services == lim->max_services ||
		    info->n_services == RLS_DOC_SERVICES_MAX) {
			refuse(why, "more services than allowed");
			goto out;
		}
		char canon[300];
		xmlChar *uri = xmlGetProp(c, (const xmlChar *)"uri");
		int bad = canonical_home((const char *)uri, lim, canon, sizeof(canon));
		xmlFree(uri);
		if (bad) {
			refuse(why, "a service URI is not a canonical sip URI of the home domain");
			goto out;
		}
		if (strcmp(canon, lim->owner) == 0) {
			refuse(why, "a service URI is the user's own identity");
			goto out;
		}
		for (unsigned i = 0; i < info->n_services; i++)
			if (strcmp(info->services[i], canon) == 0) {
				refuse(why, "a service URI appears twice");
				goto out;
			}
		snprintf(info->services[info->n_services++], sizeof(info->services[0]), "%s",
		         canon);
	}
	struct walk w = {lim, info, NULL, 0, why};
	if (!(w.seen = calloc(lim->max_members ? lim->max_members : 1, sizeof(*w.seen)))) {
		refuse(why, "out of memory");
		goto out;
	}
	ret = 0;
	for (xmlNodePtr c = root->children; c && ret == 0; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			ret = check_service(c, &w, info);
	free(w.seen);
out:
	xmlFreeDoc(doc);
	return ret;
}
