/* Shared Kamailio glue: rewriting the headers of a message being relayed, with lumps (includes
 * Kamailio headers; cores never include it). Every change is applied when the message is sent;
 * msg->buf itself stays as it arrived. */
#ifndef PRESEC_KAMAILIO_LUMP_H
#define PRESEC_KAMAILIO_LUMP_H

#include <string.h>

#include "core/data_lump.h"
#include "core/mem/mem.h"
#include "core/parser/msg_parser.h"

/* Removes header h (its name, body and CRLF). 0 or -1. */
static inline int presec_hdr_remove(struct sip_msg *msg, struct hdr_field *h)
{
	return del_lump(msg, (int)(h->name.s - msg->buf), h->len, 0) ? 0 : -1;
}

/* Removes every header of a type; how many went. */
static inline int presec_hdr_remove_all(struct sip_msg *msg, enum _hdr_types_t type)
{
	int n = 0;
	for (struct hdr_field *h = msg->headers; h; h = h->next)
		if (h->type == type && presec_hdr_remove(msg, h) == 0)
			n++;
	return n;
}

/* Adds text, a complete header line with its CRLF, after the last header (before the body).
 * 0 or -1. */
static inline int presec_hdr_add(struct sip_msg *msg, const char *text, size_t len)
{
	struct lump *anchor;
	char *s;
	if (parse_headers(msg, HDR_EOH_F, 0) < 0)
		return -1;
	anchor = anchor_lump(msg, (int)(msg->unparsed - msg->buf), 0, 0);
	if (!anchor || !(s = pkg_malloc(len)))
		return -1;
	memcpy(s, text, len);
	if (!insert_new_lump_after(anchor, s, (int)len, 0)) {
		pkg_free(s);
		return -1;
	}
	return 0;
}

/* Replaces the body of header h (its name and CRLF stay). 0 or -1. */
static inline int presec_hdr_replace_body(struct sip_msg *msg, struct hdr_field *h,
                                          const char *body, size_t len)
{
	struct lump *l = del_lump(msg, (int)(h->body.s - msg->buf), h->body.len, 0);
	char *s;
	if (!l || !(s = pkg_malloc(len)))
		return -1;
	memcpy(s, body, len);
	if (!insert_new_lump_after(l, s, (int)len, 0)) {
		pkg_free(s);
		return -1;
	}
	return 0;
}

#endif
