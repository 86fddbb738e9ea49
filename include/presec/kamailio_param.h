/* Shared Kamailio glue: the range checks of integer module parameters, one table per module,
 * each failure naming the parameter and the range it allows (includes Kamailio headers). */
#ifndef PRESEC_KAMAILIO_PARAM_H
#define PRESEC_KAMAILIO_PARAM_H

#include <limits.h>
#include <stddef.h>

#include "core/dprint.h"

struct presec_int_bound {
	const char *name; /* the modparam */
	const int *value;
	int min, max; /* INT_MAX: no upper bound */
};

/* 0 when every value is in its range; else one log line for the first that is not, and -1. */
static inline int presec_check_bounds(const char *module, const struct presec_int_bound *b,
                                      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (*b[i].value >= b[i].min && *b[i].value <= b[i].max)
			continue;
		if (b[i].max == INT_MAX)
			LM_ERR("modparam(\"%s\", \"%s\", %d): must be at least %d\n", module,
			       b[i].name, *b[i].value, b[i].min);
		else
			LM_ERR("modparam(\"%s\", \"%s\", %d): must be %d..%d\n", module, b[i].name,
			       *b[i].value, b[i].min, b[i].max);
		return -1;
	}
	return 0;
}

#define PRESEC_BOUND(name, min, max)                                                               \
	{                                                                                          \
#name, &name, min, max                                                             \
	}

#endif
