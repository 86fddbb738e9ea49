# presec: top-level build. `make demo` and `make test` are the two entry points (README.md).
SHELL := /bin/bash
BUILD      ?= $(CURDIR)/build
KSRC_CACHE ?= $(BUILD)/cache
MODDIR     ?= /usr/lib/$(shell $(CC) -print-multiarch)/kamailio/modules
CC         ?= gcc
PYTHON     ?= /usr/bin/python3
PYTEST     ?= $(PYTHON) -m pytest

# Pure cores and tools: C11, strict warnings, no Kamailio header.
CORE_CFLAGS ?= -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -g -Wall -Wextra -Werror \
               -Wshadow -Wstrict-prototypes -Wformat=2 -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
               -I$(CURDIR)/include
SAN_FLAGS   ?= -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

MODULES := $(patsubst modules/%/Makefile,%,$(wildcard modules/*/Makefile))
# A module's pure core: every .c in its folder except the Kamailio glue, which is told by name:
# <m>_mod.c (exports, modparams, init) and kamailio_*.c (the rest of the glue, by concern).
# scripts/check-cores.sh (make format-check, make unit) holds the cores to it.
core_srcs = $(filter-out modules/$(1)/$(1)_mod.c modules/$(1)/kamailio_%.c,$(wildcard modules/$(1)/*.c))
# Extra compile and link flags of a module's core (libcrypto, libxml2, ...), from
# modules/<m>/core.mk (CORE_CFLAGS_<m>, CORE_LIBS_<m>).
-include $(wildcard modules/*/core.mk)

UNIT_SRCS  := $(wildcard tests/unit/*/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))

FUZZ_SRCS  := $(wildcard tests/fuzz/*/fuzz_*.c)
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_SECONDS ?= 60
CLANG      ?= clang

.PHONY: all tools deps deps-vm modules unit integration test demo install clean distclean help \
        fuzz fuzz-build fuzz-smoke format format-check bench test-ipsec-vm modules-asan \
        test-asan soak check-cores check-clean
all: modules tools

# Operator tools on the same cores as the modules (no Kamailio): tools/<name>/*.c with the
# cores they name in TOOL_CORES_<name>.
TOOLS := presec-policy
TOOL_CORES_presec-policy := pidf_filter
tools: $(addprefix $(BUILD)/tools/,$(TOOLS))
$(BUILD)/tools/%: tools/%/*.c FORCE
	@mkdir -p $(dir $@)
	@$(CC) $(CORE_CFLAGS) $(foreach m,$(TOOL_CORES_$*),-Imodules/$(m) $(CORE_CFLAGS_$(m))) \
	  -o $@ $(wildcard tools/$*/*.c) $(foreach m,$(TOOL_CORES_$*),$(call core_srcs,$(m))) \
	  $(foreach m,$(TOOL_CORES_$*),$(CORE_LIBS_$(m)))

help:
	@echo "make demo     install what is missing, build, run the reference topology and the main flow"
	@echo "make test     install what is missing, build, run unit and integration tests"
	@echo "make modules  build every module against Debian's kamailio source ($(MODULES))"
	@echo "make install  copy the modules into $(MODDIR)"
	@echo "make fuzz     run every libFuzzer harness for FUZZ_SECONDS (default 60) each"
	@echo "make test-ipsec-vm  the sec-agree flow over real ESP in a Debian kernel under qemu"
	@echo "make bench    run every benchmark in bench/ (figures as ratios against the stock topology)"

deps:
	@scripts/deps.sh base

deps-vm:
	@scripts/deps.sh vm

# The Debian-configured Kamailio tree; its path is cached in $(BUILD)/corepath.
$(BUILD)/corepath:
	@mkdir -p $(BUILD)
	scripts/kamailio-src.sh $(KSRC_CACHE) > $@.tmp && mv $@.tmp $@

# Each .so is renamed into place, never overwritten: a kamailio that has the old one mapped
# (a benchmark or test still running) keeps it intact instead of crashing on new bytes.
modules: $(BUILD)/corepath
	@set -e; mkdir -p $(BUILD)/modules; for m in $(MODULES); do \
	  $(MAKE) --no-print-directory -C modules/$$m COREPATH=$$(cat $(BUILD)/corepath) \
	    PRESEC_ROOT=$(CURDIR) quiet=$(if $(V),verbose,silent); \
	  cp modules/$$m/$$m.so $(BUILD)/modules/.$$m.so.new; \
	  mv -f $(BUILD)/modules/.$$m.so.new $(BUILD)/modules/$$m.so; \
	done; \
	so=$$(scripts/build-rls.sh $$(cat $(BUILD)/corepath) $(BUILD)/rls); \
	cp $$so $(BUILD)/modules/.rls.so.new; mv -f $(BUILD)/modules/.rls.so.new $(BUILD)/modules/rls.so; \
	echo "modules built into $(BUILD)/modules: $(MODULES) rls (patched, patches/kamailio)"

