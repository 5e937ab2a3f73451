/* bench/cachemodel.h - the cache model's interface (bench/cachemodel.c), for bench/layout.c. */
#ifndef BENCH_CACHEMODEL_H
#define BENCH_CACHEMODEL_H
#include <stddef.h>
#include <stdint.h>

/* kind(address) sorts misses into n kinds, printed under names[k]. */
void model_kinds(int (*kind)(uintptr_t), const char *const *names, int n);
void model_thread(int id); /* the calling thread uses caches id (0 or 1) */
void model_measure(int on); /* count the calling thread's accesses while on */
void model_reset(void);     /* empty caches, zero counts: before each run */
void model_header(void);
void model_report(const char *layout, int threads, size_t pairs); /* per pair, per thread */
#endif
