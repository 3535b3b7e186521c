# da — one GNU Makefile. `make` builds build/da; see README.md for the rest.
#   make            build build/da
#   make test       install missing dependencies, build, run unit and end-to-end tests
#   make san        the same tests under ASan+UBSan (also: SAN=1 make test)
#   make run        install, build and start `da serve --demo`
#   make install    PREFIX=/usr/local (default)
#   make bench      benchmarks (never part of the pass/fail tests)
#   make tsan       the unit tests under ThreadSanitizer (build/tsan)
#   make fuzz       every libFuzzer target for FUZZ_SECONDS each (build/fuzz; CI: FUZZ_SECONDS=10)
#   make lint       cppcheck, the banned-function check and the layer check (includes point down)
#   make format     clang-format-14 all sources; make format-check fails on any difference

PREFIX  ?= /usr/local
DUCKDB  := deps/duckdb
CC      ?= cc

ifeq ($(SAN),1)
BUILD   := build/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
OPT     := -O1 -g
else ifeq ($(TSAN),1)
# ThreadSanitizer build of the unit tests (make tsan). libduckdb.so is not instrumented.
BUILD   := build/tsan
SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
OPT     := -O1 -g
else ifeq ($(FUZZ),1)
# libFuzzer build (make fuzz): libda instrumented for coverage, ASan and UBSan; the fuzzer's
# main() is linked only into the targets. Debian's clang, not cc.
BUILD   := build/fuzz
CC      := clang
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
            -fno-omit-frame-pointer
OPT     := -O1 -g
else
BUILD   := build
SANFLAGS :=
OPT     ?= -O2 -g
endif

PKGS    := libmicrohttpd jansson libargon2 libcrypto libcurl sqlite3 yaml-0.1
# Trailing members left out of a positional initializer are zero by the standard; route tables
# rely on that (an optional last member), so that one -Wextra warning is off.
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla -Wwrite-strings -Wundef -Wno-format-nonliteral \
           -Wno-missing-field-initializers
CFLAGS  += -std=c11 -D_DEFAULT_SOURCE $(OPT) $(WARN) $(SANFLAGS) -MMD -MP -Isrc \
           -isystem $(DUCKDB)/include $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# The binary finds libduckdb.so beside it in the source tree and in PREFIX/lib/da once installed.
LDFLAGS += $(SANFLAGS) -L$(DUCKDB)/lib '-Wl,-rpath,$$ORIGIN/../deps/duckdb/lib:$$ORIGIN/../../deps/duckdb/lib:$$ORIGIN/../../../deps/duckdb/lib:$$ORIGIN/../lib/da'
LDLIBS  += -lduckdb $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

