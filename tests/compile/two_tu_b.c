/* Compile test, part B: declarations only; every call links to two_tu_a.c's implementation. */
#include "slab.h"

size_t two_tu_live_objects(slab_cache *cache);

static unsigned char region[128 * 1024];

int main(void)
{
    slab_heap *heap = slab_heap_init(region, sizeof region, NULL);
    if (!heap) return 1;
    slab_cache *cache = slab_cache_create(heap, "two_tu", 40, 0, 0, NULL, NULL);
    if (!cache) return 2;
    void *objs[4];
    if (slab_cache_alloc_bulk(cache, 4, objs) != 4) return 3;
    if (two_tu_live_objects(cache) != 4) return 4;
    if (slab_cache_free_bulk(cache, 4, objs) != 4) return 5;
    if (two_tu_live_objects(cache) != 0) return 6;
    if (slab_cache_destroy(cache) != SLAB_ERR_OK) return 7;
    if (slab_heap_check(heap) != 0) return 8;
    slab_heap_destroy(heap);
    return 0;
}
