/* RFC 3863, RFC 4479, RFC 4480, RFC 5025 over libxml2. */
#include "pidf.h"

#include <stddef.h>
#include <stdio.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "uri_id.h"

struct pidf_doc {
	xmlDocPtr doc;
};

static int in_ns(xmlNodePtr n, const char *ns)
{
	return n->ns && n->ns->href && strcmp((const char *)n->ns->href, ns) == 0;
}

static int is(xmlNodePtr n, const char *ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && in_ns(n, ns) &&
	       strcmp((const char *)n->name, name) == 0;
}

static int depth_ok(xmlNodePtr n, int depth)
{
	if (depth > PIDF_MAX_DEPTH)
		return 0;
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !depth_ok(c, depth + 1))
			return 0;
	return 1;
}

/* "sip:alice@example.com" and "pres:alice@example.com" name the same presentity (RFC 3859);
 * identities compare as everywhere else (uri_id.h: RFC 3261 19.1.4) */
static int same_entity(const char *a, const char *b)
{
	return uri_id_same(a, b) || strcmp(a, b) == 0;
}

static struct pidf_doc *wrap(xmlDocPtr doc)
{
	struct pidf_doc *d = malloc(sizeof(*d));
	if (!d) {
		xmlFreeDoc(doc);
		return NULL;
	}
	d->doc = doc;
	return d;
}

struct pidf_doc *pidf_parse(const char *buf, size_t len, const char *entity, const char **why)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	xmlChar *ent;

	if (len > PIDF_MAX_BYTES) {
		*why = "presence document too large";
		return NULL;
	}
	/* no network, no entity substitution, no DTD loading; errors not printed */
	doc = xmlReadMemory(buf, (int)len, NULL, NULL,
	                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	                            XML_PARSE_NOBLANKS | XML_PARSE_NOCDATA);
	if (!doc) {
		*why = "not well-formed XML";
		return NULL;
	}
	if (doc->intSubset || doc->extSubset) {
		*why = "a DOCTYPE is not allowed in a presence document";
		goto bad;
	}
	root = xmlDocGetRootElement(doc);
	if (!root || !is(root, NS_PIDF, "presence")) {
		*why = "the root is not <presence> in the PIDF namespace";
		goto bad;
	}
	if (!depth_ok(root, 0)) {
		*why = "presence document nested too deeply";
		goto bad;
	}
	ent = xmlGetProp(root, (const xmlChar *)"entity");
	if (!ent || !*ent) {
		xmlFree(ent);
		*why = "<presence> has no entity";
		goto bad;
	}
	if (entity && !same_entity((const char *)ent, entity)) {
		xmlFree(ent);
		*why = "the document's entity is not the presentity";
		goto bad;
	}
	xmlFree(ent);
	return wrap(doc);
bad:
	xmlFreeDoc(doc);
	return NULL;
}

#define PIDF_STR_(x) #x
#define PIDF_STR(x)  PIDF_STR_(x)

struct pidf_doc *pidf_parse_publication(const char *buf, size_t len, const char *entity,
                                        enum pidf_refusal *refusal, const char **why)
{
	struct pidf_doc *d;
	unsigned n = 0;
	if (len > PIDF_MAX_BYTES) {
		*refusal = PIDF_REFUSED_TOO_LARGE;
		*why = "presence document larger than " PIDF_STR(PIDF_MAX_BYTES) " bytes";
		return NULL;
	}
	if (!(d = pidf_parse(buf, len, entity, why))) {
		*refusal = PIDF_REFUSED_BAD;
		if (*why && strcmp(*why, "presence document nested too deeply") == 0)
			*why = "presence document nested deeper than " PIDF_STR(
			        PIDF_MAX_DEPTH) " elements";
		return NULL;
	}
	for (xmlNodePtr c = xmlDocGetRootElement(d->doc)->children; c; c = c->next)
		n += c->type == XML_ELEMENT_NODE;
	if (n > PIDF_MAX_COMPONENTS) {
		pidf_free(d);
		*refusal = PIDF_REFUSED_TOO_LARGE;
		*why = "presence document with more than " PIDF_STR(
		        PIDF_MAX_COMPONENTS) " tuples, persons and devices";
		return NULL;
	}
	return d;
}

