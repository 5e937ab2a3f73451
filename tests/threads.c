/* tests/threads.c - the SLAB_THREADS stress test, run under ThreadSanitizer by `make test`.
 *
 * 2, 4 and 8 threads share one heap. Each does a fixed number of random steps: typed-cache
 * allocs and frees (one cache with a constructor), kmalloc of 8..2048 bytes, vmalloc of 4..32
 * KiB, bulk alloc and free, and now and then a shrink or a statistics call. A quarter of the
 * objects a thread allocates go through a shared queue to be freed by another thread (the
 * producer/consumer of a job system). Every object is filled with a pattern of its own and
 * checked, byte for byte, when it is freed. After the threads join: slab_heap_check, then
 * exact statistics (the objects each cache holds are those the threads left live), then
 * everything is freed and the caches shrink to no slab at all. Last, in a fixed order, which
 * full magazines of the depot a thread that allocates without freeing gets (depot_affinity),
 * that two threads allocating by turns fill from slabs of their own (fill_slabs_apart), and
 * that reclaim reaches the free objects of an idle thread's active slab (reach_actives), and
 * that an idle thread's magazines of large objects hold little (big_objects_cached_little),
 * and that a full magazine of an odd room makes room when no other can be had
 * (odd_magazine_flush).
 *
 * Built with SLAB_MAX_THREADS=4, so the 8-thread round also runs threads without magazines.
 * Prints "N passed, N failed" last.
 */
#define _POSIX_C_SOURCE 200809L /* pthread barriers */
#define SLAB_THREADS 1
#ifndef SLAB_MAX_THREADS
#define SLAB_MAX_THREADS 4
#endif
#define SLAB_IMPLEMENTATION
#include "slab.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef STEPS
#define STEPS 20000 /* steps per thread; -DSTEPS=N for a longer soak */
#endif
#define LIVE 64     /* objects a thread holds at most */
#define QUEUE 1024  /* objects in flight between threads */
#define NCACHES 2

enum kind { K_CACHE, K_KMALLOC, K_VMALLOC };

typedef struct obj {
    void *p;
    size_t size;
    uint64_t tag;
    int kind;
    int cache; /* K_CACHE: index into caches[] */
} obj;

static int passed, failed;
static slab_heap *heap;
static slab_cache *caches[NCACHES];
static const size_t cache_size[NCACHES] = {48, 200};
static size_t errors_seen;          /* reports through the error hook: must stay 0 */

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static obj queue[QUEUE];
static size_t qhead, qlen;
static int corrupt; /* objects found with a wrong pattern */

#define CHECK(c)                                                                              \
    do {                                                                                      \
        if (c) {                                                                              \
            __atomic_add_fetch(&passed, 1, __ATOMIC_RELAXED);                                 \
        } else {                                                                              \
            __atomic_add_fetch(&failed, 1, __ATOMIC_RELAXED);                                 \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c);                               \
        }                                                                                     \
    } while (0)

/* In the workers: only failures count (each round's checks after the join are the tests). */
#define WCHECK(c)                                                                             \
    do {                                                                                      \
        if (!(c)) {                                                                           \
            __atomic_add_fetch(&failed, 1, __ATOMIC_RELAXED);                                 \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c);                               \
        }                                                                                     \
    } while (0)

static void on_error(slab_heap *h, slab_error code, const void *ptr, const char *msg, void *user)
{
    (void)h, (void)user;
    pthread_mutex_lock(&qlock);
    errors_seen++;
    pthread_mutex_unlock(&qlock);
    printf("error hook: %s at %p: %s\n", slab_error_name(code), ptr, msg);
}

static uint64_t rnd(uint64_t *s) /* splitmix64 */
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* The constructor's state: the first word says "constructed". */
static void ctor(void *p, void *ctx)
{
    (void)ctx;
    *(uint64_t *)p = 0xC0DEC0DEC0DEC0DEu;
}

