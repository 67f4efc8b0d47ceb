# tapefs build.  Non-recursive: every module's sources are picked up by
# wildcard so that adding a file never needs a Makefile edit.
#
#   make            build $(BUILD)/tapefs
#   make check      build with -Werror and run every test (tests/run)
#   (a plain `make` warns but does not fail on warnings: a newer compiler
#   than ours must not stop a user's build; `make check` and CI do fail)
#   make check T=vtape   only tests whose name contains "vtape"
#   make check-pg   the unit tests (T= as above, default test_) with every
#                   catalog they open on a throw-away PostgreSQL cluster
#                   (tests/pg_cluster.sh; docs/catalog.md)
#   make asan       the same tests under AddressSanitizer + UBSan
#   make bench      benchmarks (scripts/bench*)
#   make fuzz       every libFuzzer target, FUZZ_SECONDS each (clang;
#                   docs/fuzzing.md); make fuzz-build only builds them,
#                   make fuzz-seeds writes their seed corpora again
#   make demo       scripts/demo: virtual library, mount, dump, verify, recall
#   make install    PREFIX=/usr/local DESTDIR= (docs/install.md)
#   make uninstall  removes what make install put, with the same variables
#   make deb        a Debian package in $(BUILD)/deb (scripts/build-deb)
#   make format     clang-format every C file

PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR    ?= $(PREFIX)/lib/systemd/system
COMPDIR    ?= $(PREFIX)/share/bash-completion/completions
BUILD   ?= build
CC      ?= cc
OPT     ?= -O2 -g
WERROR  ?= 0
# make check and make asan always build with -Werror
ifneq ($(filter check check-pg asan,$(MAKECMDGOALS)),)
WERROR := 1
endif
SAN     ?=

PKGS_CORE = sqlite3 libpq libarchive libcrypto jansson uuid libxxhash
PKGS_FS   = fuse3 inih libsystemd

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
ifeq ($(WERROR),1)
WARN += -Werror
endif

PKG_CFLAGS_CORE := $(shell pkg-config --cflags $(PKGS_CORE) 2>/dev/null)
PKG_LIBS_CORE   := $(shell pkg-config --libs $(PKGS_CORE) 2>/dev/null)
PKG_CFLAGS_FS   := $(shell pkg-config --cflags $(PKGS_FS) 2>/dev/null)
PKG_LIBS_FS     := $(shell pkg-config --libs $(PKGS_FS) 2>/dev/null)

CPPFLAGS += -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -I.
CFLAGS   += -std=gnu11 $(OPT) $(WARN) -fPIC -pthread $(SAN)
LDFLAGS  += -pthread $(SAN)

