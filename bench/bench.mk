# bench/bench.mk - the benchmark suite's build and run rules, included by the Makefile.
#
#   make bench                 the whole suite (A-F, T) plus bench-instr; writes bench/results.md,
#                              bench/results.svg (about 3 minutes on the project's 2-core machine,
#                              up to 7 when it is busy)
#   make bench BENCH_QUICK=1   traces scaled to 1/10, no callgrind (20-40 s); writes
#                              build/bench/results-quick.{md,svg}, the committed results stay
#   make bench-instr           instructions per operation under callgrind -> bench/results-instr.md
#   make bench-profile         callgrind profile of slab.h's paths, annotated -> build/bench/profile/
#   make bench-smoke           a tiny run of every cell (seconds): the harness builds and works
#   make bench-layout          on-CPU 2-thread scaling of T's kmalloc work: one heap or one each
#   make bench-cachemodel      the same work's L1/L2 misses per pair in a model of two cores
#   make bench-paired BENCH_BASE=REV   2-thread throughput: slab.h at REV against the working tree
#   make bench-windows         the fast path on Windows under Wine: gcc and clang, threaded or not
#   BENCH_ARGS="--only slab-cache,glibc --sections A"   passed to the harness (bench/README.md)
#   BENCH_ARGS="--sections T --threads 1,2,4,8"          section T (threads) with other counts

BENCH_CC     ?= $(GCC)
BENCH_CFLAGS ?= -std=gnu11 -O2 -DNDEBUG -g
BENCH_ARGS   ?=
BENCH_QUICK  ?=
BB           := $(B)/bench
BENCH_DEF_rel  :=
BENCH_DEF_dbg  := -DSLAB_DEBUG=1
BENCH_DEF_hard := -DSLAB_HARDEN=1
BENCH_DEF_thr  := -DSLAB_THREADS=1 -pthread
# Recursive (=): evaluated only when a bench recipe runs.
BENCH_COMMIT  = $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)$(shell \
                git diff --quiet HEAD -- slab.h 2>/dev/null || echo ' + uncommitted slab.h changes')
BENCH_TLS_ENV := BENCH_TLS_SET=1 GLIBC_TUNABLES=glibc.rtld.optional_static_tls=65536

.PHONY: bench bench-instr bench-profile bench-smoke bench-build bench-layout bench-cachemodel \
        bench-paired bench-windows
.SECONDARY: $(foreach v,rel dbg hard thr,$(BB)/impl-$(v).o $(BB)/adapt-$(v).o)

bench-build: $(BB)/bench $(BB)/same-code.txt

$(BB):
	@mkdir -p $@

# A snapshot of slab.h: the debug info of the objects then matches the source that
# callgrind_annotate shows (bench-profile), however slab.h changes afterwards.
$(BB)/inc/slab.h: slab.h | $(BB)
	@mkdir -p $(BB)/inc && cp slab.h $@

# slab.h's implementation and its adapters, once per variant. The debug, hardened and threaded
# copies get their public symbols renamed (slab_x -> bench_dbg_slab_x) so that all four link together;
# renaming the combined object renames the adapters' references too.
$(BB)/impl-%.o: bench/slab_impl.c $(BB)/inc/slab.h
	$(BENCH_CC) $(BENCH_CFLAGS) $(BENCH_DEF_$*) -I$(BB)/inc -c $< -o $@
$(BB)/adapt-%.o: bench/adapt_slab.c bench/bench.h $(BB)/inc/slab.h
	$(BENCH_CC) $(BENCH_CFLAGS) $(BENCH_DEF_$*) -DBENCH_VARIANT=$* -I$(BB)/inc -c $< -o $@
$(BB)/slab-%.o: $(BB)/impl-%.o $(BB)/adapt-%.o
	$(BENCH_CC) -nostdlib -r $^ -o $@.tmp
	@if [ "$*" != rel ]; then \
	    nm -g --defined-only $(BB)/impl-$*.o | \
	        awk '$$3 ~ /^slab_/ { print $$3, "bench_$*_" $$3 }' > $@.syms && \
	    objcopy --redefine-syms=$@.syms $@.tmp; fi
	@mv $@.tmp $@

# Which variants compile to the same code as the release build (their macro does nothing yet).
$(BB)/same-code.txt: $(BB)/impl-rel.o $(BB)/impl-dbg.o $(BB)/impl-hard.o
	@for v in dbg hard; do \
	    objdump -d --no-show-raw-insn $(BB)/impl-rel.o | tail -n +4 > $(BB)/dis-rel.txt; \
	    objdump -d --no-show-raw-insn $(BB)/impl-$$v.o | tail -n +4 > $(BB)/dis-$$v.txt; \
	    if cmp -s $(BB)/dis-rel.txt $(BB)/dis-$$v.txt; then echo $$v; fi; \
	done | sed 's/^dbg$$/SLAB_DEBUG=1/; s/^hard$$/SLAB_HARDEN=1/' | paste -sd, - > $@

