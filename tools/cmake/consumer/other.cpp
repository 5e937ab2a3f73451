// The consumer's C++ file: slab.h's declarations only, linked with main.c's implementation.
#include "slab.h"

extern "C" int other_cpp(slab_heap *heap);

extern "C" int other_cpp(slab_heap *heap)
{
    void *p = slab_kmalloc(heap, 100);
    if (!p)
        return 1;
    slab_kfree(heap, p);
    return 0;
}
