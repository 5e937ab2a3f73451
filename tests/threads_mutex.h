/* tests/threads_mutex.h - SLAB_CONFIG_HEADER of the stress test's build with the program's own
   mutex: the hooks a platform without gcc/clang atomics would supply (docs/threads.md). */
#include <pthread.h>
#define SLAB_MUTEX_TYPE pthread_mutex_t
#define SLAB_MUTEX_STATIC_INIT PTHREAD_MUTEX_INITIALIZER
#define SLAB_MUTEX_INIT(m) pthread_mutex_init((m), NULL)
#define SLAB_MUTEX_LOCK(m) pthread_mutex_lock(m)
#define SLAB_MUTEX_UNLOCK(m) pthread_mutex_unlock(m)
