/* RFC 4745 (conditions, combining), RFC 5025 3 (pres-rules), OMA XDM common-policy. */
#include "policy.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pidf.h"
#include "uri_id.h"

static int is(xmlNodePtr n, const char *ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	       strcmp((const char *)n->ns->href, ns) == 0 &&
	       strcmp((const char *)n->name, name) == 0;
}

static int copy_prop(xmlNodePtr n, const char *attr, char *out, size_t outsz)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)attr);
	int rc = -1;
	if (v && strlen((const char *)v) < outsz) {
		strcpy(out, (const char *)v);
		rc = 0;
	}
	xmlFree(v);
	return rc;
}

/* the trimmed text content of n into out */
static int copy_text(xmlNodePtr n, char *out, size_t outsz)
{
	xmlChar *v = xmlNodeGetContent(n);
	const char *b = (const char *)v;
	size_t len;
	int rc = -1;
	if (!v)
		return -1;
	while (*b == ' ' || *b == '\t' || *b == '\n' || *b == '\r')
		b++;
	len = strlen(b);
	while (len && (b[len - 1] == ' ' || b[len - 1] == '\t' || b[len - 1] == '\n' ||
	               b[len - 1] == '\r'))
		len--;
	if (len < outsz) {
		memcpy(out, b, len);
		out[len] = '\0';
		rc = 0;
	}
	xmlFree(v);
	return rc;
}

static int boolean(xmlNodePtr n, int *out, const char **why)
{
	char v[8];
	if (copy_text(n, v, sizeof(v)) != 0 || (strcmp(v, "true") && strcmp(v, "false"))) {
		*why = "a provide-* value is not true or false";
		return -1;
	}
	*out = strcmp(v, "true") == 0;
	return 0;
}

/* <pr:provide-services>, -persons, -devices: all-*, or a list of selectors (RFC 5025 3.2.1-3) */
static int selector(xmlNodePtr n, struct perm_select *s, const char *all, const char **why)
{
	char v[PERM_STR_MAX];
	for (xmlNodePtr c = n->children; c; c = c->next) {
		struct perm_list *l = NULL;
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is(c, NS_PR, all)) {
			s->all = 1;
			continue;
		}
		if (is(c, NS_PR, "service-uri"))
			l = &s->service_uri;
		else if (is(c, NS_PR, "service-uri-scheme"))
			l = &s->service_uri_scheme;
		else if (is(c, NS_PR, "deviceID"))
			l = &s->device_id;
		else if (is(c, NS_PR, "occurrence-id"))
			l = &s->occurrence_id;
		else if (is(c, NS_PR, "class"))
			l = &s->class_;
		if (!l) {
			*why = "unknown selector in provide-services/persons/devices";
			return -1;
		}
		if (copy_text(c, v, sizeof(v)) != 0 || !*v || perm_list_add(l, v) != 0) {
			*why = "selector value empty, too long or too many";
			return -1;
		}
	}
	return 0;
}

