# Libraries the ims_aka core links against (unit tests, fuzzers, tools); the address lists are
# the privacy module's trust core.
CORE_CFLAGS_ims_aka := -Imodules/privacy
CORE_LIBS_ims_aka := modules/privacy/trust.c -lcrypto
