# w3sync: one non-recursive Makefile.
#   make            build every program into bin/
#   make check      install missing packages (as root), build, run all tests
#   make demo       the main job: a full sync scenario in a scratch directory
#   make sanitize   the whole suite under ASan + UBSan
#   make install    PREFIX=/usr/local DESTDIR= (binaries, man pages, completions)

PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
BINDIR ?= bin
WERROR ?= 0
SANITIZE ?= 0
W3SYNC_VECTORS ?= $(abspath ../shared/vectors)
export W3SYNC_VECTORS

CC ?= cc
# Quiet by default; `make V=1` shows the commands.
ifeq ($(V),1)
Q =
else
Q = @
endif
PKGS = libarchive libcrypto libzstd libcbor libsodium sqlite3
# Evaluated when a recipe runs, after `deps` has installed pkg-config files.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))
TEST_LIBS = $(shell pkg-config --libs jansson)

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wformat=2 -Wvla -Wno-unused-parameter -Wno-format-truncation
OPT = -O2 -g
ifeq ($(WERROR),1)
WARN += -Werror
endif
ifeq ($(SANITIZE),1)
OPT = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
endif
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -pthread \
	-Ilib/include $(OPT) $(WARN) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = -pthread $(OPT) $(LDFLAGS)

LIB_SRC = $(wildcard lib/*.c)
LIB_OBJ = $(LIB_SRC:lib/%.c=$(BUILD)/lib/%.o)
LIBW3S = $(BUILD)/libw3s.a
CMDS = $(notdir $(basename $(wildcard cmd/*.c)))
PROGS = $(CMDS:%=$(BINDIR)/%)
# Shared by every program (messages, usage errors, option parsing, JSON).
CLI_SRC = $(wildcard cmd/cli/*.c)
CLI_OBJ = $(CLI_SRC:cmd/cli/%.c=$(BUILD)/cmd/cli/%.o)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# Test-only helper programs (fixture generators) used by the BATS tests.
TOOL_SRC = $(wildcard tests/tools/*.c)
TOOL_BIN = $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)
DEPS_STAMP = $(BUILD)/.deps-ok

.PHONY: all check unit cli crash demo sanitize install clean deps lint
.DEFAULT_GOAL := all
# Keep objects make would otherwise delete as intermediates (faster rebuilds).
.SECONDARY:

all: $(PROGS)

deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/deps.sh
	@./scripts/deps.sh
	@mkdir -p $(@D) && touch $@

$(BUILD)/lib/%.o: lib/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBW3S): $(LIB_OBJ)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/cmd/%.o: cmd/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# A program whose modes are split out has them in cmd/<program>/*.c.
PROG_PARTS = $(patsubst cmd/%.c,$(BUILD)/cmd/%.o,$(wildcard cmd/$(1)/*.c))
.SECONDEXPANSION:
$(BINDIR)/%: $(BUILD)/cmd/%.o $$(call PROG_PARTS,$$*) $(CLI_OBJ) $(LIBW3S)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(call PROG_PARTS,$*) $(CLI_OBJ) \
		$(LIBW3S) $(PKG_LIBS)

$(BUILD)/tests/%.o: tests/unit/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(LIBW3S)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBW3S) $(PKG_LIBS) $(TEST_LIBS)

$(BUILD)/tools/%.o: tests/tools/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tools/%: $(BUILD)/tools/%.o $(LIBW3S)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBW3S) $(PKG_LIBS)

SUMMARY = $(BUILD)/check-summary

unit: $(UNIT_BIN)
	@rm -f $(SUMMARY); mkdir -p $(BUILD)
	@fail=0; for t in $(UNIT_BIN); do \
		SUMMARY=$(SUMMARY) tests/run-suite.sh $$(basename $$t) $$t || fail=1; \
	done; exit $$fail

cli: $(PROGS) $(TOOL_BIN) $(BUILD)/tests/test_store
	@W3SYNC_BIN=$(abspath $(BINDIR)) W3SYNC_TOOLS=$(abspath $(BUILD)/tools) \
		W3SYNC_TEST_STORE=$(abspath $(BUILD)/tests/test_store) \
		SUMMARY=$(SUMMARY) \
		tests/run-suite.sh bats bats --tap tests/cli

check: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN) $(TOOL_BIN)
	@rm -f $(SUMMARY)
	@fail=0; \
	$(MAKE) --no-print-directory unit || fail=1; \
	$(MAKE) --no-print-directory cli || fail=1; \
	$(MAKE) --no-print-directory crash CRASH_KILLS=$(CHECK_CRASH_KILLS) || fail=1; \
	$(MAKE) --no-print-directory fuzz-replay || fail=1; \
	tests/run-suite.sh total $(SUMMARY) || fail=1; exit $$fail

# Crash injection: SIGKILL at random moments and out-of-space runs of every
# store writer (tests/crash/crash.sh). `make check` runs a short version.
CRASH_KILLS ?= 200
CHECK_CRASH_KILLS = 40
CRASH_SCENARIOS = segment-add segment-drop snapshot-import delta-replay migrate-accept
crash: $(PROGS) $(BUILD)/tests/test_store
	@W3SYNC_BIN=$(abspath $(BINDIR)) \
		W3SYNC_TEST_STORE=$(abspath $(BUILD)/tests/test_store) \
		SUMMARY=$(SUMMARY) tests/run-suite.sh crash \
		tests/crash/crash.sh -k $(CRASH_KILLS) $(CRASH_SCENARIOS)

# ---- fuzzing and valgrind (fuzz/README.md) --------------------------------
#   make fuzz       libFuzzer targets fuzz/fuzz_*.c (clang, ASan + UBSan),
#                   FUZZ_SECONDS each, FUZZ_JOBS at a time (FUZZ_ONLY=names)
#   make valgrind   one full pipeline under valgrind memcheck
# `make check` replays fuzz/regress and a sample of seeds with gcc builds
# of the targets and fuzz/driver.c (fuzz-replay); no clang needed.
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 2
FUZZ_CC ?= clang
FUZZ_NAMES = $(notdir $(basename $(wildcard fuzz/fuzz_*.c)))
FUZZ_ONLY ?= $(FUZZ_NAMES)
FUZZ_HELPER_OBJ = $(patsubst fuzz/%.c,$(BUILD)/fuzz/%.o,\
	$(filter-out fuzz/driver.c fuzz/fuzz_%.c,$(wildcard fuzz/*.c)))
FUZZ_LF_BUILD = $(BUILD)/libfuzzer
FUZZ_LF_OPT = -O1 -g -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
.PHONY: fuzz fuzz-build fuzz-replay valgrind

$(BUILD)/fuzz/%.o: fuzz/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -Ifuzz -MMD -MP -c -o $@ $<

# Plain replay builds (make check) and libFuzzer builds (make fuzz).
$(BUILD)/fuzz/bin/%: $(BUILD)/fuzz/%.o $(BUILD)/fuzz/driver.o \
		$(FUZZ_HELPER_OBJ) $(LIBW3S)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/fuzz/driver.o \
		$(FUZZ_HELPER_OBJ) $(LIBW3S) $(PKG_LIBS)

$(BUILD)/fuzz/lf/%: $(BUILD)/fuzz/%.o $(FUZZ_HELPER_OBJ) $(LIBW3S)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_HELPER_OBJ) $(LIBW3S) $(PKG_LIBS)

fuzz-build: $(FUZZ_ONLY:%=$(BUILD)/fuzz/lf/%)

fuzz: deps
	@./scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory fuzz-build BUILD=$(FUZZ_LF_BUILD) \
		CC=$(FUZZ_CC) OPT="$(FUZZ_LF_OPT)" SANITIZE=0 WERROR=0 \
		CFLAGS="$(CFLAGS) -Wno-unknown-warning-option"
	@fuzz/run.sh $(FUZZ_LF_BUILD)/fuzz/lf $(BUILD)/fuzz-run \
		$(FUZZ_SECONDS) $(FUZZ_JOBS) $(FUZZ_ONLY)

fuzz-replay: $(FUZZ_NAMES:%=$(BUILD)/fuzz/bin/%)
	@rm -rf $(BUILD)/fuzz/seeds
	@fuzz/seeds.py $(BUILD)/fuzz/seeds $(FUZZ_NAMES) >/dev/null
	@SUMMARY=$(SUMMARY) tests/run-suite.sh fuzz-replay \
		fuzz/replay.sh $(BUILD)/fuzz/bin $(BUILD)/fuzz/seeds

valgrind: all
	@./scripts/deps.sh valgrind
	@W3SYNC_BIN=$(abspath $(BINDIR)) tests/valgrind.sh

-include $(BUILD)/fuzz/*.d
# ---- end of fuzzing and valgrind ------------------------------------------

sanitize:
	@$(MAKE) --no-print-directory check BUILD=build/san BINDIR=build/san/bin \
		SANITIZE=1

demo: deps
	@$(MAKE) --no-print-directory all
	@W3SYNC_BIN=$(abspath $(BINDIR)) ./scripts/demo.sh

# Benchmarks (bench/README.md): every bench/*.sh side by side with its peers,
# then bench/results/REPORT.md and sync.png. Not part of `make check`.
.PHONY: bench
bench: deps
	@$(MAKE) --no-print-directory all
	@W3SYNC_BIN=$(abspath $(BINDIR)) BENCH_TOOLS=$(abspath $(BUILD))/bench-tools \
		BENCH_LOG=$(abspath $(BUILD))/bench bench/report.sh

lint:
	@for m in man/*.[1-8]; do mandoc -Tlint -Wwarning $$m || exit 1; done

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man7 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions
	install -m 755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 $(wildcard man/*.5) $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 644 $(wildcard man/*.7) $(DESTDIR)$(PREFIX)/share/man/man7/
	install -m 644 completions/bash/w3sync \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/w3sync
	for p in $(CMDS); do ln -sf w3sync \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$p; done
	install -m 644 completions/zsh/_w3sync \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_w3sync

clean:
	rm -rf build bin

-include $(LIB_OBJ:.o=.d) $(BUILD)/cmd/*.d $(BUILD)/cmd/*/*.d $(BUILD)/tests/*.d $(BUILD)/tools/*.d
