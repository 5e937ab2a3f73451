/* run.c - the one test translation unit: the implementation, the helpers, every t_*.c, and the
   list of tests. Prints each failed CHECK as "file:line: CHECK(expr) failed", then one line
   "N passed, N failed" (N = test functions); exits 1 if any test failed. A test with nothing
   to check in the build at hand (TU_SKIP: it needs SLAB_DEBUG, ASan...) is not counted as
   passed: a "skipped" line names it, and one line before the last gives their number.
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
#include "t_kmalloc.c"
#include "t_vmalloc.c"
#include "t_reclaim.c"
#include "t_region.c"
#include "t_debug.c"
#include "t_asan.c"

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
    T(t_kmalloc_classes),
    T(t_kmalloc_large),
    T(t_kmalloc_page_sizes),
    T(t_kmalloc_aligned),
    T(t_kmalloc_zeroing),
    T(t_kmalloc_zero_and_huge),
    T(t_kmalloc_krealloc),
    T(t_kmalloc_krealloc_blocked),
    T(t_kmalloc_krealloc_fail),
    T(t_kmalloc_mixed_free),
    T(t_kmalloc_bad_pointers),
    T(t_vmalloc_exact),
    T(t_vmalloc_coalesce),
    T(t_vmalloc_zero),
    T(t_vmalloc_kvmalloc),
    T(t_vmalloc_kvrealloc),
    T(t_vmalloc_kvrealloc_blocked),
    T(t_vmalloc_oom),
    T(t_vmalloc_shrink_full),
    T(t_vmalloc_runcache_reuse),
    T(t_vmalloc_runcache_double_free),
    T(t_vmalloc_runcache_drain),
    T(t_vmalloc_runcache_tight),
    T(t_reclaim_keep_empty),
    T(t_reclaim_register),
    T(t_reclaim_shrinker_frees),
    T(t_reclaim_shrinker_nothing),
    T(t_reclaim_empty_first),
    T(t_reclaim_heap_shrink),
    T(t_reclaim_nested),
    T(t_reclaim_nested_class),
    T(t_reclaim_inject_nth),
    T(t_reclaim_inject_every),
    T(t_reclaim_inject_should_fail),
    T(t_reclaim_inject_bookkeeping),
    T(t_region_add),
    T(t_region_seam),
    T(t_region_errors),
    T(t_region_objects),
    T(t_region_size),
    T(t_region_max_alloc),
    T(t_region_dump),
    T(t_region_for_each),
    T(t_region_leaks),
    T(t_region_plugin),
    T(t_region_random),
    T(t_debug_overflow),
    T(t_debug_underflow),
    T(t_debug_redzone_sweep),
    T(t_debug_use_after_free),
    T(t_debug_poison_sweep),
    T(t_debug_poison_value_undetected),
    T(t_debug_uninit_fill),
    T(t_debug_ctor),
    T(t_debug_krealloc_redzone),
    T(t_debug_double_free),
    T(t_debug_bad_pointers),
    T(t_debug_names),
    T(t_debug_cache_leaks),
    T(t_debug_leak_count),
    T(t_debug_heap_leaks),
    T(t_debug_bulk_sites),
    T(t_debug_selective),
    T(t_asan_cache_overflow),
    T(t_asan_cache_use_after_free),
    T(t_asan_kmalloc_overflow),
    T(t_asan_kmalloc_use_after_free),
    T(t_asan_vmalloc_overflow),
    T(t_asan_vmalloc_use_after_free),
    T(t_kmalloc_aligned_zero), /* last: it may stop a UBSan build (see the test) */
};
#undef T

int main(int argc, char **argv)
{
    size_t i, n = sizeof tests / sizeof tests[0];
    unsigned passed = 0, failed = 0, skipped = 0;
    for (i = 0; i < n; i++) {
        /* an optional argument runs only the tests whose names contain it */
        if (argc > 1 && strstr(tests[i].name, argv[1]) == NULL)
            continue;
        tu_test_fails = 0;
        tu_test_skipped = 0;
        tu_rec_reset();
        tests[i].fn();
        if (tu_test_fails) {
            printf("FAILED %s (%u failed CHECKs)\n", tests[i].name, tu_test_fails);
            failed++;
        } else {
            if (tu_test_skipped)
                skipped++; /* nothing was checked in this build: not a pass */
            else
                passed++;
        }
        fflush(stdout);
    }
    if (skipped)
        printf("%u skipped (not counted: nothing to check in this build)\n", skipped);
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
