/* bench/bench.h - the adapter interface of the benchmark harness (bench/harness.c).

   Every allocator sits behind one bench_adapter and is called only through its function
   pointers, so each pays the same indirect call. An adapter's functions get `arg`, which
   setup() fills in (a cache, a heap, a pool; unused by the system allocators). */
#ifndef BENCH_H_INCLUDED
#define BENCH_H_INCLUDED

#include <stddef.h>

/* What an adapter can serve. */
enum {
    BK_FIXED = 1,   /* objects of cfg.object_size bytes only (an object cache, the free list) */
    BK_GENERIC = 2, /* any size */
    BK_PAGES = 4,   /* power-of-two sizes of at least one 4 KiB page only (slab_pages_alloc) */
    BK_EMPTY = 8    /* the empty adapter: does nothing (harness cost, for bench-instr) */
};

typedef struct bench_cfg {
    size_t object_size;  /* BK_FIXED: bytes per object */
    size_t max_live;     /* the most objects live at once (the free list's capacity) */
    size_t region_bytes; /* slab.h: bytes of the region the heap is built on */
    int quiet;           /* slab.h: do not print out-of-memory reports (footprint search) */
} bench_cfg;

typedef struct bench_adapter {
    const char *name;   /* row label, e.g. "slab.h cache" */
    const char *key;    /* short id for --only and the footprint child, e.g. "slab-cache" */
    const char *family; /* "slab", "slab-debug", "slab-harden", "floor", "glibc", ... (colours) */
    unsigned kind;      /* BK_* */
    int region;         /* 1: footprint is the smallest region (slab.h), 0: RSS growth */
    int available;      /* 0: skipped; note says why */
    const char *note;
    /* Prepares a fresh allocator state for one run and sets arg; 0 on success. */
    int (*setup)(struct bench_adapter *a, const bench_cfg *cfg);
    /* Ends the state of setup (every object was freed before). */
    void (*teardown)(struct bench_adapter *a);
    void *(*alloc)(void *arg, size_t size);
    void (*free)(void *arg, void *p);
    /* Bulk calls, NULL where the allocator has none: n objects, all or nothing. */
    size_t (*alloc_bulk)(void *arg, size_t n, void **out);
    size_t (*free_bulk)(void *arg, size_t n, void **objs);
    void *arg;
    void *priv;
    unsigned long errors; /* slab.h: reports received by the error hook since setup */
    /* 1: alloc and free may be called from several threads at once on one setup (section T). */
    int thread_safe;
    /* Called by each worker thread of section T before it ends (NULL: nothing to do). */
    void (*thread_done)(void);
} bench_adapter;

typedef struct bench_registry {
    bench_adapter *a[40];
    int n;
} bench_registry;

void bench_register(bench_registry *r, bench_adapter *a);

/* Registration functions, one per adapter file / slab.h build variant. */
void bench_register_sys(bench_registry *r);       /* floor, empty, glibc, jemalloc, mimalloc */
void bench_register_slab_rel(bench_registry *r);  /* slab.h, release build */
void bench_register_slab_dbg(bench_registry *r);  /* slab.h, -DSLAB_DEBUG=1 */
void bench_register_slab_hard(bench_registry *r); /* slab.h, -DSLAB_HARDEN=1 */
void bench_register_slab_thr(bench_registry *r);  /* slab.h, -DSLAB_THREADS=1 */

/* Versions for the report header ("" when unknown). */
const char *bench_sys_versions(void);
const char *bench_slab_version(void);

#endif