static int transformations(xmlNodePtr n, struct pres_perm *p, const char **why)
{
	for (xmlNodePtr c = n->children; c; c = c->next) {
		int done = 0;
		if (c->type != XML_ELEMENT_NODE)
			continue;
		/* provide-<word> of the shared table */
		if (c->ns && c->ns->href && strcmp((const char *)c->ns->href, NS_PR) == 0 &&
		    strncmp((const char *)c->name, "provide-", 8) == 0)
			for (unsigned i = 0; i < perm_n_flags && !done; i++)
				if (strcmp((const char *)c->name + 8, perm_flags[i].word) == 0) {
					if (boolean(c, perm_flag(p, &perm_flags[i]), why) != 0)
						return -1;
					done = 1;
				}
		if (done)
			continue;
		if (is(c, NS_PR, "provide-services")) {
			if (selector(c, &p->services, "all-services", why) != 0)
				return -1;
		} else if (is(c, NS_PR, "provide-persons")) {
			if (selector(c, &p->persons, "all-persons", why) != 0)
				return -1;
		} else if (is(c, NS_PR, "provide-devices")) {
			if (selector(c, &p->devices, "all-devices", why) != 0)
				return -1;
		} else if (is(c, NS_PR, "provide-user-input")) {
			char v[16];
			copy_text(c, v, sizeof(v));
			/* RFC 5025 3.2.9 */
			if (!strcmp(v, "false"))
				p->user_input = UI_FALSE;
			else if (!strcmp(v, "bare"))
				p->user_input = UI_BARE;
			else if (!strcmp(v, "thresholds"))
				p->user_input = UI_THRESHOLDS;
			else if (!strcmp(v, "full"))
				p->user_input = UI_FULL;
			else {
				*why = "provide-user-input is not false, bare, thresholds or full";
				return -1;
			}
		} else if (is(c, NS_PR, "provide-unknown-attribute")) {
			int on = 0;
			if (p->unknown.n == PERM_LIST_MAX ||
			    copy_prop(c, "ns", p->unknown.e[p->unknown.n].ns, PERM_STR_MAX) != 0 ||
			    copy_prop(c, "name", p->unknown.e[p->unknown.n].name, PERM_STR_MAX) !=
			            0) {
				*why = "provide-unknown-attribute needs ns and name (or too many)";
				return -1;
			}
			if (boolean(c, &on, why) != 0)
				return -1;
			if (on)
				p->unknown.n++;
		} else if (is(c, NS_PR, "provide-all-attributes")) {
			p->all_attributes = 1;
		}
		/* RFC 4745 11: transformations of other namespaces are not ours to apply; they
		 * grant nothing */
	}
	return 0;
}

/* OMA XDM: <entry anc="http://host/xcap-root/resource-lists/users/XUI/DOC/~~/resource-lists/
 * list[@name="NAME"]"> (the predicate possibly percent-encoded): the XUI and the list name. */
static int list_anchor(xmlNodePtr e, char *xui, char *name)
{
	char anc[512], dec[512];
	const char *u, *sel, *nm;
	size_t k = 0, xl, nl;
	if (copy_prop(e, "anc", anc, sizeof(anc)) != 0)
		return -1;
	/* decode the few escapes a list selector carries: %5b %5d %22 %40 */
	for (size_t i = 0; anc[i] && k + 1 < sizeof(dec); i++) {
		if (anc[i] == '%' && anc[i + 1] && anc[i + 2]) {
			char hex[3] = {anc[i + 1], anc[i + 2], 0};
			char *end;
			long v = strtol(hex, &end, 16);
			if (*end || v <= 0)
				return -1;
			dec[k++] = (char)v;
			i += 2;
		} else {
			dec[k++] = anc[i];
		}
	}
	dec[k] = '\0';
	if (!(u = strstr(dec, "/resource-lists/users/")) || !(sel = strstr(u, "/~~/")))
		return -1;
	u += strlen("/resource-lists/users/");
	const char *slash = strchr(u, '/');
	if (!slash || slash > sel || (xl = (size_t)(slash - u)) == 0 || xl >= POL_ID_MAX)
		return -1;
	if (!(nm = strstr(sel, "list[@name=\"")))
		return -1;
	nm += strlen("list[@name=\"");
	const char *q = strchr(nm, '"');
	if (!q || (nl = (size_t)(q - nm)) == 0 || nl >= 64 || strcmp(q, "\"]") != 0)
		return -1;
	memcpy(xui, u, xl);
	xui[xl] = '\0';
	memcpy(name, nm, nl);
	name[nl] = '\0';
	return 0;
}

