/* fuzz/fuzz_slab.c - the fuzzing harness of slab.h: it reads its input as a program of
   operations on a heap, keeps a shadow model of every live block, and checks the library
   against the model after every operation. Any violated check prints one line starting with
   "fuzz_slab: VIOLATION" and calls abort(). The input format and the list of checks are in
   fuzz/README.md.

   One source, three builds (see the fuzzing section of the Makefile):
     afl++      afl-clang-fast: persistent mode with the shared-memory test case (own main())
     libFuzzer  clang -fsanitize=fuzzer,address,undefined: LLVMFuzzerTestOneInput only
     replay     -DFUZZ_REPLAY_MAIN: main() runs every file and directory named on the command
                line (used by `make test` over fuzz/corpus and fuzz/crashes)
   Each in release (SLAB_DEBUG 0, the default) and debug (-DSLAB_DEBUG=1) flavours.

   The library's error hook is the harness's own (it records each report and never aborts),
   and SLAB_ABORT() is redirected, so a SLAB_PANIC abort is counted and checked rather than
   ending the run: error paths keep their coverage. */
#if defined(FUZZ_REPLAY_MAIN) && defined(__AFL_FUZZ_TESTCASE_LEN)
#error "FUZZ_REPLAY_MAIN with afl-clang-fast: afl++ would link the replay main() and never feed it"
#endif

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fz_lib_abort(void);
#define SLAB_ABORT() fz_lib_abort()
#define SLAB_IMPLEMENTATION
#include "slab.h"

/* Newer slab.h versions have a debugging layer with its own cache flags and a validate call;
   the harness uses them where the header has them. */
#ifdef SLAB_RED_ZONE
#define FZ_HAVE_DEBUG_API 1
#define FZ_DEBUG_FLAGS (SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER)
#else
#define FZ_HAVE_DEBUG_API 0
#define FZ_DEBUG_FLAGS 0u
#endif
/* The harness's own hot loops (patterns, model scans) give the fuzzers no useful feedback, and
   libFuzzer's compare hooks on every byte would cost most of the time: not instrumented. */
#if defined(__clang__) && __clang_major__ >= 13
#define FZ_NOCOV __attribute__((no_sanitize("coverage")))
#else
#define FZ_NOCOV
#endif
/* Builds that promise to refuse every double free, not only the immediate one: SLAB_HARDEN=1,
   and SLAB_DEBUG=1 when every cache gets the debug checks (debug_selective 0). */
#ifndef SLAB_HARDEN
#define SLAB_HARDEN 0
#endif
#define FZ_EVERY_DOUBLE_FREE (SLAB_HARDEN || (SLAB_DEBUG && !fz.debug_selective))
#define FZ_FREED_RING 16
#define FZ_PUBLIC_FLAGS (SLAB_HWCACHE_ALIGN | SLAB_PANIC | SLAB_RECLAIM_ACCOUNT | FZ_DEBUG_FLAGS)

/* Known open bugs of slab.h that a build may choose to step over (each bit skips the one check
   that finds it), so a fuzzing campaign can look for others meanwhile. 0, the default, checks
   everything; CI and `make test` use the default. All five are fixed as of e4108f7; the bits
   stay for fuzzing older versions. See fuzz/README.md, "Known bugs".
     1  slab_ksize of an object freed just before returns its size, unreported
     2  a krealloc/kvrealloc that succeeds by shrinking a large block in place, because the
        kmalloc class had no memory, reports NOMEM (and counts an OOM) all the same
     4  slab_kmalloc_aligned(heap, 0, align > 16) shifts by 64 (undefined) and returns a block
     8  an allocation a shrinker makes from the cache whose refill started the reclaim leaves a
        slab on no list (the refill installs another active slab over it)
    16  slab_heap_shrink's result leaves out the slabs that the shrinkers' own frees released */
#ifndef FUZZ_TOLERATE
#define FUZZ_TOLERATE 0
#endif

/* ------------------------------------------------------------------------------------------
   Limits and the arena: every region the harness hands the library lies in one static arena,
   in fixed slots with gaps between them (pointers into a gap are foreign to every heap). */

#define FZ_PRIMARY_MAX (1u << 20)   /* the first region: at most 1 MiB (+15) */
#define FZ_EXTRA_MAX (256u << 10)   /* each added region */
#define FZ_NEXTRA 3
#define FZ_SCRATCH_MAX (320u << 10) /* side heaps: slab_heap_region_size checks, init misuse */
#define FZ_SLOT_PAD (80u << 10)     /* base offsets (< 4 KiB), 64 KiB pages and a gap */
#define FZ_SLOT_PRIMARY 0u
#define FZ_SLOT_EXTRA(i) (FZ_PRIMARY_MAX + FZ_SLOT_PAD + (size_t)(i) * (FZ_EXTRA_MAX + FZ_SLOT_PAD))
#define FZ_SLOT_SCRATCH FZ_SLOT_EXTRA(FZ_NEXTRA)
#define FZ_SLOT_GAP (FZ_SLOT_SCRATCH + FZ_SCRATCH_MAX + FZ_SLOT_PAD)
#define FZ_ARENA_SIZE (FZ_SLOT_GAP + 4096u)
#define FZ_ARENA_ALIGN 65536u

#define FZ_MAX_BLOCKS 1024
#define FZ_MAX_CACHES 8
#define FZ_MAX_SHRINKERS 4
#define FZ_MAX_OPS 1500
#define FZ_MAX_REPORTS 256
#define FZ_MAX_LISTED 96 /* caches listed through slab_heap_for_each_cache */
#define FZ_BULK_MAX 64
#define FZ_FULL_CHECK_BYTES (16u << 10) /* live bytes up to which every op checks every byte */

static unsigned char fz_arena_store[FZ_ARENA_SIZE + FZ_ARENA_ALIGN];
static unsigned char *fz_arena;
static unsigned char fz_foreign[64]; /* a global that no heap owns */

/* ------------------------------------------------------------------------------------------
   The shadow model. */

enum { K_CACHE = 1, K_KMALLOC = 2, K_VMALLOC = 4, K_PAGES = 8, K_ANY = 15 };
enum { FILL_SEED, FILL_CTOR, FILL_NONE };

typedef struct fz_block {
    unsigned char *p;
    size_t size;   /* bytes asked for */
    size_t usable; /* bytes the program uses: ksize for the kmalloc/vmalloc families */
    size_t lpages; /* pages of the heap's large_pages this block holds (large runs) */
    unsigned kind;
    int cache;     /* K_CACHE: index into fz.c */
    unsigned order; /* K_PAGES */
    uint8_t seed;
    uint8_t fill;
    uint8_t live;
} fz_block;

typedef struct fz_cache {
    slab_cache *c;
    size_t size, align_req, exp_align, objperslab;
    unsigned flags;
    int has_ctor, used;
    uint8_t ctor_seed;
    size_t live, ctor_calls;
    char name[48];
} fz_cache;

/* Shrinker behaviour bits. */
enum {
    SH_NESTED_SHRINK = 1, /* calls slab_heap_shrink from inside (must do nothing, return 0) */
    SH_ALLOC_KMALLOC = 2, /* allocates a kmalloc block while reclaim runs */
    SH_ALLOC_CACHE = 4,   /* allocates an object of the first user cache while reclaim runs */
    SH_SELF_UNREG = 8,    /* unregisters itself from its scan */
    SH_COUNT_ZERO = 16    /* count always says 0: scan must not be called */
};

typedef struct fz_shrinker {
    slab_shrinker *s;
    unsigned mask, max, flags;
    size_t last_count;
    int used, counted;
} fz_shrinker;

typedef struct fz_region {
    unsigned char *lo;
    size_t size;
} fz_region;

typedef struct fz_rep {
    slab_heap *heap;
    slab_error code;
    const void *ptr;
    char msg[120];
} fz_rep;

static struct fz_state {
    /* input */
    const uint8_t *in;
    size_t in_n, in_i;
    /* the heap under test */
    slab_heap *heap;
    size_t ps, kmax;
    int inject, leaks, debug_selective;
    fz_region reg[1 + FZ_NEXTRA];
    size_t nreg;
    unsigned extra_used;
    /* model */
    fz_block b[FZ_MAX_BLOCKS];
    size_t bhi, nlive, live_bytes;
    int pinned;
    uint8_t next_seed;
    fz_cache c[FZ_MAX_CACHES];
    fz_shrinker s[FZ_MAX_SHRINKERS];
    size_t oom;          /* NOMEM reports about fz.heap: must equal oom_count */
    struct {
        unsigned char *p;
        slab_cache *c;       /* the cache (user caches), NULL for kmalloc objects */
        unsigned kind;
    } freed[FZ_FREED_RING]; /* slab objects freed lately, for late double frees */
    unsigned nfreed;
    size_t panics, panics_expected;
    /* reports of the current operation */
    fz_rep rep[FZ_MAX_REPORTS];
    int nrep;
    int in_shrinker;
    size_t shrinker_allocs, shrinker_frees;
    slab_heap *sub; /* a side heap an operation is working on */
    int cur_cache;  /* the user cache the operation allocates from, or -1 */
    int cur_kmalloc; /* the operation allocates through the kmalloc family */
    /* should_fail */
    unsigned sf_mode, sf_arg;
    uint32_t sf_rng;
    /* bookkeeping */
    size_t opno;
    const char *opname;
    int trace;
} fz;

static void fz_fail(int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "fuzz_slab: VIOLATION (fuzz_slab.c:%d, op #%zu %s): ", line, fz.opno,
            fz.opname ? fz.opname : "-");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    abort();
}
#define FZ_CHECK(cond, ...)                                                                   \
    do {                                                                                      \
        if (!(cond))                                                                          \
            fz_fail(__LINE__, __VA_ARGS__);                                                   \
    } while (0)

static void fz_trace(const char *fmt, ...)
{
    va_list ap;
    if (!fz.trace)
        return;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------------------------------
   Input: bytes past the end read as 0. */

static unsigned in8(void) { return fz.in_i < fz.in_n ? fz.in[fz.in_i++] : 0u; }
static unsigned in16(void)
{
    unsigned lo = in8();
    return lo | in8() << 8;
}

/* ------------------------------------------------------------------------------------------
   Hooks given to the library. */

static void fz_hook(slab_heap *heap, slab_error code, const void *ptr, const char *msg, void *user)
{
    fz_rep *r;
    FZ_CHECK(user == &fz, "error hook got user %p, not the config's", user);
    FZ_CHECK(code > SLAB_ERR_OK && code < SLAB_ERR_COUNT, "error hook got code %d", (int)code);
    FZ_CHECK(msg != NULL, "error hook got a NULL message");
    FZ_CHECK(slab_error_name(code)[0] != '?', "code %d has no name", (int)code);
    fz_trace("    report %s (%p): %s\n", slab_error_name(code), ptr, msg);
    if (code == SLAB_ERR_NOMEM && heap == fz.heap && heap) {
        size_t i;
        fz.oom++;
        for (i = 0; i < FZ_MAX_CACHES; i++)
            if (fz.c[i].used && ptr == (const void *)fz.c[i].c && (fz.c[i].flags & SLAB_PANIC))
                fz.panics_expected++;
    }
    if (fz.in_shrinker) { /* a shrinker's frees are valid; only its allocations may fail */
        FZ_CHECK(code == SLAB_ERR_NOMEM, "report %s (%s) while a shrinker ran",
                 slab_error_name(code), msg);
        return;
    }
    FZ_CHECK(fz.nrep < FZ_MAX_REPORTS, "more than %d reports in one operation", FZ_MAX_REPORTS);
    r = &fz.rep[fz.nrep++];
    r->heap = heap;
    r->code = code;
    r->ptr = ptr;
    strncpy(r->msg, msg, sizeof r->msg - 1);
    r->msg[sizeof r->msg - 1] = '\0';
}

static void fz_lib_abort(void) { fz.panics++; }

static int fz_should_fail(slab_heap *heap, size_t size, void *user)
{
    FZ_CHECK(user == &fz, "should_fail got user %p", user);
    FZ_CHECK(heap == fz.heap, "should_fail got heap %p, not %p", (void *)heap, (void *)fz.heap);
    switch (fz.sf_mode & 7) {
    case 1: /* fail the next sf_arg allocations */
        if (fz.sf_arg) {
            fz.sf_arg--;
            return 1;
        }
        return 0;
    case 2: return size > (size_t)fz.sf_arg * 64;
    case 3:
        fz.sf_rng = fz.sf_rng * 1103515245u + 12345u;
        return (fz.sf_rng >> 24) < fz.sf_arg;
    case 4: return 1;
    default: return 0;
    }
}

/* ------------------------------------------------------------------------------------------
   Reports expected of an operation. */

static void rep_reset(void) { fz.nrep = 0; }

static void rep_dump(void)
{
    int i;
    for (i = 0; i < fz.nrep; i++)
        fprintf(stderr, "  report %d: %s ptr %p: %s\n", i, slab_error_name(fz.rep[i].code),
                fz.rep[i].ptr, fz.rep[i].msg);
}

static void expect_none(const char *what)
{
    if (fz.nrep) {
        rep_dump();
        fz_fail(__LINE__, "%s: expected no report, got %d (first %s: %s)", what, fz.nrep,
                slab_error_name(fz.rep[0].code), fz.rep[0].msg);
    }
}

#define FZ_ANYPTR ((const void *)&fz_foreign[1])
/* Exactly one report, of this code (and pointer, unless FZ_ANYPTR), about heap h. */
static void expect_one_h(slab_heap *h, slab_error code, const void *ptr, const char *what)
{
    if (fz.nrep != 1 || fz.rep[0].code != code || (ptr != FZ_ANYPTR && fz.rep[0].ptr != ptr) ||
        fz.rep[0].heap != h) {
        rep_dump();
        fz_fail(__LINE__, "%s: expected exactly one %s report (ptr %p, heap %p), got %d (first %s)",
                what, slab_error_name(code), ptr, (void *)h, fz.nrep,
                fz.nrep ? slab_error_name(fz.rep[0].code) : "-");
    }
}
static void expect_one(slab_error code, const void *ptr, const char *what)
{
    expect_one_h(fz.heap, code, ptr, what);
}

/* ------------------------------------------------------------------------------------------
   Contents: every live block holds a pattern only its own seed produces, made of 64-bit words
   (word k of a block with seed s is a mix of s and k), so that filling and checking go a word
   at a time. Byte i is byte i % 8 of word i / 8, least significant first. */

FZ_NOCOV static uint64_t pword(uint8_t seed, size_t k, int ctor)
{
    uint64_t x = (uint64_t)seed * 0x0101010101010101u ^ (uint64_t)(k + 1) * 0x9e3779b97f4a7c15u;
    return ctor ? ~x ^ 0xa5a5a5a5a5a5a5a5u : x ^ (x >> 29);
}

FZ_NOCOV static int fz_little_endian(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

FZ_NOCOV static uint8_t pbyte(uint8_t seed, size_t i, int ctor)
{
    return (uint8_t)(pword(seed, i / 8, ctor) >> (8 * (i % 8)));
}

FZ_NOCOV static void fill_pattern(unsigned char *p, size_t n, uint8_t seed, int ctor)
{
    size_t i = 0;
    if (fz_little_endian())
        for (; i + 8 <= n; i += 8) {
            uint64_t w = pword(seed, i / 8, ctor);
            memcpy(p + i, &w, 8);
        }
    for (; i < n; i++)
        p[i] = pbyte(seed, i, ctor);
}
static void fill_seed(unsigned char *p, size_t n, uint8_t seed) { fill_pattern(p, n, seed, 0); }
static void fill_ctor(unsigned char *p, size_t n, uint8_t seed) { fill_pattern(p, n, seed, 1); }

static uint8_t new_seed(void)
{
    fz.next_seed = (uint8_t)(fz.next_seed + 37u);
    return fz.next_seed;
}

FZ_NOCOV static uint8_t block_seed(const fz_block *b)
{
    return b->fill == FILL_CTOR ? fz.c[b->cache].ctor_seed : b->seed;
}

static void check_byte(const fz_block *b, size_t i)
{
    uint8_t want = pbyte(block_seed(b), i, b->fill == FILL_CTOR);
    if (b->p[i] != want)
        fz_fail(__LINE__, "contents of live block %p (kind %u, %zu usable bytes) changed at "
                "offset %zu: 0x%02x, expected 0x%02x",
                (void *)b->p, b->kind, b->usable, i, b->p[i], want);
}

/* The 8 bytes at offset i (a multiple of 8, i + 8 <= usable). */
FZ_NOCOV static void check_word(const fz_block *b, size_t i)
{
    uint64_t w;
    size_t j;
    memcpy(&w, b->p + i, 8);
    if (fz_little_endian() && w == pword(block_seed(b), i / 8, b->fill == FILL_CTOR))
        return;
    for (j = 0; j < 8; j++)
        check_byte(b, i + j);
}

/* full: every byte; else the first and last 16 bytes and one word in 64 bytes. */
FZ_NOCOV static void verify_block(const fz_block *b, int full)
{
    size_t i, n = b->usable, step = full || n <= 128 ? 8 : 64;
    if (b->fill == FILL_NONE)
        return;
    for (i = 0; i + 8 <= n; i += step)
        check_word(b, i);
    for (i = n >= 16 ? n - 16 : 0; i < n; i++)
        check_byte(b, i);
    if (!full)
        for (i = 8; i < 16 && i < n; i++)
            check_byte(b, i);
}

FZ_NOCOV static void verify_all(int full)
{
    size_t i;
    for (i = 0; i < fz.bhi; i++)
        if (fz.b[i].live)
            verify_block(&fz.b[i], full);
}

/* The offset of the first nonzero byte of p[0..n), or n. */
FZ_NOCOV static size_t first_nonzero(const unsigned char *p, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w)
            break;
    }
    for (; i < n && !p[i]; i++)
        ;
    return i;
}

