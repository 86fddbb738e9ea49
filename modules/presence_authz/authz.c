/* Subscription state and document from the rules' decision: authz.h. */
#include "authz.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

void authz_subscription(enum authz_outcome how, enum sub_handling sh,
                        struct authz_subscription *out)
{
	out->reason = NULL;
	if (how == AUTHZ_UNAVAILABLE) {
		out->status = AUTHZ_PENDING;
		out->count = AUTHZ_COUNT_NONE;
		return;
	}
	if (how == AUTHZ_REFUSED)
		sh = SH_BLOCK;
	switch (sh) {
	case SH_ALLOW:
		out->status = AUTHZ_ACTIVE;
		out->count = AUTHZ_COUNT_ALLOW;
		break;
	case SH_POLITE_BLOCK:
		out->status = AUTHZ_ACTIVE;
		out->count = AUTHZ_COUNT_POLITE_BLOCK;
		break;
	case SH_CONFIRM:
		out->status = AUTHZ_PENDING;
		out->count = AUTHZ_COUNT_CONFIRM;
		break;
	default:
		out->status = AUTHZ_TERMINATED;
		out->reason = "rejected";
		out->count = AUTHZ_COUNT_BLOCK;
	}
}

enum authz_doc authz_document(enum authz_outcome how, enum sub_handling sh)
{
	return how == AUTHZ_DECIDED && sh == SH_ALLOW ? AUTHZ_DOC_FILTERED : AUTHZ_DOC_OFFLINE;
}

enum authz_doc authz_document_fallback(enum authz_doc failed)
{
	return failed == AUTHZ_DOC_FILTERED ? AUTHZ_DOC_OFFLINE : AUTHZ_DOC_EMPTY;
}

int authz_state_confidential(int authenticated, int anonymous)
{
	return authenticated || anonymous;
}

int authz_anonymous_domain(const char *domain, size_t len)
{
	return len == 17 && strncasecmp(domain, "anonymous.invalid", 17) == 0;
}

void authz_watcher_uri(const char *user, size_t ulen, const char *domain, size_t dlen, char *out,
                       size_t outsz)
{
	if (dlen == 0)
		snprintf(out, outsz, "tel:%.*s", (int)ulen, user);
	else
		snprintf(out, outsz, "sip:%.*s@%.*s", (int)ulen, user, (int)dlen, domain);
}

void authz_rpc_flag(const char *flag, size_t len, int *authenticated, int *anonymous,
                    int *confidential)
{
	*authenticated = 1;
	*anonymous = *confidential = 0;
	for (size_t i = 0; flag && i < len;) {
		size_t n = 0;
		while (i + n < len && flag[i + n] != ',')
			n++;
		const char *t = flag + i;
		if (n == 15 && strncmp(t, "unauthenticated", 15) == 0)
			*authenticated = 0;
		else if (n == 9 && strncmp(t, "anonymous", 9) == 0)
			*anonymous = 1;
		else if (n == 12 && strncmp(t, "confidential", 12) == 0)
			*confidential = 1;
		i += n + 1;
	}
}

static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_' || c == '+';
}

int authz_xcap_name_ok(const char *s, size_t len)
{
	if (len == 0 || len > 64)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!name_char(s[i]))
			return 0;
	return 1;
}

int authz_plain_sip_uri(const char *s, size_t len)
{
	if (len < 5 || len > 200 || strncmp(s, "sip:", 4) != 0)
		return 0;
	for (size_t i = 4; i < len; i++)
		if (!name_char(s[i]) && s[i] != '@')
			return 0;
	return 1;
}
