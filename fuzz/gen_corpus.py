#!/usr/bin/env python3
"""Writes the hand-made seed programs of fuzz/corpus/ (seed-*.bin). Each seed is a program for
the interpreter of fuzz/fuzz_slab.c (format: fuzz/README.md); together they reach every
operation. Run from the repository root: python3 fuzz/gen_corpus.py"""
import os
import struct

OPS = ["check", "cache_create", "cache_destroy", "cache_alloc", "cache_zalloc", "cache_free",
       "bulk_alloc", "bulk_free", "kmalloc", "kfree", "realloc", "ksize", "vmalloc", "vfree",
       "pages_alloc", "pages_free", "cache_shrink", "heap_shrink", "shrinker_reg",
       "shrinker_unreg", "add_region", "misuse", "fault", "reinit", "max_alloc", "side_heap",
       "dump"]
OP = {name: i for i, name in enumerate(OPS)}
PAGE = {0: 0, 256: 1, 512: 2, 1024: 3, 2048: 4, 4096: 5, 8192: 6, 65536: 7}


def u16(v):
    return struct.pack("<H", v & 0xFFFF)


def header(page=4096, size=None, npages=None, offset=0, leaks=0, teardown=False, selective=False,
           inject=0, a1=0, a2=0):
    """inject: 0 none, 1 fail_nth = 1 + a1, 2 fail_every = 2 + a1 % 64, 3 should_fail (mode a1)."""
    h0 = PAGE[page] | (0x40 if teardown else 0) | (0x80 if selective else 0)
    h0 |= {0: 0, 1: 1, -1: 2}[leaks] << 4
    if npages is not None:
        h0 |= 8
        v = npages - 1
    else:
        v = (size if size is not None else 256 << 10) // 16
        offset |= ((size or 0) % 16) << 12
    return bytes([h0]) + u16(v) + u16(offset) + bytes([inject, a1, a2])


def op(name, *args):
    out = bytes([OP[name]])
    for a in args:
        out += a if isinstance(a, bytes) else bytes([a & 0xFF])
    return out


def size(mode, v, hi=0):
    """draw_size(): mode 0 v&15, 1 v&127, 2 v&1023, 3 class boundary, 4 v&8191, 5 v, 6 v*16,
    7 special (hi selects: 0 SIZE_MAX-v, 1 2^40, 2 SIZE_MAX/2+v, 3 kmax+, 4 kmax-, 5 pages)."""
    return bytes([mode | (hi << 3)]) + u16(v)


def create(size_mode=1, sz=40, align_sel=0, flags=0, ctor=0, name=1):
    return op("cache_create", size_mode | (align_sel << 4), flags, u16(sz), ctor, name)


SEEDS = {}

# Caches: create with and without constructors, alloc, zalloc, free, destroy, shrink.
SEEDS["caches"] = header() + create(1, 40) + create(1, 100, 0, 1, 1, 2) + create(0, 8, 4, 4) + \
    b"".join(op("cache_alloc", i % 3) for i in range(40)) + \
    op("cache_zalloc", 0) + op("cache_zalloc", 1) + \
    b"".join(op("cache_free", u16(i * 7), i & 1) for i in range(20)) + \
    op("cache_shrink", 1) + op("cache_destroy", 2, 1) + op("cache_destroy", 0, 0xc0) + op("dump", 3)

# Bulk alloc and free, with NULLs, and each kind of refused bulk free.
SEEDS["bulk"] = header(page=1024, size=300 << 10) + create(1, 24) + create(1, 72, 3, 0, 1) + \
    op("bulk_alloc", 0, 40) + op("bulk_alloc", 1, 17) + op("bulk_alloc", 0, 0) + \
    op("bulk_alloc", 0, 0x85) + \
    b"".join(op("bulk_free", 0, 5, (m << 4) | 1, 2, m) for m in range(1, 8)) + \
    op("bulk_free", 0, 10, 1, 0, 0) + op("bulk_free", 1, 63, 0, 0, 0) + op("check")

# kmalloc family: every variant, class boundaries, absurd sizes, frees and double frees.
kmalloc = header(page=4096, size=512 << 10)
for i in range(31):
    kmalloc += op("kmalloc", 0, 0, size(3, i, (i % 3)))
kmalloc += op("kmalloc", 1, 0, size(1, 100)) + op("kmalloc", 2, 5, size(2, 300)) + \
    op("kmalloc", 2, 0x83, size(2, 300)) + op("kmalloc", 3, 7, size(1, 50)) + \
    op("kmalloc", 3, 0xc1, size(1, 50)) + op("kmalloc", 4, 0, size(5, 9000)) + \
    op("kmalloc", 5, 0, size(2, 700)) + op("kmalloc", 0, 0, size(7, 5, 0)) + \
    op("kmalloc", 0, 0, size(7, 5, 1)) + op("kmalloc", 0, 0, size(0, 0))
