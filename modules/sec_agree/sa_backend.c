/* The SA backends known to the module. */
#include "sa_backend.h"

#include <string.h>

#include "sa_xfrm.h"

static int record_probe(char *err, size_t errsz)
{
	(void)err;
	(void)errsz;
	return 0;
}

static int record_install(const struct sa_rec *r, const struct sa_rec *current,
                          const uint8_t *auth_key, size_t auth_len, const uint8_t *enc_key,
                          size_t enc_len, int lifetime)
{
	(void)r;
	(void)current;
	(void)auth_key;
	(void)auth_len;
	(void)enc_key;
	(void)enc_len;
	(void)lifetime;
	return 0;
}

static int record_update(const struct sa_rec *r, int lifetime)
{
	(void)r;
	(void)lifetime;
	return 0;
}

static int record_remove(const struct sa_rec *r, const struct sa_rec *heir)
{
	(void)r;
	(void)heir;
	return 0;
}

static const struct sa_backend record = {
        "record",
        "SAs are negotiated and recorded but NOT installed in the kernel: traffic between the UEs and this P-CSCF is protected only if IPsec is terminated elsewhere",
        record_probe,
        record_install,
        record_update,
        record_remove,
};

/* The kernel's own lifetime is not used: the module deletes SAs itself (sa_xfrm.c). */
static int xfrm_update(const struct sa_rec *r, int lifetime)
{
	(void)r;
	(void)lifetime;
	return 0;
}

static const struct sa_backend xfrm = {
        "xfrm", NULL, sa_xfrm_probe, sa_xfrm_install, xfrm_update, sa_xfrm_remove,
};

static const struct sa_backend *const all[] = {&record, &xfrm};

const struct sa_backend *sa_backend_find(const char *name)
{
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}
