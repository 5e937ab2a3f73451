/* bench/layout.c - what sharing one heap costs two threads (make bench-layout).

   Section T's private 8..512 B workload on slab.h's kmalloc (SLAB_THREADS=1), or with --cache
   its private 64 B workload on an object cache (one per heap): each thread keeps 10,000 live
   objects and makes random free+alloc pairs on them from its own fixed-seed trace.
   Three layouts of the same work:
     shared  one heap; the threads fill their live sets at the same time (as section T does)
     serial  one heap; the second thread fills after the first
     own     a heap per thread
   Each thread's throughput is counted in its own CPU time (CLOCK_THREAD_CPUTIME_ID), which
   leaves out the time the machine ran something else on its core; a figure for N threads is
   the sum over them. Rounds interleave the layouts and thread counts; medians are printed, and
   the scaling is the median of each round's 2-thread over 1-thread ratio. The last column sets
   each layout's 2-thread figure against the heap-per-thread one of the same round: runs that
   close together share the machine's state (on a VM, each virtual CPU's speed changes over
   seconds, which moves a 1-thread run against a 2-thread one). After the 2-thread runs: the
   pages holding each thread's live objects, and how many hold both threads'. --huge asks for
   transparent huge pages on the regions (madvise MADV_HUGEPAGE), which takes the TLB out.

   make bench-paired builds this file three times into one program that sets two versions of
   slab.h against each other: with LAYOUT_SIDE=base and LAYOUT_SIDE=new, each with its own
   slab.h (SLAB_STATIC: two private implementations) and no main, and with LAYOUT_PAIRED, the
   main that runs both sides' 2-thread cells in every round, seconds apart. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIVE 10000
#define MAXROUNDS 64
enum { SHARED, SERIAL, OWN, NLAYOUTS };
#ifndef LAYOUT_SIDE
static const char *const layout_name[NLAYOUTS] = {"shared", "serial", "own"};
#endif

#ifndef LAYOUT_PAIRED
#ifdef LAYOUT_MODEL
/* make bench-cachemodel: bench/cachemodel.c stands in for the sanitizer runtime, and slab.h must
   not take the paths it keeps for AddressSanitizer. */
#undef __SANITIZE_ADDRESS__
#endif
#ifdef LAYOUT_SIDE
#define SLAB_STATIC /* the other side has an implementation of its own */
#endif
#define SLAB_IMPLEMENTATION
#define SLAB_THREADS 1
#include "slab.h"

#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <time.h>

#define REGION ((size_t)64 << 20)

typedef struct job {
    slab_heap *heap;
    slab_cache *cache;           /* --cache: the heap's 64 B cache; NULL: kmalloc */
    const uint32_t *slot, *size; /* the trace: slot[i] is freed, then size[i] allocated */
    void **live;
    size_t pairs;
    int k, serial, ok;
    double cpu;       /* seconds of CPU time the pairs took */
    uintptr_t *pages; /* the page of each live object after the pairs */
} job;

#ifdef LAYOUT_MODEL
/* bench/cachemodel.c: each worker's caches, misses counted while it measures. */
#include "cachemodel.h"

enum { K_OTHER, K_HEADER, K_DESCRIPTORS, K_CACHES, K_MAGAZINES, K_SLOTS, K_OBJECTS, NKINDS };
static const char *const kind_names[NKINDS] = {
    "not in a heap", "heap header", "descriptors", "cache structs", "magazines",
    "per-thread slots", "objects"};
static slab_heap *model_heaps[2];

/* What the heaps hold at a (the model asks on each miss, so this is not instrumented). */
__attribute__((no_sanitize("kernel-address"))) static int kind_of(uintptr_t a)
{
    for (int k = 0; k < 2; k++) {
        const slab_heap *h = model_heaps[k];
        const slab__page *pg;
        if (!h || a < h->zone.region_lo || a >= h->zone.region_hi)
            continue;
        if (a < (uintptr_t)h->zone.pages)
            return K_HEADER;
        if (a < (uintptr_t)h->zone.base)
            return K_DESCRIPTORS;
        pg = &h->zone.pages[h->zone.pages[(a - (uintptr_t)h->zone.base) >> h->page_shift].head];
        return pg->cache == &h->cache_cache ? K_CACHES
               : pg->cache == &h->mag_cache ? K_MAGAZINES
               : pg->cache == &h->cpu_cache ? K_SLOTS
               : pg->cache                  ? K_OBJECTS
                                            : K_OTHER;
    }
    return K_OTHER;
}
#else
#define model_thread(id) ((void)0)
#define model_measure(on) ((void)0)
#define model_reset() ((void)0)
#define model_report(layout, threads, pairs) ((void)0)
#endif

