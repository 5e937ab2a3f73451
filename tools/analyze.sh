#!/usr/bin/env bash
# make analyze: static analysis of slab.h and the examples; any finding fails.
#
#   cppcheck    --enable=warning,style,performance,portability
#   clang-tidy  the checks in .clang-tidy (bugprone, cert, clang-analyzer, performance,
#               portability; every disabled check is listed there with its reason)
#   scan-build  the clang static analyzer, default checkers
#
# slab.h is analyzed through tools/analyze/slab_impl.c (the implementation, SLAB_DEBUG=0 and
# SLAB_DEBUG=1) and, for clang-tidy, slab_impl.cpp (as C++). scan-build analyzes every example
# as it is built, slab.h's implementation included, so it follows each example's calls into
# the library. cppcheck and clang-tidy see only slab.h's declarations in the examples
# (-DSLAB_IMPLEMENTATION_INCLUDED skips the implementation block): the implementation is
# theirs to analyze once, in slab.h's own runs, in its own language (slab.h is C; a C++ run of
# cppcheck would flag its C casts). That also keeps the examples' runs short.
#
# Runs ANALYZE_JOBS analyses at once (default: the number of cores).
# Reports: build/analyze/*.log, scan-build HTML in build/analyze/scan-build.
set -uo pipefail
cd "$(dirname "$0")/.."

bash tools/need.sh cppcheck:cppcheck clang-tidy:clang-tidy scan-build:clang-tools clang:clang \
    /usr/include/lua5.4/lua.h:liblua5.4-dev /usr/include/sqlite3.h:libsqlite3-dev || exit 1

B=build/analyze
rm -rf "$B" && mkdir -p "$B"
CFLAGS=(-std=c99 -I. -isystem /usr/include/lua5.4)
CXXFLAGS=(-std=c++17 -I.)
CPPCHECK=(cppcheck --error-exitcode=1 --enable=warning,style,performance,portability
          --inline-suppr --quiet --template=gcc -I. -USLAB_CONFIG_HEADER)