/* ------------------------------------------------------------------------------------------
   Model blocks. */

static int blk_room(size_t n) { return fz.nlive + n + 8 <= FZ_MAX_BLOCKS; }

FZ_NOCOV static int in_regions(const unsigned char *p, size_t n)
{
    size_t i;
    for (i = 0; i < fz.nreg; i++)
        if (p >= fz.reg[i].lo && n <= fz.reg[i].size && (size_t)(p - fz.reg[i].lo) <= fz.reg[i].size - n)
            return 1;
    return 0;
}

static size_t pages_of(size_t bytes) { return (bytes + fz.ps - 1) / fz.ps; }

/* Adds a block after checking where it lies: inside one region, clear of the heap's header
   and of every other live block. Returns its index. */
static int blk_add(void *vp, size_t size, size_t usable, unsigned kind, int cache, size_t lpages,
                   unsigned order)
{
    unsigned char *p = (unsigned char *)vp;
    size_t i, slot = FZ_MAX_BLOCKS;
    FZ_CHECK(usable >= size && usable > 0, "block %p: usable %zu < size %zu", vp, usable, size);
    FZ_CHECK(in_regions(p, usable), "block %p (+%zu) is not inside one of the heap's regions", vp,
             usable);
    FZ_CHECK(p >= (unsigned char *)fz.heap + 64 || p + usable <= (unsigned char *)fz.heap,
             "block %p overlaps the heap header at %p", vp, (void *)fz.heap);
    for (i = 0; i < fz.bhi; i++) {
        const fz_block *o = &fz.b[i];
        if (!o->live) {
            if (slot == FZ_MAX_BLOCKS)
                slot = i;
            continue;
        }
        FZ_CHECK(p + usable <= o->p || o->p + o->usable <= p,
                 "block %p (+%zu, kind %u) overlaps live block %p (+%zu, kind %u)", vp, usable,
                 kind, (void *)o->p, o->usable, o->kind);
    }
    if (slot == FZ_MAX_BLOCKS) {
        FZ_CHECK(fz.bhi < FZ_MAX_BLOCKS, "model full");
        slot = fz.bhi++;
    }
    fz.b[slot].p = p;
    fz.b[slot].size = size;
    fz.b[slot].usable = usable;
    fz.b[slot].lpages = lpages;
    fz.b[slot].kind = kind;
    fz.b[slot].cache = cache;
    fz.b[slot].order = order;
    fz.b[slot].seed = new_seed();
    fz.b[slot].fill = FILL_SEED;
    fz.b[slot].live = 1;
    fz.nlive++;
    fz.live_bytes += usable;
    fz_trace("    + block %zu: %p (+%zu) kind %u\n", slot, vp, usable, kind);
    if (kind == K_CACHE)
        fz.c[cache].live++;
    return (int)slot;
}

static void blk_del(int i)
{
    fz_block *b = &fz.b[i];
    FZ_CHECK(b->live, "model: block %d is not live", i);
    b->live = 0;
    fz.nlive--;
    fz.live_bytes -= b->usable;
    if (b->kind == K_CACHE)
        fz.c[b->cache].live--;
    while (fz.bhi && !fz.b[fz.bhi - 1].live)
        fz.bhi--;
}

/* The sel-th (modulo) live block of a kind in mask, skipping the pinned one; -1 if none. */
FZ_NOCOV static int blk_pick(unsigned mask, unsigned sel)
{
    size_t i, n = 0, k;
    for (i = 0; i < fz.bhi; i++)
        n += fz.b[i].live && (fz.b[i].kind & mask) && (int)i != fz.pinned;
    if (!n)
        return -1;
    k = sel % n;
    for (i = 0; i < fz.bhi; i++)
        if (fz.b[i].live && (fz.b[i].kind & mask) && (int)i != fz.pinned && k-- == 0)
            return (int)i;
    return -1;
}

FZ_NOCOV static size_t model_large_pages(int except)
{
    size_t i, n = 0;
    for (i = 0; i < fz.bhi; i++)
        if (fz.b[i].live && (int)i != except)
            n += fz.b[i].lpages;
    return n;
}

FZ_NOCOV static size_t model_block_pages(void)
{
    size_t i, n = 0;
    for (i = 0; i < fz.bhi; i++)
        if (fz.b[i].live && fz.b[i].kind == K_PAGES)
            n += (size_t)1 << fz.b[i].order;
    return n;
}

static int cache_pick(unsigned sel)
{
    int i, n = 0, k;
    for (i = 0; i < FZ_MAX_CACHES; i++)
        n += fz.c[i].used;
    if (!n)
        return -1;
    k = (int)(sel % (unsigned)n);
    for (i = 0; i < FZ_MAX_CACHES; i++)
        if (fz.c[i].used && k-- == 0)
            return i;
    return -1;
}

/* ------------------------------------------------------------------------------------------
   Figures: the heap's, and every cache's through slab_heap_for_each_cache. */

typedef struct fz_list {
    size_t n;
    slab_cache *c[FZ_MAX_LISTED];
    slab_slabinfo si[FZ_MAX_LISTED];
} fz_list;

static int list_one(slab_cache *c, void *user)
{
    fz_list *l = (fz_list *)user;
    FZ_CHECK(l->n < FZ_MAX_LISTED, "more than %d caches", FZ_MAX_LISTED);
    l->c[l->n++] = c;
    return 0;
}

static void list_caches(slab_heap *h, fz_list *l)
{
    size_t i;
    l->n = 0;
    FZ_CHECK(slab_heap_for_each_cache(h, list_one, l) == 0, "for_each_cache returned nonzero");
    for (i = 0; i < l->n; i++)
        FZ_CHECK(slab_cache_info(l->c[i], &l->si[i]) == SLAB_ERR_OK, "cache_info of a listed cache failed");
}

typedef struct fz_snap {
    slab_heapinfo hi;
    fz_list l;
} fz_snap;

static void snap_take(fz_snap *s)
{
    FZ_CHECK(slab_heap_stats(fz.heap, &s->hi) == SLAB_ERR_OK, "heap_stats failed");
    list_caches(fz.heap, &s->l);
}

#define SAME(field) FZ_CHECK(a->field == b->field, "%s: " #field " changed: %zu -> %zu", what, \
                             (size_t)a->field, (size_t)b->field)
static void snap_same(const fz_snap *sa, const char *what)
{
    fz_snap now;
    const slab_heapinfo *a = &sa->hi, *b = &now.hi;
    size_t i;
    snap_take(&now);
    SAME(page_size);
    SAME(pages_total);
    SAME(pages_free);
    SAME(largest_free);
    SAME(max_order);
    for (i = 0; i < SLAB_MAX_ORDERS; i++)
        SAME(free_blocks[i]);
    SAME(slab_pages);
    SAME(reclaimable_pages);
    SAME(metadata_bytes);
    SAME(large_pages);
    SAME(block_pages);
    SAME(fragmentation);
    SAME(regions);
    SAME(num_caches);
    SAME(oom_count);
    FZ_CHECK(sa->l.n == now.l.n, "%s: number of caches changed", what);
    for (i = 0; i < now.l.n; i++) {
        const slab_slabinfo *x = &sa->l.si[i], *y = &now.l.si[i];
        FZ_CHECK(sa->l.c[i] == now.l.c[i], "%s: cache list changed", what);
        FZ_CHECK(x->active_objs == y->active_objs && x->cached_objs == y->cached_objs &&
                     x->num_objs == y->num_objs && x->active_slabs == y->active_slabs &&
                     x->num_slabs == y->num_slabs && x->objsize == y->objsize,
                 "%s: figures of cache %s changed (active %zu->%zu, cached %zu->%zu, slabs "
                 "%zu->%zu)",
                 what, y->name, x->active_objs, y->active_objs, x->cached_objs, y->cached_objs,
                 x->num_slabs, y->num_slabs);
    }
}
#undef SAME

/* The alignment a user cache promises: the caller's, or the size's natural one (at most 16),
   raised to the cache line (a fraction of it for small objects) with SLAB_HWCACHE_ALIGN. */
static size_t exp_cache_align(size_t size, size_t align, unsigned flags)
{
    size_t a = align;
    if (!a) {
        a = size & (~size + 1);
        if (a > 16)
            a = 16;
    }
    if (flags & SLAB_HWCACHE_ALIGN) {
        size_t line = 64;
        while (line > 1 && size <= line / 2)
            line /= 2;
        if (a < line)
            a = line;
    }
    return a ? a : 1;
}

static int is_pow2(size_t x) { return x && !(x & (x - 1)); }

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static size_t registered_shrinkers(void)
{
    size_t i, n = 0;
    for (i = 0; i < FZ_MAX_SHRINKERS; i++)
        n += fz.s[i].used;
    return n;
}

static int any_shrinker(unsigned flag)
{
    size_t i;
    for (i = 0; i < FZ_MAX_SHRINKERS; i++)
        if (fz.s[i].used && (fz.s[i].flags & flag))
            return 1;
    return 0;
}

/* Every check that holds between operations. */
static void check_all(void)
{
    slab_heapinfo hi;
    fz_list l;
    size_t i, j, free_pages = 0, largest = 0, slab_pages = 0, reclaim = 0, user = 0, regbytes = 0;
    struct {
        size_t size, n;
    } kcount[64];
    int r;
    rep_reset();
    r = slab_heap_check(fz.heap);
    if (r != 0) {
        rep_dump();
        fz_fail(__LINE__, "slab_heap_check returned %d", r);
    }
    expect_none("slab_heap_check");
    FZ_CHECK(slab_heap_stats(fz.heap, &hi) == SLAB_ERR_OK, "heap_stats failed");
    FZ_CHECK(hi.page_size == fz.ps, "page_size %zu, expected %zu", hi.page_size, fz.ps);
    for (i = 0; i < SLAB_MAX_ORDERS; i++) {
        free_pages += hi.free_blocks[i] << i;
        if (hi.free_blocks[i])
            largest = (size_t)1 << i;
        FZ_CHECK(!hi.free_blocks[i] || i <= hi.max_order, "free block of order %zu > max_order", i);
    }
    FZ_CHECK(free_pages == hi.pages_free, "free blocks hold %zu pages, pages_free says %zu",
             free_pages, hi.pages_free);
    FZ_CHECK(largest == hi.largest_free, "largest_free %zu, free blocks say %zu", hi.largest_free,
             largest);
    FZ_CHECK(hi.fragmentation ==
                 (hi.pages_free ? (unsigned)((hi.pages_free - largest) * 100 / hi.pages_free) : 0u),
             "fragmentation %u is not what pages_free and largest_free give", hi.fragmentation);
    FZ_CHECK(hi.pages_total == hi.pages_free + hi.slab_pages + hi.large_pages + hi.block_pages,
             "pages: total %zu != free %zu + slab %zu + large %zu + blocks %zu", hi.pages_total,
             hi.pages_free, hi.slab_pages, hi.large_pages, hi.block_pages);
    FZ_CHECK(hi.large_pages == model_large_pages(-1), "large_pages %zu, the model has %zu",
             hi.large_pages, model_large_pages(-1));
    FZ_CHECK(hi.block_pages == model_block_pages(), "block_pages %zu, the model has %zu",
             hi.block_pages, model_block_pages());
    FZ_CHECK(hi.regions == fz.nreg, "regions %zu, the model has %zu", hi.regions, fz.nreg);
    for (i = 0; i < fz.nreg; i++)
        regbytes += fz.reg[i].size;
    FZ_CHECK(hi.pages_total * fz.ps + hi.metadata_bytes == regbytes,
             "pages (%zu) and metadata (%zu bytes) do not add up to the regions' %zu bytes",
             hi.pages_total, hi.metadata_bytes, regbytes);
    FZ_CHECK(hi.oom_count == fz.oom, "oom_count %zu, but %zu NOMEM reports", hi.oom_count, fz.oom);
    FZ_CHECK(slab_heap_max_alloc(fz.heap) == hi.largest_free * fz.ps, "max_alloc disagrees");
    FZ_CHECK(fz.panics == fz.panics_expected, "SLAB_ABORT called %zu times, expected %zu",
             fz.panics, fz.panics_expected);

    memset(kcount, 0, sizeof kcount);
    for (i = 0; i < fz.bhi; i++)
        if (fz.b[i].live && fz.b[i].kind & (K_KMALLOC | K_VMALLOC) && !fz.b[i].lpages) {
            for (j = 0; j < 64 && kcount[j].n && kcount[j].size != fz.b[i].usable; j++)
                ;
            FZ_CHECK(j < 64, "more than 64 kmalloc sizes");
            kcount[j].size = fz.b[i].usable;
            kcount[j].n++;
        }
    list_caches(fz.heap, &l);
    FZ_CHECK(l.n == hi.num_caches, "num_caches %zu, for_each_cache visits %zu", hi.num_caches, l.n);
    FZ_CHECK(l.n >= 1 && strcmp(l.si[0].name, "slab_cache") == 0,
             "the first cache is not the cache of caches");
    for (i = 0; i < l.n; i++) {
        const slab_slabinfo *si = &l.si[i];
        int mine = -1;
        for (j = 0; j < FZ_MAX_CACHES; j++)
            if (fz.c[j].used && fz.c[j].c == l.c[i])
                mine = (int)j;
        slab_pages += si->num_slabs * si->pagesperslab;
        if (si->flags & SLAB_RECLAIM_ACCOUNT)
            reclaim += si->num_slabs * si->pagesperslab;
        FZ_CHECK(si->num_objs == si->num_slabs * si->objperslab,
                 "cache %s: num_objs %zu != %zu slabs * %zu", si->name, si->num_objs, si->num_slabs,
                 si->objperslab);
        FZ_CHECK(si->active_objs + si->cached_objs <= si->num_objs,
                 "cache %s: %zu active + %zu cached > %zu objects", si->name, si->active_objs,
                 si->cached_objs, si->num_objs);
        FZ_CHECK(si->active_slabs <= si->num_slabs, "cache %s: active_slabs > num_slabs", si->name);
        FZ_CHECK(si->objsize >= si->object_size && si->objperslab >= 1 &&
                     is_pow2(si->pagesperslab) && is_pow2(si->align),
                 "cache %s: bad geometry", si->name);
        FZ_CHECK(si->objperslab * si->objsize <= si->pagesperslab * fz.ps,
                 "cache %s: %zu objects of %zu bytes do not fit %zu pages", si->name,
                 si->objperslab, si->objsize, si->pagesperslab);
        if (mine >= 0) {
            const fz_cache *mc = &fz.c[mine];
            user++;
            FZ_CHECK(si->active_objs == mc->live, "cache %s: active_objs %zu, the model has %zu",
                     si->name, si->active_objs, mc->live);
            FZ_CHECK(si->object_size == mc->size && si->flags == mc->flags,
                     "cache %s: object_size/flags changed", si->name);
            FZ_CHECK(si->align % mc->exp_align == 0, "cache %s: align %zu, promised %zu", si->name,
                     si->align, mc->exp_align);
            FZ_CHECK(!mc->has_ctor || mc->ctor_calls % si->objperslab == 0,
                     "cache %s: %zu constructor calls, not whole slabs of %zu", si->name,
                     mc->ctor_calls, si->objperslab);
#if FZ_HAVE_DEBUG_API
            rep_reset();
            FZ_CHECK(slab_cache_validate(mc->c) == SLAB_ERR_OK, "slab_cache_validate(%s) failed",
                     si->name);
            expect_none("slab_cache_validate");
#endif
        } else if (i == 0) {
            FZ_CHECK(si->active_objs == l.n - 1, "the cache of caches holds %zu objects for %zu caches",
                     si->active_objs, l.n - 1);
        } else if (strcmp(si->name, "slab_shrinker") == 0) {
            FZ_CHECK(si->active_objs == registered_shrinkers(),
                     "shrinker cache holds %zu records for %zu shrinkers", si->active_objs,
                     registered_shrinkers());
        } else if (starts_with(si->name, "kmalloc-")) {
            size_t n = 0, k;
            for (k = 0; k < 64 && kcount[k].n; k++)
                if (kcount[k].size == si->object_size)
                    n = kcount[k].n;
            FZ_CHECK(si->active_objs == n, "cache %s: active_objs %zu, the model has %zu",
                     si->name, si->active_objs, n);
            FZ_CHECK(!is_pow2(si->object_size) ||
                         si->align >= (si->object_size < fz.ps ? si->object_size : fz.ps),
                     "cache %s: power-of-two class aligned to %zu only", si->name, si->align);
        } else {
            fz_fail(__LINE__, "unknown cache %s on the heap's list", si->name);
        }
    }
    for (i = 0; i < FZ_MAX_CACHES; i++)
        user -= fz.c[i].used != 0;
    FZ_CHECK(user == 0, "a user cache of the model is not on the heap's list");
    FZ_CHECK(slab_pages == hi.slab_pages, "caches hold %zu slab pages, heap_stats says %zu",
             slab_pages, hi.slab_pages);
    FZ_CHECK(reclaim == hi.reclaimable_pages, "reclaimable_pages %zu, caches say %zu",
             hi.reclaimable_pages, reclaim);
    verify_all(fz.live_bytes <= FZ_FULL_CHECK_BYTES);
    rep_reset();
}

