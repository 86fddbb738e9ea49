/* presec-policy: what a presentity's pres-rules decide for a watcher, and what that watcher
 * would receive of the presentity's published documents. The same cores as the modules
 * (modules/pidf_filter), no Kamailio. Exit status: 0 done, 2 error, 3 (filter) nothing to send
 * because the subscription is blocked or waits for confirmation. */
#include <getopt.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pidf.h"
#include "policy.h"

static void usage(void)
{
	fprintf(stderr,
	        "usage: presec-policy decide --rules RULES.xml --presentity URI --watcher URI\n"
	        "                            [--unauthenticated] [--anonymous] [--at RFC3339]\n"
	        "                            [--sphere VALUE] [--lists RESOURCE-LISTS.xml]\n"
	        "                            [--confidential]\n"
	        "       presec-policy filter (the same options) PIDF.xml...\n");
	exit(2);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	if (!f) {
		fprintf(stderr, "presec-policy: cannot open %s\n", path);
		exit(2);
	}
	buf = malloc(PIDF_MAX_BYTES + 2);
	if (!buf)
		exit(2);
	*len = fread(buf, 1, PIDF_MAX_BYTES + 1, f);
	fclose(f);
	buf[*len] = '\0';
	return buf;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_list(const char *name, const struct perm_list *l, int *first)
{
	if (!l->n)
		return;
	printf("%s", *first ? "" : ", ");
	*first = 0;
	json_str(name);
	printf(": [");
	for (unsigned i = 0; i < l->n; i++) {
		printf("%s", i ? ", " : "");
		json_str(l->v[i]);
	}
	printf("]");
}

static void json_select(const char *name, const struct perm_select *s, const char *all)
{
	int first = 1;
	printf(", ");
	json_str(name);
	printf(": {");
	if (s->all) {
		json_str(all);
		printf(": true");
		first = 0;
	}
	json_list("service-uri", &s->service_uri, &first);
	json_list("service-uri-scheme", &s->service_uri_scheme, &first);
	json_list("deviceID", &s->device_id, &first);
	json_list("occurrence-id", &s->occurrence_id, &first);
	json_list("class", &s->class_, &first);
	printf("}");
}

static void print_decision(const struct pol_decision *d)
{
	static const char *const ui[] = {"false", "bare", "thresholds", "full"};
	const struct pres_perm *p = &d->perm;
	printf("{\"sub_handling\": \"%s\", \"rules\": [", sub_handling_name(d->sub_handling));
	for (unsigned i = 0; i < d->n_rules; i++) {
		printf("%s", i ? ", " : "");
		json_str(d->rules[i]);
	}
	printf("], \"permissions\": {\"provide-user-input\": \"%s\"", ui[p->user_input]);
	json_select("provide-services", &p->services, "all-services");
	json_select("provide-persons", &p->persons, "all-persons");
	json_select("provide-devices", &p->devices, "all-devices");
	const struct {
		const char *name;
		int v;
	} flags[] = {{"provide-activities", p->activities},
	             {"provide-class", p->class_},
	             {"provide-deviceID", p->device_id},
	             {"provide-mood", p->mood},
	             {"provide-place-is", p->place_is},
	             {"provide-place-type", p->place_type},
	             {"provide-privacy", p->privacy},
	             {"provide-relationship", p->relationship},
	             {"provide-status-icon", p->status_icon},
	             {"provide-sphere", p->sphere},
	             {"provide-time-offset", p->time_offset},
	             {"provide-note", p->note},
	             {"provide-all-attributes", p->all_attributes}};
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		printf(", \"%s\": %s", flags[i].name, flags[i].v ? "true" : "false");
	printf(", \"provide-unknown-attribute\": [");
	for (unsigned i = 0; i < p->unknown.n; i++) {
		printf("%s{\"ns\": ", i ? ", " : "");
		json_str(p->unknown.e[i].ns);
		printf(", \"name\": ");
		json_str(p->unknown.e[i].name);
		printf("}");
	}
	printf("]}}\n");
}

int main(int argc, char **argv)
{
	const char *rules_path = NULL, *presentity = NULL, *watcher = NULL, *at = NULL,
	           *sphere = NULL, *why = NULL, *lists_path = NULL;
	int authenticated = 1, anonymous = 0, confidential = 0, c;
	static const struct option opts[] = {
	        {"rules", required_argument, NULL, 'r'},
	        {"presentity", required_argument, NULL, 'p'},
	        {"watcher", required_argument, NULL, 'w'},
	        {"unauthenticated", no_argument, NULL, 'u'},
	        {"anonymous", no_argument, NULL, 'a'},
	        {"at", required_argument, NULL, 't'},
	        {"sphere", required_argument, NULL, 's'},
	        {"lists", required_argument, NULL, 'l'},
	        /* the watcher's request came over an encrypted SA (<ps:confidentiality/>) */
	        {"confidential", no_argument, NULL, 'c'},
	        {NULL, 0, NULL, 0},
	};
	if (argc < 2 || (strcmp(argv[1], "decide") && strcmp(argv[1], "filter")))
		usage();
	int filter = strcmp(argv[1], "filter") == 0;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rules_path = optarg;
			break;
		case 'p':
			presentity = optarg;
			break;
		case 'w':
			watcher = optarg;
			break;
		case 'u':
			authenticated = 0;
			break;
		case 'a':
			anonymous = 1;
			break;
		case 't':
			at = optarg;
			break;
		case 's':
			sphere = optarg;
			break;
		case 'l':
			lists_path = optarg;
			break;
		case 'c':
			confidential = 1;
			break;
		default:
			usage();
		}
	}
	if (!rules_path || !presentity || !watcher || (filter && optind >= argc) ||
	    (!filter && optind != argc))
		usage();

	/* TR 33.cde 4.5.2: only a UE registered at a marking P-CSCF carries the mark, named (of a
	 * trusted domain) or anonymous (Privacy: id); an unauthenticated named watcher never does
	 */
	if (confidential && !authenticated && !anonymous) {
		fprintf(stderr,
		        "presec-policy: --confidential with --unauthenticated: only a UE registered at a marking P-CSCF has the mark, an unauthenticated watcher never does (add --anonymous for a home UE that asked for Privacy: id)\n");
		return 2;
	}
	struct pol_watcher w = {watcher, authenticated, anonymous, (long long)time(NULL),
	                        sphere,  confidential};
	if (at && (w.at = pidf_time(at)) < 0) {
		fprintf(stderr, "presec-policy: --at %s is not an RFC 3339 date-time\n", at);
		return 2;
	}
	size_t len;
	char *xml = slurp(rules_path, &len);
	struct policy pol;
	if (policy_compile(xml, len, &pol, &why) != 0) {
		fprintf(stderr, "presec-policy: %s: %s\n", rules_path, why);
		return 2;
	}
	free(xml);
	/* OMA external-list: the presentity's resource-lists, as the PS reads them */
	if (policy_needs_lists(&pol)) {
		char *lists = lists_path ? slurp(lists_path, &len) : NULL;
		int rc = policy_resolve_lists(&pol, presentity, lists, lists ? len : 0, &why);
		free(lists);
		if (rc != 0) {
			fprintf(stderr, "presec-policy: %s: %s\n", lists_path, why);
			policy_free(&pol);
			return 2;
		}
	}
	const char *unguarded[POL_MATCH_MAX];
	unsigned nu = policy_unguarded_allows(&pol, &w, unguarded, POL_MATCH_MAX);
	for (unsigned i = 0; i < nu && i < POL_MATCH_MAX; i++)
		fprintf(stderr,
		        "presec-policy: warning: rule \"%s\" allows %s without confidentiality, so the <ps:confidentiality/> rules do not keep it from this watcher (RFC 4745 10: the permissions of every matching rule combine; put the condition on every rule that allows it)\n",
		        unguarded[i], watcher);
	struct pol_decision d;
	policy_decide(&pol, &w, &d);
	if (!filter) {
		print_decision(&d);
		policy_free(&pol);
		return 0;
	}

	unsigned n = (unsigned)(argc - optind);
	struct pidf_doc **docs = calloc(n, sizeof(*docs));
	for (unsigned i = 0; i < n; i++) {
		xml = slurp(argv[optind + i], &len);
		if (!(docs[i] = pidf_parse(xml, len, presentity, &why))) {
			fprintf(stderr, "presec-policy: %s: %s\n", argv[optind + i], why);
			return 2;
		}
		free(xml);
	}
	int rc = 0;
	struct pidf_doc *out = NULL;
	if (d.sub_handling == SH_ALLOW) {
		struct pidf_doc *all = pidf_compose(docs, n, presentity, &why);
		out = all ? pidf_filter(all, &d.perm, &why) : NULL;
		pidf_free(all);
	} else if (d.sub_handling == SH_POLITE_BLOCK) {
		out = pidf_polite_block(presentity, &why);
	} else {
		rc = 3; /* block or confirm: the watcher receives nothing */
	}
	if (rc == 0) {
		char *text;
		if (!out || pidf_dump(out, &text, &len) != 0) {
			fprintf(stderr, "presec-policy: %s\n",
			        why ? why : "cannot write the document");
			rc = 2;
		} else {
			fwrite(text, 1, len, stdout);
			free(text);
		}
	}
	pidf_free(out);
	for (unsigned i = 0; i < n; i++)
		pidf_free(docs[i]);
	free(docs);
	policy_free(&pol);
	xmlCleanupParser();
	return rc;
}