static int conditions(xmlNodePtr n, struct pol_rule *r, const char **why)
{
	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is(c, NS_CP, "identity")) {
			r->has_identity = 1;
			for (xmlNodePtr i = c->children; i; i = i->next) {
				if (is(i, NS_CP, "one")) {
					if (r->n_one == POL_ONE_MAX ||
					    copy_prop(i, "id", r->one[r->n_one], POL_ID_MAX) != 0) {
						*why = "<one> without id, or too many";
						return -1;
					}
					r->n_one++;
				} else if (is(i, NS_CP, "many")) {
					if (r->n_many == POL_MANY_MAX) {
						*why = "too many <many>";
						return -1;
					}
					struct pol_many *m = &r->many[r->n_many++];
					copy_prop(i, "domain", m->domain, sizeof(m->domain));
					for (xmlNodePtr e = i->children; e; e = e->next) {
						if (!is(e, NS_CP, "except"))
							continue;
						if (m->n_except == POL_EXCEPT_MAX) {
							*why = "too many <except>";
							return -1;
						}
						copy_prop(e, "id", m->except[m->n_except].id,
						          POL_ID_MAX);
						copy_prop(e, "domain",
						          m->except[m->n_except].domain,
						          POL_ID_MAX);
						m->n_except++;
					}
				}
			}
		} else if (is(c, NS_CP, "sphere")) {
			r->has_sphere = 1;
			if (copy_prop(c, "value", r->sphere, sizeof(r->sphere)) != 0) {
				*why = "<sphere> without value";
				return -1;
			}
		} else if (is(c, NS_CP, "validity")) {
			r->has_validity = 1;
			for (xmlNodePtr f = c->children; f; f = f->next) {
				char from[64], until[64];
				if (!is(f, NS_CP, "from"))
					continue;
				xmlNodePtr u = f->next;
				while (u && u->type != XML_ELEMENT_NODE)
					u = u->next;
				if (r->n_validity == 4 || !u || !is(u, NS_CP, "until") ||
				    copy_text(f, from, sizeof(from)) ||
				    copy_text(u, until, sizeof(until))) {
					*why = "<validity> needs <from>/<until> pairs";
					return -1;
				}
				r->validity[r->n_validity].from = pidf_time(from);
				r->validity[r->n_validity].until = pidf_time(until);
				if (r->validity[r->n_validity].from < 0 ||
				    r->validity[r->n_validity].until < 0) {
					*why = "<validity> time is not RFC 3339";
					return -1;
				}
				r->n_validity++;
			}
		} else if (is(c, NS_PSC, "confidentiality")) {
			r->confidentiality = 1;
		} else if (is(c, NS_OCP, "anonymous-request")) {
			r->anonymous_request = 1;
		} else if (is(c, NS_OCP, "other-identity")) {
			r->other_identity = 1;
		} else if (is(c, NS_OCP, "external-list")) {
			r->external_list = 1;
			for (xmlNodePtr e = c->children; e; e = e->next) {
				if (!is(e, NS_OCP, "entry"))
					continue;
				if (r->n_lists == POL_LISTS_MAX) {
					*why = "too many external-list entries in one rule";
					return -1;
				}
				if (list_anchor(e, r->lists[r->n_lists].xui,
				                r->lists[r->n_lists].name) != 0) {
					*why = "an external-list anc is not an XCAP URI of a <list> by name in resource-lists";
					return -1;
				}
				r->n_lists++;
			}
		} else {
			/* RFC 4745 7: a condition we do not understand makes the rule not match */
			r->unknown_condition = 1;
		}
	}
	return 0;
}

/* presec's namespace has one element, the condition <ps:confidentiality/>, and it means
 * something only as a child of <cr:conditions> (RFC 4745 5): anywhere else, or misspelt, a
 * processor would skip it and the rule would give its permissions to every watcher, so the
 * document is refused (the Ut answers 409 naming the element) */
static int presec_elements_placed(xmlNodePtr n, const char **why)
{
	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (c->ns && c->ns->href && strcmp((const char *)c->ns->href, NS_PSC) == 0) {
			if (strcmp((const char *)c->name, "confidentiality") != 0) {
				*why = "an element of urn:presec:xml:ns:pres-rules other than <confidentiality/>";
				return -1;
			}
			if (!is(n, NS_CP, "conditions")) {
				*why = "<ps:confidentiality/> outside <cr:conditions>";
				return -1;
			}
		}
		if (presec_elements_placed(c, why) != 0)
			return -1;
	}
	return 0;
}