# cmocka unit tests: tests/unit/<module>/test_*.c linked with that module's core.
unit_mod = $(firstword $(subst /, ,$(1)))
$(BUILD)/unit/%: tests/unit/%.c FORCE
	@mkdir -p $(dir $@)
	@$(CC) $(CORE_CFLAGS) $(CORE_CFLAGS_$(call unit_mod,$*)) $(UNIT_SAN) \
	  -Imodules/$(call unit_mod,$*) -o $@ $< \
	  $(call core_srcs,$(call unit_mod,$*)) $(CORE_LIBS_$(call unit_mod,$*)) -lcmocka
FORCE:

# libFuzzer harnesses: tests/fuzz/<module>/fuzz_<what>.c with that module's core, seeds in
# tests/fuzz/<module>/corpus/<what>/.
$(BUILD)/fuzz/%: tests/fuzz/%.c FORCE
	@mkdir -p $(dir $@)
	@$(CLANG) -std=c11 -D_DEFAULT_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=all -Iinclude -Imodules/$(call unit_mod,$*) \
	  $(CORE_CFLAGS_$(call unit_mod,$*)) -o $@ $< \
	  $(call core_srcs,$(call unit_mod,$*)) $(CORE_LIBS_$(call unit_mod,$*))

fuzz-build: $(FUZZ_BINS)

# Runs every harness for FUZZ_SECONDS on a copy of its seed corpus; prints executions and
# findings; fails when a harness finds a crash (its reproducer stays in build/fuzz-findings).
fuzz: fuzz-build
	@set -e; rm -rf $(BUILD)/fuzz-work; mkdir -p $(BUILD)/fuzz-findings; fail=0; \
	for f in $(FUZZ_BINS); do \
	  rel=$${f#$(BUILD)/fuzz/}; mod=$${rel%%/*}; what=$${rel#*/fuzz_}; \
	  work=$(BUILD)/fuzz-work/$$mod-$$what; mkdir -p $$work; \
	  cp -r tests/fuzz/$$mod/corpus/$$what/. $$work/ 2>/dev/null || true; \
	  if $$f -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -print_final_stats=1 \
	       -artifact_prefix=$(BUILD)/fuzz-findings/$$mod-$$what- $$work > $$work.log 2>&1; then \
	    st=ok; else st=FINDING; fail=$$((fail+1)); fi; \
	  runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$work.log | tail -1); \
	  echo "fuzz $$mod/$$what: $$st, $${runs:-?} executions in $(FUZZ_SECONDS)s, corpus $$(ls $$work | wc -l)"; \
	  [ $$st = ok ] || tail -30 $$work.log; \
	done; [ $$fail = 0 ]

fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=5

unit: $(UNIT_BINS)
	@scripts/check-cores.sh
	@set -e; pass=0; fail=0; for t in $(UNIT_BINS); do \
	  if $$t; then pass=$$((pass+1)); else fail=$$((fail+1)); echo "FAILED: $$t"; fi; \
	done; echo "unit: $$pass passed, $$fail failed"; [ $$fail = 0 ]

