/* bench/harness.c - slab.h's benchmark suite (issue 6). See bench/README.md.

   One harness, every allocator behind a bench_adapter (bench/bench.h) called through function
   pointers, the same operation traces for all: generated before timing from a fixed-seed
   PRNG. Sections:
     A  64-byte churn: 10,000 live, 10M random free+alloc pairs (ns per pair)
     B  LIFO batch: 100,000 x 64 B allocated then freed in reverse, 50 rounds (ns per op),
        and slab.h's alloc_bulk/free_bulk in batches of 16 and 64
     C  uniform 8..512 B, 50,000 live, 10M pairs (ns per pair)
     D  uniform 4 KiB..64 KiB, 1,000 live, 1M pairs; D2: powers of two 4..64 KiB (pages path)
     E  footprint: slab.h, the smallest region on which the trace completes (binary search,
        fresh heaps) over peak live bytes; others, peak RSS growth over peak live bytes
     F  latency: per-operation TSC ticks for A, C and D after a churn that fragments the heap
     T  threads: N threads (--threads 1,2) share one allocator; private working sets and
        producer/consumer pairs, 64 B and 8..512 B (million free+alloc pairs per second)
   Each cell runs once to warm up, then --reps times (default 5), the allocators of a section
   interleaved (the order rotates every round); medians and min-max are reported.

   Modes: (default) the whole suite; --instr (under valgrind --tool=callgrind: instruction
   counts of the fast paths, one dump per cell); --instr-report DIR (the table of those dumps);
   --footprint-child KEY TRACE (internal: one RSS measurement in a fresh process). */
#define _GNU_SOURCE
#include "bench.h"
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND 1
#endif
#endif
#ifndef HAVE_CALLGRIND
#define HAVE_CALLGRIND 0
#define RUNNING_ON_VALGRIND 0
#endif

#ifndef BENCH_CFLAGS_STR
#define BENCH_CFLAGS_STR "?"
#endif

#define MAXREP 32
#define KiB ((size_t)1024)
#define MiB ((size_t)1024 * 1024)

/* ================================================================================================
   Utilities */

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

/* Large harness arrays come from mmap, outside every allocator under test. */
static void *big_alloc(size_t bytes)
{
    void *p = mmap(NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED)
        die("mmap of %zu bytes failed", bytes);
    return p;
}
static void big_free(void *p, size_t bytes)
{
    if (p)
        munmap(p, bytes ? bytes : 1);
}

/* Clock `id` in seconds. */
static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }

/* The calling thread's CPU time in seconds: what the kernel counts it ran (T's on-CPU figure). */
static double cpu_s(void) { return clock_s(CLOCK_THREAD_CPUTIME_ID); }

/* The calling thread's time spent waiting on the kernel's run queue for a CPU (seconds; NAN
   when the kernel does not tell), and how often it went to sleep (voluntary context switches;
   a sched_yield does not count; -1 when unknown). Linux. */
static void sched_wait(double *wait, long *slept)
{
    unsigned long long ran, waited;
    char buf[128];
    int fd = open("/proc/thread-self/schedstat", O_RDONLY); /* not fopen: its malloc can sleep */
    ssize_t len = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    struct rusage ru;
    if (fd >= 0)
        close(fd);
    buf[len > 0 ? len : 0] = '\0';
    *wait = sscanf(buf, "%llu %llu", &ran, &waited) == 2 ? (double)waited * 1e-9 : NAN;
    *slept = getrusage(RUSAGE_THREAD, &ru) == 0 ? ru.ru_nvcsw : -1;
}

/* Seconds the hypervisor has taken from this machine's CPUs, all of them together (the steal
   column of /proc/stat); NAN where the kernel does not say. */
static double steal_s(void)
{
    unsigned long long v[8];
    FILE *f = fopen("/proc/stat", "r");
    int got = f ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
                         &v[3], &v[4], &v[5], &v[6], &v[7])
                : 0;
    if (f)
        fclose(f);
    return got == 8 ? (double)v[7] / (double)sysconf(_SC_CLK_TCK) : NAN;
}