static void fill(obj *o)
{
    unsigned char *b = (unsigned char *)o->p;
    size_t i;
    memcpy(b, &o->tag, sizeof o->tag);
    for (i = sizeof o->tag; i < o->size; i++)
        b[i] = (unsigned char)(o->tag + i);
}

static int intact(const obj *o)
{
    const unsigned char *b = (const unsigned char *)o->p;
    size_t i;
    if (memcmp(b, &o->tag, sizeof o->tag) != 0)
        return 0;
    for (i = sizeof o->tag; i < o->size; i++)
        if (b[i] != (unsigned char)(o->tag + i))
            return 0;
    return 1;
}

static void release(obj *o)
{
    if (!intact(o))
        __atomic_add_fetch(&corrupt, 1, __ATOMIC_RELAXED);
    if (o->kind == K_CACHE) {
        *(uint64_t *)o->p = 0xC0DEC0DEC0DEC0DEu; /* objects go back constructed */
        slab_cache_free(caches[o->cache], o->p);
    } else if (o->kind == K_KMALLOC) {
        slab_kfree(heap, o->p);
    } else {
        slab_vfree(heap, o->p);
    }
}

static int make(obj *o, uint64_t *s, int tid)
{
    unsigned r = (unsigned)(rnd(s) % 16);
    o->tag = rnd(s) | 1;
    if (r < 8) {
        o->kind = K_CACHE;
        o->cache = (int)(r & 1);
        o->size = cache_size[o->cache];
        o->p = slab_cache_alloc(caches[o->cache]);
        if (o->p && o->cache == 0 && *(uint64_t *)o->p != 0xC0DEC0DEC0DEC0DEu)
            __atomic_add_fetch(&corrupt, 1, __ATOMIC_RELAXED); /* constructed state lost */
    } else if (r < 15) {
        o->kind = K_KMALLOC;
        o->size = 8 + (size_t)(rnd(s) % 2041);
        o->p = r == 14 ? slab_kzalloc(heap, o->size) : slab_kmalloc(heap, o->size);
    } else {
        o->kind = K_VMALLOC;
        o->size = 4096 + (size_t)(rnd(s) % (28 * 1024));
        o->p = slab_vmalloc(heap, o->size);
    }
    (void)tid;
    if (!o->p)
        return 0;
    fill(o);
    return 1;
}

static int queue_put(const obj *o)
{
    int ok;
    pthread_mutex_lock(&qlock);
    ok = qlen < QUEUE;
    if (ok)
        queue[(qhead + qlen++) % QUEUE] = *o;
    pthread_mutex_unlock(&qlock);
    return ok;
}

static int queue_get(obj *o)
{
    int ok;
    pthread_mutex_lock(&qlock);
    ok = qlen > 0;
    if (ok) {
        *o = queue[qhead];
        qhead = (qhead + 1) % QUEUE;
        qlen--;
    }
    pthread_mutex_unlock(&qlock);
    return ok;
}

typedef struct worker {
    pthread_t thread;
    int id;
    size_t failed_allocs;
    obj live[LIVE];
    size_t nlive;
} worker;

/* Bulk: 16 objects of a cache at once, filled, checked and given back at once. */
static void bulk_round(worker *w, uint64_t *s)
{
    void *batch[16];
    int ci = (int)(rnd(s) % NCACHES);
    size_t n = slab_cache_alloc_bulk(caches[ci], 16, batch), i;
    for (i = 0; i < n; i++) {
        obj o;
        o.p = batch[i];
        o.size = cache_size[ci];
        o.tag = rnd(s) | 1;
        fill(&o);
        if (!intact(&o))
            __atomic_add_fetch(&corrupt, 1, __ATOMIC_RELAXED);
        *(uint64_t *)o.p = 0xC0DEC0DEC0DEC0DEu;
    }
    if (n)
        WCHECK(slab_cache_free_bulk(caches[ci], n, batch) == n);
    else
        w->failed_allocs++;
}

