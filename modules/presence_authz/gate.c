/* TS 33.141 4.5.1 (who supplies presence), RFC 3325 9.1 (P-Asserted-Identity), RFC 3323 4.2
 * (Privacy), RFC 3903 4 (PUBLISH is out of dialog), RFC 4745 7.1 (identities authenticated). */
#include "gate.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "presec/conf_mark.h"
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "privhdr.h"
#include "uri_id.h"

static void refuse(struct gate_verdict *v, int status, const char *why, const char *culprit)
{
	v->status = status;
	v->why = why;
	snprintf(v->identity, sizeof(v->identity), "%s", culprit ? culprit : "");
}

static int parse(const char *s, struct uri_id *id, const char **why)
{
	return s ? uri_id_parse(s, strlen(s), id, why) : (*why = "missing", -1);
}

/* the Request-URI's address-of-record into v->presentity. Within a dialog the Request-URI is
 * the PS's own Contact (RFC 3261 12.2.1.1) and presence finds the subscription by its dialog:
 * no presentity then (v->presentity stays empty). */
static int presentity(const struct gate_req *r, struct gate_verdict *v)
{
	struct uri_id id;
	const char *why = NULL;
	if (r->has_to_tag)
		return 0;
	if (parse(r->ruri, &id, &why) != 0 ||
	    uri_id_aor(&id, v->presentity, sizeof(v->presentity)) < 0) {
		refuse(v, 400, "Request-URI is not a presentity", r->ruri);
		return -1;
	}
	return 0;
}

static int trusted_domain(const struct gate_cfg *c, const struct uri_id *id)
{
	return !c->trusted_domains || !*c->trusted_domains ||
	       uri_id_in_domains(id, c->trusted_domains);
}

/* RFC 3325 9.1: one sip or sips identity and one tel identity at most; the sip one names the
 * user. 1 and *id when an identity was asserted, 0 when none was, -1 (refused) when the
 * headers are not identities or there are too many. */
static int from_list(const struct trust_list *l, const char *peer)
{
	return l && peer && trust_match(l, peer);
}

/* The RLS (RFC 4662 7.1) asserts the list watcher on the back-end SUBSCRIBEs it sends: its
 * P-Asserted-Identity counts for a SUBSCRIBE of presence, and never for a PUBLISH. */
static int from_rls(const struct gate_cfg *c, const struct gate_req *r)
{
	return from_list(c->rls, r->peer);
}

static int asserted(const struct gate_cfg *c, const struct gate_req *r, int rls_too,
                    struct uri_id *id, struct gate_verdict *v)
{
	struct ident_list l;
	const char *why = NULL;
	if (!r->n_pai ||
	    !(from_list(c->asserting, r->peer) || (rls_too && from_list(c->rls, r->peer))))
		return 0; /* RFC 3325 5: not believed from outside (privacy strips it there) */
	memset(&l, 0, sizeof(l));
	if (r->n_pai > GATE_HDR_MAX) {
		refuse(v, 403, "Too many P-Asserted-Identity headers", "P-Asserted-Identity");
		return -1;
	}
	for (unsigned i = 0; i < r->n_pai; i++)
		if (!r->pai[i] || ident_parse(r->pai[i], strlen(r->pai[i]), &l, &why) != 0) {
			refuse(v, 403, "P-Asserted-Identity is not one identity",
			       r->pai[i] ? r->pai[i] : "P-Asserted-Identity");
			return -1;
		}
	const struct ident *pick = &l.id[0];
	for (unsigned i = 0; i < l.n; i++)
		if (!l.id[i].is_tel) {
			pick = &l.id[i];
			break;
		}
	if (l.n == 0 || parse(pick->uri, id, &why) != 0) {
		refuse(v, 403, "P-Asserted-Identity is not one identity",
		       l.n ? pick->uri : "P-Asserted-Identity");
		return -1;
	}
	return 1;
}

/* RFC 3323 4.2: Privacy: id asks that the identity be withheld; a Privacy header that cannot
 * be read is taken as asking for it (the watcher is then anonymous, which gives it no more
 * than any anonymous watcher gets) */
static int wants_anonymity(const struct gate_req *r)
{
	unsigned mask = 0;
	const char *why = NULL;
	for (unsigned i = 0; i < r->n_privacy && i < GATE_HDR_MAX; i++)
		if (!r->privacy[i] || priv_parse(r->privacy[i], strlen(r->privacy[i]), &mask, &why))
			return 1;
	return r->n_privacy > GATE_HDR_MAX || (mask & PRIV_ID) != 0;
}

