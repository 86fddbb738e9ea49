/* libFuzzer harness: a published presence document, from anyone, through everything the PS
 * does with it: parse (no network, no DTD), compose with itself, filter with a few permission
 * sets, serialize, summarize for the audit log. A refusal names its reason; what is written
 * parses again; the summary names only non-empty ids and element names. */
#include <libxml/parser.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pidf.h"

static void check_provided(enum pidf_provided_kind kind, const char *value, void *arg)
{
	(void)arg;
	if ((kind != PIDF_PROVIDED_ID && kind != PIDF_PROVIDED_ELEMENT) || !value ||
	    (kind == PIDF_PROVIDED_ELEMENT && !*value))
		__builtin_trap();
}

static void check_out(struct pidf_doc *d)
{
	char *x;
	size_t n;
	const char *why = NULL;
	if (!d || pidf_dump(d, &x, &n) != 0)
		__builtin_trap();
	struct pidf_doc *again = pidf_parse(x, n, NULL, &why);
	if (!again)
		__builtin_trap();
	pidf_free(again);
	free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = NULL;
	struct pidf_doc *d = pidf_parse((const char *)data, size, NULL, &why);
	if (!d) {
		if (!why || !*why)
			__builtin_trap();
		return 0;
	}
	struct pidf_doc *docs[2] = {d, d};
	struct pidf_doc *c = pidf_compose(docs, 2, "sip:fuzz@example.com", &why);
	check_out(c);
	struct pres_perm p;
	memset(&p, 0, sizeof(p));
	struct pidf_doc *f = pidf_filter(c, &p, &why);
	check_out(f);
	pidf_free(f);
	p.services.all = p.persons.all = p.devices.all = 1;
	p.note = p.activities = 1;
	p.user_input = UI_BARE;
	perm_list_add(&p.services.service_uri_scheme, "sip");
	f = pidf_filter(c, &p, &why);
	check_out(f);
	pidf_provided(f, check_provided, NULL);
	pidf_free(f);
	pidf_provided(d, check_provided, NULL);
	pidf_free(c);
	pidf_free(d);
	return 0;
}
