/* Compile test, part A: SLAB_STATIC gives this translation unit its own private copy of the
   implementation; static_b.c has another. Linked together, the two must not clash. */
#define SLAB_STATIC
#define SLAB_IMPLEMENTATION
#include "slab.h"

int static_a_run(void);

static unsigned char region_a[128 * 1024];

int static_a_run(void)
{
    slab_heap *heap = slab_heap_init(region_a, sizeof region_a, NULL);
    if (!heap) return 1;
    slab_cache *cache = slab_cache_create(heap, "a", 24, 8, 0, NULL, NULL);
    void *obj = cache ? slab_cache_alloc(cache) : NULL;
    if (!obj) return 2;
    slab_cache_free(cache, obj);
    if (slab_heap_check(heap) != 0) return 3;
    slab_heap_destroy(heap);
    return 0;
}
