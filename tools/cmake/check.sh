#!/usr/bin/env bash
# make cmake-check: a consumer project (tools/cmake/consumer) configures, builds and runs
# with slab::slab from the top-level CMakeLists.txt, three ways: add_subdirectory,
# FetchContent (from this checkout, no download) and find_package after cmake --install.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/need.sh cmake:cmake

root=$PWD B=$PWD/build/cmake
rm -rf "$B" && mkdir -p "$B"
echo "== make cmake-check ($(cmake --version | head -n 1))"
for use in subdirectory fetchcontent find_package; do
    extra=()
    if [ $use = find_package ]; then
        cmake -S . -B "$B/slab" > "$B/slab.log" 2>&1 &&
            cmake --install "$B/slab" --prefix "$B/prefix" >> "$B/slab.log" 2>&1 ||
            { cat "$B/slab.log"; exit 1; }
        extra=(-DCMAKE_PREFIX_PATH="$B/prefix")
    fi
    log=$B/$use.log
    if cmake -S tools/cmake/consumer -B "$B/$use" -DSLAB_USE=$use -DSLAB_SOURCE_DIR="$root" \
        "${extra[@]}" > "$log" 2>&1 && cmake --build "$B/$use" >> "$log" 2>&1 &&
        "$B/$use/consumer" >> "$log" 2>&1; then
        echo "ok    $use: $(tail -n 1 "$log")"
    else
        cat "$log"
        echo "FAIL  $use"
        exit 1
    fi
done
