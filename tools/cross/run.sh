#!/usr/bin/env bash
# make cross: slab.h built freestanding for Cortex-M4 and 32-bit RISC-V at -Os, with the code
# size of the release and debug configurations, and examples/embedded.c linked for both.
#
#   release  SLAB_DEBUG=0, SLAB_ASSERT compiled out (the build that ships)
#   debug    SLAB_DEBUG=1, SLAB_ASSERT halts
#
# Two figures per configuration, in bytes:
#   core     page heap + object caches + kmalloc + vmalloc as a firmware image links them
#            (tools/cross/core.c, -ffunction-sections --gc-sections): the code of the slab_
#            symbols, and the image's .rodata/.data/.bss
#   library  every function of slab.h (tools/cross/lib.c compiled to an object)
# Budget: the release core on Cortex-M4 stays under 8 KiB of .text (CROSS_TEXT_BUDGET, bytes;
# 0 turns the check off); over it, the script lists the largest functions and fails.
# Per-function sizes: build/cross/<target>-<config>-core.txt (nm --size-sort); stack frames:
# build/cross/<target>-<config>-lib.su (-fstack-usage).
set -euo pipefail
cd "$(dirname "$0")/../.."

B=build/cross
BUDGET=${CROSS_TEXT_BUDGET:-8192}
mkdir -p "$B"

bash tools/need.sh arm-none-eabi-gcc:gcc-arm-none-eabi \
    riscv64-unknown-elf-gcc:gcc-riscv64-unknown-elf

WARN="-Wall -Wextra -Wpedantic -Werror -Wconversion -Wsign-conversion -Wshadow -Wundef -Wcast-align"
COMMON="-std=c99 -Os -ffreestanding -nostdlib -ffunction-sections -fdata-sections $WARN -I."

declare -A CC FLAGS
TARGETS="cortex-m4 rv32imac"
CC[cortex-m4]=arm-none-eabi-gcc
FLAGS[cortex-m4]="-mcpu=cortex-m4 -mthumb"
CC[rv32imac]=riscv64-unknown-elf-gcc
FLAGS[rv32imac]="-march=rv32imac -mabi=ilp32"

# sections FILE: prints ".text .rodata .data .bss" totals of an object or image.
sections() {
    "${1%-gcc}"-size -A "$2" | awk '
        $1 ~ /^\.text/                 { t += $2 }
        $1 ~ /^\.s?rodata/             { r += $2 }
        $1 ~ /^\.s?data/               { d += $2 }
        $1 ~ /^\.s?bss/                { b += $2 }
        END { printf "%d %d %d %d\n", t, r, d, b }'
}

row() { printf '%-10s %-8s %-9s %7s %8s %6s %6s\n' "$@"; }

echo "== make cross: slab.h freestanding at -Os (sizes in bytes)"
for t in $TARGETS; do printf '%-10s %s\n' "$t" "$(${CC[$t]} --version | head -n 1)"; done
echo
row target config part .text .rodata .data .bss
over=0
for t in $TARGETS; do
    cc=${CC[$t]}
    for cfg in release debug; do
        dbg=0; [ $cfg = debug ] && dbg=1
        base="$B/$t-$cfg"
        # The whole library as one object.
        $cc ${FLAGS[$t]} $COMMON -DCROSS_DEBUG=$dbg -fstack-usage -c tools/cross/lib.c \
            -o "$base-lib.o"
        read -r lt lr ld lb < <(sections "$cc" "$base-lib.o")
        # The core layers linked into an image; the code of the slab_ symbols counts.
        $cc ${FLAGS[$t]} $COMMON -DCROSS_DEBUG=$dbg tools/cross/core.c -Wl,--gc-sections \
            -Wl,-e,_start -lgcc -o "$base-core.elf"
        "${cc%-gcc}"-nm --size-sort -S -t d "$base-core.elf" | sort -k2,2nr > "$base-core.txt"
        ct=$(awk '$3 ~ /^[tTwW]$/ && $4 ~ /^slab_/ { s += $2 } END { print s + 0 }' "$base-core.txt")
        read -r _ cr cd cb < <(sections "$cc" "$base-core.elf")
        # The keep table of core.c is the image's own data, not the library's.
        keep=$(awk '$4 == "keep" { print $2 + 0 }' "$base-core.txt")
        row "$t" "$cfg" core "$ct" "$cr" "$((cd - ${keep:-0}))" "$cb"
        row "$t" "$cfg" library "$lt" "$lr" "$ld" "$lb"
        if [ $t = cortex-m4 ] && [ $cfg = release ] && [ "$BUDGET" -gt 0 ] &&
            [ "$ct" -ge "$BUDGET" ]; then over=$ct; fi
    done
done

echo
echo "== largest stack frames, cortex-m4 release (bytes; the library has no recursion)"
# awk reads all of sort's output: a reader that stops early (head) can kill sort with SIGPIPE,
# which pipefail turns into a failed run.
sort -t$'\t' -k2,2nr "$B/cortex-m4-release-lib.su" |
    awk -F'\t' 'NR <= 4 { n = split($1, a, ":"); printf "  %-24s %5d\n", a[n], $2 }'

echo
echo "== examples/embedded.c linked bare-metal (SLAB_DEBUG=0, assertions on, 32 KiB arena)"
row target "" image .text .rodata .data .bss
for t in $TARGETS; do
    cc=${CC[$t]} ld=examples/embedded_cm4.ld
    [ $t = rv32imac ] && ld=examples/embedded_rv32.ld
    $cc ${FLAGS[$t]} $COMMON -T $ld -Wl,--gc-sections examples/embedded.c -lgcc \
        -o "$B/embedded-$t.elf"
    read -r et er ed eb < <(sections "$cc" "$B/embedded-$t.elf")
    row "$t" "" embedded "$et" "$er" "$ed" "$eb"
done

echo
if [ "$over" -ne 0 ]; then
    echo "FAIL: release core on cortex-m4 has $over bytes of .text, budget $BUDGET;" \
        "largest functions ($B/cortex-m4-release-core.txt):"
    head -n 15 "$B/cortex-m4-release-core.txt"
    exit 1
fi
ct=$(awk '$3 ~ /^[tTwW]$/ && $4 ~ /^slab_/ { s += $2 } END { print s + 0 }' \
    "$B/cortex-m4-release-core.txt")
if [ "$BUDGET" -gt 0 ]; then
    echo "cross: ok (cortex-m4 release core .text $ct bytes, budget $BUDGET)"
else
    echo "cross: ok (cortex-m4 release core .text $ct bytes; budget check off, goal 8192)"
fi