static inline uint64_t ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned lo, hi;
    __asm__ __volatile__("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32) | lo;
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
    double t[MAXREP];
    if (n <= 0)
        return NAN;
    memcpy(t, v, (size_t)n * sizeof *t);
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

/* splitmix64: a fixed seed gives the same traces on every machine. */
static uint64_t rng;
static uint64_t rng_next(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static uint32_t rng_range(uint32_t lo, uint32_t hi) /* uniform in [lo, hi] */
{
    return lo + (uint32_t)(((rng_next() >> 32) * (uint64_t)(hi - lo + 1)) >> 32);
}

/* ================================================================================================
   Traces */

typedef struct trace {
    const char *id;
    const char *what;
    size_t live, npairs;
    uint32_t lo, hi;       /* sizes: uniform in [lo, hi]; lo == hi: fixed */
    int pow2;              /* sizes: lo << k, uniform k, up to hi */
    uint32_t *init_size;   /* live: the sizes of the fill */
    uint32_t *slot;        /* npairs: the slot freed and allocated again */
    uint32_t *size;        /* npairs: the new size (NULL when fixed) */
    size_t peak_live;      /* the most bytes live at once */
    size_t region_bytes;   /* slab.h heaps for the timed runs */
} trace;

static uint32_t trace_draw(const trace *t)
{
    if (t->pow2) {
        unsigned k = 0, kmax = (unsigned)__builtin_ctz(t->hi) - (unsigned)__builtin_ctz(t->lo);
        k = rng_range(0, kmax);
        return t->lo << k;
    }
    return t->lo == t->hi ? t->lo : rng_range(t->lo, t->hi);
}

static void trace_gen(trace *t, uint64_t seed)
{
    uint32_t *cur = big_alloc(t->live * sizeof *cur);
    size_t bytes = 0, i;
    rng = seed;
    t->init_size = big_alloc(t->live * sizeof *t->init_size);
    t->slot = big_alloc(t->npairs * sizeof *t->slot);
    t->size = t->lo == t->hi ? NULL : big_alloc(t->npairs * sizeof *t->size);
    for (i = 0; i < t->live; i++) {
        cur[i] = t->init_size[i] = trace_draw(t);
        bytes += cur[i];
    }
    t->peak_live = bytes;
    for (i = 0; i < t->npairs; i++) {
        uint32_t s = rng_range(0, (uint32_t)t->live - 1), n = trace_draw(t);
        t->slot[i] = s;
        if (t->size)
            t->size[i] = n;
        bytes = bytes - cur[s] + n; /* the free comes first, so the peak is after the alloc */
        cur[s] = n;
        if (bytes > t->peak_live)
            t->peak_live = bytes;
    }
    big_free(cur, t->live * sizeof *cur);
}

static trace T_A = {"A", "64 B churn", 10000, 10000000, 64, 64, 0, 0, 0, 0, 0, 32 * MiB};
static trace T_C = {"C", "8..512 B", 50000, 10000000, 8, 512, 0, 0, 0, 0, 0, 256 * MiB};
static trace T_D = {"D", "4..64 KiB", 1000, 1000000, 4096, 65536, 0, 0, 0, 0, 0, 512 * MiB};
static trace T_D2 = {"D2", "4..64 KiB, powers of two", 1000, 1000000, 4096, 65536, 1,
                     0, 0, 0, 0, 512 * MiB};
static size_t B_N = 100000, B_ROUNDS = 50;

static trace *trace_by_id(const char *id)
{
    trace *all[] = {&T_A, &T_C, &T_D, &T_D2};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (!strcmp(all[i]->id, id))
            return all[i];
    return NULL;
}

static void scale_traces(double s)
{
    trace *all[] = {&T_A, &T_C, &T_D, &T_D2};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        all[i]->npairs = (size_t)((double)all[i]->npairs * s);
        if (all[i]->npairs < 1000)
            all[i]->npairs = 1000;
    }
    B_ROUNDS = (size_t)((double)B_ROUNDS * s);
    if (B_ROUNDS < 2)
        B_ROUNDS = 2;
}

/* ================================================================================================
   Adapters */

static bench_registry reg;

void bench_register(bench_registry *r, bench_adapter *a)
{
    if (r->n < (int)(sizeof r->a / sizeof r->a[0]))
        r->a[r->n++] = a;
}

static bench_adapter *adapter(const char *key)
{
    for (int i = 0; i < reg.n; i++)
        if (!strcmp(reg.a[i]->key, key))
            return reg.a[i];
    return NULL;
}

static const char *only; /* --only: comma-separated keys */

static int selected(const bench_adapter *a)
{
    const char *p;
    size_t n = strlen(a->key);
    if (!only)
        return 1;
    for (p = only; (p = strstr(p, a->key)) != NULL; p += n)
        if ((p == only || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return 1;
    return !strcmp(a->key, "empty");
}

static bench_cfg cfg_for(const trace *t, size_t max_live, size_t region)
{
    bench_cfg c;
    memset(&c, 0, sizeof c);
    c.object_size = t && t->lo == t->hi ? t->lo : 64;
    c.max_live = max_live;
    c.region_bytes = region;
    return c;
}

/* ================================================================================================
   The measured loops. Function pointers are loaded into locals once; the adapters live in other
   translation units, so every call is a real indirect call. */

enum { TOUCH_WORD, TOUCH_PAGES };

/* Writes one byte per 4 KiB and the last byte: every page of the block becomes resident. */
static inline void touch_pages(void *p, size_t n)
{
    volatile char *c = (volatile char *)p;
    for (size_t off = 0; off < n; off += 4096)
        c[off] = 1;
    c[n - 1] = 1;
}

/* Pairs [from, to) of t: free live[slot], allocate the new size into it. Returns the index of
   the first pair whose allocation failed, or `to`. */
static inline __attribute__((always_inline)) size_t
pairs_loop(const bench_adapter *a, const trace *t, void **live, size_t from, size_t to, int touch)
{
    void *(*al)(void *, size_t) = a->alloc;
    void (*fr)(void *, void *) = a->free;
    void *arg = a->arg;
    const uint32_t *slot = t->slot, *size = t->size;
    uint32_t fixed = t->lo;
    for (size_t i = from; i < to; i++) {
        uint32_t s = slot[i], n = size ? size[i] : fixed;
        void *p;
        fr(arg, live[s]);
        p = al(arg, n);
        if (__builtin_expect(p == NULL, 0)) {
            live[s] = NULL;
            return i;
        }
        if (touch == TOUCH_WORD)
            *(uint32_t *)p = (uint32_t)i;
        else
            touch_pages(p, n);
        live[s] = p;
    }
    return to;
}

static __attribute__((noinline)) size_t pairs_word(const bench_adapter *a, const trace *t,
                                                   void **live, size_t from, size_t to)
{
    return pairs_loop(a, t, live, from, to, TOUCH_WORD);
}
static __attribute__((noinline)) size_t pairs_pages(const bench_adapter *a, const trace *t,
                                                    void **live, size_t from, size_t to)
{
    return pairs_loop(a, t, live, from, to, TOUCH_PAGES);
}

/* Allocates the trace's initial live set; 0 on success. */
static int fill(const bench_adapter *a, const trace *t, void **live, int touch)
{
    for (size_t i = 0; i < t->live; i++) {
        void *p = a->alloc(a->arg, t->init_size[i]);
        live[i] = p;
        if (!p) {
            for (size_t j = i; j < t->live; j++)
                live[j] = NULL;
            return -1;
        }
        if (touch == TOUCH_WORD)
            *(uint32_t *)p = (uint32_t)i;
        else
            touch_pages(p, t->init_size[i]);
    }
    return 0;
}

static void drain(const bench_adapter *a, void **live, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (live[i]) {
            a->free(a->arg, live[i]);
            live[i] = NULL;
        }
}

/* B: n objects allocated, then freed in reverse, `rounds` times. Returns 0 or -1. */
static __attribute__((noinline)) int lifo_loop(const bench_adapter *a, void **objs, size_t n,
                                               size_t rounds)
{
    void *(*al)(void *, size_t) = a->alloc;
    void (*fr)(void *, void *) = a->free;
    void *arg = a->arg;
    for (size_t r = 0; r < rounds; r++) {
        for (size_t i = 0; i < n; i++) {
            void *p = al(arg, 64);
            if (__builtin_expect(p == NULL, 0)) {
                while (i--)
                    fr(arg, objs[i]);
                return -1;
            }
            *(uint32_t *)p = (uint32_t)i;
            objs[i] = p;
        }
        for (size_t i = n; i-- > 0;)
            fr(arg, objs[i]);
    }
    return 0;
}

/* B bulk: the same in batches; batches freed in reverse order. */
static __attribute__((noinline)) int bulk_loop(const bench_adapter *a, void **objs, size_t n,
                                               size_t rounds, size_t batch)
{
    size_t (*ab)(void *, size_t, void **) = a->alloc_bulk;
    size_t (*fb)(void *, size_t, void **) = a->free_bulk;
    void *arg = a->arg;
    size_t last = ((n - 1) / batch) * batch;
    for (size_t r = 0; r < rounds; r++) {
        for (size_t i = 0; i < n; i += batch) {
            size_t m = n - i < batch ? n - i : batch;
            if (__builtin_expect(ab(arg, m, objs + i) != m, 0)) {
                for (size_t j = 0; j < i; j += batch)
                    fb(arg, n - j < batch ? n - j : batch, objs + j);
                return -1;
            }
            for (size_t j = i; j < i + m; j++)
                *(uint32_t *)objs[j] = (uint32_t)j;
        }
        for (size_t s = last;; s -= batch) {
            fb(arg, n - s < batch ? n - s : batch, objs + s);
            if (s == 0)
                break;
        }
    }
    return 0;
}

/* ================================================================================================
   Timed cells */

enum { M_PAIRS, M_LIFO, M_BULK, M_THREADS };

typedef struct cell {
    const char *sec;   /* "A", "B", "C", "D", "D2", "T" */
    char label[80];
    bench_adapter *a;
    int mode;
    size_t batch;
    trace *t;
    size_t pairs;      /* pairs of t timed: all, or a tenth for the debug build (its time) */
    double ns[MAXREP]; /* ns per pair (A, C, D) or per operation (B); T: Mops/s (higher: faster) */
    double cpu[MAXREP]; /* T, private and control: Mops per on-CPU second, summed over threads */
    double kept[MAXREP]; /* T: Mops/s less the hypervisor's steal (t_stolen; NAN: unknown) */
    double cpu_run, kept_run; /* T: the last run's, which run_section keeps with its ns */
    double stolen, busy; /* T: steal time during the runs, and their wall time x threads */
    int n;
    int failed;
    int work, fixed, threads; /* T: W_PRIVATE or W_PC, 64 B objects or 8..512 B, threads */
} cell;

static cell cells[256];
static int ncells;
static void **scratch; /* live pointers / objects of the running cell */
static size_t scratch_n;

static void *scratch_get(size_t n)
{
    if (scratch_n < n) {
        big_free(scratch, scratch_n * sizeof(void *));
        scratch = big_alloc(n * sizeof(void *));
        scratch_n = n;
    }
    return scratch;
}

static cell *add_cell(const char *sec, const char *key, int mode, size_t batch, trace *t)
{
    bench_adapter *a = adapter(key);
    cell *c;
    if (!a || !a->available || !selected(a))
        return NULL;
    if (mode == M_BULK && !a->alloc_bulk)
        return NULL;
    if (ncells == (int)(sizeof cells / sizeof *cells))
        die("too many cells (at most %d)", ncells);
    c = &cells[ncells++];
    memset(c, 0, sizeof *c);
    c->sec = sec;
    c->a = a;
    c->mode = mode;
    c->batch = batch;
    c->t = t;
    c->pairs = t ? t->npairs : 0;
    if (!strcmp(a->family, "slab-debug")) /* ~1 us per pair: the first tenth of the trace */
        c->pairs /= 10;
    if (mode == M_BULK)
        snprintf(c->label, sizeof c->label, "%s, bulk %zu", a->name, batch);
    else
        snprintf(c->label, sizeof c->label, "%s", a->name);
    return c;
}


/* ================================================================================================
   T: threads. N worker threads share one allocator state (one heap and cache for slab.h):
     private             each thread churns its own 10,000 live objects (its own trace);
                         a thread stops once another has done all its pairs (--fixed-work:
                         each does all of them), so the run times only while all of them ran;
     producer/consumer   N/2 pairs: the producer allocates, writes a byte and passes the object
                         through a bounded single-producer/single-consumer ring to its consumer,
                         which checks the byte and frees it; N = 1: one thread alternates batches.
   64 B objects (slab.h's cache) or uniform 8..512 B (slab.h's kmalloc). A run is timed from the
   first thread out of a start barrier (which every thread reaches after its fill) to the last
   thread's last operation; an end barrier, then the drain and slab_thread_flush come after.
   Unit: million free+alloc pairs per second over all threads; also with the hypervisor's steal
   taken out of each thread's time (t_stolen), and in each thread's CPU time. */

enum { W_PRIVATE, W_PC, W_CPU };

#define T_MAXTHREADS 256
#define T_LIVE 10000    /* objects per thread (private) */
#define RING_SIZE 1024  /* objects in flight per producer/consumer pair; a power of two */
#define PC_BATCH 64     /* one thread alone: objects produced, then consumed, per batch */

static long ncpus = 1;           /* online, read at start */
static size_t T_PAIRS = 4000000; /* per thread (private) or per producer (producer/consumer) */
static int t_counts[16] = {1, 2}, n_counts = 2, t_max = 2; /* --threads */
static trace *t_traces;   /* one per thread: T_LIVE live, 8..512 B; 64 B workloads use its slots */
static uint32_t *t_init64; /* T_LIVE x 64 */
static void ***t_live;     /* one live array per thread */
static int t_fixed_work;        /* --fixed-work: no thread stops before all its pairs are done */
static _Alignas(64) int t_first_done; /* private and control: a thread has done all its pairs */

typedef struct ring {
    _Alignas(64) size_t head; /* written by the producer only */
    _Alignas(64) size_t tail; /* written by the consumer only */
    _Alignas(64) void *slot[RING_SIZE];
} ring;
static ring *t_rings;

enum { R_PRIVATE, R_PRODUCER, R_CONSUMER, R_ALONE, R_CPU };

/* A point in a thread's time: wall clock, its CPU time, its run-queue wait (sched_wait). */
typedef struct tmark {
    double wall, cpu, wait;
    long slept;
} tmark;

typedef struct tjob {
    _Alignas(64) const bench_adapter *a;
    const trace *t; /* private: this thread's trace; producer/consumer: the pair's sizes */
    int fixed;      /* 1: 64 B objects */
    int role;
    ring *q;
    void **live;
    size_t n; /* pairs (private) or objects (producer/consumer) */
    pthread_barrier_t *bar;
    int ok;
    uint64_t sink; /* R_CPU: the result, so the loop is not optimised away */
    tmark start, end; /* when it left the start barrier and when it finished its last pair */
    size_t done;      /* private and control: the pairs it did */
} tjob;

/* The start and end of a thread's timed part; the /proc read outside it. */
static void t_start(tjob *j)
{
    sched_wait(&j->start.wait, &j->start.slept);
    j->start.cpu = cpu_s();
    j->start.wall = now_s();
}

static void t_end(tjob *j)
{
    j->end.wall = now_s();
    j->end.cpu = cpu_s();
    sched_wait(&j->end.wait, &j->end.slept);
}

/* The time the hypervisor took from thread j in its timed part: the wall time it neither ran
   (CPU time, which leaves steal out) nor waited on the run queue. That holds only for a thread
   that never slept, as T's do not; NAN when it slept or the kernel does not tell. */
static double t_stolen(const tjob *j)
{
    double s = (j->end.wall - j->start.wall) - (j->end.cpu - j->start.cpu) -
               (j->end.wait - j->start.wait);
    if (isnan(s) || j->start.slept < 0 || j->end.slept != j->start.slept)
        return NAN;
    return s > 0 ? s : 0;
}

/* Private and control: whether to do pair i. A thread stops once another has done all its
   pairs (polled every 256 pairs): a virtual CPU can run the same work at half the other's
   speed for seconds, and fixed work per thread would then time the slower one alone at the
   end, not N threads. */
static inline int t_more(const tjob *j, size_t i)
{
    return i < j->n &&
           ((i & 255) || t_fixed_work || !__atomic_load_n(&t_first_done, __ATOMIC_RELAXED));
}

static void t_did(tjob *j, size_t pairs)
{
    j->done = pairs;
    if (pairs == j->n)
        __atomic_store_n(&t_first_done, 1, __ATOMIC_RELAXED);
}

static void t_generate(uint64_t seed)
{
    t_traces = big_alloc((size_t)t_max * sizeof *t_traces);
    t_live = big_alloc((size_t)t_max * sizeof *t_live);
    t_init64 = big_alloc(T_LIVE * sizeof *t_init64);
    t_rings = big_alloc((size_t)(t_max / 2 + 1) * sizeof *t_rings);
    for (size_t i = 0; i < T_LIVE; i++)
        t_init64[i] = 64;
    for (int k = 0; k < t_max; k++) {
        trace *t = &t_traces[k];
        t->id = "T";
        t->what = "8..512 B";
        t->live = T_LIVE;
        t->npairs = T_PAIRS;
        t->lo = 8;
        t->hi = 512;
        trace_gen(t, seed + (uint64_t)k);
        t_live[k] = big_alloc(T_LIVE * sizeof(void *));
    }
}

/* Waiting for the other side of a ring: spin, and yield now and then (more threads than cores). */
static inline void t_wait(unsigned *spins)
{
    if (++*spins % 64 == 0)
        sched_yield();
#if defined(__x86_64__) || defined(__i386__)
    else
        __builtin_ia32_pause();
#endif
}

static inline void ring_push(ring *q, size_t *head, size_t *tail_seen, void *p)
{
    unsigned spins = 0;
    while (*head - *tail_seen == RING_SIZE) {
        *tail_seen = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);
        if (*head - *tail_seen == RING_SIZE)
            t_wait(&spins);
    }
    q->slot[*head & (RING_SIZE - 1)] = p;
    __atomic_store_n(&q->head, ++*head, __ATOMIC_RELEASE);
}

static inline void *ring_pop(ring *q, size_t *tail, size_t *head_seen)
{
    unsigned spins = 0;
    void *p;
    while (*tail == *head_seen) {
        *head_seen = __atomic_load_n(&q->head, __ATOMIC_ACQUIRE);
        if (*tail == *head_seen)
            t_wait(&spins);
    }
    p = q->slot[*tail & (RING_SIZE - 1)];
    __atomic_store_n(&q->tail, ++*tail, __ATOMIC_RELEASE); /* after the read: the slot is free */
    return p;
}

/* Private: fill, start barrier, the pairs, end barrier, drain. */
static void t_private(tjob *j)
{
    void *(*al)(void *, size_t) = j->a->alloc;
    void (*fr)(void *, void *) = j->a->free;
    void *arg = j->a->arg;
    const uint32_t *slot = j->t->slot, *size = j->fixed ? NULL : j->t->size;
    const uint32_t *init = j->fixed ? t_init64 : j->t->init_size;
    void **live = j->live;
    size_t i;
    int ok = 1;
    for (i = 0; i < T_LIVE; i++) {
        live[i] = ok ? al(arg, init[i]) : NULL;
        if (!live[i])
            ok = 0;
        else
            *(uint32_t *)live[i] = (uint32_t)i;
    }
    pthread_barrier_wait(j->bar);
    t_start(j);
    for (i = 0; ok && t_more(j, i); i++) {
        uint32_t s = slot[i];
        void *p;
        fr(arg, live[s]);
        p = al(arg, size ? size[i] : 64);
        live[s] = p;
        if (__builtin_expect(p == NULL, 0))
            ok = 0;
        else
            *(uint32_t *)p = (uint32_t)i;
    }
    t_did(j, i);
    t_end(j);
    pthread_barrier_wait(j->bar);
    for (i = 0; i < T_LIVE; i++)
        if (live[i])
            fr(arg, live[i]);
    j->ok = ok;
}

/* Producer: allocates and passes objects on; a failed allocation passes NULL and stops. */
static int t_produce(tjob *j, size_t from, size_t to, size_t *head, size_t *tail_seen)
{
    void *(*al)(void *, size_t) = j->a->alloc;
    void *arg = j->a->arg;
    const uint32_t *size = j->fixed ? NULL : j->t->size;
    for (size_t i = from; i < to; i++) {
        unsigned char *p = (unsigned char *)al(arg, size ? size[i] : 64);
        if (p)
            p[0] = (unsigned char)i; /* before the push: the consumer may free it at once */
        ring_push(j->q, head, tail_seen, p);
        if (!p)
            return 0;
    }
    return 1;
}

/* Consumer: takes objects in order, checks the producer's byte, frees them. */
static int t_consume(tjob *j, size_t from, size_t to, size_t *tail, size_t *head_seen)
{
    void (*fr)(void *, void *) = j->a->free;
    void *arg = j->a->arg;
    int ok = 1;
    for (size_t i = from; i < to; i++) {
        unsigned char *p = (unsigned char *)ring_pop(j->q, tail, head_seen);
        if (!p)
            return 0;
        if (p[0] != (unsigned char)i)
            ok = 0;
        fr(arg, p);
    }
    return ok;
}

static void *t_main(void *arg)
{
    tjob *j = (tjob *)arg;
    size_t head = 0, seen = 0;
    if (j->role == R_PRIVATE) {
        t_private(j);
    } else if (j->role == R_CPU) { /* no allocator: what the machine gives N threads now */
        const uint32_t *slot = j->t->slot;
        uint64_t x = 0;
        size_t i;
        pthread_barrier_wait(j->bar);
        t_start(j);
        for (i = 0; t_more(j, i); i++)
            for (int r = 0; r < 16; r++) { /* about as long as a pair of the allocators */
                x += slot[i] * 0x9E3779B97F4A7C15ull;
                x ^= x >> 29;
            }
        t_did(j, i);
        j->sink = x;
        j->ok = 1;
        t_end(j);
        pthread_barrier_wait(j->bar);
    } else {
        pthread_barrier_wait(j->bar);
        t_start(j);
        if (j->role == R_PRODUCER) {
            j->ok = t_produce(j, 0, j->n, &head, &seen);
        } else if (j->role == R_CONSUMER) {
            j->ok = t_consume(j, 0, j->n, &head, &seen);
        } else { /* alone: a batch through the ring, then back out of it */
            size_t tail = 0, hseen = 0;
            j->ok = 1;
            for (size_t i = 0; j->ok && i < j->n; i += PC_BATCH) {
                size_t to = j->n - i < PC_BATCH ? j->n : i + PC_BATCH;
                j->ok = t_produce(j, i, to, &head, &seen) & t_consume(j, i, to, &tail, &hseen);
            }
        }
        t_end(j);
        pthread_barrier_wait(j->bar);
    }
    if (j->a->thread_done)
        j->a->thread_done();
    return NULL;
}

/* Threads a cell really runs: producer/consumer with an odd N > 1 leaves one thread out. */
static int t_used(int work, int n) { return work == W_PC && n > 1 ? n / 2 * 2 : n; }

/* One run of a T cell; returns million pairs per second, or -1 on failure. */
static double run_tcell(cell *c)
{
    bench_adapter *a = c->a;
    int n = t_used(c->work, c->threads), ok = 1;
    pthread_t tid[T_MAXTHREADS];
    static tjob job[T_MAXTHREADS];
    pthread_barrier_t bar;
    bench_cfg cfg;
    double t0, t1, t1_kept, end_kept, pairs, kept_rate, ops, w0, s0;
    memset(&cfg, 0, sizeof cfg);
    cfg.object_size = 64;
    cfg.max_live = (size_t)n * T_LIVE;
    cfg.region_bytes = 32 * MiB + (size_t)n * 16 * MiB;
    if (a->setup(a, &cfg) != 0) {
        fprintf(stderr, "bench: %s: setup failed\n", a->name);
        return -1;
    }
    pthread_barrier_init(&bar, NULL, (unsigned)n);
    for (int k = 0; k < n; k++) {
        tjob *j = &job[k];
        memset(j, 0, sizeof *j);
        j->a = a;
        j->fixed = c->fixed;
        j->bar = &bar;
        j->n = T_PAIRS;
        if (c->work == W_PRIVATE || c->work == W_CPU) {
            j->role = c->work == W_CPU ? R_CPU : R_PRIVATE;
            j->t = &t_traces[k];
            j->live = t_live[k];
        } else {
            j->role = n == 1 ? R_ALONE : k % 2 ? R_CONSUMER : R_PRODUCER;
            j->t = &t_traces[k / 2];
            j->q = &t_rings[k / 2];
            j->q->head = j->q->tail = 0;
        }
    }
    t_first_done = 0; /* before the threads start: no race */
    s0 = steal_s();
    w0 = now_s();
    for (int k = 0; k < n; k++)
        if (pthread_create(&tid[k], NULL, t_main, &job[k]) != 0)
            die("pthread_create failed (thread %d of %d)", k + 1, n);
    /* The workers take the times (the main thread may get a core only after they finished):
       from the first thread out of the start barrier to the last one's last operation. Less
       steal: producer/consumer and --fixed-work end each thread earlier by the time the
       hypervisor took from it, and the run with the last of them; threads that stop together
       add up each one's pairs per second of the time not taken from it (the first to finish
       sets everyone's end, so moving ends would miss the others' steal). */
    t0 = INFINITY;
    t1 = t1_kept = pairs = kept_rate = 0;
    c->cpu_run = 0;
    for (int k = 0; k < n; k++) {
        const tjob *j = &job[k];
        pthread_join(tid[k], NULL);
        ok &= j->ok;
        t0 = j->start.wall < t0 ? j->start.wall : t0;
        t1 = j->end.wall > t1 ? j->end.wall : t1;
        end_kept = j->end.wall - t_stolen(j);
        t1_kept = isnan(end_kept) ? NAN : end_kept > t1_kept ? end_kept : t1_kept; /* NAN stays */
        kept_rate += (double)j->done / (end_kept - j->start.wall);
        c->cpu_run += (double)j->done / (j->end.cpu - j->start.cpu) / 1e6;
        pairs += (double)j->done;
    }
    if (c->work == W_PC) /* two threads work on each object: no per-thread figure */
        c->cpu_run = NAN;
    c->stolen += steal_s() - s0; /* fill and drain included: the whole run */
    c->busy += (now_s() - w0) * (double)(n < ncpus ? n : ncpus); /* the CPUs it kept busy */
    pthread_barrier_destroy(&bar);
    if (a->errors) {
        fprintf(stderr, "bench: %s: %lu error reports in section T\n", a->name, a->errors);
        ok = 0;
    }
    a->teardown(a);
    if (!ok) {
        fprintf(stderr, "bench: %s: section T, %d threads: an allocation or a check failed\n",
                a->name, n);
        return -1;
    }
    ops = c->work != W_PC ? pairs : (double)T_PAIRS * (n == 1 ? 1 : n / 2);
    c->kept_run = c->work == W_PC || t_fixed_work ? ops / (t1_kept - t0) / 1e6 : kept_rate / 1e6;
    return ops / (t1 - t0) / 1e6;
}

static void add_tcell(const char *key, int work, int fixed, int threads)
{
    bench_adapter *a = adapter(key);
    cell *c;
    if (!a || (work == W_CPU ? !(a->kind & BK_EMPTY)
                             : !a->thread_safe || (a->kind & BK_EMPTY) ||
                                   (!fixed && !(a->kind & BK_GENERIC))))
        return;
    if (!(c = add_cell("T", key, M_THREADS, 0, NULL)))
        return;
    c->work = work;
    c->fixed = fixed;
    c->threads = threads;
    if (work == W_CPU)
        snprintf(c->label, sizeof c->label, "loop over the trace");
}

static const char *t_workload(const cell *c)
{
    if (c->work == W_CPU)
        return "control: no allocator";
    return c->work == W_PRIVATE ? (c->fixed ? "private, 64 B" : "private, 8..512 B")
                                : (c->fixed ? "producer/consumer, 64 B"
                                            : "producer/consumer, 8..512 B");
}

/* One run of a cell; returns ns per unit (T: Mops/s), or -1 on failure. */
static double run_cell(cell *c)
{
    bench_adapter *a = c->a;
    trace *t = c->t;
    size_t live_n = t ? t->live : B_N;
    bench_cfg cfg = cfg_for(t, live_n, t ? t->region_bytes : 64 * MiB);
    void **live;
    double t0, t1, units;
    int ok = 1;
    if (c->mode == M_THREADS)
        return run_tcell(c);
    live = scratch_get(live_n);
    if (a->setup(a, &cfg) != 0) {
        fprintf(stderr, "bench: %s: setup failed\n", a->name);
        return -1;
    }
    if (c->mode == M_PAIRS) {
        if (fill(a, t, live, TOUCH_WORD) != 0) {
            ok = 0;
            t0 = t1 = 0;
        } else {
            t0 = now_s();
            ok = pairs_word(a, t, live, 0, c->pairs) == c->pairs;
            t1 = now_s();
        }
        drain(a, live, t->live);
        units = (double)c->pairs;
    } else {
        t0 = now_s();
        ok = (c->mode == M_LIFO ? lifo_loop(a, live, B_N, B_ROUNDS)
                                : bulk_loop(a, live, B_N, B_ROUNDS, c->batch)) == 0;
        t1 = now_s();
        units = 2.0 * (double)B_N * (double)B_ROUNDS;
    }
    if (a->errors) {
        fprintf(stderr, "bench: %s: %lu error reports in section %s\n", a->name, a->errors,
                c->sec);
        ok = 0;
    }
    a->teardown(a);
    if (!ok) {
        fprintf(stderr, "bench: %s: section %s: an allocation failed\n", a->name, c->sec);
        return -1;
    }
    return (t1 - t0) * 1e9 / units;
}

static int reps = 5;

/* Runs cells [first, ncells): one warm-up run each, then reps rounds, the order rotating. */
static void run_section(int first, const char *title)
{
    int n = ncells - first;
    double t0 = now_s();
    if (n <= 0)
        return;
    fprintf(stderr, "bench: %s: %d cells x (1 + %d) runs ...", title, n, reps);
    fflush(stderr);
    for (int k = 0; k < n; k++)
        if (run_cell(&cells[first + k]) < 0)
            cells[first + k].failed = 1;
    for (int r = 0; r < reps; r++)
        for (int k = 0; k < n; k++) {
            cell *c = &cells[first + (k + r) % n];
            double v;
            if (c->failed)
                continue;
            v = run_cell(c);
            if (v < 0) {
                c->failed = 1;
            } else {
                c->cpu[c->n] = c->cpu_run;
                c->kept[c->n] = c->kept_run;
                c->ns[c->n++] = v;
            }
        }
    fprintf(stderr, " %.1f s\n", now_s() - t0);
}

static cell *find_cell(const char *sec, const char *key, int mode, size_t batch)
{
    for (int i = 0; i < ncells; i++)
        if (!strcmp(cells[i].sec, sec) && !strcmp(cells[i].a->key, key) &&
            cells[i].mode == mode && cells[i].batch == batch && !cells[i].failed && cells[i].n)
            return &cells[i];
    return NULL;
}

static double cell_med(const cell *c) { return c ? median(c->ns, c->n) : NAN; }

/* T's figures of a run: wall clock, wall clock less the hypervisor's steal, on-CPU. */
enum { F_WALL, F_KEPT, F_CPU };

/* The median of figure f over c's runs; NAN when c is missing or a run lacks the figure. */
static double cell_fig_med(const cell *c, int f)
{
    const double *v;
    if (!c)
        return NAN;
    v = f == F_WALL ? c->ns : f == F_KEPT ? c->kept : c->cpu;
    for (int k = 0; k < c->n; k++)
        if (isnan(v[k]))
            return NAN;
    return median(v, c->n);
}

/* ================================================================================================
   E: footprint */

typedef struct foot {
    const char *trace_id;
    char label[80];
    const char *family;
    int region;           /* 1: smallest region; 0: peak RSS growth */
    size_t bytes;         /* the region or the RSS growth */
    size_t peak_live;
    int failed;
    int trials;
    double secs;
} foot;

static foot foots[32];
static int nfoots;

/* One trial of the region search: does trace t complete on a fresh heap of `region` bytes? */
static int region_trial(bench_adapter *a, trace *t, size_t region)
{
    bench_cfg cfg = cfg_for(t, t->live, region);
    void **live = scratch_get(t->live);
    int ok;
    cfg.quiet = 1;
    if (a->setup(a, &cfg) != 0)
        return 0;
    ok = fill(a, t, live, TOUCH_WORD) == 0 && pairs_word(a, t, live, 0, t->npairs) == t->npairs;
    drain(a, live, t->live);
    a->teardown(a);
    return ok;
}

static void footprint_region(const char *key, trace *t)
{
    bench_adapter *a = adapter(key);
    foot *f;
    size_t lo, hi, page = 4096;
    double t0 = now_s();
    if (!a || !a->available || !selected(a))
        return;
    f = &foots[nfoots++];
    memset(f, 0, sizeof *f);
    f->trace_id = t->id;
    snprintf(f->label, sizeof f->label, "%s", a->name);
    f->family = a->family;
    f->region = 1;
    f->peak_live = t->peak_live;
    fprintf(stderr, "bench: E: %s on trace %s: region search ...", a->name, t->id);
    fflush(stderr);
    lo = (t->peak_live / page) * page; /* fails: no room for metadata */
    hi = ((t->peak_live + t->peak_live / 2) / page + 1) * page;
    while (!region_trial(a, t, hi)) {
        f->trials++;
        lo = hi;
        hi *= 2;
        if (hi > 8 * t->region_bytes) {
            f->failed = 1;
            fprintf(stderr, " no region up to %zu MiB completes\n", hi / MiB);
            return;
        }
    }
    f->trials++;
    while (hi - lo > page) {
        size_t mid = ((lo + (hi - lo) / 2) / page) * page;
        if (mid <= lo)
            mid = lo + page;
        f->trials++;
        if (region_trial(a, t, mid))
            hi = mid;
        else
            lo = mid;
    }
    f->bytes = hi;
    f->secs = now_s() - t0;
    fprintf(stderr, " %zu bytes (%.3f x peak live), %d trials, %.1f s\n", hi,
            (double)hi / (double)t->peak_live, f->trials, f->secs);
}

static size_t status_kb(const char *field)
{
    char line[256];
    size_t v = 0, n = strlen(field);
    FILE *fp = fopen("/proc/self/status", "r");
    if (!fp)
        return 0;
    while (fgets(line, sizeof line, fp))
        if (!strncmp(line, field, n) && line[n] == ':') {
            v = (size_t)strtoull(line + n + 1, NULL, 10);
            break;
        }
    fclose(fp);
    return v;
}

/* --footprint-child KEY TRACE: prints "FOOTPRINT growth peak_live ok". A fresh process, so
   nothing another allocator (or an earlier run) left resident is counted or reused. */
static int footprint_child(const char *key, const char *tid)
{
    bench_adapter *a = adapter(key);
    trace *t = trace_by_id(tid);
    bench_cfg cfg;
    void **live;
    size_t base, peak;
    int fd, ok;
    void *warm;
    if (!a || !a->available || !t)
        return 1;
    trace_gen(t, 0x5EED0000u + (uint64_t)t->id[0] * 131u + (uint64_t)strlen(t->id));
    live = scratch_get(t->live);
    cfg = cfg_for(t, t->live, t->region_bytes);
    if (a->setup(a, &cfg) != 0)
        return 1;
    warm = a->alloc(a->arg, 64); /* the allocator's own start-up is not counted */
    a->free(a->arg, warm);
    /* Reset the peak-RSS mark to the current RSS (Linux 4.0+: "5" > clear_refs). */
    fd = open("/proc/self/clear_refs", O_WRONLY);
    if (fd >= 0) {
        if (write(fd, "5", 1) != 1)
            fprintf(stderr, "bench: clear_refs: %s\n", strerror(errno));
        close(fd);
    }
    base = status_kb("VmRSS");
    ok = fill(a, t, live, TOUCH_PAGES) == 0 && pairs_pages(a, t, live, 0, t->npairs) == t->npairs;
    peak = status_kb("VmHWM");
    drain(a, live, t->live);
    printf("FOOTPRINT %zu %zu %d\n", (peak > base ? peak - base : 0) * 1024, t->peak_live, ok);
    return 0;
}

static char self_path[4096];
static const char *commit = "?";
static double scale = 1.0;

static void footprint_rss(const char *key, trace *t)
{
    bench_adapter *a = adapter(key);
    char cmd[4600], line[256];
    FILE *p;
    foot *f;
    size_t growth = 0, peak = 0;
    int ok = 0, got = 0;
    double t0 = now_s();
    if (!a || !a->available || !selected(a))
        return;
    f = &foots[nfoots++];
    memset(f, 0, sizeof *f);
    f->trace_id = t->id;
    snprintf(f->label, sizeof f->label, "%s", a->name);
    f->family = a->family;
    f->peak_live = t->peak_live;
    fprintf(stderr, "bench: E: %s on trace %s: peak RSS growth ...", a->name, t->id);
    fflush(stderr);
    snprintf(cmd, sizeof cmd, "'%s' --scale %g --footprint-child %s %s", self_path, scale, key,
             t->id);
    p = popen(cmd, "r");
    if (p) {
        while (fgets(line, sizeof line, p))
            if (sscanf(line, "FOOTPRINT %zu %zu %d", &growth, &peak, &ok) == 3)
                got = 1;
        pclose(p);
    }
    if (!got || !ok) {
        f->failed = 1;
        fprintf(stderr, " failed\n");
        return;
    }
    f->bytes = growth;
    f->peak_live = peak;
    f->secs = now_s() - t0;
    fprintf(stderr, " %zu bytes (%.3f x peak live), %.1f s\n", growth,
            (double)growth / (double)peak, f->secs);
}

/* ================================================================================================
   F: latency */

#define HBINS (1u << 18)

typedef struct hist {
    uint32_t *bin;
    uint64_t n, over, max;
} hist;

static void hist_init(hist *h)
{
    if (!h->bin)
        h->bin = big_alloc(HBINS * sizeof *h->bin);
    memset(h->bin, 0, HBINS * sizeof *h->bin);
    h->n = h->over = h->max = 0;
}

static inline void hist_add(hist *h, uint64_t v)
{
    h->n++;
    if (v > h->max)
        h->max = v;
    if (v < HBINS)
        h->bin[v]++;
    else
        h->over++;
}

static uint64_t hist_q(const hist *h, double q) /* the smallest v with P(x <= v) >= q */
{
    uint64_t want = (uint64_t)ceil(q * (double)h->n), acc = 0;
    if (want == 0)
        want = 1;
    for (uint64_t v = 0; v < HBINS; v++) {
        acc += h->bin[v];
        if (acc >= want)
            return v;
    }
    return h->max; /* in the overflow: report the max as an upper bound */
}

typedef struct lat {
    const char *trace_id;
    char label[80];
    uint64_t a50, a99, a999, amax, f50, f99, f999, fmax;
    uint64_t n;
} lat;

static lat lats[32];
static int nlats;
static hist h_alloc, h_free;

/* Churns the first `warm` pairs (fragmenting the heap), then times each free and each
   allocation of the next `meas` pairs on their own. Returns 0 or -1. */
static __attribute__((noinline)) int lat_loop(const bench_adapter *a, const trace *t, void **live,
                                              size_t from, size_t to)
{
    void *(*al)(void *, size_t) = a->alloc;
    void (*fr)(void *, void *) = a->free;
    void *arg = a->arg;
    for (size_t i = from; i < to; i++) {
        uint32_t s = t->slot[i], n = t->size ? t->size[i] : t->lo;
        uint64_t t0, t1, t2;
        void *p;
        t0 = ticks();
        fr(arg, live[s]);
        t1 = ticks();
        p = al(arg, n);
        t2 = ticks();
        if (!p) {
            live[s] = NULL;
            return -1;
        }
        *(uint32_t *)p = (uint32_t)i;
        live[s] = p;
        hist_add(&h_free, t1 - t0);
        hist_add(&h_alloc, t2 - t1);
    }
    return 0;
}

static uint64_t timer_overhead;

static void latency(const char *key, trace *t, size_t warm, size_t meas)
{
    bench_adapter *a = adapter(key);
    lat *l;
    void **live;
    int failed = 0;
    if (!a || !a->available || !selected(a))
        return;
    if (warm + meas > t->npairs)
        warm = t->npairs > meas ? t->npairs - meas : 0, meas = t->npairs - warm;
    l = &lats[nlats];
    memset(l, 0, sizeof *l);
    l->trace_id = t->id;
    snprintf(l->label, sizeof l->label, "%s", a->name);
    hist_init(&h_alloc);
    hist_init(&h_free);
    live = scratch_get(t->live);
    for (int r = 0; r < reps && !failed; r++) {
        bench_cfg cfg = cfg_for(t, t->live, t->region_bytes);
        if (a->setup(a, &cfg) != 0) {
            failed = 1;
            break;
        }
        if (fill(a, t, live, TOUCH_WORD) != 0 || pairs_word(a, t, live, 0, warm) != warm ||
            lat_loop(a, t, live, warm, warm + meas) != 0)
            failed = 1;
        drain(a, live, t->live);
        a->teardown(a);
    }
    if (failed) {
        fprintf(stderr, "bench: F: %s on %s failed\n", a->name, t->id);
        return;
    }
    l->n = h_alloc.n;
    l->a50 = hist_q(&h_alloc, 0.5);
    l->a99 = hist_q(&h_alloc, 0.99);
    l->a999 = hist_q(&h_alloc, 0.999);
    l->amax = h_alloc.max;
    l->f50 = hist_q(&h_free, 0.5);
    l->f99 = hist_q(&h_free, 0.99);
    l->f999 = hist_q(&h_free, 0.999);
    l->fmax = h_free.max;
    nlats++;
}

static double tsc_per_ns;

static void calibrate(void)
{
    double t0 = now_s(), t1;
    uint64_t c0 = ticks(), c1, best = UINT64_MAX;
    while ((t1 = now_s()) - t0 < 0.05)
        ;
    c1 = ticks();
    tsc_per_ns = (double)(c1 - c0) / ((t1 - t0) * 1e9);
    for (int i = 0; i < 100000; i++) { /* the cost of the timer pair itself */
        uint64_t a = ticks(), b = ticks();
        if (b - a < best)
            best = b - a;
    }
    timer_overhead = best;
}

/* ================================================================================================
   Output */

static FILE *md;     /* results markdown (also printed to stdout) */
static FILE *tsv;    /* for bench/chart.py */

static void out(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (md) {
        va_start(ap, fmt);
        vfprintf(md, fmt, ap);
        va_end(ap);
    }
}

static const char *ratio(char *buf, double x, double base)
{
    if (isnan(x) || isnan(base) || base <= 0)
        return "–";
    snprintf(buf, 32, "%.2f", x / base);
    return buf;
}

static const char *fmt_ns(char *buf, double v)
{
    snprintf(buf, 32, v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f", v);
    return buf;
}

/* 10000000 -> "10,000,000" (one of two static buffers, so two fit in one printf). */
static const char *count(size_t v)
{
    static char buf[2][32];
    static int k;
    char tmp[32], *o = buf[k ^= 1];
    int n = snprintf(tmp, sizeof tmp, "%zu", v), j = 0;
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            o[j++] = ',';
        o[j++] = tmp[i];
    }
    o[j] = '\0';
    return o;
}

static const char *sec_title(const char *s)
{
    if (!strcmp(s, "A"))
        return "A: 64 B churn, ns per free+alloc pair";
    if (!strcmp(s, "B"))
        return "B: LIFO batch of 64 B, ns per operation";
    if (!strcmp(s, "C"))
        return "C: 8..512 B, ns per free+alloc pair";
    if (!strcmp(s, "D"))
        return "D: 4..64 KiB, ns per free+alloc pair";
    return "D2: 4..64 KiB powers of two, ns per free+alloc pair";
}

static void print_times(void)
{
    const char *secs[] = {"A", "B", "C", "D", "D2"};
    out("| trace | allocator | median | min–max | × glibc | × mimalloc | × floor |\n");
    out("|---|---|--:|--:|--:|--:|--:|\n");
    for (size_t s = 0; s < sizeof secs / sizeof *secs; s++) {
        const cell *g = NULL, *m = NULL, *fl = NULL;
        for (int i = 0; i < ncells; i++) {
            const cell *c = &cells[i];
            if (strcmp(c->sec, secs[s]) || c->failed || !c->n || c->mode == M_BULK)
                continue;
            if (!strcmp(c->a->key, "glibc"))
                g = c;
            if (!strcmp(c->a->key, "mimalloc"))
                m = c;
            if (!strcmp(c->a->key, "floor"))
                fl = c;
        }
        for (int i = 0; i < ncells; i++) {
            const cell *c = &cells[i];
            char b1[32], b2[32], b3[32], b4[32], b5[32], b6[32];
            double med;
            if (strcmp(c->sec, secs[s]))
                continue;
            if (c->failed || !c->n) {
                out("| %s | %s | failed | | | | |\n", c->sec, c->label);
                continue;
            }
            med = cell_med(c);
            double mn = c->ns[0], mx = c->ns[0];
            for (int k = 1; k < c->n; k++) {
                mn = c->ns[k] < mn ? c->ns[k] : mn;
                mx = c->ns[k] > mx ? c->ns[k] : mx;
            }
            out("| %s | %s | %s | %s–%s | %s | %s | %s |\n", c->sec, c->label, fmt_ns(b1, med),
                fmt_ns(b2, mn), fmt_ns(b3, mx), ratio(b4, med, cell_med(g)),
                ratio(b5, med, cell_med(m)), ratio(b6, med, cell_med(fl)));
            if (tsv)
                fprintf(tsv, "%s\t%s\t%s\t%s\t%.4f\t%.4f\t%.4f\n", c->sec, sec_title(c->sec),
                        c->label, c->a->family, med, mn, mx);
        }
    }
}

static const foot *find_foot(const char *tid, const char *label)
{
    for (int i = 0; i < nfoots; i++)
        if (!strcmp(foots[i].trace_id, tid) && !strcmp(foots[i].label, label) &&
            !foots[i].failed)
            return &foots[i];
    return NULL;
}

static void print_foot(void)
{
    out("| trace | allocator | measure | bytes | peak live bytes | footprint |\n");
    out("|---|---|---|--:|--:|--:|\n");
    for (int i = 0; i < nfoots; i++) {
        const foot *f = &foots[i];
        if (f->failed) {
            out("| %s | %s | %s | failed | | |\n", f->trace_id, f->label,
                f->region ? "smallest region" : "peak RSS growth");
            continue;
        }
        out("| %s | %s | %s | %s | %s | **%.3f** |\n", f->trace_id, f->label,
            f->region ? "smallest region" : "peak RSS growth", count(f->bytes), count(f->peak_live),
            (double)f->bytes / (double)f->peak_live);
        if (tsv)
            fprintf(tsv, "E-%s\tE: footprint on trace %s, bytes per live byte\t%s\t%s\t%.4f\t%.4f\t%.4f\n",
                    f->trace_id, f->trace_id, f->label, f->family,
                    (double)f->bytes / (double)f->peak_live, NAN, NAN);
    }
}

static void print_lat(void)
{
    out("| trace | allocator | alloc p50 | p99 | p99.9 | max | free p50 | p99 | p99.9 | max |\n");
    out("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for (int i = 0; i < nlats; i++) {
        const lat *l = &lats[i];
        out("| %s | %s | %llu | %llu | %llu | %llu | %llu | %llu | %llu | %llu |\n", l->trace_id,
            l->label, (unsigned long long)l->a50, (unsigned long long)l->a99,
            (unsigned long long)l->a999, (unsigned long long)l->amax, (unsigned long long)l->f50,
            (unsigned long long)l->f99, (unsigned long long)l->f999, (unsigned long long)l->fmax);
    }
}

/* ---- T: threads ---- */

/* 1: any cell of section T; 0: any cell of the other sections. */
static int have_cells(int t)
{
    for (int i = 0; i < ncells; i++)
        if ((strcmp(cells[i].sec, "T") == 0) == t)
            return 1;
    return 0;
}

static const cell *find_tcell(const char *key, int work, int fixed, int threads)
{
    for (int i = 0; i < ncells; i++) {
        const cell *c = &cells[i];
        if (!strcmp(c->sec, "T") && !strcmp(c->a->key, key) && c->work == work &&
            c->fixed == fixed && c->threads == threads && !c->failed && c->n)
            return c;
    }
    return NULL;
}

/* Figure f at 2 threads over 1 (NAN when a cell or a figure is missing). */
static double t_scaling(const char *key, int work, int fixed, int f)
{
    return cell_fig_med(find_tcell(key, work, fixed, 2), f) /
           cell_fig_med(find_tcell(key, work, fixed, 1), f);
}

/* Figure f of cell c over that of its 1-thread cell `one`, for the table. */
static const char *t_fig_ratio(char *buf, const cell *c, const cell *one, int f)
{
    double x = cell_fig_med(c, f), base = cell_fig_med(one, f);
    return c == one && !isnan(x) ? "1" : ratio(buf, x, base);
}

static const char *fmt_mops(char *buf, double v)
{
    snprintf(buf, 32, v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f", v);
    return buf;
}

static void print_threads(void)
{
    out("| workload | allocator | threads | Mops/s | min–max | × 1 thread | less steal × 1 thread "
        "| on-CPU × 1 thread | × glibc | steal |\n");
    out("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for (int i = 0; i < ncells; i++) {
        const cell *c = &cells[i];
        char b1[32], b2[32], b3[32], b4[32], b5[32], b6[32], b7[32], b8[32], thr[16];
        const cell *one;
        double med, mn, mx;
        if (strcmp(c->sec, "T"))
            continue;
        snprintf(thr, sizeof thr, "%d", t_used(c->work, c->threads));
        if (c->failed || !c->n) {
            out("| %s | %s | %s | failed | | | | | | |\n", t_workload(c), c->label, thr);
            continue;
        }
        med = cell_med(c);
        mn = mx = c->ns[0];
        for (int k = 1; k < c->n; k++) {
            mn = c->ns[k] < mn ? c->ns[k] : mn;
            mx = c->ns[k] > mx ? c->ns[k] : mx;
        }
        one = find_tcell(c->a->key, c->work, c->fixed, 1);
        if (isnan(c->stolen))
            snprintf(b7, sizeof b7, "–");
        else
            snprintf(b7, sizeof b7, "%.0f%%", 100 * c->stolen / c->busy);
        out("| %s | %s | %s | **%s** | %s–%s | %s | %s | %s | %s | %s |\n", t_workload(c),
            c->label, thr, fmt_mops(b1, med), fmt_mops(b2, mn), fmt_mops(b3, mx),
            t_fig_ratio(b4, c, one, F_WALL), t_fig_ratio(b8, c, one, F_KEPT),
            c->work == W_PC ? "–" : t_fig_ratio(b6, c, one, F_CPU),
            ratio(b5, med, cell_med(find_tcell("glibc", c->work, c->fixed, c->threads))), b7);
        if (tsv) /* one chart panel per workload; its rows: allocator x threads */
            fprintf(tsv, "T-%s-%s\tT: %s, million pairs per second (longer is better)\t%s, %s "
                    "thread%s\t%s\t%.4f\t%.4f\t%.4f\n",
                    c->work == W_PRIVATE ? "private" : c->work == W_PC ? "pc" : "cpu", c->fixed ? "64" : "8-512",
                    t_workload(c), c->label, thr, strcmp(thr, "1") ? "s" : "", c->a->family, med,
                    mn, mx);
    }
}

/* ---- targets ---- */

static double instr_a_pair = NAN; /* from --instr-tsv: slab.h cache instructions per A pair */

static void target(const char *what, double v, const char *op, double limit, const char *unit)
{
    int met = isnan(v) ? -1 : !strcmp(op, "<=") ? v <= limit : v >= limit;
    char buf[32] = "not measured";
    if (!isnan(v))
        snprintf(buf, sizeof buf, "%.2f%s", v, unit);
    out("| %s | %s | %s %.2f%s | %s |\n", what, buf, op, limit, unit,
        met < 0 ? "–" : met ? "**met**" : "not met");
}

static void print_targets(void)
{
    double a_slab = cell_med(find_cell("A", "slab-cache", M_PAIRS, 0));
    double a_floor = cell_med(find_cell("A", "floor", M_PAIRS, 0));
    double a_mi = cell_med(find_cell("A", "mimalloc", M_PAIRS, 0));
    double b_slab = cell_med(find_cell("B", "slab-cache", M_LIFO, 0));
    double b_floor = cell_med(find_cell("B", "floor", M_LIFO, 0));
    double b16 = cell_med(find_cell("B", "slab-cache", M_BULK, 16));
    double b64 = cell_med(find_cell("B", "slab-cache", M_BULK, 64));
    double c_km = cell_med(find_cell("C", "slab-kmalloc", M_PAIRS, 0));
    double c_mi = cell_med(find_cell("C", "mimalloc", M_PAIRS, 0));
    double c_g = cell_med(find_cell("C", "glibc", M_PAIRS, 0));
    double d_vm = cell_med(find_cell("D", "slab-vmalloc", M_PAIRS, 0));
    double d_mi = cell_med(find_cell("D", "mimalloc", M_PAIRS, 0));
    const foot *ec = find_foot("C", "slab.h kmalloc"), *ed = find_foot("D", "slab.h vmalloc");
    double a_thr = cell_med(find_cell("A", "slab-cache-thr", M_PAIRS, 0));
    double c_thr = cell_med(find_cell("C", "slab-kmalloc-thr", M_PAIRS, 0));
    out("| target (issues 6 and 7) | measured | limit | status |\n|---|--:|--:|---|\n");
    target("A: slab.h cache vs free list (time)", a_slab / a_floor, "<=", 1.5, "x");
    target("A: slab.h cache vs mimalloc (time)", a_slab / a_mi, "<=", 0.6, "x");
    target("A: slab.h cache instructions per pair (make bench-instr)", instr_a_pair, "<=", 30, "");
    target("B: slab.h cache LIFO vs free list (time)", b_slab / b_floor, "<=", 1.3, "x");
    target("B: single calls vs bulk 16 (speed-up)", b_slab / b16, ">=", 1.5, "x");
    target("B: single calls vs bulk 64 (speed-up)", b_slab / b64, ">=", 1.5, "x");
    target("C: slab.h kmalloc vs mimalloc (time)", c_km / c_mi, "<=", 0.8, "x");
    target("C: slab.h kmalloc vs glibc (time)", c_km / c_g, "<=", 0.25, "x");
    target("D: slab.h vmalloc vs mimalloc (time)", d_vm / d_mi, "<=", 1.0, "x");
    target("E: footprint of trace C (kmalloc)",
           ec ? (double)ec->bytes / (double)ec->peak_live : NAN, "<=", 1.25, "");
    target("E: footprint of trace D (vmalloc)",
           ed ? (double)ed->bytes / (double)ed->peak_live : NAN, "<=", 1.15, "");
    target("A: slab.h cache, threaded vs unthreaded at 1 thread (time)", a_thr / a_slab, "<=",
           1.5, "x");
    target("C: slab.h kmalloc, threaded vs unthreaded at 1 thread (time)", c_thr / c_km, "<=",
           1.5, "x");
    target("T: slab.h cache, 2 threads vs 1 (private, throughput)",
           t_scaling("slab-cache-thr", W_PRIVATE, 1, F_WALL), ">=", 1.8, "x");
    target("T: the same, less the hypervisor's steal",
           t_scaling("slab-cache-thr", W_PRIVATE, 1, F_KEPT), ">=", 1.8, "x");
    target("T: slab.h kmalloc, 2 threads vs 1 (private, throughput)",
           t_scaling("slab-kmalloc-thr", W_PRIVATE, 0, F_WALL), ">=", 1.8, "x");
    target("T: the same, less the hypervisor's steal",
           t_scaling("slab-kmalloc-thr", W_PRIVATE, 0, F_KEPT), ">=", 1.8, "x");
}

static void print_variants(void)
{
    const char *secs[] = {"A", "C"};
    const char *keys[][4] = {
        {"slab-cache", "slab-cache-debug", "slab-cache-harden", "slab-cache-thr"},
        {"slab-kmalloc", "slab-kmalloc-debug", "slab-kmalloc-harden", "slab-kmalloc-thr"}};
    out("| trace | path | release ns | SLAB_DEBUG=1 ns | × release | SLAB_HARDEN=1 ns | × release "
        "| SLAB_THREADS=1 ns (1 thread) | × release |\n");
    out("|---|---|--:|--:|--:|--:|--:|--:|--:|\n");
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < 2; k++) {
            double r = cell_med(find_cell(secs[s], keys[k][0], M_PAIRS, 0));
            double d = cell_med(find_cell(secs[s], keys[k][1], M_PAIRS, 0));
            double h = cell_med(find_cell(secs[s], keys[k][2], M_PAIRS, 0));
            double t = cell_med(find_cell(secs[s], keys[k][3], M_PAIRS, 0));
            char b1[32], b2[32], b3[32], b4[32], b5[32], b6[32], b7[32];
            if (isnan(r) || (isnan(d) && isnan(h) && isnan(t)))
                continue;
            out("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", secs[s],
                k ? "kmalloc" : "cache", fmt_ns(b1, r), isnan(d) ? "–" : fmt_ns(b2, d),
                ratio(b3, d, r), isnan(h) ? "–" : fmt_ns(b4, h), ratio(b5, h, r),
                isnan(t) ? "–" : fmt_ns(b6, t), ratio(b7, t, r));
        }
}

/* ================================================================================================
   bench-instr: one callgrind dump per cell */

static void instr_cell(const char *sec, bench_adapter *a, int mode, size_t batch, trace *t,
                       size_t warm, size_t meas)
{
    char label[160];
    bench_cfg cfg;
    void **live;
    size_t ops;
    int ok = 1;
    if (!a || !a->available || !selected(a) || (mode == M_BULK && !a->alloc_bulk))
        return;
    if (mode != M_BULK && (a->kind & BK_FIXED) && !(a->kind & BK_GENERIC) && t &&
        t->lo != t->hi)
        return;
    cfg = cfg_for(t, t ? t->live : B_N, t ? t->region_bytes : 64 * MiB);
    live = scratch_get(t ? t->live : B_N);
    if (a->setup(a, &cfg) != 0)
        return;
    if (mode == M_PAIRS) {
        ops = meas;
        ok = fill(a, t, live, TOUCH_WORD) == 0 && pairs_word(a, t, live, 0, warm) == warm;
#if HAVE_CALLGRIND
        CALLGRIND_ZERO_STATS;
#endif
        ok = ok && pairs_word(a, t, live, warm, warm + meas) == warm + meas;
#if HAVE_CALLGRIND
        snprintf(label, sizeof label, "bench:%s:%s:%d:%zu:%zu", sec, a->key, mode, batch, ops);
        CALLGRIND_DUMP_STATS_AT(label);
#endif
        drain(a, live, t->live);
    } else {
        /* warm: one round; measured: meas rounds */
        ops = 2 * B_N * meas;
        ok = (mode == M_LIFO ? lifo_loop(a, live, B_N, 1) : bulk_loop(a, live, B_N, 1, batch)) ==
             0;
#if HAVE_CALLGRIND
        CALLGRIND_ZERO_STATS;
#endif
        ok = ok && (mode == M_LIFO ? lifo_loop(a, live, B_N, meas)
                                   : bulk_loop(a, live, B_N, meas, batch)) == 0;
#if HAVE_CALLGRIND
        snprintf(label, sizeof label, "bench:%s:%s:%d:%zu:%zu", sec, a->key, mode, batch, ops);
        CALLGRIND_DUMP_STATS_AT(label);
#endif
    }
    a->teardown(a);
    (void)label;
    fprintf(stderr, "bench-instr: %s %s %s\n", sec, a->name, ok ? "done" : "FAILED");
}

static int instr_main(void)
{
    static const char *pair_keys[] = {"empty", "floor", "slab-cache", "slab-cache-debug",
                                      "slab-cache-harden", "slab-cache-thr", "slab-kmalloc",
                                      "slab-kmalloc-debug", "slab-kmalloc-harden",
                                      "slab-kmalloc-thr", "glibc", "jemalloc", "mimalloc"};
    static const char *d_keys[] = {"empty", "slab-vmalloc", "glibc", "jemalloc", "mimalloc"};
    static const char *d2_keys[] = {"empty", "slab-pages", "slab-vmalloc", "glibc", "jemalloc",
                                    "mimalloc"};
    static const char *b_keys[] = {"empty", "floor", "slab-cache", "glibc", "jemalloc",
                                   "mimalloc"};
    if (!HAVE_CALLGRIND || !RUNNING_ON_VALGRIND)
        die("--instr runs under valgrind --tool=callgrind (make bench-instr)");
    /* Instruction counts are exact: short traces suffice. Debug builds get fewer pairs. */
    T_A.npairs = 400000;
    T_C.npairs = 400000;
    T_D.npairs = T_D2.npairs = 50000;
    trace_gen(&T_A, 0xA11CE001u);
    trace_gen(&T_C, 0xC0FFEE03u);
    trace_gen(&T_D, 0xD00D0004u);
    trace_gen(&T_D2, 0xD00D0005u);
    for (size_t i = 0; i < sizeof pair_keys / sizeof *pair_keys; i++)
        instr_cell("A", adapter(pair_keys[i]), M_PAIRS, 0, &T_A, 100000,
                   strstr(pair_keys[i], "debug") ? 50000 : 300000);
    for (size_t i = 0; i < sizeof pair_keys / sizeof *pair_keys; i++)
        instr_cell("C", adapter(pair_keys[i]), M_PAIRS, 0, &T_C, 100000,
                   strstr(pair_keys[i], "debug") ? 50000 : 300000);
    for (size_t i = 0; i < sizeof b_keys / sizeof *b_keys; i++)
        instr_cell("B", adapter(b_keys[i]), M_LIFO, 0, NULL, 0, 2);
    instr_cell("B", adapter("empty"), M_BULK, 16, NULL, 0, 2);
    instr_cell("B", adapter("slab-cache"), M_BULK, 16, NULL, 0, 2);
    instr_cell("B", adapter("empty"), M_BULK, 64, NULL, 0, 2);
    instr_cell("B", adapter("slab-cache"), M_BULK, 64, NULL, 0, 2);
    for (size_t i = 0; i < sizeof d_keys / sizeof *d_keys; i++)
        instr_cell("D", adapter(d_keys[i]), M_PAIRS, 0, &T_D, 10000, 40000);
    for (size_t i = 0; i < sizeof d2_keys / sizeof *d2_keys; i++)
        instr_cell("D2", adapter(d2_keys[i]), M_PAIRS, 0, &T_D2, 10000, 40000);
    return 0;
}

typedef struct icell {
    char sec[8], key[40];
    int mode;
    size_t batch, ops;
    double ir;
} icell;

static int icmp_order(const char *key)
{
    static const char *order[] = {"floor", "slab-cache", "slab-cache-debug", "slab-cache-harden",
                                  "slab-cache-thr", "slab-kmalloc", "slab-kmalloc-debug",
                                  "slab-kmalloc-harden", "slab-kmalloc-thr", "slab-vmalloc",
                                  "slab-pages", "glibc", "jemalloc", "mimalloc"};
    for (int i = 0; i < (int)(sizeof order / sizeof *order); i++)
        if (!strcmp(order[i], key))
            return i;
    return 99;
}

static const icell *icell_find(const icell *ic, int n, const char *sec, int mode, size_t batch,
                               const char *key)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(ic[i].sec, sec) && ic[i].mode == mode && ic[i].batch == batch &&
            !strcmp(ic[i].key, key))
            return &ic[i];
    return NULL;
}

