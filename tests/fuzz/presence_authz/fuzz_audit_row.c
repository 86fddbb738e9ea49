/* libFuzzer harness: an audit row (audit_log.h) from what a watcher and a presentity control:
 * the watcher and presentity URIs, the rule ids, the dialog and the body. Whatever they hold,
 * the row stays one COPY line of exactly eleven columns, with no raw separator inside a column
 * and only well-formed UTF-8. Input: fields separated by 0x1e, the body last. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit_log.h"

static int valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t k = c < 0x80         ? 1
		           : (c >> 5) == 6  ? 2
		           : (c >> 4) == 14 ? 3
		           : (c >> 3) == 30 ? 4
		                            : 0;
		if (!k || i + k > n)
			return 0;
		for (size_t j = 1; j < k; j++)
			if ((s[i + j] & 0xC0) != 0x80)
				return 0;
		i += k;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *field[8] = {0};
	int n = 0;
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	field[n++] = copy;
	for (size_t i = 0; i < size && n < 8; i++)
		if (copy[i] == 0x1e) {
			copy[i] = '\0';
			field[n++] = copy + i + 1;
		}
	const char *body = field[n - 1];
	size_t body_len = size - (size_t)(body - copy);
	const char *rules[2] = {n > 3 ? field[2] : "r", n > 4 ? field[3] : ""};
	struct audit_entry e = {
	        .sent_at_us = (long long)size * 1000003,
	        .anonymous = (int)(size & 1),
	        .sub_handling = "allow",
	        .presentity = n > 1 ? field[0] : "",
	        .watcher = n > 2 ? field[1] : "",
	        .rules = rules,
	        .n_rules = 2,
	        .call_id = n > 5 ? field[4] : "",
	        .from_tag = n > 6 ? field[5] : NULL,
	        .to_tag = "t",
	        .document = body,
	        .document_len = body_len,
	};
	struct audit_batch b = {0};
	for (int keep = 0; keep < 2; keep++) {
		audit_batch_reset(&b);
		if (audit_batch_add(&b, &e, keep) != 0)
			continue; /* out of memory only */
		if (b.rows != 1 || b.len == 0 || b.buf[b.len - 1] != '\n' ||
		    memchr(b.buf, '\n', b.len - 1) || memchr(b.buf, '\0', b.len) ||
		    !valid_utf8((const unsigned char *)b.buf, b.len))
			__builtin_trap();
		int tabs = 0;
		for (size_t i = 0; i < b.len; i++)
			tabs += b.buf[i] == '\t';
		if (tabs != 10)
			__builtin_trap();
	}
	audit_batch_free(&b);
	free(copy);
	return 0;
}
