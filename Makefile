# slab.h - build, test and demo.
#
#   make demo       build and run examples/particles.c
#   make test       unit tests (clang ASan+UBSan, gcc -O2, gcc -m32, Windows under Wine) and
#                   the compile matrix
#   make test-valgrind  unit tests under valgrind (SLAB_VALGRIND) and the injected misuse
#   make examples   build every examples/*.c
#   make deps       install missing compilers with apt-get (as root)
#   make cross      freestanding Cortex-M4 / RV32 builds and their code size (tools/targets.mk)
#   make analyze    cppcheck, clang-tidy, scan-build;  make docs: Doxygen;  make cmake-check
#   make bench      benchmarks vs glibc, jemalloc, mimalloc (bench/README.md); BENCH_QUICK=1: short
#   make bench-instr  instructions per operation under callgrind
#   make fuzz       afl++ on the fuzzing harness (fuzz/); make fuzz-libfuzzer, fuzz-smoke,
#                   fuzz-replay; make coverage: line and branch coverage of slab.h (fuzz/fuzz.mk)
#   make clean      remove build/
#
# Every configuration builds into build/; tests/run_all.sh drives `make test` and prints the
# totals as its last line: "N passed, N failed".

GCC     ?= gcc
GXX     ?= g++
CLANG   ?= clang
CLANGXX ?= clang++

# Warnings for every C build; the C++ builds use the same set (none of them is C-only).
WARN    := -Wall -Wextra -Wpedantic -Werror -Wconversion -Wsign-conversion -Wshadow \
           -Wundef -Wcast-align
CXXWARN := $(WARN)

SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

