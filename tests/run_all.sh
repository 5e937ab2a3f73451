#!/usr/bin/env bash
# Runs every test configuration of slab.h and adds up the results (called by `make test`).
#
#   unit tests   tests/run.c built as (a) clang ASan+UBSan, (b) gcc -O2, (c) gcc -m32 -O2;
#                each binary's last "N passed, N failed" line is added to the totals; a binary
#                that fails to build, crashes, times out or prints no such line counts as one
#                failure (on top of any failures it reported)
#   compile      each entry of the compile matrix (tests/compile/) is one test: it passes when
#                it builds warning-free and, where it is a program, runs and exits 0
#   valgrind     where valgrind is installed: the unit tests of a SLAB_VALGRIND build under
#                memcheck, and tests/valgrind_misuse.c (make test-valgrind)
#   windows      where mingw-w64 and Wine are installed: the unit tests, tests/threads.c and the
#                Windows entries of the compile matrix, built with mingw-w64 and run under Wine
#
# -m32 configurations run only where `gcc -m32` can build and run a program; otherwise one
# "skipped:" line says so. A skip is never counted as a pass; with SLAB_REQUIRE_M32=1 (set by
# .ci/run on amd64, where it installs gcc-multilib) a missing -m32 is a failure instead. The
# Windows builds likewise, with SLAB_REQUIRE_WINDOWS=1.
# The last line is always "N passed, N failed"; the exit status is non-zero if anything failed.
set -u
cd "$(dirname "$0")/.."

MAKE=${MAKE:-make}
B=build
TIMEOUT=${SLAB_TEST_TIMEOUT:-900} # seconds per test binary
mkdir -p "$B"

passed=0
failed=0
summary=()
skips=()

note() { summary+=("$1"); }

# unavailable WHAT REQUIRED INSTALL SKIPPED: a group this machine cannot build or run. With
# REQUIRED=1 (CI, which installs INSTALL) that is one failure; otherwise a "skipped:" line,
# repeated above the totals, and SKIPPED in the summary. A skip is never counted as a pass.
unavailable() {
    if [ "$2" = 1 ]; then
        echo "FAIL $1: unavailable here, and required"
        failed=$((failed + 1)); note "FAIL  $1 required but unavailable (install $3)"
    else
        skips+=("skipped: $1 (install $3: make deps)")
        echo "${skips[${#skips[@]} - 1]}"
        note "skip  $4 (install $3: make deps)"
    fi
}

# make_quiet TARGET: builds one target, showing only the compiler's messages on failure.
make_quiet() { $MAKE --no-print-directory -s "$1"; }

# run_unit NAME BINARY [RUNNER]: runs a test binary (under RUNNER, e.g. valgrind) and adds its
# counts.
run_unit() {
    local name=$1 bin=$2 out rc line p f
    echo "== unit tests: $name"
    if [ ! -f tests/run.c ]; then
        echo "FAIL $name: tests/run.c is missing"
        failed=$((failed + 1)); note "FAIL  unit $name: tests/run.c missing"
        return
    fi
    if ! make_quiet "$bin"; then
        echo "FAIL $name: build failed"
        failed=$((failed + 1)); note "FAIL  unit $name: build failed"
        return
    fi
    out="$B/$(basename "$bin").out"
    timeout "$TIMEOUT" ${3:-} "./$bin" > "$out" 2>&1
    rc=$?
    # Show the binary's report, but keep long passing runs short.
    if [ "$rc" -ne 0 ]; then cat "$out"; else tail -n 5 "$out"; fi
    line=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
    if [ -z "$line" ]; then
        echo "FAIL $name: no 'N passed, N failed' line (exit status $rc)"
        failed=$((failed + 1)); note "FAIL  unit $name: no result line (exit $rc)"
        return
    fi
    p=$(echo "$line" | sed -E 's/^([A-Za-z]+: )?([0-9]+) passed, ([0-9]+) failed.*/\2/')
    f=$(echo "$line" | sed -E 's/^([A-Za-z]+: )?([0-9]+) passed, ([0-9]+) failed.*/\3/')
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        # It claimed success but exited non-zero (crash at exit, sanitizer report, timeout).
        echo "FAIL $name: exit status $rc after reporting no failure"
        failed=$((failed + 1)); note "FAIL  unit $name: $p passed, $f failed, exit $rc"
    elif [ "$f" -ne 0 ]; then
        note "FAIL  unit $name: $p passed, $f failed"
    else
        note "ok    unit $name: $p passed"
    fi
}

# Windows programs run under Wine, in a prefix of their own (the Makefile's WINE_PREFIX).
WINE_RUN="env WINEPREFIX=$($MAKE --no-print-directory -s print-wine-prefix) WINEDEBUG=-all"
WINE_RUN="$WINE_RUN ${WINE:-wine}"

# run_compile ENTRY: builds one compile-matrix entry and runs it when it is a program.
run_compile() {
    local entry=$1 target="$B/compile/$1" rc runner=
    if ! make_quiet "$target"; then
        echo "FAIL compile $entry"
        failed=$((failed + 1)); note "FAIL  compile $entry: build failed"
        return
    fi
    case $entry in
    *.o) ;;
    *)
        case $entry in *.exe) runner=$WINE_RUN ;; esac
        timeout 60 $runner "./$target" > "$target.out" 2>&1
        rc=$?
        if [ "$rc" -ne 0 ]; then
            cat "$target.out"
            echo "FAIL compile $entry: program exited with status $rc"
            failed=$((failed + 1)); note "FAIL  compile $entry: run exited $rc"
            return
        fi
        ;;
    esac
    passed=$((passed + 1)); note "ok    compile $entry"
}