static pthread_barrier_t start, done;
static int filled; /* serial layout: threads that finished their fill */

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *obj_alloc(const job *j, uint32_t size)
{
    return j->cache ? slab_cache_alloc(j->cache) : slab_kmalloc(j->heap, size);
}

static void obj_free(const job *j, void *p)
{
    if (j->cache)
        slab_cache_free(j->cache, p);
    else
        slab_kfree(j->heap, p);
}

static void *worker(void *arg)
{
    job *j = (job *)arg;
    const uint32_t *slot = j->slot, *size = j->size;
    void **live = j->live;
    size_t i, n = j->pairs;
    int ok = 1;
    double c0;
    model_thread(j->k);
    while (j->serial && __atomic_load_n(&filled, __ATOMIC_ACQUIRE) < j->k)
        sched_yield();
    for (i = 0; i < LIVE; i++) /* the trace's last sizes: the set it starts from */
        if (!(live[i] = obj_alloc(j, size[n - 1 - i])))
            ok = 0;
    __atomic_add_fetch(&filled, 1, __ATOMIC_RELEASE);
    pthread_barrier_wait(&start);
    c0 = cpu_now();
    model_measure(1);
    for (i = 0; ok && i < n; i++) {
        uint32_t s = slot[i];
        void *p;
        obj_free(j, live[s]);
        live[s] = p = obj_alloc(j, size[i]);
        if (p)
            *(uint32_t *)p = (uint32_t)i;
        else
            ok = 0;
    }
    model_measure(0);
    j->cpu = cpu_now() - c0;
    pthread_barrier_wait(&done);
    for (i = 0; i < LIVE; i++) {
        j->pages[i] = (uintptr_t)live[i] >> 12;
        obj_free(j, live[i]);
    }
    slab_thread_flush();
    j->ok = ok;
    return NULL;
}

static int cmp_uptr(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return (x > y) - (x < y);
}

/* Sorts p[0..n) and drops repeats; returns the count left. */
static size_t uniq(uintptr_t *p, size_t n)
{
    size_t m = 0;
    qsort(p, n, sizeof *p, cmp_uptr);
    for (size_t i = 0; i < n; i++)
        if (!m || p[i] != p[m - 1])
            p[m++] = p[i];
    return m;
}

static size_t common(const uintptr_t *a, size_t na, const uintptr_t *b, size_t nb)
{
    size_t i = 0, k = 0, n = 0;
    while (i < na && k < nb)
        if (a[i] == b[k])
            n++, i++, k++;
        else if (a[i] < b[k])
            i++;
        else
            k++;
    return n;
}

static int use_cache; /* --cache */
static void *regions[2];
static uint32_t *slots[2], *sizes[2];
static void **lives[2];
static uintptr_t *pagebuf[2];

/* One run: n threads (1 or 2) in layout L. Returns million pairs per CPU-second summed over the
   threads (-1: an allocation failed); *pages and *shared get the layout figures for n = 2. */
static double run(int L, int n, size_t pairs, double *pages, double *shared)
{
    slab_heap *heaps[2] = {NULL, NULL};
    slab_cache *caches[2] = {NULL, NULL};
    job jobs[2];
    pthread_t tid[2];
    double mops = 0;
    int ok = 1;
    for (int k = 0; k < n; k++)
        heaps[k] = k && L != OWN ? heaps[0] : slab_heap_init(regions[k], REGION, NULL);
    if (!heaps[0] || !heaps[n - 1]) {
        fprintf(stderr, "layout: slab_heap_init failed\n");
        exit(1);
    }
    for (int k = 0; use_cache && k < n; k++) {
        caches[k] = k && L != OWN ? caches[0]
                                  : slab_cache_create(heaps[k], "obj64", 64, 0, 0, NULL, NULL);
        if (!caches[k]) {
            fprintf(stderr, "layout: slab_cache_create failed\n");
            exit(1);
        }
    }
#ifdef LAYOUT_MODEL
    model_heaps[0] = heaps[0];
    model_heaps[1] = heaps[1];
#endif
    model_reset();
    filled = 0;
    pthread_barrier_init(&start, NULL, (unsigned)n);
    pthread_barrier_init(&done, NULL, (unsigned)n);
    for (int k = 0; k < n; k++) {
        jobs[k] = (job){heaps[k], caches[k], slots[k], sizes[k], lives[k], pairs, k, L == SERIAL,
                        1, 0, pagebuf[k]};
        if (pthread_create(&tid[k], NULL, worker, &jobs[k]) != 0) {
            fprintf(stderr, "layout: pthread_create failed\n");
            exit(1);
        }
    }
    for (int k = 0; k < n; k++) {
        pthread_join(tid[k], NULL);
        ok &= jobs[k].ok;
        mops += (double)pairs / jobs[k].cpu / 1e6;
    }
    model_report(layout_name[L], n, pairs);
    pthread_barrier_destroy(&start);
    pthread_barrier_destroy(&done);
    for (int k = 0; k < n; k++)
        if (!k || L == OWN)
            slab_heap_destroy(heaps[k]);
    if (n == 2) {
        size_t a = uniq(pagebuf[0], LIVE), b = uniq(pagebuf[1], LIVE);
        *pages = (double)(a + b) / 2;
        *shared = (double)common(pagebuf[0], a, pagebuf[1], b);
    }
    return ok ? mops : -1;
}

