# The pidf_filter core (document filtering, composition, pres-rules) is built on libxml2.
CORE_CFLAGS_pidf_filter := -I/usr/include/libxml2
CORE_LIBS_pidf_filter := -lxml2