static void *work(void *arg)
{
    worker *w = (worker *)arg;
    uint64_t s = 0x1234567u + (uint64_t)w->id * 7919u;
    int step;
    for (step = 0; step < STEPS; step++) {
        unsigned r = (unsigned)(rnd(&s) % 100);
        obj o;
        if (r < 45 && w->nlive < LIVE) {
            if (make(&w->live[w->nlive], &s, w->id))
                w->nlive++;
            else
                w->failed_allocs++;
        } else if (r < 75 && w->nlive) {
            size_t i = (size_t)(rnd(&s) % w->nlive);
            o = w->live[i];
            w->live[i] = w->live[--w->nlive];
            if (r < 52 && queue_put(&o)) /* for another thread to free */
                continue;
            release(&o);
        } else if (r < 90) {
            if (queue_get(&o))
                release(&o);
        } else if (r < 95) {
            bulk_round(w, &s);
        } else if (r < 97) {
            slab_slabinfo si;
            WCHECK(slab_cache_info(caches[r & 1], &si) == SLAB_ERR_OK);
        } else if (r < 98) {
            slab_heapinfo hi;
            WCHECK(slab_heap_stats(heap, &hi) == SLAB_ERR_OK);
        } else if (r < 99) {
            slab_cache_shrink(caches[step & 1]);
        } else if (step % 1000 == 0) {
            slab_heap_shrink(heap);
        }
    }
    return NULL;
}

static void round_of(int nthreads)
{
    worker *w = (worker *)calloc((size_t)nthreads, sizeof *w);
    size_t expect[NCACHES] = {0, 0}, large = 0, i;
    obj o;
    int t, ci;
    slab_heapinfo hi;
    printf("== %d threads, %d steps each\n", nthreads, STEPS);
    for (t = 0; t < nthreads; t++) {
        w[t].id = t + 1 + nthreads * 100;
        CHECK(pthread_create(&w[t].thread, NULL, work, &w[t]) == 0);
    }
    for (t = 0; t < nthreads; t++)
        CHECK(pthread_join(w[t].thread, NULL) == 0);
    /* Quiescent: every structure is consistent and the figures are exact. */
    CHECK(slab_heap_check(heap) == 0);
    for (t = 0; t < nthreads; t++) {
        for (i = 0; i < w[t].nlive; i++) {
            if (w[t].live[i].kind == K_CACHE)
                expect[w[t].live[i].cache]++;
            large += w[t].live[i].kind == K_VMALLOC;
        }
    }
    for (i = 0; i < qlen; i++) {
        const obj *q = &queue[(qhead + i) % QUEUE];
        if (q->kind == K_CACHE)
            expect[q->cache]++;
        large += q->kind == K_VMALLOC;
    }
    for (ci = 0; ci < NCACHES; ci++) {
        slab_slabinfo si;
        CHECK(slab_cache_info(caches[ci], &si) == SLAB_ERR_OK);
        CHECK(si.active_objs == expect[ci]);
        if (si.active_objs != expect[ci])
            printf("cache %s: active_objs %zu, expected %zu\n", si.name, si.active_objs,
                   expect[ci]);
        CHECK(si.active_objs + si.cached_objs <= si.num_objs);
    }
    (void)large;
    /* Free everything from this thread: cross-thread frees of the workers' last objects. */
    for (t = 0; t < nthreads; t++)
        for (i = 0; i < w[t].nlive; i++)
            release(&w[t].live[i]);
    while (queue_get(&o))
        release(&o);
    CHECK(slab_heap_check(heap) == 0);
    /* Nothing is stranded in the exited threads' magazines: a shrink from here (the depot and
       this thread's magazines) gives every slab back. */
    slab_thread_flush();
    for (ci = 0; ci < NCACHES; ci++) {
        slab_slabinfo si;
        slab_cache_shrink(caches[ci]);
        CHECK(slab_cache_info(caches[ci], &si) == SLAB_ERR_OK);
        CHECK(si.active_objs == 0 && si.cached_objs == 0 && si.num_slabs == 0);
    }
    slab_heap_shrink(heap);
    CHECK(slab_heap_stats(heap, &hi) == SLAB_ERR_OK);
    CHECK(hi.large_pages == 0);
    CHECK(hi.slab_pages <= 8); /* the heap's own caches: cache structs and magazines */
    CHECK(slab_heap_check(heap) == 0);
    for (t = 0; t < nthreads; t++)
        if (w[t].failed_allocs)
            printf("thread %d: %zu allocations found no memory\n", t, w[t].failed_allocs);
    free(w);
}

