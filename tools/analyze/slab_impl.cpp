// slab.h's implementation as C++ for clang-tidy (make analyze): the header is compiled as
// C++ by users, so its C++-only diagnostics are checked too.
#define SLAB_IMPLEMENTATION
#include "slab.h"
