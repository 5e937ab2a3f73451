/* particles.c - a game-style particle system on slab.h (`make demo`).

   All memory is one 4 MiB static array: slab_heap_init turns it into a page heap, and a typed
   cache of particles is carved from it. The cache has a constructor that stamps each particle
   with a magic number and a default colour; it runs once per object slot, when a slab is made,
   not on every allocation, and a freed particle keeps that constructed state for the next
   allocation. Each of 60 frames spawns a burst of particles with one slab_cache_alloc_bulk call,
   moves every live particle, and returns the dead ones with one slab_cache_free_bulk call. A
   few frames print the cache's figures in the columns of /proc/slabinfo. Then a label and a
   texture take the generic paths (slab_kmalloc's size classes, slab_vmalloc's exact page
   runs), and the end shows the constructor count against the allocation count, the heap's
   page figures, then shrinks and destroys the cache and checks the heap. Output is
   deterministic (fixed-seed PRNG). */
#include <stdint.h>
#include <stdio.h>

#define SLAB_IMPLEMENTATION
#include "slab.h"

#define REGION_BYTES (4u << 20)
#define FRAMES 60
#define MAX_BURST 640
#define MAX_LIVE 32768
#define PARTICLE_MAGIC 0x50415254u /* "PART" */
#define DEFAULT_COLOUR 0xffb040ffu /* RGBA: orange */

typedef struct particle {
    uint32_t magic;  // set by the constructor; must survive every free/alloc cycle
    uint32_t colour; // set by the constructor
    int32_t x, y;    // position, 1/256 pixel
    int32_t vx, vy;  // velocity, 1/256 pixel per frame
    int32_t life;    // frames left
} particle;

static unsigned char region[REGION_BYTES];
static particle *live[MAX_LIVE];
static void *burst[MAX_BURST];
static void *dead[MAX_LIVE];

static unsigned long errors;

static void on_error(slab_heap *heap, slab_error code, const void *ptr, const char *msg,
                     void *user)
{
    (void)heap;
    (void)user;
    errors++;
    printf("slab error %s at %p: %s\n", slab_error_name(code), ptr, msg);
}

static void particle_ctor(void *obj, void *ctx)
{
    particle *p = (particle *)obj;
    p->magic = PARTICLE_MAGIC;
    p->colour = DEFAULT_COLOUR;
    ++*(size_t *)ctx;
}

// xorshift32: the same particles on every run and every machine.
static uint32_t rng_state = 2463534242u;
static uint32_t rng(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state % n;
}

static void print_row(const char *when, slab_cache *cache)
{
    slab_slabinfo si;
    if (slab_cache_info(cache, &si) != SLAB_ERR_OK) return;
    printf("%-9s %-9s %11zu %8zu %7zu %10zu %12zu %12zu %9zu\n", when, si.name, si.active_objs,
           si.num_objs, si.objsize, si.objperslab, si.pagesperslab, si.active_slabs,
           si.num_slabs);
}

static void print_heap(const char *when, slab_heap *heap)
{
    slab_heapinfo hi;
    if (slab_heap_stats(heap, &hi) != SLAB_ERR_OK) return;
    printf("heap %-8s %zu pages of %zu B, %zu free, largest free block %zu pages, "
           "%zu in slabs\n",
           when, hi.pages_total, hi.page_size, hi.pages_free, hi.largest_free, hi.slab_pages);
}