int policy_compile(const char *xml, size_t len, struct policy *p, const char **why)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	unsigned n = 0;

	memset(p, 0, sizeof(*p));
	if (len > PIDF_MAX_BYTES) {
		*why = "rules document too large";
		return -1;
	}
	doc = xmlReadMemory(xml, (int)len, NULL, NULL,
	                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	                            XML_PARSE_NOBLANKS);
	if (!doc) {
		*why = "rules are not well-formed XML";
		return -1;
	}
	root = xmlDocGetRootElement(doc);
	if (doc->intSubset || doc->extSubset || !root || !is(root, NS_CP, "ruleset")) {
		*why = "the rules' root is not a common-policy <ruleset> (or has a DOCTYPE)";
		goto bad;
	}
	if (presec_elements_placed(root, why) != 0)
		goto bad;
	for (xmlNodePtr r = root->children; r; r = r->next)
		n += is(r, NS_CP, "rule");
	if (n > 256) {
		*why = "more than 256 rules";
		goto bad;
	}
	p->rules = calloc(n ? n : 1, sizeof(*p->rules));
	if (!p->rules) {
		*why = "out of memory";
		goto bad;
	}
	for (xmlNodePtr r = root->children; r; r = r->next) {
		struct pol_rule *rule;
		if (!is(r, NS_CP, "rule"))
			continue;
		rule = &p->rules[p->n++];
		if (copy_prop(r, "id", rule->id, sizeof(rule->id)) != 0) {
			*why = "a rule without id (or an id too long)";
			goto bad;
		}
		for (xmlNodePtr c = r->children; c; c = c->next) {
			if (is(c, NS_CP, "conditions")) {
				if (conditions(c, rule, why) != 0)
					goto bad;
			} else if (is(c, NS_CP, "actions")) {
				for (xmlNodePtr a = c->children; a; a = a->next) {
					char v[16];
					if (!is(a, NS_PR, "sub-handling"))
						continue;
					copy_text(a, v, sizeof(v));
					rule->has_sub_handling = 1;
					if (!strcmp(v, "block"))
						rule->sub_handling = SH_BLOCK;
					else if (!strcmp(v, "confirm"))
						rule->sub_handling = SH_CONFIRM;
					else if (!strcmp(v, "polite-block"))
						rule->sub_handling = SH_POLITE_BLOCK;
					else if (!strcmp(v, "allow"))
						rule->sub_handling = SH_ALLOW;
					else {
						*why = "sub-handling is not block, confirm, polite-block or allow";
						goto bad;
					}
				}
			} else if (is(c, NS_CP, "transformations")) {
				if (transformations(c, &rule->perm, why) != 0)
					goto bad;
			}
		}
	}
	xmlFreeDoc(doc);
	return 0;
bad:
	xmlFreeDoc(doc);
	policy_free(p);
	return -1;
}

void policy_free(struct policy *p)
{
	free(p->rules);
	p->rules = NULL;
	p->n = 0;
}

/* RFC 4745 7.1.2: <one> names one identity; identities compare as RFC 3261 19.1.4 says
 * (uri_id.h), the same way presence_authz decided whether the watcher is authenticated */
static int same_id(const char *a, const char *b)
{
	return uri_id_same(a, b);
}

/* RFC 4745 7.1.3: <many domain> and <except domain> name the host of the identity, without
 * case; a tel identity is in no domain */
static int in_domain(const char *uri, const char *domain)
{
	struct uri_id id;
	const char *why = NULL;
	return uri_id_parse(uri, strlen(uri), &id, &why) == 0 && uri_id_in_domain(&id, domain);
}