/* Allocation failure that reclaim could not help, without fault injection: no block of the
   order the allocation needed may be free. */
static void check_no_block(size_t pages_needed, const char *what)
{
    slab_heapinfo hi;
    if (fz.inject)
        return;
    FZ_CHECK(slab_heap_stats(fz.heap, &hi) == SLAB_ERR_OK, "heap_stats failed");
    FZ_CHECK(hi.largest_free < pages_needed,
             "%s failed for want of memory with a free block of %zu pages (needed %zu)", what,
             hi.largest_free, pages_needed);
}

/* A NULL allocation: exactly one NOMEM report. */
static void expect_nomem(const char *what) { expect_one(SLAB_ERR_NOMEM, FZ_ANYPTR, what); }

/* ------------------------------------------------------------------------------------------
   Constructors and shrinkers. */

static void fz_ctor(void *obj, void *ctx)
{
    fz_cache *mc = (fz_cache *)ctx;
    FZ_CHECK(mc >= fz.c && mc < fz.c + FZ_MAX_CACHES && mc->has_ctor, "constructor got a bad ctx");
    FZ_CHECK(in_regions((unsigned char *)obj, mc->size),
             "constructor called on %p, outside the regions", obj);
    FZ_CHECK((uintptr_t)obj % mc->exp_align == 0, "constructor got a misaligned object %p", obj);
    fill_ctor((unsigned char *)obj, mc->size, mc->ctor_seed);
    mc->ctor_calls++;
}

static void restore_ctor(fz_block *b)
{
    if (b->kind == K_CACHE && fz.c[b->cache].has_ctor && b->fill != FILL_CTOR) {
        fill_ctor(b->p, b->usable, fz.c[b->cache].ctor_seed);
        b->fill = FILL_CTOR;
    }
}

FZ_NOCOV static int blk_shrinkable(unsigned mask, size_t i)
{
    return fz.b[i].live && (fz.b[i].kind & mask) && (int)i != fz.pinned && fz.b[i].fill != FILL_NONE;
}

static size_t fz_count(void *ctx)
{
    fz_shrinker *s = (fz_shrinker *)ctx;
    size_t i, n = 0;
    FZ_CHECK(s >= fz.s && s < fz.s + FZ_MAX_SHRINKERS && s->used, "count got a bad ctx");
    if (s->flags & SH_COUNT_ZERO)
        n = 0;
    else
        for (i = 0; i < fz.bhi; i++)
            n += blk_shrinkable(s->mask, i);
    if (s->max && n > s->max)
        n = s->max;
    s->last_count = n;
    s->counted = 1;
    return n;
}

static void free_block_by_model(int i);

static size_t fz_scan(size_t nr, void *ctx)
{
    fz_shrinker *s = (fz_shrinker *)ctx;
    size_t i, freed = 0;
    FZ_CHECK(s >= fz.s && s < fz.s + FZ_MAX_SHRINKERS && s->used, "scan got a bad ctx");
    FZ_CHECK(s->counted && nr > 0 && nr <= s->last_count,
             "scan asked for %zu objects after count said %zu", nr, s->last_count);
    s->counted = 0;
    fz.in_shrinker++;
    for (i = fz.bhi; i-- > 0 && freed < nr;)
        if (blk_shrinkable(s->mask, i)) {
            free_block_by_model((int)i);
            freed++;
            fz.shrinker_frees++;
        }
    if (s->flags & SH_NESTED_SHRINK) {
        slab_heapinfo a, b;
        FZ_CHECK(slab_heap_stats(fz.heap, &a) == SLAB_ERR_OK, "heap_stats failed");
        FZ_CHECK(slab_heap_shrink(fz.heap) == 0, "slab_heap_shrink inside a shrinker did something");
        FZ_CHECK(slab_heap_stats(fz.heap, &b) == SLAB_ERR_OK, "heap_stats failed");
        FZ_CHECK(a.pages_free == b.pages_free && a.slab_pages == b.slab_pages,
                 "slab_heap_shrink inside a shrinker changed the heap");
    }
    if ((s->flags & SH_ALLOC_KMALLOC) && blk_room(1) && !((FUZZ_TOLERATE & 8) && fz.cur_kmalloc)) {
        size_t oom = fz.oom;
        void *p = slab_kmalloc(fz.heap, 48);
        fz.shrinker_allocs++;
        if (p) {
            size_t u;
            int k;
            FZ_CHECK(fz.oom == oom, "a kmalloc in a shrinker succeeded and reported NOMEM");
            u = slab_ksize(fz.heap, p);
            k = blk_add(p, 48, u, K_KMALLOC, -1, 0, 0);
            fz.b[k].lpages = 0;
            fill_seed(fz.b[k].p, u, fz.b[k].seed);
        } else {
            FZ_CHECK(fz.oom == oom + 1, "a kmalloc in a shrinker failed without one NOMEM report");
        }
    }
    if ((s->flags & SH_ALLOC_CACHE) && blk_room(1)) {
        int ci = cache_pick(0);
        if ((FUZZ_TOLERATE & 8) && ci == fz.cur_cache)
            ci = -1;
        if (ci >= 0 && !(fz.c[ci].flags & SLAB_PANIC)) {
            size_t oom = fz.oom;
            void *p = slab_cache_alloc(fz.c[ci].c);
            fz.shrinker_allocs++;
            if (p) {
                int k;
                FZ_CHECK(fz.oom == oom, "a cache alloc in a shrinker succeeded and reported NOMEM");
                FZ_CHECK((uintptr_t)p % fz.c[ci].exp_align == 0, "misaligned object %p", p);
                k = blk_add(p, fz.c[ci].size, fz.c[ci].size, K_CACHE, ci, 0, 0);
                if (fz.c[ci].has_ctor) { /* checked against the ctor's bytes */
                    fz.b[k].fill = FILL_CTOR;
                    verify_block(&fz.b[k], 1);
                }
                fz.b[k].fill = FILL_SEED;
                fill_seed(fz.b[k].p, fz.b[k].usable, fz.b[k].seed);
            } else {
                FZ_CHECK(fz.oom == oom + 1, "a cache alloc in a shrinker failed without a report");
            }
        }
    }
    fz.in_shrinker--;
    if (s->flags & SH_SELF_UNREG) {
        slab_unregister_shrinker(fz.heap, s->s);
        s->used = 0;
    }
    return freed;
}

/* ------------------------------------------------------------------------------------------
   Freeing a model block with the function of its family (after checking every byte). */

/* Remembers a slab object being freed, for late double frees. */
static void note_freed(const fz_block *b)
{
    if (b->kind == K_CACHE || (b->kind == K_KMALLOC && !b->lpages)) {
        unsigned k = fz.nfreed++ % FZ_FREED_RING;
        fz.freed[k].p = b->p;
        fz.freed[k].c = b->kind == K_CACHE ? fz.c[b->cache].c : NULL;
        fz.freed[k].kind = b->kind;
    }
}

static void free_block_by_model(int i)
{
    fz_block *b = &fz.b[i];
    fz_trace("    - block %d: %p (+%zu) kind %u%s\n", i, (void *)b->p, b->usable, b->kind,
             fz.in_shrinker ? " (shrinker)" : "");
    verify_block(b, 1);
    restore_ctor(b);
    note_freed(b);
    switch (b->kind) {
    case K_CACHE: slab_cache_free(fz.c[b->cache].c, b->p); break;
    case K_KMALLOC: slab_kfree(fz.heap, b->p); break;
    case K_VMALLOC: slab_vfree(fz.heap, b->p); break;
    default: slab_pages_free(fz.heap, b->p); break;
    }
    blk_del(i);
}

/* ------------------------------------------------------------------------------------------
   Heap set-up and tear-down. */

static const size_t fz_page_sizes[8] = {0, 256, 512, 1024, 2048, 4096, 8192, 65536};

static size_t kmalloc_max_for(size_t ps)
{
    size_t k = ps / 2 > 4096 ? ps / 2 : 4096;
    return k > 32768 ? 32768 : k;
}

static void model_clear(void)
{
    memset(fz.b, 0, sizeof fz.b);
    memset(fz.c, 0, sizeof fz.c);
    memset(fz.s, 0, sizeof fz.s);
    fz.bhi = fz.nlive = fz.live_bytes = 0;
    fz.nreg = 0;
    fz.extra_used = 0;
    fz.oom = 0;
    fz.panics = fz.panics_expected = 0;
    fz.pinned = -1;
    fz.heap = NULL;
    fz.nfreed = 0;
}

/* Reads the 8 header bytes and makes the heap (a default one when the input's is refused). */
static void heap_init_from_input(void)
{
    unsigned h0 = in8(), v = in16(), off = in16(), inj = in8(), a1 = in8(), a2 = in8();
    size_t ps_cfg = fz_page_sizes[h0 & 7], ps = ps_cfg ? ps_cfg : 4096, size, npages = 0, need;
    unsigned char *region;
    slab_heap_config cfg;
    slab_heap *h;

    model_clear();
    memset(&cfg, 0, sizeof cfg);
    cfg.page_size = ps_cfg;
    cfg.on_error = fz_hook;
    cfg.user = &fz;
    cfg.report_leaks = (h0 >> 4 & 3) == 1 ? 1 : (h0 >> 4 & 3) == 2 ? -1 : 0;
#if FZ_HAVE_DEBUG_API
    cfg.debug_selective = (h0 >> 7) & 1;
#endif
    fz.debug_selective = (h0 >> 7) & 1;
    switch (inj & 3) {
    case 1: cfg.fail_nth = 1 + a1 + (size_t)(inj >> 2) * 256; break;
    case 2: cfg.fail_every = 2 + a1 % 64; break;
    case 3: cfg.should_fail = fz_should_fail; break;
    default: break;
    }
    fz.sf_mode = a1;
    fz.sf_arg = a2;
    fz.sf_rng = 0x2545f491u ^ a2;
    fz.inject = (inj & 3) != 0;
    fz.leaks = cfg.report_leaks > 0 || (cfg.report_leaks == 0 && SLAB_DEBUG);

    region = fz_arena + FZ_SLOT_PRIMARY + (off & 4095);
    if (h0 & 8) { /* sized by slab_heap_region_size */
        npages = 1 + v % 512;
        size = slab_heap_region_size(npages, ps_cfg);
        FZ_CHECK(size != 0, "slab_heap_region_size(%zu, %zu) is 0", npages, ps_cfg);
        if (size > FZ_PRIMARY_MAX) {
            size = FZ_PRIMARY_MAX;
            npages = 0;
        }
    } else {
        size = (size_t)v * 16 + (off >> 12);
    }
    fz_trace("init: page %zu, region %p + %zu bytes, leaks %d, inject %u\n", ps, (void *)region,
             size, cfg.report_leaks, inj & 3);
    need = slab_heap_region_size(1, ps_cfg);
    if (size < need) /* may fail: then the region must be untouched */
        memset(region, 0xee, size);
    rep_reset();
    h = slab_heap_init(region, size, &cfg);
    if (!h) {
        size_t i;
        expect_one_h(NULL, SLAB_ERR_REGION_SMALL, region, "slab_heap_init of a small region");
        FZ_CHECK(size < need, "slab_heap_init refused %zu bytes; region_size(1) says %zu suffice",
                 size, need);
        for (i = 0; i < size; i++)
            FZ_CHECK(region[i] == 0xee, "a refused slab_heap_init wrote its region");
        /* go on with a default heap, so the rest of the program still runs */
        ps_cfg = 4096;
        ps = 4096;
        cfg.page_size = ps;
        region = fz_arena + FZ_SLOT_PRIMARY;
        size = 256u << 10;
        npages = 0;
        rep_reset();
        h = slab_heap_init(region, size, &cfg);
        FZ_CHECK(h != NULL, "the default heap was refused");
    } else {
        FZ_CHECK(size >= ps, "slab_heap_init accepted %zu bytes with %zu-byte pages", size, ps);
    }
    expect_none("slab_heap_init");
    fz.heap = h;
    fz.ps = ps;
    fz.kmax = kmalloc_max_for(ps);
    fz.reg[0].lo = region;
    fz.reg[0].size = size;
    fz.nreg = 1;
    FZ_CHECK((unsigned char *)h >= region && (unsigned char *)h < region + size &&
                 (uintptr_t)h % 16 == 0,
             "heap handle %p is not a 16-aligned address inside its region", (void *)h);
    {
        slab_heapinfo hi;
        FZ_CHECK(slab_heap_stats(h, &hi) == SLAB_ERR_OK, "heap_stats failed");
        FZ_CHECK(hi.pages_total >= 1 && hi.pages_free == hi.pages_total && hi.num_caches == 1 &&
                     hi.slab_pages == 0 && hi.regions == 1,
                 "a new heap is not all free pages with one cache");
        FZ_CHECK(hi.pages_total >= npages, "region_size(%zu pages) gave a heap of %zu pages",
                 npages, hi.pages_total);
    }
}