int main(void)
{
    slab_heap_config cfg = {0};
    cfg.on_error = on_error;
    slab_heap *heap = slab_heap_init(region, sizeof region, &cfg);
    if (!heap) return 1;
    print_heap("start", heap);

    size_t ctor_calls = 0;
    slab_cache *cache = slab_cache_create(heap, "particle", sizeof(particle), 0,
                                          SLAB_HWCACHE_ALIGN, particle_ctor, &ctor_calls);
    if (!cache) return 1;

    size_t nlive = 0, allocations = 0, frees = 0, peak_slots = 0, bad_magic = 0;
    printf("\n%-9s %-9s %11s %8s %7s %10s %12s %12s %9s\n", "# frame", "name", "active_objs",
           "num_objs", "objsize", "objperslab", "pagesperslab", "active_slabs", "num_slabs");

    for (int frame = 1; frame <= FRAMES; frame++) {
        // Spawn: a steady stream, with a big explosion every 12 frames.
        size_t n = 160 + rng(64) + (frame % 12 == 0 ? 400 : 0);
        if (nlive + n > MAX_LIVE || slab_cache_alloc_bulk(cache, n, burst) != n) {
            printf("frame %d: could not spawn %zu particles\n", frame, n);
            return 1;
        }
        for (size_t i = 0; i < n; i++) {
            particle *p = (particle *)burst[i];
            if (p->magic != PARTICLE_MAGIC || p->colour != DEFAULT_COLOUR) bad_magic++;
            p->x = 320 * 256;
            p->y = 240 * 256;
            p->vx = (int32_t)rng(1024) - 512;
            p->vy = (int32_t)rng(1024) - 768;
            p->life = 4 + (int32_t)rng(28);
            live[nlive++] = p;
        }
        allocations += n;

        // Update: move, apply gravity, age; collect the dead and compact the live list.
        size_t ndead = 0, kept = 0;
        for (size_t i = 0; i < nlive; i++) {
            particle *p = live[i];
            p->x += p->vx;
            p->y += p->vy;
            p->vy += 24;
            if (--p->life <= 0 || p->y > 480 * 256)
                dead[ndead++] = p;
            else
                live[kept++] = p;
        }
        nlive = kept;
        if (slab_cache_free_bulk(cache, ndead, dead) != ndead) return 1;
        frees += ndead;

        slab_slabinfo si;
        if (slab_cache_info(cache, &si) == SLAB_ERR_OK && si.num_objs > peak_slots)
            peak_slots = si.num_objs;
        if (frame == 1 || frame % 15 == 0) {
            char when[16];
            (void)snprintf(when, sizeof when, "%d", frame);
            print_row(when, cache);
        }
    }

    // Level over: everything still alive goes back in one call.
    for (size_t i = 0; i < nlive; i++) dead[i] = live[i];
    if (slab_cache_free_bulk(cache, nlive, dead) != nlive) return 1;
    frees += nlive;
    print_row("cleared", cache);
    size_t pages_back = slab_cache_shrink(cache);
    print_row("shrunk", cache);

    printf("\n%zu particles allocated and %zu freed in %d frames, one bulk call each way per "
           "frame\n", allocations, frees, FRAMES);
    printf("constructor calls: %zu = object slots carved (peak num_objs %zu), "
           "not one per allocation\n", ctor_calls, peak_slots);
    printf("constructed state intact on every reuse: %s\n", bad_magic ? "NO" : "yes");
    printf("shrink gave back %zu pages\n", pages_back);

    // Level data through the generic paths: a label from a kmalloc size class, a texture as
    // an exact run of pages (the unused tail of its buddy block goes straight back).
    char *label = (char *)slab_kmalloc(heap, 160);
    void *texture = slab_vmalloc(heap, 100000);
    slab_heapinfo hi;
    if (!label || !texture || slab_heap_stats(heap, &hi) != SLAB_ERR_OK) return 1;
    printf("kmalloc(160): ksize %zu; vmalloc(100000): ksize %zu = %zu pages, not 32\n",
           slab_ksize(heap, label), slab_ksize(heap, texture), hi.large_pages);
    slab_kfree(heap, label);
    slab_vfree(heap, texture);
    print_heap("now", heap);

    slab_error derr = slab_cache_destroy(cache);
    int check = slab_heap_check(heap);
    printf("destroy: %s, heap check: %d, errors reported: %lu\n", slab_error_name(derr), check,
           errors);
    size_t heap_back = slab_heap_shrink(heap); // the empty slab kmalloc-192 kept, too
    print_heap("end", heap);
    printf("(slab_heap_shrink gave back %zu more; what stays holds the heap's cache structs)\n",
           heap_back);
    slab_heap_destroy(heap);
    return (derr == SLAB_ERR_OK && check == 0 && errors == 0 && bad_magic == 0) ? 0 : 1;
}
