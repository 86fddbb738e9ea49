/* An SQL identifier that may be written into a statement unquoted (a table or a LISTEN channel
 * named by a modparam): a lowercase letter or '_' first, then lowercase letters, digits and '_',
 * at most max characters (PostgreSQL keeps 63). Anything else (quotes, dots, spaces, upper case
 * that PostgreSQL would fold) is refused, so a modparam can never inject SQL. No Kamailio header.
 */
#ifndef PRESEC_SQL_IDENT_H
#define PRESEC_SQL_IDENT_H
#include <stddef.h>
#include <string.h>

static inline int sql_ident_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' ||
		      (i && s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}
#endif
