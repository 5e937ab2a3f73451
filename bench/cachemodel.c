/* bench/cachemodel.c - a model of two cores' private caches, for make bench-cachemodel.

   bench/layout.c, compiled with gcc's -fsanitize=kernel-address and calls for every access
   (--param asan-instrumentation-with-call-threshold=0), hands each of its loads and stores to
   the __asan_*_noabort functions below instead of a sanitizer. Each of the two worker threads
   has its own L1 (48 KiB, 12-way) and L2 (2 MiB, 16-way), LRU, the sizes of the project's
   machine; a store drops the line from the other thread's caches. Page frames are not the
   virtual pages (the set bits above the page offset come from a hash of the page number), as a
   kernel hands out physical pages. While a thread measures, every access that misses its L1 or
   L2 is counted, by the kind of memory it touched (layout.c tells the kinds apart).

   No prefetchers, no timing: a miss is a miss. What it shows, on any machine and without
   hardware counters, is how many lines each operation brings in and whose they were. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cachemodel.h"

#define LINE_SHIFT 6
#define MAX_KINDS 8

typedef struct cache {
    unsigned sets, ways;
    uint64_t *tag; /* line number + 1; 0: empty */
    uint64_t *used;
    uint64_t clock;
} cache;

typedef struct counts {
    unsigned long accesses, l1[MAX_KINDS], l2[MAX_KINDS], dropped;
} counts;

static cache l1[2], l2[2];
static counts cnt[2];
static _Thread_local int me = -1, measuring;
static int (*kind_of)(uintptr_t);
static const char *const *kind_names;
static int nkinds;

static void cache_init(cache *c, unsigned kib, unsigned ways)
{
    c->ways = ways;
    c->sets = kib * 1024 / ways >> LINE_SHIFT;
    c->tag = calloc((size_t)c->sets * ways, sizeof *c->tag);
    c->used = calloc((size_t)c->sets * ways, sizeof *c->used);
    if (!c->tag || !c->used) {
        fprintf(stderr, "cachemodel: out of memory\n");
        exit(1);
    }
}

static uint64_t hash(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    return x ^ x >> 33;
}

/* The set of a line: its bits within the page, then a hash of the page (the page frame). */
static uint64_t *set_of(const cache *c, uint64_t line, uint64_t **used)
{
    uint64_t in_page = line & ((1u << (12 - LINE_SHIFT)) - 1);
    size_t set = (size_t)((in_page | hash(line >> (12 - LINE_SHIFT)) << (12 - LINE_SHIFT)) &
                          (c->sets - 1));
    *used = c->used + set * c->ways;
    return c->tag + set * c->ways;
}

/* Whether the line is in c; brings it in (evicting the least recently used) when not. */
static int touch(cache *c, uint64_t line)
{
    uint64_t *used, *tag = set_of(c, line, &used);
    unsigned w, victim = 0;
    c->clock++;
    for (w = 0; w < c->ways; w++)
        if (tag[w] == line + 1) {
            used[w] = c->clock;
            return 1;
        }
    for (w = 1; w < c->ways && tag[victim]; w++)
        if (!tag[w] || used[w] < used[victim])
            victim = w;
    tag[victim] = line + 1;
    used[victim] = c->clock;
    return 0;
}

static int drop(cache *c, uint64_t line)
{
    uint64_t *used, *tag = set_of(c, line, &used);
    for (unsigned w = 0; w < c->ways; w++)
        if (tag[w] == line + 1) {
            tag[w] = 0;
            used[w] = 0;
            return 1;
        }
    return 0;
}

static void access_line(uintptr_t addr, int store)
{
    uint64_t line = (uint64_t)addr >> LINE_SHIFT;
    int other;
    if (me < 0)
        return;
    other = !me;
    if (measuring)
        cnt[me].accesses++;
    if (!touch(&l1[me], line)) {
        int k = measuring && kind_of ? kind_of(addr) : 0;
        int in_l2 = touch(&l2[me], line);
        if (measuring) {
            cnt[me].l1[k]++;
            cnt[me].l2[k] += !in_l2;
        }
    }
    if (store && (drop(&l1[other], line) | drop(&l2[other], line)) && measuring)
        cnt[me].dropped++;
}

/* The instrumented code's calls: one per load or store of 1..16 bytes, or of n bytes. */
#define ACCESSORS(n)                                                                             \
    void __asan_load##n##_noabort(uintptr_t a);                                                \
    void __asan_store##n##_noabort(uintptr_t a);                                               \
    void __asan_load##n##_noabort(uintptr_t a) { access_line(a, 0); }                          \
    void __asan_store##n##_noabort(uintptr_t a) { access_line(a, 1); }
ACCESSORS(1)
ACCESSORS(2)
ACCESSORS(4)
ACCESSORS(8)
ACCESSORS(16)
void __asan_loadN_noabort(uintptr_t a, size_t n);
void __asan_storeN_noabort(uintptr_t a, size_t n);
void __asan_handle_no_return(void);
void __asan_loadN_noabort(uintptr_t a, size_t n) { (void)n, access_line(a, 0); }
void __asan_storeN_noabort(uintptr_t a, size_t n) { (void)n, access_line(a, 1); }
void __asan_handle_no_return(void) {}

void model_kinds(int (*kind)(uintptr_t), const char *const *names, int n)
{
    kind_of = kind;
    kind_names = names;
    nkinds = n < MAX_KINDS ? n : MAX_KINDS;
}

void model_thread(int id) { me = id; }

void model_measure(int on) { measuring = on; }

void model_reset(void)
{
    for (int t = 0; t < 2; t++) {
        if (!l1[t].tag) {
            cache_init(&l1[t], 48, 12);
            cache_init(&l2[t], 2048, 16);
        }
        memset(l1[t].tag, 0, (size_t)l1[t].sets * l1[t].ways * sizeof *l1[t].tag);
        memset(l2[t].tag, 0, (size_t)l2[t].sets * l2[t].ways * sizeof *l2[t].tag);
    }
    memset(cnt, 0, sizeof cnt);
}

void model_report(const char *layout, int threads, size_t pairs)
{
    double p = (double)pairs;
    for (int t = 0; t < threads; t++) {
        unsigned long m1 = 0, m2 = 0;
        for (int k = 0; k < nkinds; k++)
            m1 += cnt[t].l1[k], m2 += cnt[t].l2[k];
        printf("| %s | %d | %d | %.1f | %.3f | %.4f | %.4f |", layout, threads, t + 1,
               (double)cnt[t].accesses / p, (double)m1 / p, (double)m2 / p,
               (double)cnt[t].dropped / p);
        for (int k = 0; k < nkinds; k++)
            printf(" %.3f |", (double)cnt[t].l1[k] / p);
        printf("\n");
    }
}

void model_header(void)
{
    printf("| layout | threads | thread | accesses | L1 misses | L2 misses | lines taken from the "
           "other |");
    for (int k = 0; k < nkinds; k++)
        printf(" L1 misses: %s |", kind_names[k]);
    printf("\n|---|--:|--:|--:|--:|--:|--:|");
    for (int k = 0; k < nkinds; k++)
        printf("--:|");
    printf("\n");
}
