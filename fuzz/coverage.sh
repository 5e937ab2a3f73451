#!/usr/bin/env bash
# fuzz/coverage.sh - `make coverage`: line and branch coverage of slab.h from the unit tests and
# the fuzzing corpus replay, built with gcc --coverage (gcov) and summed up by gcovr. Each of
# slab.h's build modes counts: release, SLAB_DEBUG=1 and SLAB_HARDEN=1 (a line compiled in one
# mode only is counted where it is compiled). Prints the summary and the uncovered lines of
# slab.h; the full report is build/coverage/slab.h.txt.
#
# The replay runs every input in a process of its own and steps over slab.h's known open bugs
# (FUZZ_TOLERATE=15), so that one failing input does not lose the coverage of the others; the
# failures themselves are `make test`'s and `make fuzz-replay`'s business.
set -u
cd "$(dirname "$0")/.."

GCC=${GCC:-gcc}
CB=build/coverage
if ! command -v gcovr >/dev/null 2>&1; then
    echo "coverage: gcovr is missing; installing Debian's gcovr package with apt-get"
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
            --no-install-recommends gcovr >/dev/null || exit 1
    else
        echo "coverage: not root or no apt-get: install it yourself: sudo apt-get install gcovr"
        exit 1
    fi
fi
rm -rf "$CB"
mkdir -p "$CB"

CFLAGS="-std=c99 -O0 -g --coverage -I."
modes=("release:" "debug:-DSLAB_DEBUG=1" "harden:-DSLAB_HARDEN=1")
echo "== coverage: building the tests and the replay (gcc --coverage; release, debug, harden)"
for m in "${modes[@]}"; do
    name=${m%%:*} def=${m#*:}
    $GCC $CFLAGS $def tests/run.c -o "$CB/test-$name" || exit 1
    $GCC $CFLAGS $def -DFUZZ_TOLERATE=15 -DFUZZ_REPLAY_MAIN fuzz/fuzz_slab.c \
        -o "$CB/replay-$name" || exit 1
done

for m in "${modes[@]}"; do
    name=${m%%:*}
    echo "== unit tests ($name)"
    timeout 1200 "./$CB/test-$name" > "$CB/test-$name.out" 2>&1
    tail -n 1 "$CB/test-$name.out"
    n=0 bad=0
    for f in fuzz/corpus/* fuzz/crashes/*; do
        [ -f "$f" ] || continue
        n=$((n + 1))
        timeout 120 "./$CB/replay-$name" "$f" > /dev/null 2>> "$CB/replay-$name.err" ||
            bad=$((bad + 1))
    done
    echo "== corpus replay ($name): $n inputs, $bad failed (see $CB/replay-$name.err)"
done

echo "== coverage of slab.h"
gcovr -r . --filter 'slab\.h$' --gcov-executable gcov -s --txt "$CB/slab.h.txt" "$CB" \
    > "$CB/summary.txt" 2>&1
gcovr -r . --filter 'slab\.h$' --gcov-executable gcov --branches --txt "$CB/slab.h.branches.txt" \
    "$CB" > /dev/null 2>&1
grep -E '^(lines|branches):' "$CB/summary.txt"
echo "uncovered lines of slab.h (line numbers; full report: $CB/slab.h.txt):"
grep -E '^slab\.h' "$CB/slab.h.txt" | awk '{ $1 = $2 = $3 = $4 = ""; print }' | fold -s -w 100
