# fuzz/fuzz.mk - fuzzing and coverage targets of slab.h, included by the Makefile's "fuzzing"
# section. Everything builds into $(B)/fuzz and $(B)/coverage. See fuzz/README.md.
#
#   make fuzz            afl++ (persistent mode, ASan+UBSan) on fuzz/corpus; installs afl++ with
#                        apt-get when it is missing. FUZZ_TIME=seconds bounds it (0: until Ctrl-C)
#   make fuzz-libfuzzer  libFuzzer (ASan+UBSan) on fuzz/corpus; FUZZ_TIME as above
#   make fuzz-smoke      CI's bounded run: libFuzzer ~2 min, then afl++ ~2 min (fuzz/run_smoke.sh);
#                        fails on any crash or invariant violation
#   make fuzz-replay     replays fuzz/corpus and fuzz/crashes with the release, SLAB_DEBUG=1 and
#                        SLAB_HARDEN=1 harness (ASan+UBSan); part of make test
#   make fuzz-merge      minimizes fuzz/corpus and the corpora of past runs (FUZZ_MERGE_DIRS too)
#                        into build/fuzz/merged (fuzz/minimize.py)
#   make fuzz-corpus     rewrites the hand-made seeds (python3 fuzz/gen_corpus.py)
#   make coverage        tests and corpus replay under gcov: line and branch coverage of slab.h
#
# FUZZ_DEBUG=1 makes fuzz / fuzz-libfuzzer use the SLAB_DEBUG=1 harness. FUZZ_TOLERATE=n steps
# over known open bugs of slab.h (bits listed in fuzz/fuzz_slab.c); the default 0 checks all.

FB            := $(B)/fuzz
FUZZ_SRC      := fuzz/fuzz_slab.c slab.h
FUZZ_TOLERATE ?= 0
FUZZ_TIME     ?= 0
FUZZ_DEBUG    ?= 0
AFL_CC        ?= afl-clang-fast
FUZZ_WARN     := -Wall -Wextra -Wshadow -Werror
FUZZ_FLAGS    := -std=c99 -g -I. -DFUZZ_TOLERATE=$(FUZZ_TOLERATE) $(FUZZ_WARN)
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                 -fno-omit-frame-pointer
FUZZ_FLAVOUR  := $(if $(filter 1,$(FUZZ_DEBUG)),debug,release)
# Rebuild when FUZZ_TOLERATE changes.
FUZZ_STAMP    := $(FB)/.tolerate-$(FUZZ_TOLERATE)
# afl-fuzz without questions: no CPU governor or core_pattern checks, no UI unless on a terminal
# (afl++ turns the UI off when AFL_NO_UI is set at all, so it is set only then).
AFL_ENV       := AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 \
                 $$([ -t 1 ] || echo AFL_NO_UI=1)

.PHONY: fuzz fuzz-libfuzzer fuzz-smoke fuzz-replay fuzz-merge fuzz-corpus fuzz-afl-check \
        fuzz-binaries coverage

$(FB):
	@mkdir -p $@

$(FUZZ_STAMP): | $(FB)
	@rm -f $(FB)/.tolerate-*
	@touch $@

# Replay drivers: main() runs files and directories (-DFUZZ_REPLAY_MAIN).
$(FB)/replay-release: $(FUZZ_SRC) $(FUZZ_STAMP) | $(FB)
	$(CLANG) $(FUZZ_FLAGS) -O1 $(FUZZ_SAN) -DFUZZ_REPLAY_MAIN $< -o $@
$(FB)/replay-debug: $(FUZZ_SRC) $(FUZZ_STAMP) | $(FB)
	$(CLANG) $(FUZZ_FLAGS) -O1 $(FUZZ_SAN) -DSLAB_DEBUG=1 -DFUZZ_REPLAY_MAIN $< -o $@
$(FB)/replay-harden: $(FUZZ_SRC) $(FUZZ_STAMP) | $(FB)
	$(CLANG) $(FUZZ_FLAGS) -O1 $(FUZZ_SAN) -DSLAB_HARDEN=1 -DFUZZ_REPLAY_MAIN $< -o $@

# libFuzzer: LLVMFuzzerTestOneInput only. UBSan must not recover, or it exits 0. Without
# trace-cmp: the compare hooks would take most of the time in the heap check after every
# operation, and every byte of an input is a valid program anyway.
LIBFUZZER_FLAGS := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
                   -fno-sanitize-coverage=trace-cmp
