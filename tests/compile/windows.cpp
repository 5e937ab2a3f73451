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
#include "windows_common.h"

static void *main_fiber, *left_fiber;

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
    if (!set_up())
        return 1;

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
    return finish();
}
