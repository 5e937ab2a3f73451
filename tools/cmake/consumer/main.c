/* The consumer's C file: the implementation lives here. */
#define SLAB_IMPLEMENTATION
#include "slab.h"
#include <stdio.h>
#include <string.h>

int other_cpp(slab_heap *heap); /* other.cpp: uses the declarations only */

static unsigned char region[256 * 1024];

int main(void)
{
    char version[32];
    slab_heap *heap = slab_heap_init(region, sizeof region, NULL);
    snprintf(version, sizeof version, "%d.%d.%d", SLAB_VERSION_MAJOR, SLAB_VERSION_MINOR,
             SLAB_VERSION_PATCH);
    if (!heap || strcmp(version, EXPECT_VERSION) != 0) {
        printf("consumer: version %s, CMake says %s\n", version, EXPECT_VERSION);
        return 1;
    }
    if (other_cpp(heap) != 0 || slab_heap_check(heap) != 0)
        return 1;
    slab_heap_destroy(heap);
    printf("consumer: slab.h %s through slab::slab: ok\n", version);
    return 0;
}