$(FB)/libfuzzer-release: $(FUZZ_SRC) $(FUZZ_STAMP) | $(FB)
	$(CLANG) $(FUZZ_FLAGS) -O1 $(LIBFUZZER_FLAGS) $< -o $@
$(FB)/libfuzzer-debug: $(FUZZ_SRC) $(FUZZ_STAMP) | $(FB)
	$(CLANG) $(FUZZ_FLAGS) -O1 $(LIBFUZZER_FLAGS) -DSLAB_DEBUG=1 $< -o $@

# afl++ persistent mode: the harness's own main() (__AFL_LOOP, shared-memory test case).
$(FB)/afl-release: $(FUZZ_SRC) $(FUZZ_STAMP) | $(FB) fuzz-afl-check
	AFL_USE_ASAN=1 AFL_USE_UBSAN=1 AFL_QUIET=1 $(AFL_CC) $(FUZZ_FLAGS) -O2 $< -o $@
$(FB)/afl-debug: $(FUZZ_SRC) $(FUZZ_STAMP) | $(FB) fuzz-afl-check
	AFL_USE_ASAN=1 AFL_USE_UBSAN=1 AFL_QUIET=1 $(AFL_CC) $(FUZZ_FLAGS) -O2 -DSLAB_DEBUG=1 $< -o $@

fuzz-afl-check:
	@if ! command -v $(AFL_CC) >/dev/null 2>&1 || ! command -v afl-fuzz >/dev/null 2>&1; then \
	    echo "fuzz: afl++ is missing; installing Debian's afl++ package with apt-get"; \
	    if [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then \
	        export DEBIAN_FRONTEND=noninteractive; \
	        apt-get -o DPkg::Lock::Timeout=600 update -q && \
	        apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends afl++ || exit 1; \
	    else \
	        echo "fuzz: not root or no apt-get: install it yourself: sudo apt-get install afl++"; \
	        exit 1; \
	    fi; \
	fi

fuzz-binaries: $(FB)/replay-release $(FB)/replay-debug $(FB)/replay-harden $(FB)/libfuzzer-release \
               $(FB)/libfuzzer-debug $(FB)/afl-release $(FB)/afl-debug

fuzz: $(FB)/afl-$(FUZZ_FLAVOUR)
	@mkdir -p $(FB)/afl-out
	env $(AFL_ENV) AFL_AUTORESUME=1 afl-fuzz -i fuzz/corpus -o $(FB)/afl-out -m none -t 5000 \
	    $(if $(filter-out 0,$(FUZZ_TIME)),-V $(FUZZ_TIME)) -- $(FB)/afl-$(FUZZ_FLAVOUR)
	@bash fuzz/run_smoke.sh --afl-verdict $(FB)/afl-out

fuzz-libfuzzer: $(FB)/libfuzzer-$(FUZZ_FLAVOUR)
	@mkdir -p $(FB)/lf-corpus
	$(FB)/libfuzzer-$(FUZZ_FLAVOUR) -max_total_time=$(FUZZ_TIME) -timeout=20 -rss_limit_mb=4096 \
	    -print_final_stats=1 -artifact_prefix=$(FB)/lf- $(FB)/lf-corpus fuzz/corpus

fuzz-smoke:
	@MAKE="$(MAKE)" bash fuzz/run_smoke.sh

fuzz-replay: $(FB)/replay-release $(FB)/replay-debug $(FB)/replay-harden
	@for f in release debug harden; do \
	    ./$(FB)/replay-$$f fuzz/corpus $$(ls -d fuzz/crashes 2>/dev/null) || exit 1; \
	done

# A small corpus for fuzz/corpus from the seeds and the corpora of past runs: a greedy set cover
# of their afl++ edges, each input passing the strict replay (fuzz/minimize.py).
fuzz-merge: $(FB)/afl-release $(FB)/replay-release $(FB)/replay-debug $(FB)/replay-harden
	@rm -rf $(FB)/merged
	python3 fuzz/minimize.py $(FB)/afl-release \
	    $(FB)/replay-release,$(FB)/replay-debug,$(FB)/replay-harden $(FB)/merged fuzz/corpus \
	    $(wildcard $(FB)/lf-corpus $(FB)/afl-out/default/queue $(FUZZ_MERGE_DIRS))
	@echo "fuzz-merge: the set is in $(FB)/merged; copy it over fuzz/corpus to keep it"

fuzz-corpus:
	python3 fuzz/gen_corpus.py

coverage:
	@MAKE="$(MAKE)" bash fuzz/coverage.sh
