# stratbox build.
#
#   make            build build/stratbox
#   make demo       install missing Debian packages, build, run sandboxed examples and a
#                   backtest (a report in build/demo-report.html when reports are built)
#   make check      install missing packages, build, run the whole test suite
#                   (root and unprivileged, plus an ASan+UBSan build)
#   make asan       build the sanitizer variant in build/asan/
#   make bench      run the benchmarks (figures, not pass/fail)
#
# Variables: BUILD=asan selects the sanitizer variant for any target;
# BUILDROOT=DIR builds somewhere other than build/ (tests/run.sh takes the
# same variable), so that two builds of one checkout never share objects.

CC      ?= gcc
BUILD   ?= release
BUILDROOT ?= build

ifeq ($(BUILD),asan)
  O       := $(BUILDROOT)/asan
  OPTFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=undefined
  SANLDFLAGS := -fsanitize=address,undefined
  LINKMODE := -pie
else
  O       := $(BUILDROOT)
  OPTFLAGS := -O2 -g -D_FORTIFY_SOURCE=3
  SANLDFLAGS :=
  # Static: a sandbox launch is budgeted in milliseconds, and resolving
  # four shared libraries costs about half of one (bench/README.md).
  LINKMODE := -static-pie
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wswitch-enum -Wformat=2 -Wformat-security -Wundef -Wpointer-arith \
        -Wcast-align -Wwrite-strings -Wvla -Wnull-dereference -Wimplicit-fallthrough \
        -Wno-format-nonliteral -Wjump-misses-init
HARDEN := -fstack-protector-strong -fstack-clash-protection -fPIE
CFLAGS_ALL := -std=gnu11 -D_GNU_SOURCE $(OPTFLAGS) $(WARN) $(HARDEN) \
              -Iinclude -Isrc $(CFLAGS)
LDFLAGS_ALL := $(LINKMODE) -Wl,-z,relro,-z,now -Wl,--as-needed $(SANLDFLAGS) $(LDFLAGS)
LIBS := -lseccomp -ljansson -lcap -lunistring -lnettle -lz -lm -lpthread

