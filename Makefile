# ajar -- build, test, demo.  See README.md.
#
#   make            build/ajar (release, -O2)
#   make test       install deps, build with ASan+UBSan, run every test
#   make demo       install deps, build, start the lab on loopback, scan it, report
#   make fuzz       run every libFuzzer harness for FUZZ_SECONDS (default 60)
#   make analyze    clang-tidy and cppcheck
#   make tsan       ThreadSanitizer over the threaded code (store, dashboard, webhook)
#   make format     clang-format -i;  make format-check: fail on a diff
#   make install PREFIX=/usr/local   (the binary, man page, completion, signatures, data)
#   make deb        the Debian package, into build/deb/ (docs/debian.md)
#
# Sources are found by wildcard: a new file under src/ needs no Makefile edit.
# Unit tests are tests/unit/test_*.c and tests/probe/test_*.c, each its own
# program linked with every object but src/main.c.

CC       ?= cc
PKGS     := openssl sqlite3 jansson libpq libmicrohttpd libargon2 yaml-0.1 libpcre2-8 libmaxminddb libcares
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CSTD     := -std=c11 -D_GNU_SOURCE
PREFIX   ?= /usr/local
# the system configuration file is $(SYSCONFDIR)/ajar/ajar.conf (docs/config.md)
SYSCONFDIR ?= /etc
# where `make install` puts the shipped signatures (ajar also looks next to itself: a build tree).
# PREFIX is set above this line: CFLAGS_COMMON is expanded here, once.
SHARE_DIR = $(PREFIX)/share/ajar
CFLAGS_COMMON := $(CSTD) $(WARN) -Isrc $(PKG_CFLAGS) -MMD -MP -DAJAR_SHARE_DIR='"$(SHARE_DIR)"' \
                 -DAJAR_SYSCONF_DIR='"$(SYSCONFDIR)/ajar"'
LIBS     := $(PKG_LIBS) -lm -lpthread

SRC_ALL  := $(shell find src -name '*.c' | sort)
SRC_LIB  := $(filter-out src/main.c,$(SRC_ALL))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c tests/probe/test_*.c))
TEST_HELPERS := $(filter-out $(TEST_SRC),$(wildcard tests/unit/*.c tests/probe/*.c))

# ---- release build ----
B        := build
# hardened as Debian builds its packages: fortified libc calls, stack protector, PIE, full RELRO;
# CPPFLAGS, CFLAGS and LDFLAGS from the environment come last (dpkg-buildflags in debian/rules)
REL_CFLAGS := $(CFLAGS_COMMON) -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE \
              $(CPPFLAGS) $(CFLAGS)
REL_LDFLAGS := -pie -Wl,-z,relro -Wl,-z,now $(LDFLAGS)
REL_OBJ  := $(SRC_LIB:%.c=$(B)/obj/%.o)

all: $(B)/ajar

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(REL_CFLAGS) -c $< -o $@

$(B)/libajar.a: $(REL_OBJ)
	@rm -f $@.$$$$.tmp
	ar rcs $@.$$$$.tmp $^ && mv -f $@.$$$$.tmp $@

$(B)/ajar: $(B)/obj/src/main.o $(B)/libajar.a
	$(CC) $(REL_LDFLAGS) -o $@ $< $(B)/libajar.a $(LIBS)

# ---- sanitizer build (tests) ----
SB       := build-asan
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SAN_CFLAGS := $(CFLAGS_COMMON) -O1 -g $(SAN)
SAN_OBJ  := $(SRC_LIB:%.c=$(SB)/obj/%.o)
TEST_BINS := $(patsubst %.c,$(SB)/%,$(TEST_SRC))

# data built into the binary (lifecycle_data.c's .incbin)
$(B)/obj/src/assess/lifecycle_data.o $(SB)/obj/src/assess/lifecycle_data.o: data/lifecycle.tsv
$(B)/obj/src/assess/ransom_data.o $(SB)/obj/src/assess/ransom_data.o: data/ransom-names.tsv
$(B)/obj/src/assess/pii_data.o $(SB)/obj/src/assess/pii_data.o: data/pii-terms.tsv
$(B)/obj/src/assess/honeypot_data.o $(SB)/obj/src/assess/honeypot_data.o: data/honeypots.tsv
$(B)/obj/src/attr/cloud_asns_data.o $(SB)/obj/src/attr/cloud_asns_data.o: data/cloud-asns.tsv
TEST_HELPER_OBJ := $(TEST_HELPERS:%.c=$(SB)/obj/%.o)

$(SB)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) -Itests -c $< -o $@

$(SB)/libajar.a: $(SAN_OBJ)
	@rm -f $@.$$$$.tmp
	ar rcs $@.$$$$.tmp $^ && mv -f $@.$$$$.tmp $@

$(SB)/ajar: $(SB)/obj/src/main.o $(SB)/libajar.a
	$(CC) $(SAN) -o $@ $< $(SB)/libajar.a $(LIBS)

$(SB)/tests/%: $(SB)/obj/tests/%.o $(TEST_HELPER_OBJ) $(SB)/libajar.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $< $(TEST_HELPER_OBJ) $(SB)/libajar.a $(LIBS)

asan: $(SB)/ajar $(TEST_BINS)

deps:
	@bash scripts/deps.sh build

test:
	@bash scripts/deps.sh test
	@$(MAKE) --no-print-directory asan all
	@bash tests/run-tests.sh

demo:
	@bash scripts/deps.sh demo
	@$(MAKE) --no-print-directory all
	@bash scripts/demo.sh

bench:
	@bash scripts/deps.sh bench
	@$(MAKE) --no-print-directory all

fuzz:
	@bash scripts/deps.sh test
	@bash tests/fuzz/run.sh $${FUZZ_SECONDS:-60}

analyze:
	@bash scripts/deps.sh test
	@bash scripts/analyze.sh

tsan:
	@bash scripts/tsan.sh

format:
	clang-format -i $(SRC_ALL) $(wildcard src/*/*.h tests/*/*.c tests/*/*.h)

format-check:
	@bash scripts/format-check.sh

install: all
	install -D -m 0755 $(B)/ajar $(DESTDIR)$(PREFIX)/bin/ajar
	install -D -m 0644 docs/ajar.1 $(DESTDIR)$(PREFIX)/share/man/man1/ajar.1
	install -D -m 0644 scripts/ajar.bash-completion $(DESTDIR)$(PREFIX)/share/bash-completion/completions/ajar
	install -d -m 0755 $(DESTDIR)$(SHARE_DIR)/signatures $(DESTDIR)$(SHARE_DIR)/data
	install -m 0644 signatures/*.yaml $(DESTDIR)$(SHARE_DIR)/signatures/
	install -m 0644 data/*.tsv $(DESTDIR)$(SHARE_DIR)/data/
	install -m 0644 docs/record.schema.json $(DESTDIR)$(SHARE_DIR)/

# The Debian package (debian/), built from a copy of this tree in build/deb/ so that the
# tree's own build directories are not packaged and dpkg-buildpackage's output lands in
# build/deb/: ajar_VERSION_ARCH.deb (and the -dbgsym package, .buildinfo, .changes), then
# lintian, which must report no error.
deb:
	@bash scripts/deps.sh deb
	@bash scripts/build-deb.sh

clean:
	rm -rf $(B) $(SB) build-tsan build-fuzz

.PHONY: all asan deps test demo bench fuzz analyze tsan format format-check install deb clean
.SECONDARY:

-include $(shell find $(B)/obj $(SB)/obj -name '*.d' -type f 2>/dev/null)
