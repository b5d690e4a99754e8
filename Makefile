# SPDX-License-Identifier: GPL-2.0
# keyferry: top-level build.  `make` builds the module and the userspace
# programs; `make check` runs every test (host unit tests, then the VM tests
# on every kernel of the matrix); `make demo` runs the main job.
#
# Sources are found by wildcard: a new file in userspace/lib/,
# userspace/keyferry/, any tools/<component>/, userspace/tests/test_*.c,
# tools/tests/test_*.c or selftests/test_*.c is built without touching this
# file, and so is a new tools/<name>/main.c (the tool keyferry-<name>).  Generated files live in build/ (and the
# module's objects next to their sources, as Kbuild wants).

VERSION := 0.1.0
BUILD := build

# The kernel matrix (selftests/qemu/kernels lists its releases); KDIR defaults
# to the running kernel's headers when they exist, else the matrix's first.
MATRIX = $(shell selftests/qemu/kernels --releases)
kdir_of = $(shell selftests/qemu/kernels | awk '$$1 == "$(1)" { print $$3 }')
KDIR ?= $(if $(wildcard /lib/modules/$(shell uname -r)/build),/lib/modules/$(shell uname -r)/build,/lib/modules/$(firstword $(MATRIX))/build)

# Warnings are errors everywhere (the issue says so for CI; we want it always).
WERROR ?= 1
KEYFERRY_DEBUG ?= 0

CC ?= cc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter -Wformat=2 -Wvla
ifeq ($(WERROR),1)
WARN += -Werror
endif
PKGS := openssl libnl-genl-3.0 sqlite3 libpq libmicrohttpd libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lkeyutils -lpthread
USER_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -fstack-protector-strong \
	-D_FORTIFY_SOURCE=2 -fPIE -I. -Iuserspace/lib -Iuapi \
	-I$(BUILD)/kselftest -DKEYFERRY_VERSION='"$(VERSION)"' $(PKG_CFLAGS)
USER_LDFLAGS := -pie -Wl,-z,relro,-z,now

# ---- kernel source bits we use but never commit --------------------------
KSRC_TAR := /usr/src/linux-source-6.1.tar.xz
KSRC_DIR := linux-source-6.1
KSELFTEST := $(BUILD)/kselftest/kselftest_harness.h
CHECKPATCH := $(BUILD)/ksrc/scripts/checkpatch.pl

$(KSELFTEST) $(CHECKPATCH):
	@test -f $(KSRC_TAR) || { echo "$(KSRC_TAR) missing: run tools/install-deps" >&2; exit 1; }
	@mkdir -p $(BUILD)/ksrc $(BUILD)/kselftest
	tar -C $(BUILD)/ksrc --strip-components=1 -xJf $(KSRC_TAR) \
		$(KSRC_DIR)/tools/testing/selftests/kselftest_harness.h \
		$(KSRC_DIR)/tools/testing/selftests/kselftest.h \
		$(KSRC_DIR)/scripts/checkpatch.pl $(KSRC_DIR)/scripts/spelling.txt \
		$(KSRC_DIR)/scripts/const_structs.checkpatch
	cp $(BUILD)/ksrc/tools/testing/selftests/kselftest_harness.h \
		$(BUILD)/ksrc/tools/testing/selftests/kselftest.h $(BUILD)/kselftest/
	@touch $(KSELFTEST) $(CHECKPATCH)

