/* test_util.h - helpers shared by the t_*.c files: CHECK, a recording error hook, regions,
   a seeded PRNG, byte patterns, figure snapshots and the heap-wide consistency check.
   Included once, by run.c, after slab.h (with SLAB_IMPLEMENTATION) and before the tests. */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <malloc.h>
#include <windows.h>
#else
#include <sys/mman.h>
#endif

#if defined(__GNUC__) || defined(__clang__)
#define TU_UNUSED __attribute__((unused))
#else
#define TU_UNUSED
#endif

/* AddressSanitizer: the library may poison free pages of a region; a region is unpoisoned
   before it goes back to the system so a later mapping at the same address starts clean. */
#if defined(__SANITIZE_ADDRESS__)
#define TU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TU_ASAN 1
#endif
#endif
#ifndef TU_ASAN
#define TU_ASAN 0
#endif
#if TU_ASAN
#include <sanitizer/asan_interface.h>
#define TU_UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#elif defined(SLAB_VALGRIND)
/* Valgrind (SLAB_VALGRIND): a test that pokes into free memory or the heap's internals says so
   first, so that memcheck reports only the library's own errors. */
#include <valgrind/memcheck.h>
#define TU_UNPOISON(p, n) ((void)VALGRIND_MAKE_MEM_DEFINED((p), (n)))
#else
#define TU_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* 32/64-bit dependent expectations, in one place (STYLE B.10).
   TU_BIG_REGION: the sparse region of t_heap_big_region; > 4 GiB where size_t allows it, and
   512 MiB in a 32-bit Windows process (2 GiB of addresses, DLLs in between).
   TU_MAXALIGN: the cap of a cache's default alignment, 16 on every target (slab.h's contract:
   max_align_t on common 64-bit ABIs). */
#if SIZE_MAX > 0xffffffffu
#define TU_BIG_REGION (((size_t)5) << 30)
#define TU_BIG_PAST_4G 1
#elif defined(_WIN32)
#define TU_BIG_REGION (((size_t)1) << 29)
#define TU_BIG_PAST_4G 0
#else
#define TU_BIG_REGION (((size_t)1) << 30)
#define TU_BIG_PAST_4G 0
#endif
#define TU_MAXALIGN ((size_t)16)

// ==========================================================================================
// CHECK: record file:line and go on.

static unsigned tu_test_fails; /* failed CHECKs in the running test */

static void tu_fail(const char *file, int line, const char *expr)
{
    if (tu_test_fails < 40)
        printf("%s:%d: CHECK(%s) failed\n", file, line, expr);
    else if (tu_test_fails == 40)
        printf("%s:%d: (further failed CHECKs of this test are not printed)\n", file, line);
    fflush(stdout);
    tu_test_fails++;
}

/* A test with nothing to assert in this build (it needs SLAB_DEBUG, ASan...) says why and
   returns; run.c counts it as skipped, never as passed. */
static unsigned tu_test_skipped;
#define TU_SKIP(why)                                                                          \
    do {                                                                                      \
        printf("skipped %s: %s\n", __func__, (why));                                          \
        tu_test_skipped = 1;                                                                  \
        return;                                                                               \
    } while (0)