SRCS     := $(sort $(wildcard src/*/*.c))
LIB_OBJS := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SRCS))
MAIN_OBJ := $(BUILD)/obj/main.o
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

.PHONY: all deps test unit e2e san tsan fuzz fuzz-run run install bench lint format format-check \
        clean
all: $(BUILD)/da

deps:
	@scripts/install-deps.sh

$(BUILD)/libda.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/da: $(MAIN_OBJ) $(BUILD)/libda.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libda.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MF $@.d -o $@ $< $(BUILD)/libda.a $(LDFLAGS) $(LDLIBS) -lcmocka

test: deps
	@$(MAKE) --no-print-directory $(BUILD)/da $(UNIT_BINS)
	@BUILD=$(BUILD) tests/run.sh

unit: $(UNIT_BINS)
	@BUILD=$(BUILD) tests/run.sh unit

e2e: $(BUILD)/da $(BUILD)/tests/test_oidc
	@BUILD=$(BUILD) tests/run.sh e2e

san:
	@$(MAKE) --no-print-directory SAN=1 test

run: deps
	@$(MAKE) --no-print-directory $(BUILD)/da
	$(BUILD)/da serve --demo

install: $(BUILD)/da
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/da
	install -m 0755 $(BUILD)/da $(DESTDIR)$(PREFIX)/bin/da
	install -m 0644 $(DUCKDB)/lib/libduckdb.so $(DESTDIR)$(PREFIX)/lib/da/libduckdb.so

BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(sort $(wildcard bench/*.c)))

$(BUILD)/bench/%: bench/%.c $(BUILD)/libda.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MF $@.d -o $@ $< $(BUILD)/libda.a $(LDFLAGS) $(LDLIBS)

bench: deps
	@$(MAKE) --no-print-directory $(BUILD)/da $(BENCH_BINS)
	@BUILD=$(BUILD) bench/run.sh

# ---- analysis and formatting (make lint / format / format-check) ----
# cppcheck reads only the project's headers; tests/lint/jansson.cfg tells it jansson's foreach
# macros. A false positive is silenced inline (// cppcheck-suppress id) with the reason.
# scripts/check-layers.sh holds the table of which folder of src/ may include which.
lint:
	cppcheck --quiet --enable=warning,performance,portability --error-exitcode=1 \
	    --inline-suppr --library=tests/lint/jansson.cfg -Isrc src tests/fuzz
	@! grep -nE '\b(strcpy|strcat|strncpy|sprintf|vsprintf|gets|strtok|atoi|atol|sscanf)\(' \
	    src/*/*.c src/*.c tests/fuzz/*.c || (echo "banned function used" && false)
	@scripts/check-layers.sh

# One pinned clang-format (Debian bookworm's clang-format-14): another version formats
# differently, so the check would flap between machines.
CLANG_FORMAT := clang-format-14
FORMAT_SRCS = $(sort $(wildcard src/*.c src/*/*.c src/*/*.h tests/unit/*.c tests/unit/*.h \
                                tests/fuzz/*.c tests/fuzz/*.h bench/*.c))

format:
	$(CLANG_FORMAT) -i $(FORMAT_SRCS)

format-check:
	$(CLANG_FORMAT) --dry-run --Werror $(FORMAT_SRCS)

# ---- ThreadSanitizer (make tsan) ----
# tests/tsan.supp silences only reports inside third-party libraries, each with its reason.
# test_table_profile is left out: da's profiler runs single-threaded there, and its 300-column table
# already takes 2.6 GB of DuckDB memory, 8-11 GB with TSan's shadow memory.
TSAN_SKIP := test_table_profile
TSAN_BINS := $(filter-out $(addprefix build/tsan/tests/,$(TSAN_SKIP)), \
                          $(patsubst build/%,build/tsan/%,$(UNIT_BINS)))
tsan:
	@$(MAKE) --no-print-directory TSAN=1 $(TSAN_BINS)
	@TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp second_deadlock_stack=1 $$TSAN_OPTIONS" \
	    UNIT_TIMEOUT=900 UNIT_SKIP="$(TSAN_SKIP)" BUILD=build/tsan tests/run.sh unit

# ---- libFuzzer (make fuzz) ----
# Each tests/fuzz/fuzz_<name>.c runs for FUZZ_SECONDS over its seed corpus
# tests/fuzz/corpus/<name> (read-only) plus a working corpus in build/fuzz/corpus/<name>;
# a crash, leak, sanitizer report or a single input slower than FUZZ_TIMEOUT fails the run
# and leaves the input in build/fuzz/crashes/.
FUZZ_SECONDS ?= 60
FUZZ_TIMEOUT ?= 10
FUZZ_SRCS    := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,build/fuzz/fuzz/%,$(FUZZ_SRCS))

build/fuzz/fuzz/%: tests/fuzz/%.c $(BUILD)/libda.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -MF $@.d -o $@ $< $(BUILD)/libda.a $(LDFLAGS) $(LDLIBS)

fuzz:
	@$(MAKE) --no-print-directory FUZZ=1 -j2 $(FUZZ_BINS)
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-run

fuzz-run:
	@set -e; for n in $(FUZZ_NAMES); do \
	    mkdir -p build/fuzz/corpus/$$n build/fuzz/crashes; \
	    echo "fuzz $$n: $(FUZZ_SECONDS)s"; \
	    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    build/fuzz/fuzz/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -timeout=$(FUZZ_TIMEOUT) \
	        -rss_limit_mb=4096 -print_final_stats=1 \
	        -artifact_prefix=build/fuzz/crashes/$$n- \
	        build/fuzz/corpus/$$n tests/fuzz/corpus/$$n 2>build/fuzz/$$n.log || \
	        { tail -n 60 build/fuzz/$$n.log; echo "fuzz $$n: FAILED (log build/fuzz/$$n.log)"; exit 1; }; \
	    grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' build/fuzz/$$n.log | tr '\n' ' '; echo; \
	done

clean:
	rm -rf build

-include $(LIB_OBJS:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_BINS:=.d) $(FUZZ_BINS:=.d)
