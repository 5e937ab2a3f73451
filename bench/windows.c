/* windows.c - the cache's fast path on Windows (make bench-windows, run under Wine): one
   thread allocates 16 objects of 64 bytes and frees them, over and over, and prints the median
   time per alloc+free pair of 9 runs. Built with mingw-w64 gcc (whose thread-local storage is
   emulated before gcc 16, a call per access; slab.h's fast paths read the thread number from
   the TEB there) and with clang (native TLS), each threaded and unthreaded: what threads cost
   on that platform. argv[1] names the build. */
#ifndef SLAB_THREADS
#define SLAB_THREADS 1
#endif
#define SLAB_IMPLEMENTATION
#include "slab.h"

#include <stdio.h>
#include <stdlib.h>
#include <windows.h>

#define PAIRS 4000000L
#define RUNS 9

static unsigned char region[1u << 20];

typedef struct object {
    unsigned char bytes[64];
} object;

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    slab_heap *heap = slab_heap_init(region, sizeof region, NULL);
    slab_cache *cache = heap ? SLAB_CACHE(heap, object, 0) : NULL;
    double ns[RUNS];
    LARGE_INTEGER freq, t0, t1;
    void *p[16];
    long i;
    int r, k;
    if (!cache)
        return 1;
    QueryPerformanceFrequency(&freq);
    for (r = 0; r < RUNS; r++) {
        QueryPerformanceCounter(&t0);
        for (i = 0; i < PAIRS; i += 16) {
            for (k = 0; k < 16; k++)
                p[k] = slab_cache_alloc(cache);
            for (k = 0; k < 16; k++)
                slab_cache_free(cache, p[k]);
        }
        QueryPerformanceCounter(&t1);
        ns[r] = (double)(t1.QuadPart - t0.QuadPart) * 1e9 / (double)freq.QuadPart / PAIRS;
    }
    qsort(ns, RUNS, sizeof ns[0], by_value);
    printf("%-34s %6.2f ns per pair (median of %d; %.2f-%.2f)\n", argc > 1 ? argv[1] : "",
           ns[RUNS / 2], RUNS, ns[0], ns[RUNS - 1]);
    slab_cache_destroy(cache);
    slab_heap_destroy(heap);
    return 0;
}
