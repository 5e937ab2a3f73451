// SLAB_THREADS with SLAB_NO_PTHREAD on Windows (run under Wine by make test): no exit callback,
// so each thread calls slab_thread_flush() before it ends. Twenty threads one after another:
// each reads its number where the fast paths do (with mingw-w64 gcc before 16, one TLS slot of
// the TEB, made once for all threads), and after the last one no object is left in a magazine.
#include <windows.h>
#define SLAB_THREADS 1
#define SLAB_NO_PTHREAD 1
#define SLAB_IMPLEMENTATION
#include "slab.h"
#include <stdio.h>
#include <string.h>

struct item {
    unsigned char bytes[32];
};

static unsigned char region[1u << 20];
static slab_heap *heap;
static slab_cache *items;
static int failures;

#define CHECK(c) \
    ((c) ? (void)0 : (void)(failures++, printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c)))

#if SLAB__TEB_TID
static unsigned long first_slot;
#endif

static DWORD WINAPI worker(LPVOID)
{
    void *p = slab_cache_alloc(items);
    CHECK(p != NULL);
    if (p)
        slab_cache_free(items, p);
    CHECK(slab__tid != 0 && slab__fast_tid() == slab__tid);
#if SLAB__TEB_TID
    CHECK(slab__teb_slot == first_slot);
#endif
    slab_thread_flush();
    return 0;
}

int main()
{
    slab_slabinfo si;
    int i;
    heap = slab_heap_init(region, sizeof region, NULL);
    items = heap ? SLAB_CACHE(heap, item, 0) : NULL;
    if (!items) {
        printf("FAIL: no heap\n");
        return 1;
    }
    slab_cache_free(items, slab_cache_alloc(items));
#if SLAB__TEB_TID
    first_slot = slab__teb_slot;
    CHECK(first_slot != 0);
#endif
    for (i = 0; i < 20; i++) {
        HANDLE t = CreateThread(NULL, 0, worker, NULL, 0, NULL);
        CHECK(t != NULL);
        if (t) {
            CHECK(WaitForSingleObject(t, INFINITE) == WAIT_OBJECT_0);
            CloseHandle(t);
        }
    }
    slab_thread_flush();
    memset(&si, 0, sizeof si);
    CHECK(slab_cache_info(items, &si) == SLAB_ERR_OK);
    CHECK(si.cached_objs == 0 && si.active_objs == 0);
    CHECK(slab_heap_check(heap) == 0);
    slab_heap_destroy(heap);
    printf("%d failed\n", failures);
    return failures != 0;
}