/* Destroys the heap: the leak report must list what the model holds. Then stale handles. */
static void heap_destroy_checked(void)
{
    size_t i, ncache_rep = 0, large = 0, blocks = 0;
    int k;
    slab_heap *h = fz.heap;
    slab_cache *stale = NULL;
    fz_list l;
    list_caches(h, &l);
    for (i = 0; i < fz.bhi; i++)
        if (fz.b[i].live) {
            large += fz.b[i].lpages != 0;
            blocks += fz.b[i].kind == K_PAGES;
        }
    for (i = 1; i < l.n; i++)
        if (strcmp(l.si[i].name, "slab_shrinker") != 0 && l.si[i].active_objs)
            ncache_rep++;
    for (i = 0; i < FZ_MAX_CACHES; i++)
        if (fz.c[i].used)
            stale = fz.c[i].c;
    rep_reset();
    slab_heap_destroy(h);
    if (!fz.leaks) {
        expect_none("slab_heap_destroy without leak reports");
    } else {
        /* One BUSY per cache with live objects (ptr = the cache; a debug build may follow it with
           one per live object), one for the large runs and one for the page blocks (ptr NULL). */
        size_t got_cache = 0, got_null = 0;
        for (k = 0; k < fz.nrep; k++) {
            const fz_rep *r = &fz.rep[k];
            FZ_CHECK(r->code == SLAB_ERR_BUSY && r->heap == h, "leak report with code %s",
                     slab_error_name(r->code));
            if (!r->ptr) {
                got_null++;
                continue;
            }
            for (i = 0; i < l.n; i++)
                if (r->ptr == (const void *)l.c[i])
                    break;
            if (i < l.n) {
                FZ_CHECK(l.si[i].active_objs != 0, "leak report for the empty cache %s",
                         l.si[i].name);
                got_cache++;
                continue;
            }
            for (i = 0; i < fz.bhi; i++)
                if (fz.b[i].live && fz.b[i].p == (const unsigned char *)r->ptr &&
                    fz.b[i].lpages == 0 && fz.b[i].kind != K_PAGES)
                    break;
            FZ_CHECK(i < fz.bhi, "leak report names %p, which is no live object", r->ptr);
        }
        if (got_cache != ncache_rep || got_null != (size_t)(large != 0) + (blocks != 0)) {
            rep_dump();
            fz_fail(__LINE__, "leak report: %zu cache and %zu block reports, expected %zu and %zu",
                    got_cache, got_null, ncache_rep, (size_t)(large != 0) + (blocks != 0));
        }
    }
    /* A destroyed heap is refused with BAD_HANDLE; its caches without a report. */
    rep_reset();
    FZ_CHECK(slab_heap_check(h) == -1, "slab_heap_check of a destroyed heap is not -1");
    expect_one_h(h, SLAB_ERR_BAD_HANDLE, h, "slab_heap_check after destroy");
    rep_reset();
    FZ_CHECK(slab_kmalloc(h, 16) == NULL, "kmalloc on a destroyed heap succeeded");
    expect_one_h(h, SLAB_ERR_BAD_HANDLE, h, "kmalloc after destroy");
    if (stale) {
        rep_reset();
        FZ_CHECK(slab_cache_alloc(stale) == NULL, "alloc from a cache of a destroyed heap");
        expect_none("alloc from a cache of a destroyed heap");
    }
    rep_reset();
    fz.heap = NULL;
}

/* ------------------------------------------------------------------------------------------
   Sizes drawn from the input. */

static size_t kmalloc_boundaries(unsigned k)
{
    static const size_t b[] = {8,   16,  32,  64,  96,   128,  144,  192,  256,  320, 384,
                               448, 512, 640, 768, 896,  1024, 1280, 1536, 1792, 2048, 2560,
                               3072, 3584, 4096, 5120, 6144, 7168, 8192, 16384, 32768};
    return b[k % (sizeof b / sizeof b[0])];
}

static size_t draw_size(void)
{
    unsigned m = in8(), v = in16();
    switch (m & 7) {
    case 0: return v & 15;
    case 1: return v & 127;
    case 2: return v & 1023;
    case 3: return kmalloc_boundaries(v) + ((m >> 3) & 3) - 1;
    case 4: return v & 8191;
    case 5: return v;
    case 6: return (size_t)v * 16;
    default:
        switch ((m >> 3) & 7) {
        case 0: return SIZE_MAX - v;
        case 1: return (size_t)1 << 40;
        case 2: return SIZE_MAX / 2 + v;
        case 3: return fz.kmax + (v & 7);
        case 4: return fz.kmax - (v & 7);
        default: return (size_t)v * fz.ps + (m >> 6);
        }
    }
}

/* The large path refuses sizes whose page count overflows or passes 2^31 pages. */
static int size_absurd(size_t size)
{
    return size > SIZE_MAX - (fz.ps - 1) || (size + fz.ps - 1) / fz.ps > ((size_t)1 << 31);
}

/* ------------------------------------------------------------------------------------------
   Recording a new block of the kmalloc/vmalloc families: its usable size comes from ksize, its
   large pages from the heap's figure minus what the model's other blocks hold. */

static int add_generic(void *p, size_t size, unsigned kind, size_t align, int zeroed, const char *what)
{
    slab_heapinfo hi;
    size_t usable, lp, i;
    int k;
    rep_reset();
    usable = slab_ksize(fz.heap, p);
    expect_none("ksize of a new block");
    FZ_CHECK(usable >= size, "%s(%zu): ksize is %zu", what, size, usable);
    if (zeroed && (i = first_nonzero((const unsigned char *)p, size)) < size)
        fz_fail(__LINE__, "%s(%zu): byte %zu is not zero", what, size, i);
    FZ_CHECK(slab_heap_stats(fz.heap, &hi) == SLAB_ERR_OK, "heap_stats failed");
    FZ_CHECK(hi.large_pages >= model_large_pages(-1), "large_pages went down");
    lp = hi.large_pages - model_large_pages(-1);
    if (lp) {
        FZ_CHECK((uintptr_t)p % fz.ps == 0, "%s(%zu): large block %p not page-aligned", what, size, p);
        FZ_CHECK(lp * fz.ps == usable, "%s(%zu): %zu large pages but ksize %zu", what, size, lp,
                 usable);
        FZ_CHECK(align > 1 && kind == K_KMALLOC ? lp >= pages_of(size) && lp <= pages_of(2 * size)
                                                : lp == pages_of(size),
                 "%s(%zu): %zu pages, not sized exactly", what, size, lp);
    } else {
        FZ_CHECK(kind == K_KMALLOC, "%s(%zu): a vmalloc block took no large pages", what, size);
        FZ_CHECK(size <= fz.kmax && usable <= fz.kmax,
                 "%s(%zu): a request above the largest class (%zu) came from a class of %zu", what,
                 size, fz.kmax, usable);
        FZ_CHECK((uintptr_t)p % (size <= 8 ? 8 : 16) == 0, "%s(%zu): %p misaligned", what, size, p);
        FZ_CHECK(!is_pow2(usable) || (uintptr_t)p % (usable < fz.ps ? usable : fz.ps) == 0,
                 "%s(%zu): power-of-two class %zu not aligned to its size: %p", what, size, usable, p);
    }
    FZ_CHECK((uintptr_t)p % align == 0, "%s(%zu): %p not aligned to %zu", what, size, p, align);
    k = blk_add(p, size, usable, kind, -1, lp, 0);
    fill_seed(fz.b[k].p, usable, fz.b[k].seed);
    return k;
}

/* ------------------------------------------------------------------------------------------
   Operations. */

static const char *const fz_names[] = {"(null)",         "a",
                                       "object",         "an-exactly-31-byte-long-name-x",
                                       "a-name-that-is-longer-than-thirty-one-bytes", "node",
                                       "",               "z"};

static void op_cache_create(void)
{
    unsigned a = in8(), f = in8(), sz = in16(), ct = in8(), nm = in8();
    size_t size, align, page_max, bound;
    unsigned flags = f & FZ_PUBLIC_FLAGS;
    const char *name = nm % 8 ? fz_names[nm % 8] : NULL;
    int bad, slot = -1, i;
    slab_cache *c;
    slab_heapinfo hi;
    fz_snap before;
    for (i = 0; i < FZ_MAX_CACHES; i++)
        if (!fz.c[i].used) {
            slot = i;
            break;
        }
    if (slot < 0)
        return;
    switch (a & 3) {
    case 0: size = sz & 63; break;
    case 1: size = sz & 1023; break;
    case 2: size = sz & 16383; break;
    default: size = (size_t)sz * ((a & 4) ? 16 : 1); break;
    }
    switch ((a >> 4) & 15) {
    case 0: align = 0; break;
    case 13: align = 3; break;
    case 14: align = fz.ps; break;
    case 15: align = fz.ps * 2; break;
    default: align = (size_t)1 << (((a >> 4) & 15) - 1); break;
    }
    if (f & 0x80)
        flags |= (f & 0x40) ? 0x80000000u : (0x100u << ((f >> 3) & 7));
    bad = !name || size == 0 || (align && !is_pow2(align)) || align > fz.ps ||
          (flags & ~FZ_PUBLIC_FLAGS);
    FZ_CHECK(slab_heap_stats(fz.heap, &hi) == SLAB_ERR_OK, "heap_stats failed");
    /* A slot of this size certainly fits the largest slab when this bound does (link, align
       and debug red zones included). */
    page_max = hi.max_order < 20 ? fz.ps << hi.max_order : fz.ps << 20;
    bound = (size + 256 + 64 + (align > 64 ? align : 64)) * 2;
    memset(&fz.c[slot], 0, sizeof fz.c[slot]);
    fz.c[slot].size = size;
    fz.c[slot].align_req = align;
    fz.c[slot].flags = flags;
    fz.c[slot].has_ctor = ct & 1;
    fz.c[slot].ctor_seed = (uint8_t)ct;
    fz.c[slot].exp_align = exp_cache_align(size, align, flags);
    fz_trace("  create size %zu align %zu flags 0x%x ctor %d name %s\n", size, align, flags,
             ct & 1, name ? name : "NULL");
    snap_take(&before);
    rep_reset();
    c = slab_cache_create(fz.heap, name, size, align, flags, (ct & 1) ? fz_ctor : NULL,
                          (ct & 1) ? &fz.c[slot] : NULL);
    if (!c) {
        FZ_CHECK(fz.nrep == 1, "slab_cache_create failed with %d reports", fz.nrep);
        if (bad || fz.rep[0].code == SLAB_ERR_INVALID_ARG) {
            expect_one(SLAB_ERR_INVALID_ARG, FZ_ANYPTR, "slab_cache_create with bad arguments");
            FZ_CHECK(bad || bound > page_max,
                     "slab_cache_create refused size %zu align %zu flags 0x%x (fits %zu)", size,
                     align, flags, page_max);
            snap_same(&before, "refused slab_cache_create");
        } else {
            expect_nomem("slab_cache_create");
        }
        memset(&fz.c[slot], 0, sizeof fz.c[slot]);
        return;
    }
    expect_none("slab_cache_create");
    FZ_CHECK(!bad, "slab_cache_create accepted size %zu align %zu flags 0x%x name %s", size, align,
             flags, name ? name : "NULL");
    fz.c[slot].c = c;
    fz.c[slot].used = 1;
    {
        slab_slabinfo si;
        size_t n = strlen(name) < 31 ? strlen(name) : 31;
        FZ_CHECK(slab_cache_info(c, &si) == SLAB_ERR_OK, "cache_info failed");
        FZ_CHECK(strlen(si.name) == n && memcmp(si.name, name, n) == 0,
                 "cache name \"%s\" is not the first 31 bytes of \"%s\"", si.name, name);
        FZ_CHECK(si.active_objs == 0 && si.num_slabs == 0 && si.cached_objs == 0,
                 "a new cache has objects");
        fz.c[slot].objperslab = si.objperslab;
        strncpy(fz.c[slot].name, si.name, sizeof fz.c[slot].name - 1);
    }
    FZ_CHECK(in_regions((unsigned char *)c, 1), "cache handle %p outside the regions", (void *)c);
}

static void stale_cache_checks(slab_cache *c, unsigned how)
{
    slab_slabinfo si;
    void *out[2];
    rep_reset();
    switch (how & 3) {
    case 0: FZ_CHECK(slab_cache_alloc(c) == NULL, "alloc from a destroyed cache"); break;
    case 1: FZ_CHECK(slab_cache_info(c, &si) == SLAB_ERR_BAD_HANDLE, "info of a destroyed cache"); break;
    case 2: FZ_CHECK(slab_cache_destroy(c) == SLAB_ERR_BAD_HANDLE, "destroy of a destroyed cache"); break;
    default:
        FZ_CHECK(slab_cache_alloc_bulk(c, 2, out) == 0, "bulk from a destroyed cache");
        break;
    }
    expect_one(SLAB_ERR_BAD_HANDLE, c, "a destroyed cache's handle");
}

static void op_cache_destroy(void)
{
    unsigned sel = in8(), v = in8();
    int ci = cache_pick(sel);
    fz_cache *mc;
    fz_snap before;
    slab_error e;
    if ((v & 0xc0) == 0xc0) { /* one of the heap's own caches: refused */
        fz_list l;
        size_t k;
        list_caches(fz.heap, &l);
        for (k = 0; k < l.n; k++) {
            int mine = 0, j;
            for (j = 0; j < FZ_MAX_CACHES; j++)
                mine |= fz.c[j].used && fz.c[j].c == l.c[k];
            if (!mine && sel-- == 0)
                break;
        }
        if (k == l.n)
            k = 0;
        snap_take(&before);
        rep_reset();
        e = slab_cache_destroy(l.c[k]);
        FZ_CHECK(e == SLAB_ERR_INVALID_ARG, "destroying internal cache %s gave %d", l.si[k].name, (int)e);
        expect_one(SLAB_ERR_INVALID_ARG, l.c[k], "destroy of an internal cache");
        snap_same(&before, "destroy of an internal cache");
        return;
    }
    if (ci < 0)
        return;
    mc = &fz.c[ci];
    snap_take(&before);
    rep_reset();
    e = slab_cache_destroy(mc->c);
    if (mc->live) {
        int k;
        FZ_CHECK(e == SLAB_ERR_BUSY, "destroy of a cache with %zu live objects gave %d", mc->live, (int)e);
        FZ_CHECK(fz.nrep >= 1 && fz.rep[0].code == SLAB_ERR_BUSY && fz.rep[0].ptr == mc->c,
                 "destroy of a busy cache: no BUSY report about the cache");
        for (k = 1; k < fz.nrep; k++) { /* a debug build lists the live objects */
            size_t i;
            FZ_CHECK(fz.rep[k].code == SLAB_ERR_BUSY, "busy destroy reported %s",
                     slab_error_name(fz.rep[k].code));
            for (i = 0; i < fz.bhi; i++)
                if (fz.b[i].live && fz.b[i].p == (const unsigned char *)fz.rep[k].ptr &&
                    fz.b[i].kind == K_CACHE && fz.b[i].cache == ci)
                    break;
            FZ_CHECK(i < fz.bhi, "busy destroy listed %p, not a live object of the cache",
                     fz.rep[k].ptr);
        }
        snap_same(&before, "destroy of a busy cache");
        return;
    }
    FZ_CHECK(e == SLAB_ERR_OK, "destroy of an empty cache gave %d", (int)e);
    expect_none("slab_cache_destroy");
    mc->used = 0;
    if (v & 1) /* right away, while the handle's memory still says "destroyed" */
        stale_cache_checks(mc->c, v >> 1);
    memset(mc, 0, sizeof *mc);
}

