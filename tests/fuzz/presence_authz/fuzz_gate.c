/* libFuzzer harness: the gate (gate.h) on what a SUBSCRIBE or PUBLISH brings: the input is up
 * to six newline-separated fields (source address, Request-URI, From, two P-Asserted-Identity
 * bodies, Privacy). The invariant of issue #16 hole 1: a watcher let in unauthenticated is
 * never one that presence_authz would take as authenticated, and one that would be is either
 * asserted or must authenticate first; whatever is let in has a canonical identity. The last
 * field doubles as a confidentiality mark (TR 33.cde 4.5.2): believed only from the asserting
 * peer, and only naming an encryption algorithm. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"
#include "presec/conf_mark.h"
#include "uri_id.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct trust_list asserting, sources;
	static int ready;
	char *buf = malloc(size + 1), *field[6] = {0};
	const char *why = NULL;
	struct gate_verdict v;
	if (!buf)
		return 0;
	if (!ready) {
		trust_parse("127.0.1.2", &asserting, &why);
		trust_parse("127.0.1.8", &sources, &why);
		ready = 1;
	}
	memcpy(buf, data, size);
	buf[size] = '\0';
	char *p = buf;
	for (unsigned i = 0; i < 6 && p; i++) {
		field[i] = p;
		if ((p = strchr(p, '\n')))
			*p++ = '\0';
	}
	struct gate_req r;
	memset(&r, 0, sizeof(r));
	r.peer = field[0] ? field[0] : "";
	r.ruri = field[1];
	r.from = field[2];
	for (unsigned i = 3; i < 5; i++)
		if (field[i])
			r.pai[r.n_pai++] = field[i];
	if (field[5]) {
		r.privacy[0] = field[5];
		r.n_privacy = 1;
	}
	r.has_to_tag = size > 0 && (data[0] & 1);
	for (int asserts = 0; asserts < 2; asserts++) {
		struct gate_cfg c = {&asserting, &sources, "ims.example", asserts, NULL};
		/* a list is only ever an asserted owner's, and never the RLS's own request */
		struct gate_cfg rc = c;
		int anon = 0;
		rc.rls = &sources;
		if (gate_rls_owner(&rc, &r, &anon, &v) == 0 &&
		    (!*v.identity || !gate_watcher_trusted(&rc, v.identity) || !r.n_pai ||
		     (r.peer && trust_match(&sources, r.peer))))
			__builtin_trap();
		enum gate_watcher w = gate_watcher(&c, &r, &v);
		if (w == GW_REFUSED) {
			if (v.status < 400 || !v.why)
				__builtin_trap();
		} else {
			/* within a dialog the presentity is the dialog's (RFC 3261 12.2.1.1) */
			if (!*v.identity || (!*v.presentity && !r.has_to_tag))
				__builtin_trap();
			int trusted = gate_watcher_trusted(&c, v.identity);
			if (w == GW_FOREIGN && trusted)
				__builtin_trap();
			if ((w == GW_MUST_AUTHENTICATE || w == GW_BELIEVED) && !trusted)
				__builtin_trap();
			if (w == GW_BELIEVED && asserts)
				__builtin_trap();
			if (w == GW_MUST_AUTHENTICATE && !asserts)
				__builtin_trap();
			/* the watcher list: only an asserted watcher out of a dialog gets further
			 */
			struct gate_verdict wv = v;
			enum gate_publish wi = gate_winfo(&r, w, &wv);
			if (wi != GP_REFUSED && w != GW_ASSERTED && !r.has_to_tag)
				__builtin_trap();
			if (wi == GP_REFUSED && wv.status != 403)
				__builtin_trap();
		}
		enum gate_publish g = gate_publish(&c, &r, &v);
		if (g == GP_REFUSED && (v.status < 400 || !v.why))
			__builtin_trap();
		if (g != GP_REFUSED && (!*v.presentity || r.has_to_tag))
			__builtin_trap();
		/* an empty implicit registration set never lets a publisher in */
		if (g == GP_ASK_SET && gate_publish_set(NULL, 0, &v) != GP_REFUSED)
			__builtin_trap();
	}
	/* a Digest that proved the From's own user proves it, and nothing else */
	struct uri_id id;
	char user[URI_ID_USER_MAX];
	if (r.from && uri_id_parse(r.from, strlen(r.from), &id, &why) == 0 &&
	    uri_id_user_decoded(&id, user, sizeof(user)) >= 0 && *id.user) {
		int ok = gate_digest(&r, user, "ims.example", &v);
		if (ok == 0 && !uri_id_in_domain(&id, "ims.example"))
			__builtin_trap();
	}
	if (field[5]) {
		struct gate_cfg c = {&asserting, &sources, "ims.example", 1};
		const char *marks[1] = {field[5]};
		enum gate_conf g = gate_confidential(&c, r.peer, marks, 1);
		/* the value without blanks, lower-cased: one of the two names, or not believed */
		char lower[16] = "";
		for (size_t i = 0, n = 0; field[5][i] && n < sizeof(lower) - 1; i++)
			if (field[5][i] != ' ' && field[5][i] != '\t')
				lower[n++] = (char)(field[5][i] | 0x20);
		if (g == GC_BELIEVED &&
		    (!trust_match(&asserting, r.peer) ||
		     (strcmp(lower, "aes-cbc") && strcmp(lower, "des-ede3-cbc"))))
			__builtin_trap();
		if (gate_confidential(&c, r.peer, marks, 2) == GC_BELIEVED)
			__builtin_trap();
	}
	free(buf);
	return 0;
}