void pidf_free(struct pidf_doc *d)
{
	if (d) {
		xmlFreeDoc(d->doc);
		free(d);
	}
}

/* ---- composition ---- */

/* The <timestamp> of a tuple (pidf) or person/device (dm), as text, or NULL. */
static xmlChar *timestamp_of(xmlNodePtr n)
{
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (is(c, NS_PIDF, "timestamp") || is(c, NS_DM, "timestamp"))
			return xmlNodeGetContent(c);
	return NULL;
}

static int is_component(xmlNodePtr n)
{
	return is(n, NS_PIDF, "tuple") || is(n, NS_DM, "person") || is(n, NS_DM, "device");
}

/* ---- what a document provides ---- */

#define PIDF_MAX_PROVIDED_NAMES 128

struct seen_names {
	const xmlChar *name[PIDF_MAX_PROVIDED_NAMES];
	unsigned n;
};

static void collect_names(xmlNodePtr n, struct seen_names *seen)
{
	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		unsigned i = 0;
		while (i < seen->n && !xmlStrEqual(seen->name[i], c->name))
			i++;
		if (i == seen->n && seen->n < PIDF_MAX_PROVIDED_NAMES)
			seen->name[seen->n++] = c->name;
		collect_names(c, seen); /* depth bounded by pidf_parse() */
	}
}

void pidf_provided(const struct pidf_doc *d,
                   void (*each)(enum pidf_provided_kind kind, const char *value, void *arg),
                   void *arg)
{
	struct seen_names seen = {.n = 0};
	xmlNodePtr root = xmlDocGetRootElement(d->doc);

	for (xmlNodePtr c = root ? root->children : NULL; c; c = c->next) {
		if (!is_component(c))
			continue;
		xmlChar *id = xmlGetProp(c, (const xmlChar *)"id");
		if (id)
			each(PIDF_PROVIDED_ID, (const char *)id, arg);
		xmlFree(id);
	}
	if (root)
		collect_names(root, &seen);
	for (unsigned i = 0; i < seen.n; i++)
		each(PIDF_PROVIDED_ELEMENT, (const char *)seen.name[i], arg);
}

long long pidf_time(const char *s)
{
	int Y, M, D, h, m, sec, n = 0, oh = 0, om = 0;
	char sign = 'Z';
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &Y, &M, &D, &h, &m, &sec, &n) != 6)
		return -1;
	const char *p = s + n;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (*p == '+' || *p == '-') {
		sign = *p;
		if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
			return -1;
	} else if (*p != 'Z' && *p != 'z') {
		return -1;
	}
	/* days from civil (proleptic Gregorian) */
	int y = Y - (M <= 2);
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long doy = (153 * (M + (M > 2 ? -3 : 9)) + 2) / 5 + D - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	long long days = era * 146097 + doe - 719468;
	long long t = days * 86400 + h * 3600 + m * 60 + sec;
	long long off = (oh * 3600 + om * 60) * (sign == '-' ? -1 : 1);
	return t - off;
}

static void repoint_ns(xmlNodePtr n, xmlNsPtr from, xmlNsPtr to)
{
	if (n->type != XML_ELEMENT_NODE)
		return;
	if (n->ns == from)
		n->ns = to;
	for (xmlAttrPtr a = n->properties; a; a = a->next)
		if (a->ns == from)
			a->ns = to;
	for (xmlNodePtr c = n->children; c; c = c->next)
		repoint_ns(c, from, to);
}

/* A declaration that repeats one in scope above (same prefix, same namespace) is dropped and
 * its users pointed at the one above. */
static void drop_redundant_ns(xmlDocPtr doc, xmlNodePtr n)
{
	xmlNsPtr *link = &n->nsDef;
	while (*link) {
		xmlNsPtr ns = *link, up = NULL;
		if (n->parent && n->parent->type == XML_ELEMENT_NODE)
			up = xmlSearchNs(doc, n->parent, ns->prefix);
		if (up && xmlStrEqual(up->href, ns->href)) {
			repoint_ns(n, ns, up);
			*link = ns->next;
			ns->next = NULL;
			xmlFreeNs(ns);
		} else {
			link = &ns->next;
		}
	}
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			drop_redundant_ns(doc, c);
}