static void op_cache_alloc(int zero)
{
    int ci = cache_pick(in8()), k;
    fz_cache *mc;
    void *p;
    if (ci < 0 || !blk_room(1))
        return;
    mc = &fz.c[ci];
    fz.cur_cache = ci;
    if (zero && mc->has_ctor) {
        fz_snap before;
        snap_take(&before);
        rep_reset();
        FZ_CHECK(slab_cache_zalloc(mc->c) == NULL, "zalloc on a cache with a constructor");
        expect_one(SLAB_ERR_INVALID_ARG, mc->c, "zalloc on a cache with a constructor");
        snap_same(&before, "zalloc on a cache with a constructor");
        return;
    }
    rep_reset();
    p = zero ? slab_cache_zalloc(mc->c) : slab_cache_alloc(mc->c);
    if (!p) {
        expect_nomem("slab_cache_alloc");
        if (!fz.inject && !any_shrinker(SH_ALLOC_CACHE)) {
            slab_slabinfo si;
            FZ_CHECK(slab_cache_info(mc->c, &si) == SLAB_ERR_OK, "cache_info failed");
            FZ_CHECK(si.cached_objs == 0 && si.active_objs == si.num_objs,
                     "cache %s failed an alloc with %zu of %zu objects in use and %zu cached",
                     si.name, si.active_objs, si.num_objs, si.cached_objs);
            check_no_block(si.pagesperslab, "slab_cache_alloc");
        }
        return;
    }
    expect_none("slab_cache_alloc");
    FZ_CHECK((uintptr_t)p % mc->exp_align == 0, "cache %s: object %p not aligned to %zu", mc->name,
             p, mc->exp_align);
    k = blk_add(p, mc->size, mc->size, K_CACHE, ci, 0, 0);
    if (mc->has_ctor) { /* constructed state, byte for byte */
        fz.b[k].fill = FILL_CTOR;
        verify_block(&fz.b[k], 1);
    }
    if (zero) {
        size_t i = first_nonzero((const unsigned char *)p, mc->size);
        FZ_CHECK(i == mc->size, "zalloc: byte %zu of %p is not zero", i, p);
    }
    if (!mc->has_ctor || (fz.b[k].seed & 1)) { /* ctor objects sometimes keep their state */
        fz.b[k].fill = FILL_SEED;
        fill_seed(fz.b[k].p, fz.b[k].usable, fz.b[k].seed);
    }
}

/* Misuse after a free, while the block is the one freed last: each of these must be refused
   with the code given, changing nothing. */
static void after_free_misuse(unsigned kind, int cache, void *p, unsigned how)
{
    fz_snap before;
    size_t r = 1;
    snap_take(&before);
    rep_reset();
    switch (how % 4) {
    case 0: /* the same free again */
        switch (kind) {
        case K_CACHE: slab_cache_free(fz.c[cache].c, p); break;
        case K_KMALLOC: slab_kfree(fz.heap, p); break;
        case K_VMALLOC: slab_vfree(fz.heap, p); break;
        default: slab_pages_free(fz.heap, p); break;
        }
        expect_one(SLAB_ERR_DOUBLE_FREE, p, "immediate double free");
        break;
    case 1: /* through the family-wide free */
        if (kind == K_CACHE) {
            void *arr[1];
            arr[0] = p;
            r = slab_cache_free_bulk(fz.c[cache].c, 1, arr);
            FZ_CHECK(r == 0, "bulk free of a freed object freed %zu", r);
        } else if (kind == K_PAGES) {
            slab_pages_free(fz.heap, p);
        } else {
            slab_kvfree(fz.heap, p);
        }
        expect_one(SLAB_ERR_DOUBLE_FREE, p, "immediate double free (kvfree / bulk)");
        break;
    case 2: /* ksize of what was just freed: 0, reported */
        if (kind == K_PAGES || ((FUZZ_TOLERATE & 1) && kind != K_VMALLOC))
            return;
        r = slab_ksize(fz.heap, p);
        FZ_CHECK(fz.nrep == 1 && (fz.rep[0].code == SLAB_ERR_DOUBLE_FREE ||
                                  fz.rep[0].code == SLAB_ERR_INVALID_POINTER),
                 "ksize of a just-freed %s block: %d reports (%s), returned %zu",
                 kind == K_CACHE ? "cache" : kind == K_KMALLOC ? "kmalloc" : "vmalloc", fz.nrep,
                 fz.nrep ? slab_error_name(fz.rep[0].code) : "none", r);
        FZ_CHECK(r == 0, "ksize of a just-freed block returned %zu", r);
        break;
    default: /* realloc of what was just freed */
        if (kind != K_KMALLOC && kind != K_VMALLOC)
            return;
        FZ_CHECK(slab_kvrealloc(fz.heap, p, 24) == NULL, "kvrealloc of a freed block succeeded");
        expect_one(SLAB_ERR_DOUBLE_FREE, p, "kvrealloc of a just-freed block");
        break;
    }
    snap_same(&before, "misuse after free");
}

static void op_cache_free(void)
{
    unsigned sel = in16(), v = in8();
    int bi = blk_pick(K_CACHE, sel), ci;
    void *p;
    if (bi < 0)
        return;
    ci = fz.b[bi].cache;
    p = fz.b[bi].p;
    rep_reset();
    free_block_by_model(bi);
    expect_none("slab_cache_free");
    if (v & 1)
        after_free_misuse(K_CACHE, ci, p, v >> 1);
}

static void op_bulk_alloc(void)
{
    int ci = cache_pick(in8());
    unsigned v = in8();
    size_t n = v % (FZ_BULK_MAX + 1), got, i;
    void *out[FZ_BULK_MAX];
    fz_cache *mc;
    if (ci < 0 || !blk_room(FZ_BULK_MAX))
        return;
    mc = &fz.c[ci];
    fz.cur_cache = ci;
    if (v & 0x80 && n) { /* out is NULL */
        fz_snap before;
        snap_take(&before);
        rep_reset();
        FZ_CHECK(slab_cache_alloc_bulk(mc->c, n, NULL) == 0, "bulk alloc into NULL");
        expect_one(SLAB_ERR_INVALID_ARG, mc->c, "bulk alloc into NULL");
        snap_same(&before, "bulk alloc into NULL");
        return;
    }
    rep_reset();
    got = slab_cache_alloc_bulk(mc->c, n, out);
    if (n == 0) {
        FZ_CHECK(got == 0, "bulk alloc of 0 returned %zu", got);
        expect_none("bulk alloc of 0");
        return;
    }
    if (got == 0) {
        expect_nomem("slab_cache_alloc_bulk");
        return;
    }
    FZ_CHECK(got == n, "bulk alloc of %zu returned %zu", n, got);
    expect_none("slab_cache_alloc_bulk");
    for (i = 0; i < n; i++) {
        int k;
        FZ_CHECK(out[i] && (uintptr_t)out[i] % mc->exp_align == 0,
                 "bulk object %zu (%p) NULL or misaligned", i, out[i]);
        k = blk_add(out[i], mc->size, mc->size, K_CACHE, ci, 0, 0);
        if (mc->has_ctor) {
            fz.b[k].fill = FILL_CTOR;
            verify_block(&fz.b[k], 1);
        }
        fz.b[k].fill = FILL_SEED;
        fill_seed(fz.b[k].p, fz.b[k].usable, fz.b[k].seed);
    }
}

/* A pointer the cache must refuse, and the code it must give; NULL when there is none. */
static void *bad_pointer(int ci, unsigned how, slab_error *code)
{
    int k;
    switch (how % 6) {
    case 0:
        *code = SLAB_ERR_INVALID_ADDRESS;
        return &fz_foreign[8];
    case 1: /* interior of one of the cache's own objects */
        k = blk_pick(K_CACHE, how >> 3);
        if (k < 0 || fz.b[k].usable < 2)
            return NULL;
        *code = fz.b[k].cache == ci ? SLAB_ERR_INVALID_POINTER : SLAB_ERR_WRONG_CACHE;
        return fz.b[k].p + 1 + (how >> 3) % (fz.b[k].usable - 1);
    case 2: /* an object of another cache, a kmalloc class included */
        k = blk_pick(K_CACHE | K_KMALLOC | K_VMALLOC, how >> 3);
        if (k < 0 || fz.b[k].lpages || (fz.b[k].kind == K_CACHE && fz.b[k].cache == ci))
            return NULL;
        *code = SLAB_ERR_WRONG_CACHE;
        return fz.b[k].p;
    case 3: /* a large block or a page block */
        k = blk_pick(K_KMALLOC | K_VMALLOC | K_PAGES, how >> 3);
        if (k < 0 || (fz.b[k].kind != K_PAGES && !fz.b[k].lpages))
            return NULL;
        *code = SLAB_ERR_INVALID_POINTER;
        return fz.b[k].p;
    case 4: /* the heap's own metadata */
        *code = SLAB_ERR_INVALID_POINTER;
        return (unsigned char *)fz.heap + 8 * (1 + (how >> 3) % 4);
    default: /* a gap of the arena between regions */
        *code = SLAB_ERR_INVALID_ADDRESS;
        return fz_arena + FZ_SLOT_GAP + 16;
    }
}

static void op_bulk_free(void)
{
    int ci = cache_pick(in8());
    unsigned nsel = in8(), v = in8(), pos = in8(), how = in8();
    void *objs[FZ_BULK_MAX + 2];
    int idx[FZ_BULK_MAX + 2];
    size_t n = 0, want = 1 + nsel % FZ_BULK_MAX, i, nobj = 0, got;
    fz_cache *mc;
    unsigned misuse = (v >> 4) & 7;
    if (ci < 0)
        return;
    mc = &fz.c[ci];
    if (misuse == 7) { /* objs is NULL */
        fz_snap before;
        snap_take(&before);
        rep_reset();
        FZ_CHECK(slab_cache_free_bulk(mc->c, want, NULL) == 0, "bulk free of NULL freed");
        expect_one(SLAB_ERR_INVALID_ARG, mc->c, "bulk free of a NULL array");
        snap_same(&before, "bulk free of a NULL array");
        return;
    }
    for (i = 0; i < fz.bhi && n < want; i++) {
        size_t j = (i + (v & 15) * 7) % fz.bhi;
        int dup = 0;
        size_t t;
        if (!fz.b[j].live || fz.b[j].kind != K_CACHE || fz.b[j].cache != ci)
            continue;
        for (t = 0; t < n; t++)
            dup |= idx[t] == (int)j;
        if (dup)
            continue;
        if ((v & 1) && (n & 1)) { /* NULLs between objects are skipped */
            idx[n] = -1;
            objs[n++] = NULL;
        }
        idx[n] = (int)j;
        objs[n++] = fz.b[j].p;
        nobj++;
    }
    if (misuse && misuse <= 6) {
        slab_error code = SLAB_ERR_OK;
        void *bad = NULL;
        fz_snap before;
        size_t at = n ? pos % (n + 1) : 0;
        if (misuse == 1) { /* an object given twice, the copies adjacent */
            size_t t;
            for (t = 0; t < n && idx[t] < 0; t++)
                ;
            if (t == n)
                return;
            bad = objs[t];
            code = SLAB_ERR_DOUBLE_FREE;
            at = t + 1;
        } else {
            bad = bad_pointer(ci, how + misuse, &code);
            if (!bad)
                return;
        }
        memmove(&objs[at + 1], &objs[at], (n - at) * sizeof objs[0]);
        memmove(&idx[at + 1], &idx[at], (n - at) * sizeof idx[0]);
        objs[at] = bad;
        idx[at] = -1;
        n++;
        for (i = 0; i < n; i++)
            if (idx[i] >= 0)
                restore_ctor(&fz.b[idx[i]]);
        snap_take(&before);
        rep_reset();
        got = slab_cache_free_bulk(mc->c, n, objs);
        FZ_CHECK(got == 0, "bulk free with a bad pointer freed %zu objects", got);
        expect_one(code, bad, "bulk free with a bad pointer");
        snap_same(&before, "refused bulk free");
        return;
    }
    for (i = 0; i < n; i++)
        if (idx[i] >= 0) {
            verify_block(&fz.b[idx[i]], 1);
            restore_ctor(&fz.b[idx[i]]);
        }
    rep_reset();
    got = slab_cache_free_bulk(mc->c, n, objs);
    FZ_CHECK(got == nobj, "bulk free of %zu objects returned %zu", nobj, got);
    expect_none("slab_cache_free_bulk");
    for (i = 0; i < n; i++)
        if (idx[i] >= 0) {
            note_freed(&fz.b[idx[i]]);
            blk_del(idx[i]);
        }
}

static void op_kmalloc(void)
{
    unsigned v = in8(), a = in8();
    size_t size = draw_size(), total = size, align = 1;
    unsigned kind = K_KMALLOC;
    int zero = 0, expect_bad = 0;
    const char *what;
    void *p;
    if (!blk_room(1))
        return;
    rep_reset();
    switch (v % 6) {
    case 0:
        what = "kmalloc";
        p = slab_kmalloc(fz.heap, size);
        break;
    case 1:
        what = "kzalloc";
        zero = 1;
        p = slab_kzalloc(fz.heap, size);
        break;
    case 2: {
        size_t n = a & 15;
        what = "kcalloc";
        zero = 1;
        if ((a & 0x80) && size > 1) { /* n * size overflows */
            n = SIZE_MAX / size + 1 + (a & 7);
            expect_bad = 1;
        } else {
            size = n ? size / n + 1 : size;
            if (n && size > SIZE_MAX / n)
                expect_bad = 1; /* size near SIZE_MAX: n * size overflows too */
            else
                total = n * size;
        }
        p = slab_kcalloc(fz.heap, n, size);
        if (expect_bad)
            total = 1;
        break;
    }
    case 3: {
        what = "kmalloc_aligned";
        if ((a & 0xc0) == 0xc0) {
            align = (a & 1) ? 3 : (a & 2) ? fz.ps * 2 : 0;
            expect_bad = 1;
        } else {
            size_t k = a % 18;
            align = (size_t)1 << k;
            if (align > fz.ps)
                align = fz.ps;
            if ((FUZZ_TOLERATE & 4) && size == 0 && align > 16)
                return;
        }
        p = slab_kmalloc_aligned(fz.heap, size, align);
        if (expect_bad) {
            FZ_CHECK(!p, "kmalloc_aligned with align %zu succeeded", align);
            expect_one(SLAB_ERR_INVALID_ARG, NULL, "kmalloc_aligned with a bad alignment");
            return;
        }
        break;
    }
    case 4:
        what = "kvmalloc";
        p = slab_kvmalloc(fz.heap, size);
        kind = size > fz.kmax ? K_VMALLOC : K_KMALLOC;
        break;
    default:
        what = "kvzalloc";
        zero = 1;
        p = slab_kvzalloc(fz.heap, size);
        kind = size > fz.kmax ? K_VMALLOC : K_KMALLOC;
        break;
    }
    fz_trace("  %s(%zu) = %p\n", what, total, p);
    if (expect_bad || (total && size_absurd(total) && total > fz.kmax)) {
        FZ_CHECK(!p, "%s(%zu) succeeded", what, total);
        expect_one(SLAB_ERR_INVALID_ARG, NULL, "an absurd allocation size");
        return;
    }
    if (total == 0) {
        FZ_CHECK(!p, "%s(0) returned %p", what, p);
        expect_none("allocation of 0 bytes");
        return;
    }
    if (!p) {
        expect_nomem(what);
        if (total > fz.kmax) {
            size_t np = pages_of(total), o = 1;
            while (o < np)
                o <<= 1;
            check_no_block(o, what);
        }
        return;
    }
    expect_none(what);
    add_generic(p, total, kind, align, zero, what);
}

static void op_kfree(void)
{
    unsigned sel = in16(), v = in8();
    int bi = blk_pick(K_KMALLOC, sel);
    fz_block *b;
    void *p;
    if (bi < 0)
        return;
    b = &fz.b[bi];
    p = b->p;
    verify_block(b, 1);
    note_freed(b);
    rep_reset();
    if (v & 1)
        slab_kvfree(fz.heap, p);
    else
        slab_kfree(fz.heap, p);
    expect_none("slab_kfree");
    blk_del(bi);
    if (v & 2)
        after_free_misuse(K_KMALLOC, -1, p, v >> 2);
}

