/* The translation unit make analyze gives cppcheck, clang-tidy and scan-build for slab.h:
   the implementation with its default hooks (hosted) and every public function external, so
   the analyzers see all of it. ANALYZE_DEBUG=1 analyzes the debugging layer (SLAB_DEBUG=1). */
#if ANALYZE_DEBUG
#define SLAB_DEBUG 1
#endif
#define SLAB_IMPLEMENTATION
#include "slab.h"
