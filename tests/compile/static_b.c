/* Compile test, part B: the second SLAB_STATIC copy of the implementation, and main(). */
#define SLAB_STATIC
#define SLAB_IMPLEMENTATION
#include "slab.h"

int static_a_run(void);

static unsigned char region_b[128 * 1024];

int main(void)
{
    if (static_a_run() != 0) return 1;
    slab_heap *heap = slab_heap_init(region_b, sizeof region_b, NULL);
    if (!heap) return 2;
    void *pages = slab_pages_alloc(heap, 2);
    if (!pages) return 3;
    slab_pages_free(heap, pages);
    if (slab_heap_check(heap) != 0) return 4;
    slab_heap_destroy(heap);
    return 0;
}