static void op_realloc(void)
{
    unsigned v = in8(), sel = in16();
    size_t size = draw_size();
    int kv = v & 1, bi;
    fz_block old;
    void *q;
    const char *what = kv ? "kvrealloc" : "krealloc";
    if (!blk_room(2))
        return;
    bi = (v & 6) == 6 ? -1 : blk_pick(kv ? K_KMALLOC | K_VMALLOC : K_KMALLOC, sel);
    if (bi < 0) { /* realloc(NULL, size) allocates */
        rep_reset();
        q = kv ? slab_kvrealloc(fz.heap, NULL, size) : slab_krealloc(fz.heap, NULL, size);
        if (size && size_absurd(size) && size > fz.kmax) {
            FZ_CHECK(!q, "%s(NULL, %zu) succeeded", what, size);
            expect_one(SLAB_ERR_INVALID_ARG, NULL, "realloc(NULL) of an absurd size");
        } else if (!size) {
            FZ_CHECK(!q, "%s(NULL, 0) returned %p", what, q);
            expect_none("realloc(NULL, 0)");
        } else if (!q) {
            expect_nomem(what);
        } else {
            expect_none(what);
            add_generic(q, size, kv && size > fz.kmax ? K_VMALLOC : K_KMALLOC, 1, 0, what);
        }
        return;
    }
    old = fz.b[bi];
    verify_block(&old, 1);
    fz.pinned = bi; /* no shrinker may free it meanwhile */
    rep_reset();
    q = kv ? slab_kvrealloc(fz.heap, old.p, size) : slab_krealloc(fz.heap, old.p, size);
    fz.pinned = -1;
    fz_trace("  %s(%p [%zu], %zu) = %p\n", what, (void *)old.p, old.usable, size, q);
    if (size == 0) {
        FZ_CHECK(!q, "%s(p, 0) returned %p", what, q);
        expect_none("realloc to 0");
        blk_del(bi);
        return;
    }
    if (!q) {
        if (size_absurd(size) && size > fz.kmax)
            expect_one(SLAB_ERR_INVALID_ARG, NULL, "realloc to an absurd size");
        else
            expect_nomem(what);
        verify_block(&fz.b[bi], 1); /* untouched */
        return;
    }
    if ((FUZZ_TOLERATE & 2) && q == old.p && old.lpages && size <= fz.kmax && fz.nrep == 1 &&
        fz.rep[0].code == SLAB_ERR_NOMEM)
        rep_reset();
    expect_none(what);
    if (!old.lpages && size <= old.usable)
        FZ_CHECK(q == old.p, "%s: a slab object of %zu bytes moved for %zu bytes", what,
                 old.usable, size);
    if (old.lpages && size > fz.kmax && pages_of(size) <= old.lpages)
        FZ_CHECK(q == old.p, "%s: a large block of %zu pages moved to shrink to %zu pages", what,
                 old.lpages, pages_of(size));
    {
        size_t n = size < old.usable ? size : old.usable, i;
        for (i = 0; i < n; i++)
            if (((unsigned char *)q)[i] != pbyte(block_seed(&old), i, old.fill == FILL_CTOR))
                fz_fail(__LINE__, "%s(%p, %zu) = %p: byte %zu not kept", what, (void *)old.p, size,
                        q, i);
    }
    blk_del(bi);
    add_generic(q, size, q == old.p ? old.kind : kv && size > fz.kmax ? K_VMALLOC : K_KMALLOC, 1, 0,
                what);
}

static void op_ksize(void)
{
    unsigned sel = in16();
    int bi = blk_pick(K_ANY, sel);
    size_t r;
    fz_snap before;
    if (bi < 0) {
        rep_reset();
        FZ_CHECK(slab_ksize(fz.heap, NULL) == 0, "ksize(NULL) is not 0");
        expect_one(SLAB_ERR_INVALID_POINTER, NULL, "ksize(NULL)");
        return;
    }
    snap_take(&before);
    rep_reset();
    r = slab_ksize(fz.heap, fz.b[bi].p);
    if (fz.b[bi].kind == K_PAGES) {
        FZ_CHECK(r == 0, "ksize of a page block is %zu", r);
        expect_one(SLAB_ERR_INVALID_POINTER, fz.b[bi].p, "ksize of a page block");
    } else {
        FZ_CHECK(r == fz.b[bi].usable, "ksize %zu, the model says %zu", r, fz.b[bi].usable);
        expect_none("slab_ksize");
    }
    snap_same(&before, "slab_ksize");
}

static void op_vmalloc(void)
{
    unsigned v = in8(), s = in16();
    size_t size;
    int zero = v & 1;
    void *p;
    const char *what;
    if (!blk_room(1))
        return;
    switch ((v >> 1) & 3) {
    case 0: size = s & 0x3fff; break;              /* up to 16 KiB */
    case 1: size = (s & 0xff) * fz.ps + (s >> 8); /* whole pages, and a bit */
        break;
    case 2: size = (size_t)s * 16; break;
    default: size = (s & 1) ? SIZE_MAX - (s >> 1) : (size_t)1 << (20 + (s & 15)); break;
    }
    rep_reset();
    if (v & 8) { /* kvmalloc of a size above the classes takes this path too */
        size = fz.kmax + 1 + (size & 0xffff);
        what = zero ? "kvzalloc" : "kvmalloc";
        p = zero ? slab_kvzalloc(fz.heap, size) : slab_kvmalloc(fz.heap, size);
    } else {
        what = zero ? "vzalloc" : "vmalloc";
        p = zero ? slab_vzalloc(fz.heap, size) : slab_vmalloc(fz.heap, size);
    }
    fz_trace("  %s(%zu) = %p\n", what, size, p);
    if (size == 0) {
        FZ_CHECK(!p, "%s(0) returned %p", what, p);
        expect_none("vmalloc(0)");
        return;
    }
    if (size_absurd(size)) {
        FZ_CHECK(!p, "%s(%zu) succeeded", what, size);
        expect_one(SLAB_ERR_INVALID_ARG, NULL, "vmalloc of an absurd size");
        return;
    }
    if (!p) {
        size_t np = pages_of(size), o = 1;
        expect_nomem(what);
        while (o < np)
            o <<= 1;
        check_no_block(o, what);
        return;
    }
    expect_none(what);
    add_generic(p, size, K_VMALLOC, fz.ps, zero, what);
}

static void op_vfree(void)
{
    unsigned sel = in16(), v = in8();
    int bi = blk_pick(K_VMALLOC, sel);
    void *p;
    if (bi < 0)
        return;
    p = fz.b[bi].p;
    verify_block(&fz.b[bi], 1);
    rep_reset();
    if (v & 1)
        slab_kvfree(fz.heap, p);
    else
        slab_vfree(fz.heap, p);
    expect_none("slab_vfree");
    blk_del(bi);
    if (v & 2)
        after_free_misuse(K_VMALLOC, -1, p, v >> 2);
}

static void op_pages_alloc(void)
{
    unsigned o = in8(), order;
    slab_heapinfo hi;
    void *p;
    if (!blk_room(1))
        return;
    FZ_CHECK(slab_heap_stats(fz.heap, &hi) == SLAB_ERR_OK, "heap_stats failed");
    order = (o & 0xf0) == 0xf0 ? 32 + (o & 15) : o % (hi.max_order + 2);
    rep_reset();
    p = slab_pages_alloc(fz.heap, order);
    fz_trace("  pages_alloc(%u) = %p\n", order, p);
    if (order >= SLAB_MAX_ORDERS) {
        FZ_CHECK(!p, "pages_alloc(%u) succeeded", order);
        expect_one(SLAB_ERR_INVALID_ARG, NULL, "pages_alloc of a bad order");
        return;
    }
    if (!p) {
        expect_nomem("slab_pages_alloc");
        check_no_block((size_t)1 << order, "slab_pages_alloc");
        return;
    }
    expect_none("slab_pages_alloc");
    FZ_CHECK((uintptr_t)p % fz.ps == 0, "page block %p not page-aligned", p);
    {
        int k = blk_add(p, fz.ps << order, fz.ps << order, K_PAGES, -1, 0, order);
        fill_seed(fz.b[k].p, fz.b[k].usable, fz.b[k].seed);
    }
}

static void op_pages_free(void)
{
    unsigned sel = in16(), v = in8();
    int bi = blk_pick(K_PAGES, sel);
    void *p;
    if (bi < 0)
        return;
    p = fz.b[bi].p;
    verify_block(&fz.b[bi], 1);
    rep_reset();
    slab_pages_free(fz.heap, p);
    expect_none("slab_pages_free");
    blk_del(bi);
    if (v & 1)
        after_free_misuse(K_PAGES, -1, p, v >> 1);
}

static void op_cache_shrink(void)
{
    unsigned sel = in8();
    fz_list l;
    slab_slabinfo a, b;
    slab_heapinfo ha, hb;
    slab_cache *c;
    size_t r;
    list_caches(fz.heap, &l);
    c = l.c[sel % l.n];
    FZ_CHECK(slab_cache_info(c, &a) == SLAB_ERR_OK && slab_heap_stats(fz.heap, &ha) == SLAB_ERR_OK,
             "figures failed");
    rep_reset();
    r = slab_cache_shrink(c);
    expect_none("slab_cache_shrink");
    FZ_CHECK(slab_cache_info(c, &b) == SLAB_ERR_OK && slab_heap_stats(fz.heap, &hb) == SLAB_ERR_OK,
             "figures failed");
    FZ_CHECK(ha.slab_pages - hb.slab_pages == r && hb.pages_free - ha.pages_free == r,
             "cache_shrink(%s) returned %zu; slab pages %zu -> %zu", b.name, r, ha.slab_pages,
             hb.slab_pages);
    FZ_CHECK(b.active_objs == a.active_objs && b.cached_objs == 0 && b.active_slabs == b.num_slabs,
             "after cache_shrink(%s): %zu cached, %zu of %zu slabs active", b.name, b.cached_objs,
             b.active_slabs, b.num_slabs);
}

static void op_heap_shrink(void)
{
    slab_heapinfo ha, hb;
    fz_list l;
    size_t r, i, allocs = fz.shrinker_allocs, frees = fz.shrinker_frees;
    FZ_CHECK(slab_heap_stats(fz.heap, &ha) == SLAB_ERR_OK, "heap_stats failed");
    rep_reset();
    r = slab_heap_shrink(fz.heap);
    expect_none("slab_heap_shrink");
    FZ_CHECK(slab_heap_stats(fz.heap, &hb) == SLAB_ERR_OK, "heap_stats failed");
    if (allocs == fz.shrinker_allocs && !((FUZZ_TOLERATE & 16) && frees != fz.shrinker_frees))
        FZ_CHECK(ha.slab_pages - r == hb.slab_pages,
                 "heap_shrink returned %zu; slab pages %zu -> %zu", r, ha.slab_pages, hb.slab_pages);
    list_caches(fz.heap, &l);
    for (i = 0; i < l.n; i++)
        FZ_CHECK(l.si[i].cached_objs == 0 && l.si[i].active_slabs == l.si[i].num_slabs,
                 "after heap_shrink, cache %s has %zu cached and %zu empty slabs", l.si[i].name,
                 l.si[i].cached_objs, l.si[i].num_slabs - l.si[i].active_slabs);
}

static size_t fz_count_dummy(void *ctx) { (void)ctx; return 0; }
static size_t fz_scan_dummy(size_t n, void *ctx) { (void)ctx; (void)n; return 0; }
static struct slab_shrinker *fz_bogus_shrinker = (struct slab_shrinker *)(void *)&fz_foreign[16];

static void op_shrinker_reg(void)
{
    unsigned mask = in8(), max = in8(), flags = in8();
    int i, slot = -1;
    slab_shrinker *s;
    if ((flags & 0xc0) == 0xc0) { /* NULL callbacks */
        fz_snap before;
        snap_take(&before);
        rep_reset();
        s = slab_register_shrinker(fz.heap, (flags & 1) ? fz_count_dummy : NULL,
                                   (flags & 1) ? NULL : fz_scan_dummy, NULL);
        FZ_CHECK(!s, "a shrinker without callbacks was registered");
        expect_one(SLAB_ERR_INVALID_ARG, NULL, "register_shrinker with NULL callbacks");
        snap_same(&before, "register_shrinker with NULL callbacks");
        return;
    }
    for (i = 0; i < FZ_MAX_SHRINKERS; i++)
        if (!fz.s[i].used) {
            slot = i;
            break;
        }
    if (slot < 0)
        return;
    memset(&fz.s[slot], 0, sizeof fz.s[slot]);
    fz.s[slot].mask = mask & K_ANY ? mask & K_ANY : K_ANY;
    fz.s[slot].max = max & 0x80 ? 0 : 1 + (max & 15);
    fz.s[slot].flags = flags & 31;
    fz.s[slot].used = 1; /* before the call: reclaim in the call may run it */
    rep_reset();
    s = slab_register_shrinker(fz.heap, fz_count, fz_scan, &fz.s[slot]);
    if (!s) {
        expect_nomem("slab_register_shrinker");
        fz.s[slot].used = 0;
        return;
    }
    expect_none("slab_register_shrinker");
    FZ_CHECK(in_regions((unsigned char *)s, 1), "shrinker handle outside the regions");
    if (!fz.s[slot].used) { /* it unregistered itself while its own registration reclaimed */
        fz_fail(__LINE__, "a shrinker ran before its registration returned");
    }
    fz.s[slot].s = s;
}

static void op_shrinker_unreg(void)
{
    unsigned sel = in8();
    int i, n = 0, k;
    fz_snap before;
    for (i = 0; i < FZ_MAX_SHRINKERS; i++)
        n += fz.s[i].used;
    if ((sel & 0xc0) == 0xc0 || !n) { /* a handle that is not registered; or NULL */
        snap_take(&before);
        rep_reset();
        if (sel & 1) {
            slab_unregister_shrinker(fz.heap, NULL);
            expect_none("unregister_shrinker(NULL)");
        } else {
            slab_unregister_shrinker(fz.heap, fz_bogus_shrinker);
            expect_one(SLAB_ERR_INVALID_ARG, fz_bogus_shrinker, "unregister of an unknown handle");
        }
        snap_same(&before, "unregister of an unknown handle");
        return;
    }
    k = (int)(sel % (unsigned)n);
    for (i = 0; i < FZ_MAX_SHRINKERS; i++)
        if (fz.s[i].used && k-- == 0)
            break;
    rep_reset();
    slab_unregister_shrinker(fz.heap, fz.s[i].s);
    expect_none("slab_unregister_shrinker");
    fz.s[i].used = 0;
    if (sel & 0x20) { /* the same handle again: no longer registered */
        snap_take(&before);
        rep_reset();
        slab_unregister_shrinker(fz.heap, fz.s[i].s);
        expect_one(SLAB_ERR_INVALID_ARG, fz.s[i].s, "unregister twice");
        snap_same(&before, "unregister twice");
    }
}