B       := build
C       := tests/compile
TEST_SRC  := tests/run.c $(wildcard tests/t_*.c tests/*.h) slab.h
EXAMPLES  := $(patsubst examples/%.c,$(B)/examples/%,$(wildcard examples/*.c))

.PHONY: all test demo examples deps clean test-units test-compile test-m32 probe-m32 \
        list-compile-64 list-compile-m32 test-windows probe-windows list-compile-win \
        test-windows32 probe-windows32 list-compile-win32 print-wine-prefix
.DELETE_ON_ERROR:

all: examples

# ---------------------------------------------------------------------------------------------
# Tests: tests/run_all.sh builds each target below with $(MAKE), runs it and adds up the counts.

test:
	@MAKE="$(MAKE)" bash tests/run_all.sh

# (a) clang, AddressSanitizer + UndefinedBehaviorSanitizer
$(B)/test_asan: $(TEST_SRC) | $(B)
	$(CLANG) -std=c99 -g -O1 $(SAN) $(WARN) -I. tests/run.c -o $@

# (b) gcc -O2, no instrumentation
$(B)/test_gcc: $(TEST_SRC) | $(B)
	$(GCC) -std=c99 -O2 $(WARN) -I. tests/run.c -o $@

# (d) the debug layer (SLAB_DEBUG=1) under ASan+UBSan; (e) SLAB_HARDEN's state bits at -O2
$(B)/test_debug: $(TEST_SRC) | $(B)
	$(CLANG) -std=c99 -g -O1 $(SAN) $(WARN) -DSLAB_DEBUG=1 -I. tests/run.c -o $@
$(B)/test_harden: $(TEST_SRC) | $(B)
	$(GCC) -std=c99 -O2 $(WARN) -DSLAB_HARDEN=1 -I. tests/run.c -o $@

# (g) threads (SLAB_THREADS, docs/threads.md): tests/threads.c, the multi-threaded stress test,
# under ThreadSanitizer, also with SLAB_DEBUG=1 and with the program's own mutex (SLAB_MUTEX_*);
# and the unit tests built with SLAB_THREADS=1 under ASan+UBSan (one thread: nothing changes).
$(B)/test_tsan: tests/threads.c slab.h | $(B)
	$(CLANG) -std=c11 -g -O1 -fsanitize=thread $(WARN) -pthread -I. $< -o $@
$(B)/test_tsan_debug: tests/threads.c slab.h | $(B)
	$(CLANG) -std=c11 -g -O1 -fsanitize=thread $(WARN) -DSLAB_DEBUG=1 -pthread -I. $< -o $@
$(B)/test_tsan_mutex: tests/threads.c tests/threads_mutex.h slab.h | $(B)
	$(CLANG) -std=c11 -g -O1 -fsanitize=thread $(WARN) \
	    -DSLAB_CONFIG_HEADER='"tests/threads_mutex.h"' -pthread -I. $< -o $@
$(B)/test_threads: $(TEST_SRC) | $(B)
	$(CLANG) -std=c99 -g -O1 $(SAN) $(WARN) -DSLAB_THREADS=1 -pthread -I. tests/run.c -o $@

# (h) Windows: x86-64 builds with mingw-w64, run under Wine: the unit tests (LLP64: long is 32
# bits there; release, SLAB_DEBUG=1, SLAB_THREADS=1), tests/threads.c (an exiting thread's
# magazines go back through a fiber-local storage callback), tests/compile/windows.cpp (the
# system's threads and fibers; <windows.h> before and after slab.h), windows_no_hook.cpp
# (SLAB_NO_PTHREAD: threads flush themselves), windows_exit.c (the process ends while another
# thread holds a cache's lock: it must not hang), examples/jobs.c and a clang build of
# tests/threads.c (run as one entry). Windows x86 (i686): tests/threads.c, the unit tests and
# windows.cpp run under Wine's 32-bit half (wine32, found by WINE32_PROBE), and windows.cpp with
# <windows.h> last compiles. run_all.sh probes for the compilers and Wine first (make deps
# installs them on amd64).
MINGW     ?= x86_64-w64-mingw32-gcc
MINGWXX   ?= x86_64-w64-mingw32-g++
MINGW32   ?= i686-w64-mingw32-gcc
MINGW32XX ?= i686-w64-mingw32-g++
WINE      ?= wine
WINE32_PROBE ?= /usr/lib/i386-linux-gnu/wine/i386-windows/kernel32.dll
# What windows.cpp and windows_no_hook.cpp share.
WIN_COMMON := $(C)/windows_common.h
# Wine's prefix (made on the first run): one for 64- and 32-bit programs where Wine has both
# halves, named by that, since a prefix made without the 32-bit half cannot run either later.
WINE_PREFIX := $(abspath $(B))/wine-$(if $(wildcard $(WINE32_PROBE)),wow64,win64)
$(B)/test_windows_units.exe: $(TEST_SRC) | $(B)
	$(MINGW) -std=c99 -O2 $(WARN) -static -I. tests/run.c -o $@
$(B)/test_windows_units_debug.exe: $(TEST_SRC) | $(B)
	$(MINGW) -std=c99 -O2 $(WARN) -DSLAB_DEBUG=1 -static -I. tests/run.c -o $@
$(B)/test_windows_units_threads.exe: $(TEST_SRC) | $(B)
	$(MINGW) -std=c99 -O2 $(WARN) -DSLAB_THREADS=1 -static -pthread -I. tests/run.c -o $@
$(B)/test_windows.exe: tests/threads.c slab.h | $(B)
	$(MINGW) -std=c11 -O2 $(WARN) -static -pthread -I. $< -o $@
$(B)/test_windows_debug.exe: tests/threads.c slab.h | $(B)
	$(MINGW) -std=c11 -O2 $(WARN) -DSLAB_DEBUG=1 -static -pthread -I. $< -o $@
$(B)/compile/windows-g++.exe: $(C)/windows.cpp $(WIN_COMMON) slab.h | $(B)/compile
	$(MINGWXX) -std=c++11 -O2 $(CXXWARN) -static -I. $< -o $@
$(B)/compile/windows-h-last-g++.exe: $(C)/windows.cpp $(WIN_COMMON) slab.h | $(B)/compile
	$(MINGWXX) -std=c++11 -O2 $(CXXWARN) -DWINDOWS_H_LAST -static -I. $< -o $@
$(B)/compile/windows-jobs.exe: examples/jobs.c slab.h | $(B)/compile
	$(MINGW) -std=c99 -O2 $(WARN) -static -pthread -I. $< -o $@
$(B)/compile/windows-no-hook-g++.exe: $(C)/windows_no_hook.cpp $(WIN_COMMON) slab.h | $(B)/compile
	$(MINGWXX) -std=c++11 -O2 $(CXXWARN) -static -I. $< -o $@
$(B)/compile/windows-exit.exe: $(C)/windows_exit.c slab.h | $(B)/compile
	$(MINGW) -std=c99 -O2 $(WARN) -static -I. $< -o $@
# clang for Windows compiles, mingw-w64 gcc links (it knows where its libraries are).
$(B)/compile/windows-clang.exe: tests/threads.c slab.h | $(B)/compile
	$(CLANG) --target=x86_64-w64-mingw32 -std=c11 -O2 $(WARN) -I. -c $< -o $@.o
	$(MINGW) $@.o -static -pthread -o $@
$(B)/test_windows32.exe: tests/threads.c slab.h | $(B)
	$(MINGW32) -std=c11 -O2 $(WARN) -static -pthread -I. $< -o $@
$(B)/test_windows32_units.exe: $(TEST_SRC) | $(B)
	$(MINGW32) -std=c99 -O2 $(WARN) -static -I. tests/run.c -o $@
$(B)/compile/windows-i686-g++.exe: $(C)/windows.cpp $(WIN_COMMON) slab.h | $(B)/compile
	$(MINGW32XX) -std=c++11 -O2 $(CXXWARN) -static -I. $< -o $@
$(B)/compile/windows-i686-h-last-g++.o: $(C)/windows.cpp $(WIN_COMMON) slab.h | $(B)/compile
	$(MINGW32XX) -std=c++11 -O2 $(CXXWARN) -DWINDOWS_H_LAST -I. -c $< -o $@
COMPILE_WIN := windows-g++.exe windows-h-last-g++.exe windows-no-hook-g++.exe windows-exit.exe \
               windows-jobs.exe windows-clang.exe windows-i686-h-last-g++.o
COMPILE_WIN32 := windows-i686-g++.exe
test-windows: $(B)/test_windows_units.exe $(B)/test_windows_units_debug.exe \
              $(B)/test_windows_units_threads.exe $(B)/test_windows.exe \
              $(B)/test_windows_debug.exe \
              $(addprefix $(B)/compile/,$(COMPILE_WIN))
test-windows32: $(B)/test_windows32.exe $(B)/test_windows32_units.exe \
                $(addprefix $(B)/compile/,$(COMPILE_WIN32))
probe-windows:
	@for t in $(MINGW) $(MINGWXX) $(MINGW32XX) $(WINE); do \
	    command -v $$t > /dev/null 2>&1 || { echo no; exit 0; }; done; echo yes
probe-windows32:
	@if command -v $(MINGW32) > /dev/null 2>&1 && [ -e $(WINE32_PROBE) ]; then echo yes; \
	else echo no; fi
list-compile-win:
	@echo $(COMPILE_WIN)
list-compile-win32:
	@echo $(COMPILE_WIN32)
print-wine-prefix:
	@echo $(WINE_PREFIX)

# (f) Valgrind: the unit tests built with gcc -O1 -g -DSLAB_VALGRIND (memcheck client requests)
# run under memcheck, which must report no error; then tests/valgrind_misuse.c runs injected
# misuse under memcheck and checks that each is reported. Needs valgrind (make deps).
VALGRIND ?= valgrind
.PHONY: test-valgrind
$(B)/test_valgrind: $(TEST_SRC) | $(B)
	$(GCC) -std=c99 -g -O1 $(WARN) -DSLAB_VALGRIND -I. tests/run.c -o $@
$(B)/valgrind_misuse: tests/valgrind_misuse.c slab.h | $(B)
	$(GCC) -std=c99 -g -O1 $(WARN) -DSLAB_VALGRIND -I. $< -o $@
test-valgrind: $(B)/test_valgrind $(B)/valgrind_misuse
	@rc=0; $(VALGRIND) --error-exitcode=1 -q ./$(B)/test_valgrind || rc=1; \
	VALGRIND="$(VALGRIND)" ./$(B)/valgrind_misuse || rc=1; exit $$rc

# (c) gcc -m32 -O2 (needs gcc-multilib; run_all.sh probes first and skips with a clear line)
$(B)/test_m32: $(TEST_SRC) | $(B)
	$(GCC) -m32 -std=c99 -O2 $(WARN) -I. tests/run.c -o $@

# (d) compile matrix: each entry is one test. C entries build with gcc and with clang.
$(B)/compile/c99-gcc:   $(C)/c99.c slab.h | $(B)/compile
	$(GCC) -std=c99 -O2 $(WARN) -I. $< -o $@
$(B)/compile/c99-clang: $(C)/c99.c slab.h | $(B)/compile
	$(CLANG) -std=c99 -O2 $(WARN) -I. $< -o $@
$(B)/compile/c11-gcc:   $(C)/c11.c slab.h | $(B)/compile
	$(GCC) -std=c11 -O2 $(WARN) -I. $< -o $@
$(B)/compile/c11-clang: $(C)/c11.c slab.h | $(B)/compile
	$(CLANG) -std=c11 -O2 $(WARN) -I. $< -o $@

# SLAB_THREADS in C++ and in a gcc C build; and without it, not one atomic instruction
# (lock prefix, xchg, fences; "xchg %ax,%ax" is the assembler's two-byte no-op) in the code.
$(B)/compile/threads-cpp11-g++: $(C)/cpp.cpp slab.h | $(B)/compile
	$(GXX) -std=c++11 -O2 $(CXXWARN) -DSLAB_THREADS=1 -pthread -I. $< -o $@
$(B)/compile/threads-c11-gcc: $(C)/c11.c slab.h | $(B)/compile
	$(GCC) -std=c11 -O2 $(WARN) -DSLAB_THREADS=1 -pthread -I. $< -o $@
# A compiler without gcc's builtins (clang with __GNUC__ and __clang__ undefined) takes the
# SLAB_MUTEX_* and SLAB_TLS path: tests/threads.c built and run (no unused attribute there).
$(B)/compile/threads-mutex-tls-clang: tests/threads.c tests/threads_mutex.h slab.h | $(B)/compile
	$(CLANG) -std=c11 -O2 $(WARN) -Wno-unused-function -U__GNUC__ -U__clang__ \
	    -DSLAB_TLS=_Thread_local -DSLAB_CONFIG_HEADER='"tests/threads_mutex.h"' -pthread -I. \
	    $< -o $@
$(B)/compile/no-atomics-gcc.o: $(C)/c11.c slab.h | $(B)/compile
	$(GCC) -std=c11 -O2 $(WARN) -I. -c $< -o $@
	@if objdump -d $@ | grep -Ei '\<(lock|xchg[a-z]*|mfence|lfence|sfence)\>' | \
	    grep -Ev 'xchg +%ax,%ax'; then \
	    echo "atomic instructions in a build without SLAB_THREADS"; rm -f $@; exit 1; fi
$(B)/compile/cpp11-g++:     $(C)/cpp.cpp slab.h | $(B)/compile
	$(GXX) -std=c++11 -O2 $(CXXWARN) -I. $< -o $@
$(B)/compile/cpp17-g++:     $(C)/cpp.cpp slab.h | $(B)/compile
	$(GXX) -std=c++17 -O2 $(CXXWARN) -I. $< -o $@
$(B)/compile/cpp11-clang++: $(C)/cpp.cpp slab.h | $(B)/compile
	$(CLANGXX) -std=c++11 -O2 $(CXXWARN) -I. $< -o $@
$(B)/compile/cpp17-clang++: $(C)/cpp.cpp slab.h | $(B)/compile
	$(CLANGXX) -std=c++17 -O2 $(CXXWARN) -I. $< -o $@

# SLAB_STATIC in two translation units, each with its own private copy of the implementation.
$(B)/compile/static-gcc:   $(C)/static_a.c $(C)/static_b.c slab.h | $(B)/compile
	$(GCC) -std=c99 -O2 $(WARN) -I. $(C)/static_a.c $(C)/static_b.c -o $@
$(B)/compile/static-clang: $(C)/static_a.c $(C)/static_b.c slab.h | $(B)/compile
	$(CLANG) -std=c99 -O2 $(WARN) -I. $(C)/static_a.c $(C)/static_b.c -o $@

# Declarations in both units, the implementation in two_tu_a.c only.
$(B)/compile/two_tu-gcc:   $(C)/two_tu_a.c $(C)/two_tu_b.c slab.h | $(B)/compile
	$(GCC) -std=c99 -O2 $(WARN) -I. $(C)/two_tu_a.c $(C)/two_tu_b.c -o $@
$(B)/compile/two_tu-clang: $(C)/two_tu_a.c $(C)/two_tu_b.c slab.h | $(B)/compile
	$(CLANG) -std=c99 -O2 $(WARN) -I. $(C)/two_tu_a.c $(C)/two_tu_b.c -o $@

# Freestanding: compile only, then prove the object needs nothing from libc. Allowed are the
# symbols a freestanding toolchain provides itself: memcpy/memmove/memset/memcmp (GCC documents
# that it may emit calls to them), libgcc's integer helpers (e.g. __udivdi3 for 64-bit division
# on 32-bit targets) and the i386 GOT symbol. Anything else (malloc, abort, __assert_fail,
# fprintf...) fails the entry.
FREESTANDING_OK := ^(memcpy|memmove|memset|memcmp|__[a-z]+[sdt]i[234]|__aeabi_[a-z0-9]+|_GLOBAL_OFFSET_TABLE_)$$
FREESTANDING_CHECK = nm -u $@ | awk '$$2 !~ /$(FREESTANDING_OK)/ { print "needs libc: " $$2; bad = 1 } END { exit bad }'
$(B)/compile/freestanding-gcc.o:   $(C)/freestanding.c slab.h | $(B)/compile
	$(GCC) -std=c99 -O2 -ffreestanding -nostdlib $(WARN) -I. -c $< -o $@
	@$(FREESTANDING_CHECK) || { rm -f $@; exit 1; }
$(B)/compile/freestanding-clang.o: $(C)/freestanding.c slab.h | $(B)/compile
	$(CLANG) -std=c99 -O2 -ffreestanding -nostdlib $(WARN) -I. -c $< -o $@
	@$(FREESTANDING_CHECK) || { rm -f $@; exit 1; }
$(B)/compile/freestanding-m32-gcc.o: $(C)/freestanding.c slab.h | $(B)/compile
	$(GCC) -m32 -std=c99 -O2 -ffreestanding -nostdlib $(WARN) -I. -c $< -o $@
	@$(FREESTANDING_CHECK) || { rm -f $@; exit 1; }

# 32-bit hosted builds of c99.c (only when the -m32 probe passes).
$(B)/compile/c99-m32-gcc:   $(C)/c99.c slab.h | $(B)/compile
	$(GCC) -m32 -std=c99 -O2 $(WARN) -I. $< -o $@
$(B)/compile/c99-m32-clang: $(C)/c99.c slab.h | $(B)/compile
	$(CLANG) -m32 -std=c99 -O2 $(WARN) -I. $< -o $@

# The names run_all.sh builds and runs (".o" entries are compiled only).
COMPILE_64  := c99-gcc c99-clang c11-gcc c11-clang cpp11-g++ cpp17-g++ cpp11-clang++ \
               cpp17-clang++ static-gcc static-clang two_tu-gcc two_tu-clang \
               freestanding-gcc.o freestanding-clang.o threads-cpp11-g++ threads-c11-gcc \
               threads-mutex-tls-clang no-atomics-gcc.o
COMPILE_M32 := c99-m32-gcc c99-m32-clang freestanding-m32-gcc.o

# Listing helpers for run_all.sh, so the matrix is written down in one place.
list-compile-64:
	@echo $(COMPILE_64)
list-compile-m32:
	@echo $(COMPILE_M32)

# Builds everything of one group at once so `make -j2 test` compiles in parallel; run_all.sh
# then asks for each target again (up to date, or failing with its own message).
test-units: $(B)/test_asan $(B)/test_gcc $(B)/test_debug $(B)/test_harden $(B)/test_threads \
            $(B)/test_tsan $(B)/test_tsan_debug $(B)/test_tsan_mutex
test-m32: $(B)/test_m32 $(addprefix $(B)/compile/,$(COMPILE_M32))
test-compile: $(addprefix $(B)/compile/,$(COMPILE_64))

# Does `gcc -m32` build and run a program here? Prints "yes" or "no".
probe-m32: | $(B)
	@printf 'int main(void) { return 0; }\n' > $(B)/probe_m32.c
	@if $(GCC) -m32 $(B)/probe_m32.c -o $(B)/probe_m32 >/dev/null 2>&1 && ./$(B)/probe_m32; \
	then echo yes; else echo no; fi

# ---------------------------------------------------------------------------------------------
# Examples and demo

examples: $(EXAMPLES)

$(B)/examples/%: examples/%.c slab.h | $(B)/examples
	$(GCC) -std=c99 -O2 $(WARN) -I. $< -o $@

demo: $(B)/examples/particles
	./$(B)/examples/particles

# ---------------------------------------------------------------------------------------------

deps:
	@bash .ci/deps

$(B) $(B)/compile $(B)/examples:
	@mkdir -p $@

clean:
	rm -rf $(B)

# Cross builds, analysis, docs, CMake check, and the examples counted by make test.
include tools/targets.mk

# Benchmarks: make bench, bench-instr, bench-profile, bench-smoke (bench/README.md).
include bench/bench.mk

# ---------------------------------------------------------------------------------------------
# Fuzzing: afl++, libFuzzer, corpus replay (part of make test) and coverage (fuzz/README.md).
include fuzz/fuzz.mk
# ---------------------------------------------------------------------------------------------
