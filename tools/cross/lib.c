/* The whole library as firmware builds it: freestanding, every hook defined by the firmware
   (declared here, defined elsewhere, so this object holds nothing but slab.h's code).
   tools/cross/run.sh (make cross) compiles it for Cortex-M4 and RV32 and prints the sizes:
   CROSS_DEBUG=1 selects the debug configuration (SLAB_DEBUG=1, assertions on). */
#include <stddef.h>

void fw_halt(void);
void *fw_memset(void *dst, int value, size_t n);
void *fw_memcpy(void *dst, const void *src, size_t n);

#if CROSS_DEBUG
#define SLAB_DEBUG 1
#define SLAB_ASSERT(c) ((c) ? (void)0 : fw_halt())
#else
#define SLAB_ASSERT(c) ((void)0) /* release: the library's self-checks compiled out */
#endif
#define SLAB_MEMSET(p, v, n) fw_memset((p), (v), (n))
#define SLAB_MEMCPY(d, s, n) fw_memcpy((d), (s), (n))
#define SLAB_ABORT() fw_halt()
#define SLAB_NO_STDIO
#define SLAB_IMPLEMENTATION
#include "slab.h"