static void op_add_region(void)
{
    unsigned v = in8(), s = in16(), off = in16() & 4095;
    unsigned char *lo;
    size_t size, i, need = slab_heap_region_size(1, fz.ps);
    int slot = -1, r;
    fz_snap before;
    slab_error code = SLAB_ERR_INVALID_ARG;
    for (i = 0; i < FZ_NEXTRA; i++)
        if (!(fz.extra_used & (1u << i))) {
            slot = (int)i;
            break;
        }
    size = (size_t)s * 4 + (off & 3);
    if (size > FZ_EXTRA_MAX)
        size = FZ_EXTRA_MAX;
    switch (v & 7) {
    case 4: /* overlaps the first region */
        lo = fz.reg[0].lo + (s % fz.reg[0].size);
        size = 1 + off;
        break;
    case 5: /* overlaps an added region, or the heap header */
        lo = fz.nreg > 1 ? fz.reg[1].lo + fz.reg[1].size - 1 : (unsigned char *)fz.heap;
        size = 64 + s;
        break;
    case 6:
        lo = NULL;
        size = 4096;
        break;
    case 7:
        lo = (unsigned char *)(uintptr_t)(UINTPTR_MAX - 100 - (s & 0xff));
        size = 4096;
        break;
    default:
        if (slot < 0)
            return;
        lo = fz_arena + FZ_SLOT_EXTRA(slot) + off;
        if (v & 8)
            size = (size_t)s % (need + 16);
        code = SLAB_ERR_OK;
        break;
    }
    snap_take(&before);
    if (code == SLAB_ERR_OK && size < need)
        memset(lo, 0xee, size);
    rep_reset();
    r = slab_heap_add_region(fz.heap, lo, size);
    fz_trace("  add_region(%p, %zu) = %d\n", (void *)lo, size, r);
    if (code != SLAB_ERR_OK) {
        FZ_CHECK(r == SLAB_ERR_INVALID_ARG, "add_region of a bad range returned %d", r);
        expect_one(SLAB_ERR_INVALID_ARG, lo, "add_region of a bad range");
        snap_same(&before, "add_region of a bad range");
        return;
    }
    if (r != SLAB_ERR_OK) {
        FZ_CHECK(r == SLAB_ERR_REGION_SMALL, "add_region returned %d", r);
        expect_one(SLAB_ERR_REGION_SMALL, lo, "add_region of a small region");
        FZ_CHECK(size < need, "add_region refused %zu bytes (region_size(1) is %zu)", size, need);
        for (i = 0; i < size; i++)
            FZ_CHECK(lo[i] == 0xee, "a refused add_region wrote its region");
        snap_same(&before, "add_region of a small region");
        return;
    }
    expect_none("slab_heap_add_region");
    FZ_CHECK(size >= fz.ps, "add_region accepted %zu bytes", size);
    fz.extra_used |= 1u << slot;
    fz.reg[fz.nreg].lo = lo;
    fz.reg[fz.nreg].size = size;
    fz.nreg++;
    {
        slab_heapinfo hi;
        FZ_CHECK(slab_heap_stats(fz.heap, &hi) == SLAB_ERR_OK, "heap_stats failed");
        FZ_CHECK(hi.pages_total > before.hi.pages_total &&
                     hi.pages_free - before.hi.pages_free == hi.pages_total - before.hi.pages_total,
                 "add_region: the new pages are not all free");
    }
}

/* The free function of a family, called on p. */
enum { F_CACHE, F_KFREE, F_VFREE, F_KVFREE, F_PAGES, F_KSIZE, F_KREALLOC, F_KVREALLOC, F_BULK, F_N };
static const char *const fz_fn_names[F_N] = {"slab_cache_free", "slab_kfree",  "slab_vfree",
                                             "slab_kvfree",     "slab_pages_free", "slab_ksize",
                                             "slab_krealloc",   "slab_kvrealloc",  "slab_cache_free_bulk"};

static void call_free_fn(unsigned fn, slab_cache *c, void *p)
{
    void *arr[1];
    arr[0] = p;
    switch (fn) {
    case F_CACHE: slab_cache_free(c, p); break;
    case F_KFREE: slab_kfree(fz.heap, p); break;
    case F_VFREE: slab_vfree(fz.heap, p); break;
    case F_KVFREE: slab_kvfree(fz.heap, p); break;
    case F_PAGES: slab_pages_free(fz.heap, p); break;
    case F_KSIZE: FZ_CHECK(slab_ksize(fz.heap, p) == 0, "ksize of a bad pointer is not 0"); break;
    case F_KREALLOC: FZ_CHECK(slab_krealloc(fz.heap, p, 40) == NULL, "krealloc of a bad pointer"); break;
    case F_KVREALLOC: FZ_CHECK(slab_kvrealloc(fz.heap, p, 5000) == NULL, "kvrealloc of a bad pointer"); break;
    default: FZ_CHECK(slab_cache_free_bulk(c, 1, arr) == 0, "bulk free of a bad pointer"); break;
    }
}

/* Whether fn is the right family for block kind (and cache): then it is no misuse. */
static int fn_accepts(unsigned fn, const fz_block *b, slab_cache *c)
{
    switch (b->kind) {
    case K_CACHE: return ((fn == F_CACHE || fn == F_BULK) && c == fz.c[b->cache].c) || fn == F_KSIZE;
    case K_KMALLOC: return fn == F_KFREE || fn == F_KVFREE || fn == F_KSIZE || fn == F_KREALLOC || fn == F_KVREALLOC;
    case K_VMALLOC: return fn == F_VFREE || fn == F_KVFREE || fn == F_KSIZE || fn == F_KVREALLOC;
    default: return fn == F_PAGES;
    }
}

static void op_misuse(void)
{
    unsigned k = in8(), fn = in8() % F_N, sel = in16(), off = in16();
    int ci = cache_pick(sel), bi;
    slab_cache *c = ci >= 0 ? fz.c[ci].c : NULL;
    void *p = NULL;
    slab_error code = SLAB_ERR_OK;
    fz_snap before;
    if ((fn == F_CACHE || fn == F_BULK) && !c)
        fn = F_KFREE;
    switch (k % 10) {
    case 0: /* foreign pointers: a global, the stack, a gap of the arena */
        p = (k & 0x10) ? (void *)&fz_foreign[off % 48] : (k & 0x20) ? (void *)&k
                                                                    : (void *)(fz_arena + FZ_SLOT_GAP + (off & 1023));
        code = SLAB_ERR_INVALID_ADDRESS;
        break;
    case 1: /* interior pointers, with the block's own family */
        bi = blk_pick(K_ANY, sel);
        if (bi < 0 || fz.b[bi].usable < 2)
            return;
        {
            size_t u = fz.b[bi].usable;
            p = fz.b[bi].p + ((k & 0x10) && u >= 2 * fz.ps ? fz.ps * (1 + off % (u / fz.ps - 1))
                                                            : 1 + off % (u - 1));
        }
        switch (fz.b[bi].kind) {
        case K_CACHE: c = fz.c[fz.b[bi].cache].c; fn = (k & 0x20) ? F_BULK : (k & 0x40) ? F_KSIZE : F_CACHE; break;
        case K_KMALLOC: fn = (k & 0x20) ? F_KVFREE : (k & 0x40) ? F_KSIZE : (k & 0x80) ? F_KREALLOC : F_KFREE; break;
        case K_VMALLOC: fn = (k & 0x20) ? F_KVFREE : (k & 0x40) ? F_KSIZE : (k & 0x80) ? F_KVREALLOC : F_VFREE; break;
        default: fn = F_PAGES; break;
        }
        code = SLAB_ERR_INVALID_POINTER;
        break;
    case 2: /* an object freed to another cache (a kmalloc class included) */
        bi = blk_pick(K_CACHE | K_KMALLOC, sel);
        if (bi < 0 || fz.b[bi].lpages)
            return;
        fn = (k & 0x10) ? F_BULK : F_CACHE;
        if (k & 0x20) { /* a kmalloc class's own handle */
            fz_list l;
            size_t j;
            list_caches(fz.heap, &l);
            c = NULL;
            for (j = 1; j < l.n && !c; j++)
                if (starts_with(l.si[j].name, "kmalloc-") &&
                    (fz.b[bi].kind != K_KMALLOC || l.si[j].object_size != fz.b[bi].usable))
                    c = l.c[j];
        } else {
            int other = cache_pick(sel + 1 + off);
            c = other >= 0 ? fz.c[other].c : NULL;
            if (fz.b[bi].kind == K_CACHE && other == fz.b[bi].cache)
                c = NULL;
        }
        if (!c)
            return;
        p = fz.b[bi].p;
        code = SLAB_ERR_WRONG_CACHE;
        break;
    case 3: /* the wrong family */
        bi = blk_pick(K_ANY, sel);
        if (bi < 0 || fn_accepts(fn, &fz.b[bi], c))
            return;
        if ((fn == F_CACHE || fn == F_BULK) && fz.b[bi].kind == K_CACHE)
            code = SLAB_ERR_WRONG_CACHE;
        else if ((fn == F_CACHE || fn == F_BULK) && fz.b[bi].kind == K_KMALLOC && !fz.b[bi].lpages)
            code = SLAB_ERR_WRONG_CACHE;
        else
            code = SLAB_ERR_INVALID_POINTER;
        p = fz.b[bi].p;
        break;
    case 4: /* NULL: a no-op for the free functions, reported by ksize */
        snap_take(&before);
        rep_reset();
        if (c)
            slab_cache_free(c, NULL);
        slab_kfree(fz.heap, NULL);
        slab_vfree(fz.heap, NULL);
        slab_kvfree(fz.heap, NULL);
        slab_pages_free(fz.heap, NULL);
        if (c) {
            void *arr[3] = {NULL, NULL, NULL};
            FZ_CHECK(slab_cache_free_bulk(c, 3, arr) == 0, "bulk free of NULLs freed something");
            FZ_CHECK(slab_cache_free_bulk(c, 0, NULL) == 0, "bulk free of 0");
            FZ_CHECK(slab_cache_alloc_bulk(c, 0, NULL) == 0, "bulk alloc of 0");
        }
        FZ_CHECK(slab_krealloc(fz.heap, NULL, 0) == NULL, "krealloc(NULL, 0)");
        expect_none("NULL frees");
        FZ_CHECK(slab_ksize(fz.heap, NULL) == 0, "ksize(NULL)");
        expect_one(SLAB_ERR_INVALID_POINTER, NULL, "ksize(NULL)");
        snap_same(&before, "NULL frees");
        return;
    case 5: { /* NULL handles: refused without a report */
        slab_slabinfo si;
        slab_heapinfo hi;
        snap_take(&before);
        rep_reset();
        FZ_CHECK(slab_cache_alloc(NULL) == NULL && slab_cache_zalloc(NULL) == NULL &&
                     slab_kmalloc(NULL, 8) == NULL && slab_vmalloc(NULL, 8) == NULL &&
                     slab_pages_alloc(NULL, 0) == NULL && slab_heap_check(NULL) == -1 &&
                     slab_cache_destroy(NULL) == SLAB_ERR_BAD_HANDLE &&
                     slab_cache_info(NULL, &si) == SLAB_ERR_BAD_HANDLE &&
                     slab_heap_stats(NULL, &hi) == SLAB_ERR_BAD_HANDLE &&
                     slab_heap_shrink(NULL) == 0 && slab_cache_shrink(NULL) == 0 &&
                     slab_heap_max_alloc(NULL) == 0 &&
                     slab_cache_create(NULL, "x", 8, 0, 0, NULL, NULL) == NULL,
                 "a NULL handle was not refused");
        slab_cache_free(NULL, &fz_foreign[0]);
        slab_heap_destroy(NULL);
        expect_none("NULL handles");
        snap_same(&before, "NULL handles");
        return;
    }
    case 6: { /* invalid arguments */
        slab_error e = SLAB_ERR_OK;
        const void *ptr = NULL;
        snap_take(&before);
        rep_reset();
        switch ((k >> 4) % 8) {
        case 0:
            if (!c)
                return;
            e = slab_cache_info(c, NULL);
            ptr = c;
            break;
        case 1: e = slab_heap_stats(fz.heap, NULL); break;
        case 2: FZ_CHECK(slab_pages_alloc(fz.heap, SLAB_MAX_ORDERS + (off & 63)) == NULL, "pages_alloc bad order"); e = SLAB_ERR_INVALID_ARG; break;
        case 3: FZ_CHECK(slab_kcalloc(fz.heap, SIZE_MAX / 16 + 1 + off, 16) == NULL, "kcalloc overflow"); e = SLAB_ERR_INVALID_ARG; break;
        case 4: FZ_CHECK(slab_kmalloc_aligned(fz.heap, 64, (off & 1) ? 48 : fz.ps << 1) == NULL, "kmalloc_aligned bad align"); e = SLAB_ERR_INVALID_ARG; break;
        case 5: FZ_CHECK(slab_vmalloc(fz.heap, SIZE_MAX - (off & 255)) == NULL, "vmalloc absurd"); e = SLAB_ERR_INVALID_ARG; break;
        case 6: FZ_CHECK(slab_register_shrinker(fz.heap, NULL, NULL, NULL) == NULL, "shrinker NULL"); e = SLAB_ERR_INVALID_ARG; break;
        default:
            FZ_CHECK(slab_cache_create(fz.heap, "bad", 0, 0, 0, NULL, NULL) == NULL, "cache of size 0");
            e = SLAB_ERR_INVALID_ARG;
            ptr = FZ_ANYPTR;
            break;
        }
        FZ_CHECK(e == SLAB_ERR_INVALID_ARG, "an invalid argument gave %d", (int)e);
        expect_one(SLAB_ERR_INVALID_ARG, ptr, "invalid argument");
        snap_same(&before, "invalid argument");
        return;
    }
    case 7: /* the heap's own metadata, the start of a region (its header), or the last byte of
               a region (its unused tail, or inside its last page: never an object's start) */
        if (k & 0x20) {
            const fz_region *r = &fz.reg[off % fz.nreg];
            p = r->lo + r->size - 1;
            if (fn == F_CACHE || fn == F_BULK) /* another cache's slab would say WRONG_CACHE */
                fn = F_KFREE;
        } else {
            p = (k & 0x10) ? (void *)(fz.reg[off % fz.nreg].lo + (off % 16))
                           : (void *)((unsigned char *)fz.heap + 8 + (off % 56));
        }
        code = SLAB_ERR_INVALID_POINTER;
        break;
    case 8: { /* slab_heap_init refusals on the scratch slot: the region stays untouched */
        unsigned char *r = fz_arena + FZ_SLOT_SCRATCH + (off & 4095);
        slab_heap_config cfg;
        size_t size = 4096, i;
        slab_error want = SLAB_ERR_INVALID_ARG;
        void *region = r;
        memset(&cfg, 0, sizeof cfg);
        cfg.on_error = fz_hook;
        cfg.user = &fz;
        switch ((k >> 4) & 7) {
        case 0: cfg.page_size = 3; break;
        case 1: cfg.page_size = 128; break;
        case 2: cfg.page_size = (size_t)1 << 31; break;
        case 3: cfg.page_size = 4096 + 512; break;
        case 4: region = NULL; break;
        case 5: region = (void *)(uintptr_t)(UINTPTR_MAX - 200); break;
        default:
            size = off % 256; /* under one page: never enough */
            cfg.page_size = 256;
            want = SLAB_ERR_REGION_SMALL;
            break;
        }
        if (region == r)
            memset(r, 0xee, size);
        rep_reset();
        FZ_CHECK(slab_heap_init(region, size, &cfg) == NULL, "slab_heap_init accepted a bad config");
        expect_one_h(NULL, want, region, "refused slab_heap_init");
        if (region == r)
            for (i = 0; i < size; i++)
                FZ_CHECK(r[i] == 0xee, "a refused slab_heap_init wrote its region");
        FZ_CHECK(slab_heap_region_size(1, 3) == 0 && slab_heap_region_size(SIZE_MAX / 2, 0) == 0 &&
                     slab_heap_region_size(0, 0) == slab_heap_region_size(1, 0),
                 "slab_heap_region_size edge cases");
        return;
    }
    default: { /* a late double free, where the build promises to refuse every one */
        unsigned j, i;
        int live = 0;
        if (!FZ_EVERY_DOUBLE_FREE || !fz.nfreed)
            return;
        j = (fz.nfreed - 1 - (unsigned)sel % (fz.nfreed < FZ_FREED_RING ? fz.nfreed : FZ_FREED_RING)) %
            FZ_FREED_RING;
        p = fz.freed[j].p;
        for (i = 0; i < fz.bhi; i++) /* handed out again, or inside a block handed out since */
            live |= fz.b[i].live && (unsigned char *)p >= fz.b[i].p &&
                    (unsigned char *)p < fz.b[i].p + fz.b[i].usable;
        if (live)
            return;
        if (fz.freed[j].kind == K_CACHE) {
            int alive = 0;
            for (i = 0; i < FZ_MAX_CACHES; i++)
                alive |= fz.c[i].used && fz.c[i].c == fz.freed[j].c;
            if (!alive)
                return;
            c = fz.freed[j].c;
            fn = (k & 0x10) ? F_BULK : F_CACHE;
        } else {
            fn = (k & 0x10) ? F_KVFREE : F_KFREE;
        }
        snap_take(&before);
        rep_reset();
        call_free_fn(fn, c, p);
        if (fz.nrep != 1 || (fz.rep[0].code != SLAB_ERR_DOUBLE_FREE &&
                             fz.rep[0].code != SLAB_ERR_INVALID_POINTER &&
                             fz.rep[0].code != SLAB_ERR_WRONG_CACHE)) {
            rep_dump();
            fz_fail(__LINE__, "late double free of %p with %s: %d reports (first %s)", p,
                    fz_fn_names[fn], fz.nrep, fz.nrep ? slab_error_name(fz.rep[0].code) : "none");
        }
        snap_same(&before, "late double free");
        return;
    }
    }
    snap_take(&before);
    rep_reset();
    fz_trace("  %s(%p) expecting %s\n", fz_fn_names[fn], p, slab_error_name(code));
    call_free_fn(fn, c, p);
    expect_one(code, p, fz_fn_names[fn]);
    snap_same(&before, fz_fn_names[fn]);
}

