# The presence_authz core: the shared rules cache and the PostgreSQL listener (libpq).
CORE_CFLAGS_presence_authz := -I/usr/include/postgresql
CORE_LIBS_presence_authz := -lpq
