// Compile test: slab.h as C++ (C++11 and C++17, g++ and clang++) with the implementation.
// SLAB_CACHE makes a cache of a struct; objects are built in place with placement new.
#define SLAB_IMPLEMENTATION
#include "slab.h"

#include <new>

namespace {

struct alignas(32) Entity {
    int id;
    float x, y;
    Entity(int i) : id(i), x(0.0f), y(0.0f) {}
};

unsigned char region[256 * 1024];

} // namespace

int main()
{
    slab_heap *heap = slab_heap_init(region, sizeof region, nullptr);
    if (!heap) return 1;
    slab_cache *cache = SLAB_CACHE(heap, Entity, SLAB_HWCACHE_ALIGN);
    if (!cache) return 2;

    Entity *e[16];
    for (int i = 0; i < 16; i++) {
        void *mem = slab_cache_alloc(cache);
        if (!mem || reinterpret_cast<uintptr_t>(mem) % alignof(Entity) != 0) return 3;
        e[i] = new (mem) Entity(i);
    }
    for (int i = 0; i < 16; i++) {
        if (e[i]->id != i) return 4;
        e[i]->~Entity();
        slab_cache_free(cache, e[i]);
    }

    slab_slabinfo si;
    if (slab_cache_info(cache, &si) != SLAB_ERR_OK || si.active_objs != 0) return 5;
    if (slab_heap_check(heap) != 0) return 6;
    if (slab_cache_destroy(cache) != SLAB_ERR_OK) return 7;
    slab_heap_destroy(heap);
    return 0;
}
