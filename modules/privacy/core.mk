# Libraries the privacy core links against (unit tests, fuzzers): none.
CORE_LIBS_privacy :=