/* Allocates n objects of c into objs and frees them all (they stay in this thread's magazines
   and the depot), then waits at turn twice: another thread has its turn in between, while this
   one keeps its thread number. */
static void churn_then_wait(slab_cache *c, void **objs, size_t n, pthread_barrier_t *turn)
{
    size_t i;
    for (i = 0; i < n; i++)
        WCHECK((objs[i] = slab_cache_alloc(c)) != NULL);
    for (i = 0; i < n; i++)
        slab_cache_free(c, objs[i]);
    pthread_barrier_wait(turn);
    pthread_barrier_wait(turn);
}

/* The depot and who takes from it, in a fixed order (one thread runs at a time): thread A frees
   more than its two magazines hold, so full magazines of A's objects wait in the depot. Thread
   B then allocates without freeing. Its first 32 magazines' worth of allocations (AFFINITY_TAKER)
   come from the slabs, not from A's magazines: a thread that also frees would spread its
   working set over A's pages. Allocating on, B shows itself a taker (a producer whose consumer
   frees) and gets A's magazines. */
#define AFFINITY_OBJS 512
#define AFFINITY_TAKER (SLAB__TAKER * SLAB__MAG_SIZE) /* objects: 64 B ones fill whole magazines */
#define AFFINITY_B_OBJS (AFFINITY_TAKER + 4 * SLAB__MAG_SIZE)
static slab_cache *aff_cache;
static void *aff_a[AFFINITY_OBJS];
static size_t aff_first_from_a, aff_later_from_a;
static pthread_barrier_t aff_turn;

static int from_a(const void *p)
{
    for (size_t i = 0; i < AFFINITY_OBJS; i++)
        if (aff_a[i] == p)
            return 1;
    return 0;
}

static void *affinity_a(void *unused)
{
    (void)unused;
    churn_then_wait(aff_cache, aff_a, AFFINITY_OBJS, &aff_turn); /* B's turn in between */
    return NULL;
}

static void *affinity_b(void *unused)
{
    static void *got[AFFINITY_B_OBJS];
    size_t i, n = 0;
    (void)unused;
    pthread_barrier_wait(&aff_turn);
    for (i = 0; i < AFFINITY_B_OBJS; i++) {
        WCHECK((got[n] = slab_cache_alloc(aff_cache)) != NULL);
        if (!got[n])
            break;
        if (from_a(got[n]))
            *(n < AFFINITY_TAKER ? &aff_first_from_a : &aff_later_from_a) += 1;
        n++;
    }
    for (i = 0; i < n; i++)
        slab_cache_free(aff_cache, got[i]);
    slab_thread_flush();
    pthread_barrier_wait(&aff_turn);
    return NULL;
}

static void depot_affinity(void)
{
    pthread_t a, b;
    aff_cache = slab_cache_create(heap, "affinity", 64, 0, 0, NULL, NULL);
    CHECK(aff_cache != NULL);
    if (!aff_cache)
        return;
    pthread_barrier_init(&aff_turn, NULL, 2);
    CHECK(pthread_create(&a, NULL, affinity_a, NULL) == 0);
    CHECK(pthread_create(&b, NULL, affinity_b, NULL) == 0);
    CHECK(pthread_join(a, NULL) == 0 && pthread_join(b, NULL) == 0);
    pthread_barrier_destroy(&aff_turn);
    CHECK(aff_first_from_a == 0);
    CHECK(aff_later_from_a > 0);
    CHECK(slab_heap_check(heap) == 0);
    CHECK(slab_cache_destroy(aff_cache) == SLAB_ERR_OK);
}

