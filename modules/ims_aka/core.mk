# Libraries the ims_aka core links against (unit tests, fuzzers, tools); the address lists are
# the privacy module's trust core, IMPUs are compared with pidf_filter's uri_id.
CORE_CFLAGS_ims_aka := -Imodules/privacy -Imodules/pidf_filter
CORE_LIBS_ims_aka := modules/privacy/trust.c modules/pidf_filter/uri_id.c -lcrypto