/* RFC 4745 7.1: identity conditions match authenticated identities only */
static int identity_matches(const struct pol_rule *r, const struct pol_watcher *w)
{
	if (!w->authenticated || w->anonymous || !w->uri)
		return 0;
	for (unsigned i = 0; i < r->n_one; i++)
		if (same_id(r->one[i], w->uri))
			return 1;
	for (unsigned i = 0; i < r->n_many; i++) {
		const struct pol_many *m = &r->many[i];
		int excepted = 0;
		if (*m->domain && !in_domain(w->uri, m->domain))
			continue;
		for (unsigned k = 0; k < m->n_except; k++)
			excepted |=
			        (*m->except[k].id && same_id(m->except[k].id, w->uri)) ||
			        (*m->except[k].domain && in_domain(w->uri, m->except[k].domain));
		if (!excepted)
			return 1;
	}
	return 0;
}

static int rule_matches(const struct policy *p, const struct pol_rule *r,
                        const struct pol_watcher *w)
{
	if (r->unknown_condition)
		return 0;
	if (r->has_identity && !identity_matches(r, w))
		return 0;
	if (r->external_list) {
		/* OMA: like <identity>, membership counts for authenticated watchers only */
		int in = 0;
		if (!w->authenticated || w->anonymous || !w->uri)
			return 0;
		for (unsigned i = 0; i < r->n_members && !in; i++)
			in = same_id(r->members[i], w->uri);
		if (!in)
			return 0;
	}
	if (r->has_sphere && (!w->sphere || strcmp(w->sphere, r->sphere) != 0))
		return 0;
	if (r->has_validity) {
		int in = 0;
		for (unsigned i = 0; i < r->n_validity; i++)
			in |= w->at >= r->validity[i].from && w->at < r->validity[i].until;
		if (!in)
			return 0;
	}
	/* TR 33.cde 4.5.2: the rule does not match a watcher without confidentiality
	 * protection; what it gets is what the other matching rules give, combined (RFC 4745
	 * 10), so an allow rule without the condition still allows it (policy_unguarded_allows) */
	if (r->confidentiality && !w->confidential)
		return 0;
	/* OMA: an anonymous request is matched by anonymous-request only */
	if (r->anonymous_request && !w->anonymous)
		return 0;
	if (r->other_identity) {
		/* OMA: an authenticated watcher no other rule names by identity */
		if (!w->authenticated || w->anonymous)
			return 0;
		for (unsigned i = 0; i < p->n; i++)
			if (&p->rules[i] != r && p->rules[i].has_identity &&
			    identity_matches(&p->rules[i], w))
				return 0;
	}
	return 1;
}

void policy_decide(const struct policy *p, const struct pol_watcher *w, struct pol_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->sub_handling = SH_BLOCK;
	for (unsigned i = 0; i < p->n; i++) {
		const struct pol_rule *r = &p->rules[i];
		if (!rule_matches(p, r, w))
			continue;
		if (d->n_rules < POL_MATCH_MAX)
			d->rules[d->n_rules++] = r->id;
		if (r->has_sub_handling && r->sub_handling > d->sub_handling)
			d->sub_handling = r->sub_handling;
		perm_union(&d->perm, &r->perm);
	}
}

unsigned policy_unguarded_allows(const struct policy *p, const struct pol_watcher *w,
                                 const char **ids, unsigned max)
{
	struct pol_watcher marked = *w, unmarked = *w;
	int guarded = 0;
	unsigned n = 0;
	marked.confidential = 1;
	unmarked.confidential = 0;
	for (unsigned i = 0; i < p->n && !guarded; i++)
		guarded = p->rules[i].confidentiality && rule_matches(p, &p->rules[i], &marked);
	if (!guarded)
		return 0;
	/* RFC 4745 10: a matching rule's permissions count whatever the others say, so an allow
	 * rule without the condition gives the unmarked watcher what it grants */
	for (unsigned i = 0; i < p->n; i++) {
		const struct pol_rule *r = &p->rules[i];
		if (r->confidentiality || !r->has_sub_handling || r->sub_handling != SH_ALLOW ||
		    !rule_matches(p, r, &unmarked))
			continue;
		if (n < max)
			ids[n] = r->id;
		n++;
	}
	return n;
}