have_m32=$($MAKE --no-print-directory -s probe-m32)
compile_64=$($MAKE --no-print-directory -s list-compile-64)
compile_m32=$($MAKE --no-print-directory -s list-compile-m32)
have_windows=$($MAKE --no-print-directory -s probe-windows)
compile_win=$($MAKE --no-print-directory -s list-compile-win)
have_windows32=no
[ "$have_windows" = yes ] && have_windows32=$($MAKE --no-print-directory -s probe-windows32)
compile_win32=$($MAKE --no-print-directory -s list-compile-win32)

# Build everything first, in parallel under `make -j2 test`; -k goes on past failures, which
# are reported (with the compiler's messages) when each target is asked for again below.
echo "== building (log: $B/build.log)"
groups="test-compile"
[ -f tests/run.c ] && groups="test-units $groups"
[ "$have_m32" = yes ] && [ -f tests/run.c ] && groups="$groups test-m32"
[ "$have_m32" = yes ] && [ ! -f tests/run.c ] && groups="$groups $(printf "$B/compile/%s " $compile_m32)"
[ "$have_windows" = yes ] && groups="$groups test-windows"
[ "$have_windows32" = yes ] && groups="$groups test-windows32"
$MAKE --no-print-directory -k $groups > "$B/build.log" 2>&1 || true

run_unit "clang -fsanitize=address,undefined -O1" "$B/test_asan"
run_unit "gcc -O2" "$B/test_gcc"
run_unit "clang SLAB_DEBUG=1 -fsanitize=address,undefined" "$B/test_debug"
run_unit "gcc SLAB_HARDEN=1 -O2" "$B/test_harden"
run_unit "clang SLAB_THREADS=1 -fsanitize=address,undefined" "$B/test_threads"
run_unit "threads stress, clang -fsanitize=thread" "$B/test_tsan"
run_unit "threads stress, clang -fsanitize=thread SLAB_DEBUG=1" "$B/test_tsan_debug"
run_unit "threads stress, clang -fsanitize=thread SLAB_MUTEX_*" "$B/test_tsan_mutex"
# Valgrind (make test-valgrind): the unit tests of a SLAB_VALGRIND build under memcheck, which
# must report no error, and tests/valgrind_misuse.c, whose cases memcheck must report.
if command -v valgrind > /dev/null 2>&1; then
    run_unit "valgrind gcc -O1 SLAB_VALGRIND" "$B/test_valgrind" "valgrind --error-exitcode=1 -q"
    run_unit "valgrind misuse" "$B/valgrind_misuse"
else
    unavailable valgrind 0 valgrind "unit valgrind and valgrind misuse"
fi
if [ "$have_m32" = yes ]; then
    run_unit "gcc -m32 -O2" "$B/test_m32"
else
    unavailable -m32 "${SLAB_REQUIRE_M32:-0}" gcc-multilib \
        "unit gcc -m32 -O2 and compile $compile_m32"
fi

if [ "$have_windows" = yes ]; then
    run_unit "Windows x86-64, mingw-w64 gcc -O2 (Wine)" "$B/test_windows_units.exe" "$WINE_RUN"
    run_unit "Windows x86-64 SLAB_DEBUG=1 (Wine)" "$B/test_windows_units_debug.exe" "$WINE_RUN"
    run_unit "Windows x86-64 SLAB_THREADS=1 (Wine)" "$B/test_windows_units_threads.exe" \
        "$WINE_RUN"
    run_unit "threads stress, Windows x86-64 (mingw-w64 -O2, Wine)" "$B/test_windows.exe" \
        "$WINE_RUN"
    run_unit "threads stress, Windows x86-64 SLAB_DEBUG=1 (Wine)" "$B/test_windows_debug.exe" \
        "$WINE_RUN"
else
    unavailable "Windows builds" "${SLAB_REQUIRE_WINDOWS:-0}" "mingw-w64 and Wine" \
        "unit tests and threads stress on Windows, compile $compile_win"
fi
if [ "$have_windows32" = yes ]; then
    run_unit "Windows x86, mingw-w64 gcc -O2 (Wine)" "$B/test_windows32_units.exe" "$WINE_RUN"
    run_unit "threads stress, Windows x86 (mingw-w64 -O2, Wine)" "$B/test_windows32.exe" \
        "$WINE_RUN"
else
    unavailable "Windows x86 runs" "${SLAB_REQUIRE_WINDOWS:-0}" "wine32:i386" \
        "unit tests and threads stress on Windows x86, compile $compile_win32"
fi

echo "== compile matrix"
for entry in $compile_64; do run_compile "$entry"; done
if [ "$have_m32" = yes ]; then
    for entry in $compile_m32; do run_compile "$entry"; done
fi
if [ "$have_windows" = yes ]; then
    for entry in $compile_win; do run_compile "$entry"; done
fi
if [ "$have_windows32" = yes ]; then
    for entry in $compile_win32; do run_compile "$entry"; done
fi

# Fuzzing corpus replay (fuzz/README.md): the seed corpus and every regression input of
# fuzz/crashes, run by the release, SLAB_DEBUG=1 and SLAB_HARDEN=1 harness under ASan+UBSan.
# One counted entry.
echo "== fuzz corpus replay"
if timeout "$TIMEOUT" $MAKE --no-print-directory -s fuzz-replay > "$B/fuzz-replay.out" 2>&1; then
    tail -n 3 "$B/fuzz-replay.out"
    passed=$((passed + 1)); note "ok    fuzz corpus replay (release, debug, harden)"
else
    cat "$B/fuzz-replay.out"
    echo "FAIL fuzz corpus replay"
    failed=$((failed + 1)); note "FAIL  fuzz corpus replay (see $B/fuzz-replay.out)"
fi

echo "== summary"
printf '%s\n' "${summary[@]}"
[ ${#skips[@]} -eq 0 ] || printf '%s\n' "${skips[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
