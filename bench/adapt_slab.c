/* bench/adapt_slab.c - slab.h behind the harness's adapters: the object cache, kmalloc,
   vmalloc and slab_pages_alloc paths. Built once per variant with the same macros as its
   bench/slab_impl.c copy (bench/bench.mk):
     BENCH_VARIANT=rel   release build
     BENCH_VARIANT=dbg   -DSLAB_DEBUG=1 (with the debugging layer's call-site macros)
     BENCH_VARIANT=hard  -DSLAB_HARDEN=1
     BENCH_VARIANT=thr   -DSLAB_THREADS=1 (thread-safe: section T shares one heap among threads)
   The heap's region is mapped once per adapter and kept across runs (warm pages, as a
   system allocator's heap is warm after its first run); every run builds a fresh heap on it. */
#define _GNU_SOURCE
#include "bench.h"
#include "slab.h"
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#ifndef BENCH_VARIANT
#define BENCH_VARIANT rel
#endif
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define STR2(a) #a
#define STR(a) STR2(a)

#define VARIANT_rel 0
#define VARIANT_dbg 1
#define VARIANT_hard 2
#define VARIANT_thr 3
#define VARIANT CAT(VARIANT_, BENCH_VARIANT)

#if VARIANT == VARIANT_rel
#define SUFFIX ""
#define KEYSUF ""
#define FAMILY "slab"
#elif VARIANT == VARIANT_dbg
#define SUFFIX " (SLAB_DEBUG=1)"
#define KEYSUF "-debug"
#define FAMILY "slab-debug"
#elif VARIANT == VARIANT_hard
#define SUFFIX " (SLAB_HARDEN=1)"
#define KEYSUF "-harden"
#define FAMILY "slab-harden"
#else
#define SUFFIX " (SLAB_THREADS=1)"
#define KEYSUF "-thr"
#define FAMILY "slab-thr"
#endif

#if VARIANT == VARIANT_thr
#define THREAD_SAFE 1
#define THREAD_DONE thread_done
/* A worker thread of section T gives its magazines back before the adapter's teardown. */
static void thread_done(void) { slab_thread_flush(); }
#else
#define THREAD_SAFE 0
#define THREAD_DONE NULL
#endif

typedef struct slab_priv {
    void *region;
    size_t mapped;
    slab_heap *heap;
    slab_cache *cache;
    int use_cache;
    int quiet;
} slab_priv;

static void hook(slab_heap *heap, slab_error code, const void *ptr, const char *msg, void *user)
{
    bench_adapter *a = (bench_adapter *)user;
    slab_priv *s = (slab_priv *)a->priv;
    (void)heap;
    /* Atomic: in section T several threads may report at once. */
    unsigned long n = __atomic_add_fetch(&a->errors, 1, __ATOMIC_RELAXED);
    if (!s->quiet && n <= 5)
        fprintf(stderr, "bench: %s: %s: %s (pointer %p)\n", a->name, slab_error_name(code), msg,
                ptr);
}

