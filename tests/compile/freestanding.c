/* Compile test: a freestanding build (-ffreestanding -nostdlib -c), as firmware without libc
   would do it. Every hook is defined here with a tiny function; nothing but slab.h (and, through
   it, <stddef.h> and <stdint.h>) is included. The Makefile then checks that the object file
   needs no libc symbol (only the mem* functions a compiler may emit itself). */

/* First the declarations, so the hooks below can use size_t. */
#include "slab.h"

/* The hooks are external functions, as firmware would supply them. */
void fw_halt(void);
void *fw_memset(void *dst, int value, size_t n);
void *fw_memcpy(void *dst, const void *src, size_t n);

void fw_halt(void)
{
    for (;;) {
    }
}

void *fw_memset(void *dst, int value, size_t n)
{
    unsigned char *d = (unsigned char *)dst;
    while (n--) *d++ = (unsigned char)value;
    return dst;
}

void *fw_memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    while (n--) *d++ = *s++;
    return dst;
}

#define SLAB_ASSERT(c) ((c) ? (void)0 : fw_halt())
#define SLAB_MEMSET(p, v, n) fw_memset((p), (v), (n))
#define SLAB_MEMCPY(d, s, n) fw_memcpy((d), (s), (n))
#define SLAB_ABORT() fw_halt()
#define SLAB_NO_STDIO
/* Then the implementation: the header part is skipped by its guard. */
#define SLAB_IMPLEMENTATION
#include "slab.h"

struct sensor_sample {
    uint32_t timestamp;
    int16_t value[6];
};

static unsigned char arena[32 * 1024];
static slab_heap *heap;
static slab_cache *samples;

int fw_init(void);
struct sensor_sample *fw_sample_new(void);
void fw_sample_free(struct sensor_sample *s);
int fw_selftest(void);

int fw_init(void)
{
    slab_heap_config cfg = {0};
    cfg.page_size = 512;
    heap = slab_heap_init(arena, sizeof arena, &cfg);
    if (!heap) return -1;
    samples = SLAB_CACHE(heap, struct sensor_sample, 0);
    return samples ? 0 : -2;
}

struct sensor_sample *fw_sample_new(void)
{
    return (struct sensor_sample *)slab_cache_zalloc(samples);
}

void fw_sample_free(struct sensor_sample *s)
{
    slab_cache_free(samples, s);
}

int fw_selftest(void)
{
    slab_slabinfo si;
    slab_heapinfo hi;
    if (slab_cache_info(samples, &si) != SLAB_ERR_OK) return -1;
    if (slab_heap_stats(heap, &hi) != SLAB_ERR_OK) return -2;
    (void)slab_cache_shrink(samples);
    return slab_heap_check(heap);
}