enum gate_watcher gate_watcher(const struct gate_cfg *c, const struct gate_req *r,
                               struct gate_verdict *v)
{
	struct uri_id id;
	const char *why = NULL;
	memset(v, 0, sizeof(*v));
	if (presentity(r, v) != 0)
		return GW_REFUSED;
	if (from_rls(c, r)) {
		/* the RLS subscribes to its members' presence for a list watcher it asserts (or
		 * keeps anonymous), never for itself and never to anyone's watcher list */
		if (r->winfo) {
			refuse(v, 403, "The RLS subscribes to presence only", r->peer);
			return GW_REFUSED;
		}
		if (!r->n_pai && !r->n_privacy) {
			refuse(v, 403, "The RLS asserted no watcher", r->peer);
			return GW_REFUSED;
		}
	}
	/* RFC 3323 4.1.1: whoever asks for identity privacy is the anonymous watcher, asserted
	 * or not */
	if (wants_anonymity(r)) {
		snprintf(v->identity, sizeof(v->identity), "%s", GATE_ANONYMOUS);
		return GW_ANONYMOUS;
	}
	switch (asserted(c, r, 1, &id, v)) {
	case -1:
		return GW_REFUSED;
	case 1:
		if (uri_id_aor(&id, v->identity, sizeof(v->identity)) < 0) {
			refuse(v, 403, "P-Asserted-Identity is not one identity",
			       "P-Asserted-Identity");
			return GW_REFUSED;
		}
		return GW_ASSERTED;
	}
	if (from_rls(c, r)) {
		/* a P-Asserted-Identity the RLS sent but that is not one identity was refused
		 * above; its From is a handle, never a watcher */
		refuse(v, 403, "The RLS asserted no watcher", r->peer);
		return GW_REFUSED;
	}
	/* nobody asserted who this is: the From */
	if (parse(r->from, &id, &why) != 0 ||
	    uri_id_aor(&id, v->identity, sizeof(v->identity)) < 0) {
		refuse(v, 403, "From is not an identity", r->from);
		return GW_REFUSED;
	}
	/* the same test presence_authz makes when it decides (gate_watcher_trusted): a From
	 * that would be taken as authenticated is proved first */
	if (!trusted_domain(c, &id))
		return GW_FOREIGN;
	return c->core_asserts ? GW_MUST_AUTHENTICATE : GW_BELIEVED;
}

const char *gate_watcher_name(enum gate_watcher w)
{
	switch (w) {
	case GW_ASSERTED:
		return "asserted";
	case GW_ANONYMOUS:
		return "anonymous";
	case GW_BELIEVED:
		return "believed";
	case GW_FOREIGN:
		return "unauthenticated";
	case GW_MUST_AUTHENTICATE:
		return "must authenticate";
	default:
		return "refused";
	}
}

int gate_digest(const struct gate_req *r, const char *user, const char *realm,
                struct gate_verdict *v)
{
	struct uri_id id;
	char decoded[URI_ID_USER_MAX];
	const char *why = NULL;
	memset(v, 0, sizeof(*v));
	if (presentity(r, v) != 0)
		return -1;
	if (parse(r->from, &id, &why) != 0 ||
	    uri_id_aor(&id, v->identity, sizeof(v->identity)) < 0) {
		refuse(v, 403, "From is not an identity", r->from);
		return -1;
	}
	/* the Digest proved user@realm: the From must be exactly that user (case kept, escapes
	 * decoded: "%62ob" is bob) of that realm */
	if (!user || !realm || uri_id_user_decoded(&id, decoded, sizeof(decoded)) < 0 ||
	    strcmp(decoded, user) != 0 || !uri_id_in_domain(&id, realm)) {
		refuse(v, 403, "Credentials of another user", r->from);
		return -1;
	}
	return 0;
}

int gate_watcher_trusted(const struct gate_cfg *c, const char *watcher)
{
	struct uri_id id;
	const char *why = NULL;
	if (!c->trusted_domains || !*c->trusted_domains)
		return 1;
	return parse(watcher, &id, &why) == 0 && uri_id_in_domains(&id, c->trusted_domains);
}