/* Each thread fills from an active slab of its own: threads A and B take turns allocating from
   one cache (one thread at a time), as two threads filling their working sets at once do. No
   slab ends up holding objects of both; with one active slab per cache they took turns in each.
   Between turns the heap checks sound with both threads' slabs active, and once both threads
   flushed, a shrink gives every slab back. */
#define APART_TURNS 10
#define APART_PER_TURN 40
static slab_cache *apart_cache;
static void *apart_obj[2][APART_TURNS * APART_PER_TURN];
static pthread_barrier_t apart_turn;

static void *apart_worker(void *arg)
{
    int me = *(const int *)arg, turn;
    size_t i, n = 0;
    for (turn = 0; turn < 2 * APART_TURNS; turn++) {
        if (turn % 2 == me) {
            for (i = 0; i < APART_PER_TURN; i++, n++)
                WCHECK((apart_obj[me][n] = slab_cache_alloc(apart_cache)) != NULL);
            WCHECK(slab_heap_check(heap) == 0);
        }
        pthread_barrier_wait(&apart_turn);
    }
    for (i = 0; i < n; i++)
        slab_cache_free(apart_cache, apart_obj[me][i]);
    slab_thread_flush(); /* the magazines' objects and the active slab go back */
    return NULL;
}

static const slab__page *slab_of(const void *p)
{
    const slab__zone *z = NULL;
    return slab__page_of(heap, p, &z);
}

static void fill_slabs_apart(void)
{
    pthread_t t[2];
    int ids[2] = {0, 1};
    size_t i, k, shared = 0;
    slab_slabinfo si;
    apart_cache = slab_cache_create(heap, "apart", 64, 0, 0, NULL, NULL);
    CHECK(apart_cache != NULL);
    if (!apart_cache)
        return;
    pthread_barrier_init(&apart_turn, NULL, 2);
    CHECK(pthread_create(&t[0], NULL, apart_worker, &ids[0]) == 0);
    CHECK(pthread_create(&t[1], NULL, apart_worker, &ids[1]) == 0);
    CHECK(pthread_join(t[0], NULL) == 0 && pthread_join(t[1], NULL) == 0);
    pthread_barrier_destroy(&apart_turn);
    /* The objects are free again, but their addresses still name the slabs they came from. */
    for (i = 0; i < APART_TURNS * APART_PER_TURN; i++)
        for (k = 0; k < APART_TURNS * APART_PER_TURN; k++)
            shared += slab_of(apart_obj[0][i]) == slab_of(apart_obj[1][k]);
    CHECK(shared == 0);
    CHECK(slab_heap_check(heap) == 0);
    slab_cache_shrink(apart_cache);
    CHECK(slab_cache_info(apart_cache, &si) == SLAB_ERR_OK && si.num_slabs == 0);
    CHECK(slab_cache_destroy(apart_cache) == SLAB_ERR_OK);
}

/* Reclaim reaches every thread's active slab: thread B allocates one object, so that its
   active slab holds free objects beside those its magazine took, and waits (a worker asleep
   in a job system). The main thread then allocates from the same cache until the heap runs
   out. Reclaim puts B's active slab back on its list, so the main thread gets its free
   objects too: at the end, every free object of the cache is in B's magazines. */
static slab_cache *reach_cache;
static pthread_barrier_t reach_turn;
static size_t reach_nomem; /* the heap's reports: out of memory, once */

static void on_reach_error(slab_heap *h, slab_error code, const void *ptr, const char *msg,
                           void *user)
{
    if (code == SLAB_ERR_NOMEM)
        reach_nomem++; /* only the main thread allocates more than one object */
    else
        on_error(h, code, ptr, msg, user);
}

static void *reach_worker(void *unused)
{
    void *p;
    (void)unused;
    WCHECK((p = slab_cache_alloc(reach_cache)) != NULL);
    pthread_barrier_wait(&reach_turn); /* the main thread's turn */
    pthread_barrier_wait(&reach_turn);
    slab_cache_free(reach_cache, p);
    return NULL; /* the thread's exit returns its magazines */
}

