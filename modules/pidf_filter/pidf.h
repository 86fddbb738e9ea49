/* Presence documents (RFC 3863 PIDF with the RFC 4479 data model, RFC 4480 RPID): safe parsing,
 * composition of several publications into one document, and the RFC 5025 transformations that
 * decide what one watcher sees. Pure core on libxml2: no Kamailio header. */
#ifndef PRESEC_PIDF_H
#define PRESEC_PIDF_H
#include <stddef.h>

#include "presec/pres_perm.h"

#define NS_PIDF "urn:ietf:params:xml:ns:pidf"
#define NS_DM   "urn:ietf:params:xml:ns:pidf:data-model"
#define NS_RPID "urn:ietf:params:xml:ns:pidf:rpid"

#define PIDF_MAX_BYTES 262144 /* 256 KiB: a presence document larger than this is refused */
#define PIDF_MAX_DEPTH 32
/* elements directly below <presence> (tuples, persons, devices: RFC 4479 components, and
 * extensions) in one publication */
#define PIDF_MAX_COMPONENTS 128

struct pidf_doc; /* an xmlDoc that passed pidf_parse() */

/* Parses a PIDF document without network access, DTDs or entity expansion, and checks it: root
 * <presence> in the PIDF namespace, an entity attribute (equal to `entity` when that is not
 * NULL, compared as identities: uri_id.h), bounded size and depth. NULL with *why on any problem.
 */
struct pidf_doc *pidf_parse(const char *buf, size_t len, const char *entity, const char **why);
void pidf_free(struct pidf_doc *d);

/* One publication (the body of a PUBLISH, RFC 3903): pidf_parse() and at most
 * PIDF_MAX_COMPONENTS elements below <presence>. NULL with *why naming the limit or the
 * problem and *refusal saying which kind: too large (size, components: 413) or not an
 * acceptable document (400). */
enum pidf_refusal { PIDF_REFUSED_BAD = 1, PIDF_REFUSED_TOO_LARGE = 2 };
struct pidf_doc *pidf_parse_publication(const char *buf, size_t len, const char *entity,
                                        enum pidf_refusal *refusal, const char **why);

/* RFC 4479 4.3 composition: one document for `entity` from the documents published by its
 * sources, given oldest publication first. Tuples, persons and devices are kept by id; for an
 * id published twice the element with the newer <timestamp> wins, then the later publication.
 * Returns a new document or NULL with *why. */
struct pidf_doc *pidf_compose(struct pidf_doc *const *docs, unsigned n, const char *entity,
                              const char **why);

/* RFC 5025 3.2: a copy of d that keeps only what `perm` grants. NULL with *why on failure. */
struct pidf_doc *pidf_filter(const struct pidf_doc *d, const struct pres_perm *perm,
                             const char **why);

/* RFC 5025 3.2.1 polite-block: a document that shows the presentity as offline. */
struct pidf_doc *pidf_polite_block(const char *entity, const char **why);

/* Serializes a document (UTF-8, with XML declaration); the caller frees *out with free().
 * 0 or -1. */
int pidf_dump(const struct pidf_doc *d, char **out, size_t *len);

/* What one watcher receives, as text (the cfg function pidf_filter_body, presence_authz's
 * NOTIFY bodies): buf parsed with pidf_parse() (entity checked unless NULL), filtered by perm,
 * serialized. 0 with *out (free() it) and *len, or -1 with *why. */
int pidf_filter_text(const char *buf, size_t len, const char *entity, const struct pres_perm *perm,
                     char **out, size_t *out_len, const char **why);

/* The polite-block document of entity as text: 0 with *out (free() it) and *len, or -1 with
 * *why. */
int pidf_polite_block_text(const char *entity, char **out, size_t *out_len, const char **why);

/* What a document gives its reader, for the presentity's audit log (TS 33.141 requirement 6):
 * each(PIDF_PROVIDED_ID, id) for every tuple, person and device (RFC 4479 components) in
 * document order, then each(PIDF_PROVIDED_ELEMENT, name) once for every distinct element name
 * below <presence> ("tuple", "status", "activities", "note", ...; local names in document
 * order, at most 128 of them). */
enum pidf_provided_kind { PIDF_PROVIDED_ID, PIDF_PROVIDED_ELEMENT };
void pidf_provided(const struct pidf_doc *d,
                   void (*each)(enum pidf_provided_kind kind, const char *value, void *arg),
                   void *arg);

/* An RFC 3339 date-time as seconds since 1970 (UTC), -1 when it is not one. */
long long pidf_time(const char *s);

#endif
