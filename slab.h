/* slab.h v0.1.0 - slab allocator over caller-supplied memory. MIT or public domain (end of file).

   Do this in exactly one C or C++ file:    #define SLAB_IMPLEMENTATION
                                             #include "slab.h"
   Every other file just includes "slab.h".

   WHAT IT IS
   The Linux kernel's memory layers over one block of memory you hand it: a buddy page heap
   (power-of-two blocks of pages, split and coalesced), and typed object caches (kmem_cache)
   whose slabs are carved from those pages. No allocation ever happens outside your region,
   there is no global state, and any number of heaps may live side by side.

   CONTENTS (search the tag)  >>config >>types >>api >>impl >>util >>error >>buddy >>cache
                              >>stats >>check

   CONFIGURATION (define before the include; (d) = must match in every file, (i) = only where
   SLAB_IMPLEMENTATION is defined)
   SLAB_CONFIG_HEADER  unset            (d) a header to #include first, for build systems that
                                            cannot pass function-like macros with -D
   SLAB_API            extern           (d) linkage of every public function
   SLAB_STATIC         unset            (d) makes every function static (SLAB_API = static)
   SLAB_DEBUG          0                (d) reserved for the debugging layer; must be 0 or 1
   SLAB_ASSERT(c)      assert(c)        (i) checks of the library's own invariants, never of
                                            user input; define as ((void)0) to drop them
   SLAB_MEMSET(p,v,n)  memset           (i) used for zalloc
   SLAB_MEMCPY(d,s,n)  memcpy           (i) used to copy cache names
   SLAB_ABORT()        abort()          (i) called after a SLAB_PANIC report
   SLAB_NO_STDIO       unset            (i) the default error hook prints nothing
   A freestanding build (no libc) defines SLAB_ASSERT, SLAB_MEMSET, SLAB_MEMCPY, SLAB_ABORT and
   SLAB_NO_STDIO; slab.h then includes only <stddef.h> and <stdint.h>.

   INVARIANTS (slab_heap_check() verifies them all; code relying on one cites "I<n>")
   I1  every page descriptor has one state; head == its own index unless it is a slab tail
   I2  a block of order k starts at a page index that is a multiple of 2^k and fits the heap
   I3  every page of a block but its head is a tail (a slab's tails name the slab's head)
   I4  free blocks are exactly the blocks on free_head[order]; no two free buddies coexist
   I5  a slab's inuse equals its objects minus its free-list length; the free list holds only
       object starts of that slab, each once
   I6  each slab is on exactly one list of its cache (or is the cache's active slab), and the
       list matches its fill: full, partial or empty
   I7  a cache's active_objs is the sum of its slabs' inuse; its nr_slabs counts its slabs

   More: README.md and docs/ (design, errors, configuration).
*/
/// @file slab.h
#ifndef SLAB_H_INCLUDED
#define SLAB_H_INCLUDED

#define SLAB_VERSION_MAJOR 0
#define SLAB_VERSION_MINOR 1
#define SLAB_VERSION_PATCH 0

// ==========================================================================================
// >>config  Macros that change declarations: the same in every file that includes slab.h.

#ifdef SLAB_CONFIG_HEADER
#include SLAB_CONFIG_HEADER
#endif

#if defined(__GNUC__) || defined(__clang__)
#define SLAB__UNUSED __attribute__((unused))
#else
#define SLAB__UNUSED
#endif

#ifndef SLAB_API
#ifdef SLAB_STATIC
#define SLAB_API static SLAB__UNUSED
#else
#define SLAB_API extern
#endif
#endif

#ifndef SLAB_DEBUG
#define SLAB_DEBUG 0
#endif

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// ==========================================================================================
// >>types  Handles, configuration, figures, flags and error codes.

/// A page heap over one caller-supplied region; everything else is carved from it.
typedef struct slab_heap slab_heap;
/// An object cache: equal-sized objects in slabs of 2^k pages.
typedef struct slab_cache slab_cache;

/* Every error code with its message: one table, so codes, names and texts never drift. */
#define SLAB__ERRORS(X)                                                                       \
    X(OK, "no error")                                                                         \
    X(INVALID_ARG, "invalid argument")                                                        \
    X(REGION_SMALL, "region too small for the heap")                                          \
    X(NOMEM, "out of memory")                                                                 \
    X(INVALID_ADDRESS, "pointer outside the heap")                                            \
    X(INVALID_POINTER, "pointer is not the start of a live object or block")                  \
    X(WRONG_CACHE, "object belongs to another cache")                                         \
    X(DOUBLE_FREE, "object or block is already free")                                         \
    X(BUSY, "cache still has live objects")                                                   \
    X(BAD_HANDLE, "not a live heap or cache handle")                                          \
    X(CORRUPT, "heap metadata is inconsistent")

