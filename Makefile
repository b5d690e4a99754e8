# SPDX-License-Identifier: GPL-2.0
# keyferry: top-level build.  `make` builds the module and the userspace
# programs; `make check` runs every test (host unit tests, then the VM tests
# on every kernel of the matrix); `make demo` runs the main job.
#
# Sources are found by wildcard: a new file in userspace/lib/, tools/<tool>/,
# userspace/tests/test_*.c, tools/tests/test_*.c or selftests/test_*.c is
# built without touching this file.  Generated files live in build/ (and the
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
PKGS := openssl libnl-genl-3.0 sqlite3 libmicrohttpd libcurl
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
copy_module_sources = rm -rf $(1)/kmod $(1)/uapi $(1)/selftests && \
	mkdir -p $(1)/kmod $(1)/uapi/linux $(1)/selftests/vectors && \
	cp Kbuild $(1)/ && cp kmod/*.c kmod/*.h $(1)/kmod/ && \
	cp uapi/linux/*.h $(1)/uapi/linux/ && \
	{ cp selftests/vectors/*.h $(1)/selftests/vectors/ 2>/dev/null || true; }

.PHONY: all module userspace tools check check-host check-vm style sparse \
	install dkms clean demo bench deps FORCE

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
TOOL_DIRS := $(filter-out tools/common tools/tests,$(patsubst %/,%,$(dir $(wildcard tools/*/*.c))))
TOOL_COMMON_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tools/common/*.c))
TOOLS := $(foreach d,$(sort $(TOOL_DIRS)),$(BUILD)/bin/keyferry-$(notdir $(d)))
PROGRAMS := $(BUILD)/bin/keyferry $(TOOLS)

HOST_TEST_SRCS := $(wildcard userspace/tests/test_*.c tools/tests/test_*.c)
HOST_TESTS := $(patsubst %.c,$(BUILD)/tests/host/%,$(notdir $(HOST_TEST_SRCS)))
VM_TEST_SRCS := $(wildcard selftests/test_*.c)
VM_TESTS := $(patsubst selftests/%.c,$(BUILD)/tests/vm/%,$(VM_TEST_SRCS))
SELFTEST_LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard selftests/lib/*.c))

userspace: $(PROGRAMS)
tools: $(TOOLS)

# The kselftest harness defines functions without prototypes.
$(BUILD)/obj/selftests/%.o $(BUILD)/obj/userspace/tests/%.o $(BUILD)/obj/tools/tests/%.o: \
	TEST_CFLAGS := -Wno-missing-prototypes -Wno-sign-compare

$(BUILD)/obj/%.o: %.c $(KSELFTEST) $(wildcard userspace/lib/*.h uapi/linux/*.h tools/common/*.h selftests/lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(TEST_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

HELPER_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(HELPER_SRCS))
# The helper's own objects, less main.o, are a library for its tests.
HELPER_LIB_OBJS := $(filter-out %/main.o,$(HELPER_OBJS))

$(BUILD)/bin/keyferry: $(HELPER_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(USER_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Keep objects make considers intermediate: they are reused across targets.
.SECONDARY:

.SECONDEXPANSION:
# A tool's own objects ('%' inside a pattern rule's prerequisites would be
# the stem, hence the function).
tool_objs = $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tools/$(1)/*.c))
$(BUILD)/bin/keyferry-%: $$(call tool_objs,$$*) $(TOOL_COMMON_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(USER_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# A host test's object: the one source among HOST_TEST_SRCS named <test>.c.
host_test_obj = $(firstword $(foreach s,$(HOST_TEST_SRCS),$(if $(filter $(1).c,$(notdir $(s))),$(BUILD)/obj/$(s:.c=.o))))
$(BUILD)/tests/host/%: $$(call host_test_obj,$$*) $(TOOL_COMMON_OBJS) $(HELPER_LIB_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(USER_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/vm/%: $(BUILD)/obj/selftests/%.o $(SELFTEST_LIB_OBJS) $(HELPER_LIB_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(USER_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# ---- tests -----------------------------------------------------------------
# check: everything, one closing line "N passed, N failed[, N skipped]".
check: userspace $(HOST_TESTS) $(VM_TESTS)
	@selftests/run-all --host "$(HOST_TESTS)" --vm "$(VM_TESTS)" --programs "$(PROGRAMS)"

check-host: $(HOST_TESTS) userspace
	@selftests/run-all --host "$(HOST_TESTS)" --programs "$(PROGRAMS)" --no-vm

check-vm: userspace $(VM_TESTS)
	@selftests/run-all --vm "$(VM_TESTS)" --programs "$(PROGRAMS)" --no-host

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