enum gate_publish gate_publish(const struct gate_cfg *c, const struct gate_req *r,
                               struct gate_verdict *v)
{
	struct uri_id pub, pres;
	const char *why = NULL;
	memset(v, 0, sizeof(*v));
	/* RFC 3903 4: a PUBLISH is sent outside of any dialog; one with a To-tag is nobody's
	 * publication, whoever relayed it */
	if (r->has_to_tag) {
		refuse(v, 403, "PUBLISH within a dialog", "To-tag");
		return GP_REFUSED;
	}
	if (presentity(r, v) != 0)
		return GP_REFUSED;
	/* TS 33.141 4.5.1: the home environment supplies presence through its presence network
	 * agents (TS 23.141 Pen/Pex), known by address */
	if (c->sources && r->peer && trust_match(c->sources, r->peer)) {
		snprintf(v->identity, sizeof(v->identity), "network presence source %s", r->peer);
		return GP_ALLOWED;
	}
	if (!c->asserting || !r->peer || !trust_match(c->asserting, r->peer)) {
		refuse(v, 403, "Presence is published through the S-CSCF", r->peer);
		return GP_REFUSED;
	}
	switch (asserted(c, r, 0, &pub, v)) {
	case -1:
		return GP_REFUSED;
	case 0:
		/* coming from the S-CSCF's address says nothing about who wrote it */
		if (c->core_asserts) {
			refuse(v, 403, "No asserted identity", "P-Asserted-Identity");
			return GP_REFUSED;
		}
		if (parse(r->from, &pub, &why) != 0) {
			refuse(v, 403, "From is not an identity", r->from);
			return GP_REFUSED;
		}
	}
	if (uri_id_aor(&pub, v->identity, sizeof(v->identity)) < 0) {
		refuse(v, 403, "The publisher is not an identity", "P-Asserted-Identity");
		return GP_REFUSED;
	}
	if (parse(v->presentity, &pres, &why) == 0 && uri_id_equal(&pub, &pres))
		return GP_ALLOWED;
	return GP_ASK_SET;
}

int gate_rls_owner(const struct gate_cfg *c, const struct gate_req *r, int *anonymous,
                   struct gate_verdict *v)
{
	struct uri_id id;
	memset(v, 0, sizeof(*v));
	*anonymous = 0;
	/* a back-end SUBSCRIBE of the RLS is never a list subscription itself: a list that names
	 * another list (or its own service) would make the RLS subscribe to itself */
	if (from_rls(c, r)) {
		refuse(v, 403, "The RLS does not subscribe to lists", r->peer);
		return -1;
	}
	if (presentity(r, v) != 0)
		return -1;
	/* RFC 4826 4.4.9: a list is its owner's; the owner is who the S-CSCF asserted, also
	 * under Privacy: id (then the list watcher is anonymous at every member) */
	switch (asserted(c, r, 0, &id, v)) {
	case -1:
		return -1;
	case 0:
		refuse(v, 403, "Lists are served to asserted watchers only", r->from);
		return -1;
	}
	if (uri_id_aor(&id, v->identity, sizeof(v->identity)) < 0 || !trusted_domain(c, &id)) {
		refuse(v, 403, "Lists are served to asserted watchers only", "P-Asserted-Identity");
		return -1;
	}
	*anonymous = wants_anonymity(r);
	return 0;
}

int gate_rls_handle(const char *key, const char *owner, int anonymous, char *out)
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned char mac[EVP_MAX_MD_SIZE], msg[GATE_ID_MAX + 4];
	unsigned int maclen = 0;
	size_t n;
	if (!key || !*key || !owner || !*owner || (n = strlen(owner)) > GATE_ID_MAX)
		return -1;
	memcpy(msg, owner, n);
	msg[n++] = '\n';
	msg[n++] = anonymous ? '1' : '0';
	if (!HMAC(EVP_sha256(), key, (int)strlen(key), msg, n, mac, &maclen) || maclen < 10)
		return -1;
	/* 16 characters of 5 bits: the first 80 bits of the MAC */
	out[0] = 'r';
	for (unsigned i = 0; i < 16; i++) {
		unsigned bit = i * 5,
		         v = ((unsigned)mac[bit / 8] << 8 | mac[bit / 8 + 1]) >> (11 - bit % 8);
		out[1 + i] = b32[v & 31];
	}
	out[17] = '\0';
	return 0;
}

int gate_rls_token_valid(const char *s, size_t len)
{
	if (!s || len != GATE_RLS_TOKEN_MAX - 1 || s[0] != 'r')
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '2' && s[i] <= '7')))
			return 0;
	return 1;
}

