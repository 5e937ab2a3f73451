/* The core of the library as a firmware image links it: the page heap, object caches, kmalloc
   and vmalloc, every function of those layers kept, the rest (figures, dump, check,
   shrinker registration, error names) left to --gc-sections. run.sh adds up the code of the
   slab_ symbols in the linked image: that is the figure the 8 KiB budget is about. */
#include "lib.c"

void fw_halt(void)
{
    for (;;) {
    }
}

void *fw_memset(void *dst, int value, size_t n)
{
    volatile unsigned char *d = (volatile unsigned char *)dst;
    while (n--)
        *d++ = (unsigned char)value;
    return dst;
}

void *fw_memcpy(void *dst, const void *src, size_t n)
{
    volatile unsigned char *d = (volatile unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    while (n--)
        *d++ = *s++;
    return dst;
}

/* GCC may emit calls to these four even in freestanding code (e.g. for a struct copy). */
void *memset(void *dst, int value, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memset(void *dst, int value, size_t n) { return fw_memset(dst, value, n); }
void *memcpy(void *dst, const void *src, size_t n) { return fw_memcpy(dst, src, n); }
void *memmove(void *dst, const void *src, size_t n)
{
    volatile unsigned char *d = (volatile unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    if (d < s)
        while (n--)
            *d++ = *s++;
    else
        while (n--)
            d[n] = s[n];
    return dst;
}
int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x < *y ? -1 : 1;
    return 0;
}

typedef void (*fn)(void);
#define KEEP(f) (fn)(f)
/* Every function of the core layers, in a table the entry point reads, so none is dropped. */
fn volatile keep[] = {
    /* page heap */
    KEEP(slab_heap_init), KEEP(slab_heap_destroy), KEEP(slab_heap_add_region),
    KEEP(slab_pages_alloc), KEEP(slab_pages_free), KEEP(slab_heap_max_alloc),
    KEEP(slab_heap_region_size),
    /* object caches */
    KEEP(slab_cache_create), KEEP(slab_cache_destroy), KEEP(slab_cache_alloc),
    KEEP(slab_cache_zalloc), KEEP(slab_cache_free), KEEP(slab_cache_alloc_bulk),
    KEEP(slab_cache_free_bulk), KEEP(slab_cache_shrink),
    /* kmalloc */
    KEEP(slab_kmalloc), KEEP(slab_kzalloc), KEEP(slab_kcalloc), KEEP(slab_kmalloc_aligned),
    KEEP(slab_krealloc), KEEP(slab_kfree), KEEP(slab_ksize),
    /* vmalloc */
    KEEP(slab_vmalloc), KEEP(slab_vzalloc), KEEP(slab_vfree), KEEP(slab_kvmalloc),
    KEEP(slab_kvzalloc), KEEP(slab_kvfree), KEEP(slab_kvrealloc),
};

void _start(void);
void _start(void)
{
    size_t i;
    for (i = 0;; i = (i + 1) % (sizeof keep / sizeof keep[0]))
        if (!keep[i])
            fw_halt();
}
