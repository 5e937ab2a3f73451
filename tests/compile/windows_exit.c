/* SLAB_THREADS on Windows (run under Wine by make test): the process ends while another thread
   holds a cache's lock. Windows kills that thread, then runs the exit callback of the thread
   that ends the process; the callback must not wait for the dead thread's lock (the process
   would hang: make test's time limit fails it) and must not touch the heaps. The worker holds
   the lock in a constructor, which runs with its cache's lock held, and never returns.
   <windows.h> comes before slab.h here, in C. */
#include <windows.h>
#define SLAB_THREADS 1
#define SLAB_IMPLEMENTATION
#include "slab.h"
#include <stdio.h>

typedef struct item {
    unsigned char bytes[48];
} item;

static unsigned char region[1u << 20];
static slab_heap *heap;
static slab_cache *stuck, *items;
static HANDLE inside, never;

static void ctor_that_waits(void *obj, void *arg)
{
    (void)obj;
    (void)arg;
    SetEvent(inside);
    WaitForSingleObject(never, INFINITE);
}

static DWORD WINAPI worker(LPVOID arg)
{
    (void)arg;
    (void)slab_cache_alloc(stuck); /* never returns */
    return 0;
}

int main(void)
{
    HANDLE t;
    heap = slab_heap_init(region, sizeof region, NULL);
    items = heap ? SLAB_CACHE(heap, item, 0) : NULL;
    inside = CreateEventA(NULL, TRUE, FALSE, NULL);
    never = CreateEventA(NULL, TRUE, FALSE, NULL);
    if (!items || !inside || !never) {
        printf("FAIL: set-up\n");
        return 1;
    }
    stuck = slab_cache_create(heap, "stuck", sizeof(item), 0, 0, ctor_that_waits, NULL);
    slab_cache_free(items, slab_cache_alloc(items)); /* this thread has magazines: its exit
                                                        callback is armed */
    t = stuck ? CreateThread(NULL, 0, worker, NULL, 0, NULL) : NULL;
    if (!t || WaitForSingleObject(inside, 10000) != WAIT_OBJECT_0) {
        printf("FAIL: the worker did not reach the constructor\n");
        return 1;
    }
    printf("the worker holds the cache's lock; the process ends\n");
    fflush(stdout);
    return 0;
}