#define SLAB__ERROR_ENUM(name, text) SLAB_ERR_##name,
/// Error codes. 0 is success; the values are stable across versions.
typedef enum slab_error { SLAB__ERRORS(SLAB__ERROR_ENUM) SLAB_ERR_COUNT } slab_error;
#undef SLAB__ERROR_ENUM

/// Called on every misuse and failure: heap (NULL during init), code, the pointer concerned
/// (or NULL), a message naming the check that failed, and the config's user pointer.
typedef void (*slab_error_fn)(slab_heap *heap, slab_error code, const void *ptr, const char *msg,
                              void *user);

/// Heap configuration. A zeroed struct (or a NULL pointer) selects every default.
typedef struct slab_heap_config {
    size_t page_size;       ///< bytes per page: a power of two from 256 to 2^30; 0 selects 4096
    slab_error_fn on_error; ///< error hook; NULL prints to stderr (nothing under SLAB_NO_STDIO)
    void *user;             ///< passed to on_error
} slab_heap_config;

/// Orders the page heap can have: blocks of 2^0 .. 2^(SLAB_MAX_ORDERS-1) pages.
#define SLAB_MAX_ORDERS 32

/// Page-heap figures, filled by slab_heap_stats().
typedef struct slab_heapinfo {
    size_t page_size;                    ///< bytes per page
    size_t pages_total;                  ///< pages the heap manages (after its own metadata)
    size_t pages_free;                   ///< pages in free blocks
    size_t largest_free;                 ///< pages in the largest free block (0 when none)
    unsigned max_order;                  ///< largest block order this heap can form
    size_t free_blocks[SLAB_MAX_ORDERS]; ///< free blocks of each order
    size_t slab_pages;                   ///< pages held by the slabs of all caches
    size_t reclaimable_pages;            ///< of those, pages of SLAB_RECLAIM_ACCOUNT caches
    size_t metadata_bytes;               ///< region bytes spent on header, descriptors, alignment
    size_t num_caches;                   ///< caches, including the heap's own cache of caches
    size_t oom_count;                    ///< allocations that failed for want of memory
} slab_heapinfo;

/// One cache's figures, with the meaning of the columns of /proc/slabinfo.
typedef struct slab_slabinfo {
    const char *name;    ///< the cache's name (a copy, at most 31 bytes)
    size_t object_size;  ///< bytes the caller asked for
    size_t objsize;      ///< bytes per object slot: size, link and alignment padding
    size_t align;        ///< alignment of every object
    unsigned flags;      ///< SLAB_* flags the cache was created with
    size_t active_objs;  ///< objects allocated now
    size_t num_objs;     ///< object slots in all slabs
    size_t objperslab;   ///< object slots per slab
    size_t pagesperslab; ///< pages per slab
    size_t active_slabs; ///< slabs with at least one object allocated
    size_t num_slabs;    ///< slabs the cache holds
} slab_slabinfo;

/// Cache flag: align objects to the 64-byte cache line (smaller objects to a fraction of it).
#define SLAB_HWCACHE_ALIGN 0x1u
/// Cache flag: an allocation failure is reported and then calls SLAB_ABORT().
#define SLAB_PANIC 0x2u
/// Cache flag: the cache's pages count as reclaimable in slab_heapinfo.
#define SLAB_RECLAIM_ACCOUNT 0x4u

/// Alignment of a type, for SLAB_CACHE (0, the default alignment, where the compiler has none).
#if defined(__cplusplus)
#define SLAB_ALIGNOF(type) alignof(type)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define SLAB_ALIGNOF(type) _Alignof(type)
#elif defined(__GNUC__) || defined(__clang__)
#define SLAB_ALIGNOF(type) __alignof__(type)
#else
#define SLAB_ALIGNOF(type) 0
#endif

