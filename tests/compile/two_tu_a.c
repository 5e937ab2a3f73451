/* Compile test, part A: the one translation unit that holds the implementation. */
#define SLAB_IMPLEMENTATION
#include "slab.h"

size_t two_tu_live_objects(slab_cache *cache);

size_t two_tu_live_objects(slab_cache *cache)
{
    slab_slabinfo si;
    return slab_cache_info(cache, &si) == SLAB_ERR_OK ? si.active_objs : (size_t)-1;
}
