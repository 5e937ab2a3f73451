/* run.c - the one test translation unit: the implementation, the helpers, every t_*.c, and the
   list of tests. Prints each failed CHECK as "file:line: CHECK(expr) failed", then one line
   "N passed, N failed" (N = test functions); exits 1 if any test failed.
   SLAB_ABORT() goes to test_abort_hook(), which longjmps back into a test that armed it, so a
   SLAB_PANIC abort is tested without dying. */
#define _DEFAULT_SOURCE /* mmap's MAP_ANONYMOUS / MAP_NORESERVE, posix_memalign */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>

static void test_abort_hook(void);
#define SLAB_ABORT() test_abort_hook()
#define SLAB_IMPLEMENTATION
#include "../slab.h"

#include "test_util.h"

#include "t_heap.c"
#include "t_cache.c"
#include "t_bulk.c"
#include "t_misuse.c"
#include "t_stress.c"

typedef struct test_entry {
    const char *name;
    void (*fn)(void);
} test_entry;

#define T(fn) {#fn, fn}
static const test_entry tests[] = {
    T(t_heap_init_defaults),
    T(t_heap_init_errors),
    T(t_heap_unaligned),
    T(t_heap_page_sizes),
    T(t_heap_min_region),
    T(t_heap_big_region),
    T(t_heap_destroy),
    T(t_heap_pages_orders),
    T(t_heap_split_coalesce),
    T(t_heap_non_pow2),
    T(t_heap_stats),
    T(t_heap_error_names),
    T(t_cache_create_errors),
    T(t_cache_name),
    T(t_cache_align_default),
    T(t_cache_align_explicit),
    T(t_cache_hwcache_align),
    T(t_cache_macro),
    T(t_cache_objects),
    T(t_cache_ctor),
    T(t_cache_zalloc),
    T(t_cache_empty_slabs),
    T(t_cache_destroy),
    T(t_cache_oom),
    T(t_cache_oom_reclaim),
    T(t_cache_panic),
    T(t_cache_many),
    T(t_bulk_basic),
    T(t_bulk_nomem),
    T(t_bulk_free_bad),
    T(t_bulk_free_duplicate),
    T(t_bulk_many_slabs),
    T(t_misuse_pages_free),
    T(t_misuse_cache_free),
    T(t_misuse_double_free),
    T(t_misuse_stale_cache),
    T(t_misuse_garbage_handles),
    T(t_misuse_cross_heap),
    T(t_misuse_corrupt),
    T(t_stress_seeds),
    T(t_stress_small_pages),
    T(t_stress_oom),
};
#undef T

int main(int argc, char **argv)
{
    size_t i, n = sizeof tests / sizeof tests[0];
    unsigned passed = 0, failed = 0;
    for (i = 0; i < n; i++) {
        /* an optional argument runs only the tests whose names contain it */
        if (argc > 1 && strstr(tests[i].name, argv[1]) == NULL)
            continue;
        tu_test_fails = 0;
        tu_rec_reset();
        tests[i].fn();
        if (tu_test_fails) {
            printf("FAILED %s (%u failed CHECKs)\n", tests[i].name, tu_test_fails);
            failed++;
        } else {
            passed++;
        }
        fflush(stdout);
    }
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
