# Libraries the sec_agree core links against (unit tests, fuzzers).
# sa_ident.c compares identities with privacy's core (privhdr.c)
CORE_CFLAGS_sec_agree := -Imodules/privacy
CORE_LIBS_sec_agree := modules/privacy/privhdr.c -lmnl