for i in range(12):
    kmalloc += op("kfree", u16(i * 5), (i % 4) << 1 | 1 | ((i // 4) << 2))
kmalloc += op("ksize", u16(3)) + op("check")
SEEDS["kmalloc"] = kmalloc

# realloc: grow and shrink in the classes and on the large path, NULL, to zero, kv variants.
realloc = header(page=2048, size=600 << 10)
for i in range(6):
    realloc += op("kmalloc", 0, 0, size(2, 100 + i * 150))
realloc += op("kmalloc", 0, 0, size(4, 7000)) + op("vmalloc", 2, u16(10))
for i in range(16):
    realloc += op("realloc", i & 1, u16(i), size([1, 2, 4, 6][i % 4], 37 * i + 5))
realloc += op("realloc", 6, u16(0), size(2, 500)) + op("realloc", 7, u16(0), size(4, 8000)) + \
    op("realloc", 0, u16(1), size(0, 0)) + op("realloc", 1, u16(2), size(7, 3, 0))
SEEDS["realloc"] = realloc

# vmalloc family and pages, with double frees and max_alloc.
SEEDS["vmalloc_pages"] = header(page=4096, npages=120) + \
    op("vmalloc", 0, u16(5000)) + op("vmalloc", 1, u16(0x0305)) + op("vmalloc", 9, u16(100)) + \
    op("vmalloc", 4, u16(800)) + op("vmalloc", 6, u16(3)) + op("vmalloc", 0, u16(0)) + \
    op("pages_alloc", 0) + op("pages_alloc", 2) + op("pages_alloc", 0xf3) + op("pages_alloc", 5) + \
    op("vfree", u16(0), 0b11) + op("vfree", u16(1), 0b101) + op("vfree", u16(0), 0b1011) + \
    op("pages_free", u16(0), 1) + op("pages_free", u16(0), 3) + op("max_alloc", 0) + \
    op("max_alloc", 1) + op("ksize", u16(1)) + op("check")

# Reclaim: shrinkers (every behaviour), heap shrink, pressure from a small heap.
reclaim = header(page=256, size=40 << 10) + create(1, 64) + create(1, 40, 0, 0, 1) + \
    op("shrinker_reg", 0x0f, 4, 0x01) + op("shrinker_reg", 0x03, 0x80, 0x06) + \
    op("shrinker_reg", 0x01, 2, 0x08) + op("shrinker_reg", 0x0f, 1, 0x10)
for i in range(60):
    reclaim += op("cache_alloc", i & 1) + op("kmalloc", 0, 0, size(1, 60 + i))
reclaim += op("vmalloc", 2, u16(600)) + op("heap_shrink") + op("shrinker_reg", 0, 0, 0xc1) + \
    op("shrinker_unreg", 0x21) + op("shrinker_unreg", 0xc0) + op("shrinker_unreg", 0xc1) + \
    op("pages_alloc", 3) + op("heap_shrink")
SEEDS["reclaim"] = reclaim

# Regions: add_region of every kind, allocations that need the new regions.
regions = header(page=512, size=20 << 10) + op("add_region", 0, u16(30000), u16(7)) + \
    op("add_region", 8, u16(100), u16(3)) + op("add_region", 4, u16(10), u16(10)) + \
    op("add_region", 5, u16(10), u16(10)) + op("add_region", 6, u16(0), u16(0)) + \
    op("add_region", 7, u16(0), u16(0)) + op("add_region", 0, u16(50000), u16(4095))
for i in range(20):
    regions += op("vmalloc", 2, u16(200 + i * 40)) + op("kmalloc", 0, 0, size(2, 200 + i))
regions += op("add_region", 1, u16(65535), u16(123)) + op("check")
SEEDS["regions"] = regions

# Misuse: every kind, against every family.
misuse = header(page=4096, size=400 << 10) + create(1, 48) + create(1, 200, 0, 0, 1) + \
    op("cache_alloc", 0) + op("cache_alloc", 1) + op("kmalloc", 0, 0, size(1, 30)) + \
    op("kmalloc", 0, 0, size(4, 7000)) + op("vmalloc", 0, u16(3000)) + op("pages_alloc", 1)
for k in range(10):
    for fn in range(9):
        misuse += op("misuse", k | ((fn * 16) & 0xf0), fn, u16(k * 3 + fn), u16(fn * 77 + 1))
misuse += op("cache_free", u16(0), 1) + op("cache_free", u16(0), 3) + op("cache_free", u16(0), 5)
SEEDS["misuse"] = misuse

# Fault injection: fail_nth, fail_every, should_fail in each mode, with PANIC caches.
SEEDS["fault_nth"] = header(inject=1, a1=4) + create(1, 32, 0, 2) + \
    b"".join(op("cache_alloc", 0) + op("kmalloc", 0, 0, size(1, 20)) for _ in range(8))
SEEDS["fault_every"] = header(inject=2, a1=1) + create(1, 32) + \
    b"".join(op("bulk_alloc", 0, 9) + op("vmalloc", 0, u16(4000)) + op("pages_alloc", 0)
             for _ in range(6)) + op("shrinker_reg", 15, 3, 0) + op("realloc", 0, u16(0), size(2, 90))
SEEDS["fault_should"] = header(inject=3, a1=3, a2=60) + create(1, 32, 0, 2) + \
    op("fault", 1, 3) + b"".join(op("cache_alloc", 0) for _ in range(6)) + op("fault", 2, 10) + \
    op("kmalloc", 0, 0, size(2, 900)) + op("fault", 4, 0) + op("vmalloc", 0, u16(10)) + \
    op("fault", 0, 0) + op("cache_create", 1, 0, u16(64), 0, 1)

# Heap life: re-init with other page sizes and offsets, leak reports, side heaps.
life = header(page=8192, size=900 << 10, offset=123, leaks=1) + create(1, 500) + \
    op("cache_alloc", 0) + op("kmalloc", 0, 0, size(2, 200)) + op("vmalloc", 0, u16(20000)) + \
    op("pages_alloc", 1) + op("side_heap", 3, 5, u16(10)) + op("side_heap", 0x85, 0, u16(1)) + \
    op("side_heap", 0xc2, 0, u16(2)) + op("reinit") + \
    header(page=65536, size=1000 << 10, offset=4000, leaks=-1) + op("kmalloc", 0, 0, size(5, 30000)) + \
    op("reinit") + header(page=256, size=100) + op("check") + op("reinit") + \
    header(page=0, npages=3, leaks=1, teardown=True) + create(1, 16) + op("cache_alloc", 0)
SEEDS["heap_life"] = life

# Teardown that frees everything, after a bit of everything.
SEEDS["teardown"] = header(page=1024, size=200 << 10, teardown=True, leaks=1) + create(1, 56) + \
    create(2, 3000, 7, 1, 1) + op("bulk_alloc", 0, 30) + op("cache_alloc", 1) + \
    op("kmalloc", 0, 0, size(2, 600)) + op("vmalloc", 0, u16(5000)) + op("pages_alloc", 2) + \
    op("shrinker_reg", 15, 0, 0) + op("dump", 1)

# Odd geometry: every page size, region_size sizing, unaligned bases, big and tiny objects.
for ps in (256, 512, 2048, 65536):
    SEEDS["geometry_%d" % ps] = header(page=ps, npages=9, offset=ps // 3 + 5) + \
        create(3, 4000, 0, 1) + create(0, 1, 12) + create(2, 9000, 14) + create(3, 40000) + \
        b"".join(op("cache_alloc", i) for i in range(8)) + op("pages_alloc", 0x20) + \
        op("kmalloc", 0, 0, size(7, 0, 3)) + op("kmalloc", 3, 9, size(2, 1000)) + op("dump", 0)

# Late double frees (not the object freed last): refused in SLAB_HARDEN=1 and SLAB_DEBUG=1 builds,
# skipped by the others.
SEEDS["late_double_free"] = header() + create(1, 48) + \
    b"".join(op("cache_alloc", 0) for _ in range(4)) + op("kmalloc", 0, 0, size(1, 20)) + \
    op("kmalloc", 0, 0, size(1, 20)) + op("cache_free", u16(0), 0) + op("cache_free", u16(0), 0) + \
    op("kfree", u16(0), 0) + op("kfree", u16(0), 0) + \
    b"".join(op("misuse", 9 | (i & 1) << 4, 0, u16(i), u16(0)) for i in range(4))

# Debug-flag caches (only where the header has them) and debug_selective.
SEEDS["debug_flags"] = header(selective=True) + create(1, 40, 0, 0x08) + create(1, 40, 0, 0x10) + \
    create(1, 40, 0, 0x20, 1) + create(1, 40, 0, 0x38) + \
    b"".join(op("cache_alloc", i % 4) + op("cache_free", u16(i), 0) for i in range(16)) + \
    op("kmalloc", 0, 0, size(1, 33))


# Regression inputs (fuzz/crashes/): one per finding in slab.h, minimal. `make test` replays
# them; each fails until its bug is fixed (FUZZ_TOLERATE bit in fuzz/fuzz_slab.c).
REGRESSIONS = {}
# bit 1: ksize of an object freed just before (typed cache, then kmalloc class): 0, reported.
REGRESSIONS["ksize-after-free-cache"] = header() + create(1, 40) + op("cache_alloc", 0) + \
    op("cache_free", u16(0), 1 | (2 << 1))
REGRESSIONS["ksize-after-free-kmalloc"] = header() + op("kmalloc", 0, 0, size(1, 30)) + \
    op("kfree", u16(0), 2 | (2 << 2))
# bit 2: krealloc shrinking a large block to a class size succeeds in place, yet reports NOMEM.
REGRESSIONS["krealloc-shrink-reports-nomem"] = header(inject=3, a1=0, a2=0) + \
    op("kmalloc", 0, 0, size(4, 7000)) + op("fault", 1, 1) + op("realloc", 0, u16(0), size(1, 50))
# bit 4: kmalloc_aligned(0, 512) returns a block (1 << 64 in the size round-up).
REGRESSIONS["kmalloc-aligned-size0"] = header() + op("kmalloc", 3, 9, size(0, 0))
# bit 8: a shrinker allocating from the cache whose refill ran out of pages (found by afl++,
# minimized): a 128 KiB block fills the heap; cache_zalloc reclaims; the shrinker frees the block
# and allocates from the same cache; the refill then installs a second active slab.
REGRESSIONS["shrinker-alloc-same-cache"] = bytes([
    10, 12, 231, 0, 0, 0, 0, 0, 10, 0, 0, 0, 255, 255, 0, 1, 10, 0, 0, 246, 0, 1, 160, 0, 0, 0,
    0, 18, 0, 0, 4, 4])

# bit 16: slab_heap_shrink's result leaves out slabs released by the shrinkers' own frees (found
# by afl++, minimized): 928-byte objects from a bulk alloc, a shrinker that frees them.
REGRESSIONS["heap-shrink-result-short"] = bytes([
    0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 1, 160, 3, 0, 1, 222, 0, 127, 1, 0, 0, 0, 0, 0, 0, 199, 0, 0,
    0, 0, 0, 0, 35, 0, 0, 0, 0, 0, 207, 0, 128, 0, 71])

# a shrinker making the kmalloc class whose first use started the reclaim (found by afl++ in
# CI, minimized): the outer kmalloc's new cache replaced the shrinker's, so the class had two
# caches and the figures of the one the heap kept missed the outer object.
REGRESSIONS["shrinker-makes-kmalloc-class"] = bytes([
    9, 8, 231, 0, 0, 0, 0, 0, 1, 0, 0, 236, 0, 0, 1, 6, 0, 89, 1, 226, 0, 0, 50, 0, 1, 14, 0, 8,
    0, 0, 3, 4, 3, 3, 1, 1, 0, 0, 40, 0, 0, 1, 8, 8, 8, 0, 8, 0, 8, 8, 1, 0, 0, 0, 1, 1, 0, 64,
    0, 0, 1, 1, 0, 0, 40, 0, 0, 1, 18, 0, 4, 0, 18, 0, 128, 6, 1, 0, 0, 8, 0, 0, 1, 255, 0, 0,
    62, 3, 1, 8, 0, 0, 3, 1, 8])

# slab_heap_shrink counting in its result the parked runs it gave back (found by libFuzzer in CI,
# minimized): a one-page vmalloc block and a shrinker of every kind; heap_shrink's shrinker
# vfrees the block, whose run is parked, then given back by heap_shrink, which counted its page
# although no cache released one.
REGRESSIONS["heap-shrink-counts-parked-runs"] = bytes([
    0, 0, 0, 0, 0, 0, 0, 0, 12, 0, 0, 1, 18, 0, 0, 0, 17])


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    os.makedirs(out, exist_ok=True)

    for name, data in SEEDS.items():
        path = os.path.join(out, "seed-%s.bin" % name)
        with open(path, "wb") as f:
            f.write(data)
        print("%-40s %5d bytes" % (path, len(data)))
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "crashes")
    os.makedirs(out, exist_ok=True)
    for name, data in REGRESSIONS.items():
        path = os.path.join(out, "%s.bin" % name)
        with open(path, "wb") as f:
            f.write(data)
        print("%-40s %5d bytes" % (path, len(data)))



if __name__ == "__main__":
    main()