struct pidf_doc *pidf_compose(struct pidf_doc *const *docs, unsigned n, const char *entity,
                              const char **why)
{
	xmlDocPtr out = xmlNewDoc((const xmlChar *)"1.0");
	xmlNodePtr root;
	if (!out) {
		*why = "out of memory";
		return NULL;
	}
	root = xmlNewDocNode(out, NULL, (const xmlChar *)"presence", NULL);
	xmlDocSetRootElement(out, root);
	xmlSetNs(root, xmlNewNs(root, (const xmlChar *)NS_PIDF, NULL));
	xmlNewNs(root, (const xmlChar *)NS_DM, (const xmlChar *)"dm");
	xmlNewNs(root, (const xmlChar *)NS_RPID, (const xmlChar *)"rpid");
	xmlSetProp(root, (const xmlChar *)"entity", (const xmlChar *)entity);

	for (unsigned i = 0; i < n; i++) {
		xmlNodePtr r = xmlDocGetRootElement(docs[i]->doc);
		for (xmlNodePtr c = r->children; c; c = c->next) {
			if (c->type != XML_ELEMENT_NODE)
				continue;
			xmlChar *id = is_component(c) ? xmlGetProp(c, (const xmlChar *)"id") : NULL;
			xmlNodePtr have = NULL;
			if (id)
				for (xmlNodePtr o = root->children; o && !have; o = o->next) {
					xmlChar *oid =
					        is_component(o) &&
					                        strcmp((const char *)o->name,
					                               (const char *)c->name) == 0
					                ? xmlGetProp(o, (const xmlChar *)"id")
					                : NULL;
					if (oid && xmlStrEqual(oid, id))
						have = o;
					xmlFree(oid);
				}
			if (have) {
				/* the newer timestamp wins; equal or missing: the later publication
				 */
				xmlChar *ta = timestamp_of(have), *tb = timestamp_of(c);
				long long va = pidf_time((const char *)ta),
				          vb = pidf_time((const char *)tb);
				xmlFree(ta);
				xmlFree(tb);
				if (va >= 0 && vb >= 0 && va > vb) {
					xmlFree(id);
					continue;
				}
			}
			xmlNodePtr copy = xmlDocCopyNode(c, out, 1);
			if (!copy) {
				xmlFree(id);
				xmlFreeDoc(out);
				*why = "out of memory";
				return NULL;
			}
			if (have) {
				xmlReplaceNode(have, copy);
				xmlFreeNode(have);
			} else {
				xmlAddChild(root, copy);
			}
			/* the copy brought its own namespace declarations: reuse the root's where
			 * they are the same, so the composed document declares each once */
			xmlReconciliateNs(out, copy);
			drop_redundant_ns(out, copy);
			xmlFree(id);
		}
	}
	return wrap(out);
}

/* ---- RFC 5025 transformations ---- */

static char *text_of(xmlNodePtr n, const char *ns, const char *name)
{
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (is(c, ns, name))
			return (char *)xmlNodeGetContent(c);
	return NULL;
}

/* rpid:class of a component (RFC 4480 3.3) */
static int class_matches(xmlNodePtr n, const struct perm_list *classes)
{
	char *cl = text_of(n, NS_RPID, "class");
	int ok = cl && perm_list_has(classes, cl);
	xmlFree(cl);
	return ok;
}

static int id_matches(xmlNodePtr n, const struct perm_list *ids)
{
	xmlChar *id = xmlGetProp(n, (const xmlChar *)"id");
	int ok = id && perm_list_has(ids, (const char *)id);
	xmlFree(id);
	return ok;
}

/* RFC 5025 3.2.1: a tuple is a service, known by its contact URI, that URI's scheme, its id
 * (occurrence-id) and its class */
static int service_allowed(xmlNodePtr t, const struct perm_select *s)
{
	int ok;
	if (s->all)
		return 1;
	if (id_matches(t, &s->occurrence_id) || class_matches(t, &s->class_))
		return 1;
	char *contact = text_of(t, NS_PIDF, "contact");
	if (!contact)
		return 0;
	/* trimmed: contact text may carry whitespace */
	char *b = contact;
	while (*b == ' ' || *b == '\n' || *b == '\t' || *b == '\r')
		b++;
	size_t len = strlen(b);
	while (len && (b[len - 1] == ' ' || b[len - 1] == '\n' || b[len - 1] == '\t' ||
	               b[len - 1] == '\r'))
		b[--len] = '\0';
	ok = perm_list_has(&s->service_uri, b);
	char *colon = strchr(b, ':');
	if (!ok && colon) {
		*colon = '\0';
		for (unsigned i = 0; i < s->service_uri_scheme.n && !ok; i++)
			ok = strcasecmp(s->service_uri_scheme.v[i], b) == 0;
	}
	xmlFree(contact);
	return ok;
}

