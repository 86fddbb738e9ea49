# The presence_authz core: the shared rules cache, the PostgreSQL listener and the audit log
# writer (libpq); the audit log summarizes documents with pidf_filter's document core.
CORE_CFLAGS_presence_authz := -I/usr/include/postgresql -I/usr/include/libxml2 -Imodules/pidf_filter
CORE_LIBS_presence_authz := modules/pidf_filter/pidf.c modules/pidf_filter/perm.c -lpq -lxml2 -lcrypto
