# The presence_authz core: what presence is told (authz.c), the shared rules cache, the PostgreSQL
# listener, the audit log writer (libpq) and its retry policy (audit_pump.c) and the gate (who
# asks for and supplies presence); the audit log summarizes documents
# with pidf_filter's document core, the gate compares identities with pidf_filter's uri_id and
# reads peers and identity headers with privacy's trust list and header core.
CORE_CFLAGS_presence_authz := -I/usr/include/postgresql -I/usr/include/libxml2 -Imodules/pidf_filter \
                              -Imodules/privacy
CORE_LIBS_presence_authz := modules/pidf_filter/pidf.c modules/pidf_filter/perm.c \
                            modules/pidf_filter/uri_id.c modules/privacy/trust.c \
                            modules/privacy/privhdr.c -lpq -lxml2 -lcrypto
