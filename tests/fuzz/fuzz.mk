# tests/fuzz/fuzz.mk -- build every libFuzzer harness into build-fuzz/.
#
# Used by tests/fuzz/run.sh and tests/integration/fuzz_smoke.sh:
#   make -f tests/fuzz/fuzz.mk -j2 all          every harness
#   make -f tests/fuzz/fuzz.mk names            print the harness names
# The library is compiled again by clang with the fuzzer's coverage
# instrumentation and the same sanitizers (not the gcc-built libajar.a),
# the sources of the modules that read network data and what they call
# (core, catalog, probe, assess, tls, target; of net, the netlink parsers, the
# receive ring's walker and the SYN validation), by wildcard: a new probe needs
# no edit here. The probes are linked as objects; the rest comes from the
# archive on demand,
# so half-written code elsewhere in the tree (store, web, report) never
# stops the fuzzers. One harness per probe and per HTTP app (fuzz_probe.c compiled with
# -DFUZZ_PROBE="name"), and one per standalone parser (fuzz_<name>.c).

FCC      := clang
FB       := build-fuzz
PKGS     := openssl sqlite3 jansson libpq libmicrohttpd libargon2 yaml-0.1 libpcre2-8 libmaxminddb
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# No -Werror on the library: clang may warn where the gcc build does not,
# and that must not stop the fuzzers (make analyze and make test judge warnings).
FCFLAGS  := -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Wno-unused-parameter -Isrc -Itests $(PKG_CFLAGS) -MMD -MP
LIBS     := $(PKG_LIBS) -lm -lpthread

LIB_DIRS := src/core src/catalog src/probe src/assess src/tls src/target
SRC_LIB  := $(shell find $(LIB_DIRS) -name '*.c' | sort) src/web/record_text.c src/attr/ranges.c src/attr/attr.c src/attr/cloud_asns_data.c \
            src/net/nlroute.c src/net/pktio.c src/net/syn_wire.c
LIB_OBJ  := $(SRC_LIB:%.c=$(FB)/obj/%.o)
PROBE_OBJ := $(filter $(FB)/obj/src/probe/%,$(LIB_OBJ))
HARNESS_LINK = $(FB)/obj/tests/fuzz/drive.o $(PROBE_OBJ) $(FB)/libajar-fuzz.a $(LIBS)
# probes and HTTP apps, by the names of their registry structs
PROBES   := $(shell grep -ho '^const struct probe probe_[a-z0-9_]*' src/probe/*.c | sed 's/.* probe_//' | sort)
APPS     := $(shell grep -ho '^const struct http_app http_app_[a-z0-9_]*' src/probe/*.c | sed 's/.* http_app_//' | sort)
# signature files' services, driven through the dispatcher like the compiled apps
SIGS     := $(shell sed -n 's/^service: *//p' signatures/*.yaml | sort)
PARSERS  := http_resp es_common jsonscan bson cert target web_text record sigload sigmatch ranges mmdb conf pii_words netlink synrx
NAMES    := $(addprefix probe_,$(PROBES) $(APPS) $(SIGS)) $(PARSERS)
BINS     := $(addprefix $(FB)/fuzz_,$(NAMES))

all: $(BINS)

names:
	@echo $(NAMES)

$(FB)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FCC) $(FCFLAGS) $(SAN) -fsanitize=fuzzer-no-link -c $< -o $@

$(FB)/libajar-fuzz.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FB)/obj/tests/fuzz/fuzz_probe_%.o: tests/fuzz/fuzz_probe.c
	@mkdir -p $(dir $@)
	$(FCC) $(FCFLAGS) -Werror $(SAN) -fsanitize=fuzzer-no-link -DFUZZ_PROBE='"$*"' -c $< -o $@

$(FB)/fuzz_probe_%: $(FB)/obj/tests/fuzz/fuzz_probe_%.o $(FB)/obj/tests/fuzz/drive.o $(FB)/libajar-fuzz.a
	$(FCC) $(SAN) -fsanitize=fuzzer -o $@ $< $(HARNESS_LINK)

$(FB)/fuzz_%: $(FB)/obj/tests/fuzz/fuzz_%.o $(FB)/obj/tests/fuzz/drive.o $(FB)/libajar-fuzz.a
	$(FCC) $(SAN) -fsanitize=fuzzer -o $@ $< $(HARNESS_LINK)

.PHONY: all names
.SECONDARY:

-include $(shell find $(FB)/obj -name '*.d' 2>/dev/null)