/* A fresh heap on the adapter's region (mapped or grown here). */
static int heap_setup(bench_adapter *a, const bench_cfg *cfg)
{
    slab_priv *s = (slab_priv *)a->priv;
    slab_heap_config hc;
    size_t want = cfg->region_bytes ? cfg->region_bytes : (size_t)64 << 20;
    if (s->mapped < want) {
        if (s->region)
            munmap(s->region, s->mapped);
        s->region = mmap(NULL, want, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (s->region == MAP_FAILED) {
            s->region = NULL;
            s->mapped = 0;
            return -1;
        }
        s->mapped = want;
    }
    a->errors = 0;
    s->quiet = cfg->quiet;
    for (size_t i = 0; i < sizeof hc; i++) /* no memset: keep this unit free of <string.h> */
        ((unsigned char *)&hc)[i] = 0;
    hc.on_error = hook;
    hc.user = a;
    hc.report_leaks = -1; /* a failed footprint trial leaves objects behind on purpose */
    s->heap = slab_heap_init(s->region, want, &hc);
    return s->heap ? 0 : -1;
}

static int setup(bench_adapter *a, const bench_cfg *cfg)
{
    slab_priv *s = (slab_priv *)a->priv;
    if (heap_setup(a, cfg) != 0)
        return -1;
    if (s->use_cache) {
        s->cache = slab_cache_create(s->heap, "bench", cfg->object_size, 0, 0, NULL, NULL);
        if (!s->cache) {
            slab_heap_destroy(s->heap);
            return -1;
        }
        a->arg = s->cache;
    } else {
        a->arg = s->heap;
    }
    return 0;
}

static void teardown(bench_adapter *a)
{
    slab_priv *s = (slab_priv *)a->priv;
    if (s->cache && !s->quiet)
        slab_cache_destroy(s->cache); /* refused (reported) if an object leaked */
    s->cache = NULL;
    slab_heap_destroy(s->heap);
    s->heap = NULL;
}

static void *cache_alloc(void *arg, size_t size)
{
    (void)size;
    return slab_cache_alloc((slab_cache *)arg);
}
static void cache_free(void *arg, void *p) { slab_cache_free((slab_cache *)arg, p); }
static size_t cache_alloc_bulk(void *arg, size_t n, void **out)
{
    return slab_cache_alloc_bulk((slab_cache *)arg, n, out);
}
static size_t cache_free_bulk(void *arg, size_t n, void **objs)
{
    return slab_cache_free_bulk((slab_cache *)arg, n, objs);
}

static void *km_alloc(void *arg, size_t size) { return slab_kmalloc((slab_heap *)arg, size); }
static void km_free(void *arg, void *p) { slab_kfree((slab_heap *)arg, p); }

#if VARIANT == VARIANT_rel
static void *vm_alloc(void *arg, size_t size) { return slab_vmalloc((slab_heap *)arg, size); }
static void vm_free(void *arg, void *p) { slab_vfree((slab_heap *)arg, p); }

/* size is a power of two of at least 4096 bytes (the heap's page size): order = log2(size/4K). */
static void *pg_alloc(void *arg, size_t size)
{
    return slab_pages_alloc((slab_heap *)arg, (unsigned)__builtin_ctzl(size) - 12u);
}
static void pg_free(void *arg, void *p) { slab_pages_free((slab_heap *)arg, p); }
#endif

#define PRIV(use) {NULL, 0, NULL, NULL, (use), 0}
static slab_priv p_cache = PRIV(1), p_km = PRIV(0);

static bench_adapter a_cache = {
    "slab.h cache" SUFFIX, "slab-cache" KEYSUF, FAMILY, BK_FIXED, 1, 1, NULL, setup, teardown,
    cache_alloc, cache_free, cache_alloc_bulk, cache_free_bulk, NULL, &p_cache, 0, THREAD_SAFE,
    THREAD_DONE};
static bench_adapter a_km = {
    "slab.h kmalloc" SUFFIX, "slab-kmalloc" KEYSUF, FAMILY, BK_GENERIC, 1, 1, NULL, setup,
    teardown, km_alloc, km_free, NULL, NULL, NULL, &p_km, 0, THREAD_SAFE, THREAD_DONE};
#if VARIANT == VARIANT_rel
static slab_priv p_vm = PRIV(0), p_pg = PRIV(0);
static bench_adapter a_vm = {
    "slab.h vmalloc", "slab-vmalloc", FAMILY, BK_GENERIC, 1, 1, NULL, setup, teardown,
    vm_alloc, vm_free, NULL, NULL, NULL, &p_vm, 0, 0, NULL};
static bench_adapter a_pg = {
    "slab.h pages", "slab-pages", FAMILY, BK_PAGES, 1, 1, NULL, setup, teardown,
    pg_alloc, pg_free, NULL, NULL, NULL, &p_pg, 0, 0, NULL};

const char *bench_slab_version(void)
{
    return STR(SLAB_VERSION_MAJOR) "." STR(SLAB_VERSION_MINOR) "." STR(SLAB_VERSION_PATCH);
}
#endif

void CAT(bench_register_slab_, BENCH_VARIANT)(bench_registry *r)
{
    bench_register(r, &a_cache);
    bench_register(r, &a_km);
#if VARIANT == VARIANT_rel
    bench_register(r, &a_vm);
    bench_register(r, &a_pg);
#endif
}
