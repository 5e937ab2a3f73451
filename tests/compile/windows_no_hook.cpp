// SLAB_THREADS with SLAB_NO_PTHREAD on Windows (run under Wine by make test): no exit callback,
// so each thread calls slab_thread_flush() before it ends. Twenty threads one after another:
// each reads its number where the fast paths do (with mingw-w64 gcc before 16, one TLS slot of
// the TEB, made once for all threads), and after the last one no object is left in a magazine.
#include <windows.h>
#define SLAB_THREADS 1
#define SLAB_NO_PTHREAD 1
#define SLAB_IMPLEMENTATION
#include "slab.h"
#include "windows_common.h"

#if SLAB__TEB_TID
static unsigned long first_slot;
#endif

static DWORD WINAPI worker(LPVOID)
{
    churn(1);
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
    if (!set_up())
        return 1;
    churn(1);
#if SLAB__TEB_TID
    first_slot = slab__teb_slot;
    CHECK(first_slot != 0);
#endif
    for (i = 0; i < 20; i++)
        join(CreateThread(NULL, 0, worker, NULL, 0, NULL));
    slab_thread_flush();
    si = items_info();
    CHECK(si.cached_objs == 0 && si.active_objs == 0);
    return finish();
}