# ---- the module ------------------------------------------------------------
# Copy the module's sources (never objects built with other flags) to $(1).
# vectors/ holds the known-answer values the debug build's kmod/selftest.c
# checks (shared with the userspace unit tests).
copy_module_sources = rm -rf $(1)/kmod $(1)/uapi $(1)/vectors && \
	mkdir -p $(1)/kmod $(1)/uapi/linux $(1)/vectors && \
	cp Kbuild $(1)/ && cp kmod/*.c kmod/*.h $(1)/kmod/ && \
	cp uapi/linux/*.h $(1)/uapi/linux/ && cp vectors/*.h $(1)/vectors/

.PHONY: all module userspace tools check check-host check-vm style sparse \
	install dkms clean demo bench deps fuzz fuzz-user fuzz-kernel fuzz-build \
	fuzz-seeds FORCE

all: module userspace

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) KEYFERRY_DEBUG=$(KEYFERRY_DEBUG) \
		KEYFERRY_WERROR=$(WERROR) modules

# Build the module for one matrix kernel into build/kmod/<release>/.
# Kbuild builds in the source tree, so each release gets its own copy of it.
$(BUILD)/kmod/%/keyferry.ko: FORCE
	@mkdir -p $(@D)
	@$(call copy_module_sources,$(@D))
	$(MAKE) -s -C $(call kdir_of,$*) M=$(CURDIR)/$(@D) KEYFERRY_DEBUG=1 \
		KEYFERRY_WERROR=$(WERROR) modules
FORCE:

# ---- userspace -------------------------------------------------------------
LIB_SRCS := $(wildcard userspace/lib/*.c)
LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
LIB := $(BUILD)/libkeyferry.a

HELPER_SRCS := $(wildcard userspace/keyferry/*.c)

# The distributor: a tool is a tools/<name>/ holding main.c (only main(),
# calling its component's entry function), built as keyferry-<name>.  Every
# other tools/*/*.c, whatever its component, goes into one archive that the
# tools and the host tests link: the linker takes from it what each needs.
TOOL_DIRS := $(patsubst %/main.c,%,$(wildcard tools/*/main.c))
TOOLS := $(foreach d,$(sort $(TOOL_DIRS)),$(BUILD)/bin/keyferry-$(notdir $(d)))
TOOLS_LIB_SRCS := $(filter-out tools/tests/% %/main.c,$(wildcard tools/*/*.c))
TOOLS_LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(TOOLS_LIB_SRCS))
TOOLS_LIB := $(BUILD)/libkftools.a
PROGRAMS := $(BUILD)/bin/keyferry $(TOOLS)

