/* Compile test: slab.h as C99 with the implementation, calling each part of the API once so
   nothing is dead code. Built with gcc and clang (and with -m32 where it works) and run. */
#define SLAB_IMPLEMENTATION
#include "slab.h"

struct point {
    int x, y;
};

static unsigned char region[256 * 1024];

static void point_ctor(void *obj, void *ctx)
{
    struct point *p = (struct point *)obj;
    p->x = 1;
    p->y = 2;
    ++*(int *)ctx;
}

int main(void)
{
    int ctor_calls = 0;
    void *objs[8];
    slab_heapinfo hi;
    slab_slabinfo si;
    slab_heap *heap = slab_heap_init(region + 1, sizeof region - 1, NULL);
    if (!heap) return 1;

    slab_cache *plain = SLAB_CACHE(heap, struct point, SLAB_HWCACHE_ALIGN);
    slab_cache *built = slab_cache_create(heap, "built", sizeof(struct point), 0, 0,
                                          point_ctor, &ctor_calls);
    if (!plain || !built) return 2;

    struct point *z = (struct point *)slab_cache_zalloc(plain);
    struct point *p = (struct point *)slab_cache_alloc(built);
    if (!z || z->x != 0 || !p || p->x != 1 || ctor_calls == 0) return 3;
    if (slab_cache_alloc_bulk(built, 8, objs) != 8) return 4;
    if (slab_cache_free_bulk(built, 8, objs) != 8) return 5;
    slab_cache_free(built, p);
    slab_cache_free(plain, z);

    void *pages = slab_pages_alloc(heap, 1);
    if (!pages) return 6;
    slab_pages_free(heap, pages);

    if (slab_cache_info(built, &si) != SLAB_ERR_OK || si.active_objs != 0) return 7;
    if (slab_heap_stats(heap, &hi) != SLAB_ERR_OK || hi.pages_total == 0) return 8;
    if (slab_heap_check(heap) != 0) return 9;
    (void)slab_cache_shrink(built);
    if (slab_cache_destroy(built) != SLAB_ERR_OK) return 10;
    if (slab_cache_destroy(plain) != SLAB_ERR_OK) return 11;
    if (slab_error_name(SLAB_ERR_NOMEM)[0] == '\0' || !slab_error_string(SLAB_ERR_OK)) return 12;
    slab_heap_destroy(heap);
    return 0;
}