const char *sub_handling_name(enum sub_handling s)
{
	static const char *const names[] = {"block", "confirm", "polite-block", "allow"};
	return (unsigned)s < 4 ? names[s] : "block";
}

/* ---- packed form: "PRP1", the rule count, then the rules' bytes as (zero run, literal run)
 * pairs, each length a LEB128 varint ---- */
#define PACK_MAGIC "PRP1"

static size_t put_varint(unsigned char *o, size_t v)
{
	size_t n = 0;
	do {
		o[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return n;
}

static int get_varint(const unsigned char *in, size_t len, size_t *pos, size_t *v)
{
	size_t r = 0;
	for (unsigned shift = 0; shift < 35; shift += 7) {
		if (*pos >= len)
			return -1;
		unsigned char b = in[(*pos)++];
		r |= (size_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

/* Packing walks what each rule uses (the counts say how many entries, a string ends at its
 * NUL) and writes each used field as a literal after the zero run since the previous one: the
 * cost follows the rules' content, not the ~46 KB fixed record (reading every byte of those
 * made packing the largest cost of a presentity's first subscription). Fields are visited in
 * declaration order, so offsets only grow. */
struct packer {
	const unsigned char *base; /* the rules array */
	unsigned char *out;
	size_t o, cap, done; /* done: offset in the rules array written up to */
	int failed;          /* out of memory */
};

/* one (zero run, literal) pair: the zeros since the last field, then n bytes of field */
static void pk_pair(struct packer *k, size_t at, const void *field, size_t n)
{
	if (k->failed)
		return;
	if (k->o + 20 + n > k->cap) {
		size_t cap = 2 * (k->cap + n + 20);
		unsigned char *grown = realloc(k->out, cap);
		if (!grown) {
			k->failed = 1;
			return;
		}
		k->out = grown;
		k->cap = cap;
	}
	k->o += put_varint(k->out + k->o, at - k->done);
	k->o += put_varint(k->out + k->o, n);
	if (n)
		memcpy(k->out + k->o, field, n);
	k->o += n;
	k->done = at + n;
}

/* a used field; all-zero fields (empty counts, unset flags) are left to the zero runs */
static void pk(struct packer *k, const void *field, size_t n)
{
	const unsigned char *b = field;
	while (n && !b[n - 1])
		n--;
	if (n)
		pk_pair(k, (size_t)(b - k->base), b, n);
}

static void pk_str(struct packer *k, const char *s, size_t cap)
{
	pk(k, s, strnlen(s, cap));
}

#define MIN_COUNT(n, max) ((n) < (max) ? (n) : (max))

static void pk_list(struct packer *k, const struct perm_list *l)
{
	pk(k, &l->n, sizeof(l->n));
	for (unsigned i = 0; i < MIN_COUNT(l->n, PERM_LIST_MAX); i++)
		pk_str(k, l->v[i], PERM_STR_MAX);
}

static void pk_select(struct packer *k, const struct perm_select *s)
{
	pk(k, &s->all, sizeof(s->all));
	pk_list(k, &s->service_uri);
	pk_list(k, &s->service_uri_scheme);
	pk_list(k, &s->device_id);
	pk_list(k, &s->occurrence_id);
	pk_list(k, &s->class_);
}

static void pk_perm(struct packer *k, const struct pres_perm *p)
{
	pk_select(k, &p->services);
	pk_select(k, &p->persons);
	pk_select(k, &p->devices);
	/* the flags from activities up to and with user_input */
	pk(k, &p->activities,
	   offsetof(struct pres_perm, unknown) - offsetof(struct pres_perm, activities));
	pk(k, &p->unknown.n, sizeof(p->unknown.n));
	for (unsigned i = 0; i < MIN_COUNT(p->unknown.n, PERM_LIST_MAX); i++) {
		pk_str(k, p->unknown.e[i].ns, PERM_STR_MAX);
		pk_str(k, p->unknown.e[i].name, PERM_STR_MAX);
	}
}

static void pk_rule(struct packer *k, const struct pol_rule *r)
{
	pk_str(k, r->id, sizeof(r->id));
	pk(k, &r->has_identity,
	   offsetof(struct pol_rule, lists) - offsetof(struct pol_rule, has_identity));
	for (unsigned i = 0; i < MIN_COUNT(r->n_lists, POL_LISTS_MAX); i++) {
		pk_str(k, r->lists[i].xui, POL_ID_MAX);
		pk_str(k, r->lists[i].name, sizeof(r->lists[i].name));
	}
	for (unsigned i = 0; i < MIN_COUNT(r->n_members, POL_MEMBER_MAX); i++)
		pk_str(k, r->members[i], POL_ID_MAX);
	pk(k, &r->n_one, offsetof(struct pol_rule, one) - offsetof(struct pol_rule, n_one));
	for (unsigned i = 0; i < MIN_COUNT(r->n_one, POL_ONE_MAX); i++)
		pk_str(k, r->one[i], POL_ID_MAX);
	for (unsigned i = 0; i < MIN_COUNT(r->n_many, POL_MANY_MAX); i++) {
		const struct pol_many *m = &r->many[i];
		pk_str(k, m->domain, POL_ID_MAX);
		pk(k, &m->n_except, sizeof(m->n_except));
		for (unsigned j = 0; j < MIN_COUNT(m->n_except, POL_EXCEPT_MAX); j++) {
			pk_str(k, m->except[j].id, POL_ID_MAX);
			pk_str(k, m->except[j].domain, POL_ID_MAX);
		}
	}
	pk_str(k, r->sphere, sizeof(r->sphere));
	for (unsigned i = 0; i < MIN_COUNT(r->n_validity, 4); i++)
		pk(k, &r->validity[i], sizeof(r->validity[i]));
	pk(k, &r->has_sub_handling,
	   offsetof(struct pol_rule, perm) - offsetof(struct pol_rule, has_sub_handling));
	pk_perm(k, &r->perm);
}

int policy_pack(const struct policy *p, unsigned char **out, size_t *len)
{
	size_t total = (size_t)p->n * sizeof(struct pol_rule);
	struct packer k = {(const unsigned char *)p->rules, malloc(1024), 0, 1024, 0, 0};
	unsigned char *shrunk;
	if (!k.out)
		return -1;
	memcpy(k.out, PACK_MAGIC, 4);
	k.o = 4 + put_varint(k.out + 4, p->n);
	for (unsigned i = 0; i < p->n; i++)
		pk_rule(&k, &p->rules[i]);
	if (k.done < total) /* the zeros after the last used field */
		pk_pair(&k, total, NULL, 0);
	if (k.failed) {
		free(k.out);
		return -1;
	}
	*out = (shrunk = realloc(k.out, k.o)) ? shrunk : k.out;
	*len = k.o;
	return 0;
}

int policy_unpack(const unsigned char *in, size_t len, struct policy *p)
{
	size_t pos = 4, n, total, i = 0;
	unsigned char *raw;

	memset(p, 0, sizeof(*p));
	if (len < 5 || memcmp(in, PACK_MAGIC, 4) != 0 || get_varint(in, len, &pos, &n) != 0 ||
	    n > 256)
		return -1;
	total = n * sizeof(struct pol_rule);
	if (!(raw = calloc(n ? n : 1, sizeof(struct pol_rule))))
		return -1;
	while (pos < len) {
		size_t z, l;
		if (get_varint(in, len, &pos, &z) != 0 || get_varint(in, len, &pos, &l) != 0 ||
		    z > total - i || l > total - i - z || l > len - pos)
			goto bad;
		i += z;
		memcpy(raw + i, in + pos, l);
		i += l;
		pos += l;
	}
	if (i != total)
		goto bad;
	p->rules = (struct pol_rule *)raw;
	p->n = (unsigned)n;
	return 0;
bad:
	free(raw);
	return -1;
}

/* An RFC 4826 resource-lists document, parsed: a well-formed <resource-lists> in its namespace
 * without DOCTYPE, or NULL with *why. */
static xmlDocPtr read_resource_lists(const char *xml, size_t len, const char **why)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	if (len > PIDF_MAX_BYTES) {
		*why = "resource-lists document too large";
		return NULL;
	}
	doc = xmlReadMemory(xml, (int)len, NULL, NULL,
	                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		*why = "resource-lists are not well-formed XML";
		return NULL;
	}
	root = xmlDocGetRootElement(doc);
	if (doc->intSubset || doc->extSubset || !root || !is(root, NS_RL, "resource-lists")) {
		*why = "the root is not <resource-lists> in the RFC 4826 namespace (or has a DOCTYPE)";
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

int xcap_doc_check(const char *auid, const char *xml, size_t len, const char **why)
{
	if (!auid || !xml) {
		*why = "no document";
		return -1;
	}
	if (strcmp(auid, "pres-rules") == 0) {
		struct policy p;
		if (policy_compile(xml, len, &p, why) != 0)
			return -1;
		policy_free(&p);
		return 0;
	}
	if (strcmp(auid, "resource-lists") == 0) {
		xmlDocPtr doc = read_resource_lists(xml, len, why);
		xmlFreeDoc(doc);
		return doc ? 0 : -1;
	}
	*why = "this XCAP application usage is not served here";
	return -1;
}

int policy_needs_lists(const struct policy *p)
{
	for (unsigned i = 0; i < p->n; i++)
		if (p->rules[i].external_list && p->rules[i].n_lists)
			return 1;
	return 0;
}

/* the entries of list l and of every list nested in it */
static int collect_members(xmlNodePtr l, struct pol_rule *r, unsigned depth, const char **why)
{
	if (depth > 16) {
		*why = "resource-lists nested too deep";
		return -1;
	}
	for (xmlNodePtr c = l->children; c; c = c->next) {
		if (is(c, NS_RL, "entry")) {
			if (r->n_members == POL_MEMBER_MAX) {
				*why = "an external list has too many members";
				return -1;
			}
			if (copy_prop(c, "uri", r->members[r->n_members], POL_ID_MAX) == 0)
				r->n_members++;
		} else if (is(c, NS_RL, "list") && collect_members(c, r, depth + 1, why) != 0) {
			return -1;
		}
	}
	return 0;
}

int policy_resolve_lists(struct policy *p, const char *owner_xui, const char *lists_xml, size_t len,
                         const char **why)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root = NULL;
	int rc = 0;

	if (lists_xml) {
		if (!(doc = read_resource_lists(lists_xml, len, why)))
			return -1;
		root = xmlDocGetRootElement(doc);
	}
	for (unsigned i = 0; i < p->n && rc == 0; i++) {
		struct pol_rule *r = &p->rules[i];
		if (!r->external_list)
			continue;
		r->n_members = 0;
		r->lists_resolved = 1;
		for (unsigned k = 0; root && k < r->n_lists && rc == 0; k++) {
			if (!same_id(r->lists[k].xui, owner_xui))
				continue; /* another user's lists are not ours to read */
			for (xmlNodePtr l = root->children; l && rc == 0; l = l->next) {
				xmlChar *name;
				if (!is(l, NS_RL, "list"))
					continue;
				name = xmlGetProp(l, (const xmlChar *)"name");
				if (name && strcmp((const char *)name, r->lists[k].name) == 0)
					rc = collect_members(l, r, 0, why);
				xmlFree(name);
			}
		}
	}
	xmlFreeDoc(doc);
	return rc;
}