$(BB)/harness.o: bench/harness.c bench/bench.h | $(BB)
	$(BENCH_CC) $(BENCH_CFLAGS) -pthread -DBENCH_CFLAGS_STR='"$(BENCH_CFLAGS)"' -c $< -o $@
$(BB)/adapt_sys.o: bench/adapt_sys.c bench/bench.h | $(BB)
	$(BENCH_CC) $(BENCH_CFLAGS) -c $< -o $@

$(BB)/bench: $(BB)/harness.o $(BB)/adapt_sys.o $(BB)/slab-rel.o $(BB)/slab-dbg.o $(BB)/slab-hard.o \
              $(BB)/slab-thr.o
	$(BENCH_CC) $^ -pthread -ldl -lm -o $@

BENCH_RUN = $(BB)/bench --same-code "$$(cat $(BB)/same-code.txt)" --commit "$(BENCH_COMMIT)"

ifeq ($(BENCH_QUICK),)
bench: bench-build bench-instr
	@echo "bench: about 3 minutes on a quiet 2-core machine, up to 7 on a busy one (BENCH_QUICK=1: under 1)"
	$(BENCH_RUN) --md bench/results.md --tsv $(BB)/results.tsv --instr-tsv bench/results-instr.tsv $(BENCH_ARGS)
	@if command -v python3 >/dev/null 2>&1; then python3 bench/chart.py $(BB)/results.tsv bench/results.svg; \
	else echo "bench: skipped: the chart needs python3 (no third-party packages)"; fi
else
bench: bench-build
	$(BENCH_RUN) --quick --md $(BB)/results-quick.md --tsv $(BB)/results-quick.tsv --instr-tsv bench/results-instr.tsv $(BENCH_ARGS)
	@if command -v python3 >/dev/null 2>&1; then python3 bench/chart.py $(BB)/results-quick.tsv $(BB)/results-quick.svg; \
	else echo "bench: skipped: the chart needs python3 (no third-party packages)"; fi
endif

# Instruction counts under callgrind: one dump per cell (client requests), then the table.
bench-instr: bench-build
	@if ! command -v valgrind >/dev/null 2>&1; then \
	    echo "bench-instr: skipped: valgrind not found (make deps installs it)"; exit 0; fi; \
	rm -rf $(BB)/callgrind && mkdir -p $(BB)/callgrind && \
	echo "bench-instr: valgrind --tool=callgrind (about 1 minute) ..." && \
	( cd $(BB)/callgrind && $(BENCH_TLS_ENV) valgrind --tool=callgrind \
	    --callgrind-out-file=callgrind.out.%p ../bench --instr ) > $(BB)/callgrind/log.txt 2>&1 || \
	    { tail -20 $(BB)/callgrind/log.txt; exit 1; }; \
	$(BB)/bench --instr-report $(BB)/callgrind bench/results-instr.md bench/results-instr.tsv

# Where slab.h's fast paths spend their instructions: callgrind with per-instruction data on
# slab.h's cells, annotated source per cell in build/bench/profile/*.txt, a summary printed.
bench-profile: bench-build
	@command -v valgrind >/dev/null 2>&1 || { echo "bench-profile: skipped: no valgrind"; exit 0; }
	rm -rf $(BB)/profile && mkdir -p $(BB)/profile
	cd $(BB)/profile && $(BENCH_TLS_ENV) valgrind --tool=callgrind --dump-instr=yes \
	    --callgrind-out-file=callgrind.out.%p ../bench --instr \
	    --only slab-cache,slab-kmalloc,slab-vmalloc,slab-pages,slab-cache-harden,slab-kmalloc-harden \
	    > log.txt 2>&1
	@for f in $(BB)/profile/callgrind.out.*.*; do \
	    label=$$(sed -n 's/^desc: Trigger: Client Request: bench:\([^:]*\):\([^:]*\):\([0-9]*\):\([0-9]*\):\([0-9]*\)$$/\1-\2-mode\3-batch\4-ops\5/p' $$f); \
	    case "$$label" in ""|*-empty-*) continue;; esac; \
	    callgrind_annotate --threshold=100 --inclusive=no --auto=yes $$f > $(BB)/profile/$$label.txt 2>/dev/null; \
	    echo "== $$label: instructions by function (exclusive)"; \
	    sed -n '/file:function/,/^-- Auto/p' $(BB)/profile/$$label.txt | \
	        grep -E '^ *[0-9,]+ ' | grep -v 'below main\|libc_start\|harness.c:main\|0x0000' | head -12; \
	done; echo "bench-profile: annotated sources in $(BB)/profile/"

