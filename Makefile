# hookcast: see README.md. `make`, `make test`, `make demo`, `make install`.
VERSION := 0.1.0
SHELL := /bin/bash
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
DATADIR = $(PREFIX)/share/hookcast
MANDIR = $(PREFIX)/share/man/man1
# where bash-completion, zsh and fish look for completions under PREFIX
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR = $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR = $(PREFIX)/share/fish/vendor_completions.d

CC ?= cc
MODE ?= release
BUILD = build/$(MODE)

# Library flags come from pkg-config where the package ships a .pc file,
# with a plain -l fallback otherwise.
pc_cflags = $(shell pkg-config --cflags $(1) 2>/dev/null)
pc_libs = $(shell pkg-config --libs $(1) 2>/dev/null || echo $(2))

INI_CFLAGS := $(shell pkg-config --cflags iniparser 2>/dev/null || echo -I/usr/include/iniparser)
CURL_CFLAGS := $(call pc_cflags,libcurl)
CORE_LIBS := $(call pc_libs,libcurl,-lcurl) -lcsv $(call pc_libs,iniparser,-liniparser) $(call pc_libs,libcrypto,-lcrypto) $(call pc_libs,sqlite3,-lsqlite3) $(call pc_libs,jansson,-ljansson) -lm -pthread
UI_CFLAGS := $(call pc_cflags,ncursesw)
UI_LIBS := $(call pc_libs,ncursesw,-lncursesw -ltinfo)
MHD_CFLAGS := $(call pc_cflags,libmicrohttpd)
MHD_LIBS := $(call pc_libs,libmicrohttpd,-lmicrohttpd)
CMOCKA_LIBS := $(call pc_libs,cmocka,-lcmocka)

WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wformat=2 -Wno-format-nonliteral -Wvla
ifeq ($(MODE),asan)
OPT = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
else ifeq ($(MODE),tsan)
OPT = -O1 -g -fno-omit-frame-pointer -fsanitize=thread
else
OPT = -O2 -g
# The release build allocates with mimalloc: libcurl and OpenSSL allocate
# and free several blocks per request, and glibc's malloc gives a thread's
# heap back to the kernel and faults it in again between requests (see
# BENCHMARKS.md). Linked first, so that its malloc is the process's;
# sanitizer builds keep their own. `make MALLOC_LIBS=` builds without it.
MALLOC_LIBS ?= -Wl,--push-state,--no-as-needed -lmimalloc -Wl,--pop-state
endif
CPPFLAGS_ALL = -Iinclude -Isrc -D_GNU_SOURCE -DHOOKCAST_VERSION='"$(VERSION)"' \
	-DHOOKCAST_DATADIR='"$(DATADIR)"' \
	$(INI_CFLAGS) $(CURL_CFLAGS) $(UI_CFLAGS) $(MHD_CFLAGS)
CFLAGS_ALL = -std=c11 $(WARN) $(OPT) $(CFLAGS)
LDFLAGS_ALL = $(OPT) $(LDFLAGS)