TAPEIO_SRC  := $(sort $(wildcard tapeio/*.c))
CATALOG_SRC := $(sort $(wildcard catalog/*.c))
# fs/ is three rooms (docs/architecture.md): the FUSE edge and the
# commands in fs/, the namespace in fs/ns/, the engines in fs/engine/.
# The namespace and the engines build into libengine.a without FUSE flags.
FS_SRC      := $(sort $(wildcard fs/*.c))
ENGINE_SRC  := $(sort $(wildcard fs/engine/*.c fs/ns/*.c))
TEST_SRC    := $(sort $(wildcard tests/test_*.c))
TESTLIB_SRC := $(sort $(wildcard tests/lib_*.c))
SHIM_SRC    := $(sort $(wildcard tests/shim/*.c))
TOOL_SRC    := $(sort $(wildcard tests/tool/*.c))
FUZZ_SRC    := $(sort $(wildcard tests/fuzz/fuzz_*.c))

TAPEIO_OBJ  := $(TAPEIO_SRC:%.c=$(BUILD)/%.o)
CATALOG_OBJ := $(CATALOG_SRC:%.c=$(BUILD)/%.o)
FS_OBJ      := $(FS_SRC:%.c=$(BUILD)/%.o)
ENGINE_OBJ  := $(ENGINE_SRC:%.c=$(BUILD)/%.o)
TESTLIB_OBJ := $(TESTLIB_SRC:%.c=$(BUILD)/%.o)
TEST_BIN    := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
SHIM_SO     := $(SHIM_SRC:tests/shim/%.c=$(BUILD)/tests/lib%.so)
TOOL_BIN    := $(TOOL_SRC:tests/tool/%.c=$(BUILD)/tests/tool/%)
FUZZ_NAMES  := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_TEST   := $(FUZZ_NAMES:%=$(BUILD)/tests/test_fuzz_%)
FUZZ_COMMON := $(BUILD)/tests/fuzz/common.o

LIBTAPEIO  := $(BUILD)/libtapeio.a
LIBCATALOG := $(BUILD)/libcatalog.a
LIBENGINE  := $(BUILD)/libengine.a
LIBS_ALL   := $(LIBENGINE) $(LIBCATALOG) $(LIBTAPEIO)

# Objects are rebuilt when the flags change (WERROR, SAN, OPT), so that
# `make check` after a plain `make` really builds with -Werror.
# `make install`, `uninstall` or `deb` alone keep the stamp: they install
# what the last build made (`sudo make install` after `make check` must not
# rebuild everything without -Werror); a tree never built is built.
FLAGS_STAMP := $(BUILD)/.flags
FLAGS_NOW   := $(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(OPT) $(SAN)
KEEP_STAMP  := $(if $(MAKECMDGOALS),$(if $(filter-out install uninstall deb,$(MAKECMDGOALS)),,1))
$(shell mkdir -p $(BUILD); [ -n "$(KEEP_STAMP)" ] && [ -e $(FLAGS_STAMP) ] || [ "$$(cat $(FLAGS_STAMP) 2>/dev/null)" = '$(FLAGS_NOW)' ] || echo '$(FLAGS_NOW)' > $(FLAGS_STAMP))

.PHONY: all check check-pg asan bench demo install uninstall deb format clean tests \
	fuzz fuzz-build fuzz-bins fuzz-seeds
all: $(BUILD)/tapefs

$(BUILD)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS_CORE) -MMD -MP -c $< -o $@

# Only the files of fs/ itself see the FUSE and ini headers; fs/ns/ and
# fs/engine/ are built without them (make takes the rule of the shortest
# stem, so these two win over fs/%).
$(BUILD)/fs/engine/%.o: fs/engine/%.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS_CORE) -MMD -MP -c $< -o $@

$(BUILD)/fs/ns/%.o: fs/ns/%.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS_CORE) -MMD -MP -c $< -o $@

$(BUILD)/fs/%.o: fs/%.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS_CORE) $(PKG_CFLAGS_FS) -MMD -MP -c $< -o $@

# tapefs's own version (`tapefs --version`): the VERSION file, compiled
# into fs/version.o alone.
TAPEFS_VERSION := $(shell cat VERSION)
$(BUILD)/fs/version.o: CPPFLAGS += -DTAPEFS_VERSION='"$(TAPEFS_VERSION)"'
$(BUILD)/fs/version.o: VERSION

$(LIBTAPEIO): $(TAPEIO_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBCATALOG): $(CATALOG_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBENGINE): $(ENGINE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/tapefs: $(FS_OBJ) $(LIBS_ALL)
	$(CC) $(LDFLAGS) -o $@ $(FS_OBJ) $(LIBS_ALL) $(PKG_LIBS_FS) $(PKG_LIBS_CORE) -lm

# Unit tests link the FUSE-free libraries (engines, catalog, tapeio): never
# the FUSE edge. The objects of tests/lib_*.c are kept (made only through
# the pattern rule below, make would delete them as intermediate).
.SECONDARY: $(TESTLIB_OBJ)
$(BUILD)/tests/%: tests/%.c $(TESTLIB_OBJ) $(LIBS_ALL) tests/check.h $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS_CORE) -MMD -MP -o $@ $< $(TESTLIB_OBJ) $(LIBS_ALL) $(LDFLAGS) $(PKG_LIBS_CORE) -lm

# The mount's node table (fs/ops_node.c) is FUSE-free: its unit test links
# it and the check counters, nothing else of the edge.
$(BUILD)/tests/test_ops_node: tests/test_ops_node.c $(BUILD)/fs/ops_node.o $(BUILD)/tests/lib_check.o tests/check.h $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -o $@ $< $(BUILD)/fs/ops_node.o $(BUILD)/tests/lib_check.o $(LDFLAGS)

# LD_PRELOAD shims that make a vtape image or a vlib look like /dev/nst* and
# /dev/sg* to unmodified programs (mt, tar, mtx) and to the st backend.
# They are never built with sanitizers: they are preloaded into programs
# that are not.
$(BUILD)/tests/lib%.so: tests/shim/%.c $(TAPEIO_SRC)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -std=gnu11 -O2 -g $(WARN) -fPIC -pthread $(PKG_CFLAGS_CORE) -shared -o $@ $< $(TAPEIO_SRC) $(PKG_LIBS_CORE) -ldl -lm

# Small programs the mount tests run (tests/tool/): measuring, not tests.
$(BUILD)/tests/tool/%: tests/tool/%.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LDFLAGS)

# Fuzz targets (tests/fuzz/fuzz_NAME.c, docs/fuzzing.md). In this build
# each becomes the unit test test_fuzz_NAME: tests/fuzz/replay.c as its
# main replays the target's seeds and regression inputs, without clang.
# The config target links the config parser of fs/ (FUSE-free) and inih.
INIH_LIBS := $(shell pkg-config --libs inih 2>/dev/null)
CONFIG_OBJ = $(BUILD)/fs/config.o $(BUILD)/fs/pseudofs.o
# The control target runs the engines over a library made by the fixtures.
FUZZ_EXTRA = $(if $(filter config,$*),$(CONFIG_OBJ) $(INIH_LIBS)) \
	$(if $(filter ctl,$*),$(TESTLIB_OBJ))
.SECONDARY: $(FUZZ_COMMON) $(BUILD)/tests/fuzz/replay.o
$(BUILD)/tests/fuzz/replay.o: CPPFLAGS += -DFUZZ_TOP='"$(CURDIR)"'
$(BUILD)/tests/test_fuzz_%: tests/fuzz/fuzz_%.c $(BUILD)/tests/fuzz/replay.o \
		$(FUZZ_COMMON) $(CONFIG_OBJ) $(TESTLIB_OBJ) $(LIBS_ALL) \
		$(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS_CORE) -MMD -MP -o $@ $< $(BUILD)/tests/fuzz/replay.o $(FUZZ_COMMON) $(FUZZ_EXTRA) $(LIBS_ALL) $(LDFLAGS) $(PKG_LIBS_CORE) -lm

tests: $(BUILD)/tapefs $(TEST_BIN) $(SHIM_SO) $(TOOL_BIN) $(FUZZ_TEST)

# make check builds on every core unless a -j was given (the build is a
# third of a clean clone's check when serial).
CHECK_JOBS = $(if $(filter -j%,$(MAKEFLAGS)),,-j$(shell nproc))
check:
	$(MAKE) $(CHECK_JOBS) tests
	BUILD=$(BUILD) tests/run $(T)

check-pg: tests
	BUILD=$(BUILD) tests/pg_cluster.sh run tests/run $(or $(T),test_)

asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
		SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" check

bench: all
	BUILD=$(BUILD) scripts/bench $(B)

demo:
	scripts/demo

# libFuzzer: everything built again with clang, ASan and UBSan in
# $(FUZZ_BUILD); each target runs FUZZ_SECONDS (or FUZZ_RUNS inputs) from
# its seed corpus (tests/fuzz/run). Not part of make check.
FUZZ_BUILD   ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_RUNS    ?=
fuzz-build:
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) OPT="-O1 -g -fno-omit-frame-pointer" \
		SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
		fuzz-bins

fuzz-bins: $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_COMMON) $(CONFIG_OBJ) \
		$(TESTLIB_OBJ) $(LIBS_ALL) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS_CORE) -fsanitize=fuzzer -MMD -MP -o $@ $< $(FUZZ_COMMON) $(FUZZ_EXTRA) $(LIBS_ALL) $(LDFLAGS) $(PKG_LIBS_CORE) -lm

fuzz: fuzz-build
	FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) \
		FUZZ_RUNS=$(FUZZ_RUNS) tests/fuzz/run $(T)

# Write the seed corpora again (tests/fuzz/mkseeds.c; the mtx status
# seeds are the golden texts).
fuzz-seeds: $(BUILD)/tests/fuzz/mkseeds
	d=$$(mktemp -d) && (cd $$d && $(abspath $<) $(CURDIR)/tests/fuzz/corpus); \
		rc=$$?; rm -rf $$d; exit $$rc
	mkdir -p tests/fuzz/corpus/mtx_status
	for f in tests/golden/mtx/*.txt; do \
		cp $$f tests/fuzz/corpus/mtx_status/seed-$$(basename $$f .txt); done

# What make install lays out (docs/install.md). Operator scripts, man pages
# (section = the file's suffix) are picked up by wildcard.
SCRIPTS   := $(sort $(wildcard scripts/tapefs-*))
MAN_PAGES := $(sort $(wildcard man/*.[1-8]))
EXAMPLE   := $(DESTDIR)$(SYSCONFDIR)/tapefs/example.ini

install: $(BUILD)/tapefs
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(COMPDIR)
	install -m 0755 $(BUILD)/tapefs $(SCRIPTS) $(DESTDIR)$(BINDIR)/
	set -e; for m in $(MAN_PAGES); do \
		d=$(DESTDIR)$(MANDIR)/man$${m##*.}; \
		install -d $$d; install -m 0644 $$m $$d/; done
	sed 's|@BINDIR@|$(BINDIR)|g' dist/tapefs@.service.in \
		> $(DESTDIR)$(UNITDIR)/tapefs@.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/tapefs@.service
	install -m 0644 dist/tapefs.bash-completion $(DESTDIR)$(COMPDIR)/tapefs
	set -e; for s in $(notdir $(SCRIPTS)); do \
		ln -sfn tapefs $(DESTDIR)$(COMPDIR)/$$s; done
	install -d $(DESTDIR)$(SYSCONFDIR)/tapefs
	@if [ -e $(EXAMPLE) ]; then echo "kept $(EXAMPLE)"; \
	else echo "install -m 0644 dist/example.ini $(EXAMPLE)"; \
		install -m 0644 dist/example.ini $(EXAMPLE); fi

# An example.ini that was edited is no longer what install put: it stays.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/tapefs \
		$(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(SCRIPTS)))
	set -e; for m in $(notdir $(MAN_PAGES)); do \
		rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$$m; done
	rm -f $(DESTDIR)$(UNITDIR)/tapefs@.service $(DESTDIR)$(COMPDIR)/tapefs \
		$(addprefix $(DESTDIR)$(COMPDIR)/,$(notdir $(SCRIPTS)))
	@if cmp -s dist/example.ini $(EXAMPLE); then \
		echo "rm -f $(EXAMPLE)"; rm -f $(EXAMPLE); \
	elif [ -e $(EXAMPLE) ]; then echo "kept $(EXAMPLE): changed"; fi
	rmdir $(DESTDIR)$(SYSCONFDIR)/tapefs 2>/dev/null || true

# The package is built from a copy of the tree (dpkg-buildpackage cleans
# the tree it builds in), without running the tests (debian/rules).
deb:
	scripts/build-deb $(BUILD)/deb

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan $(FUZZ_BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
