# linkup: build, test and install the Lua C module.
#
#   make                      build for Lua 5.4 (build/5.4/linkup.so)
#   make LUA_VERSION=jit      build for LuaJIT 2.1 / OpenResty (build/jit/linkup.so)
#   make test                 install what is missing, build, run every spec
#   make demo                 install what is missing, start the fake API, run an example
#   make bench                benchmarks (figures, not pass/fail)
#   make install PREFIX=/usr/local DESTDIR=
#                             also the command: linkup-$(LUA_VERSION), and linkup
#                             (a link to it) for DEFAULT_LUA_VERSION or CLI_LINK=yes
#
# Every variable is overridable. Module-only flags sit in MODFLAGS so a
# user's CFLAGS never drops -fPIC or -fvisibility=hidden.

LUA_VERSION ?= 5.4
ifeq ($(LUA_VERSION),jit)
LUA         ?= luajit
LUA_INCDIR  ?= /usr/include/luajit-2.1
LUA_ABI     ?= 5.1
else
LUA         ?= lua$(LUA_VERSION)
LUA_INCDIR  ?= /usr/include/lua$(LUA_VERSION)
LUA_ABI     ?= $(LUA_VERSION)
endif

PREFIX      ?= /usr/local
DESTDIR     ?=
LIBDIR      ?= $(PREFIX)/lib/lua/$(LUA_ABI)
LUADIR      ?= $(PREFIX)/share/lua/$(LUA_ABI)
BINDIR      ?= $(PREFIX)/bin

CC          ?= cc
PKG_CONFIG  ?= pkg-config
CURL_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags libcurl 2>/dev/null)
CURL_LIBS   ?= $(shell $(PKG_CONFIG) --libs libcurl 2>/dev/null || echo -lcurl)
CFLAGS      ?= -O2 -g
WARNFLAGS   ?= -Wall -Wextra -Werror
# -pthread: pthread_once guards curl_global_init (linkup.c); with glibc
# 2.34+ it adds no library, elsewhere it links libpthread. Never liblua.
MODFLAGS     = -std=c99 -fPIC -fvisibility=hidden -pthread
LDFLAGS     ?=
# Never -llua: the interpreter that loads the module provides the Lua API.
LIBFLAG     ?= -shared

BUILD       ?= build/$(LUA_VERSION)
SRCS         = csrc/linkup.c csrc/lkeasy.c csrc/lkmulti.c csrc/lktime.c csrc/lkjson.c csrc/lkbigint.c \
               csrc/lkhash.c csrc/lkrand.c