static int person_allowed(xmlNodePtr p, const struct perm_select *s)
{
	return s->all || id_matches(p, &s->occurrence_id) || class_matches(p, &s->class_);
}

static int device_allowed(xmlNodePtr d, const struct perm_select *s)
{
	if (s->all || id_matches(d, &s->occurrence_id) || class_matches(d, &s->class_))
		return 1;
	char *dev = text_of(d, NS_DM, "deviceID");
	int ok = dev && perm_list_has(&s->device_id, dev);
	xmlFree(dev);
	return ok;
}

static int unknown_allowed(xmlNodePtr n, const struct pres_perm *p)
{
	if (!n->ns)
		return 0;
	for (unsigned i = 0; i < p->unknown.n; i++)
		if (strcmp(p->unknown.e[i].ns, (const char *)n->ns->href) == 0 &&
		    strcmp(p->unknown.e[i].name, (const char *)n->name) == 0)
			return 1;
	return 0;
}

/* RFC 5025 3.2.4 - 3.2.16: which child of a tuple, person or device stays */
static int attribute_allowed(xmlNodePtr n, const struct pres_perm *p)
{
	if (p->all_attributes)
		return 1;
	/* the basic presence of a service, and the time a component was described */
	if (is(n, NS_PIDF, "status") || is(n, NS_PIDF, "contact") || is(n, NS_PIDF, "timestamp") ||
	    is(n, NS_DM, "timestamp"))
		return 1;
	if (is(n, NS_PIDF, "note") || is(n, NS_DM, "note"))
		return p->note;
	if (is(n, NS_DM, "deviceID"))
		return p->device_id;
	if (is(n, NS_RPID, "user-input"))
		return p->user_input != UI_FALSE;
	if (in_ns(n, NS_RPID))
		for (unsigned i = 0; i < perm_n_flags; i++)
			if (perm_flags[i].rpid_element &&
			    strcmp((const char *)n->name, perm_flags[i].rpid_element) == 0)
				return perm_flag_value(p, &perm_flags[i]);
	return unknown_allowed(n, p);
}

/* RFC 5025 3.2.9 provide-user-input: bare drops the attributes, thresholds keeps
 * idle-threshold, full keeps everything */
static void trim_user_input(xmlNodePtr n, enum perm_user_input level)
{
	if (level == UI_FULL)
		return;
	xmlAttrPtr a = n->properties;
	while (a) {
		xmlAttrPtr next = a->next;
		if (!(level == UI_THRESHOLDS &&
		      strcmp((const char *)a->name, "idle-threshold") == 0))
			xmlRemoveProp(a);
		a = next;
	}
}

static void unlink_free(xmlNodePtr n)
{
	xmlUnlinkNode(n);
	xmlFreeNode(n);
}

static void filter_children(xmlNodePtr comp, const struct pres_perm *p)
{
	xmlNodePtr c = comp->children;
	while (c) {
		xmlNodePtr next = c->next;
		if (c->type == XML_ELEMENT_NODE) {
			/* a tuple's status may carry extensions (PIDF-LO geopriv, caps): the same
			 * rule as for any attribute, basic always stays */
			if (is(c, NS_PIDF, "status") && !p->all_attributes) {
				xmlNodePtr s = c->children;
				while (s) {
					xmlNodePtr sn = s->next;
					if (s->type == XML_ELEMENT_NODE &&
					    !is(s, NS_PIDF, "basic") && !attribute_allowed(s, p))
						unlink_free(s);
					s = sn;
				}
			} else if (!attribute_allowed(c, p)) {
				unlink_free(c);
			} else if (is(c, NS_RPID, "user-input") && !p->all_attributes) {
				trim_user_input(c, p->user_input);
			}
		}
		c = next;
	}
}