HOST_TEST_SRCS := $(wildcard userspace/tests/test_*.c tools/tests/test_*.c)
HOST_TESTS := $(patsubst %.c,$(BUILD)/tests/host/%,$(notdir $(HOST_TEST_SRCS)))
VM_TEST_SRCS := $(wildcard selftests/test_*.c selftests/boot_*.c)
VM_TESTS := $(patsubst selftests/%.c,$(BUILD)/tests/vm/%,$(VM_TEST_SRCS))
SELFTEST_LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard selftests/lib/*.c))

userspace: $(PROGRAMS)
tools: $(TOOLS)

# The kselftest harness defines functions without prototypes.
$(BUILD)/obj/selftests/%.o $(BUILD)/obj/userspace/tests/%.o $(BUILD)/obj/tools/tests/%.o: \
	TEST_CFLAGS := -Wno-missing-prototypes -Wno-sign-compare

$(BUILD)/obj/%.o: %.c $(KSELFTEST) $(wildcard userspace/lib/*.h userspace/keyferry/*.h uapi/linux/*.h tools/*/*.h selftests/lib/*.h vectors/*.h)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(TEST_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

# Made anew, so that a file moved or removed leaves no stale member; 'q'
# keeps both of two members with one name (tools/store/item.o and
# tools/admin/item.o).
$(TOOLS_LIB): $(TOOLS_LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) qcs $@ $^

HELPER_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(HELPER_SRCS))
# The helper's own objects, less main.o, are a library for its tests.
HELPER_LIB_OBJS := $(filter-out %/main.o,$(HELPER_OBJS))

$(BUILD)/bin/keyferry: $(HELPER_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(USER_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Keep objects make considers intermediate: they are reused across targets.
.SECONDARY:

$(BUILD)/bin/keyferry-%: $(BUILD)/obj/tools/%/main.o $(TOOLS_LIB) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(USER_LDFLAGS) -o $@ $^ $(PKG_LIBS)

.SECONDEXPANSION:

# A host test's object: the one source among HOST_TEST_SRCS named <test>.c.
host_test_obj = $(firstword $(foreach s,$(HOST_TEST_SRCS),$(if $(filter $(1).c,$(notdir $(s))),$(BUILD)/obj/$(s:.c=.o))))
$(BUILD)/tests/host/%: $$(call host_test_obj,$$*) $(TOOLS_LIB) $(HELPER_LIB_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(USER_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/vm/%: $(BUILD)/obj/selftests/%.o $(SELFTEST_LIB_OBJS) $(HELPER_LIB_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(USER_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# ---- tests -----------------------------------------------------------------
# check: everything, one closing line "N passed, N failed[, N skipped]".
check: userspace $(HOST_TESTS) $(VM_TESTS) fuzz-build
	@selftests/run-all --host "$(HOST_TESTS)" --vm "$(VM_TESTS)" --programs "$(PROGRAMS)" \
		--fuzz "$(FUZZ_BINS)"

check-host: $(HOST_TESTS) userspace fuzz-build
	@selftests/run-all --host "$(HOST_TESTS)" --programs "$(PROGRAMS)" --no-vm \
		--fuzz "$(FUZZ_BINS)"

check-vm: userspace $(VM_TESTS)
	@selftests/run-all --vm "$(VM_TESTS)" --programs "$(PROGRAMS)" --no-host

# ---- fuzzing (docs/development.md) -------------------------------------------
# One libFuzzer harness per userspace decoder, fuzz/fuzz_<target>.c, each
# built with clang, ASan and UBSan against instrumented copies of the
# libraries; fuzz/corpus/<target>/ holds its seeds (fuzz/mkseeds.c writes
# them: make fuzz-seeds) and the regression inputs of what it found.
# `make fuzz-user` runs every target FUZZ_SECONDS (FUZZ_TARGETS: a subset) and
# fails on any crash, leak, timeout or sanitizer report; `make check` runs
# a short pass of each.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SRCS := $(wildcard fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
# Like USER_CFLAGS, less what fights the sanitizers (FORTIFY, -O2).
FUZZ_CFLAGS := -g -O1 -fno-omit-frame-pointer $(WARN) -std=gnu11 -D_GNU_SOURCE \
	-fPIE -I. -Iuserspace/lib -Iuapi -I$(BUILD)/kselftest \
	-DKEYFERRY_VERSION='"$(VERSION)"' $(PKG_CFLAGS) $(FUZZ_SAN)
FUZZ_LIB := $(BUILD)/fuzz/libkeyferry.a
FUZZ_TOOLS_LIB := $(BUILD)/fuzz/libkftools.a
FUZZ_HELPER_OBJS := $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(filter-out %/main.c,$(HELPER_SRCS)))

$(BUILD)/fuzz/obj/%.o: %.c $(KSELFTEST) $(wildcard userspace/lib/*.h userspace/keyferry/*.h uapi/linux/*.h tools/*/*.h fuzz/*.h)
	@mkdir -p $(@D)
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_LIB): $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(LIB_SRCS))
	@rm -f $@ && $(AR) qcs $@ $^
$(FUZZ_TOOLS_LIB): $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(TOOLS_LIB_SRCS))
	@rm -f $@ && $(AR) qcs $@ $^

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/obj/fuzz/fuzz_%.o $(FUZZ_TOOLS_LIB) $(FUZZ_HELPER_OBJS) $(FUZZ_LIB)
	@echo "  FUZZLD  $@"
	@$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz-user: fuzz-build
	@fuzz/run --seconds $(FUZZ_SECONDS) $(if $(FUZZ_TARGETS),$(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS)),$(FUZZ_BINS))

# The seed corpora, made by the library's encoders with fuzz/fuzz.h's keys.
$(BUILD)/fuzz/mkseeds: $(BUILD)/obj/fuzz/mkseeds.o $(TOOLS_LIB) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(USER_LDFLAGS) -o $@ $^ $(PKG_LIBS)
fuzz-seeds: $(BUILD)/fuzz/mkseeds
	$(BUILD)/fuzz/mkseeds fuzz/corpus

# The kernel half: the netlink fuzzer and the fault-injection sweep
# (selftests/test_fuzz.c, test_faults.c) in the debug kernel's VM (in every
# matrix kernel's when there is no debug kernel), long: kf.fuzz=long, at
# least 100,000 messages and every allocation of every command's path.
# make check runs a short pass of both.  KEYFERRY_FUZZ_SEED=N replays a
# seed, KEYFERRY_FUZZ_MESSAGES=N sets the root pass's count.
FUZZ_VM_TESTS := $(BUILD)/tests/vm/test_fuzz $(BUILD)/tests/vm/test_faults
FUZZ_KERNELS = $(or $(KEYFERRY_KERNELS),$(if $(filter %-keyferry-debug,$(MATRIX)),keyferry-debug))
FUZZ_APPEND := kf.fuzz=long$(if $(KEYFERRY_FUZZ_SEED), kf.fuzz_seed=$(KEYFERRY_FUZZ_SEED))$(if $(KEYFERRY_FUZZ_MESSAGES), kf.fuzz_messages=$(KEYFERRY_FUZZ_MESSAGES))

fuzz-kernel: userspace $(FUZZ_VM_TESTS)
	@KEYFERRY_KERNELS="$(FUZZ_KERNELS)" KEYFERRY_VM_APPEND="$(FUZZ_APPEND)" \
		KEYFERRY_VM_TIMEOUT=$${KEYFERRY_VM_TIMEOUT:-14400} \
		selftests/run-all --vm "$(FUZZ_VM_TESTS)" --programs "$(PROGRAMS)" --no-host

# make fuzz: both halves, each run even when the other failed.
fuzz:
	@st=0; $(MAKE) --no-print-directory fuzz-user || st=1; \
	$(MAKE) --no-print-directory fuzz-kernel || st=1; exit $$st

# Build the module for every kernel of the matrix (used by check and style).
modules-matrix:
	@for r in $(MATRIX); do $(MAKE) -s $(BUILD)/kmod/$$r/keyferry.ko || exit 1; done

style: $(CHECKPATCH)
	@$(CHECKPATCH) --no-tree --strict --terse --show-types \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG,LINUX_VERSION_CODE \
		-f kmod/*.c kmod/*.h uapi/linux/keyferry.h

# sparse (make C=2: every file) with Debian's sparse, for each matrix kernel.
sparse: $(addprefix sparse-,$(MATRIX))
sparse-%: FORCE
	@rm -rf $(BUILD)/sparse/$* && mkdir -p $(BUILD)/sparse/$*
	@$(call copy_module_sources,$(BUILD)/sparse/$*)
	@$(MAKE) -s -C $(call kdir_of,$*) M=$(CURDIR)/$(BUILD)/sparse/$* C=2 \
		KEYFERRY_DEBUG=1 modules >$(BUILD)/sparse/$*.log 2>&1 || \
		{ cat $(BUILD)/sparse/$*.log >&2; exit 1; }; \
	if grep -E 'warning|error' $(BUILD)/sparse/$*.log; then \
		echo "sparse: warnings on $*" >&2; exit 1; fi

demo: all
	@selftests/qemu/demo

bench: userspace
	@if [ -x tools/bench/run ]; then tools/bench/run; else echo "no benchmark yet"; fi

deps:
	@tools/install-deps

# ---- install ---------------------------------------------------------------
PREFIX ?= /usr/local
DESTDIR ?=
install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/include/linux \
		$(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)/etc/systemd/system \
		$(DESTDIR)/etc/modules-load.d $(DESTDIR)/etc/keyferry
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(PREFIX)/sbin/
	install -m 0644 uapi/linux/keyferry.h $(DESTDIR)$(PREFIX)/include/linux/
	install -m 0644 userspace/man/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 userspace/systemd/*.service $(DESTDIR)/etc/systemd/system/
	install -m 0644 userspace/systemd/keyferry-modules-load.conf \
		$(DESTDIR)/etc/modules-load.d/keyferry.conf
	test -e $(DESTDIR)/etc/keyferry/keyferry.conf || \
		install -m 0644 userspace/keyferry.conf.example $(DESTDIR)/etc/keyferry/keyferry.conf
	# Boot-time unlock (docs/operations.md): initramfs-tools' hook and boot
	# scripts; they do nothing until /etc/keyferry/crypttab exists.
	for f in hooks/keyferry scripts/local-top/keyferry scripts/local-bottom/keyferry; do \
		install -D -m 0755 userspace/initramfs/$$f \
			$(DESTDIR)/usr/share/initramfs-tools/$$f || exit 1; \
	done
	test -e $(DESTDIR)/etc/initramfs-tools/conf.d/keyferry || \
		install -D -m 0644 userspace/initramfs/conf.d-keyferry.example \
			$(DESTDIR)/etc/initramfs-tools/conf.d/keyferry
	install -D -m 0644 userspace/initramfs/crypttab.example \
		$(DESTDIR)$(PREFIX)/share/doc/keyferry/crypttab.example
	depmod -a $(notdir $(patsubst %/build,%,$(KDIR))) 2>/dev/null || true

# Register the source tree with DKMS under /usr/src/keyferry-$(VERSION).
dkms:
	rm -rf /usr/src/keyferry-$(VERSION)
	install -d /usr/src/keyferry-$(VERSION)
	$(call copy_module_sources,/usr/src/keyferry-$(VERSION))
	cp dkms.conf /usr/src/keyferry-$(VERSION)/
	dkms add -m keyferry -v $(VERSION)
	@echo "now: dkms build -m keyferry -v $(VERSION) && dkms install -m keyferry -v $(VERSION)"

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	rm -rf $(BUILD)