static double icell_per_op(const icell *c) { return c ? c->ir / (double)c->ops : NAN; }

/* The allocator's own instructions per pair in section sec: its cell less the empty adapter's. */
static double instr_net_pair(const icell *ic, int n, const char *sec, const char *key)
{
    return icell_per_op(icell_find(ic, n, sec, M_PAIRS, 0, key)) -
           icell_per_op(icell_find(ic, n, sec, M_PAIRS, 0, "empty"));
}

/* --instr-report DIR OUT.md OUT.tsv: the table of the dumps callgrind wrote into DIR. */
static int instr_report(const char *dir, const char *out_md, const char *out_tsv)
{
    icell ic[128];
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    FILE *fo, *ft;
    const char *secs[] = {"A", "B", "C", "D", "D2"};
    if (!d)
        die("cannot open %s", dir);
    while ((e = readdir(d)) != NULL && n < 128) {
        char path[8192], line[1024];
        FILE *fp;
        icell c;
        int have_label = 0, have_ir = 0;
        if (strncmp(e->d_name, "callgrind.out", 13))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (!(fp = fopen(path, "r")))
            continue;
        memset(&c, 0, sizeof c);
        while (fgets(line, sizeof line, fp)) {
            char *p = strstr(line, "bench:");
            if (!strncmp(line, "desc: Trigger:", 14) && p &&
                sscanf(p, "bench:%7[^:]:%39[^:]:%d:%zu:%zu", c.sec, c.key, &c.mode, &c.batch,
                       &c.ops) == 5)
                have_label = 1;
            if (!strncmp(line, "summary:", 8) || !strncmp(line, "totals:", 7)) {
                c.ir = strtod(strchr(line, ':') + 1, NULL);
                have_ir = 1;
            }
        }
        fclose(fp);
        if (have_label && have_ir && c.ops)
            ic[n++] = c;
    }
    closedir(d);
    if (!n)
        die("no bench dumps in %s", dir);
    fo = fopen(out_md, "w");
    ft = fopen(out_tsv, "w");
    if (!fo || !ft)
        die("cannot write %s / %s", out_md, out_tsv);
    md = fo;
    out("# slab.h: instructions per operation (`make bench-instr`)\n\n");
    out("Instructions executed (callgrind `Ir`) per operation in the measured part of each cell, "
        "after warm-up, with the harness's own cost (an empty adapter running the same loop: "
        "trace reads, the two indirect calls, the store into the object) subtracted, so the "
        "figure is the allocator's own, its adapter's call included. "
        "A, C, D: per free+alloc pair (A: 10,000 live 64 B objects, 300k random pairs after 100k "
        "of warm-up; C: 50,000 live, 8..512 B, the same; debug builds 50k pairs; D: 1,000 live, "
        "4..64 KiB, 40k pairs after 10k); B: per operation "
        "(100,000 x 64 B allocated, then freed in reverse, 2 rounds); bulk: per object. "
        "Build: %s.\n\n", BENCH_CFLAGS_STR);
    out("| trace | allocator | instructions per op | raw (with harness) | harness (empty adapter) |\n");
    out("|---|---|--:|--:|--:|\n");
    for (size_t s = 0; s < sizeof secs / sizeof *secs; s++)
        for (int mode = M_PAIRS; mode <= M_BULK; mode++)
            for (int pass = 0; pass < 100; pass++) /* rows in a fixed order */
                for (int i = 0; i < n; i++) {
                    const icell *c = &ic[i];
                    double base, raw, net;
                    char name[96];
                    if (strcmp(c->sec, secs[s]) || c->mode != mode ||
                        !strcmp(c->key, "empty") || icmp_order(c->key) != pass)
                        continue;
                    base = icell_per_op(icell_find(ic, n, c->sec, c->mode, c->batch, "empty"));
                    raw = icell_per_op(c);
                    net = raw - base;
                    bench_adapter *a = adapter(c->key);
                    if (mode == M_BULK)
                        snprintf(name, sizeof name, "%s, bulk %zu", a ? a->name : c->key,
                                 c->batch);
                    else
                        snprintf(name, sizeof name, "%s%s", a ? a->name : c->key,
                                 mode == M_LIFO ? ", single calls" : "");
                    out("| %s | %s | **%.1f** | %.1f | %.1f |\n", c->sec, name, net, raw, base);
                    fprintf(ft, "%s\t%s\t%d\t%zu\t%.2f\n", c->sec, c->key, c->mode, c->batch,
                            net);
                }
    out("\nTarget A (issue 6): at most 30 instructions per pair for the cache path; the issue's "
        "reference figures through a function-pointer harness: free list about 10, mimalloc "
        "about 60, glibc about 130.\n");
    out("\nThreaded builds (`SLAB_THREADS=1`) on one thread, over the release build (issue 7: "
        "at most 1.5x its time): cache %.2fx on A, kmalloc %.2fx on A and %.2fx on C.\n",
        instr_net_pair(ic, n, "A", "slab-cache-thr") / instr_net_pair(ic, n, "A", "slab-cache"),
        instr_net_pair(ic, n, "A", "slab-kmalloc-thr") / instr_net_pair(ic, n, "A", "slab-kmalloc"),
        instr_net_pair(ic, n, "C", "slab-kmalloc-thr") / instr_net_pair(ic, n, "C", "slab-kmalloc"));
    fclose(fo);
    fclose(ft);
    md = NULL;
    return 0;
}