HDRS         = csrc/linkup.h csrc/compat.h csrc/lkeasy.h
LUA_SRCS     = $(wildcard lua/linkup/*.lua)
CLI_SRCS     = $(wildcard lua/linkup/cli/*.lua)
# The version whose command is also installed as plain `linkup`.
DEFAULT_LUA_VERSION ?= 5.4
CLI_LINK    ?= $(if $(filter $(DEFAULT_LUA_VERSION),$(LUA_VERSION)),yes,no)

.PHONY: all clean install uninstall deps test demo bench fuzz fuzz-build check-symbols oom-test

all: $(BUILD)/linkup.so

$(BUILD)/linkup.so: $(SRCS) $(HDRS)
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) $(WARNFLAGS) $(MODFLAGS) -I$(LUA_INCDIR) $(CURL_CFLAGS) \
	  $(LIBFLAG) -o $@ $(SRCS) $(LDFLAGS) $(CURL_LIBS)

# Only luaopen_* may be exported.
check-symbols: $(BUILD)/linkup.so
	@bad=$$(nm -D --defined-only $< | awk '$$2 ~ /[TDBR]/ {print $$3}' | grep -v '^luaopen_' || true); \
	if [ -n "$$bad" ]; then echo "exported beyond luaopen_*: $$bad"; exit 1; fi; \
	echo "exports: $$(nm -D --defined-only $< | awk '$$2 ~ /[TDBR]/ {print $$3}' | tr '\n' ' ')"

install: $(BUILD)/linkup.so
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(LUADIR)/linkup
	install -m 0755 $(BUILD)/linkup.so $(DESTDIR)$(LIBDIR)/linkup.so
	install -m 0644 $(LUA_SRCS) $(DESTDIR)$(LUADIR)/linkup/
	install -d $(DESTDIR)$(LUADIR)/linkup/cli
	install -m 0644 $(CLI_SRCS) $(DESTDIR)$(LUADIR)/linkup/cli/
	# types for lua-language-server: point its workspace.library here
	install -d $(DESTDIR)$(LUADIR)/linkup/types
	install -m 0644 types/linkup.lua $(DESTDIR)$(LUADIR)/linkup/types/
	install -d $(DESTDIR)$(BINDIR)
	sed '1s|.*|#!/usr/bin/env $(LUA)|' bin/linkup > $(DESTDIR)$(BINDIR)/linkup-$(LUA_VERSION)
	chmod 0755 $(DESTDIR)$(BINDIR)/linkup-$(LUA_VERSION)
	if [ "$(CLI_LINK)" = yes ]; then ln -sfn linkup-$(LUA_VERSION) $(DESTDIR)$(BINDIR)/linkup; fi

# The command goes with the version it was installed for; plain linkup too,
# when it is this version's (our link, or an older install's copy).
uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/linkup.so
	rm -rf $(DESTDIR)$(LUADIR)/linkup
	rm -f $(DESTDIR)$(BINDIR)/linkup-$(LUA_VERSION)
	cmd=$(DESTDIR)$(BINDIR)/linkup; \
	if [ "$$(readlink "$$cmd")" = "linkup-$(LUA_VERSION)" ] || \
	   { [ -f "$$cmd" ] && [ ! -L "$$cmd" ] && [ "$$(head -n 1 "$$cmd")" = "#!/usr/bin/env $(LUA)" ]; }; then \
	  rm -f "$$cmd"; \
	fi

# Installs the Debian packages the build and the specs need, when missing.
deps:
	@sh tools/deps.sh

test: deps
	@sh spec/run.sh

demo: deps all
	@sh examples/demo.sh

bench: deps all
	@LINKUP_EXTRA_PKGS="lua-socket lua-curl" sh tools/deps.sh
	@sh bench/run.sh

# libFuzzer (clang) over the response path: C header parser, C JSON decode,
# Lua classification. FUZZ_TIME bounds the run; new inputs land in
# build/fuzz/corpus, the seeds stay in fuzz/corpus. Leak checks are off here
# (Lua frees on its own schedule, so libFuzzer would scan after every input);
# leaks are the ASan suite's and valgrind's job.
FUZZ_CC   ?= clang
FUZZ_TIME ?= 60
FUZZ_BIN   = build/fuzz/fuzz_response

fuzz-build: $(FUZZ_BIN)

$(FUZZ_BIN): fuzz/fuzz_response.c $(SRCS) $(HDRS)
	@mkdir -p build/fuzz/corpus
	$(FUZZ_CC) -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	  -I/usr/include/lua5.4 $(CURL_CFLAGS) -o $@ fuzz/fuzz_response.c $(SRCS) -llua5.4 $(CURL_LIBS)

fuzz: deps $(FUZZ_BIN)
	$(FUZZ_BIN) -max_total_time=$(FUZZ_TIME) -print_final_stats=1 -max_len=65536 -detect_leaks=0 \
	  build/fuzz/corpus fuzz/corpus

# core.decode under an allocator that runs out at every point in turn
# (fuzz/oom_decode.c; Lua 5.4, ASan + UBSan): a memory error must be
# raised, never returned as a decode error. spec/30 runs it.
OOM_BIN = build/oom/oom_decode

$(OOM_BIN): fuzz/oom_decode.c $(SRCS) $(HDRS)
	@mkdir -p build/oom
	$(CC) -std=c99 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	  $(WARNFLAGS) -I/usr/include/lua5.4 $(CURL_CFLAGS) -o $@ fuzz/oom_decode.c $(SRCS) -llua5.4 $(CURL_LIBS)

oom-test: $(OOM_BIN)
	ASAN_OPTIONS=detect_leaks=0 $(OOM_BIN)

clean:
	rm -rf build
