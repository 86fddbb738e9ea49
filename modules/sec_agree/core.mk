# Libraries the sec_agree core links against (unit tests, fuzzers).
# sa_ident.c compares identities with pidf_filter's core (uri_id.c)
CORE_CFLAGS_sec_agree := -Imodules/pidf_filter
CORE_LIBS_sec_agree := modules/pidf_filter/uri_id.c -lmnl
