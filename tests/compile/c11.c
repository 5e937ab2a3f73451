/* Compile test: slab.h as C11 with the implementation. SLAB_CACHE takes the alignment of an
   over-aligned type through _Alignof; the program checks that every object honours it. */
#define SLAB_IMPLEMENTATION
#include "slab.h"

typedef struct body {
    _Alignas(64) float pos[3];
    float vel[3];
} body;

_Static_assert(_Alignof(body) == 64, "body is cache-line aligned");

static _Alignas(4096) unsigned char region[512 * 1024];

int main(void)
{
    slab_heap_config cfg = {.page_size = 1024};
    slab_heap *heap = slab_heap_init(region, sizeof region, &cfg);
    if (!heap) return 1;
    slab_cache *cache = SLAB_CACHE(heap, body, 0);
    if (!cache) return 2;

    void *objs[32];
    if (slab_cache_alloc_bulk(cache, 32, objs) != 32) return 3;
    for (size_t i = 0; i < 32; i++)
        if ((uintptr_t)objs[i] % _Alignof(body) != 0) return 4;

    slab_slabinfo si;
    if (slab_cache_info(cache, &si) != SLAB_ERR_OK || si.active_objs != 32 || si.align < 64)
        return 5;
    if (slab_cache_free_bulk(cache, 32, objs) != 32) return 6;
    if (slab_heap_check(heap) != 0) return 7;
    if (slab_cache_destroy(cache) != SLAB_ERR_OK) return 8;
    slab_heap_destroy(heap);
    return 0;
}