static void op_fault(void)
{
    fz.sf_mode = in8();
    fz.sf_arg = in8();
}

static void op_max_alloc(void)
{
    unsigned v = in8();
    size_t m = slab_heap_max_alloc(fz.heap), largest;
    unsigned order = 0;
    void *p;
    if (!m || !blk_room(1) || fz.inject)
        return;
    largest = m / fz.ps;
    while (((size_t)1 << order) < largest)
        order++;
    rep_reset();
    if (v & 1) {
        p = slab_pages_alloc(fz.heap, order);
        FZ_CHECK(p != NULL, "pages_alloc(%u) failed with a free block of %zu pages", order, largest);
        expect_none("pages_alloc of the largest free block");
        {
            int k = blk_add(p, m, m, K_PAGES, -1, 0, order);
            fill_seed(fz.b[k].p, m, fz.b[k].seed);
        }
    } else {
        p = slab_vmalloc(fz.heap, m);
        FZ_CHECK(p != NULL, "vmalloc(max_alloc = %zu) failed", m);
        expect_none("vmalloc of max_alloc");
        add_generic(p, m, K_VMALLOC, fz.ps, 0, "vmalloc(max_alloc)");
    }
}

/* A side heap: in the scratch slot sized by slab_heap_region_size, or inside a live large block
   of the main heap (a plugin's arena). A small workload, a check, a destroy with leak report. */
static void op_side_heap(void)
{
    unsigned v = in8(), n = in8(), off = in16();
    size_t ps = fz_page_sizes[1 + v % 7], size, i;
    unsigned char *region;
    int host = -1;
    slab_heap_config cfg;
    slab_heap *h;
    slab_heapinfo hi;
    slab_cache *c;
    void *objs[8];
    size_t nobj = 0, ncache = 0;
    if (v & 0x80) {
        host = blk_pick(K_VMALLOC | K_PAGES | K_KMALLOC, off);
        if (host < 0 || fz.b[host].usable < 1024)
            return;
        region = fz.b[host].p + (off & 15);
        size = fz.b[host].usable - (off & 15);
        ps = 256;
        n = 0;
    } else {
        size = slab_heap_region_size(1 + n, ps);
        FZ_CHECK(size != 0, "slab_heap_region_size(%u, %zu) is 0", 1 + n, ps);
        if (size + 4096 > FZ_SCRATCH_MAX)
            return;
        region = fz_arena + FZ_SLOT_SCRATCH + (off & 4095);
    }
    memset(&cfg, 0, sizeof cfg);
    cfg.page_size = ps;
    cfg.on_error = fz_hook;
    cfg.user = &fz;
    cfg.report_leaks = 1;
    rep_reset();
    h = slab_heap_init(region, size, &cfg);
    if (!h) {
        FZ_CHECK(host >= 0, "slab_heap_init refused region_size(%u, %zu) = %zu bytes", 1 + n, ps, size);
        expect_one_h(NULL, SLAB_ERR_REGION_SMALL, region, "side heap in a small block");
        return;
    }
    expect_none("side heap init");
    if (host >= 0)
        fz.b[host].fill = FILL_NONE;
    fz.sub = h;
    FZ_CHECK(slab_heap_stats(h, &hi) == SLAB_ERR_OK && hi.pages_total >= (host >= 0 ? 1 : 1 + n),
             "side heap of region_size(%u) has %zu pages", 1 + n, hi.pages_total);
    c = slab_cache_create(h, "side", 24 + (v & 7) * 8, 0, 0, NULL, NULL);
    for (i = 0; c && i < 8; i++) {
        objs[i] = (i & 1) ? slab_kmalloc(h, 16 + i * 40) : slab_cache_alloc(c);
        if (objs[i])
            memset(objs[i], (int)i, 16);
        ncache += objs[i] && !(i & 1);
        nobj = i + 1;
    }
    FZ_CHECK(slab_heap_check(h) == 0, "side heap check failed");
    FZ_CHECK(slab_heap_check(fz.heap) == 0, "the main heap broke while a side heap worked");
    for (i = 0; i < nobj; i++)
        if (i & 1)
            slab_kfree(h, objs[i]);
        else if (v & 0x40)
            slab_cache_free(c, objs[i]);
    if (v & 0x40)
        ncache = 0;
    /* whatever the side heap reported so far was NOMEM (a small heap may run out) */
    for (i = 0; i < (size_t)fz.nrep; i++)
        FZ_CHECK(fz.rep[i].heap == h && fz.rep[i].code == SLAB_ERR_NOMEM, "side heap reported %s",
                 slab_error_name(fz.rep[i].code));
    rep_reset();
    slab_heap_destroy(h);
    for (i = 0; i < (size_t)fz.nrep; i++)
        FZ_CHECK(fz.rep[i].heap == h && fz.rep[i].code == SLAB_ERR_BUSY,
                 "side heap destroy reported %s", slab_error_name(fz.rep[i].code));
    FZ_CHECK((fz.nrep != 0) == (ncache != 0), "side heap leak report: %d reports for %zu live objects",
             fz.nrep, ncache);
    rep_reset();
    fz.sub = NULL;
    if (host >= 0) {
        fz.b[host].fill = FILL_SEED;
        fill_seed(fz.b[host].p, fz.b[host].usable, fz.b[host].seed);
    }
}

static size_t fz_dump_lines;
static void fz_print(const char *line, void *user)
{
    size_t n = strlen(line);
    FZ_CHECK(user == &fz_dump_lines, "dump printer got user %p", user);
    FZ_CHECK(n > 0 && n < 192 && line[n - 1] == '\n' && !memchr(line, '\n', n - 1),
             "dump line is not one line of under 192 bytes: \"%s\"", line);
    fz_dump_lines++;
}

static int fz_stop_at(slab_cache *c, void *user)
{
    size_t *left = (size_t *)user;
    (void)c;
    return (*left)-- == 0 ? 7 : 0;
}

static void op_dump(void)
{
    unsigned v = in8();
    slab_heapinfo hi;
    size_t left;
    int r;
    FZ_CHECK(slab_heap_stats(fz.heap, &hi) == SLAB_ERR_OK, "heap_stats failed");
    fz_dump_lines = 0;
    rep_reset();
    slab_heap_dump(fz.heap, fz_print, &fz_dump_lines);
    slab_heap_dump(fz.heap, NULL, NULL);
    expect_none("slab_heap_dump");
    FZ_CHECK(fz_dump_lines == 2 + hi.num_caches + 2, "dump printed %zu lines for %zu caches",
             fz_dump_lines, hi.num_caches);
    left = v % (hi.num_caches + 1);
    r = slab_heap_for_each_cache(fz.heap, fz_stop_at, &left);
    FZ_CHECK(r == (v % (hi.num_caches + 1) < hi.num_caches ? 7 : 0),
             "for_each_cache returned %d", r);
    FZ_CHECK(slab_heap_for_each_cache(fz.heap, NULL, NULL) == 0, "for_each_cache(NULL)");
    expect_none("for_each_cache");
    verify_all(1);
}

/* Frees every block, destroys every cache, unregisters every shrinker; then the heap must hold
   no large run, no page block and no kmalloc slab after a shrink. */
static void teardown_free_all(void)
{
    size_t i;
    fz_list l;
    for (i = 0; i < FZ_MAX_SHRINKERS; i++)
        if (fz.s[i].used) {
            rep_reset();
            slab_unregister_shrinker(fz.heap, fz.s[i].s);
            expect_none("unregister at teardown");
            fz.s[i].used = 0;
        }
    for (i = fz.bhi; i-- > 0;)
        if (fz.b[i].live) {
            rep_reset();
            free_block_by_model((int)i);
            expect_none("free at teardown");
        }
    for (i = 0; i < FZ_MAX_CACHES; i++)
        if (fz.c[i].used) {
            rep_reset();
            FZ_CHECK(slab_cache_destroy(fz.c[i].c) == SLAB_ERR_OK, "destroy of an empty cache failed");
            expect_none("destroy at teardown");
            fz.c[i].used = 0;
        }
    rep_reset();
    slab_heap_shrink(fz.heap);
    expect_none("shrink at teardown");
    check_all();
    list_caches(fz.heap, &l);
    for (i = 1; i < l.n; i++)
        FZ_CHECK(l.si[i].num_slabs == 0, "cache %s keeps %zu slabs with nothing allocated",
                 l.si[i].name, l.si[i].num_slabs);
}

/* ------------------------------------------------------------------------------------------
   The interpreter. */

enum {
    OP_CHECK, OP_CACHE_CREATE, OP_CACHE_DESTROY, OP_CACHE_ALLOC, OP_CACHE_ZALLOC, OP_CACHE_FREE,
    OP_BULK_ALLOC, OP_BULK_FREE, OP_KMALLOC, OP_KFREE, OP_REALLOC, OP_KSIZE, OP_VMALLOC, OP_VFREE,
    OP_PAGES_ALLOC, OP_PAGES_FREE, OP_CACHE_SHRINK, OP_HEAP_SHRINK, OP_SHRINKER_REG,
    OP_SHRINKER_UNREG, OP_ADD_REGION, OP_MISUSE, OP_FAULT, OP_REINIT, OP_MAX_ALLOC, OP_SIDE_HEAP,
    OP_DUMP, OP_COUNT
};
static const char *const fz_op_names[OP_COUNT] = {
    "check",         "cache_create",  "cache_destroy", "cache_alloc",   "cache_zalloc",
    "cache_free",    "bulk_alloc",    "bulk_free",     "kmalloc",       "kfree",
    "realloc",       "ksize",         "vmalloc",       "vfree",         "pages_alloc",
    "pages_free",    "cache_shrink",  "heap_shrink",   "shrinker_reg",  "shrinker_unreg",
    "add_region",    "misuse",        "fault",         "reinit",        "max_alloc",
    "side_heap",     "dump"};

static void run_op(unsigned op)
{
    fz.cur_cache = -1;
    fz.cur_kmalloc = op == OP_KMALLOC || op == OP_REALLOC || op == OP_CACHE_CREATE ||
                     op == OP_SHRINKER_REG || op == OP_VMALLOC;
    switch (op) {
    case OP_CHECK: verify_all(1); break;
    case OP_CACHE_CREATE: op_cache_create(); break;
    case OP_CACHE_DESTROY: op_cache_destroy(); break;
    case OP_CACHE_ALLOC: op_cache_alloc(0); break;
    case OP_CACHE_ZALLOC: op_cache_alloc(1); break;
    case OP_CACHE_FREE: op_cache_free(); break;
    case OP_BULK_ALLOC: op_bulk_alloc(); break;
    case OP_BULK_FREE: op_bulk_free(); break;
    case OP_KMALLOC: op_kmalloc(); break;
    case OP_KFREE: op_kfree(); break;
    case OP_REALLOC: op_realloc(); break;
    case OP_KSIZE: op_ksize(); break;
    case OP_VMALLOC: op_vmalloc(); break;
    case OP_VFREE: op_vfree(); break;
    case OP_PAGES_ALLOC: op_pages_alloc(); break;
    case OP_PAGES_FREE: op_pages_free(); break;
    case OP_CACHE_SHRINK: op_cache_shrink(); break;
    case OP_HEAP_SHRINK: op_heap_shrink(); break;
    case OP_SHRINKER_REG: op_shrinker_reg(); break;
    case OP_SHRINKER_UNREG: op_shrinker_unreg(); break;
    case OP_ADD_REGION: op_add_region(); break;
    case OP_MISUSE: op_misuse(); break;
    case OP_FAULT: op_fault(); break;
    case OP_REINIT:
        verify_all(1);
        heap_destroy_checked();
        heap_init_from_input();
        break;
    case OP_MAX_ALLOC: op_max_alloc(); break;
    case OP_SIDE_HEAP: op_side_heap(); break;
    default: op_dump(); break;
    }
}

static void fz_run(const uint8_t *data, size_t size)
{
    unsigned h0;
    if (!fz_arena)
        fz_arena = fz_arena_store + (FZ_ARENA_ALIGN - (uintptr_t)fz_arena_store % FZ_ARENA_ALIGN);
    fz.in = data;
    fz.in_n = size;
    fz.in_i = 0;
    fz.opno = 0;
    fz.opname = "init";
    fz.next_seed = 0;
    fz.in_shrinker = 0;
    fz.shrinker_allocs = fz.shrinker_frees = 0;
    fz.sub = NULL;
    h0 = size ? data[0] : 0;
    heap_init_from_input();
    check_all();
    while (fz.in_i < fz.in_n && fz.opno < FZ_MAX_OPS) {
        unsigned op = in8() % OP_COUNT;
        fz.opno++;
        fz.opname = fz_op_names[op];
        fz_trace("op #%zu %s\n", fz.opno, fz.opname);
        run_op(op);
        check_all();
    }
    fz.opname = "teardown";
    verify_all(1);
    if (h0 & 0x40)
        teardown_free_all();
    heap_destroy_checked();
}

/* ------------------------------------------------------------------------------------------
   Entry points. */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_run(data, size);
    return 0;
}

#if defined(__AFL_FUZZ_TESTCASE_LEN)
#include <unistd.h> /* read(), which the test-case macros fall back on */
__AFL_FUZZ_INIT();
int main(void)
{
    unsigned char *buf;
    __AFL_INIT();
    buf = __AFL_FUZZ_TESTCASE_BUF;
    while (__AFL_LOOP(10000)) {
        int len = __AFL_FUZZ_TESTCASE_LEN;
        fz_run(buf, (size_t)len);
    }
    return 0;
}
#elif defined(FUZZ_REPLAY_MAIN)
#include <dirent.h>
#include <sys/stat.h>

static size_t fz_replayed;

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    static uint8_t buf[1 << 20];
    size_t n;
    if (!f) {
        fprintf(stderr, "fuzz_slab: cannot open %s\n", path);
        return 1;
    }
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    if (fz.trace)
        fprintf(stderr, "== %s (%zu bytes)\n", path, n);
    fz_run(buf, n);
    fz_replayed++;
    return 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int replay_path(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    int bad = 0;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "fuzz_slab: no such file or directory: %s\n", path);
        return 1;
    }
    if (!S_ISDIR(st.st_mode))
        return replay_file(path);
    if (!(d = opendir(path)))
        return 1;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = (char **)realloc(names, cap * sizeof *names);
            if (!names)
                return 1;
        }
        names[n] = (char *)malloc(strlen(path) + strlen(e->d_name) + 2);
        if (!names[n])
            return 1;
        sprintf(names[n], "%s/%s", path, e->d_name);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, name_cmp);
    for (i = 0; i < n; i++) {
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
            bad |= replay_file(names[i]);
        free(names[i]);
    }
    free(names);
    return bad;
}

int main(int argc, char **argv)
{
    int i, bad = 0;
    const char *t = getenv("FUZZ_SLAB_TRACE");
    fz.trace = t && *t && *t != '0';
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...   (FUZZ_SLAB_TRACE=1 prints every operation)\n",
                argv[0]);
        return 2;
    }
    for (i = 1; i < argc; i++)
        bad |= replay_path(argv[i]);
    printf("fuzz_slab (SLAB_DEBUG=%d, SLAB_HARDEN=%d): replayed %zu inputs, no violation\n",
           SLAB_DEBUG, SLAB_HARDEN, fz_replayed);
    return bad;
}
#endif
