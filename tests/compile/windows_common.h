// windows_common.h - what the Windows programs windows.cpp and windows_no_hook.cpp share: a
// heap with a cache of items, CHECK, and the steps both take. Included after slab.h (with
// SLAB_IMPLEMENTATION and SLAB_THREADS) and <windows.h>.
#include <stdio.h>
#include <string.h>

struct item {
    unsigned id;
    unsigned char bytes[60];
};

static unsigned char region[1u << 20];
static slab_heap *heap;
static slab_cache *items;
static int failures;

#define CHECK(c) \
    ((c) ? (void)0 : (void)(failures++, printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c)))

// Makes the heap and its cache of items; false, with a message, when it cannot.
static inline bool set_up()
{
    heap = slab_heap_init(region, sizeof region, NULL);
    items = heap ? SLAB_CACHE(heap, item, 0) : NULL;
    if (!items)
        printf("FAIL: no heap\n");
    return items != NULL;
}

// The cache's figures; cached_objs counts the objects in magazines, any thread's.
static inline slab_slabinfo items_info()
{
    slab_slabinfo si;
    memset(&si, 0, sizeof si);
    CHECK(slab_cache_info(items, &si) == SLAB_ERR_OK);
    return si;
}

static inline size_t cached() { return items_info().cached_objs; }

// The number the fast paths read is the thread's own: with mingw-w64 gcc before 16 it comes
// from a slot of the thread's TEB (slab.h, >>threads).
static inline void check_fast_number()
{
    CHECK(slab__tid != 0 && slab__fast_tid() == slab__tid);
#if SLAB__TEB_TID
    CHECK(slab__teb_slot != 0);
#endif
}

// Allocates n objects (at most 40) and frees them: they stay in the calling thread's magazines.
static inline void churn(unsigned n)
{
    item *p[40];
    unsigned i;
    for (i = 0; i < n && i < 40; i++) {
        p[i] = static_cast<item *>(slab_cache_alloc(items));
        CHECK(p[i] != NULL);
    }
    while (i--)
        if (p[i])
            slab_cache_free(items, p[i]);
    check_fast_number();
}

// Waits for thread t to end.
static inline void join(HANDLE t)
{
    CHECK(t != NULL);
    if (t) {
        CHECK(WaitForSingleObject(t, INFINITE) == WAIT_OBJECT_0);
        CloseHandle(t);
    }
}

// Checks the heap, ends it, and prints the count of failures; the exit status.
static inline int finish()
{
    CHECK(slab_heap_check(heap) == 0);
    slab_cache_destroy(items);
    slab_heap_destroy(heap);
    printf("%d failed\n", failures);
    return failures != 0;
}