enum gate_publish gate_winfo(const struct gate_req *r, enum gate_watcher w, struct gate_verdict *v)
{
	struct uri_id wat, pres;
	const char *why = NULL;
	if (r->has_to_tag)
		return GP_ALLOWED;
	if (w != GW_ASSERTED) {
		v->status = 403;
		v->why = "Only the presentity watches its watchers";
		return GP_REFUSED;
	}
	if (parse(v->identity, &wat, &why) == 0 && parse(v->presentity, &pres, &why) == 0 &&
	    uri_id_equal(&wat, &pres))
		return GP_ALLOWED;
	return GP_ASK_SET;
}

enum gate_publish gate_publish_set(const char *const *pairs, unsigned n_pairs,
                                   struct gate_verdict *v)
{
	/* the publisher's own implicit registration set: the rows whose first IMPU is the
	 * publisher (the reader may have given more), and among those the presentity */
	for (unsigned i = 0; i < n_pairs; i++)
		if (uri_id_same(pairs[2 * i], v->identity) &&
		    uri_id_same(pairs[2 * i + 1], v->presentity))
			return GP_ALLOWED;
	v->status = 403;
	v->why = "Not the publisher's own presence";
	return GP_REFUSED;
}

int gate_peers_parse(const char *s, struct trust_list *l, const char **why)
{
	char buf[1024];
	size_t k = 0;
	for (const char *p = s; p && *p;) {
		size_t n = strcspn(p, " ,");
		if (n) {
			struct uri_id id;
			const char *tok = p;
			size_t tn = n;
			if ((n > 4 && strncasecmp(p, "sip:", 4) == 0) ||
			    (n > 5 && strncasecmp(p, "sips:", 5) == 0)) {
				/* the peer named by its SIP URI: its host */
				if (uri_id_parse(p, n, &id, why) != 0 || id.user[0]) {
					*why = "a peer URI that is not sip:host[:port]";
					return -1;
				}
				tok = id.host;
				tn = strlen(id.host);
				if (tn > 2 && tok[0] == '[') {
					tok++;
					tn -= 2;
				}
			}
			if (k + tn + 2 > sizeof(buf)) {
				*why = "the peer list is too long";
				return -1;
			}
			memcpy(buf + k, tok, tn);
			k += tn;
			buf[k++] = ' ';
		}
		p += n;
		p += strspn(p, " ,");
	}
	buf[k] = '\0';
	return trust_parse(buf, l, why);
}

/* whether the first `bits` bits of two addresses are the same */
static int same_prefix(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	for (unsigned i = 0; i < bits / 8; i++)
		if (a[i] != b[i])
			return 0;
	unsigned rest = bits % 8;
	if (!rest)
		return 1;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[bits / 8] & mask) == (b[bits / 8] & mask);
}

int gate_lists_overlap(const struct trust_list *a, const struct trust_list *b)
{
	for (unsigned i = 0; i < a->n; i++)
		for (unsigned k = 0; k < b->n; k++) {
			const struct trust_entry *x = &a->e[i], *y = &b->e[k];
			if (x->family != y->family)
				continue;
			if (!x->family) {
				if (strcasecmp(x->name, y->name) == 0)
					return 1;
				continue;
			}
			/* two blocks overlap when the wider one contains the other's network */
			if (same_prefix(x->addr, y->addr,
			                x->prefix < y->prefix ? x->prefix : y->prefix))
				return 1;
		}
	return 0;
}

enum gate_conf gate_confidential(const struct gate_cfg *c, const char *peer,
                                 const char *const *marks, unsigned n)
{
	if (!n)
		return GC_NONE;
	if (!c->asserting || !peer || !trust_match(c->asserting, peer))
		return GC_UNTRUSTED;
	/* one P-CSCF marks a request once: two marks mean someone else wrote one */
	if (n != 1 || !marks[0])
		return GC_MALFORMED;
	const char *s = marks[0];
	size_t len = strlen(s);
	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return presec_conf_ealg_known(s, len) ? GC_BELIEVED : GC_MALFORMED;
}

const char *gate_conf_name(enum gate_conf g)
{
	switch (g) {
	case GC_NONE:
		return "none";
	case GC_BELIEVED:
		return "believed";
	case GC_UNTRUSTED:
		return "not from an asserting peer";
	case GC_MALFORMED:
		return "malformed";
	}
	return "?";
}