# Our C follows .clang-format; format-check fails on any file that clang-format would change.
C_SRCS = $(wildcard modules/*/*.[ch] include/presec/*.h tests/unit/*.h tests/unit/*/*.[ch] tests/fuzz/*/*.c \
           tools/*/*.[ch] bench/*.c)
format:
	clang-format -i $(C_SRCS)

# No core includes a Kamailio header (the glue naming rule above).
check-cores:
	@scripts/check-cores.sh

# Kamailio's `make clean` and `make proper` in a module remove no source file (mk/module.mk).
check-clean: $(BUILD)/corepath
	@scripts/check-clean.sh $$(cat $(BUILD)/corepath)

format-check: check-cores
	@bad=0; for f in $(C_SRCS); do clang-format $$f | cmp -s - $$f || { echo "not formatted: $$f"; bad=1; }; done; \
	[ $$bad = 0 ] && echo "format-check: $(words $(C_SRCS)) files ok"

unit-asan:
	$(MAKE) unit BUILD=$(BUILD)/asan UNIT_SAN="$(SAN_FLAGS)"

integration: modules tools
	PRESEC_BUILD=$(BUILD) $(PYTEST) -q -p no:cacheprovider --basetemp=$(BUILD)/pytest-tmp \
	  tests/integration $(PYTEST_ARGS)

# The modules built with ASan + UBSan into $(BUILD)/asan/modules (from a copy of the sources,
# so the normal objects stay), and the integration suite run with kamailio loading them
# (libasan preloaded: the Debian kamailio is not instrumented). Any sanitizer report fails it.
ASAN_SRC = $(BUILD)/asan/src
modules-asan: $(BUILD)/corepath
	@set -e; rm -rf $(ASAN_SRC); mkdir -p $(ASAN_SRC) $(BUILD)/asan/modules; \
	cp -a modules mk include $(ASAN_SRC)/; \
	find $(ASAN_SRC) \( -name '*.o' -o -name '*.d' -o -name '*.so' -o -name '*.lst' \) -delete; \
	for m in $(MODULES); do \
	  $(MAKE) --no-print-directory -C $(ASAN_SRC)/modules/$$m COREPATH=$$(cat $(BUILD)/corepath) \
	    PRESEC_ROOT=$(ASAN_SRC) quiet=silent PRESEC_SAN_CFLAGS="$(SAN_FLAGS)"; \
	  cp $(ASAN_SRC)/modules/$$m/$$m.so $(BUILD)/asan/modules/.$$m.so.new; \
	  mv -f $(BUILD)/asan/modules/.$$m.so.new $(BUILD)/asan/modules/$$m.so; \
	done; \
	so=$$(scripts/build-rls.sh $$(cat $(BUILD)/corepath) $(BUILD)/rls); \
	cp $$so $(BUILD)/asan/modules/.rls.so.new; mv -f $(BUILD)/asan/modules/.rls.so.new $(BUILD)/asan/modules/rls.so; \
	echo "sanitizer modules built into $(BUILD)/asan/modules (with the patched rls, not instrumented)"

test-asan: deps modules-asan tools
	rm -rf $(BUILD)/asan/reports; mkdir -p $(BUILD)/asan/reports
	PRESEC_BUILD=$(BUILD) PRESEC_MODULES=$(BUILD)/asan/modules \
	  PRESEC_PRELOAD="$$($(CC) -print-file-name=libasan.so) $$($(CC) -print-file-name=libubsan.so)" \
	  PRESEC_SAN_REPORTS=$(BUILD)/asan/reports \
	  $(PYTEST) -q -p no:cacheprovider --basetemp=$(BUILD)/pytest-tmp tests/integration $(PYTEST_ARGS)
	@n=$$(ls $(BUILD)/asan/reports | wc -l); if [ $$n != 0 ]; then \
	  echo "test-asan: $$n sanitizer reports in $(BUILD)/asan/reports:"; \
	  head -40 $(BUILD)/asan/reports/*; exit 1; fi; echo "test-asan: no sanitizer report"

# Real kernel ESP between a UE and the P-CSCF, in a Debian kernel under qemu (tests/ipsec-vm).
test-ipsec-vm: deps-vm modules
	tests/ipsec-vm/run.sh $(BUILD)/ipsec-vm

test: deps deps-vm
	$(MAKE) format-check
	$(MAKE) check-clean
	$(MAKE) modules tools
	$(MAKE) unit
	$(MAKE) fuzz-smoke
	$(MAKE) integration
	$(MAKE) test-asan
	$(MAKE) test-ipsec-vm

demo: deps
	$(MAKE) modules
	PRESEC_BUILD=$(BUILD) $(PYTHON) -m tests.integration.demo

# Benchmarks print figures as ratios against the stock topology measured in the same run;
# bench/report.py runs every bench/bench_*.py and writes bench/REPORT.md.
bench: deps modules tools $(BUILD)/bench/pidf_filter_bench
	PRESEC_BUILD=$(BUILD) $(PYTHON) -m bench.report

# Half the measured PS capacity for SOAK_MINUTES (30), memory sampled; fails when it grows.
SOAK_MINUTES ?= 30
soak: deps modules tools
	PRESEC_BUILD=$(BUILD) $(PYTHON) -m bench.soak --minutes $(SOAK_MINUTES)

$(BUILD)/bench/pidf_filter_bench: bench/pidf_filter_bench.c FORCE
	@mkdir -p $(dir $@)
	@$(CC) $(CORE_CFLAGS) -Imodules/pidf_filter $(CORE_CFLAGS_pidf_filter) -o $@ $< \
	  $(call core_srcs,pidf_filter) $(CORE_LIBS_pidf_filter)

install: modules tools
	install -d $(DESTDIR)$(MODDIR) $(DESTDIR)/usr/local/bin
	install -m 0644 $(addprefix $(BUILD)/modules/,$(addsuffix .so,$(MODULES))) $(DESTDIR)$(MODDIR)/
	install -m 0755 $(addprefix $(BUILD)/tools/,$(TOOLS)) $(DESTDIR)/usr/local/bin/

clean:
	rm -rf $(BUILD)/unit $(BUILD)/asan $(BUILD)/modules $(BUILD)/tools $(BUILD)/rls
	for m in $(MODULES); do rm -rf modules/$$m/*.o modules/$$m/*.d modules/$$m/*.so modules/$$m/.presec-shared; done

distclean: clean
	rm -rf $(BUILD)
