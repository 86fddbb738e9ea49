# Libraries the sec_agree core links against (unit tests, fuzzers).
CORE_LIBS_sec_agree := -lmnl