static void read_instr_tsv(const char *path)
{
    char sec[8], key[40];
    int mode;
    size_t batch;
    double v;
    FILE *fp = fopen(path, "r");
    if (!fp)
        return;
    while (fscanf(fp, "%7s %39s %d %zu %lf", sec, key, &mode, &batch, &v) == 5)
        if (!strcmp(sec, "A") && !strcmp(key, "slab-cache") && mode == M_PAIRS)
            instr_a_pair = v;
    fclose(fp);
}

/* ================================================================================================
   main */

static void usage(int code);

/* --threads 1,2,4: the thread counts of section T. */
static void parse_threads(const char *list)
{
    const char *p = list;
    n_counts = 0;
    t_max = 0;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > T_MAXTHREADS || n_counts == 16 || (*end && *end != ','))
            usage(2);
        t_counts[n_counts++] = (int)v;
        if (v > t_max)
            t_max = (int)v;
        p = *end ? end + 1 : end;
    }
    if (!n_counts)
        usage(2);
}

static void usage(int code)
{
    fprintf(code ? stderr : stdout,
            "usage: bench [--quick] [--scale F] [--reps N] [--only KEY,KEY] [--sections ABCDEFT]\n"
            "             [--threads N,N,...] [--fixed-work] [--md FILE] [--tsv FILE]\n"
            "             [--instr-tsv FILE] [--same-code LIST] [--commit ID]\n"
            "       bench --instr              (under valgrind --tool=callgrind)\n"
            "       bench --instr-report DIR OUT.md OUT.tsv\n"
            "Sections: A B C D (D and D2) E F T (threads; --threads: the thread counts, "
            "default 1,2;\n--fixed-work: each thread does all its pairs).\nKeys for --only: "
            "floor, slab-cache, slab-kmalloc, slab-vmalloc, slab-pages, slab-cache-debug,\n"
            "slab-kmalloc-debug, slab-cache-harden, "
            "slab-kmalloc-harden, slab-cache-thr, slab-kmalloc-thr,\nglibc, jemalloc, "
            "mimalloc. See bench/README.md.\n");
    exit(code);
}