/// Creates a cache named after the type, of its size and alignment, like the kernel's KMEM_CACHE.
#define SLAB_CACHE(heap, type, flags)                                                        \
    slab_cache_create((heap), #type, sizeof(type), SLAB_ALIGNOF(type), (flags), NULL, NULL)

// ==========================================================================================
// >>api  Public functions, in the order of the layers.

/// Names an error code: "DOUBLE_FREE" and so on ("?" for an unknown code).
SLAB_API const char *slab_error_name(slab_error code);
/// Describes an error code in a short sentence.
SLAB_API const char *slab_error_string(slab_error code);

/**
 * Builds a heap inside region[0..size). The region need not be aligned; its header and page
 * descriptors are placed inside it and the rest, aligned to the page size, becomes pages.
 * Returns NULL, with a report to cfg->on_error and the region untouched, when the region is
 * NULL, wraps around the address space, or is too small for its metadata and one page, or when
 * cfg->page_size is not a power of two from 256 to 2^30. cfg may be NULL.
 */
SLAB_API slab_heap *slab_heap_init(void *region, size_t size, const slab_heap_config *cfg);
/// Ends the heap and every cache in it; the region is the caller's again. Stale handles are
/// refused afterwards while the region's bytes are left as they were.
SLAB_API void slab_heap_destroy(slab_heap *heap);
/// Allocates a block of 2^order pages aligned to the page size, or returns NULL (reported).
SLAB_API void *slab_pages_alloc(slab_heap *heap, unsigned order);
/// Frees a block from slab_pages_alloc(); its order comes from the page descriptor. NULL is a
/// no-op; any other pointer that is not the start of a live page block is reported and ignored.
SLAB_API void slab_pages_free(slab_heap *heap, void *pages);
/// Fills *out with the page heap's figures. Returns 0, or an error for a bad handle or NULL out.
SLAB_API slab_error slab_heap_stats(slab_heap *heap, slab_heapinfo *out);
/// Checks every invariant (I1..I7) of the heap and its caches in O(pages + objects).
/// Returns 0 when all hold, else the number of the first broken invariant, reported as CORRUPT.
SLAB_API int slab_heap_check(slab_heap *heap);

/**
 * Creates a cache of objects of `size` bytes aligned to `align` (0: the natural alignment of
 * the size, at most that of max_align_t; else a power of two up to the page size). `flags` is a
 * set of SLAB_* cache flags. `ctor`, when given, runs once on each object when its slab is
 * created, and freed objects keep their constructed state byte for byte. The name is copied.
 * Returns NULL (reported) on a bad argument or when the heap has no room for the cache.
 */
SLAB_API slab_cache *slab_cache_create(slab_heap *heap, const char *name, size_t size,
                                       size_t align, unsigned flags,
                                       void (*ctor)(void *obj, void *ctx), void *ctx);
/// Destroys an empty cache and returns its pages. A cache with live objects is left as it was
/// and BUSY is returned (and reported); a stale or bad handle gives BAD_HANDLE.
SLAB_API slab_error slab_cache_destroy(slab_cache *cache);
/// Allocates one object, or returns NULL (reported; with SLAB_PANIC the report aborts).
SLAB_API void *slab_cache_alloc(slab_cache *cache);
/// Allocates one zero-filled object. Refused (NULL, INVALID_ARG) for a cache with a constructor,
/// whose objects must keep their constructed state.
SLAB_API void *slab_cache_zalloc(slab_cache *cache);
/// Frees an object of this cache. NULL is a no-op; a pointer outside the heap, not at the start
/// of an object, of another cache, or already at the head of its slab's free list is reported
/// and ignored.
SLAB_API void slab_cache_free(slab_cache *cache, void *obj);
/// Allocates n objects into out[0..n-1]: all or nothing. Returns n, or 0 with nothing allocated.
SLAB_API size_t slab_cache_alloc_bulk(slab_cache *cache, size_t n, void **out);
/// Frees objs[0..n-1], skipping NULLs. Every pointer is checked first: if one is bad, it is
/// reported and none is freed. Returns the number of objects freed.
SLAB_API size_t slab_cache_free_bulk(slab_cache *cache, size_t n, void **objs);
/// Gives every empty slab back to the page heap. Returns the number of pages given back.
SLAB_API size_t slab_cache_shrink(slab_cache *cache);
/// Fills *out with the cache's /proc/slabinfo figures. Returns 0 or BAD_HANDLE/INVALID_ARG.
SLAB_API slab_error slab_cache_info(slab_cache *cache, slab_slabinfo *out);

#ifdef __cplusplus
}
#endif
#endif /* SLAB_H_INCLUDED */
