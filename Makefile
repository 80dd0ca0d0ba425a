# pdfgen — `make` installs what is missing, builds, and writes every sheet
# into out/; `make test` runs the whole suite.  See README.md.

VERSION   := 0.1.0
CC        ?= gcc
ifeq ($(origin CC),default)
CC        := gcc
endif
PREFIX    ?= /usr/local
MANDIR    ?= $(PREFIX)/share/man
DESTDIR   ?=
PYTHON    ?= /usr/bin/python3

# Debian 12 packages: to build and generate, and in addition to test.
# libstdc++-12-dev holds the archive of ICU's C++ runtime, which lets
# build/pdfgen link ICU statically (see BIN_LIBS).
BUILD_PACKAGES := gcc make pkg-config libhpdf-dev libyaml-dev libicu-dev libstdc++-12-dev zlib1g-dev libdeflate-dev \
                  libharfbuzz-dev libfontconfig-dev libqrencode-dev fonts-noto-core fonts-noto-cjk \
                  fonts-dejavu-core libhyphen-dev hyphen-en-us hyphen-es hyphen-fr \
                  hyphen-pt-br hyphen-ru hyphen-hi
TEST_PACKAGES  := libcmocka-dev poppler-utils qpdf python3 python3-yaml valgrind \
                  python3-pikepdf mupdf-tools chromium nodejs python3-html5lib zbar-tools \
                  python3-fonttools clang libclang-rt-14-dev ghostscript \
                  groff-base man-db time
# npm comes with Debian's nodejs as its own package, or inside NodeSource's
# nodejs, which conflicts with Debian's npm: only the command is required.
TEST_COMMANDS  := npm

PKGS      := yaml-0.1 icu-uc icu-i18n harfbuzz harfbuzz-subset fontconfig libqrencode zlib libdeflate
WARNINGS  := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wvla
CFLAGS    ?= -O2 -g
CPPFLAGS  ?=
LDFLAGS   ?=
# The language level and the warnings come after the user's CFLAGS, so no
# CFLAGS (say -std=gnu89 or -Wno-error) can take them away.
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
ALL_CPPFLAGS = -D_POSIX_C_SOURCE=200809L -DPDFGEN_VERSION='"$(VERSION)"' $(CPPFLAGS) $(PKG_CFLAGS)
ALL_CFLAGS   = $(ALL_CPPFLAGS) $(CFLAGS) -std=c11 $(WARNINGS) -MMD -MP
LIBS      := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lhpdf -lhyphen -lm

# build/pdfgen links the libraries whose static archives are installed
# (Debian's -dev packages ship most) into itself: loading and relocating
# a shared library costs start-up time in every run, ICU's C++ most
# (pdfgen --version: 5.9 M -> 1.7 M instructions).  A library without
# its archive, or without those of what it needs, stays shared, so the
# build works wherever the shared ones are.  HarfBuzz, libharu and
# libqrencode have no archive in Debian; FreeType and zlib stay shared
# because HarfBuzz and libharu load them anyway.  The unit tests,
# sanitizer and fuzz builds link the shared libraries.
# name of a group (the -l flags it replaces), then its archives in link order
STATIC_GROUPS := yaml icu fontconfig deflate hyphen
STATIC_yaml       := yaml
STATIC_icu        := icui18n icuuc icudata stdc++
STATIC_fontconfig := fontconfig expat
STATIC_deflate    := deflate
STATIC_hyphen     := hyphen
# The compiler names an archive it would link by its path, one it cannot
# find by its bare name.
ARCHIVES_FOUND := $(filter /%,$(shell for l in $(foreach g,$(STATIC_GROUPS),$(STATIC_$(g))); do \
                    $(CC) -print-file-name=lib$$l.a 2>/dev/null; done))
