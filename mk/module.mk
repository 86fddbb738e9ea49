# Shared build fragment for presec's Kamailio modules. A module's Makefile sets NAME (foo.so),
# MOD_LIBS and extra compile flags (PRESEC_MOD_CFLAGS; Kamailio owns MOD_CFLAGS), then includes
# this file. COREPATH is the Debian-configured Kamailio source tree prepared by
# scripts/kamailio-src.sh (the top-level Makefile passes it), so the .so carries the exact
# version and compile-flag string that the stock /usr/sbin/kamailio checks at load time.
ifeq ($(COREPATH),)
$(error COREPATH is not set: build modules through the top-level Makefile)
endif
PRESEC_ROOT ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
include $(COREPATH)/Makefile.defs
# Makefile.defs sets LIBS, so modules name theirs MOD_LIBS. Modules that use Kamailio's database
# layer (USE_SRDB1 = 1) link the libsrdb1 Debian installed, not a copy built from the tree, and
# find it at run time where the stock kamailio finds its own.
KAMAILIO_LIBDIR := /usr/lib/$(shell $(CC) -print-multiarch)/kamailio
LIBS += $(MOD_LIBS) $(PRESEC_SAN_CFLAGS)
ifeq ($(USE_SRDB1),1)
LIBS += -L$(KAMAILIO_LIBDIR) -l:libsrdb1.so.1 -Wl,-rpath,$(KAMAILIO_LIBDIR)
endif
# Kamailio headers come in through -isystem so that our own -Wextra -Werror applies to our files only.
# PRESEC_SAN_CFLAGS: the sanitizer build of `make test-asan` (empty otherwise).
DEFS += -isystem $(COREPATH) -I$(PRESEC_ROOT)/include $(PRESEC_MOD_CFLAGS) $(PRESEC_SAN_CFLAGS) \
        -std=gnu11 -Wextra -Werror \
        -Wno-missing-field-initializers
include $(COREPATH)/Makefile.modules

# Another module's cores compiled in (PRESEC_SHARED_SOURCES: ../pidf_filter/uri_id.c, ...) are
# built here as .presec-shared/pidf_filter/uri_id.o and linked as extra_objs. Not through
# auto_gen: Kamailio's makefiles take auto_gen for generated sources and `make proper` deletes
# them, which deleted the other module's source files; and objects beside the other module's
# sources were shared by every module that compiled them in.
ifneq ($(filter-out ../%.c,$(PRESEC_SHARED_SOURCES)),)
$(error PRESEC_SHARED_SOURCES names files of other modules: ../<module>/<file>.c)
endif
PRESEC_SHARED_OBJS := $(patsubst ../%.c,.presec-shared/%.o,$(PRESEC_SHARED_SOURCES))
extra_objs += $(PRESEC_SHARED_OBJS)
$(NAME): $(PRESEC_SHARED_OBJS)
.presec-shared/%.o: ../%.c $(ALLDEP)
	@mkdir -p $(@D)
	$(call exec_cmd,CC)
# the compiler writes each object's dependencies beside it (Kamailio's CC_MKDEP_OPTS)
-include $(PRESEC_SHARED_OBJS:.o=.d)
local-clean: presec-shared-clean
.PHONY: presec-shared-clean
presec-shared-clean:
	-@rm -rf .presec-shared