int main(int argc, char **argv)
{
    const char *md_path = NULL, *tsv_path = NULL, *sections = "ABCDEFT", *instr_tsv = NULL,
               *same_code = "";
    int quick = 0, mode_instr = 0;
    double t_start = now_s();
    ssize_t len;
    ncpus = sysconf(_SC_NPROCESSORS_ONLN);
    ncpus = ncpus > 0 ? ncpus : 1;

    /* jemalloc's libjemalloc.so.2 uses initial-exec TLS; dlopen needs static TLS room that
       glibc reserves only when asked: re-execute once with the tunable raised. */
    if (!getenv("BENCH_TLS_SET") && !RUNNING_ON_VALGRIND) {
        const char *old = getenv("GLIBC_TUNABLES");
        char buf[1024];
        snprintf(buf, sizeof buf, "%s%sglibc.rtld.optional_static_tls=65536", old ? old : "",
                 old ? ":" : "");
        setenv("GLIBC_TUNABLES", buf, 1);
        setenv("BENCH_TLS_SET", "1", 1);
        execv("/proc/self/exe", argv);
        /* no re-exec: go on; jemalloc may then be skipped */
    }
    len = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
    if (len > 0)
        self_path[len] = '\0';

    bench_register_sys(&reg);
    bench_register_slab_rel(&reg);
    bench_register_slab_dbg(&reg);
    bench_register_slab_hard(&reg);
    bench_register_slab_thr(&reg);

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(0);
        } else if (!strcmp(a, "--quick")) {
            quick = 1;
        } else if (!strcmp(a, "--scale") && i + 1 < argc) {
            scale = atof(argv[++i]);
        } else if (!strcmp(a, "--reps") && i + 1 < argc) {
            reps = atoi(argv[++i]);
            if (reps < 1 || reps > MAXREP)
                usage(2);
        } else if (!strcmp(a, "--only") && i + 1 < argc) {
            only = argv[++i];
        } else if (!strcmp(a, "--sections") && i + 1 < argc) {
            sections = argv[++i];
        } else if (!strcmp(a, "--threads") && i + 1 < argc) {
            parse_threads(argv[++i]);
        } else if (!strcmp(a, "--fixed-work")) {
            t_fixed_work = 1;
        } else if (!strcmp(a, "--md") && i + 1 < argc) {
            md_path = argv[++i];
        } else if (!strcmp(a, "--tsv") && i + 1 < argc) {
            tsv_path = argv[++i];
        } else if (!strcmp(a, "--instr-tsv") && i + 1 < argc) {
            instr_tsv = argv[++i];
        } else if (!strcmp(a, "--same-code") && i + 1 < argc) {
            same_code = argv[++i];
        } else if (!strcmp(a, "--commit") && i + 1 < argc) {
            commit = argv[++i];
        } else if (!strcmp(a, "--instr")) {
            mode_instr = 1;
        } else if (!strcmp(a, "--instr-report") && i + 3 < argc) {
            return instr_report(argv[i + 1], argv[i + 2], argv[i + 3]);
        } else if (!strcmp(a, "--footprint-child") && i + 2 < argc) {
            if (scale != 1.0)
                scale_traces(scale);
            return footprint_child(argv[i + 1], argv[i + 2]);
        } else {
            usage(2);
        }
    }
    if (mode_instr)
        return instr_main();
    if (quick && scale == 1.0)
        scale = 0.1;
    if (scale != 1.0) {
        scale_traces(scale);
        T_PAIRS = (size_t)((double)T_PAIRS * scale);
        if (T_PAIRS < 1000)
            T_PAIRS = 1000;
    }

    calibrate();
    fprintf(stderr, "bench: generating traces ...");
    trace_gen(&T_A, 0x5EED0000u + 'A' * 131u + 1);
    trace_gen(&T_C, 0x5EED0000u + 'C' * 131u + 1);
    trace_gen(&T_D, 0x5EED0000u + 'D' * 131u + 1);
    trace_gen(&T_D2, 0x5EED0000u + 'D' * 131u + 2);
    if (strchr(sections, 'T'))
        t_generate(0x5EED0000u + 'T' * 131u);
    fprintf(stderr, " done\n");
    for (int i = 0; i < reg.n; i++)
        if (!reg.a[i]->available)
            fprintf(stderr, "bench: %s: %s\n", reg.a[i]->name, reg.a[i]->note);

    if (strchr(sections, 'A')) {
        int first = ncells;
        const char *keys[] = {"floor", "slab-cache", "slab-kmalloc", "slab-cache-thr",
                              "slab-kmalloc-thr", "slab-cache-debug", "slab-cache-harden",
                              "glibc", "jemalloc", "mimalloc"};
        for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
            add_cell("A", keys[i], M_PAIRS, 0, &T_A);
        run_section(first, "A (64 B churn)");
    }
    if (strchr(sections, 'B')) {
        int first = ncells;
        const char *keys[] = {"floor", "slab-cache", "glibc", "jemalloc", "mimalloc"};
        for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
            add_cell("B", keys[i], M_LIFO, 0, NULL);
        add_cell("B", "slab-cache", M_BULK, 16, NULL);
        add_cell("B", "slab-cache", M_BULK, 64, NULL);
        run_section(first, "B (LIFO batch)");
    }
    if (strchr(sections, 'C')) {
        int first = ncells;
        const char *keys[] = {"slab-kmalloc", "slab-kmalloc-thr", "slab-kmalloc-debug",
                              "slab-kmalloc-harden", "glibc", "jemalloc", "mimalloc"};
        for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
            add_cell("C", keys[i], M_PAIRS, 0, &T_C);
        run_section(first, "C (8..512 B)");
    }
    if (strchr(sections, 'D')) {
        int first = ncells;
        const char *keys[] = {"slab-vmalloc", "glibc", "jemalloc", "mimalloc"};
        for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
            add_cell("D", keys[i], M_PAIRS, 0, &T_D);
        run_section(first, "D (4..64 KiB)");
        first = ncells;
        const char *keys2[] = {"slab-pages", "slab-vmalloc", "glibc", "jemalloc", "mimalloc"};
        for (size_t i = 0; i < sizeof keys2 / sizeof *keys2; i++)
            add_cell("D2", keys2[i], M_PAIRS, 0, &T_D2);
        run_section(first, "D2 (4..64 KiB, powers of two)");
    }
    if (strchr(sections, 'E')) {
        footprint_region("slab-kmalloc", &T_C);
        footprint_rss("glibc", &T_C);
        footprint_rss("jemalloc", &T_C);
        footprint_rss("mimalloc", &T_C);
        footprint_region("slab-vmalloc", &T_D);
        footprint_rss("glibc", &T_D);
        footprint_rss("jemalloc", &T_D);
        footprint_rss("mimalloc", &T_D);
        footprint_region("slab-pages", &T_D2);
        footprint_region("slab-vmalloc", &T_D2);
        footprint_rss("glibc", &T_D2);
        footprint_rss("jemalloc", &T_D2);
        footprint_rss("mimalloc", &T_D2);
    }
    if (strchr(sections, 'F')) {
        double t0 = now_s();
        size_t wa = T_A.npairs / 5, ma = T_A.npairs / 10, wc = T_C.npairs / 5,
               mc = T_C.npairs / 10, wd = T_D.npairs / 5, mdd = T_D.npairs / 5;
        fprintf(stderr, "bench: F (latency) ...");
        fflush(stderr);
        const char *ka[] = {"empty", "floor", "slab-cache", "slab-kmalloc", "glibc", "jemalloc",
                            "mimalloc"};
        for (size_t i = 0; i < sizeof ka / sizeof *ka; i++)
            latency(ka[i], &T_A, wa, ma);
        const char *kc[] = {"slab-kmalloc", "glibc", "jemalloc", "mimalloc"};
        for (size_t i = 0; i < sizeof kc / sizeof *kc; i++)
            latency(kc[i], &T_C, wc, mc);
        const char *kd[] = {"slab-vmalloc", "glibc", "jemalloc", "mimalloc"};
        for (size_t i = 0; i < sizeof kd / sizeof *kd; i++)
            latency(kd[i], &T_D, wd, mdd);
        latency("slab-pages", &T_D2, wd, mdd);
        fprintf(stderr, " %.1f s\n", now_s() - t0);
    }
    if (strchr(sections, 'T')) {
        int first = ncells;
        const char *k64[] = {"slab-cache-thr", "glibc", "jemalloc", "mimalloc"};
        const char *kgen[] = {"slab-kmalloc-thr", "glibc", "jemalloc", "mimalloc"};
        char title[96];
        for (int k = 0; k < n_counts; k++) /* the control: a loop over the trace, no allocator */
            add_tcell("empty", W_CPU, 1, t_counts[k]);
        for (int w = W_PRIVATE; w <= W_PC; w++)
            for (int fixed = 1; fixed >= 0; fixed--)
                for (size_t i = 0; i < 4; i++)
                    for (int k = 0; k < n_counts; k++)
                        add_tcell(fixed ? k64[i] : kgen[i], w, fixed, t_counts[k]);
        snprintf(title, sizeof title, "T (threads, %ld cores)", ncpus);
        run_section(first, title);
    }
    if (instr_tsv)
        read_instr_tsv(instr_tsv);

    /* ---- report ---- */
    if (md_path && !(md = fopen(md_path, "w")))
        die("cannot write %s", md_path);
    if (tsv_path && !(tsv = fopen(tsv_path, "w")))
        die("cannot write %s", tsv_path);
    {
        char cpu[128] = "?", line[256];
        FILE *fp = fopen("/proc/cpuinfo", "r");
        time_t now = time(NULL);
        char date[32];
        strftime(date, sizeof date, "%Y-%m-%d", gmtime(&now));
        while (fp && fgets(line, sizeof line, fp))
            if (!strncmp(line, "model name", 10)) {
                char *p = strchr(line, ':');
                if (p) {
                    snprintf(cpu, sizeof cpu, "%s", p + 2);
                    cpu[strcspn(cpu, "\n")] = '\0';
                }
                break;
            }
        if (fp)
            fclose(fp);
        out("# slab.h benchmarks%s\n\n", quick || scale != 1.0 ? " (short run: traces scaled)" : "");
        out("`make bench%s` on %s: %s, %ld cores; gcc %s, `%s`; slab.h %s (commit %s); %s. "
            "Scale %g, %d runs per cell after one warm-up run, the allocators of a section "
            "interleaved; time is the median, with the min–max of the runs; ratios are of "
            "medians. Every allocator is called through the same function-pointer adapter "
            "(bench/bench.h); jemalloc and mimalloc are Debian's, loaded with dlopen so that "
            "the process's own malloc stays glibc's.\n\n",
            quick ? " BENCH_QUICK=1" : "", date, cpu, ncpus, __VERSION__, BENCH_CFLAGS_STR,
            bench_slab_version(), commit, bench_sys_versions(), scale, reps);
        for (int i = 0; i < reg.n; i++)
            if (!reg.a[i]->available)
                out("- %s: %s\n", reg.a[i]->name, reg.a[i]->note);
        if (*same_code)
            out("- Variants whose code is identical to the release build (their macro changes "
                "nothing in this slab.h yet): %s.\n", same_code);
        out("\n");
    }
    if (have_cells(0)) {
        out("## Time (A–D)\n\n");
        out("A: 10,000 live 64 B objects, %s random free+alloc pairs. ", count(T_A.npairs));
        out("B: %s x 64 B allocated then freed in reverse, %zu rounds (per operation: one "
            "alloc or one free; bulk: per object). ", count(B_N), B_ROUNDS);
        out("C: 50,000 live, uniform 8..512 B, %s pairs. D: 1,000 live, uniform 4..64 KiB, "
            "%s pairs; D2: the same with powers of two (4, 8, 16, 32, 64 KiB), for "
            "`slab_pages_alloc`. Each allocated object gets one 4-byte store. The SLAB_DEBUG=1 "
            "rows time the first tenth of their trace (the whole would take minutes).\n\n",
            count(T_C.npairs), count(T_D.npairs));
        print_times();
        out("\n");
    }
    if (nfoots) {
        out("## E: footprint\n\n");
        out("slab.h: the smallest region (4 KiB steps, a fresh heap per trial, heap metadata "
            "included) on which the whole trace completes, over the trace's peak live bytes. "
            "System allocators: growth of peak RSS (VmHWM, reset through clear_refs) during the "
            "trace in a fresh process, every page of every object touched, over peak live "
            "bytes.\n\n");
        print_foot();
        out("\n");
    }
    if (nlats) {
        out("## F: latency (TSC ticks per operation)\n\n");
        out("After filling and churning part of the trace (the heap fragmented), each free and "
            "each allocation of the next pairs is timed on its own with `lfence; rdtsc; lfence`; "
            "%d runs pooled. TSC: %.2f ticks per ns; the timer pair alone costs %llu ticks "
            "(included below; the empty adapter row adds the indirect call). ",
            reps, tsc_per_ns, (unsigned long long)timer_overhead);
        out("Timed pairs per run: A %s, C %s, ", count(T_A.npairs / 10), count(T_C.npairs / 10));
        out("D and D2 %s. The maximum includes interrupts and page faults of this shared "
            "machine.\n\n", count(T_D.npairs / 5));
        print_lat();
        out("\n");
    }
    if (have_cells(1)) {
        out("## T: threads (million free+alloc pairs per second)\n\n");
        out("This machine has **%ld cores**%s. N threads share one allocator (slab.h: one heap "
            "and, for 64 B, one cache, built with `-DSLAB_THREADS=1`). *private*: each thread "
            "keeps its own %s live objects and makes random free+alloc pairs on them (its own "
            "fixed-seed trace of %s pairs, generated before timing)%s. ",
            ncpus, t_max > ncpus ? ": with more threads than cores the figures show "
                                 "oversubscription, not scaling" : "",
            count(T_LIVE), count(T_PAIRS),
            t_fixed_work ? ", all of them in every thread (`--fixed-work`)"
                         : "; the threads stop when the first has made all of its pairs, so "
                           "that a run counts N threads at work, not the slowest one alone "
                           "at the end (the control too)");
        out("*producer/consumer*: N/2 pairs of threads; the producer allocates %s objects and "
            "passes them through a bounded single-producer/single-consumer ring of %d to its "
            "consumer, which checks a byte and frees them (N = 1: one thread produces and "
            "consumes batches of %d in turn; an odd N > 1 runs N − 1 threads). 64 B: slab.h's "
            "object cache; 8..512 B (uniform): slab.h's kmalloc. ",
            count(T_PAIRS), RING_SIZE, PC_BATCH);
        out("Timed from the first thread out of a start barrier (which every thread reaches "
            "after its fill) to the last thread's last pair, the threads reading the clock "
            "themselves; fill, drain and thread exit are not timed. Pairs per second over all "
            "threads, higher is better; × 1 thread: the scaling; less steal × 1 thread: the "
            "same with each thread's end moved earlier by the time the hypervisor took from it "
            "(its wall time neither on a CPU nor waiting on the run queue, in a thread that "
            "never slept; – where the kernel does not tell); on-CPU × 1 thread: the same "
            "scaling counted in each thread's own CPU time (pairs per second it ran, summed "
            "over the threads), which leaves out the time the kernel ran other work on the "
            "thread's core or the machine took the core away: how the allocator itself scales "
            "(not for producer/consumer, whose threads share each object); × glibc: "
            "throughput over glibc's at the same thread count. The control row runs each thread's trace "
            "through an arithmetic loop with no allocator and no shared data: its scaling is "
            "what the machine gave N threads during this run (less than N on a shared machine "
            "when other work was running). steal: the time the hypervisor took from the machine's "
            "CPUs during the cell's runs (/proc/stat, fill and drain included), over the CPU "
            "time the runs' threads could use; the wall clock counts it, the less-steal and "
            "on-CPU figures do not.\n\n");
        print_threads();
        out("\n");
    }
    if (have_cells(0)) {
        out("## Debug, hardened and threaded builds\n\n");
        out("The same slab.h compiled with `-DSLAB_DEBUG=1`, `-DSLAB_HARDEN=1` and "
            "`-DSLAB_THREADS=1` (separate translation units, linked into the same harness); "
            "the threaded build runs here on one thread (its fast path with the magazines of "
            "thread 1).\n\n");
        print_variants();
        out("\n");
    }
    if (ncells || nfoots) {
        double control = t_scaling("empty", W_CPU, 1, F_WALL);
        out("## Targets\n\n");
        print_targets();
        out("\n");
        if (!isnan(control)) {
            char b[6][32];
            out("The machine's own scaling in this run (T's control row, no allocator, 2 threads "
                "vs 1): %.2fx, %s less steal; the 2-thread targets need about 2x there to be "
                "judged. 2 threads over 1 (private), less steal and on-CPU: slab.h cache %s and "
                "%s, kmalloc %s and %s, control %s.\n\n",
                control, ratio(b[0], t_scaling("empty", W_CPU, 1, F_KEPT), 1),
                ratio(b[1], t_scaling("slab-cache-thr", W_PRIVATE, 1, F_KEPT), 1),
                ratio(b[2], t_scaling("slab-cache-thr", W_PRIVATE, 1, F_CPU), 1),
                ratio(b[3], t_scaling("slab-kmalloc-thr", W_PRIVATE, 0, F_KEPT), 1),
                ratio(b[4], t_scaling("slab-kmalloc-thr", W_PRIVATE, 0, F_CPU), 1),
                ratio(b[5], t_scaling("empty", W_CPU, 1, F_CPU), 1));
        }
    }
    out("Run time: %.0f s.\n", now_s() - t_start);
    if (md)
        fclose(md);
    if (tsv)
        fclose(tsv);
    return 0;
}