archive = $(filter %/lib$(1).a,$(ARCHIVES_FOUND))
STATIC_FOUND := $(foreach g,$(STATIC_GROUPS),$(if $(strip $(foreach l,$(STATIC_$(g)),$(if $(call archive,$(l)),,no))),,$(g)))
# ICU is C++: its runtime comes along (libstdc++'s archive, in
# libstdc++-12-dev, and libgcc's, so libgcc_s.so is not loaded either).
STATIC_RUNTIME := $(if $(filter icu,$(STATIC_FOUND)),-static-libgcc -lpthread)
BIN_LIBS  := $(foreach g,$(STATIC_FOUND),$(foreach l,$(STATIC_$(g)),$(call archive,$(l)))) $(STATIC_RUNTIME) \
             $(filter-out $(foreach g,$(STATIC_FOUND),$(STATIC_$(g):%=-l%)),$(LIBS))
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)

# Every source but main.c is linked into the unit tests too; a new file in
# pdfgen/ is picked up without editing this list.
SOURCES   := $(filter-out pdfgen/main.c,$(wildcard pdfgen/*.c))
OBJS      := $(SOURCES:pdfgen/%.c=build/obj/%.o)
BIN       := build/pdfgen

SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_OBJS  := $(SOURCES:pdfgen/%.c=build/san/%.o)
SAN_BIN   := build/san/pdfgen

UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))

.PHONY: all deps test-deps sheets test unit integration tagged sanitize valgrind bench offering install clean \
        run-goals run-sheets run-build run-test run-unit run-integration run-tagged run-offering run-readers run-sanitize run-valgrind run-bench \
        bad fault fuzz run-bad run-fault run-fuzz-smoke run-review

all: sheets

# Installs missing packages when run as root; otherwise prints the exact
# command and stops, since a build without them cannot succeed.
define ensure_packages
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${db:Status-Status}' $$p 2>/dev/null | grep -qx installed || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "pdfgen: installing$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	  else \
	    echo "pdfgen: missing Debian packages; run:"; \
	    echo "  sudo apt-get install -y --no-install-recommends$$missing"; \
	    exit 1; \
	  fi; \
	fi
endef

deps:
	$(call ensure_packages,$(BUILD_PACKAGES))

test-deps: deps
	$(call ensure_packages,$(TEST_PACKAGES))
	@for c in $(TEST_COMMANDS); do command -v $$c >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$c; \
	  else echo "pdfgen: missing $$c; run: sudo apt-get install -y --no-install-recommends $$c"; exit 1; fi; }; done

# Only the targets a person types install packages; files never do, so
# `make build/pdfgen` works where the libraries are present but apt is not.
# The work then runs in one sub-make, started after the packages are in:
# under -j nothing would otherwise wait for them, two sub-makes would race
# to build the same objects, and pkg-config's flags are read afresh once
# pkg-config itself is installed.
TOP_TARGETS := sheets bench test unit integration tagged offering sanitize valgrind bad fault
TEST_TARGETS := test unit integration tagged offering sanitize valgrind bad fault
GOALS := $(filter $(TOP_TARGETS),$(patsubst all,sheets,$(or $(MAKECMDGOALS),all)))
GOAL_DEPS := $(if $(filter $(TEST_TARGETS),$(GOALS)),test-deps,deps)

$(TOP_TARGETS): run-goals
	@:

run-goals: $(GOAL_DEPS)
	@$(MAKE) --no-print-directory $(GOALS:%=run-%)

build/obj/%.o: pdfgen/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

build/san/%.o: pdfgen/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(BIN): $(OBJS) build/obj/main.o
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(BIN_LIBS) -o $@

$(SAN_BIN): $(SAN_OBJS) build/san/main.o
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) $^ $(LIBS) -o $@

-include $(wildcard build/obj/*.d build/san/*.d)

run-sheets: $(BIN)
	$(BIN) build --content content --out out

# ---- tests ---------------------------------------------------------------

build/obj/test_%: tests/unit/test_%.c $(OBJS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ipdfgen $< $(OBJS) $(LDFLAGS) $(LIBS) $(CMOCKA_LIBS) -o $@

build/san/test_%: tests/unit/test_%.c $(SAN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -Ipdfgen $< $(SAN_OBJS) $(LDFLAGS) $(LIBS) $(CMOCKA_LIBS) -o $@

run-unit: $(UNIT_TESTS:%=build/obj/%)
	@for t in $^; do echo "== $$t"; ./$$t || exit 1; done

run-integration: $(BIN)
	$(PYTHON) tests/integration.py --pdfgen $(BIN)
	$(PYTHON) tests/cli.py --pdfgen $(BIN)
	$(PYTHON) tests/subsets.py --pdfgen $(BIN)

# Translation review: the check report, stamp, build --release and the
# draft/stale band, on temporary copies of content/ (tests/review.py).
run-review: $(BIN)
	$(PYTHON) tests/review.py --pdfgen $(BIN)

# One input per failure mode, each through both check and build.
run-bad: $(BIN)
	$(PYTHON) tests/bad.py --pdfgen $(BIN)

# SIGKILL at random points, SIGXFSZ, ulimit -v.
run-fault: $(BIN)
	$(PYTHON) tests/fault.py --pdfgen $(BIN)

# Build orchestration: -j N against -j 1, out/manifest.json and its schema,
# incremental builds, --shard K/N and 'pdfgen manifest --merge', Ctrl-C.
run-build: $(BIN)
	$(PYTHON) tests/build.py --pdfgen $(BIN)

# Tagged PDF (PDF/UA-1): the checker's own tests, then every sheet.
run-tagged: $(BIN)
	$(PYTHON) tests/test_pdfua_checker.py && $(PYTHON) tests/tagged.py --pdfgen $(BIN)

# The "PDFs by language" offering: glossaries and booklets
# (tests/offering.py), then the catalog page out/index.html as HTML and in
# Debian's headless Chromium with axe-core (tests/catalog.py and
# tests/browser/catalog.mjs; puppeteer-core and axe-core from npm, pinned by
# the lockfile; no browser is downloaded).  Screenshots: build/screenshots/.
BROWSER_DEPS := tests/browser/node_modules/.installed

$(BROWSER_DEPS): tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run-offering: $(BIN) $(BROWSER_DEPS)
	$(PYTHON) tests/offering.py --pdfgen $(BIN)
	$(PYTHON) tests/catalog.py --pdfgen $(BIN) --screenshots build/screenshots

# The same unit and integration suites again, built with AddressSanitizer
# and UndefinedBehaviorSanitizer; any report fails the run.
SAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
           UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
           LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0

run-sanitize: $(SAN_BIN) $(UNIT_TESTS:%=build/san/%)
	@for t in $(UNIT_TESTS:%=build/san/%); do echo "== $$t (asan+ubsan)"; $(SAN_ENV) ./$$t || exit 1; done
	$(SAN_ENV) $(PYTHON) tests/integration.py --pdfgen $(SAN_BIN) --quick
	$(SAN_ENV) $(PYTHON) tests/bad.py --pdfgen $(SAN_BIN)

run-valgrind: $(BIN)
	$(PYTHON) tests/valgrind.py --pdfgen $(BIN)

# Every reader at hand (qpdf, poppler, mupdf, pikepdf, ghostscript) opens
# every PDF, object streams and cross-reference stream included, and gives
# its text back.
run-readers: $(BIN)
	$(PYTHON) tests/readers.py --pdfgen $(BIN)

# ---- fuzzing (libFuzzer, clang) -----------------------------------------
# Harnesses in fuzz/: content (any bytes as any content file), text (any
# UTF-8 paragraph in every language's fonts), cff (any bytes as a CFF
# table).  Seeds in fuzz/corpus/<harness>/, every input that once crashed in
# fuzz/regressions/<harness>/.  `make fuzz` runs each for FUZZ_SECONDS; the
# test suite replays the regressions and runs a short smoke run, or says it
# skipped when clang cannot link libFuzzer.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZERS      := content text cff
FUZZ_SAN     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_OBJS    := $(SOURCES:pdfgen/%.c=build/fuzz/%.o)
FUZZ_BINS    := $(FUZZERS:%=build/fuzz/fuzz_%)
HAVE_LIBFUZZER = $(shell printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' | \
                   $(FUZZ_CC) -x c -fsanitize=fuzzer - -o /dev/null 2>/dev/null && echo yes)

build/fuzz/%.o: pdfgen/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/fuzz_%: fuzz/fuzz_%.c $(FUZZ_OBJS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -DPDFGEN_ROOT='"$(CURDIR)"' -Ipdfgen \
	    $< $(FUZZ_OBJS) $(LDFLAGS) $(LIBS) -o $@

-include $(wildcard build/fuzz/*.d)
.SECONDARY: $(FUZZ_OBJS)

# The working corpus grows in build/fuzz/corpus-<harness>; stderr (pdfgen's
# own error lines) is closed, libFuzzer's report is kept.
fuzz: $(FUZZ_BINS)
	@for h in $(FUZZERS); do \
	  mkdir -p build/fuzz/corpus-$$h build/fuzz/crashes-$$h; \
	  echo "== fuzz_$$h for $(FUZZ_SECONDS) s"; \
	  $(SAN_ENV) build/fuzz/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -close_fd_mask=2 -max_len=8192 \
	      -timeout=20 -rss_limit_mb=4096 -artifact_prefix=build/fuzz/crashes-$$h/ -print_final_stats=1 \
	      build/fuzz/corpus-$$h fuzz/corpus/$$h || exit 1; \
	done

run-fuzz-smoke:
ifeq ($(HAVE_LIBFUZZER),yes)
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@for h in $(FUZZERS); do \
	  echo "== fuzz_$$h: replaying fuzz/regressions/$$h and fuzz/corpus/$$h"; \
	  $(SAN_ENV) build/fuzz/fuzz_$$h -close_fd_mask=2 -runs=0 fuzz/regressions/$$h fuzz/corpus/$$h >/dev/null 2>build/fuzz/replay-$$h.log \
	    || { cat build/fuzz/replay-$$h.log; exit 1; }; \
	  echo "== fuzz_$$h: smoke run, $(FUZZ_SMOKE_SECONDS) s"; \
	  mkdir -p build/fuzz/smoke-$$h build/fuzz/crashes-$$h; \
	  $(SAN_ENV) build/fuzz/fuzz_$$h -max_total_time=$(FUZZ_SMOKE_SECONDS) -close_fd_mask=2 -max_len=8192 \
	      -timeout=20 -artifact_prefix=build/fuzz/crashes-$$h/ build/fuzz/smoke-$$h fuzz/corpus/$$h \
	      >build/fuzz/smoke-$$h.log 2>&1 || { tail -50 build/fuzz/smoke-$$h.log; exit 1; }; \
	  grep -h "^Done\|DONE" build/fuzz/smoke-$$h.log | tail -1; \
	done
else
	@echo "pdfgen: skipping the fuzz smoke run: $(FUZZ_CC) cannot link libFuzzer (-fsanitize=fuzzer)"
endif

run-test: run-unit run-integration run-build run-review run-bad run-fault run-tagged run-offering run-readers run-sanitize run-valgrind run-fuzz-smoke
	@echo "pdfgen: all tests passed"

# Speed, sizes and memory (measured, never asserted; out/bench.json too);
# e.g. `make bench BENCH_FLAGS="--runs 7 --callgrind"`, see tests/bench.py --help.
run-bench: $(BIN)
	$(PYTHON) tests/bench.py --pdfgen $(BIN) $(BENCH_FLAGS)

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/pdfgen
	install -m 644 pdfgen/pdfgen.1 $(DESTDIR)$(MANDIR)/man1/pdfgen.1

clean:
	rm -rf build out
