# Builds sluice: the daemon, its two tools, the memif client library, tests and benchmarks.
# `make` builds into build/, `make asan` into build-asan/, `make fuzz` into build-fuzz/.

BUILD ?= build
CC ?= cc
OPT ?= -O2
SAN ?=
CPPFLAGS += -D_GNU_SOURCE
CFLAGS += -std=c11 -g $(OPT) $(SAN) -Wall -Wextra -Werror -MMD -MP -fno-strict-aliasing
LDFLAGS += $(SAN)
LDLIBS += -lpcap -lmnl -lpthread -lm

LIB_SRC := $(wildcard src/lib/*/*.c)
SWITCH_SRC := $(wildcard src/switch/*.c)
CTL_SRC := $(wildcard src/ctl/*.c)
DUMP_SRC := $(wildcard src/dump/*.c)
MEMIF_LIB_SRC := $(wildcard src/memif/lib/*.c)
PKTGEN_SRC := $(wildcard src/memif/pktgen/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
BENCH_SRC := $(wildcard bench/*/*_bench.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

# What each folder of src/ may include besides its own headers. A file is compiled with only
# its folder's directories on the include path, so a header from anywhere else is "file not
# found"; scripts/check-includes.sh rejects the one way around that, a path in the #include.
# The library never sees a program's headers, and sluicectl and sluicedump never the switch's.
lib = $(addprefix -Isrc/lib/,$(1))
LIB_DIRS := $(patsubst %/,%,$(wildcard src/lib/*/))
INC.src/lib/base :=
INC.src/lib/packet :=
INC.src/lib/bpf := $(call lib,packet)
INC.src/lib/flow := $(call lib,packet)
INC.src/lib/capture := $(call lib,bpf control base)
INC.src/lib/pcapfile :=
INC.src/lib/control := $(call lib,base)
INC.src/lib/memif :=
INC.src/lib/netconf :=
INC.src/lib/metrics := $(call lib,packet base)
INC.src/lib/vnic := $(call lib,control packet base)
INC.src/switch := $(addprefix -I,$(LIB_DIRS))
INC.src/ctl := $(call lib,control vnic base)
INC.src/dump := $(call lib,control capture metrics pcapfile packet base)
INC.src/memif/lib := -Isrc/memif $(call lib,memif)
INC.src/memif/pktgen := -Isrc/memif $(call lib,packet)
# Tests, fuzzers and benchmarks reach into everything.
INC_ALL := $(addprefix -I,$(LIB_DIRS)) -Isrc/switch -Isrc/memif -Isrc/dump
folder = $(patsubst %/,%,$(dir $(1)))
inc_for = $(if $(filter src/%,$(1)),$(if $(filter undefined,$(origin INC.$(call folder,$(1)))),$(error $(call folder,$(1)) has no include list in the Makefile),$(INC.$(call folder,$(1)))),$(INC_ALL))

LIB_A := $(BUILD)/libsluice.a
MEMIF_A := $(BUILD)/libsluice-memif.a
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
BENCH_BIN := $(patsubst %.c,$(BUILD)/%,$(BENCH_SRC))
PROGS := $(BUILD)/sluiced $(BUILD)/sluicectl
ifneq ($(wildcard src/dump/main.c),)
PROGS += $(BUILD)/sluicedump
endif
ifneq ($(PKTGEN_SRC),)
PROGS += $(BUILD)/sluice-pktgen
endif

.PHONY: all asan fuzz test demo clean format
all: $(BUILD)/includes-checked $(PROGS) $(UNIT_BIN) $(BENCH_BIN) $(if $(MEMIF_LIB_SRC),$(MEMIF_A) $(BUILD)/sluice-memif.pc)

asan:
	$(MAKE) BUILD=build-asan OPT=-O1 SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" all

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(call inc_for,$<) $(CFLAGS) -c $< -o $@

$(BUILD)/includes-checked: scripts/check-includes.sh $(shell find src -name '*.[ch]')
	@mkdir -p $(dir $@)
	bash scripts/check-includes.sh src
	@touch $@

$(LIB_A): $(call obj,$(LIB_SRC))
	@rm -f $@; ar rcs $@ $^

$(MEMIF_A): $(call obj,$(MEMIF_LIB_SRC))
	@rm -f $@; ar rcs $@ $^

$(BUILD)/sluice-memif.pc: src/memif/sluice-memif.pc.in
	sed -e 's|@PREFIX@|$(abspath $(BUILD))|' -e 's|@INCLUDE@|$(abspath src/memif)|' $< > $@

# The daemon links its objects directly (not through an archive) so that every
# file's registration of control methods and port kinds is kept by the linker.
$(BUILD)/sluiced: $(call obj,$(SWITCH_SRC)) $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/sluicectl: $(call obj,$(CTL_SRC)) $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/sluicedump: $(call obj,$(DUMP_SRC)) $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/sluice-pktgen: $(call obj,$(PKTGEN_SRC)) $(MEMIF_A) $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests may use everything in the library and the switch's files but its main.
SWITCH_NOMAIN_OBJ = $(call obj,$(filter-out src/switch/main.c,$(SWITCH_SRC)))
$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(SWITCH_NOMAIN_OBJ) $(LIB_A) $(if $(MEMIF_LIB_SRC),$(MEMIF_A))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# libFuzzer targets: clang, every trust-boundary decoder, ASan+UBSan. The library and switch
# objects are compiled once and archived; each target links what it uses.
FUZZ_BUILD := build-fuzz
FUZZ_CFLAGS := -std=c11 -g -O1 -D_GNU_SOURCE
FUZZ_DEPS_SRC := $(LIB_SRC) $(filter-out src/switch/main.c,$(SWITCH_SRC)) $(MEMIF_LIB_SRC)
FUZZ_DEPS_OBJ := $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(FUZZ_DEPS_SRC))
fuzz: $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(FUZZ_SRC))
$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $(call inc_for,$<) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c $< -o $@
$(FUZZ_BUILD)/libfuzzdeps.a: $(FUZZ_DEPS_OBJ)
	@rm -f $@; ar rcs $@ $^
$(FUZZ_BUILD)/%: tests/fuzz/%.c $(FUZZ_BUILD)/libfuzzdeps.a
	clang $(FUZZ_CFLAGS) $(INC_ALL) -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_BUILD)/libfuzzdeps.a $(LDLIBS)

test:
	bash tests/run.sh

demo:
	bash scripts/demo.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)
