// SLAB_THREADS on Windows, in C++, with the system's own threads and fibers (run under Wine by
// make test): a thread that ends gives its magazines back through the fiber-local storage
// callback; a fiber deleted on another thread leaves that thread's magazines alone; a fiber
// deleted on its own thread gives them back and the thread goes on. slab.h declares the few
// Windows functions it calls itself: they must agree with <windows.h>, which comes first here,
// or last with -DWINDOWS_H_LAST.
#ifndef WINDOWS_H_LAST
#include <windows.h>
#endif
#define SLAB_THREADS 1
#define SLAB_IMPLEMENTATION
#include "slab.h"
#ifdef WINDOWS_H_LAST
#include <windows.h>
#endif
#include <stdio.h>
#include <string.h>

struct item {
    unsigned id;
    unsigned char bytes[60];
};

static unsigned char region[1u << 20];
static slab_heap *heap;
static slab_cache *items;
static void *main_fiber, *left_fiber;
static int failures;

#define CHECK(c) \
    ((c) ? (void)0 : (void)(failures++, printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c)))

// Objects of the cache sitting in magazines, any thread's.
static size_t cached(void)
{
    slab_slabinfo si;
    memset(&si, 0, sizeof si);
    CHECK(slab_cache_info(items, &si) == SLAB_ERR_OK);
    return si.cached_objs;
}

// The number the fast paths read is the thread's own: with mingw-w64 gcc before 16 it comes
// from a slot of the thread's TEB (slab.h, >>threads).
static void check_fast_number()
{
    CHECK(slab__tid != 0 && slab__fast_tid() == slab__tid);
#if SLAB__TEB_TID
    CHECK(slab__teb_slot != 0);
#endif
}

// Allocates n objects and frees them: they stay in the calling thread's magazines.
static void churn(unsigned n)
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

static void join(HANDLE t)
{
    CHECK(t != NULL);
    if (t) {
        CHECK(WaitForSingleObject(t, INFINITE) == WAIT_OBJECT_0);
        CloseHandle(t);
    }
}

static DWORD WINAPI plain_thread(LPVOID)
{
    churn(40);
    CHECK(cached() > 0);
    return 0; // the callback returns this thread's magazines
}

// Runs on a fiber of a worker: its first call arms the callback on this fiber.
static void WINAPI fiber_work(LPVOID)
{
    churn(40);
    SwitchToFiber(main_fiber);
}

// Makes a fiber, lets it allocate, and leaves it for the main thread to delete; this thread's
// own fiber holds no callback, so it flushes before it ends (docs/threads.md).
static DWORD WINAPI fiber_left_behind(LPVOID)
{
    main_fiber = ConvertThreadToFiber(NULL);
    left_fiber = CreateFiber(0, fiber_work, NULL);
    CHECK(main_fiber != NULL && left_fiber != NULL);
    if (main_fiber && left_fiber)
        SwitchToFiber(left_fiber);
    slab_thread_flush();
    return 0;
}

// Deletes its fiber itself: the callback flushes this thread, which then allocates again.
static DWORD WINAPI fiber_deleted_here(LPVOID)
{
    void *f;
    main_fiber = ConvertThreadToFiber(NULL);
    f = CreateFiber(0, fiber_work, NULL);
    CHECK(main_fiber != NULL && f != NULL);
    if (!main_fiber || !f)
        return 0;
    SwitchToFiber(f);
    CHECK(cached() > 0);
    DeleteFiber(f);
    CHECK(cached() == 0); // the main thread flushed before this thread started
    churn(40);
    CHECK(cached() > 0);
    return 0;
}

int main()
{
    size_t mine;
    heap = slab_heap_init(region, sizeof region, NULL);
    items = heap ? SLAB_CACHE(heap, item, 0) : NULL;
    if (!items) {
        printf("FAIL: no heap\n");
        return 1;
    }

    churn(40);
    mine = cached();
    CHECK(mine > 0);

    join(CreateThread(NULL, 0, plain_thread, NULL, 0, NULL));
    CHECK(cached() == mine);

    join(CreateThread(NULL, 0, fiber_left_behind, NULL, 0, NULL));
    CHECK(cached() == mine);
    if (left_fiber)
        DeleteFiber(left_fiber); // its callback runs here, with the other thread's token
    CHECK(cached() == mine);
    churn(40);

    slab_thread_flush();
    CHECK(cached() == 0);
    join(CreateThread(NULL, 0, fiber_deleted_here, NULL, 0, NULL));
    CHECK(cached() == 0);

    CHECK(slab_heap_check(heap) == 0);
    slab_cache_destroy(items);
    slab_heap_destroy(heap);
    printf("%d failed\n", failures);
    return failures != 0;
}
