# conctrace build: everything goes to $(BUILD); `make V=1` shows full commands.
BUILD    ?= build
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
ARCH     := x86
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wno-unused-parameter
CPPFLAGS += -Iinclude -Iuser -I$(BUILD) -DCONCTRACE_VERSION='"$(VERSION)"' -D_GNU_SOURCE
LDLIBS   := -lbpf -lelf -lz -lyaml -ljansson -lprotobuf-c -lm -lpthread
# float-cast-overflow: gcc leaves it out of "undefined"; a corrupt run's figures reach it
ifeq ($(SAN),1)
CFLAGS   += -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=address,undefined,float-cast-overflow
endif

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all clean test unit integration bench deps install uninstall san fuzz fuzz-targets vmtest vmlinux-update

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
USER_SRCS := $(wildcard user/*.c)
LIB_SRCS  := $(filter-out user/main.c,$(USER_SRCS))
PROTOS    := $(wildcard proto/*.proto)
PROTO_GEN := $(patsubst proto/%.proto,$(BUILD)/proto/%.pb-c.c,$(PROTOS))
LIB_OBJS  := $(patsubst user/%.c,$(BUILD)/user/%.o,$(LIB_SRCS)) $(PROTO_GEN:.c=.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
# fuzz targets (tools/fuzz/fuzz_NAME.c): libFuzzer binaries for `make fuzz`, and replay
# drivers built like the tests for the regression test of their corpora
FUZZ_TARGETS := $(patsubst tools/fuzz/fuzz_%.c,%,$(filter-out tools/fuzz/fuzz_common.c,$(wildcard tools/fuzz/fuzz_*.c)))
FUZZ_BINS    := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_TARGETS))
REPLAY_BINS  := $(patsubst %,$(BUILD)/tests/fuzz/replay_%,$(FUZZ_TARGETS))
FUZZ_DEFS    := -Itools/fuzz -DCT_FUZZ_FIXTURE='"$(abspath tests/fixtures/export)"'
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPER_BINS := $(patsubst tests/helpers/%.c,$(BUILD)/tests/helpers/%,$(HELPER_SRCS))
CWL_SRCS  := $(wildcard workloads/c/*.c)
CWL_BINS  := $(patsubst workloads/c/%.c,$(BUILD)/workloads/%,$(CWL_SRCS))

all: $(BUILD)/conctrace $(CWL_BINS) $(HELPER_BINS)
ifeq ($(BUILD),build)
all: conctrace
endif

# ./conctrace always points at the default build, never at build-san/
conctrace: $(BUILD)/conctrace
	$(Q)ln -sf build/conctrace conctrace

# The BPF objects are built against the committed bpf/vmlinux/vmlinux.h, not the build
# machine's kernel: CO-RE relocates them at load time on every kernel of docs/kernels.md
# (one build runs on all of them). `make vmlinux-update` regenerates it from the running
# kernel's BTF; kernel differences go to bpf/core_fixes.bpf.h, never into this file.
VMLINUX_H := bpf/vmlinux/vmlinux.h

vmlinux-update:
	$(call msg,GEN,$(VMLINUX_H))
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX_H).tmp
	$(Q)mv $(VMLINUX_H).tmp $(VMLINUX_H)

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(VMLINUX_H)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Iinclude -Ibpf \
		-I$(dir $(VMLINUX_H)) -Wall -Wno-unused-function -MMD -MP -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# protobuf-c code for the pprof profile format
$(BUILD)/proto/%.pb-c.c $(BUILD)/proto/%.pb-c.h: proto/%.proto
	$(call msg,PROTOC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)protoc-c --c_out=$(BUILD)/proto --proto_path=proto $<

$(BUILD)/proto/%.pb-c.o: $(BUILD)/proto/%.pb-c.c
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/user/%.o: user/%.c | $(SKELS) $(PROTO_GEN)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -std=gnu11 -MMD -MP -c $< -o $@

$(BUILD)/libconctrace.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/conctrace: $(BUILD)/user/main.o $(BUILD)/libconctrace.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libconctrace.a
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -Wno-missing-prototypes -std=gnu11 -MMD -MP $< \
		$(BUILD)/libconctrace.a $(LDFLAGS) $(LDLIBS) -lcmocka -o $@

# Programs traced by the integration tests, and the C baselines: frame pointers on.
$(BUILD)/tests/helpers/%: tests/helpers/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O1 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -Wall -Wextra -std=gnu11 -D_GNU_SOURCE $< -lpthread -o $@

# pyoffsets calls into the library (CPython offset and line-table checks)
$(BUILD)/tests/helpers/pyoffsets: tests/helpers/pyoffsets.c $(BUILD)/libconctrace.a
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -Wno-missing-prototypes -std=gnu11 $< \
		$(BUILD)/libconctrace.a $(LDFLAGS) $(LDLIBS) -o $@

$(BUILD)/workloads/%: workloads/c/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -Wall -Wextra -std=gnu11 -D_GNU_SOURCE $< -lpthread -lm -o $@

$(BUILD)/tests/fuzz/replay_%: tools/fuzz/fuzz_%.c tools/fuzz/fuzz_common.c tools/fuzz/replay.c \
			      tools/fuzz/fuzz.h $(BUILD)/libconctrace.a
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(FUZZ_DEFS) $(CFLAGS) $(WARN) -std=gnu11 $(filter %.c,$^) \
		$(BUILD)/libconctrace.a $(LDFLAGS) $(LDLIBS) -o $@

$(BUILD)/fuzz/fuzz_%: tools/fuzz/fuzz_%.c tools/fuzz/fuzz_common.c tools/fuzz/fuzz.h \
		      $(BUILD)/libconctrace.a
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(FUZZ_DEFS) $(CFLAGS) $(WARN) -std=gnu11 -fsanitize=fuzzer \
		$(filter %.c,$^) $(BUILD)/libconctrace.a $(LDLIBS) -o $@

fuzz-targets: $(FUZZ_BINS)

# libFuzzer with ASan and UBSan (every finding stops the run), the library built by clang
# into $(FUZZ_BUILD); each target runs FUZZ_SECONDS on its corpus, seeded from the tests'
# fixtures and tools/fuzz/regress/NAME/ (tools/fuzz/run, docs/fuzzing.md).
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
		-fno-sanitize-recover=undefined -fsanitize=fuzzer-no-link
fuzz:
	$(Q)$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(CLANG) CFLAGS="$(FUZZ_CFLAGS)" \
		LDFLAGS="-fsanitize=address,undefined" fuzz-targets
	$(Q)tools/fuzz/run $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

test: all $(UNIT_BINS) $(REPLAY_BINS)
	$(Q)tools/run-tests $(BUILD)

unit: all $(UNIT_BINS)
	$(Q)tools/run-tests --unit-only $(BUILD)

san:
	$(MAKE) BUILD=build-san SAN=1 all

bench: all
	$(Q)CONCTRACE_BUILD=$(abspath $(BUILD)) tools/bench/run $(BENCH_ARGS)

deps:
	$(Q)tools/install-deps

# The kernel matrix (tools/vmtest): `make vmtest KERNEL=6.1` boots one kernel in qemu and
# runs the accounting tests there with this build; without KERNEL, 6.1 and 6.12.
vmtest: all
	$(Q)tools/vmtest -b $(BUILD) $(foreach k,$(KERNEL),-k $(k)) $(if $(VMTESTS),-t $(VMTESTS))

# FHS layout under PREFIX; DESTDIR stages it (the Debian package does). paths.c finds the
# harness, the specs and the C baseline relative to bin/conctrace.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/conctrace
DATADIR    ?= $(PREFIX)/share/conctrace
DOCDIR     ?= $(PREFIX)/share/doc/conctrace
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
MAN1       := $(wildcard man/*.1)
MAN5       := $(wildcard man/*.5)
SPECS      := $(wildcard workloads/*.yaml)
DOCS       := README.md $(wildcard docs/*.md)
INSTALL_DOCS ?= 1

install: all
	install -D -m 0755 $(BUILD)/conctrace $(DESTDIR)$(BINDIR)/conctrace
	install -D -m 0755 $(CWL_BINS) -t $(DESTDIR)$(LIBEXECDIR)
	install -D -m 0644 workloads/python/harness.py workloads/python/calls.py -t $(DESTDIR)$(DATADIR)/workloads/python
	install -D -m 0644 $(SPECS) -t $(DESTDIR)$(DATADIR)/workloads
	install -D -m 0644 $(CWL_SRCS) -t $(DESTDIR)$(DATADIR)/workloads/c
	install -D -m 0644 $(MAN1) -t $(DESTDIR)$(MANDIR)/man1
	install -D -m 0644 $(MAN5) -t $(DESTDIR)$(MANDIR)/man5
	install -D -m 0644 completion/conctrace.bash $(DESTDIR)$(BASHCOMPDIR)/conctrace
	install -D -m 0644 completion/_conctrace $(DESTDIR)$(ZSHCOMPDIR)/_conctrace
ifeq ($(INSTALL_DOCS),1)
	install -D -m 0644 $(DOCS) -t $(DESTDIR)$(DOCDIR)
endif

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/conctrace
	rm -f $(patsubst workloads/c/%.c,$(DESTDIR)$(LIBEXECDIR)/%,$(CWL_SRCS))
	rm -f $(DESTDIR)$(DATADIR)/workloads/python/harness.py $(DESTDIR)$(DATADIR)/workloads/python/calls.py
	rm -f $(patsubst workloads/%,$(DESTDIR)$(DATADIR)/workloads/%,$(SPECS) $(CWL_SRCS))
	rm -f $(patsubst man/%,$(DESTDIR)$(MANDIR)/man1/%,$(MAN1))
	rm -f $(patsubst man/%,$(DESTDIR)$(MANDIR)/man5/%,$(MAN5))
	rm -f $(DESTDIR)$(BASHCOMPDIR)/conctrace $(DESTDIR)$(ZSHCOMPDIR)/_conctrace
	rm -f $(patsubst %,$(DESTDIR)$(DOCDIR)/%,$(notdir $(DOCS)))
	-rmdir $(DESTDIR)$(DATADIR)/workloads/python $(DESTDIR)$(DATADIR)/workloads/c \
		$(DESTDIR)$(DATADIR)/workloads $(DESTDIR)$(DATADIR) $(DESTDIR)$(LIBEXECDIR) \
		$(DESTDIR)$(DOCDIR) 2>/dev/null

clean:
	rm -rf build build-san build-fuzz conctrace

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