/* The regions (on transparent huge pages with `huge`, where the kernel has them) and both
   threads' traces; 0, or -1 out of memory. */
static int setup(size_t pairs, int cache, int huge)
{
    use_cache = cache;
    for (int k = 0; k < 2; k++) {
        uint64_t r = (uint64_t)k * 77 + 1;
        regions[k] = mmap(NULL, REGION, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
#ifdef MADV_HUGEPAGE
        if (huge && regions[k] != MAP_FAILED)
            madvise(regions[k], REGION, MADV_HUGEPAGE); /* advice: no huge pages is no error */
#endif
        slots[k] = malloc(pairs * sizeof *slots[k]);
        sizes[k] = malloc(pairs * sizeof *sizes[k]);
        lives[k] = malloc(LIVE * sizeof *lives[k]);
        pagebuf[k] = malloc(LIVE * sizeof *pagebuf[k]);
        if (regions[k] == MAP_FAILED || !slots[k] || !sizes[k] || !lives[k] || !pagebuf[k])
            return -1;
        for (size_t i = 0; i < pairs; i++) { /* PCG-style LCG, high bits */
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            slots[k][i] = (uint32_t)((r >> 33) % LIVE);
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            sizes[k][i] = 8 + (uint32_t)((r >> 33) % 505);
        }
    }
    return 0;
}
#endif /* !LAYOUT_PAIRED */

#ifndef LAYOUT_SIDE
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n), which stays as it is. */
static double median(const double *v, int n)
{
    double s[MAXROUNDS];
    memcpy(s, v, (size_t)n * sizeof *v);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Reads --rounds N, --pairs N, --cache and --huge; 0, or 2 after a usage message. */
static int options(int argc, char **argv, int *rounds, size_t *pairs, int *cache, int *huge)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            *rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--pairs") && i + 1 < argc)
            *pairs = (size_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--cache"))
            *cache = 1;
        else if (!strcmp(argv[i], "--huge"))
            *huge = 1;
        else {
            fprintf(stderr, "usage: %s [--rounds N (1..%d)] [--pairs N (per thread)] [--cache] "
                            "[--huge]\n", argv[0], MAXROUNDS);
            return 2;
        }
    }
    if (*rounds < 1 || *rounds > MAXROUNDS || *pairs < LIVE) {
        fprintf(stderr, "%s: --rounds 1..%d, --pairs at least %d\n", argv[0], MAXROUNDS, LIVE);
        return 2;
    }
    return 0;
}
#endif /* !LAYOUT_SIDE */

#if defined(LAYOUT_SIDE)
/* One side of make bench-paired: LAYOUT_SIDE_setup and LAYOUT_SIDE_run. */
#define SIDE_NAME2(side, f) side##_##f
#define SIDE_NAME(side, f) SIDE_NAME2(side, f)
int SIDE_NAME(LAYOUT_SIDE, setup)(size_t pairs, int cache, int huge);
double SIDE_NAME(LAYOUT_SIDE, run)(int layout, int threads, size_t pairs);
int SIDE_NAME(LAYOUT_SIDE, setup)(size_t pairs, int cache, int huge)
{
    return setup(pairs, cache, huge);
}
double SIDE_NAME(LAYOUT_SIDE, run)(int layout, int threads, size_t pairs)
{
    double pages, shared;
    return run(layout, threads, pairs, &pages, &shared);
}
#elif defined(LAYOUT_PAIRED)
int base_setup(size_t pairs, int cache, int huge);
int new_setup(size_t pairs, int cache, int huge);
double base_run(int layout, int threads, size_t pairs);
double new_run(int layout, int threads, size_t pairs);