#define CHECK(c)                                                                              \
    do {                                                                                      \
        if (!(c))                                                                             \
            tu_fail(__FILE__, __LINE__, #c);                                                  \
    } while (0)
/* CHECK that returns from the test when it fails, where going on would crash. */
#define REQUIRE(c)                                                                            \
    do {                                                                                      \
        if (!(c)) {                                                                           \
            tu_fail(__FILE__, __LINE__, #c);                                                  \
            return;                                                                           \
        }                                                                                     \
    } while (0)

// ==========================================================================================
// Recording error hook.

typedef struct tu_rec {
    unsigned count;   /* reports since the last reset */
    slab_error last;  /* code of the last report */
    slab_heap *heap;  /* heap argument of the last report */
    const void *ptr;  /* pointer argument of the last report */
    int bad_msg;      /* a report came with a NULL or empty message */
    unsigned by_code[SLAB_ERR_COUNT + 1];
} tu_rec;

static tu_rec tu_g_rec;

static void tu_hook(slab_heap *heap, slab_error code, const void *ptr, const char *msg,
                    void *user)
{
    tu_rec *r = (tu_rec *)user;
    if (r == NULL)
        return;
    r->count++;
    r->last = code;
    r->heap = heap;
    r->ptr = ptr;
    if (msg == NULL || msg[0] == '\0')
        r->bad_msg = 1;
    r->by_code[(unsigned)code < (unsigned)SLAB_ERR_COUNT ? (unsigned)code
                                                          : (unsigned)SLAB_ERR_COUNT]++;
}

static void tu_rec_reset(void) { memset(&tu_g_rec, 0, sizeof tu_g_rec); }

/* Exactly one report since the last reset, of `code`, for `heap`, with a message; resets. */
static int tu_rep(slab_heap *heap, slab_error code)
{
    int ok = tu_g_rec.count == 1 && tu_g_rec.last == code && tu_g_rec.heap == heap &&
             !tu_g_rec.bad_msg;
    if (!ok)
        printf("    expected one %s report (heap %p), got %u, last %s (heap %p)\n",
               slab_error_name(code), (void *)heap, tu_g_rec.count,
               tu_g_rec.count ? slab_error_name(tu_g_rec.last) : "-", (void *)tu_g_rec.heap);
    tu_rec_reset();
    return ok;
}

/* No report since the last reset. */
static int tu_quiet(void)
{
    int ok = tu_g_rec.count == 0;
    if (!ok)
        printf("    expected no report, got %u, last %s\n", tu_g_rec.count,
               slab_error_name(tu_g_rec.last));
    tu_rec_reset();
    return ok;
}

static slab_heap_config tu_cfg(size_t page_size)
{
    slab_heap_config c;
    memset(&c, 0, sizeof c);
    c.page_size = page_size;
    c.on_error = tu_hook;
    c.user = &tu_g_rec;
    return c;
}

// ==========================================================================================
// SLAB_ABORT hook: run.c routes SLAB_ABORT() here; a test arms the jump first.

static jmp_buf tu_abort_jmp;
static int tu_abort_armed;
static unsigned tu_abort_calls;
static unsigned tu_abort_reports; /* tu_g_rec.count when SLAB_ABORT() ran */

static void test_abort_hook(void)
{
    tu_abort_calls++;
    tu_abort_reports = tu_g_rec.count;
    if (tu_abort_armed) {
        tu_abort_armed = 0;
        longjmp(tu_abort_jmp, 1);
    }
    printf("SLAB_ABORT() called outside a test that expects it\n");
    fflush(stdout);
    abort();
}

/* Runs fn(arg) with SLAB_ABORT() armed to jump back here; returns 1 if it was called. Kept
   in its own function so no caller's local lives across the setjmp. */
static int tu_catch_abort(void (*fn)(void *), void *arg)
{
    tu_abort_calls = 0;
    tu_abort_reports = 0;
    if (setjmp(tu_abort_jmp) == 0) {
        tu_abort_armed = 1;
        fn(arg);
        tu_abort_armed = 0;
        return 0;
    }
    tu_abort_armed = 0;
    return 1;
}

// ==========================================================================================
// Regions. tu_region_new ends the region exactly at base+size, so ASan sees any write past
// it; base is 4096-aligned plus `offset`.

typedef struct tu_region {
    unsigned char *raw;  /* what to free */
    unsigned char *base; /* the region handed to slab_heap_init */
    size_t size;
    size_t maplen; /* nonzero: raw is an mmap of maplen bytes */
} tu_region;

static unsigned char *tu_region_new(tu_region *r, size_t size, size_t offset)
{
    void *p = NULL;
    size_t n = size + offset;
    memset(r, 0, sizeof *r);
#ifdef _WIN32
    p = _aligned_malloc(n ? n : 1, 4096);
#else
    if (posix_memalign(&p, 4096, n ? n : 1) != 0)
        p = NULL;
#endif
    if (p == NULL)
        return NULL;
    r->raw = (unsigned char *)p;
    r->base = r->raw + offset;
    r->size = size;
    return r->base;
}

/* A sparse anonymous mapping: pages cost nothing until touched. */
static TU_UNUSED unsigned char *tu_region_map(tu_region *r, size_t size, size_t offset)
{
    void *p;
    memset(r, 0, sizeof *r);
#ifdef _WIN32
    p = VirtualAlloc(NULL, size + offset, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (p == NULL)
        return NULL;
#else
    p = mmap(NULL, size + offset, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#endif
    r->raw = (unsigned char *)p;
    r->base = r->raw + offset;
    r->size = size;
    r->maplen = size + offset;
    return r->base;
}

static void tu_region_free(tu_region *r)
{
    if (r->raw == NULL)
        return;
    TU_UNPOISON(r->raw, r->maplen ? r->maplen : r->size + (size_t)(r->base - r->raw));
#ifdef _WIN32
    if (r->maplen)
        VirtualFree(r->raw, 0, MEM_RELEASE);
    else
        _aligned_free(r->raw);
#else
    if (r->maplen)
        munmap(r->raw, r->maplen);
    else
        free(r->raw);
#endif
    memset(r, 0, sizeof *r);
}

static int tu_inside(const tu_region *r, const void *p, size_t n)
{
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)r->base, hi = (uintptr_t)r->base + r->size;
    return a >= lo && a <= hi && n <= hi - a;
}

static slab_heap *tu_heap(tu_region *r, size_t size, size_t offset, size_t page_size)
{
    slab_heap_config cfg = tu_cfg(page_size);
    slab_heap *h;
    if (tu_region_new(r, size, offset) == NULL)
        return NULL;
    h = slab_heap_init(r->base, r->size, &cfg);
    if (h == NULL)
        tu_region_free(r);
    return h;
}

static size_t tu_pages_total(slab_heap *h)
{
    slab_heapinfo hi;
    if (h == NULL || slab_heap_stats(h, &hi) != SLAB_ERR_OK)
        return 0;
    return hi.pages_total;
}

/* A heap of exactly `npages` pages over a page-aligned region that ends where the heap does.
   Finds the smallest such region by bisection (pages_total grows by at most one per byte). */
static slab_heap *tu_heap_pages(tu_region *r, size_t npages, size_t page_size)
{
    size_t lo = 0, hi = npages * page_size + 2 * page_size + npages * 256 + 65536;
    tu_region probe;
    slab_heap_config cfg = tu_cfg(page_size);
    if (tu_region_new(&probe, hi, 0) == NULL)
        return NULL;
    while (lo < hi) { /* smallest size with pages_total >= npages */
        size_t mid = lo + (hi - lo) / 2;
        slab_heap *h = slab_heap_init(probe.base, mid, &cfg);
        size_t got = tu_pages_total(h);
        if (h)
            slab_heap_destroy(h);
        if (got >= npages)
            hi = mid;
        else
            lo = mid + 1;
    }
    tu_region_free(&probe);
    tu_rec_reset();
    {
        slab_heap *h = tu_heap(r, lo, 0, page_size);
        if (h != NULL && tu_pages_total(h) != npages) {
            printf("    tu_heap_pages: wanted %lu pages, got %lu\n", (unsigned long)npages,
                   (unsigned long)tu_pages_total(h));
            slab_heap_destroy(h);
            tu_region_free(r);
            return NULL;
        }
        return h;
    }
}

// ==========================================================================================
// PRNG (splitmix64) and byte patterns.

typedef struct tu_rng {
    uint64_t s;
} tu_rng;

static uint64_t tu_next(tu_rng *g)
{
    uint64_t z = (g->s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static size_t tu_below(tu_rng *g, size_t n) { return n ? (size_t)(tu_next(g) % (uint64_t)n) : 0; }

static void tu_shuffle(tu_rng *g, void **a, size_t n)
{
    size_t i;
    for (i = n; i > 1; i--) {
        size_t j = tu_below(g, i);
        void *t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* Byte i of the pattern of id: differs between ids and along the object. */
static unsigned char tu_pat(uint32_t id, size_t i)
{
    uint32_t x = id * 2654435761u + (uint32_t)i * 40503u + (uint32_t)(i >> 16);
    return (unsigned char)(x ^ (x >> 13) ^ (x >> 24));
}

static void tu_fill(void *p, size_t n, uint32_t id)
{
    unsigned char *b = (unsigned char *)p;
    size_t i;
    for (i = 0; i < n; i++)
        b[i] = tu_pat(id, i);
}

static int tu_verify(const void *p, size_t n, uint32_t id)
{
    const unsigned char *b = (const unsigned char *)p;
    size_t i;
    for (i = 0; i < n; i++)
        if (b[i] != tu_pat(id, i))
            return 0;
    return 1;
}

static int tu_all_bytes(const void *p, size_t n, unsigned char v)
{
    const unsigned char *b = (const unsigned char *)p;
    size_t i;
    for (i = 0; i < n; i++)
        if (b[i] != v)
            return 0;
    return 1;
}

static int tu_is_pow2(size_t x) { return x != 0 && (x & (x - 1)) == 0; }

static int tu_aligned(const void *p, size_t a) { return ((uintptr_t)p & (uintptr_t)(a - 1)) == 0; }

static unsigned tu_log2(size_t x)
{
    unsigned k = 0;
    while (x > 1) {
        x >>= 1;
        k++;
    }
    return k;
}

static int tu_cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
    return x < y ? -1 : x > y;
}

/* Sorts ptrs and checks that blocks of `size` bytes at them are pairwise disjoint. */
static int tu_disjoint(void **ptrs, size_t n, size_t size)
{
    size_t i;
    qsort(ptrs, n, sizeof *ptrs, tu_cmp_ptr);
    for (i = 1; i < n; i++)
        if ((uintptr_t)ptrs[i - 1] + size > (uintptr_t)ptrs[i])
            return 0;
    return 1;
}

/* Intervals [lo, lo+len): sorted, then checked pairwise disjoint. */
typedef struct tu_iv {
    uintptr_t lo;
    size_t len;
} tu_iv;

static int tu_cmp_iv(const void *a, const void *b)
{
    uintptr_t x = ((const tu_iv *)a)->lo, y = ((const tu_iv *)b)->lo;
    return x < y ? -1 : x > y;
}

static int tu_iv_disjoint(tu_iv *v, size_t n)
{
    size_t i;
    qsort(v, n, sizeof *v, tu_cmp_iv);
    for (i = 1; i < n; i++)
        if (v[i - 1].lo + v[i - 1].len > v[i].lo)
            return 0;
    return 1;
}

// ==========================================================================================
// Figures: field-wise comparison (no padding bytes involved) and the heap-wide identities.

static int tu_heapinfo_eq(const slab_heapinfo *a, const slab_heapinfo *b)
{
    unsigned k;
    if (a->page_size != b->page_size || a->pages_total != b->pages_total ||
        a->pages_free != b->pages_free || a->largest_free != b->largest_free ||
        a->max_order != b->max_order || a->slab_pages != b->slab_pages ||
        a->reclaimable_pages != b->reclaimable_pages || a->metadata_bytes != b->metadata_bytes ||
        a->large_pages != b->large_pages || a->block_pages != b->block_pages ||
        a->fragmentation != b->fragmentation || a->regions != b->regions ||
        a->num_caches != b->num_caches || a->oom_count != b->oom_count)
        return 0;
    for (k = 0; k < SLAB_MAX_ORDERS; k++)
        if (a->free_blocks[k] != b->free_blocks[k])
            return 0;
    return 1;
}

static int tu_slabinfo_eq(const slab_slabinfo *a, const slab_slabinfo *b)
{
    return a->name != NULL && b->name != NULL && strcmp(a->name, b->name) == 0 &&
           a->object_size == b->object_size && a->objsize == b->objsize &&
           a->align == b->align && a->flags == b->flags && a->active_objs == b->active_objs &&
           a->cached_objs == b->cached_objs &&
           a->num_objs == b->num_objs && a->objperslab == b->objperslab &&
           a->pagesperslab == b->pagesperslab && a->active_slabs == b->active_slabs &&
           a->num_slabs == b->num_slabs;
}

static slab_heapinfo tu_hinfo(slab_heap *h)
{
    slab_heapinfo hi;
    memset(&hi, 0, sizeof hi);
    if (slab_heap_stats(h, &hi) != SLAB_ERR_OK)
        memset(&hi, 0xff, sizeof hi);
    return hi;
}

static slab_slabinfo tu_cinfo(slab_cache *c)
{
    slab_slabinfo ci;
    memset(&ci, 0, sizeof ci);
    if (slab_cache_info(c, &ci) != SLAB_ERR_OK)
        memset(&ci, 0, sizeof ci);
    return ci;
}

/* Everything a refused call must leave as it was: heap figures and those of up to 4 caches. */
typedef struct tu_snap {
    slab_heapinfo hi;
    slab_slabinfo ci[4];
    int nc;
} tu_snap;

static tu_snap tu_snap_take(slab_heap *h, slab_cache *c0, slab_cache *c1, slab_cache *c2)
{
    tu_snap s;
    slab_cache *cs[3];
    int i;
    memset(&s, 0, sizeof s);
    cs[0] = c0;
    cs[1] = c1;
    cs[2] = c2;
    s.hi = tu_hinfo(h);
    for (i = 0; i < 3; i++)
        if (cs[i] != NULL)
            s.ci[s.nc++] = tu_cinfo(cs[i]);
    return s;
}

/* After an allocation failed: reclaim may have released empty slabs (and cached objects)
   before it gave up (the header says so), and oom_count went up by one; nothing else moves. */
static int tu_snap_eq_after_oom(const tu_snap *a, const tu_snap *b)
{
    int i;
    const slab_heapinfo *x = &a->hi, *y = &b->hi;
    if (y->oom_count != x->oom_count + 1 || y->pages_total != x->pages_total ||
        y->pages_free < x->pages_free || y->slab_pages > x->slab_pages ||
        y->pages_free - x->pages_free != x->slab_pages - y->slab_pages ||
        y->block_pages != x->block_pages || y->large_pages != x->large_pages ||
        y->num_caches != x->num_caches || a->nc != b->nc)
        return 0;
    for (i = 0; i < a->nc; i++) {
        const slab_slabinfo *c = &a->ci[i], *d = &b->ci[i];
        if (c->active_objs != d->active_objs || c->active_slabs != d->active_slabs ||
            d->num_slabs > c->num_slabs || d->cached_objs > c->cached_objs ||
            c->objperslab != d->objperslab)
            return 0;
    }
    return 1;
}

static int tu_snap_eq(const tu_snap *a, const tu_snap *b)
{
    int i;
    if (!tu_heapinfo_eq(&a->hi, &b->hi) || a->nc != b->nc)
        return 0;
    for (i = 0; i < a->nc; i++)
        if (!tu_slabinfo_eq(&a->ci[i], &b->ci[i]))
            return 0;
    return 1;
}

/* The identities every heap keeps: `user_pages` pages are held by slab_pages_alloc blocks and
   `region_size` is the size given to slab_heap_init (0: not known). Also runs the check. */
static int tu_heap_ok(slab_heap *h, size_t user_pages, size_t region_size)
{
    slab_heapinfo hi;
    size_t sum = 0, largest = 0;
    unsigned k;
    int ok = 1;
    if (slab_heap_stats(h, &hi) != SLAB_ERR_OK || hi.max_order >= SLAB_MAX_ORDERS)
        return 0;
    for (k = 0; k < SLAB_MAX_ORDERS; k++) {
        sum += hi.free_blocks[k] << k;
        if (hi.free_blocks[k])
            largest = (size_t)1 << k;
        if (k > hi.max_order && hi.free_blocks[k])
            ok = 0;
    }
    if (sum != hi.pages_free || largest != hi.largest_free)
        ok = 0;
    if (hi.pages_free + hi.slab_pages + hi.large_pages + user_pages != hi.pages_total)
        ok = 0;
    if (hi.block_pages != user_pages)
        ok = 0;
    if (hi.reclaimable_pages > hi.slab_pages)
        ok = 0;
    if (hi.pages_total == 0 || ((size_t)1 << hi.max_order) > hi.pages_total ||
        ((size_t)2 << hi.max_order) <= hi.pages_total)
        ok = 0;
    if (region_size && hi.metadata_bytes + hi.pages_total * hi.page_size > region_size)
        ok = 0;
    if (!ok)
        printf("    heap figures: total %lu free %lu (sum of blocks %lu) largest %lu (%lu) "
               "slab %lu user %lu max_order %u\n",
               (unsigned long)hi.pages_total, (unsigned long)hi.pages_free, (unsigned long)sum,
               (unsigned long)hi.largest_free, (unsigned long)largest,
               (unsigned long)hi.slab_pages, (unsigned long)user_pages, hi.max_order);
    if (slab_heap_check(h) != 0)
        ok = 0;
    return ok;
}

/* The identities of one cache's figures, with `active` objects live. Empty slabs: at most 2
   besides the active one, plus slabs whose only objects in use wait in the cache's magazine
   (cached_objs: freed objects kept at hand; they return to their slabs on shrink). */
static int tu_cache_ok(slab_cache *c, size_t active)
{
    slab_slabinfo ci;
    int ok;
    if (slab_cache_info(c, &ci) != SLAB_ERR_OK)
        return 0;
    ok = ci.active_objs == active && ci.num_objs == ci.num_slabs * ci.objperslab &&
         ci.objsize >= ci.object_size && ci.objperslab >= 1 && tu_is_pow2(ci.pagesperslab) &&
         tu_is_pow2(ci.align) && ci.objsize % ci.align == 0 &&
         ci.active_slabs <= ci.num_slabs && ci.active_objs <= ci.active_slabs * ci.objperslab &&
         ci.active_objs >= ci.active_slabs &&
         (ci.active_objs == 0) == (ci.active_slabs == 0) &&
         ci.active_objs + ci.cached_objs <= ci.num_objs &&
         ci.num_slabs - ci.active_slabs <= 3 + ci.cached_objs;
    if (!ok)
        printf("    cache %s: active %lu (want %lu) num_objs %lu objsize %lu align %lu "
               "perslab %lu pages %lu slabs %lu/%lu\n",
               ci.name ? ci.name : "?", (unsigned long)ci.active_objs, (unsigned long)active,
               (unsigned long)ci.num_objs, (unsigned long)ci.objsize, (unsigned long)ci.align,
               (unsigned long)ci.objperslab, (unsigned long)ci.pagesperslab,
               (unsigned long)ci.active_slabs, (unsigned long)ci.num_slabs);
    return ok;
}

// ==========================================================================================
// Helpers of t_kmalloc.c, t_vmalloc.c, t_reclaim.c and t_region.c (generic and large
// allocation, reclaim, regions): messages of reports, heaps with a config of their own,
// several-region identities, a set of live blocks, and the check after a refused call.

/* The messages of the reports since tu_msgs_reset(), as tu_hook_msg saw them (it also records
   into tu_g_rec as tu_hook does). */
#define TU_MSGS 48
static char tu_msgs[TU_MSGS][200];
static slab_error tu_msg_code[TU_MSGS];
static const void *tu_msg_ptr[TU_MSGS];
static unsigned tu_nmsgs;

static void tu_msgs_reset(void) { tu_nmsgs = 0; }

static void tu_hook_msg(slab_heap *heap, slab_error code, const void *ptr, const char *msg,
                        void *user)
{
    tu_hook(heap, code, ptr, msg, user);
    if (tu_nmsgs < TU_MSGS) {
        size_t n = msg ? strlen(msg) : 0;
        if (n >= sizeof tu_msgs[0])
            n = sizeof tu_msgs[0] - 1;
        memcpy(tu_msgs[tu_nmsgs], msg ? msg : "", n);
        tu_msgs[tu_nmsgs][n] = '\0';
        tu_msg_code[tu_nmsgs] = code;
        tu_msg_ptr[tu_nmsgs] = ptr;
        tu_nmsgs++;
    }
}

/* tu_cfg with the message-recording hook. */
static TU_UNUSED slab_heap_config tu_cfg_msg(size_t page_size)
{
    slab_heap_config c = tu_cfg(page_size);
    c.on_error = tu_hook_msg;
    return c;
}

/* Whether the last recorded message contains s. */
static TU_UNUSED int tu_last_msg_has(const char *s)
{
    int ok = tu_nmsgs > 0 && strstr(tu_msgs[tu_nmsgs - 1], s) != NULL;
    if (!ok)
        printf("    expected a message containing \"%s\", got \"%s\"\n", s,
               tu_nmsgs ? tu_msgs[tu_nmsgs - 1] : "(none)");
    return ok;
}

/* tu_heap with a config of the caller's. */
static TU_UNUSED slab_heap *tu_heap_cfg(tu_region *r, size_t size, size_t offset,
                                        const slab_heap_config *cfg)
{
    slab_heap *h;
    if (tu_region_new(r, size, offset) == NULL)
        return NULL;
    h = slab_heap_init(r->base, r->size, cfg);
    if (h == NULL)
        tu_region_free(r);
    return h;
}

/* The smallest page-aligned region whose heap has exactly npages pages (bisection, as
   tu_heap_pages does), or 0. */
static TU_UNUSED size_t tu_exact_size(size_t npages, size_t page_size)
{
    tu_region r;
    slab_heap *h = tu_heap_pages(&r, npages, page_size);
    size_t size = h ? r.size : 0;
    if (h)
        slab_heap_destroy(h);
    tu_region_free(&r);
    tu_rec_reset();
    return size;
}

/* The identities of tu_heap_ok that hold for a heap of several regions too (the free blocks
   add up, every page is free, in a slab, in a large block or in a page block), and the check. */
static TU_UNUSED int tu_heap_sane(slab_heap *h, size_t user_pages)
{
    slab_heapinfo hi;
    size_t sum = 0, largest = 0;
    unsigned k;
    int ok = 1;
    if (slab_heap_stats(h, &hi) != SLAB_ERR_OK || hi.max_order >= SLAB_MAX_ORDERS)
        return 0;
    for (k = 0; k < SLAB_MAX_ORDERS; k++) {
        sum += hi.free_blocks[k] << k;
        if (hi.free_blocks[k])
            largest = (size_t)1 << k;
        if (k > hi.max_order && hi.free_blocks[k])
            ok = 0;
    }
    if (sum != hi.pages_free || largest != hi.largest_free || hi.block_pages != user_pages ||
        hi.pages_free + hi.slab_pages + hi.large_pages + hi.block_pages != hi.pages_total)
        ok = 0;
    if (!ok)
        printf("    heap figures: total %lu free %lu (sum of blocks %lu) largest %lu (%lu) "
               "slab %lu large %lu block %lu (want %lu)\n",
               (unsigned long)hi.pages_total, (unsigned long)hi.pages_free, (unsigned long)sum,
               (unsigned long)hi.largest_free, (unsigned long)largest,
               (unsigned long)hi.slab_pages, (unsigned long)hi.large_pages,
               (unsigned long)hi.block_pages, (unsigned long)user_pages);
    if (slab_heap_check(h) != 0)
        ok = 0;
    return ok;
}

/* The cache of h with this name (kmalloc classes are "kmalloc-<size>"), or NULL. */
typedef struct tu_find {
    const char *name;
    slab_cache *found;
    size_t visits;
} tu_find;

static int tu_find_fn(slab_cache *c, void *user)
{
    tu_find *f = (tu_find *)user;
    slab_slabinfo ci;
    f->visits++;
    if (slab_cache_info(c, &ci) == SLAB_ERR_OK && strcmp(ci.name, f->name) == 0) {
        f->found = c;
        return 1;
    }
    return 0;
}

static TU_UNUSED slab_cache *tu_find_cache(slab_heap *h, const char *name)
{
    tu_find f;
    f.name = name;
    f.found = NULL;
    f.visits = 0;
    slab_heap_for_each_cache(h, tu_find_fn, &f);
    return f.found;
}

/* The heap's own caches: the cache of caches, and with SLAB_THREADS the caches of magazines
   and of per-thread slots. */
#define TU_OWN_CACHES (1 + 2 * SLAB_THREADS)

/* Pages of the heap's caches of magazines and per-thread slots (SLAB_THREADS builds: a
   thread's first slow path gets a cache its slots and magazines), which tests of exact page
   counts add back. */
static TU_UNUSED size_t tu_mag_pages(slab_heap *h)
{
    static const char *const names[2] = {"slab_magazine", "slab_cpus"};
    size_t pages = 0, i;
    for (i = 0; i < 2; i++) {
        slab_slabinfo si;
        slab_cache *m = tu_find_cache(h, names[i]);
        if (m && slab_cache_info(m, &si) == SLAB_ERR_OK)
            pages += si.num_slabs * si.pagesperslab;
    }
    return pages;
}

/* Live blocks whose bytes must survive whatever the test does to others. */
#define TU_BLOCKS 64
typedef struct tu_blocks {
    void *p[TU_BLOCKS];
    size_t len[TU_BLOCKS];
    uint32_t id[TU_BLOCKS];
    size_t n;
} tu_blocks;

static TU_UNUSED void tu_blocks_add(tu_blocks *b, void *p, size_t len)
{
    if (p == NULL || b->n == TU_BLOCKS)
        return;
    b->p[b->n] = p;
    b->len[b->n] = len;
    b->id[b->n] = 7000 + (uint32_t)b->n * 13u;
    tu_fill(p, len, b->id[b->n]);
    b->n++;
}

static TU_UNUSED void tu_blocks_del(tu_blocks *b, const void *p)
{
    size_t i;
    for (i = 0; i < b->n; i++)
        if (b->p[i] == p) {
            b->n--;
            b->p[i] = b->p[b->n];
            b->len[i] = b->len[b->n];
            b->id[i] = b->id[b->n];
            return;
        }
}

static TU_UNUSED int tu_blocks_ok(const tu_blocks *b)
{
    size_t i;
    for (i = 0; i < b->n; i++)
        if (!tu_verify(b->p[i], b->len[i], b->id[i])) {
            printf("    live block %lu (%p, %lu bytes) lost its bytes\n", (unsigned long)i,
                   b->p[i], (unsigned long)b->len[i]);
            return 0;
        }
    return 1;
}

/* What a refused call must leave as it was: a heap's figures and those of up to 3 caches, and
   the bytes of the live blocks. tu_watch_take before, tu_watch_refused after. */
typedef struct tu_watch {
    slab_heap *h;
    slab_cache *c[3];
    const tu_blocks *live;
    tu_snap s;
} tu_watch;

static TU_UNUSED void tu_watch_take(tu_watch *w)
{
    w->s = tu_snap_take(w->h, w->c[0], w->c[1], w->c[2]);
}

/* Exactly one report of `code` for w->h (then reset), nothing changed, the check passes. */
static TU_UNUSED int tu_watch_refused(tu_watch *w, slab_error code)
{
    tu_snap now = tu_snap_take(w->h, w->c[0], w->c[1], w->c[2]);
    int rep = tu_rep(w->h, code), same = tu_snap_eq(&w->s, &now);
    int check = slab_heap_check(w->h) == 0, live = w->live == NULL || tu_blocks_ok(w->live);
    if (!same)
        printf("    a refused call changed the figures (pages free %lu -> %lu, oom %lu -> %lu)\n",
               (unsigned long)w->s.hi.pages_free, (unsigned long)now.hi.pages_free,
               (unsigned long)w->s.hi.oom_count, (unsigned long)now.hi.oom_count);
    if (!check)
        printf("    the heap check failed after a refused call\n");
    return rep && same && check && live;
}

/* tu_watch_refused for a call whose report may carry either of two codes (the header names
   none, e.g. slab_ksize of a freed block: DOUBLE_FREE or INVALID_POINTER). */
static TU_UNUSED int tu_watch_refused2(tu_watch *w, slab_error a, slab_error b)
{
    if (tu_g_rec.count == 1 && tu_g_rec.last == b)
        return tu_watch_refused(w, b);
    return tu_watch_refused(w, a);
}

/* After an allocation failed for want of memory: one NOMEM report, oom_count + 1, nothing else
   changed but what reclaim may release (tu_snap_eq_after_oom), and the check passes. */
static TU_UNUSED int tu_watch_oom(tu_watch *w)
{
    tu_snap now = tu_snap_take(w->h, w->c[0], w->c[1], w->c[2]);
    int rep = tu_rep(w->h, SLAB_ERR_NOMEM), same = tu_snap_eq_after_oom(&w->s, &now);
    int check = slab_heap_check(w->h) == 0, live = w->live == NULL || tu_blocks_ok(w->live);
    if (!same)
        printf("    a failed allocation changed the figures (pages free %lu -> %lu, oom %lu -> "
               "%lu)\n",
               (unsigned long)w->s.hi.pages_free, (unsigned long)now.hi.pages_free,
               (unsigned long)w->s.hi.oom_count, (unsigned long)now.hi.oom_count);
    return rep && same && check && live;
}

/* Takes order-0 pages until the heap refuses (the NOMEM report is consumed); returns how many
   (at most cap). */
static TU_UNUSED size_t tu_fill_pages(slab_heap *h, void **pages, size_t cap)
{
    size_t n = 0;
    while (n < cap) {
        void *p = slab_pages_alloc(h, 0);
        if (p == NULL)
            break;
        pages[n++] = p;
    }
    if (n < cap)
        tu_rec_reset();
    return n;
}

/* The end of a test on one region of region_size bytes (0: its own figure): no report pending,
   the heap consistent with no pages left to the program, then destroyed and the region freed. */
static TU_UNUSED void tu_done(slab_heap *h, tu_region *r, size_t region_size)
{
    CHECK(tu_quiet());
    CHECK(tu_heap_ok(h, 0, region_size));
    slab_heap_destroy(h);
    tu_region_free(r);
}

/* Takes the free page at `at` (NULL if it is not free): takes every page the heap can give, keeps
   that one, gives the others back. For tests of a block whose next page is in use. */
static TU_UNUSED void *tu_take_page_at(slab_heap *h, const void *at)
{
    void *pages[256], *got = NULL;
    size_t n = tu_fill_pages(h, pages, 256), i;
    for (i = 0; i < n; i++) {
        if (pages[i] == at)
            got = pages[i];
        else
            slab_pages_free(h, pages[i]);
    }
    return got;
}

#endif /* TEST_UTIL_H */