/* is the namespace declaration ns used by n or below? */
static int ns_used(xmlNodePtr n, xmlNsPtr ns)
{
	if (n->type != XML_ELEMENT_NODE)
		return 0;
	if (n->ns == ns)
		return 1;
	for (xmlAttrPtr a = n->properties; a; a = a->next)
		if (a->ns == ns)
			return 1;
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (ns_used(c, ns))
			return 1;
	return 0;
}

/* What was removed must not show through the namespace declarations left behind (a watcher
 * would learn that the presentity publishes, say, its location) */
static void prune_ns(xmlNodePtr n)
{
	xmlNsPtr *link = &n->nsDef;
	while (*link) {
		xmlNsPtr ns = *link;
		if (!ns_used(n, ns)) {
			*link = ns->next;
			ns->next = NULL;
			xmlFreeNs(ns);
		} else {
			link = &ns->next;
		}
	}
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			prune_ns(c);
}

struct pidf_doc *pidf_filter(const struct pidf_doc *d, const struct pres_perm *p, const char **why)
{
	xmlDocPtr out = xmlCopyDoc(d->doc, 1);
	if (!out) {
		*why = "out of memory";
		return NULL;
	}
	xmlNodePtr root = xmlDocGetRootElement(out), c = root->children;
	while (c) {
		xmlNodePtr next = c->next;
		int keep;
		if (c->type != XML_ELEMENT_NODE)
			keep = c->type == XML_TEXT_NODE;
		else if (is(c, NS_PIDF, "tuple"))
			keep = service_allowed(c, &p->services);
		else if (is(c, NS_DM, "person"))
			keep = person_allowed(c, &p->persons);
		else if (is(c, NS_DM, "device"))
			keep = device_allowed(c, &p->devices);
		else if (is(c, NS_PIDF, "note"))
			keep = p->note;
		else
			keep = p->all_attributes || unknown_allowed(c, p);
		if (!keep)
			unlink_free(c);
		else if (c->type == XML_ELEMENT_NODE && is_component(c))
			filter_children(c, p);
		c = next;
	}
	prune_ns(root);
	return wrap(out);
}

struct pidf_doc *pidf_polite_block(const char *entity, const char **why)
{
	static const char tmpl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                           "<presence xmlns=\"" NS_PIDF "\" entity=\"\">"
	                           "<tuple id=\"polite-block\"><status><basic>closed</basic>"
	                           "</status></tuple></presence>";
	xmlDocPtr doc = xmlReadMemory(tmpl, (int)sizeof(tmpl) - 1, NULL, NULL, XML_PARSE_NONET);
	if (!doc) {
		*why = "out of memory";
		return NULL;
	}
	xmlSetProp(xmlDocGetRootElement(doc), (const xmlChar *)"entity", (const xmlChar *)entity);
	return wrap(doc);
}

int pidf_dump(const struct pidf_doc *d, char **out, size_t *len)
{
	xmlChar *buf = NULL;
	int n = 0;
	xmlDocDumpFormatMemoryEnc(d->doc, &buf, &n, "UTF-8", 0);
	if (!buf || n <= 0)
		return -1;
	*out = malloc((size_t)n + 1);
	if (!*out) {
		xmlFree(buf);
		return -1;
	}
	memcpy(*out, buf, (size_t)n);
	(*out)[n] = '\0';
	*len = (size_t)n;
	xmlFree(buf);
	return 0;
}

/* d serialized and freed: 0 with *out, or -1 with *why (d NULL: pidf_* said why) */
static int dump_free(struct pidf_doc *d, char **out, size_t *out_len, const char **why)
{
	int rc = -1;
	if (d && pidf_dump(d, out, out_len) == 0)
		rc = 0;
	else if (d)
		*why = "cannot serialize the document";
	pidf_free(d);
	return rc;
}

int pidf_filter_text(const char *buf, size_t len, const char *entity, const struct pres_perm *perm,
                     char **out, size_t *out_len, const char **why)
{
	struct pidf_doc *d = pidf_parse(buf, len, entity, why);
	if (!d)
		return -1;
	struct pidf_doc *f = pidf_filter(d, perm, why);
	pidf_free(d);
	return dump_free(f, out, out_len, why);
}

int pidf_polite_block_text(const char *entity, char **out, size_t *out_len, const char **why)
{
	return dump_free(pidf_polite_block(entity, why), out, out_len, why);
}