# C++ only: slab.h's slab__ names (see .clang-tidy).
CXX_TIDY=(--checks=-bugprone-reserved-identifier,-cert-dcl37-c,-cert-dcl51-cpp)
EXAMPLES_C=$(ls examples/*.c)
EXAMPLES_CXX=$(ls examples/*.cpp)

JOBS=${ANALYZE_JOBS:-$(nproc 2>/dev/null || echo 2)}
names=() logs=()

# run NAME LOG COMMAND...: starts one analysis in the background (at most JOBS at once); its
# output goes to LOG and its exit status to LOG.rc. The summary below reads them in order.
run() {
    local name=$1 log=$2
    shift 2
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
    names+=("$name") logs+=("$log")
    ( "$@" > "$log" 2>&1; echo $? > "$log.rc" ) &
}

echo "== make analyze: cppcheck $(cppcheck --version | sed 's/Cppcheck //'), clang-tidy and scan-build $(clang --version | sed -n 's/.*clang version \([0-9.]*\).*/\1/p'), $JOBS at once"
for dbg in 0 1; do
    run "cppcheck slab.h SLAB_DEBUG=$dbg" "$B/cppcheck-slab-$dbg.log" \
        "${CPPCHECK[@]}" --language=c --std=c99 -DANALYZE_DEBUG=$dbg tools/analyze/slab_impl.c
done
run "cppcheck slab.h SLAB_THREADS=1" "$B/cppcheck-slab-threads.log" \
    "${CPPCHECK[@]}" --language=c --std=c11 -DANALYZE_DEBUG=0 -DSLAB_THREADS=1 -D__unix__ -D__GNUC__=12 \
    tools/analyze/slab_impl.c
run "cppcheck slab.h SLAB_THREADS=1 Windows" "$B/cppcheck-slab-threads-win.log" \
    "${CPPCHECK[@]}" --language=c --std=c11 -DANALYZE_DEBUG=0 -DSLAB_THREADS=1 -D_WIN32 -D__GNUC__=12 \
    tools/analyze/slab_impl.c
for f in $EXAMPLES_C; do
    run "cppcheck $f" "$B/cppcheck-$(basename "$f").log" \
        "${CPPCHECK[@]}" --language=c --std=c99 -DSLAB_IMPLEMENTATION_INCLUDED \
        -D__STDC_HOSTED__=1 "$f"
done
# embedded.c's bare-metal half (its hosted half is in the run above): the Cortex-M branch.
run "cppcheck examples/embedded.c bare-metal" "$B/cppcheck-embedded-bare.log" \
    "${CPPCHECK[@]}" --language=c --std=c99 -DSLAB_IMPLEMENTATION_INCLUDED \
    -D__STDC_HOSTED__=0 -D__ARM_ARCH=7 examples/embedded.c
for f in $EXAMPLES_CXX; do
    run "cppcheck $f" "$B/cppcheck-$(basename "$f").log" \
        "${CPPCHECK[@]}" --language=c++ --std=c++17 -DSLAB_IMPLEMENTATION_INCLUDED "$f"
done

for dbg in 0 1; do
    run "clang-tidy slab.h SLAB_DEBUG=$dbg" "$B/tidy-slab-$dbg.log" \
        clang-tidy --quiet --header-filter='slab\.h$' tools/analyze/slab_impl.c -- \
        "${CFLAGS[@]}" -DANALYZE_DEBUG=$dbg
done
run "clang-tidy slab.h SLAB_THREADS=1" "$B/tidy-slab-threads.log" \
    clang-tidy --quiet --header-filter='slab\.h$' tools/analyze/slab_impl.c -- \
    "${CFLAGS[@]}" -DANALYZE_DEBUG=0 -DSLAB_THREADS=1
run "clang-tidy slab.h as C++" "$B/tidy-slab-cpp.log" \
    clang-tidy --quiet --header-filter='slab\.h$' "${CXX_TIDY[@]}" tools/analyze/slab_impl.cpp \
    -- "${CXXFLAGS[@]}"
for f in $EXAMPLES_C; do
    run "clang-tidy $f" "$B/tidy-$(basename "$f").log" clang-tidy --quiet "$f" -- \
        "${CFLAGS[@]}" -DSLAB_IMPLEMENTATION_INCLUDED
done
for f in $EXAMPLES_CXX; do
    run "clang-tidy $f" "$B/tidy-$(basename "$f").log" \
        clang-tidy --quiet "${CXX_TIDY[@]}" "$f" -- "${CXXFLAGS[@]}" -DSLAB_IMPLEMENTATION_INCLUDED
done

SB=(scan-build --status-bugs -o "$B/scan-build")
for dbg in 0 1; do
    run "scan-build slab.h SLAB_DEBUG=$dbg" "$B/scan-slab-$dbg.log" \
        "${SB[@]}" clang "${CFLAGS[@]}" -DANALYZE_DEBUG=$dbg -c tools/analyze/slab_impl.c \
        -o "$B/slab_impl-$dbg.o"
done
run "scan-build slab.h SLAB_THREADS=1" "$B/scan-slab-threads.log" \
    "${SB[@]}" clang "${CFLAGS[@]}" -DANALYZE_DEBUG=0 -DSLAB_THREADS=1 -c \
    tools/analyze/slab_impl.c -o "$B/slab_impl-threads.o"
for f in $EXAMPLES_C; do
    run "scan-build $f" "$B/scan-$(basename "$f").log" \
        "${SB[@]}" clang "${CFLAGS[@]}" -c "$f" -o "$B/$(basename "$f").o"
done
for f in $EXAMPLES_CXX; do
    run "scan-build $f" "$B/scan-$(basename "$f").log" \
        "${SB[@]}" clang++ "${CXXFLAGS[@]}" -c "$f" -o "$B/$(basename "$f").o"
done

wait
findings=0 summary=()
for i in "${!names[@]}"; do
    log=${logs[$i]}
    if [ "$(cat "$log.rc")" = 0 ] &&
        ! grep -qE '(warning|error|style|performance|portability):' "$log"; then
        summary+=("ok    ${names[$i]}")
    else
        echo "-- ${names[$i]}"
        cat "$log"
        findings=$((findings + 1))
        summary+=("FAIL  ${names[$i]} (log: $log)")
    fi
done
echo "== summary"
printf '%s\n' "${summary[@]}"
if [ "$findings" -ne 0 ]; then
    echo "analyze: $findings of ${#names[@]} analyses have findings"
    exit 1
fi
echo "analyze: ok, ${#names[@]} analyses, no findings"