static void reach_actives(void)
{
    static void *got[4096];
    size_t npages = 48, size = slab_heap_region_size(npages, 0), n = 0, i;
    void *region = malloc(size);
    slab_heap_config cfg;
    slab_heap *h;
    slab_slabinfo si;
    pthread_t b;
    memset(&cfg, 0, sizeof cfg);
    cfg.on_error = on_reach_error;
    h = region ? slab_heap_init(region, size, &cfg) : NULL;
    CHECK(h != NULL);
    if (!h) {
        free(region);
        return;
    }
    reach_cache = slab_cache_create(h, "reach", 64, 0, 0, NULL, NULL);
    CHECK(reach_cache != NULL);
    pthread_barrier_init(&reach_turn, NULL, 2);
    CHECK(pthread_create(&b, NULL, reach_worker, NULL) == 0);
    pthread_barrier_wait(&reach_turn);
    while (n < sizeof got / sizeof got[0] && (got[n] = slab_cache_alloc(reach_cache)) != NULL)
        n++;
    CHECK(n > 0 && n < sizeof got / sizeof got[0] && reach_nomem == 1); /* the heap ran out */
    CHECK(slab_cache_info(reach_cache, &si) == SLAB_ERR_OK);
    CHECK(si.cached_objs > 0);                          /* B's magazine */
    CHECK(si.active_objs == n + 1);                     /* the main thread's and B's one */
    CHECK(si.num_objs == si.active_objs + si.cached_objs); /* no other free object left */
    CHECK(slab_heap_check(h) == 0);
    pthread_barrier_wait(&reach_turn);
    CHECK(pthread_join(b, NULL) == 0);
    pthread_barrier_destroy(&reach_turn);
    for (i = 0; i < n; i++)
        slab_cache_free(reach_cache, got[i]);
    slab_thread_flush();
    CHECK(slab_cache_destroy(reach_cache) == SLAB_ERR_OK);
    CHECK(slab_heap_check(h) == 0);
    slab_heap_destroy(h);
    free(region);
}

/* A thread's magazines of large objects hold little: thread B allocates 32 objects of 8 KiB
   and frees them, then waits (a worker asleep in a job system). A shrink from the main thread
   takes back what the depot holds; what stays out of its reach, in B's two magazines, is at
   most 2 x 4 objects (32 KiB of objects a magazine), not the 32 (two magazines of 64 slots
   each hold them all). B's exit returns those too. */
#define BIG_SIZE 8192
#define BIG_OBJS 32
static slab_cache *big_cache;
static pthread_barrier_t big_turn;

static void *big_worker(void *unused)
{
    void *p[BIG_OBJS];
    (void)unused;
    churn_then_wait(big_cache, p, BIG_OBJS, &big_turn); /* the main thread's turn in between */
    return NULL;
}

static void big_objects_cached_little(void)
{
    slab_slabinfo si;
    pthread_t b;
    big_cache = slab_cache_create(heap, "big", BIG_SIZE, 0, 0, NULL, NULL);
    CHECK(big_cache != NULL);
    if (!big_cache)
        return;
    pthread_barrier_init(&big_turn, NULL, 2);
    CHECK(pthread_create(&b, NULL, big_worker, NULL) == 0);
    pthread_barrier_wait(&big_turn);
    slab_heap_shrink(heap);
    CHECK(slab_cache_info(big_cache, &si) == SLAB_ERR_OK);
    CHECK(si.active_objs == 0);
    CHECK(si.cached_objs > 0 && si.cached_objs <= 2 * 4);
    CHECK(slab_heap_check(heap) == 0);
    pthread_barrier_wait(&big_turn);
    CHECK(pthread_join(b, NULL) == 0);
    pthread_barrier_destroy(&big_turn);
    slab_cache_shrink(big_cache);
    CHECK(slab_cache_info(big_cache, &si) == SLAB_ERR_OK);
    CHECK(si.cached_objs == 0 && si.num_slabs == 0);
    CHECK(slab_cache_destroy(big_cache) == SLAB_ERR_OK);
}