CORE_SRC := $(wildcard src/core/*.c)
CLI_SRC := $(wildcard src/cli/*.c)
UI_SRC := $(wildcard src/ui/*.c)
APP_SRC := src/main.c $(CLI_SRC) $(UI_SRC)
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
APP_OBJ := $(APP_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_SRC := $(wildcard tests/helpers/*.c)
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/helpers/%)
ALL_OBJ := $(CORE_OBJ) $(APP_OBJ) $(UNIT_SRC:%.c=$(BUILD)/%.o) $(HELPER_SRC:%.c=$(BUILD)/%.o)

.SECONDARY:
.PHONY: all deps build test check-build unit demo bench bench-scale fuzz fuzz-build valgrind tsan lint install uninstall clean

# The front doors install missing Debian packages first, then build in a
# second make so that pkg-config sees the installed packages.
all: deps
	@$(MAKE) --no-print-directory build

deps:
	@scripts/deps.sh

build: hookcast

hookcast: $(BUILD)/hookcast
	rm -f $@ && cp $< $@

$(BUILD)/hookcast: $(CORE_OBJ) $(APP_OBJ)
	$(CC) $(LDFLAGS_ALL) -o $@ $(MALLOC_LIBS) $^ $(CORE_LIBS) $(UI_LIBS) $(MHD_LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CPPFLAGS) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(CORE_LIBS) $(CMOCKA_LIBS)

# Test helpers: small programs over the core that the fault tests drive.
$(BUILD)/tests/helpers/%: $(BUILD)/tests/helpers/%.o $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(CORE_LIBS)

# The tests run the sanitizer build: build/asan/hookcast and the unit tests.
test: deps
	@$(MAKE) --no-print-directory MODE=asan check-build
	@$(MAKE) --no-print-directory MODE=release check-build
	@$(MAKE) --no-print-directory MODE=tsan check-build
	@$(MAKE) --no-print-directory fuzz-build
	@HOOKCAST_FUZZ_SECONDS=$(TEST_FUZZ_SECONDS) tests/run.sh build/asan

check-build: $(BUILD)/hookcast $(UNIT_BIN) $(HELPER_BIN)

demo: all
	@examples/demo.sh ./hookcast

# valgrind: the unit tests and one CLI run against hookcast sink, built
# without sanitizers; any error or definite leak fails.
valgrind: deps
	@$(MAKE) --no-print-directory MODE=release check-build
	@tests/valgrind.sh build/release

# ThreadSanitizer: the unit tests and the sync, delivery and payload suites
# on a -fsanitize=thread build (the state writer runs on a thread of its
# own). make test runs it too.
tsan: deps
	@$(MAKE) --no-print-directory MODE=tsan check-build
	@tests/tsan.sh build/tsan

# Static checks: cppcheck, and clang-tidy with the checks in .clang-tidy.
lint: deps
	cppcheck --enable=warning,performance,portability --std=c11 -Iinclude -Isrc \
		-D_GNU_SOURCE --suppress=missingIncludeSystem --error-exitcode=1 --quiet src/
	clang-tidy --quiet --warnings-as-errors='*' src/core/*.c src/cli/*.c src/ui/*.c \
		-- -std=c11 -Iinclude -Isrc -D_GNU_SOURCE $(INI_CFLAGS) $(CURL_CFLAGS) \
		-DHOOKCAST_VERSION='"$(VERSION)"' -DHOOKCAST_DATADIR='"$(DATADIR)"'

# Fuzzing: libFuzzer harnesses in tests/fuzz, built with clang (the core
# once, instrumented, then one binary per harness) and run for FUZZ_SECONDS
# each on a copy of the seeds in tests/fuzz/corpus/NAME. make test runs them
# for TEST_FUZZ_SECONDS each.
FUZZ_SECONDS ?= 60
TEST_FUZZ_SECONDS ?= 20
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_CC ?= clang
FUZZ_SAN = address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS = -g -O1 -std=c11 -Iinclude -D_GNU_SOURCE -DHOOKCAST_VERSION='"$(VERSION)"' \
	-DHOOKCAST_DATADIR='"$(DATADIR)"' $(INI_CFLAGS) $(CURL_CFLAGS)
FUZZ_OBJ := $(CORE_SRC:src/core/%.c=build/fuzz/obj/%.o)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzz-build: $(FUZZ_NAMES:%=build/fuzz/fuzz_%)

build/fuzz/obj/%.o: src/core/%.c
	@mkdir -p build/fuzz/obj
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -MMD -MP -c -o $@ $<

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $^ $(CORE_LIBS)

# The benchmark runs the optimised build: see BENCHMARKS.md.
bench: all
	@bench/run.sh

# Scaling out: 1, 2 and 4 shards under GNU parallel, state size per key.
bench-scale: all
	@HOOKCAST_EXTRA_NEEDS="/usr/sbin/nginx:nginx-light parallel:parallel" \
		scripts/deps.sh && python3 bench/scale.py

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/themes $(DESTDIR)$(MANDIR)
	install -m 0755 hookcast $(DESTDIR)$(BINDIR)/hookcast
	install -m 0644 themes/*.ini $(DESTDIR)$(DATADIR)/themes/
	install -m 0644 hookcast.1 $(DESTDIR)$(MANDIR)/hookcast.1
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) \
		$(DESTDIR)$(FISHCOMPDIR)
	./hookcast completion bash >$(DESTDIR)$(BASHCOMPDIR)/hookcast
	./hookcast completion zsh >$(DESTDIR)$(ZSHCOMPDIR)/_hookcast
	./hookcast completion fish >$(DESTDIR)$(FISHCOMPDIR)/hookcast.fish

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/hookcast $(DESTDIR)$(MANDIR)/hookcast.1
	rm -f $(DESTDIR)$(BASHCOMPDIR)/hookcast $(DESTDIR)$(ZSHCOMPDIR)/_hookcast \
		$(DESTDIR)$(FISHCOMPDIR)/hookcast.fish
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build hookcast

-include $(ALL_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d)
