# Libraries the ims_aka core links against (unit tests, fuzzers, tools).
CORE_LIBS_ims_aka := -lcrypto
