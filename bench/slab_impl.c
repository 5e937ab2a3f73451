/* bench/slab_impl.c - slab.h's implementation in a translation unit of its own, as a program
   using the library would have it: the adapters call it from another unit (no inlining across
   the call). bench/bench.mk builds it once per variant (release, -DSLAB_DEBUG=1,
   -DSLAB_HARDEN=1) and renames the public symbols of the non-release variants with objcopy,
   so the three copies link into one harness. */
#define SLAB_IMPLEMENTATION
#include "slab.h"