# What sharing one heap costs two threads: on-CPU scaling of section T's private kmalloc work
# with one shared heap, one heap filled thread after thread, and a heap per thread.
$(BB)/layout: bench/layout.c slab.h | $(BB)
	$(BENCH_CC) $(BENCH_CFLAGS) $(WARN) -pthread -I. $< -o $@
bench-layout: $(BB)/layout
	$(BB)/layout $(BENCH_LAYOUT_ARGS)

# Two versions of slab.h in one program (layout.c built as LAYOUT_SIDE=base, LAYOUT_SIDE=new and
# LAYOUT_PAIRED): the header at BENCH_BASE (a git revision) against the working tree's, both
# sides' 2-thread runs of each round seconds apart.
BENCH_BASE ?= HEAD
bench-paired: | $(BB)
	@mkdir -p $(BB)/paired-base && git show $(BENCH_BASE):slab.h > $(BB)/paired-base/slab.h
	$(BENCH_CC) $(BENCH_CFLAGS) $(WARN) -pthread -I$(BB)/paired-base -DLAYOUT_SIDE=base \
	    -c bench/layout.c -o $(BB)/paired-base.o
	$(BENCH_CC) $(BENCH_CFLAGS) $(WARN) -pthread -I. -DLAYOUT_SIDE=new -c bench/layout.c \
	    -o $(BB)/paired-new.o
	$(BENCH_CC) $(BENCH_CFLAGS) $(WARN) -DLAYOUT_PAIRED -c bench/layout.c -o $(BB)/paired-main.o
	$(BENCH_CC) -pthread $(BB)/paired-main.o $(BB)/paired-base.o $(BB)/paired-new.o -o $(BB)/paired
	$(BB)/paired $(BENCH_LAYOUT_ARGS)

# The same work with every load and store of layout.c (slab.h included) fed to a model of each
# thread's L1 and L2 (bench/cachemodel.c): misses per pair by kind of memory, no timing. gcc's
# kernel-address instrumentation with calls gives the accesses; the model is its runtime.
MODEL_FLAGS := -fsanitize=kernel-address --param asan-instrumentation-with-call-threshold=0 \
               --param asan-stack=0 --param asan-globals=0 -DLAYOUT_MODEL
$(BB)/layout-model: bench/layout.c bench/cachemodel.c bench/cachemodel.h slab.h | $(BB)
	$(GCC) $(BENCH_CFLAGS) $(WARN) $(MODEL_FLAGS) -pthread -I. -c $< -o $(BB)/layout-model.o
	$(GCC) $(BENCH_CFLAGS) $(WARN) -c bench/cachemodel.c -o $(BB)/cachemodel.o
	$(GCC) -pthread $(BB)/layout-model.o $(BB)/cachemodel.o -o $@
bench-cachemodel: $(BB)/layout-model
	$(BB)/layout-model --rounds 1 --pairs 1000000 $(BENCH_LAYOUT_ARGS)

bench-smoke: bench-build
	$(BENCH_RUN) --scale 0.002 --reps 1 --md $(BB)/results-smoke.md

# The cache's fast path on Windows x86-64, under Wine (bench/windows.c): mingw-w64 gcc (emulated
# thread-local storage before gcc 16: slab.h reads the thread number off the TEB) and clang
# (native), each threaded and unthreaded; three rounds in turn. Needs mingw-w64 and Wine (make deps).
BW_FLAGS := -std=c11 -O2 -DNDEBUG -I.
$(BB)/win-gcc.exe: bench/windows.c slab.h | $(BB)
	$(MINGW) $(BW_FLAGS) -static $< -o $@
$(BB)/win-gcc-unthreaded.exe: bench/windows.c slab.h | $(BB)
	$(MINGW) $(BW_FLAGS) -DSLAB_THREADS=0 -static $< -o $@
$(BB)/win-clang.exe: bench/windows.c slab.h | $(BB)
	$(CLANG) --target=x86_64-w64-mingw32 $(BW_FLAGS) -c $< -o $@.o
	$(MINGW) $@.o -static -o $@
$(BB)/win-clang-unthreaded.exe: bench/windows.c slab.h | $(BB)
	$(CLANG) --target=x86_64-w64-mingw32 $(BW_FLAGS) -DSLAB_THREADS=0 -c $< -o $@.o
	$(MINGW) $@.o -static -o $@
BW_EXES := win-gcc win-gcc-unthreaded win-clang win-clang-unthreaded
bench-windows: $(addprefix $(BB)/,$(addsuffix .exe,$(BW_EXES)))
	@export WINEPREFIX=$(WINE_PREFIX) WINEDEBUG=-all; for r in 1 2 3; do \
	    for e in $(BW_EXES); do $(WINE) $(BB)/$$e.exe "$$e" || exit 1; done; done
