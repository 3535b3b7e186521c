# da — one GNU Makefile. `make` builds build/da; see README.md for the rest.
#   make            build build/da
#   make test       install missing dependencies, build, run unit and end-to-end tests
#   make san        the same tests under ASan+UBSan (also: SAN=1 make test)
#   make run        install, build and start `da serve --demo`
#   make install    PREFIX=/usr/local (default)
#   make bench      benchmarks (never part of the pass/fail tests)
#   make lint       cppcheck and the banned-function check
#   make format     clang-format all sources

PREFIX  ?= /usr/local
DUCKDB  := deps/duckdb
CC      ?= cc

ifeq ($(SAN),1)
BUILD   := build/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
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

.PHONY: all deps test unit e2e san run install bench lint format clean
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

e2e: $(BUILD)/da
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

lint:
	cppcheck --quiet --enable=warning,performance,portability --error-exitcode=1 \
	    --inline-suppr -Isrc src
	@! grep -nE '\b(strcpy|strcat|strncpy|sprintf|vsprintf|gets|strtok|atoi|atol|sscanf)\(' \
	    src/*/*.c src/*.c || (echo "banned function used" && false)

format:
	clang-format -i src/*.c src/*/*.c src/*/*.h

clean:
	rm -rf build

-include $(LIB_OBJS:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_BINS:=.d)