/* Each round runs the 2-thread cells of both headers, one heap and a heap each, in an order
   that rotates from round to round; the figure is the median of the rounds' new/base ratios. */
int main(int argc, char **argv)
{
    static const int layouts[2] = {SHARED, OWN};
    double (*const side_run[2])(int, int, size_t) = {base_run, new_run};
    double m[2][2][MAXROUNDS], ratio[MAXROUNDS];
    int rounds = 20, cache = 0, huge = 0;
    size_t pairs = 2000000;
    if (options(argc, argv, &rounds, &pairs, &cache, &huge))
        return 2;
    if (base_setup(pairs, cache, huge) || new_setup(pairs, cache, huge)) {
        fprintf(stderr, "paired: out of memory\n");
        return 1;
    }
    fprintf(stderr, "paired: %s%s, %d rounds x 2 headers x 2 layouts, 2 threads, %zu pairs a "
                    "thread ...\n", cache ? "64 B cache" : "8..512 B kmalloc",
            huge ? ", huge pages" : "", rounds, pairs);
    for (int r = 0; r < rounds; r++)
        for (int q = 0; q < 4; q++) {
            int x = (q + r) % 4, side = x >> 1, l = x & 1;
            if ((m[side][l][r] = side_run[side](layouts[l], 2, pairs)) < 0) {
                fprintf(stderr, "paired: an allocation failed\n");
                return 1;
            }
        }
    printf("| layout, 2 threads | base, on-CPU Mops/s | new | new / base (median of rounds) "
           "| rounds new ahead |\n|---|--:|--:|--:|--:|\n");
    for (int l = 0; l < 2; l++) {
        int ahead = 0;
        for (int r = 0; r < rounds; r++) {
            ratio[r] = m[1][l][r] / m[0][l][r];
            ahead += ratio[r] > 1;
        }
        printf("| %s | %.1f | %.1f | %.3f | %d of %d |\n", layout_name[layouts[l]],
               median(m[0][l], rounds), median(m[1][l], rounds), median(ratio, rounds), ahead,
               rounds);
    }
    return 0;
}
#else
int main(int argc, char **argv)
{
    int rounds = 12, cache = 0, huge = 0;
    size_t pairs = 4000000;
    double one[NLAYOUTS][MAXROUNDS], two[NLAYOUTS][MAXROUNDS], scaling[MAXROUNDS];
    double pages[NLAYOUTS][MAXROUNDS], shared[NLAYOUTS][MAXROUNDS], vs_own[MAXROUNDS];
    if (options(argc, argv, &rounds, &pairs, &cache, &huge))
        return 2;
    if (setup(pairs, cache, huge)) {
        fprintf(stderr, "layout: out of memory\n");
        return 1;
    }
    fprintf(stderr, "layout: %s%s, %d rounds x 3 layouts x (1 + 2 threads), %zu pairs a thread "
                    "...\n", cache ? "64 B cache" : "8..512 B kmalloc", huge ? ", huge pages" : "",
            rounds, pairs);
#ifdef LAYOUT_MODEL
    model_kinds(kind_of, kind_names, NKINDS);
    model_header(); /* the model's rows, per pair; its time is not the program's */
#endif
    for (int r = 0; r < rounds; r++)
        for (int L = 0; L < NLAYOUTS; L++) {
            one[L][r] = run(L, 1, pairs, NULL, NULL);
            two[L][r] = run(L, 2, pairs, &pages[L][r], &shared[L][r]);
            if (one[L][r] < 0 || two[L][r] < 0) {
                fprintf(stderr, "layout: an allocation failed\n");
                return 1;
            }
        }
#ifdef LAYOUT_MODEL
    return 0;
#endif
    printf("| layout | 1 thread, on-CPU Mops/s | 2 threads | scaling (on-CPU) | 2 threads "
           "against a heap each | pages a thread | pages with both threads' objects |\n"
           "|---|--:|--:|--:|--:|--:|--:|\n");
    for (int L = 0; L < NLAYOUTS; L++) {
        for (int r = 0; r < rounds; r++) {
            scaling[r] = two[L][r] / one[L][r];
            vs_own[r] = two[L][r] / two[OWN][r];
        }
        printf("| %s | %.1f | %.1f | %.2f | %.3f | %.0f | %.0f |\n", layout_name[L],
               median(one[L], rounds), median(two[L], rounds), median(scaling, rounds),
               median(vs_own, rounds), median(pages[L], rounds), median(shared[L], rounds));
    }
    return 0;
}
#endif
