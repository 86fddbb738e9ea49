/* Documents per second and peak memory of the pidf_filter cores: compile a rule set once, then
 * parse + decide + filter + serialize one document per iteration, as a PS does per NOTIFY.
 *   pidf_filter_bench RULES.xml PIDF.xml WATCHER ITERATIONS
 * Prints one line: bytes, iterations, seconds, documents/s, peak RSS in KiB. */
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pidf.h"
#include "policy.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = malloc(PIDF_MAX_BYTES + 1);
	if (!f || !b)
		exit(2);
	*len = fread(b, 1, PIDF_MAX_BYTES, f);
	fclose(f);
	return b;
}

/* VmHWM: getrusage()'s ru_maxrss keeps the peak of the process before exec (a Python parent) */
static long peak_rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

int main(int argc, char **argv)
{
	size_t rl, dl;
	const char *why = NULL;
	struct policy pol;
	struct timespec t0, t1;
	if (argc != 5)
		return 2;
	char *rules = slurp(argv[1], &rl), *doc = slurp(argv[2], &dl);
	long n = atol(argv[4]);
	if (policy_compile(rules, rl, &pol, &why) != 0) {
		fprintf(stderr, "rules: %s\n", why);
		return 2;
	}
	struct pol_watcher w = {argv[3], 1, 0, 0, NULL, 0};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		struct pol_decision d;
		char *out;
		size_t len;
		policy_decide(&pol, &w, &d);
		struct pidf_doc *p = pidf_parse(doc, dl, NULL, &why);
		struct pidf_doc *f = p ? pidf_filter(p, &d.perm, &why) : NULL;
		if (!f || pidf_dump(f, &out, &len) != 0) {
			fprintf(stderr, "document: %s\n", why ? why : "?");
			return 2;
		}
		free(out);
		pidf_free(f);
		pidf_free(p);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%zu %ld %.3f %.0f %ld\n", dl, n, s, n / s, peak_rss_kib());
	policy_free(&pol);
	free(rules);
	free(doc);
	xmlCleanupParser();
	return 0;
}