# Built into the zygote only (they embed CPython): not library code.
ZYGOTE_ONLY := src/pyrt/zygote.c src/pyrt/audit.c src/pyrt/lsmod.c
LIB_SRC := $(wildcard src/common/*.c) $(wildcard src/sandbox/*.c) $(wildcard src/validate/*.c) \
           $(wildcard src/env/*.c) \
           $(wildcard src/engine/*.c) src/queue/url.c \
           $(filter-out $(ZYGOTE_ONLY),$(wildcard src/pyrt/*.c))
# The service (stratbox serve): its own parts, and its front end, linked
# into stratbox-serve; the static stratbox runs that binary for `serve`
# (src/cli/serve-exec.c says why).
# `stratbox worker` (--queue: jobs through Redis) is in stratbox-serve too:
# it links hiredis and shares the server's job code.
SERVE_CLI := src/cli/cmd_serve.c src/cli/cmd_worker.c
SERVE_EXEC := src/cli/serve-exec.c
SERVER_SRC := $(wildcard src/store/*.c) $(wildcard src/server/*.c) src/queue/redis.c \
	      src/queue/tls.c
SERVER_LIBS := -lmicrohttpd -lsqlite3 -lhiredis -lgnutls
CLI_SRC := $(filter-out $(SERVE_CLI) $(SERVE_EXEC),$(wildcard src/cli/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(O)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(O)/obj/%.o)
SERVER_OBJ := $(SERVER_SRC:%.c=$(O)/obj/%.o)
SERVE_CLI_OBJ := $(SERVE_CLI:%.c=$(O)/obj/%.o)
SERVE_EXEC_OBJ := $(SERVE_EXEC:%.c=$(O)/obj/%.o)

UNIT_SRC := $(wildcard tests/unit/*.c)
SEC_SRC  := $(wildcard tests/security/*.c)
PYRT_SRC := $(wildcard tests/pyrt/*.c)
SERVE_TEST_SRC := $(wildcard tests/serve/*.c)
TEST_COMMON := tests/harness.c tests/helpers.c tests/leftovers.c
TEST_HDR := $(wildcard tests/*.h tests/unit/*.h tests/security/*.h tests/pyrt/*.h tests/serve/*.h)

# the bundled data of the tree a binary was built from, for builds outside it
$(O)/obj/src/engine/inputs.o: CFLAGS_ALL += -DSTRATBOX_SOURCE_DATA='"$(CURDIR)/data"'

all: $(O)/stratbox $(O)/stratbox-serve $(O)/libstratbox.a $(O)/stratbox-zygote $(O)/stratbox-zygote-shared \
     $(O)/python/stratbox/__init__.py

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

# The seccomp policies are compiled to BPF at build time by a generator
# that links the same rule code (src/sandbox/seccomp.c).
GEN_TOOL := $(O)/tools/gen-seccomp
PREBUILT_C := $(O)/gen/seccomp-prebuilt.c
PREBUILT_O := $(O)/obj/gen/seccomp-prebuilt.o

# (It needs none of the HTML report, whose assets come from npm.)
GEN_TOOL_OBJ := $(filter-out $(O)/obj/src/engine/report_%.o,$(LIB_OBJ))
$(GEN_TOOL): tools/gen-seccomp.c tools/seccomp-noprebuilt.c $(GEN_TOOL_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ tools/gen-seccomp.c tools/seccomp-noprebuilt.c \
		$(GEN_TOOL_OBJ) $(LIBS)

$(PREBUILT_C): $(GEN_TOOL)
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@$(GEN_TOOL) $@

$(PREBUILT_O): $(PREBUILT_C)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_ALL) -c $< -o $@

# The HTML report's chart library, TradingView's lightweight-charts, is
# fetched from npm into the build directory, pinned by version and by the
# tarball's SHA-512 (the registry's "integrity"), and embedded with the
# report's own script and style sheet into a generated C source that also
# carries their hashes for the report's Content-Security-Policy.  Neither
# the library nor the generated source is committed.  Without network
# access: make LWC_TARBALL=/path/to/lightweight-charts-$(LWC_VERSION).tgz
# (npm pack lightweight-charts@$(LWC_VERSION) elsewhere; it is checked
# against the same SHA-512).
LWC_VERSION := 4.2.3
LWC_SHA512 := e644bfda1637c0d60dce19d2f066fe1804b4ec35fc18f1766150e777634c0bce6025543a44b53a62b5cd80d27a7a0d009d63f00a7bda1ad6261a4cb71e22d013
LWC_TARBALL ?=
LWC_DIR := $(BUILDROOT)/vendor/lightweight-charts-$(LWC_VERSION)
LWC_PKG := $(LWC_DIR)/package/package.json
REPORT_ASSETS := src/engine/report.js src/engine/report.css
REPORT_ASSETS_C := $(O)/gen/report-assets.c
REPORT_ASSETS_O := $(O)/obj/gen/report-assets.o

$(LWC_PKG): tools/fetch-lightweight-charts.sh
	@echo "  NPM     lightweight-charts@$(LWC_VERSION)"
	@sh tools/fetch-lightweight-charts.sh $(LWC_VERSION) $(LWC_SHA512) $(LWC_DIR) $(LWC_TARBALL)
	@touch $@

$(REPORT_ASSETS_C): tools/gen-report-assets.js $(LWC_PKG) $(REPORT_ASSETS)
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@node tools/gen-report-assets.js $(LWC_DIR)/package $(LWC_VERSION) $(REPORT_ASSETS) $@

$(REPORT_ASSETS_O): $(REPORT_ASSETS_C) src/engine/report_assets.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_ALL) -c $< -o $@

# The status page's files (GET /, src/server/page.c), embedded byte for byte
# into stratbox-serve by a generated C source (no build step of their own:
# what is in the tree is what is served).
EMBED_TOOL := $(O)/tools/gen-embed
PAGE_ASSETS := src/server/page/index.html src/server/page/page.js src/server/page/page.css
PAGE_ASSETS_C := $(O)/gen/page-assets.c
PAGE_ASSETS_O := $(O)/obj/gen/page-assets.o

$(EMBED_TOOL): tools/gen-embed.c
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $<

$(PAGE_ASSETS_C): $(EMBED_TOOL) $(PAGE_ASSETS)
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@$(EMBED_TOOL) $@ server/page_assets.h page_index_html=src/server/page/index.html \
		page_js=src/server/page/page.js page_css=src/server/page/page.css

$(PAGE_ASSETS_O): $(PAGE_ASSETS_C) src/server/page_assets.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_ALL) -c $< -o $@

$(O)/libstratbox.a: $(LIB_OBJ) $(PREBUILT_O) $(REPORT_ASSETS_O)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	@rm -f $@ && ar rcs $@ $^

$(O)/stratbox: $(CLI_OBJ) $(SERVE_EXEC_OBJ) $(O)/libstratbox.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS_ALL) -o $@ $(CLI_OBJ) $(SERVE_EXEC_OBJ) $(O)/libstratbox.a $(LIBS)

# Dynamic (-pie, not -static-pie): Debian has no static p11-kit for the
# GnuTLS libmicrohttpd links, and a long-lived service does not care.
SERVE_LDFLAGS := $(filter-out -static-pie,$(LDFLAGS_ALL)) -pie
$(O)/stratbox-serve: $(CLI_OBJ) $(SERVE_CLI_OBJ) $(SERVER_OBJ) $(PAGE_ASSETS_O) $(O)/libstratbox.a
	@echo "  LD      $@"
	@$(CC) $(SERVE_LDFLAGS) -o $@ $(CLI_OBJ) $(SERVE_CLI_OBJ) $(SERVER_OBJ) $(PAGE_ASSETS_O) \
		$(O)/libstratbox.a $(SERVER_LIBS) $(LIBS)

# The zygote embeds CPython.  Two builds of it:
#   stratbox-zygote         for the host's Python (and venvs on it): Debian's
#                           libpython3.11.a linked in as /usr/bin/python3.11
#                           links it (not PIE, symbols exported for extension
#                           modules, -Bsymbolic-functions): strategy code runs
#                           ~10 % faster than through libpython3.11.so
#                           (bench/README.md), as fast as python3 itself;
#   stratbox-zygote-shared  for an environment with a tree of its own (an
#                           image, a rootfs: docs/environments.md): links the
#                           tree's libpython3.11.so, so the interpreter and the
#                           tree's standard library always match.
# Everything else is linked in statically: in an environment's tree the
# zygote finds only what Python itself needs (libpython3.11, libc, libm,
# libz, libexpat), never libseccomp or jansson.
PY_CONFIG := $(firstword $(wildcard /usr/bin/python3.11-config) python3.11-config)
PY_CFLAGS := $(shell $(PY_CONFIG) --includes 2>/dev/null | sed 's/-I/-isystem /g')
PY_STATIC := $(shell $(PY_CONFIG) --configdir 2>/dev/null)/libpython3.11.a
PY_LIBS := -lpython3.11
ZYGOTE_LIBS := $(O)/libstratbox.a -Wl,-Bstatic -lseccomp -ljansson -lcap -lunistring -lnettle -lz \
	-Wl,-Bdynamic
ifeq ($(BUILD),asan)
# The sanitizer build tests the host side; the zygotes stay the release
# binaries (ASan's shadow reservation and leak checker do not fit inside
# the sandbox's address-space limit and seccomp policy).
# One sub-make for both (two would build the release library at once).
$(O)/stratbox-zygote: FORCE
	@$(MAKE) --no-print-directory BUILD=release $(BUILDROOT)/stratbox-zygote \
		$(BUILDROOT)/stratbox-zygote-shared
	@mkdir -p $(dir $@)
	@cp $(BUILDROOT)/stratbox-zygote $(BUILDROOT)/stratbox-zygote-shared $(dir $@)
$(O)/stratbox-zygote-shared: $(O)/stratbox-zygote
else
ZYGOTE_SRC := $(ZYGOTE_ONLY)
ZYGOTE_DEPS := $(ZYGOTE_SRC) src/pyrt/audit.h src/pyrt/lsmod.h src/pyrt/lockstep.h $(O)/libstratbox.a
$(O)/stratbox-zygote: $(ZYGOTE_DEPS)
	@test -f "$(PY_STATIC)" || { echo "no $(PY_STATIC): apt-get install libpython3.11-dev" \
		"(the zygote links CPython's static library, as /usr/bin/python3.11 does)" >&2; exit 1; }
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_ALL) $(PY_CFLAGS) -no-pie -Wl,-z,relro,-z,now -o $@ $(ZYGOTE_SRC) \
		$(ZYGOTE_LIBS) $(PY_STATIC) -Wl,--export-dynamic -Wl,-Bsymbolic-functions \
		-lexpat -lz -lm -ldl -lpthread
$(O)/stratbox-zygote-shared: $(ZYGOTE_DEPS)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_ALL) $(PY_CFLAGS) -pie -Wl,-z,relro,-z,now -o $@ $(ZYGOTE_SRC) \
		$(ZYGOTE_LIBS) $(PY_LIBS) -lm -lpthread
endif

# The package imported inside the sandbox, next to the binaries.
PY_PKG := $(wildcard src/pyrt/python/stratbox/*.py)
# With it, the audit hook's capability proof (tests/pyrt/hook/), which
# `stratbox env check` re-runs on an environment's allow-list.
SELFTEST := tests/pyrt/hook/reach.py tests/pyrt/hook/capabilities.py
$(O)/python/stratbox/__init__.py: $(PY_PKG) $(SELFTEST)
	@mkdir -p $(dir $@) $(O)/python/selftest
	@cp $(PY_PKG) $(dir $@)
	@cp $(SELFTEST) $(O)/python/selftest/

# ---- tests -------------------------------------------------------------
# The probe runs inside the sandbox: static, so it needs nothing from the
# sandbox's /usr and behaves the same under every policy.
$(O)/tests/probe: tests/probe/probe.c
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) -std=gnu11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -static -o $@ $<

TEST_CFLAGS := -Wno-format-zero-length -Itests

$(O)/tests/unit: $(UNIT_SRC) $(TEST_COMMON) $(TEST_HDR) $(O)/libstratbox.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_ALL) $(TEST_CFLAGS) $(LDFLAGS_ALL) -o $@ $(UNIT_SRC) $(TEST_COMMON) \
		$(O)/libstratbox.a $(LIBS)

$(O)/tests/security: $(SEC_SRC) $(TEST_COMMON) $(TEST_HDR) $(O)/libstratbox.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_ALL) $(TEST_CFLAGS) $(LDFLAGS_ALL) -o $@ $(SEC_SRC) $(TEST_COMMON) \
		$(O)/libstratbox.a $(LIBS)

$(O)/tests/pyrt: $(PYRT_SRC) $(TEST_COMMON) $(TEST_HDR) $(O)/libstratbox.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_ALL) $(TEST_CFLAGS) $(LDFLAGS_ALL) -o $@ $(PYRT_SRC) $(TEST_COMMON) \
		$(O)/libstratbox.a $(LIBS)

# The service: the store alone, and stratbox serve over HTTP.
STORE_OBJ := $(filter $(O)/obj/src/store/%,$(SERVER_OBJ))
$(O)/tests/serve: $(SERVE_TEST_SRC) $(TEST_COMMON) $(TEST_HDR) $(STORE_OBJ) $(O)/libstratbox.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_ALL) $(TEST_CFLAGS) $(SERVE_LDFLAGS) -o $@ $(SERVE_TEST_SRC) $(TEST_COMMON) \
		$(STORE_OBJ) $(O)/libstratbox.a -lsqlite3 $(LIBS)

# The validator's test-only entry point, driven by the Python tests in
# tests/validate/ (the differential test against CPython's tokenizer).
$(O)/tests/vprobe: tests/validate/vprobe.c $(O)/libstratbox.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_ALL) $(TEST_CFLAGS) $(LDFLAGS_ALL) -o $@ $< $(O)/libstratbox.a $(LIBS)

# The engine's test-only front end (data + signals in, result JSON out),
# driven by tests/engine/compare.py against an independent reference.
$(O)/tests/engine-run: tests/engine/engine-run.c $(O)/libstratbox.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_ALL) $(TEST_CFLAGS) $(LDFLAGS_ALL) -o $@ $< $(O)/libstratbox.a $(LIBS)

# The report's test-only front end (result JSON in, HTML out), driven by
# tests/report/render.js in headless Chromium.
$(O)/tests/report-gen: tests/report/report-gen.c $(O)/libstratbox.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_ALL) $(TEST_CFLAGS) $(LDFLAGS_ALL) -o $@ $< $(O)/libstratbox.a $(LIBS)

TEST_BINS := $(O)/stratbox $(O)/tests/probe $(O)/tests/unit $(O)/tests/security $(O)/tests/pyrt \
             $(O)/stratbox-serve $(O)/tests/serve \
             $(O)/tests/vprobe $(O)/tests/engine-run $(O)/tests/report-gen $(O)/stratbox-zygote $(O)/stratbox-zygote-shared \
             $(O)/python/stratbox/__init__.py

# libFuzzer target (clang): the tokenizer and validator with ASan+UBSan.
FUZZ_SRC := fuzz/fuzz_check.c $(wildcard src/validate/*.c) src/common/error.c src/common/util.c
$(BUILDROOT)/fuzz/fuzz_check: $(FUZZ_SRC)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	@clang -std=gnu11 -D_GNU_SOURCE -g -O1 -Iinclude -Isrc \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ $(FUZZ_SRC) -ljansson -lunistring

# ...and the host's parser of the frames a running job sends.
PROTO_FUZZ_SRC := fuzz/fuzz_protocol.c src/pyrt/protocol.c src/common/parse.c src/common/error.c \
                  src/common/util.c
$(BUILDROOT)/fuzz/fuzz_protocol: $(PROTO_FUZZ_SRC) src/pyrt/protocol.h
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	@clang -std=gnu11 -D_GNU_SOURCE -g -O1 -Iinclude -Isrc \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ $(PROTO_FUZZ_SRC) -ljansson

# ...and the tar reader that reads untrusted image archives.
TAR_FUZZ_SRC := fuzz/fuzz_tar.c src/env/tar.c src/common/error.c src/common/util.c
$(BUILDROOT)/fuzz/fuzz_tar: $(TAR_FUZZ_SRC) src/env/tar.h
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	@clang -std=gnu11 -D_GNU_SOURCE -g -O1 -Iinclude -Isrc \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ $(TAR_FUZZ_SRC)

fuzz: $(BUILDROOT)/fuzz/fuzz_check $(BUILDROOT)/fuzz/fuzz_protocol $(BUILDROOT)/fuzz/fuzz_tar

tests: $(TEST_BINS)

deps:
	@sh scripts/install-deps.sh build

deps-test:
	@sh scripts/install-deps.sh test

demo: deps
	@$(MAKE) --no-print-directory all
	@BUILDROOT=$(BUILDROOT) sh scripts/demo.sh

check: deps-test
	@$(MAKE) --no-print-directory tests
	@$(MAKE) --no-print-directory BUILD=asan tests
	@$(MAKE) --no-print-directory fuzz
	@BUILDROOT=$(BUILDROOT) sh tests/run.sh

asan:
	@$(MAKE) --no-print-directory BUILD=asan all tests

bench: all $(O)/bench/validate $(O)/bench/backtest
	@sh bench/run.sh

# Backtests on a warm pool: the lockstep per bar, sweeps (figures, beside
# their floors: bench/bt_floor.py).
$(O)/bench/backtest: bench/backtest.c bench/benchstat.h $(O)/libstratbox.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_ALL) -Ibench $(LDFLAGS_ALL) -o $@ $< $(O)/libstratbox.a $(LIBS)

bench-backtest: all $(O)/bench/backtest
	@sh bench/backtest.sh

# The static validator's throughput on large inputs (figures, not pass/fail).
$(O)/bench/validate: bench/validate.c bench/benchstat.h $(O)/libstratbox.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_ALL) -Ibench $(LDFLAGS_ALL) -o $@ $< $(O)/libstratbox.a $(LIBS)

bench-validate: $(O)/bench/validate
	@$(O)/bench/validate

clean:
	rm -rf $(BUILDROOT)

.PHONY: all tests deps deps-test demo check asan bench bench-validate bench-backtest clean fuzz FORCE
FORCE:

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(SERVER_OBJ:.o=.d) $(SERVE_CLI_OBJ:.o=.d) \
	 $(SERVE_EXEC_OBJ:.o=.d)
