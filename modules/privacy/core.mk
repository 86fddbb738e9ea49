# Libraries the privacy core links against (unit tests, fuzzers): pidf_filter's identity
# comparison (uri_id.c), compiled in.
CORE_CFLAGS_privacy := -Imodules/pidf_filter
CORE_LIBS_privacy := modules/pidf_filter/uri_id.c