/* A full magazine of an odd room meets a heap with no memory for another magazine: the free
   makes room by returning the older, larger half of it to the slabs (the objects it keeps then
   move down without overlap). 640 B objects: magazines of 51. One thread: the heap is its own;
   the other caches' magazines fill the magazines' slab first, then the 640 B objects fill the
   pages. Every object is then freed, and the heap stays consistent. */
#define ODD_SIZE 640
static int find_magazines(slab_cache *c, void *user)
{
    slab_slabinfo si;
    if (slab_cache_info(c, &si) != SLAB_ERR_OK || strcmp(si.name, "slab_magazine") != 0)
        return 0;
    *(slab_cache **)user = c;
    return 1;
}

static int slab_full(slab_cache *c)
{
    slab_slabinfo si;
    return slab_cache_info(c, &si) == SLAB_ERR_OK && si.active_objs == si.num_objs;
}

static void odd_magazine_flush(void)
{
    static void *got[4096];
    size_t size = slab_heap_region_size(128, 0), n = 0, i, k, nfill = 0;
    void *region = malloc(size);
    slab_cache *odd, *mags = NULL, *fill[64];
    slab_heap_config cfg;
    slab_heap *h;
    memset(&cfg, 0, sizeof cfg);
    cfg.on_error = on_reach_error; /* the heap runs out once */
    reach_nomem = 0;
    h = region ? slab_heap_init(region, size, &cfg) : NULL;
    CHECK(h != NULL);
    if (!h) {
        free(region);
        return;
    }
    odd = slab_cache_create(h, "odd", ODD_SIZE, 0, 0, NULL, NULL);
    slab_cache_free(odd, slab_cache_alloc(odd)); /* its magazine */
    CHECK(slab_heap_for_each_cache(h, find_magazines, &mags) == 1);
    while (mags && !slab_full(mags) && nfill < 64) { /* a magazine for each further cache */
        fill[nfill] = slab_cache_create(h, "fill", 64, 0, 0, NULL, NULL);
        slab_cache_free(fill[nfill], slab_cache_alloc(fill[nfill]));
        nfill++;
    }
    CHECK(mags && slab_full(mags));
    while (n < sizeof got / sizeof got[0] && (got[n] = slab_cache_alloc(odd)) != NULL)
        n++;
    CHECK(n > 2 * 51 && reach_nomem == 1); /* the heap ran out */
    for (i = 0; i < n; i++) /* the 52nd free finds the magazine full, and no room for another */
        slab_cache_free(odd, got[i]);
    CHECK(slab_heap_check(h) == 0);
    slab_thread_flush();
    CHECK(slab_cache_destroy(odd) == SLAB_ERR_OK);
    for (k = 0; k < nfill; k++)
        CHECK(slab_cache_destroy(fill[k]) == SLAB_ERR_OK);
    CHECK(slab_heap_check(h) == 0);
    slab_heap_destroy(h);
    free(region);
}

int main(void)
{
    size_t size = (size_t)64 << 20;
    void *region = malloc(size);
    slab_heap_config cfg;
    int ci;
    memset(&cfg, 0, sizeof cfg);
    cfg.on_error = on_error;
    heap = slab_heap_init(region, size, &cfg);
    CHECK(heap != NULL);
    if (!heap)
        return 1;
    caches[0] = slab_cache_create(heap, "ctor48", cache_size[0], 0, 0, ctor, NULL);
    caches[1] = slab_cache_create(heap, "plain200", cache_size[1], 0, 0, NULL, NULL);
    CHECK(caches[0] && caches[1]);
    round_of(2);
    round_of(4);
    round_of(8);
    depot_affinity();
    fill_slabs_apart();
    reach_actives();
    big_objects_cached_little();
    odd_magazine_flush();
    CHECK(corrupt == 0);
    CHECK(errors_seen == 0);
    for (ci = 0; ci < NCACHES; ci++)
        CHECK(slab_cache_destroy(caches[ci]) == SLAB_ERR_OK);
    CHECK(slab_heap_check(heap) == 0);
    slab_heap_destroy(heap);
    free(region);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
