# pdfgen — `make` installs what is missing, builds, and writes every sheet
# into out/; `make test` runs the whole suite.  See README.md.

VERSION   := 0.1.0
CC        ?= gcc
ifeq ($(origin CC),default)
CC        := gcc
endif
PREFIX    ?= /usr/local
DESTDIR   ?=
PYTHON    ?= /usr/bin/python3

# Debian 12 packages: to build and generate, and in addition to test.
BUILD_PACKAGES := gcc make pkg-config libhpdf-dev libyaml-dev libicu-dev \
                  libharfbuzz-dev libfontconfig-dev fonts-noto-core fonts-noto-cjk \
                  fonts-dejavu-core
TEST_PACKAGES  := libcmocka-dev poppler-utils qpdf python3 python3-yaml valgrind \
                  python3-pikepdf mupdf-tools

PKGS      := yaml-0.1 icu-uc icu-i18n harfbuzz harfbuzz-subset fontconfig
WARNINGS  := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wvla
CFLAGS    ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -DPDFGEN_VERSION='"$(VERSION)"' \
             $(WARNINGS) $(CFLAGS) $(shell pkg-config --cflags $(PKGS))
LIBS       = $(shell pkg-config --libs $(PKGS)) -lhpdf -lm

SOURCES   := arena.c diag.c content.c fonts.c text.c format.c paragraph.c layout.c cff.c pdf.c pdf_text.c pdf_fonts.c build.c
OBJS      := $(SOURCES:%.c=build/obj/%.o)
BIN       := build/pdfgen

SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_OBJS  := $(SOURCES:%.c=build/san/%.o)
SAN_BIN   := build/san/pdfgen

UNIT_TESTS := test_content test_text test_layout test_cff

.PHONY: all deps test-deps sheets test unit integration tagged sanitize valgrind bench install clean

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

build/obj/%.o: pdfgen/%.c pdfgen/*.h | deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

build/san/%.o: pdfgen/%.c pdfgen/*.h | deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(BIN): $(OBJS) build/obj/main.o
	$(CC) $(CFLAGS) $^ $(LIBS) -o $@

$(SAN_BIN): $(SAN_OBJS) build/san/main.o
	$(CC) $(SAN_FLAGS) $^ $(LIBS) -o $@

sheets: $(BIN)
	$(BIN) build --content content --out out

# ---- tests ---------------------------------------------------------------

build/obj/test_%: tests/unit/test_%.c $(OBJS) | test-deps
	$(CC) $(ALL_CFLAGS) -Ipdfgen $< $(OBJS) $(LIBS) $(shell pkg-config --libs cmocka) -o $@

build/san/test_%: tests/unit/test_%.c $(SAN_OBJS) | test-deps
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -Ipdfgen $< $(SAN_OBJS) $(LIBS) $(shell pkg-config --libs cmocka) -o $@

unit: $(UNIT_TESTS:%=build/obj/%)
	@for t in $^; do echo "== $$t"; ./$$t || exit 1; done

integration: $(BIN) | test-deps
	$(PYTHON) tests/integration.py --pdfgen $(BIN)

# Tagged PDF (PDF/UA-1): the checker's own tests, then every sheet.  Not yet
# part of `test`: it joins once the sheets are tagged.
tagged: $(BIN) | test-deps
	$(PYTHON) tests/test_pdfua_checker.py && $(PYTHON) tests/tagged.py --pdfgen $(BIN)

# The same unit and integration suites again, built with AddressSanitizer
# and UndefinedBehaviorSanitizer; any report fails the run.
SAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
           UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
           LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0

sanitize: $(SAN_BIN) $(UNIT_TESTS:%=build/san/%)
	@for t in $(UNIT_TESTS:%=build/san/%); do echo "== $$t (asan+ubsan)"; $(SAN_ENV) ./$$t || exit 1; done
	$(SAN_ENV) $(PYTHON) tests/integration.py --pdfgen $(SAN_BIN) --quick

valgrind: $(BIN) | test-deps
	$(PYTHON) tests/valgrind.py --pdfgen $(BIN)

test: unit integration sanitize valgrind
	@echo "pdfgen: all tests passed"

bench: $(BIN)
	$(PYTHON) tests/bench.py --pdfgen $(BIN)

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/pdfgen

clean:
	rm -rf build out
