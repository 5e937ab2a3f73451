/* slab.h v0.1.0 - slab allocator over caller-supplied memory. MIT or public domain (end of file).

   Do this in exactly one C or C++ file:    #define SLAB_IMPLEMENTATION
                                             #include "slab.h"
   Every other file just includes "slab.h".

   WHAT IT IS
   The Linux kernel's memory layers over memory you hand it: a buddy page heap (power-of-two
   blocks of pages, split and coalesced), typed object caches (kmem_cache) with constructors
   and bulk calls, kmalloc-style size classes, vmalloc-style page runs sized exactly, and
   reclaim through shrinkers when memory runs out. No allocation ever happens outside your
   regions, there is no global state (SLAB_THREADS adds thread numbers and a list of live
   heaps), and any number of heaps may live side by side (a heap may even live in a block of
   another: a plugin's arena).

   CONTENTS (search the tag)  >>config >>types >>api >>impl >>util >>error >>buddy >>cache
                              >>kmalloc >>vmalloc >>reclaim >>stats >>check

   CONFIGURATION (define before the include; (d) = must match in every file, (i) = only where
   SLAB_IMPLEMENTATION is defined)
   SLAB_CONFIG_HEADER  unset            (d) a header to #include first, for build systems that
                                            cannot pass function-like macros with -D
   SLAB_API            extern           (d) linkage of every public function
   SLAB_STATIC         unset            (d) makes every function static (SLAB_API = static)
   SLAB_DEBUG          0                (d) 1: red zones, poisoning, call sites, every double
                                            free caught, leak lists (docs/debugging.md)
   SLAB_HARDEN         0                (i) 1: a state bit per object, so release builds
                                            refuse every double free too
   SLAB_VALGRIND       unset            (i) memcheck client requests (needs valgrind headers)
   SLAB_ASSERT(c)      assert(c)        (i) checks of the library's own invariants, never of
                                            user input; define as ((void)0) to drop them
   SLAB_MEMSET(p,v,n)  memset           (i) used by the zeroing allocations and by init
   SLAB_MEMCPY(d,s,n)  memcpy           (i) used by krealloc and kvrealloc when a block moves
   SLAB_ABORT()        abort()          (i) called after a SLAB_PANIC report
   SLAB_NO_STDIO       unset            (i) the default error hook prints nothing
   SLAB_RUN_CACHE      1, 0 at -Os      (i) 1: freed large runs of up to 16 pages wait for
                                            reuse (>>vmalloc); about 330 B of code
   SLAB_THREADS        0                (i) 1: every function may be called from any thread;
                                            per-thread magazines (docs/threads.md)
   SLAB_MAX_THREADS    63               (i) threads with magazines at once (more share locks)
   SLAB_MUTEX_TYPE     unset            (i) the program's mutex instead of spin locks, with
                                            SLAB_MUTEX_STATIC_INIT, _INIT(m), _LOCK(m), _UNLOCK(m)
   SLAB_TLS            unset            (i) thread-local storage class where no __thread
   SLAB_YIELD()        sched_yield()    (i) what a spinning thread does now and then (Windows:
                                            SwitchToThread())
   SLAB_NO_PTHREAD     unset            (i) no exit hook (POSIX key, Windows fiber-local
                                            storage): threads call slab_thread_flush
   A freestanding build (no libc) defines SLAB_ASSERT, SLAB_MEMSET, SLAB_MEMCPY, SLAB_ABORT and
   SLAB_NO_STDIO; slab.h then includes only <stddef.h> and <stdint.h>.

   INVARIANTS (slab_heap_check() verifies them all; code relying on one cites "I<n>")
   I1  every page descriptor has one state; head == its own index unless it is a slab tail
   I2  a block of order k starts at a page index that is a multiple of 2^k and fits the heap
   I3  every page of a block but its head is a tail (a slab's tails name the slab's head)
   I4  free blocks are exactly the blocks on free_head[order]; no two free buddies coexist
   I5  a slab's inuse equals its objects minus its free-list length; the free list holds only
       object starts of that slab, each once
   I6  each slab is on exactly one list of its cache, or is an active slab (the cache's, or
       with SLAB_THREADS a thread's) and on none; the list matches its fill: full, partial or
       empty
   I7  a cache's active_objs plus its magazine's objects is the sum of its slabs' inuse; its
       nr_slabs counts its slabs; the magazine holds distinct objects of the cache
   I8  a large run is its first block (KLARGE/VLARGE/PARKED, holding the run's length) and RUN
       blocks after it; the heap's counts of large and page-block pages match the blocks
   I9  (SLAB_DEBUG) every object's red zones, and every free object's poison, are intact
   I10 the PARKED runs are exactly those on the heap's runs lists: in the first region, each on
       the list for its length, no list longer than its bound, the lists' counts right

   More: README.md (usage, configuration) and docs/ (design, errors).
*/
/// @file slab.h
#ifndef SLAB_H_INCLUDED
#define SLAB_H_INCLUDED

/// Major version: changes that break the API.
#define SLAB_VERSION_MAJOR 0
/// Minor version: additions.
#define SLAB_VERSION_MINOR 1
/// Patch version: fixes.
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
/// 1 turns on the debugging layer (red zones, poisoning, call sites, every double free); 0, the
/// default, leaves it out. Must be the same in every file that includes slab.h.
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
    X(CORRUPT, "heap metadata is inconsistent")                                              \
    X(REDZONE, "red zone overwritten: a write past the end or before the start of an object") \
    X(POISON, "free object modified: a write after free")

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
    void *user;             ///< passed to on_error and should_fail
    int report_leaks;       ///< slab_heap_destroy reports live objects: 1 yes, -1 no,
                            ///< 0 the default (yes when SLAB_DEBUG is 1)
    int debug_selective;    ///< SLAB_DEBUG builds: 0 checks every cache; 1 only the caches
                            ///< created with SLAB_RED_ZONE, SLAB_POISON or SLAB_STORE_USER
    /* Fault injection, like the kernel's failslab: allocations are counted from 1, and a
       chosen one fails as if memory were exhausted (NULL, NOMEM reported as injected). */
    size_t fail_nth;        ///< fail the allocation with this number (0: none)
    size_t fail_every;      ///< fail every allocation whose number is a multiple of this (0: none)
    int (*should_fail)(slab_heap *heap, size_t size, void *user); ///< nonzero fails this one
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
    size_t large_pages;                  ///< pages of large (vmalloc-path) blocks
    size_t block_pages;                  ///< pages of blocks from slab_pages_alloc
    unsigned fragmentation;              ///< percent of free pages outside the largest free block
    size_t regions;                      ///< regions the heap manages (1 + slab_heap_add_region)
    size_t num_caches;                   ///< caches, including the heap's internal ones
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
    size_t cached_objs;  ///< freed objects kept at hand for reuse (the cache's magazine)
    size_t num_objs;     ///< object slots in all slabs
    size_t objperslab;   ///< object slots per slab
    size_t pagesperslab; ///< pages per slab
    size_t active_slabs; ///< slabs with at least one object allocated (cached ones aside)
    size_t num_slabs;    ///< slabs the cache holds
} slab_slabinfo;

/// A registered shrinker (see slab_register_shrinker).
typedef struct slab_shrinker slab_shrinker;
/// Shrinker callback: how many objects could be freed now.
typedef size_t (*slab_count_fn)(void *ctx);
/// Shrinker callback: free up to nr_to_scan objects; return how many were freed.
typedef size_t (*slab_scan_fn)(size_t nr_to_scan, void *ctx);
/// Receives slab_heap_dump's text, one line (ending in a newline) per call.
typedef void (*slab_print_fn)(const char *line, void *user);

/// Cache flag: align objects to the 64-byte cache line (smaller objects to a fraction of it).
#define SLAB_HWCACHE_ALIGN 0x1u
/// Cache flag: an allocation failure is reported and then calls SLAB_ABORT().
#define SLAB_PANIC 0x2u
/// Cache flag: the cache's pages count as reclaimable in slab_heapinfo.
#define SLAB_RECLAIM_ACCOUNT 0x4u
/// Debug flag (SLAB_DEBUG builds; accepted and ignored otherwise): red zones around objects,
/// checked on free, validate and heap check.
#define SLAB_RED_ZONE 0x8u
/// Debug flag: free objects filled with 0x6b (last byte 0xa5), checked when handed out again;
/// new objects filled with 0x5a. Caches with a constructor are not poisoned.
#define SLAB_POISON 0x10u
/// Debug flag: the allocation and free call sites of each object are recorded and reported.
#define SLAB_STORE_USER 0x20u

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
 * cfg->page_size is not a power of two from 256 to 2^30. cfg may be NULL. The region belongs
 * to the heap until slab_heap_destroy: destroy a heap before its memory goes (a region on a
 * function's stack). With SLAB_THREADS an exiting thread visits every heap not destroyed.
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
/// Freed large runs parked for reuse go back to the page heap first, so they count as free.
SLAB_API slab_error slab_heap_stats(slab_heap *heap, slab_heapinfo *out);
/// Adds a region to a live heap, which can then allocate from it; nothing already allocated
/// moves, and blocks never straddle two regions. Returns 0, or BAD_HANDLE, INVALID_ARG (NULL or
/// wrapping region, overlap with a region of the heap) or REGION_SMALL, reported.
SLAB_API int slab_heap_add_region(slab_heap *heap, void *region, size_t size);
/// The smallest region size that gives a heap at least npages pages of page_size bytes
/// (0 selects 4096) wherever the region starts; 0 if that overflows or page_size is invalid.
SLAB_API size_t slab_heap_region_size(size_t npages, size_t page_size);
/// The largest size one allocation can get right now without reclaim: the largest free block
/// (freed large runs parked for reuse are given back to the page heap first).
SLAB_API size_t slab_heap_max_alloc(slab_heap *heap);
/// Releases every cache's empty slabs, then asks every shrinker to free what it can, then gives
/// the freed large runs parked for reuse back to the page heap. Returns the pages the caches
/// gave back (parked runs were free pages already). Allocations do this by themselves before
/// they fail.
SLAB_API size_t slab_heap_shrink(slab_heap *heap);
/// Checks every invariant (I1..I10) of the heap and its caches in O(pages + objects). Returns 0
/// when all hold, else the number of the first broken invariant (reported as CORRUPT, or for
/// I9 as REDZONE or POISON), or -1 when heap is not a live heap.
SLAB_API int slab_heap_check(slab_heap *heap);

/**
 * Creates a cache of objects of `size` bytes aligned to `align` (0: the natural alignment of
 * the size, at most 16 bytes; else a power of two up to the page size). `flags` is a
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
/// reported and none is freed. Returns the number of objects freed. A pointer given twice is a
/// double free, refused like the others when the copies are adjacent in objs; copies apart
/// are, like any double free of an object freed before others, not caught by release builds.
SLAB_API size_t slab_cache_free_bulk(slab_cache *cache, size_t n, void **objs);
/// Gives every empty slab back to the page heap. Returns the number of pages given back.
SLAB_API size_t slab_cache_shrink(slab_cache *cache);
/// Fills *out with the cache's /proc/slabinfo figures. Returns 0 or BAD_HANDLE/INVALID_ARG.
SLAB_API slab_error slab_cache_info(slab_cache *cache, slab_slabinfo *out);
/// Checks every slab of the cache: free lists, and in SLAB_DEBUG builds every object's red
/// zones and every free object's poison. Each problem is reported (and the damaged red zone or
/// poison restored); returns 0 or the code of the first problem. O(objects).
SLAB_API slab_error slab_cache_validate(slab_cache *cache);

/**
 * Allocates size bytes from the size class that fits (8, 16, 32, 64, 96, 128, 144, 192, 256,
 * then four classes per power of two up to 4 KiB, or to half a page for larger pages); larger
 * requests take the large path (whole pages, sized exactly). The result is aligned to 16 bytes
 * (8 for requests up to 8 bytes), power-of-two classes to their size up to the page size.
 * Returns NULL for size 0 (no report) and on failure (reported). Free with slab_kfree or
 * slab_kvfree.
 */
SLAB_API void *slab_kmalloc(slab_heap *heap, size_t size);
/// slab_kmalloc, zero-filled.
SLAB_API void *slab_kzalloc(slab_heap *heap, size_t size);
/// Zero-filled room for n objects of size bytes; NULL (INVALID_ARG) when n * size overflows.
SLAB_API void *slab_kcalloc(slab_heap *heap, size_t n, size_t size);
/// slab_kmalloc aligned to align, a power of two up to the page size (else NULL, INVALID_ARG).
SLAB_API void *slab_kmalloc_aligned(slab_heap *heap, size_t size, size_t align);
/**
 * Resizes a block of the slab_kmalloc family, as realloc does: p NULL allocates; size 0 frees p
 * and returns NULL; the block stays in place while its size class (or its pages) still fit,
 * and a large block grows in place when the pages after it are free. On failure returns NULL
 * and p is untouched.
 */
SLAB_API void *slab_krealloc(slab_heap *heap, void *p, size_t size);
/// Frees a block of the slab_kmalloc family. NULL is a no-op; anything else is reported and
/// ignored (a block from slab_vmalloc included: free it with slab_vfree or slab_kvfree).
SLAB_API void slab_kfree(slab_heap *heap, void *p);
/// The usable size of a live kmalloc, kvmalloc, vmalloc or cache block, which may exceed the
/// request (slab_kmalloc(160) gives 192); 0 (reported) otherwise.
SLAB_API size_t slab_ksize(slab_heap *heap, const void *p);

/// Allocates whole pages for size bytes, sized exactly: the unused tail of the buddy block goes
/// back to the heap, so less than one page is wasted. NULL for size 0 and on failure (reported).
SLAB_API void *slab_vmalloc(slab_heap *heap, size_t size);
/// slab_vmalloc, zero-filled.
SLAB_API void *slab_vzalloc(slab_heap *heap, size_t size);
/// Frees a block of slab_vmalloc or slab_vzalloc; NULL is a no-op; anything else is reported.
SLAB_API void slab_vfree(slab_heap *heap, void *p);
/// slab_kmalloc for sizes its classes hold, slab_vmalloc above.
SLAB_API void *slab_kvmalloc(slab_heap *heap, size_t size);
/// slab_kvmalloc, zero-filled.
SLAB_API void *slab_kvzalloc(slab_heap *heap, size_t size);
/// Frees any block of the kmalloc, vmalloc or kvmalloc families.
SLAB_API void slab_kvfree(slab_heap *heap, void *p);
/// slab_krealloc for any kmalloc, vmalloc or kvmalloc block, moving it between the size classes
/// and the large path as its size crosses the boundary.
SLAB_API void *slab_kvrealloc(slab_heap *heap, void *p, size_t size);

/// Registers a shrinker, called when an allocation finds no memory (after the caches' empty
/// slabs were released): count says how many objects it could free, scan frees up to a number
/// and says how many it freed. Returns a handle, or NULL (reported).
SLAB_API slab_shrinker *slab_register_shrinker(slab_heap *heap, slab_count_fn count,
                                               slab_scan_fn scan, void *ctx);
/// Unregisters a shrinker; a handle that is not registered is reported and ignored.
SLAB_API void slab_unregister_shrinker(slab_heap *heap, slab_shrinker *shrinker);

/// Returns the objects in the calling thread's magazines, in every heap, to their slabs and
/// gives the magazines up (SLAB_THREADS; otherwise it does nothing). Threads of POSIX programs
/// do this when they exit; elsewhere, call it before a thread ends. O(heaps x caches).
SLAB_API void slab_thread_flush(void);

/// Prints a /proc/slabinfo-style table (one row per cache, kmalloc classes included), then the
/// free blocks per order as in /proc/buddyinfo and the fragmentation figure.
SLAB_API void slab_heap_dump(slab_heap *heap, slab_print_fn print, void *user);
/// Calls fn for each cache of the heap (internal caches included) until fn returns nonzero,
/// which is then returned; 0 when every cache was visited. fn must not destroy caches.
SLAB_API int slab_heap_for_each_cache(slab_heap *heap, int (*fn)(slab_cache *cache, void *user),
                                      void *user);

#if SLAB_DEBUG
/// Records file:line as the call site of the next tracked call on the cache; returns cache.
/// The call-site macros at the end of this file use it: call the API as usual.
SLAB_API slab_cache *slab_debug_site_cache(slab_cache *cache, const char *file, int line);
/// Records file:line as the call site of the next tracked call on the heap; returns heap.
SLAB_API slab_heap *slab_debug_site_heap(slab_heap *heap, const char *file, int line);
#endif

#ifdef __cplusplus
}
#endif
#endif /* SLAB_H_INCLUDED */

// ##########################################################################################
#ifdef SLAB_IMPLEMENTATION
#ifndef SLAB_IMPLEMENTATION_INCLUDED
#define SLAB_IMPLEMENTATION_INCLUDED

// ==========================================================================================
// >>impl  Defaults for the implementation's hooks, and the checks of the configuration.

#ifndef SLAB_ASSERT
#include <assert.h>
#define SLAB_ASSERT(c) assert(c)
#endif
#ifndef SLAB_MEMSET
#include <string.h>
#define SLAB_MEMSET(p, v, n) memset((p), (v), (n))
#endif
#ifndef SLAB_MEMCPY
#include <string.h>
#define SLAB_MEMCPY(d, s, n) memcpy((d), (s), (n))
#endif
#ifndef SLAB_ABORT
#include <stdlib.h>
#define SLAB_ABORT() abort()
#endif
#ifndef SLAB_NO_STDIO
#include <stdio.h>
#endif

#if SLAB_DEBUG != 0 && SLAB_DEBUG != 1
#error "SLAB_DEBUG must be 0 or 1"
#endif
#ifndef SLAB_HARDEN
#define SLAB_HARDEN 0
#endif
#ifndef SLAB_THREADS
#define SLAB_THREADS 0
#endif
// Builds for size leave the run cache out: its code buys vmalloc speed, not function.
#ifndef SLAB_RUN_CACHE
#if defined(__OPTIMIZE_SIZE__)
#define SLAB_RUN_CACHE 0
#else
#define SLAB_RUN_CACHE 1
#endif
#endif

// Threads (SLAB_THREADS): atomics, thread-local storage and locks. Without it, the atomic
// accessors are plain accesses and the locks are nothing, so no atomic operation appears.
#if SLAB_THREADS
#ifndef SLAB_MAX_THREADS
#define SLAB_MAX_THREADS 63 // threads with magazines at once; more share the locked slow paths
#endif
#define SLAB__CPU_SLOTS (SLAB_MAX_THREADS + 1) // a cache's per-thread slots; [0]: no number
#if defined(__GNUC__) || defined(__clang__)
// The C11 memory model through the compiler's builtins, which C++ builds have too.
#define SLAB__LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define SLAB__STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define SLAB__LOAD_ACQ(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define SLAB__STORE_REL(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define SLAB__ADD(x, v) __atomic_add_fetch(&(x), (v), __ATOMIC_RELAXED)
#define SLAB__XCHG_ACQ(x, v) __atomic_exchange_n(&(x), (v), __ATOMIC_ACQUIRE)
#define SLAB__TLS __thread
#elif defined(SLAB_MUTEX_TYPE) && defined(SLAB_TLS)
// Other compilers: the program's mutex guards every shared write; relaxed reads are volatile.
#define SLAB__LOAD(x) (x)
#define SLAB__STORE(x, v) ((x) = (v))
#define SLAB__LOAD_ACQ(x) SLAB__LOAD(x)
#define SLAB__STORE_REL(x, v) ((x) = (v))
#define SLAB__ADD(x, v) ((x) += (v))
#define SLAB__TLS SLAB_TLS
#else
#error "SLAB_THREADS needs gcc or clang atomics, or SLAB_MUTEX_TYPE and SLAB_TLS (docs/threads.md)"
#endif
// An exiting thread gives its magazines back through a POSIX key's destructor or, on Windows,
// a fiber-local storage callback; a spinning thread yields. The few Windows functions are
// declared here rather than through <windows.h> and its macros.
#if defined(__unix__) || defined(__APPLE__)
#define SLAB__OS 1
#include <sched.h>
#if !defined(SLAB_MUTEX_TYPE) && !defined(SLAB_YIELD)
#define SLAB_YIELD() sched_yield()
#endif
#elif defined(_WIN32)
#define SLAB__OS 2
#ifdef __cplusplus
extern "C" {
#endif
__declspec(dllimport) unsigned long __stdcall FlsAlloc(void(__stdcall *)(void *));
__declspec(dllimport) int __stdcall FlsSetValue(unsigned long, void *);
__declspec(dllimport) int __stdcall SwitchToThread(void);
__declspec(dllimport) unsigned long __stdcall TlsAlloc(void);
__declspec(dllimport) int __stdcall TlsSetValue(unsigned long, void *);
// Types as <windows.h> has them: HMODULE (STRICT) and FARPROC, whose INT_PTR is pointer-sized.
struct HINSTANCE__;
#ifdef _WIN64
typedef long long (__stdcall *slab__farproc)(void);
#else
typedef int (__stdcall *slab__farproc)(void);
#endif
__declspec(dllimport) struct HINSTANCE__ *__stdcall GetModuleHandleA(const char *);
__declspec(dllimport) slab__farproc __stdcall GetProcAddress(struct HINSTANCE__ *, const char *);
#ifdef __cplusplus
}
#endif
#if !defined(SLAB_MUTEX_TYPE) && !defined(SLAB_YIELD)
#define SLAB_YIELD() ((void)SwitchToThread())
#endif
#else
#define SLAB__OS 0
#endif
#if defined(SLAB_NO_PTHREAD)
#define SLAB__EXIT_HOOK 0
#else
#define SLAB__EXIT_HOOK SLAB__OS // 1: POSIX key, 2: Windows fiber-local storage
#endif
#if SLAB__EXIT_HOOK == 1
#include <pthread.h>
#endif
#ifndef SLAB_YIELD
#define SLAB_YIELD() ((void)0)
#endif
#else
#define SLAB__LOAD(x) (x)
#define SLAB__STORE(x, v) ((x) = (v))
#define SLAB__LOAD_ACQ(x) (x)
#define SLAB__STORE_REL(x, v) ((x) = (v))
#define SLAB__ADD(x, v) ((x) += (v))
#endif

// The implementation defines the functions under their own names: no call-site macros here
// (an earlier include of the declarations may have defined them; >>sites defines them again).
#ifdef slab_cache_alloc
#undef slab_cache_alloc
#undef slab_cache_zalloc
#undef slab_cache_free
#undef slab_cache_alloc_bulk
#undef slab_cache_free_bulk
#undef slab_kmalloc
#undef slab_kzalloc
#undef slab_kcalloc
#undef slab_kmalloc_aligned
#undef slab_krealloc
#undef slab_kfree
#undef slab_kvmalloc
#undef slab_kvzalloc
#undef slab_kvrealloc
#undef slab_kvfree
#endif

// AddressSanitizer: free memory, red zones and slab metadata are poisoned in every build mode,
// so ASan itself reports a stray access inside the arena.
#if defined(__SANITIZE_ADDRESS__)
#define SLAB__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLAB__ASAN 1
#endif
#endif
#ifndef SLAB__ASAN
#define SLAB__ASAN 0
#endif
#if SLAB__ASAN
#ifdef __cplusplus
extern "C" {
#endif
void __asan_poison_memory_region(void const volatile *addr, size_t size);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#ifdef __cplusplus
}
#endif
#define SLAB__OPEN(p, n) __asan_unpoison_memory_region((p), (n))
#define SLAB__SHUT(p, n) __asan_poison_memory_region((p), (n))
#elif defined(SLAB_VALGRIND)
#include <valgrind/memcheck.h>
#define SLAB__OPEN(p, n) ((void)VALGRIND_MAKE_MEM_DEFINED((p), (n)))
#define SLAB__SHUT(p, n) ((void)VALGRIND_MAKE_MEM_NOACCESS((p), (n)))
#else
#define SLAB__OPEN(p, n) ((void)0)
#define SLAB__SHUT(p, n) ((void)0)
#endif
// Handing memory to the program and taking it back: ASan poisons what the program must not
// touch; Valgrind sees each block as a chunk of a pool (a meta-pool: its blocks lie inside
// the caller's region, which may itself be a malloc block).
#if SLAB__ASAN
#define SLAB__HAND_OUT(h, p, n) SLAB__OPEN((p), (n))
#define SLAB__TAKE_BACK(h, p, n) SLAB__SHUT((p), (n))
#define SLAB__RESIZE_OUT(h, p, n, all) (SLAB__OPEN((p), (n)), SLAB__SHUT((char *)(p) + (n), (all) - (n)))
#elif defined(SLAB_VALGRIND)
#define SLAB__HAND_OUT(h, p, n) VALGRIND_MEMPOOL_ALLOC((h), (p), (n))
#define SLAB__TAKE_BACK(h, p, n) VALGRIND_MEMPOOL_FREE((h), (p))
#define SLAB__RESIZE_OUT(h, p, n, all)                                                       \
    do {                                                                                     \
        VALGRIND_MEMPOOL_CHANGE((h), (p), (p), (n));                                         \
        SLAB__OPEN((p), (n));                                                                \
        SLAB__SHUT((char *)(p) + (n), (all) - (n));                                          \
    } while (0)
#define SLAB__POOL_CREATE(h) VALGRIND_CREATE_MEMPOOL_EXT((h), 0, 0, VALGRIND_MEMPOOL_METAPOOL)
#define SLAB__DEFINED(p, n) ((void)VALGRIND_MAKE_MEM_DEFINED((p), (n)))
#define SLAB__POOL_DESTROY(h) VALGRIND_DESTROY_MEMPOOL(h)
#else
#define SLAB__HAND_OUT(h, p, n) ((void)0)
#define SLAB__TAKE_BACK(h, p, n) ((void)0)
#define SLAB__RESIZE_OUT(h, p, n, all) ((void)0)
#endif
#ifndef SLAB__POOL_CREATE
#define SLAB__POOL_CREATE(h) ((void)0)
#define SLAB__POOL_DESTROY(h) ((void)0)
#define SLAB__DEFINED(p, n) ((void)0)
#endif
#if defined(__GNUC__) || defined(__clang__)
#define SLAB__RETURN_ADDRESS() __builtin_return_address(0)
#define SLAB__NOINLINE __attribute__((noinline)) // so the return address is the caller's
#define SLAB__COLD __attribute__((noinline, cold)) // keeps slow paths out of the fast ones
#define SLAB__FAST_INLINE __attribute__((always_inline)) inline // fast-path pieces, at any -O
#else
#define SLAB__RETURN_ADDRESS() NULL
#define SLAB__NOINLINE
#define SLAB__COLD
#define SLAB__FAST_INLINE
#endif
// Builds for size (-Os, -Oz) overrule the compiler's inlining guesses where they measurably
// cost code (make cross): SLAB__OUTLINE keeps one shared copy of a helper whose inlined copies
// are larger than the calls; SLAB__INLINE inlines one whose calls are larger than its body.
// Other builds leave the choice to the compiler.
#if (defined(__GNUC__) || defined(__clang__)) && defined(__OPTIMIZE_SIZE__)
#define SLAB__OUTLINE __attribute__((noinline))
#define SLAB__INLINE inline __attribute__((always_inline))
#else
#define SLAB__OUTLINE
#define SLAB__INLINE
#endif
#define SLAB__LEAKS_SHOWN 16 // live objects a leak report lists per cache

// Per-object work on alloc and free: debug checks, the SLAB_HARDEN state bits, poisoning.
// Release builds without a sanitizer compile none of it.
#if SLAB_DEBUG || SLAB_HARDEN || SLAB__ASAN || defined(SLAB_VALGRIND)
#define SLAB__HOOKS 1
#else
#define SLAB__HOOKS 0
#endif
#define SLAB__FAST (!SLAB__HOOKS) // the inline fast paths: with hooks, every call takes the slow one
#define SLAB__MAPS (SLAB_HARDEN || SLAB_DEBUG) // builds whose slabs can end in a state bitmap

#define SLAB__CONCAT2(a, b) a##b
#define SLAB__CONCAT(a, b) SLAB__CONCAT2(a, b)
#if defined(__cplusplus) && __cplusplus >= 201103L
#define SLAB__STATIC_ASSERT(c, m) static_assert(c, m)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define SLAB__STATIC_ASSERT(c, m) _Static_assert(c, m)
#else
#define SLAB__STATIC_ASSERT(c, m)                                                            \
    typedef char SLAB__CONCAT(slab__static_assert_, __LINE__)[(c) ? 1 : -1] SLAB__UNUSED
#endif

#if defined(__GNUC__) || defined(__clang__)
#define SLAB__LIKELY(x) __builtin_expect(!!(x), 1)
#define SLAB__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define SLAB__LIKELY(x) (x)
#define SLAB__UNLIKELY(x) (x)
#endif

#define SLAB__PRIVATE static SLAB__UNUSED

#define SLAB__MAX_PAGES 0xFFFFFFFFu    // page indices are 32-bit
#define SLAB__HEAP_MAGIC 0x48424c53u   // "SLBH"
#define SLAB__CACHE_MAGIC 0x43424c53u  // "SLBC": a live cache whose fast paths are open
#define SLAB__CACHE_SLOW 0x53424c53u   // "SLBS": a live cache that must take the slow paths
#define SLAB__DEAD_MAGIC 0x44414544u   // a destroyed heap or cache
#define SLAB__DEFAULT_PAGE 4096u
#define SLAB__CACHELINE 64u
#define SLAB__MAX_NATURAL_ALIGN 16u    // cap of the default alignment (max_align_t on common ABIs)
#define SLAB__KEEP_EMPTY 2u            // empty slabs a cache keeps besides its active slab
// Freed objects a magazine keeps at hand. Threaded builds exchange whole magazines with the
// depot under the cache's lock, and the objects they move change cores: 64 makes those
// exchanges about five times rarer than 32 under a random size mix (2-thread kmalloc in
// bench/README.md), for 256 more bytes per magazine.
// Threaded magazines of large objects hold fewer: at most SLAB__MAG_BYTES of them, and at least
// SLAB__MAG_MIN. A thread that sleeps keeps its magazines' objects out of every other thread's
// reach (and out of reclaim's) until its next call, so each one must hold little memory: 64
// magazine slots of the 32 KiB class would keep 4 MiB per thread, these keep 256 KiB.
#if SLAB_THREADS
#define SLAB__MAG_SIZE 64u
#define SLAB__MAG_BYTES ((size_t)32 << 10)
#define SLAB__MAG_MIN 4u
#else
#define SLAB__MAG_SIZE 32u
#endif
// Freed large runs of up to SLAB__RUN_MAX pages wait, SLAB__RUN_KEEP per length, for the next
// run of their length (Bonwick's vmem quantum caches): 16 pages cover every run from one page
// to 64 KiB at the default page size; 16 per length make a hit likely under a random mix
// (trace D: 8 per length cost 15% more instructions per pair, 4 cost 38% more).
#define SLAB__RUN_MAX 16u
#define SLAB__RUN_KEEP 16u
#define SLAB__PREFERRED_ORDER 3u       // slabs up to 2^3 pages are tried first (SLUB's max_order)
#define SLAB__MAX_SLAB_BYTES ((size_t)1 << 30)
#define SLAB__NAME_LEN 32
#define SLAB__DEBUG_FLAGS (SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER)
#define SLAB__KNOWN_FLAGS (SLAB_HWCACHE_ALIGN | SLAB_PANIC | SLAB_RECLAIM_ACCOUNT | SLAB__DEBUG_FLAGS)
#define SLAB__POISON_INUSE 0x5a // the kernel's values: new objects, free objects, their last
#define SLAB__POISON_FREE 0x6b  // byte, and red zones around allocated and free objects
#define SLAB__POISON_END 0xa5
#define SLAB__RED_ACTIVE 0xcc
#define SLAB__RED_INACTIVE 0xbb
#define SLAB__MIN_RED 8u        // red zone bytes on each side at least: one ASan granule
// Objects are aligned to a pointer at least, and to an ASan granule under ASan, so that a
// one-byte overflow past an object poisons a granule of its own.
#define SLAB__MIN_ALIGN (SLAB__ASAN && sizeof(void *) < 8 ? (size_t)8 : sizeof(void *))
#define SLAB__KMALLOC 0x80000000u      // internal cache flag: a kmalloc size class
#define SLAB__INTERNAL 0x40000000u     // internal cache flag: the heap's own bookkeeping (the
                                       // cache of caches too)
#define SLAB__NCLASSES 37              // kmalloc classes: 8 .. 32 KiB
#define SLAB__KMALLOC_MIN_MAX 4096u    // classes reach at least 4 KiB, or half a page if larger

// Page descriptor states (I1). A zeroed descriptor is a plain tail.
enum {
    SLAB__PG_TAIL,      // inside a block, not its first page
    SLAB__PG_FREE,      // head of a free block
    SLAB__PG_PAGES,     // head of a block from slab_pages_alloc
    SLAB__PG_SLAB,      // head of a slab
    SLAB__PG_SLAB_TAIL, // inside a slab: names the slab's head so free() finds it in O(1)
    SLAB__PG_KLARGE,    // first block of a large run from the kmalloc family
    SLAB__PG_VLARGE,    // first block of a large run from the vmalloc family
    SLAB__PG_RUN,       // a further block of a large run
    SLAB__PG_PARKED     // first block of a freed large run waiting on the heap's runs list
};
SLAB__STATIC_ASSERT(SLAB__PG_PARKED < 16, "slab__block_kind's table has an entry per state");
// A cache's slab lists, named after the fill of the slabs on them (I6).
enum { SLAB__FULL, SLAB__PARTIAL, SLAB__EMPTY, SLAB__NLISTS };
// Which blocks a free function accepts.
enum { SLAB__OWN_PAGES = 1, SLAB__OWN_KSLAB = 2, SLAB__OWN_KLARGE = 4, SLAB__OWN_VLARGE = 8 };

#if SLAB_THREADS
// Threaded builds give each page descriptor a cache line of its own (half a line on 32-bit
// targets), from a line boundary. Every free reads its object's descriptor: a 48-byte one
// straddles two lines half the time, and with two threads' slabs side by side in one heap, a
// thread's descriptors share their lines with the other's, so its frees touch more lines than
// it has descriptors: 1.13 L1 misses per kmalloc/kfree pair at 2 threads on one heap against
// 0.68 with whole lines (make bench-cachemodel). Timed, 11-13% more pairs a second in some runs,
// the same in others (bench/README.md).
#define SLAB__DESC_BYTES (sizeof(void *) > 4 ? 64u : 32u)
#define SLAB__DESC_ALIGN SLAB__DESC_BYTES
#else
#define SLAB__DESC_ALIGN 1u // right after the header, whose size keeps them aligned
#endif

// One per page, in an array at the start of its region: all page state lives here, so free
// pages are never written and free() finds an object's slab in O(1).
typedef struct slab__page {
    slab_cache *cache;       // slab heads: the owning cache; NULL on every other page (I1)
    void *freelist;          // slab heads: the first free object
    struct slab__page *prev; // links of a free list (free heads) or a slab list (slab heads)
    struct slab__page *next;
    uint32_t head;           // slab tails: the slab's head page; every other page: its own index
    uint32_t inuse;          // slab heads: objects allocated; large-run heads: pages in the run
    uint32_t colour;         // slab heads: byte offset of the first object (cache colouring)
    uint8_t order;           // heads: the block has 2^order pages
    uint8_t state;           // SLAB__PG_*
    uint8_t active;          // slab heads: an active slab, the cache's or a thread's (I6)
#if SLAB_THREADS
    char pad[SLAB__DESC_BYTES - 4 * sizeof(void *) - 3 * sizeof(uint32_t) - 3];
#endif
} slab__page;
#if SLAB_THREADS
SLAB__STATIC_ASSERT(sizeof(slab__page) == SLAB__DESC_BYTES, "a descriptor fills its line share");
#endif

// One region of a heap: a buddy page heap of its own. Blocks never straddle two zones.
typedef struct slab__zone {
    char *base;              // the first page
    size_t span;             // npages << page_shift
    slab__page *pages;       // descriptors, one per page
    uint32_t npages;
    unsigned max_order;
    unsigned page_shift;
    uintptr_t region_lo;     // the caller's region; [region_lo, base) is metadata
    uintptr_t region_hi;
    struct slab__zone *next;
#if SLAB_THREADS // the fast paths read the fields above; the page heap writes those below
    char apart[SLAB__CACHELINE];
#endif
    uint32_t free_mask;      // bit k set when free_head[k] is not empty
    slab__page *free_head[SLAB_MAX_ORDERS];
    size_t nr_free[SLAB_MAX_ORDERS];
    size_t pages_free;
} slab__zone;

// Debug caches keep with each object where it was allocated and freed (SLAB_STORE_USER), and
// the size asked for (kmalloc), which starts its right red zone.
typedef struct slab__track {
    const char *file;
    const void *ret; // the caller's return address, where the compiler gives it
    int line;
} slab__track;
typedef struct slab__meta {
    size_t orig_size;
    slab__track alloc;
    slab__track free;
} slab__meta;

// A magazine (Bonwick): freed objects, obj[1..count], the latest last, that allocation hands
// out again while their memory is still in the CPU cache. Their slabs count them as in use
// (I7). obj[0] stays NULL, so that obj[count] is always the latest or NULL.
typedef struct slab__mag {
    uint32_t count;
    uint32_t size;          // room: slab__mag_cap(cache), or 0 for slab__no_mag (SLAB_THREADS)
    struct slab__mag *next; // on a depot list (SLAB_THREADS)
#if SLAB_THREADS
    unsigned owner;         // the number of the thread that gave it to the depot full
#endif
    void *obj[SLAB__MAG_SIZE + 1];
} slab__mag;

#if SLAB_THREADS
// A lock its holder may take again (an error hook or a shrinker calling back in): a spin lock
// on an atomic byte, or the program's mutex (SLAB_MUTEX_TYPE).
typedef struct slab__lock {
#ifdef SLAB_MUTEX_TYPE
    SLAB_MUTEX_TYPE mutex;
#else
    unsigned char held;
#endif
    const void *owner; // the holder's thread token (slab__self), or NULL
    unsigned depth;
} slab__lock;

// A thread's two magazines in front of one cache (Bonwick's loaded and previous), and the slab
// it fills them from (as SLUB's per-CPU slab: two threads that fill at once take their objects
// from different slabs, not turns in one). Only that thread touches them, except at its exit,
// when the cache is destroyed, and (the slab, under the cache's lock) for figures and checks.
// A cache line each: a thread's swaps must not evict the slots other threads' fast paths read.
typedef struct slab__cpu {
    slab__mag *loaded;
    slab__mag *prev;
    slab__page *active; // the slab this thread's magazines fill from (I6), under c's lock
    unsigned gen;       // the cache's drain_gen when this thread last drained on request
    unsigned taken;     // objects refills gave it since its frees last filled a magazine
    char pad[SLAB__CACHELINE - 3 * sizeof(void *) - 2 * sizeof(unsigned)];
} slab__cpu;
#endif

struct slab_cache {
    // Hot: the alloc and free fast paths read only these, and (SLAB_THREADS) no thread writes
    // them but at creation, drain requests and destruction.
    uint32_t magic;
    uint8_t div_rot;
    uint8_t order;        // slabs have 2^order pages
    uint8_t kmalloc;      // a kmalloc size class (hot copy of SLAB__KMALLOC)
    slab_heap *heap;
    uint32_t objperslab;
    uint32_t div_inv;     // object index by multiplication: see slab__slot_index
#if SLAB_THREADS
    unsigned drain_gen;   // raised by shrink and reclaim: every thread drains its magazines
    slab__cpu *cpu;       // SLAB__CPU_SLOTS slots by thread number, or slab__no_cpus
    char apart[SLAB__CACHELINE]; // the fields above off the lines the slow paths write
#else
    slab__mag mag;
#endif
    // Cold: creation, slow paths and figures.
    slab__page *active;   // the slab allocations without a thread's slab come from (I6)
    size_t inuse_objs;    // the sum of the slabs' inuse: allocated or in a magazine (I7)
    size_t stride;        // bytes per object slot
    size_t link_off;      // where a free slot keeps its free-list link
    size_t slot_bytes;    // objperslab * stride
#if SLAB_THREADS
    slab__lock lock;      // the slabs, their lists and descriptors' fill, the depot, figures
    slab__mag *depot_full; // Bonwick's depot: full magazines and empty ones
    slab__mag *depot_empty;
    uint32_t depot_nfull;
    uint32_t depot_nempty;
#endif
    unsigned flags;
    size_t object_size;
    size_t align;
    size_t colour_unit;   // colours step by this many bytes
    uint32_t colours;     // distinct colours (1: no colouring)
    uint32_t colour_next;
    slab__page *lists[SLAB__NLISTS];
    size_t nr[SLAB__NLISTS];
    unsigned debug;       // SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER in effect (>>debug)
    uint32_t lpad;        // bytes before each object: its left red zone (debug caches)
    uint32_t first;       // a slab's first object starts this far after its colour
    size_t meta_off;      // where a slot keeps its slab__meta (debug caches)
    size_t map_bytes;     // bytes of the state bitmap at the end of each slab (0: none)
    size_t nr_slabs;
    size_t slab_pages;    // pages held by this cache's slabs
    void (*ctor)(void *obj, void *ctx);
    void *ctx;
    slab_cache *prev;     // the heap's list of caches
    slab_cache *next;
    char name[SLAB__NAME_LEN];
};

struct slab_shrinker {
    slab_count_fn count;
    slab_scan_fn scan;
    void *ctx;
    slab_shrinker *next;
};

// What a call in progress hands down to the functions it calls: per heap, or per thread
// (SLAB_THREADS), where two threads may be in calls on one heap at once.
typedef struct slab__call {
    int trying;             // an allocation with a fallback: neither reclaim nor report
    const char *site_file;  // the call site recorded for the next tracked call (SLAB_DEBUG)
    int site_line;
    const void *site_ret;
    int site_keep;          // a bulk call: every object takes the recorded site
} slab__call;

struct slab_heap {
    uint32_t magic;
    unsigned page_shift;
    slab__zone zone;        // the first region; the fast free paths look here first
    unsigned inject;        // fault injection is configured: allocations take the slow paths
    int reclaiming;         // reclaim is running: a nested allocation must not start another
    int report_leaks;
    size_t kmalloc_max;     // the largest kmalloc class; larger requests take the large path
    size_t alloc_count;     // allocations counted for fault injection
    size_t fail_nth;
    size_t fail_every;
    int (*should_fail)(slab_heap *heap, size_t size, void *user);
    size_t oom_count;
    size_t block_pages;     // pages of blocks from slab_pages_alloc
    size_t large_pages;     // pages of large runs
    slab__page *runs[SLAB__RUN_MAX + 1];  // parked runs of the first region by length (I10)
    uint8_t nr_runs[SLAB__RUN_MAX + 1];
    size_t num_caches;
    size_t num_zones;
    slab_cache *caches;     // every cache, the cache of caches first
    slab_shrinker *shrinkers;
    slab_error_fn on_error;
    void *user;
    int debug_selective;
    slab_cache *kmalloc[SLAB__NCLASSES]; // made on first use
    slab_cache *shrinker_cache;          // holds slab_shrinker structs; made on first use
#if SLAB_THREADS
    // Lock order: admin, then one cache (then mag_cache), then pages. Reclaim and shrinkers
    // run with no cache lock and no page lock held.
    slab__lock admin;       // the cache and shrinker lists, reclaim, class creation, figures
    slab__lock pages;       // the zones: buddy lists, block states, page and run counts
    slab_heap *prev_heap;   // every live heap, for the exit of a thread (slab__heaps)
    slab_heap *next_heap;
    slab_cache mag_cache;   // holds the magazines of the other caches
    slab_cache cpu_cache;   // holds their arrays of per-thread slots
#else
    slab__call call;
#endif
    slab_cache cache_cache; // holds this heap's slab_cache structs
};

SLAB__STATIC_ASSERT(sizeof(uint32_t) * 8 >= SLAB_MAX_ORDERS, "free_mask needs a bit per order");
SLAB__STATIC_ASSERT(SLAB_MAX_ORDERS <= 32, "orders must fit 32-bit page indices");

// ==========================================================================================
// >>util  Bit operations, address arithmetic and number formatting.

// Undefined for 0.
SLAB__PRIVATE SLAB__OUTLINE unsigned slab__log2(size_t x)
{
    SLAB_ASSERT(x != 0);
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)(sizeof(unsigned long long) * 8 - 1) -
           (unsigned)__builtin_clzll((unsigned long long)x);
#else
    unsigned r = 0;
    while (x >>= 1)
        r++;
    return r;
#endif
}

// Undefined for 0.
SLAB__PRIVATE unsigned slab__ctz32(uint32_t x)
{
    SLAB_ASSERT(x != 0);
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)__builtin_ctz(x);
#else
    unsigned r = 0;
    while (!(x & 1u)) {
        x >>= 1;
        r++;
    }
    return r;
#endif
}

SLAB__PRIVATE SLAB__INLINE int slab__is_pow2(size_t x) { return x != 0 && (x & (x - 1)) == 0; }

// Undefined unless a is a power of two; the caller rules out overflow.
SLAB__PRIVATE size_t slab__align_up(size_t x, size_t a) { return (x + a - 1) & ~(a - 1); }

SLAB__PRIVATE uintptr_t slab__addr(const void *p) { return (uintptr_t)p; }

SLAB__PRIVATE size_t slab__order_pages(unsigned order) { return (size_t)1 << order; }

// The smallest order whose block holds n pages. Undefined for 0.
SLAB__PRIVATE SLAB__INLINE unsigned slab__order_for(size_t n)
{
    return n == 1 ? 0 : slab__log2(n - 1) + 1;
}

// The free-list link of a free object slot, which is poisoned under ASan: open it to look.
SLAB__PRIVATE void *slab__link_get(void *obj, size_t link_off)
{
    void **link = (void **)(void *)((char *)obj + link_off), *next;
    SLAB_ASSERT(obj != NULL); // the callers look only at free objects
    SLAB__OPEN(link, sizeof *link);
    next = *link;
    SLAB__SHUT(link, sizeof *link);
    return next;
}

SLAB__PRIVATE void slab__link_set(void *obj, size_t link_off, void *next)
{
    void **link = (void **)(void *)((char *)obj + link_off);
    SLAB__OPEN(link, sizeof *link);
    *link = next;
    SLAB__SHUT(link, sizeof *link);
}

#define SLAB__LINE 400 // bytes of one dump or report line: the longest, buddyinfo, is 392

// Appends the decimal digits of v to buf at *pos, right-aligned in width columns.
SLAB__PRIVATE void slab__fmt_uint(char *buf, size_t *pos, size_t v, unsigned width)
{
    size_t t = v, end;
    unsigned n = 1;
    while (t /= 10) // count the digits first: they are written from the last one back
        n++;
    while (width-- > n)
        buf[(*pos)++] = ' ';
    end = *pos += n;
    do {
        buf[--end] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
}

// Appends the hexadecimal digits of v to buf at *pos.
SLAB__PRIVATE void slab__fmt_hex(char *buf, size_t *pos, size_t v)
{
    char digits[2 * sizeof v];
    unsigned n = 0;
    do {
        digits[n++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    while (n)
        buf[(*pos)++] = digits[--n];
}

// Appends s to buf at *pos, left-aligned in width columns (at most limit bytes of s).
SLAB__PRIVATE void slab__fmt_str(char *buf, size_t *pos, const char *s, size_t width, size_t limit)
{
    size_t n = 0;
    while (n < limit && s[n])
        buf[(*pos)++] = s[n++];
    while (n++ < width)
        buf[(*pos)++] = ' ';
}

// ==========================================================================================
// >>threads  SLAB_THREADS: locks, thread numbers, and the heaps an exiting thread visits.
//
// The fast paths touch only the calling thread's magazines (c->cpu[thread number]); slow
// paths take the cache's lock, and the page heap has a lock of its own. A thread's number
// indexes every cache's cpu array; its exit returns its magazines through slab__heaps.

#if SLAB_THREADS
static SLAB__TLS unsigned slab__tid;     // this thread's number, 1..SLAB_MAX_THREADS; 0: none
static SLAB__TLS char slab__tid_none;    // all numbers were taken when this thread asked
static SLAB__TLS char slab__self;        // its address is this thread's token
static SLAB__TLS slab__call slab__tcall; // the call in progress on this thread
static slab__mag slab__no_mag;           // count 0, size 0: every fast path misses on it
// The slots of a cache before its first magazine: gen 0 matches no cache's drain_gen (which
// starts at 1), so the fast paths miss without reading them.
static slab__cpu slab__no_cpus[SLAB__CPU_SLOTS];
// Two process-wide locks. The registry guards the heap list; an exiting thread holds it while
// it visits the heaps, so it comes before every heap's locks. The numbers' lock guards
// slab__tid_used and is taken last of all (a slow path may ask for a number holding any lock).
#ifdef SLAB_MUTEX_TYPE
static slab__lock slab__registry = {SLAB_MUTEX_STATIC_INIT, NULL, 0};
static slab__lock slab__numbers = {SLAB_MUTEX_STATIC_INIT, NULL, 0};
#else
static slab__lock slab__registry;
static slab__lock slab__numbers;
#endif
static slab_heap *slab__heaps;           // every live heap
static unsigned char slab__tid_used[SLAB_MAX_THREADS + 1];
#if SLAB__EXIT_HOOK == 1
static pthread_key_t slab__exit_key;     // its destructor runs slab__thread_exit
#elif SLAB__EXIT_HOOK == 2
static unsigned long slab__exit_key;     // a fiber-local storage index; its callback likewise
static unsigned char(__stdcall *slab__shutting_down)(void); // ntdll's RtlDllShutdownInProgress
#endif
static int slab__keys_tried;             // the keys below are made once, before any number
static int slab__exit_key_made;

// The thread number as the fast paths read it. mingw-w64 gcc before 16 emulates thread-local
// storage, a call per access that costs more than the rest of an allocation (bench/README.md,
// Windows); there the number is also kept in a Windows TLS slot, read off the thread's TEB as
// mimalloc does (TlsSlots: gs:0x1480 on x86-64, fs:0xE10 on x86; 64 slots).
#if SLAB__OS == 2 && defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 16 && \
    (defined(__x86_64__) || defined(__i386__))
#define SLAB__TEB_TID 1
static unsigned long slab__teb_slot; // the slot's TlsAlloc index + 1; 0: none (yet)

SLAB__PRIVATE void slab__teb_slot_make(void)
{
    unsigned long i = TlsAlloc(); // 0xFFFFFFFF (TLS_OUT_OF_INDEXES) is not below 64 either
    if (i < 64)
        SLAB__STORE(slab__teb_slot, i + 1);
}

SLAB__PRIVATE void slab__teb_tid_set(unsigned tid)
{
    unsigned long slot = SLAB__LOAD(slab__teb_slot);
    if (slot)
        (void)TlsSetValue(slot - 1, (void *)(uintptr_t)tid);
}

SLAB__PRIVATE unsigned slab__fast_tid(void)
{
    unsigned long slot = SLAB__LOAD(slab__teb_slot);
    uintptr_t at = (uintptr_t)slot - 1, v;
    if (SLAB__UNLIKELY(!slot))
        return slab__tid;
#ifdef __x86_64__
    __asm__ __volatile__("movq %%gs:(%1), %0" : "=r"(v) : "r"(0x1480 + at * 8));
#else
    __asm__ __volatile__("movl %%fs:(%1), %0" : "=r"(v) : "r"(0xE10 + at * 4));
#endif
    return (unsigned)v;
}
#else
#define SLAB__TEB_TID 0
#define slab__teb_slot_make() ((void)0)
#define slab__teb_tid_set(tid) ((void)(tid))
#define slab__fast_tid() slab__tid
#endif
#define SLAB__CALL(h) ((void)(h), &slab__tcall)
#define SLAB__NUMBER_THREAD() ((void)slab__thread_number()) // before any cache or page lock
#define SLAB__LOCK(l) slab__enter(&(l))
#define SLAB__UNLOCK(l) slab__leave(&(l))
#if defined(__i386__) || defined(__x86_64__)
#define SLAB__PAUSE() __builtin_ia32_pause()
#else
#define SLAB__PAUSE() ((void)0)
#endif

SLAB__PRIVATE void slab__lock_init(slab__lock *l)
{
#ifdef SLAB_MUTEX_TYPE
    SLAB_MUTEX_INIT(&l->mutex);
#else
    l->held = 0;
#endif
    l->owner = NULL;
    l->depth = 0;
}

SLAB__PRIVATE void slab__enter(slab__lock *l)
{
    if (SLAB__LOAD(l->owner) == (const void *)&slab__self) { // only this thread stores that
        l->depth++;
        return;
    }
#ifdef SLAB_MUTEX_TYPE
    SLAB_MUTEX_LOCK(&l->mutex);
#else
    {
        unsigned spins = 0;
        while (SLAB__XCHG_ACQ(l->held, 1)) // test and test-and-set, yielding now and then
            while (SLAB__LOAD(l->held)) {
                if (++spins % 64 == 0)
                    SLAB_YIELD();
                else
                    SLAB__PAUSE();
            }
    }
#endif
    SLAB__STORE(l->owner, (const void *)&slab__self);
    l->depth = 1;
}

SLAB__PRIVATE void slab__leave(slab__lock *l)
{
    if (--l->depth)
        return;
    SLAB__STORE(l->owner, (const void *)NULL);
#ifdef SLAB_MUTEX_TYPE
    SLAB_MUTEX_UNLOCK(&l->mutex);
#else
    SLAB__STORE_REL(l->held, (unsigned char)0);
#endif
}

SLAB__PRIVATE void slab__thread_exit(const void *self);

#if SLAB__EXIT_HOOK == 1
static void slab__key_exit(void *self) { slab__thread_exit(self); }
#elif SLAB__EXIT_HOOK == 2
static void __stdcall slab__key_exit(void *self) { slab__thread_exit(self); }
#endif

// Makes the key whose non-NULL value has slab__thread_exit run as a thread ends; 1 on success.
SLAB__PRIVATE int slab__exit_key_make(void)
{
#if SLAB__EXIT_HOOK == 1
    return pthread_key_create(&slab__exit_key, slab__key_exit) == 0;
#elif SLAB__EXIT_HOOK == 2
    struct HINSTANCE__ *ntdll = GetModuleHandleA("ntdll.dll");
    slab__farproc f = ntdll ? GetProcAddress(ntdll, "RtlDllShutdownInProgress") : 0;
    slab__shutting_down = (unsigned char(__stdcall *)(void))(void (*)(void))f;
    slab__exit_key = FlsAlloc(slab__key_exit);
    return slab__exit_key != 0xFFFFFFFFul; // FLS_OUT_OF_INDEXES
#else
    return 0;
#endif
}

// Gives the calling thread's key a value: its token, which the exit function checks.
SLAB__PRIVATE void slab__exit_key_arm(void)
{
#if SLAB__EXIT_HOOK == 1
    (void)pthread_setspecific(slab__exit_key, &slab__self);
#elif SLAB__EXIT_HOOK == 2
    (void)FlsSetValue(slab__exit_key, &slab__self);
#endif
}

// This thread's number, given on first need; 0 when SLAB_MAX_THREADS threads hold one (this
// thread then takes the locked paths).
SLAB__PRIVATE unsigned slab__thread_number(void)
{
    unsigned t;
    if (SLAB__LIKELY(slab__tid != 0) || slab__tid_none)
        return slab__tid;
    slab__enter(&slab__numbers);
    if (!slab__keys_tried) { // before the first number: every number is mirrored in the TEB
        slab__keys_tried = 1;
        slab__exit_key_made = slab__exit_key_make();
        slab__teb_slot_make();
    }
    for (t = 1; t <= SLAB_MAX_THREADS && slab__tid_used[t]; t++)
        ;
    if (t <= SLAB_MAX_THREADS) {
        slab__tid_used[t] = 1;
        slab__tid = t;
    } else {
        slab__tid_none = 1;
    }
    slab__leave(&slab__numbers);
    if (slab__tid && slab__exit_key_made) // a non-NULL value: the exit function will run
        slab__exit_key_arm();
    slab__teb_tid_set(slab__tid);
    return slab__tid;
}

SLAB__PRIVATE void slab__registry_add(slab_heap *h)
{
    slab__enter(&slab__registry);
    h->next_heap = slab__heaps;
    if (slab__heaps)
        slab__heaps->prev_heap = h;
    slab__heaps = h;
    slab__leave(&slab__registry);
}

SLAB__PRIVATE void slab__registry_del(slab_heap *h)
{
    slab__enter(&slab__registry);
    if (h->prev_heap)
        h->prev_heap->next_heap = h->next_heap;
    else
        slab__heaps = h->next_heap;
    if (h->next_heap)
        h->next_heap->prev_heap = h->prev_heap;
    slab__leave(&slab__registry);
}
#else
#define SLAB__CALL(h) (&(h)->call)
#define SLAB__NUMBER_THREAD() ((void)0)
#define SLAB__LOCK(l) ((void)0)
#define SLAB__UNLOCK(l) ((void)0)
#endif

// ==========================================================================================
// >>error  Error names, messages and the hook.

#define SLAB__ERROR_NAME(name, text) #name,
#define SLAB__ERROR_TEXT(name, text) text,
static const char *const slab__error_names[] = {SLAB__ERRORS(SLAB__ERROR_NAME)};
static const char *const slab__error_texts[] = {SLAB__ERRORS(SLAB__ERROR_TEXT)};
#undef SLAB__ERROR_NAME
#undef SLAB__ERROR_TEXT

SLAB_API const char *slab_error_name(slab_error code)
{
    return (unsigned)code < (unsigned)SLAB_ERR_COUNT ? slab__error_names[code] : "?";
}

SLAB_API const char *slab_error_string(slab_error code)
{
    return (unsigned)code < (unsigned)SLAB_ERR_COUNT ? slab__error_texts[code]
                                                     : "unknown error code";
}

// Used when the config names no hook: one line on stderr, and the program goes on.
SLAB__PRIVATE void slab__default_hook(slab_heap *heap, slab_error code, const void *ptr,
                                      const char *msg, void *user)
{
    (void)heap;
    (void)user;
#ifndef SLAB_NO_STDIO
    (void)fprintf(stderr, "slab.h: %s: %s (pointer %p)\n", slab_error_name(code), msg, ptr);
#else
    (void)ptr;
    (void)msg;
#endif
#if SLAB_DEBUG // memory misuse stops a debug build; failures and refused requests do not
    if (code != SLAB_ERR_NOMEM && code != SLAB_ERR_INVALID_ARG && code != SLAB_ERR_BUSY &&
        code != SLAB_ERR_REGION_SMALL)
        SLAB_ABORT();
#else
    (void)code;
#endif
}

SLAB__PRIVATE void slab__report_to(slab_error_fn fn, void *user, slab_heap *heap, slab_error code,
                                   const void *ptr, const char *msg)
{
    (fn ? fn : slab__default_hook)(heap, code, ptr, msg, user);
}

SLAB__PRIVATE void slab__report(slab_heap *h, slab_error code, const void *ptr, const char *msg)
{
    slab__report_to(h->on_error, h->user, h, code, ptr, msg);
}

#if SLAB__HOOKS
SLAB__PRIVATE void slab__report_live(slab_cache *c);
#endif

// A leak report: "<n><what><name of c>: nothing was destroyed" (slab_cache_destroy), or with
// heap_gone (slab_heap_destroy) "heap destroyed with <n><what><name of c, if any>"; what is
// " live objects in cache " or " live <kind of block>".
// A cache's summary is followed by its live objects one by one, where state bits tell them.
SLAB__PRIVATE void slab__report_leak(slab_heap *h, slab_cache *c, size_t n, const char *what,
                                     int heap_gone)
{
    char buf[SLAB__LINE];
    size_t pos = 0;
    if (heap_gone)
        slab__fmt_str(buf, &pos, "heap destroyed with ", 0, 20);
    slab__fmt_uint(buf, &pos, n, 0);
    slab__fmt_str(buf, &pos, what, 0, 64);
    if (c)
        slab__fmt_str(buf, &pos, c->name, 0, SLAB__NAME_LEN);
    if (!heap_gone)
        slab__fmt_str(buf, &pos, ": nothing was destroyed", 0, 23);
    buf[pos] = '\0';
    slab__report(h, SLAB_ERR_BUSY, c, buf);
#if SLAB__HOOKS
    if (c)
        slab__report_live(c);
#endif
}

// Whether h is a live heap. A destroyed heap still has its hook, so the misuse is reported.
SLAB__PRIVATE int slab__heap_ok(slab_heap *h)
{
    if (!h)
        return 0;
    if (SLAB__LIKELY(h->magic == SLAB__HEAP_MAGIC))
        return 1;
    if (h->magic == SLAB__DEAD_MAGIC)
        slab__report(h, SLAB_ERR_BAD_HANDLE, h, "heap used after slab_heap_destroy");
    return 0;
}

// Whether c is a live cache. A destroyed cache of a live heap is reported to that heap.
SLAB__PRIVATE int slab__cache_ok(slab_cache *c)
{
    if (!c)
        return 0;
    if (SLAB__LIKELY(c->magic == SLAB__CACHE_MAGIC || c->magic == SLAB__CACHE_SLOW))
        return 1;
    if (c->magic == SLAB__DEAD_MAGIC && c->heap && c->heap->magic == SLAB__HEAP_MAGIC)
        slab__report(c->heap, SLAB_ERR_BAD_HANDLE, c, "cache used after slab_cache_destroy");
    return 0;
}

// Counts a failed allocation and reports it; a SLAB_PANIC cache then aborts.
SLAB__PRIVATE void slab__oom(slab_heap *h, const void *who, const char *msg, unsigned flags)
{
    if (SLAB__CALL(h)->trying) // an attempt with a fallback: no failure yet
        return;
    SLAB__ADD(h->oom_count, 1);
    slab__report(h, SLAB_ERR_NOMEM, who, msg);
    if (flags & SLAB_PANIC)
        SLAB_ABORT();
}

// Fault injection: whether this allocation (of size bytes) is one the config chose to fail.
// Counted and reported like a real failure.
SLAB__PRIVATE int slab__injected(slab_heap *h, const void *who, size_t size, unsigned flags)
{
    size_t n;
    if (!h->inject)
        return 0;
    n = SLAB__ADD(h->alloc_count, 1);
    if ((h->fail_nth && n == h->fail_nth) || (h->fail_every && n % h->fail_every == 0) ||
        (h->should_fail && h->should_fail(h, size, h->user))) {
        slab__oom(h, who, "injected allocation failure", flags);
        return 1;
    }
    return 0;
}

// ==========================================================================================
// >>buddy  Page heap: split on alloc, coalesce with the buddy on free.
//
//   region: [ pad | header | slab__page[npages] | pad to page | page 0 | page 1 | ... | pad ]
//
// The header is the slab_heap (first region) or a slab__zone (each added region). Blocks are
// aligned to their size relative to page 0 (I2), so the buddy of the block of order k at page
// i is at i ^ 2^k. A region of any size is covered by the largest aligned blocks that fit; a
// buddy that would run past the last page simply never exists.

SLAB__PRIVATE uint32_t slab__index(const slab__zone *z, const slab__page *pg)
{
    return (uint32_t)(pg - z->pages);
}

SLAB__PRIVATE char *slab__page_addr(const slab_heap *h, const slab__zone *z, const slab__page *pg)
{
    return z->base + ((size_t)slab__index(z, pg) << h->page_shift);
}

// Links pg at the head of the list *head.
SLAB__PRIVATE void slab__list_push(slab__page **head, slab__page *pg)
{
    pg->prev = NULL;
    pg->next = *head;
    if (*head)
        (*head)->prev = pg;
    *head = pg;
}

SLAB__PRIVATE SLAB__INLINE void slab__list_del(slab__page **head, slab__page *pg)
{
    if (pg->prev)
        pg->prev->next = pg->next;
    else
        *head = pg->next;
    if (pg->next)
        pg->next->prev = pg->prev;
}

SLAB__PRIVATE SLAB__OUTLINE void slab__free_push(slab__zone *z, slab__page *pg, unsigned order)
{
    pg->state = SLAB__PG_FREE;
    pg->order = (uint8_t)order;
    slab__list_push(&z->free_head[order], pg);
    z->nr_free[order]++;
    z->free_mask |= 1u << order;
}

SLAB__PRIVATE void slab__free_del(slab__zone *z, slab__page *pg)
{
    unsigned order = pg->order;
    slab__list_del(&z->free_head[order], pg);
    z->nr_free[order]--;
    if (!z->free_head[order])
        z->free_mask &= ~(1u << order);
}

// Takes a free block of 2^order pages, splitting the smallest larger one; NULL if none. The
// head's state becomes PAGES for the caller to change. O(max order).
SLAB__PRIVATE slab__page *slab__buddy_take(slab__zone *z, unsigned order)
{
    uint32_t mask;
    unsigned k;
    slab__page *pg;
    SLAB_ASSERT(order <= z->max_order);
    mask = z->free_mask & ~((1u << order) - 1u);
    if (!mask)
        return NULL;
    k = slab__ctz32(mask);
    pg = z->free_head[k];
    slab__free_del(z, pg);
    while (k > order) { // the upper half of each split goes back as a free block
        k--;
        slab__free_push(z, pg + ((size_t)1 << k), k);
    }
    pg->order = (uint8_t)order;
    pg->state = SLAB__PG_PAGES;
    z->pages_free -= slab__order_pages(order);
    return pg;
}

// Returns the block of 2^order pages at page i, merging it with its buddy while that is free
// (I4). With merge 0 the caller knows the buddy is not free (the tail of a block just split).
SLAB__PRIVATE void slab__buddy_give(slab__zone *z, uint32_t i, unsigned order, int merge)
{
    SLAB__SHUT(z->base + ((size_t)i << z->page_shift), (size_t)1 << z->page_shift << order);
    z->pages_free += slab__order_pages(order);
    while (merge && order < z->max_order) {
        uint32_t buddy = i ^ (1u << order);
        if (buddy >= z->npages || z->pages[buddy].state != SLAB__PG_FREE ||
            z->pages[buddy].order != order)
            break;
        slab__free_del(z, &z->pages[buddy]);
        z->pages[i > buddy ? i : buddy].state = SLAB__PG_TAIL; // the upper half is a tail now
        i = i < buddy ? i : buddy;
        order++;
    }
    slab__free_push(z, &z->pages[i], order);
}

// The order of the largest block that starts at page i, is aligned (I2) and ends by page end.
SLAB__PRIVATE SLAB__OUTLINE unsigned slab__fit_order(const slab__zone *z, uint32_t i, size_t end)
{
    unsigned k = i ? slab__ctz32(i) : z->max_order, room = slab__log2(end - i);
    k = k < room ? k : room;
    return k < z->max_order ? k : z->max_order;
}

// Gives pages [i, end) back as the largest aligned blocks that cover them (merge: as for
// slab__buddy_give).
SLAB__PRIVATE void slab__range_give(slab__zone *z, uint32_t i, size_t end, int merge)
{
    while (i < end) {
        unsigned k = slab__fit_order(z, i, end);
        slab__buddy_give(z, i, k, merge);
        i += 1u << k;
    }
}

// The head of the block that holds page idx. Heads are exact (I1, I3), so scanning the
// alignments of idx upward, the first head whose block reaches idx is the one. Slow path only.
SLAB__PRIVATE slab__page *slab__block_head(slab__zone *z, uint32_t idx)
{
    unsigned k;
    if (z->pages[idx].state == SLAB__PG_SLAB_TAIL)
        return &z->pages[z->pages[idx].head];
    for (k = 0; k <= z->max_order; k++) {
        slab__page *pg = &z->pages[idx & ~((1u << k) - 1u)];
        if (pg->state != SLAB__PG_TAIL && pg->state != SLAB__PG_SLAB_TAIL && pg->order >= k)
            return pg;
    }
    return NULL;
}

// The zone whose region holds address a, or NULL.
SLAB__PRIVATE slab__zone *slab__zone_of_addr(slab_heap *h, uintptr_t a)
{
    slab__zone *z;
    for (z = &h->zone; z; z = SLAB__LOAD_ACQ(z->next))
        if (a >= z->region_lo && a < z->region_hi)
            return z;
    return NULL;
}

SLAB__PRIVATE int slab__zone_has_page(const slab__zone *z, const slab__page *pg)
{
    return slab__addr(pg) >= slab__addr(z->pages) &&
           slab__addr(pg) < slab__addr(z->pages + z->npages);
}

// The zone whose descriptor array holds pg, a descriptor of h.
SLAB__PRIVATE SLAB__INLINE slab__zone *slab__zone_of_page(slab_heap *h, const slab__page *pg)
{
    slab__zone *z = &h->zone;
    while (z->next && !slab__zone_has_page(z, pg))
        z = z->next;
    SLAB_ASSERT(slab__zone_has_page(z, pg));
    return z;
}

// Finds the block a pointer points into, or says why it points into none.
SLAB__PRIVATE slab_error slab__locate(slab_heap *h, const void *p, slab__zone **zp,
                                      slab__page **head, const char **msg)
{
    uintptr_t a = slab__addr(p);
    slab__zone *z = slab__zone_of_addr(h, a);
    size_t off;
    if (!z) {
        *msg = "pointer outside the heap's regions";
        return SLAB_ERR_INVALID_ADDRESS;
    }
    if (a < slab__addr(z->base)) {
        *msg = "pointer into the heap's own metadata";
        return SLAB_ERR_INVALID_POINTER;
    }
    off = (size_t)(a - slab__addr(z->base));
    if (off >= z->span) {
        *msg = "pointer into a region's unused tail";
        return SLAB_ERR_INVALID_POINTER;
    }
    *zp = z;
    *head = slab__block_head(z, (uint32_t)(off >> h->page_shift));
    if (!*head) {
        *msg = "page descriptors are corrupt";
        return SLAB_ERR_CORRUPT;
    }
    return SLAB_ERR_OK;
}

// The most pages that fit between desc0 (where the descriptors start) and hi.
SLAB__PRIVATE size_t slab__fit_pages(uintptr_t desc0, uintptr_t hi, size_t page_size)
{
    size_t room = (size_t)(hi - desc0);
    size_t n = room / (page_size + sizeof(slab__page));
    // Aligning the first page costs under one page, so n or n - 1 pages fit.
    while (n > 0) {
        uintptr_t dend = desc0 + n * sizeof(slab__page);
        if (dend <= UINTPTR_MAX - (page_size - 1)) {
            uintptr_t first = (uintptr_t)slab__align_up((size_t)dend, page_size);
            if (first <= hi && (size_t)(hi - first) / page_size >= n)
                break;
        }
        n--;
    }
    return n < SLAB__MAX_PAGES ? n : SLAB__MAX_PAGES;
}

// Where a header of hdr_size bytes goes in [lo, hi), where the descriptors start after it
// (SLAB__DESC_ALIGN), and how many pages fit after those: 0 when not even one does. The header
// is 16-aligned, which every field of it needs at most.
SLAB__PRIVATE size_t slab__layout(uintptr_t lo, uintptr_t hi, size_t hdr_size, size_t page_size,
                                  uintptr_t *hdr, uintptr_t *desc0)
{
    *hdr = lo + ((16u - (lo & 15u)) & 15u);
    if (*hdr > hi || hi - *hdr < hdr_size)
        return 0;
    *desc0 = *hdr + hdr_size;
#if SLAB_THREADS
    {
        size_t pad = (SLAB__DESC_ALIGN - (size_t)(*desc0 & (SLAB__DESC_ALIGN - 1))) &
                     (SLAB__DESC_ALIGN - 1);
        if (hi - *desc0 < pad)
            return 0;
        *desc0 += pad;
    }
#endif
    return slab__fit_pages(*desc0, hi, page_size);
}

// Makes a region of size bytes a zone of free pages: a header of hdr_size bytes (zeroed, the
// zone at zone_off in it), the descriptors after it, then the pages. Returns the header, or NULL
// when not even one page fits; slab_heap_init and slab_heap_add_region share it.
SLAB__PRIVATE char *slab__zone_make(void *region, size_t size, size_t hdr_size, size_t zone_off,
                                    unsigned page_shift)
{
    uintptr_t lo = slab__addr(region), hi = lo + size, hdr = 0, d0 = 0;
    size_t npages = slab__layout(lo, hi, hdr_size, (size_t)1 << page_shift, &hdr, &d0), base;
    char *head, *desc0;
    slab__zone *z;
    uint32_t i;
    if (npages == 0)
        return NULL;
    // Pointers are formed from region plus offsets, never from integers (pointer provenance).
    head = (char *)region + (hdr - lo);
    desc0 = head + (d0 - hdr);
    z = (slab__zone *)(void *)(head + zone_off);
    SLAB__OPEN(region, size); // a region used before (a fuzzer's buffer) may still be poisoned
    SLAB_MEMSET(head, 0, (size_t)(d0 - hdr) + npages * sizeof(slab__page)); // and descriptors
    base = slab__align_up((size_t)(slab__addr(desc0) + npages * sizeof(slab__page)),
                          (size_t)1 << page_shift);
    z->npages = (uint32_t)npages;
    z->max_order = slab__log2(npages);
    z->pages = (slab__page *)(void *)desc0;
    z->base = desc0 + (base - slab__addr(desc0));
    z->span = npages << page_shift;
    z->page_shift = page_shift;
    z->region_lo = lo;
    z->region_hi = hi;
    for (i = 0; i < z->npages; i++)
        z->pages[i].head = i;
    slab__range_give(z, 0, npages, 1);
    return head;
}

// Checks a region's address range; NULL if it is usable, else the reason.
SLAB__PRIVATE SLAB__OUTLINE const char *slab__region_bad(const void *region, size_t size)
{
    if (!region)
        return "region is NULL";
    if (size > UINTPTR_MAX - slab__addr(region))
        return "region wraps around the address space";
    return NULL;
}

SLAB__PRIVATE SLAB__INLINE int slab__page_size_ok(size_t page_size)
{
    return slab__is_pow2(page_size) && page_size >= 256 && page_size <= ((size_t)1 << 30);
}

SLAB__PRIVATE void slab__cache_setup(slab_cache *c, slab_heap *h, const char *name, size_t size,
                                     size_t align, unsigned flags,
                                     void (*ctor)(void *, void *), void *ctx, int keep_state);

SLAB_API slab_heap *slab_heap_init(void *region, size_t size, const slab_heap_config *cfg)
{
    slab_error_fn fn = cfg ? cfg->on_error : NULL;
    void *user = cfg ? cfg->user : NULL;
    size_t page_size = cfg && cfg->page_size ? cfg->page_size : SLAB__DEFAULT_PAGE;
    const char *bad = slab__region_bad(region, size);
    slab_error code = SLAB_ERR_INVALID_ARG;
    slab_heap *h = NULL;

    if (!bad && !slab__page_size_ok(page_size))
        bad = "page_size must be a power of two from 256 to 2^30";
    if (!bad && (h = (slab_heap *)(void *)slab__zone_make(region, size, sizeof(slab_heap),
                                                          offsetof(slab_heap, zone),
                                                          slab__log2(page_size))) == NULL) {
        code = SLAB_ERR_REGION_SMALL;
        bad = "region too small for the heap header, descriptors and one page";
    }
    if (bad) { // one report for every refusal
        slab__report_to(fn, user, NULL, code, region, bad);
        return NULL;
    }
    h->page_shift = slab__log2(page_size);
    h->num_zones = 1;
    h->on_error = fn;
    h->user = user;
    if (cfg) {
        h->debug_selective = cfg->debug_selective;
        h->report_leaks = cfg->report_leaks > 0 || (cfg->report_leaks == 0 && SLAB_DEBUG);
        h->fail_nth = cfg->fail_nth;
        h->fail_every = cfg->fail_every;
        h->should_fail = cfg->should_fail;
        h->inject = cfg->fail_nth || cfg->fail_every || cfg->should_fail;
    } else {
        h->report_leaks = SLAB_DEBUG;
    }
    h->kmalloc_max = page_size / 2 > SLAB__KMALLOC_MIN_MAX ? page_size / 2 : SLAB__KMALLOC_MIN_MAX;
    if (h->kmalloc_max > 32768u)
        h->kmalloc_max = 32768u;
    h->magic = SLAB__HEAP_MAGIC;
    SLAB__POOL_CREATE(h);
    slab__cache_setup(&h->cache_cache, h, "slab_cache", sizeof(slab_cache), 0, SLAB__INTERNAL,
                      NULL, NULL, 1);
    h->caches = &h->cache_cache;
    h->num_caches = 1;
#if SLAB_THREADS
    slab__lock_init(&h->admin);
    slab__lock_init(&h->pages);
    // Magazines and slots on cache lines of their own: each is one thread's to write.
    slab__cache_setup(&h->cpu_cache, h, "slab_cpus", sizeof(slab__cpu) * SLAB__CPU_SLOTS,
                      SLAB__CACHELINE, SLAB__INTERNAL, NULL, NULL, 1);
    slab__cache_setup(&h->mag_cache, h, "slab_magazine", sizeof(slab__mag), SLAB__CACHELINE,
                      SLAB__INTERNAL, NULL, NULL, 1);
    h->cache_cache.next = &h->mag_cache;
    h->mag_cache.prev = &h->cache_cache;
    h->mag_cache.next = &h->cpu_cache;
    h->cpu_cache.prev = &h->mag_cache;
    h->num_caches = 3;
    slab__registry_add(h);
#endif
    return h;
}

SLAB_API int slab_heap_add_region(slab_heap *h, void *region, size_t size)
{
    const char *bad;
    uintptr_t lo = slab__addr(region);
    slab__zone *z, *last;
    slab_error code = SLAB_ERR_INVALID_ARG;
    if (!slab__heap_ok(h))
        return SLAB_ERR_BAD_HANDLE;
    bad = slab__region_bad(region, size);
    for (z = &h->zone; z && !bad; z = z->next)
        if (lo < z->region_hi && z->region_lo < lo + size)
            bad = "region overlaps a region of this heap";
    if (!bad && (z = (slab__zone *)(void *)slab__zone_make(region, size, sizeof *z, 0,
                                                           h->page_shift)) == NULL) {
        code = SLAB_ERR_REGION_SMALL;
        bad = "region too small for a zone header, descriptors and one page";
    }
    if (bad) {
        slab__report(h, code, region, bad);
        return (int)code;
    }
    SLAB__LOCK(h->pages);
    for (last = &h->zone; last->next; last = last->next)
        ;
    SLAB__STORE_REL(last->next, z); // slab__zone_of_addr walks the list without the lock
    h->num_zones++;
    SLAB__UNLOCK(h->pages);
    return SLAB_ERR_OK;
}

SLAB_API size_t slab_heap_region_size(size_t npages, size_t page_size)
{
    size_t fixed, per_page;
    if (page_size == 0)
        page_size = SLAB__DEFAULT_PAGE;
    if (!slab__page_size_ok(page_size) || npages > SLAB__MAX_PAGES)
        return 0;
    fixed = 15 + sizeof(slab_heap) + (SLAB__DESC_ALIGN - 1) + page_size - 1;
    per_page = page_size + sizeof(slab__page);
    if (npages == 0)
        npages = 1;
    if (npages > (SIZE_MAX - fixed) / per_page)
        return 0;
    return fixed + npages * per_page;
}

SLAB__PRIVATE void slab__report_leaks(slab_heap *h);

SLAB_API void slab_heap_destroy(slab_heap *h)
{
    slab_cache *c;
    const slab__zone *z;
    if (!slab__heap_ok(h))
        return;
#if SLAB_THREADS
    slab__registry_del(h); // exiting threads no longer visit it
#endif
    if (h->report_leaks)
        slab__report_leaks(h);
    for (c = h->caches; c; c = c->next)
        c->magic = SLAB__DEAD_MAGIC;
    h->magic = SLAB__DEAD_MAGIC;
    SLAB__POOL_DESTROY(h);
    for (z = &h->zone; z; z = z->next) // the regions are the caller's again, all of them
        SLAB__OPEN((void *)z->region_lo, (size_t)(z->region_hi - z->region_lo));
}

SLAB__PRIVATE size_t slab__runs_drain(slab_heap *h);
SLAB__PRIVATE int slab__reclaim(slab_heap *h);

// Reclaim for a caller that holds the page lock once: reclaim runs without it (it takes cache
// locks, which come first). Returns what slab__reclaim returns.
SLAB__PRIVATE int slab__reclaim_unlocked(slab_heap *h)
{
    int reclaimed;
    SLAB__UNLOCK(h->pages);
    reclaimed = slab__reclaim(h);
    SLAB__LOCK(h->pages);
    return reclaimed;
}

// Takes a block of 2^order pages from the first zone that has one; NULL if none. Before it
// gives up, the parked runs (>>vmalloc) go back to the buddy heap, for they are free pages
// held for a faster reuse; then, with `reclaim`, memory is reclaimed once; after either it
// looks again. The caller holds the page lock (once, if it asks for reclaim).
SLAB__PRIVATE slab__page *slab__take(slab_heap *h, unsigned order, slab__zone **zp, int reclaim)
{
    for (;;) {
        slab__zone *z;
        for (z = &h->zone; z; z = z->next) {
            slab__page *pg = order <= z->max_order ? slab__buddy_take(z, order) : NULL;
            if (pg) {
                *zp = z;
                return pg;
            }
        }
        // A drain empties the lists, and only the reclaim's shrinkers can park runs again:
        // this loop ends.
        if (SLAB_RUN_CACHE && slab__runs_drain(h))
            continue;
        if (!reclaim || !slab__reclaim_unlocked(h))
            return NULL;
        reclaim = 0;
    }
}

// A block of 2^order pages for an allocation that fault injection let through (the caller
// holds the page lock once): slab__take with reclaim. NULL, counted and reported with msg,
// when there is none. inline: builds for speed put no call on the vmalloc path; builds for
// size keep one copy.
SLAB__PRIVATE inline slab__page *slab__take_or_oom(slab_heap *h, unsigned order, slab__zone **zp,
                                                   const char *msg)
{
    slab__page *pg = slab__take(h, order, zp, 1);
    if (!pg)
        slab__oom(h, NULL, msg, 0);
    return pg;
}

SLAB_API void *slab_pages_alloc(slab_heap *h, unsigned order)
{
    slab__zone *z = NULL;
    slab__page *pg;
    if (!slab__heap_ok(h))
        return NULL;
    if (order >= SLAB_MAX_ORDERS) {
        slab__report(h, SLAB_ERR_INVALID_ARG, NULL, "page order out of range");
        return NULL;
    }
    SLAB__LOCK(h->pages);
    pg = slab__injected(h, NULL, (size_t)1 << h->page_shift << order, 0)
             ? NULL
             : slab__take_or_oom(h, order, &z, "no free block of the requested order");
    if (pg)
        h->block_pages += slab__order_pages(order);
    SLAB__UNLOCK(h->pages);
    if (!pg)
        return NULL;
    SLAB__HAND_OUT(h, slab__page_addr(h, z, pg), (size_t)1 << h->page_shift << order);
    return slab__page_addr(h, z, pg);
}

SLAB__PRIVATE void slab__free_block(slab_heap *h, void *p, unsigned accept);

SLAB_API void slab_pages_free(slab_heap *h, void *p)
{
    slab__free_block(h, p, SLAB__OWN_PAGES);
}

// ==========================================================================================
// >>cache  Object caches: slabs on full / partial / empty lists, plus one active slab.
//
//   slab: [ colour | obj 0 | obj 1 | ... | obj n-1 | leftover ]    obj = [ object | link? ]
//
// A free slot keeps its free-list link at offset 0, or, in a cache with a constructor, just
// after the object, so a freed object keeps its constructed bytes. Allocation pops the active
// slab's free list; free pushes onto the free list of the slab the page descriptor names.

// Objects that fit a slab of `bytes`: after the first object's left red zone (lpad), and
// before the state bitmap (a bit per object) when the cache has one.
SLAB__PRIVATE size_t slab__fit_slots(size_t bytes, size_t stride, size_t lpad, int map)
{
    // Left red zones belong to debug builds, bitmaps to SLAB__MAPS builds: said so for the
    // compiler, so that release builds carry none of their arithmetic.
    size_t room = bytes, n;
    if (SLAB_DEBUG)
        room = bytes > lpad ? bytes - lpad : 0;
    if (!SLAB__MAPS || !map)
        return room / stride;
    // With a bitmap, n * stride + ceil(n / 8) <= room: n = floor(8 room / (8 stride + 1)) fits
    // (the ceiling adds under one byte, which the division's slack covers, or n one less).
    n = room / (8 * stride + 1) * 8 + room % (8 * stride + 1) * 8 / (8 * stride + 1);
    while (n && n * stride + (n + 7) / 8 > room)
        n--;
    return n;
}

#if SLAB__HOOKS // >>debug, which works on the layout this section makes
SLAB__PRIVATE void slab__slab_prepare(slab_cache *c, char *base, const slab__page *pg);
SLAB__PRIVATE void slab__on_alloc(slab_cache *c, void *obj);
SLAB__PRIVATE int slab__on_free(slab_cache *c, void *obj);
SLAB__PRIVATE void slab__report_obj(const slab_cache *c, const void *obj, slab_error code,
                                    const char *what);
SLAB__PRIVATE void slab__report_live(slab_cache *c);
#endif

// Chooses a slab order for slots of `stride` bytes, as SLUB does: the smallest slab of at
// most 2^3 pages whose waste is under 1/16, then 1/8, then 1/4, wanting 8 objects, then 4, 2,
// 1; failing that (large objects), the smallest slab that wastes at most 1/4, or holds one.
// One loop over the tries, so the slot count is computed in one place; *objs gets the count.
SLAB__PRIVATE unsigned slab__slab_order(size_t page_size, unsigned top, size_t stride, size_t lpad,
                                        int map, size_t *objs)
{
    unsigned pref = top < SLAB__PREFERRED_ORDER ? top : SLAB__PREFERRED_ORDER, t, k;
    for (t = 0;; t++) {
        // Tries 0..11 up to pref: 8 objects, waste < 1/16, 1/8, 1/4; then 4, 2, 1 objects.
        // Try 12 up to top: one object, waste < 1/4. Try 13: one object, any order.
        size_t min_objs = t < 12 ? (size_t)8 >> t / 3 : 1;
        unsigned waste_shift = t < 12 ? 4 - t % 3 : t == 12 ? 2 : 0;
        unsigned last = t < 12 ? pref : t == 12 ? top : ~0u;
        for (k = 0; k <= last; k++) {
            size_t bytes = page_size << k, n = slab__fit_slots(bytes, stride, lpad, map);
            *objs = n;
            if (n >= min_objs && (bytes - n * stride) << waste_shift <= bytes)
                return k;
        }
    }
}

// The largest slab order a heap allows: its largest block, and at most SLAB__MAX_SLAB_BYTES.
SLAB__PRIVATE unsigned slab__top_slab_order(const slab_heap *h)
{
    unsigned top = slab__log2(SLAB__MAX_SLAB_BYTES) - h->page_shift, zmax = 0;
    const slab__zone *z;
    for (z = &h->zone; z; z = z->next)
        zmax = z->max_order > zmax ? z->max_order : zmax;
    return top < zmax ? top : zmax;
}

// The alignment objects get: the caller's, or the size's natural one, raised for
// SLAB_HWCACHE_ALIGN (to a fraction of the line for small objects, as the kernel does) and to
// pointer alignment for the free-list link.
SLAB__PRIVATE size_t slab__object_align(size_t size, size_t align, unsigned flags)
{
    if (!align) {
        align = size & (~size + 1); // lowest set bit: the largest power of two dividing size
        if (align > SLAB__MAX_NATURAL_ALIGN)
            align = SLAB__MAX_NATURAL_ALIGN;
    }
    if (flags & SLAB_HWCACHE_ALIGN) {
        size_t line = SLAB__CACHELINE;
        while (size <= line / 2)
            line /= 2;
        if (align < line)
            align = line;
    }
    return align < SLAB__MIN_ALIGN ? SLAB__MIN_ALIGN : align;
}

// Where things are in an object's slot.
typedef struct slab__slot {
    size_t align;    // of the objects (slab__object_align)
    size_t stride;   // bytes per slot
    size_t link_off; // the free-list link
    size_t meta_off; // debug caches: the object's slab__meta
    size_t lpad;     // debug caches: the left red zone, the last bytes of the slot before
    size_t first;    // where a slab's first object starts (after colouring): lpad, aligned
    unsigned top;    // the largest slab order the heap allows (slab__top_slab_order)
    int map;         // slabs end in a state bitmap (SLAB_HARDEN, debug caches)
} slab__slot;

// The debug checks a cache gets: in SLAB_DEBUG builds all of them, or (debug_selective) those
// its flags ask for; none for the heap's own bookkeeping (keep_state), none in release builds.
SLAB__PRIVATE unsigned slab__debug_flags(const slab_heap *h, unsigned flags, int keep_state)
{
    if (!SLAB_DEBUG || keep_state)
        return 0;
    return h->debug_selective ? flags & SLAB__DEBUG_FLAGS : SLAB__DEBUG_FLAGS;
}

// The slot *l of an object of `size` bytes (at most 2^30), aligned by slab__object_align:
//   release:          [ object | link? ]    the link at 0, or after the object (link_after)
//   debug (>>debug):  [ object | red zone | link | meta | left red zone of the next object ]
// Returns how many objects fit the largest slab h allows: 0 when not even one does. Cache
// creation checks with it what cache setup then lays out, so the two always agree.
SLAB__PRIVATE size_t slab__slot_layout(const slab_heap *h, slab__slot *l, size_t size,
                                       size_t align, unsigned flags, int link_after,
                                       unsigned debug)
{
    l->link_off = l->meta_off = l->lpad = l->first = 0; // the other fields are set below
    l->align = align = slab__object_align(size, align, flags);
    if (debug) {
        size_t end;
        l->link_off = slab__align_up(size, SLAB__MIN_RED) + SLAB__MIN_RED;
        l->meta_off = l->link_off + sizeof(void *);
        end = l->meta_off + sizeof(slab__meta);
        l->stride = slab__align_up(end + SLAB__MIN_RED, align);
        l->lpad = l->stride - end;
        l->first = slab__align_up(l->lpad, align);
    } else if (link_after) {
        // Deliberate: the link lives after the object so constructed state survives a free.
        l->link_off = slab__align_up(size, SLAB__MIN_ALIGN);
        l->stride = slab__align_up(l->link_off + sizeof(void *), align);
    } else {
        l->stride = slab__align_up(size < sizeof(void *) ? sizeof(void *) : size, align);
    }
    l->top = slab__top_slab_order(h);
    l->map = SLAB_HARDEN || debug;
    return slab__fit_slots((size_t)1 << h->page_shift << l->top, l->stride, l->first, l->map);
}

// Checks the arguments of a cache; NULL if they are fine, else the reason. Only the program's
// flags are allowed: a kmalloc class passes none (SLAB__KMALLOC changes no layout).
SLAB__PRIVATE SLAB__INLINE const char *slab__cache_args_bad(const slab_heap *h, const char *name,
                                                            size_t size, size_t align,
                                                            unsigned flags, int link_after)
{
    size_t page_size = (size_t)1 << h->page_shift;
    slab__slot l;
    if (!name)
        return "cache name is NULL";
    if (size == 0)
        return "object size is 0";
    if (align && !slab__is_pow2(align))
        return "alignment is not a power of two";
    if (align > page_size)
        return "alignment exceeds the page size";
    if (flags & ~SLAB__KNOWN_FLAGS)
        return "unknown cache flag";
    if (size > SLAB__MAX_SLAB_BYTES)
        return "object too large for a slab of this heap";
    if (!slab__slot_layout(h, &l, size, align, flags, link_after, slab__debug_flags(h, flags, 0)))
        return "object too large for a slab of this heap";
    return NULL;
}

// The inverse of an odd d modulo 2^32, by Newton's iteration (each step doubles the bits).
SLAB__PRIVATE uint32_t slab__inverse32(uint32_t d)
{
    uint32_t x = d; // right to 3 bits: d * d == 1 mod 8 for every odd d
    unsigned i;
    for (i = 0; i < 4; i++)
        x *= 2u - d * x;
    return x;
}

// Lays out a cache whose arguments passed slab__cache_args_bad. keep_state places the link
// after the object even without a constructor (the cache of caches keeps a dead handle's magic).
SLAB__PRIVATE void slab__cache_setup(slab_cache *c, slab_heap *h, const char *name, size_t size,
                                     size_t align, unsigned flags,
                                     void (*ctor)(void *, void *), void *ctx, int keep_state)
{
    size_t page_size = (size_t)1 << h->page_shift, slab_bytes, leftover, n, i;
    unsigned debug;
    slab__slot l;
    SLAB_MEMSET(c, 0, sizeof *c);
    c->heap = h;
    c->object_size = size;
    c->flags = flags;
    c->ctor = ctor;
    c->ctx = ctx;
    debug = slab__debug_flags(h, flags, keep_state);
    slab__slot_layout(h, &l, size, align, flags, ctor || keep_state, debug);
    c->align = l.align;
    c->stride = l.stride;
    c->link_off = l.link_off;
#if SLAB_DEBUG // a release build's slots have none of these: the fields stay zeroed
    c->debug = debug;
    c->meta_off = l.meta_off;
    c->lpad = (uint32_t)l.lpad;
    c->first = (uint32_t)l.first;
#else
    l.first = 0; // said for the compiler's sake
#endif
    c->order = (uint8_t)slab__slab_order(page_size, l.top, c->stride, l.first, l.map, &n);
    slab_bytes = page_size << c->order;
    c->objperslab = (uint32_t)n;
    c->slot_bytes = n * c->stride;
#if SLAB__MAPS
    c->map_bytes = l.map ? (n + 7) / 8 : 0;
#endif
    leftover = slab_bytes - l.first - c->slot_bytes - c->map_bytes;
    c->colour_unit = c->align > SLAB__CACHELINE ? c->align : SLAB__CACHELINE;
    c->colours = (uint32_t)(leftover / c->colour_unit + 1);
    c->div_rot = (uint8_t)slab__ctz32((uint32_t)c->stride); // stride = odd << div_rot
    c->div_inv = slab__inverse32((uint32_t)(c->stride >> c->div_rot));
    c->kmalloc = (flags & SLAB__KMALLOC) != 0;
#if SLAB_THREADS
    slab__lock_init(&c->lock);
    c->cpu = slab__no_cpus;
    c->drain_gen = 1;
#endif
    i = 0;
    slab__fmt_str(c->name, &i, name, 0, SLAB__NAME_LEN - 1); // zeroed: the name ends in NUL
    // Fault injection must see every allocation, so such a heap's caches keep off the fast
    // paths; the heap's own bookkeeping (keep_state) is not injected.
    c->magic = h->inject && !keep_state ? SLAB__CACHE_SLOW : SLAB__CACHE_MAGIC;
}

// The list a slab that is not active belongs on, by its fill (I6).
SLAB__PRIVATE SLAB__OUTLINE unsigned slab__fill_list(const slab_cache *c, uint32_t inuse)
{
    return inuse == 0 ? SLAB__EMPTY : inuse >= c->objperslab ? SLAB__FULL : SLAB__PARTIAL;
}

SLAB__PRIVATE SLAB__OUTLINE void slab__slab_list_add(slab_cache *c, slab__page *pg, unsigned which)
{
    slab__list_push(&c->lists[which], pg);
    c->nr[which]++;
}

SLAB__PRIVATE void slab__slab_list_del(slab_cache *c, slab__page *pg, unsigned which)
{
    slab__list_del(&c->lists[which], pg);
    c->nr[which]--;
}

// The index of the object slot at byte offset soff from a slab's first object, or a number
// >= objperslab when soff is not a slot start. With stride = odd << k: soff = i * stride gives
// soff * inverse(odd) = i << k (mod 2^32), and rotating right by k gives i; any other soff
// leaves low bits that the rotation turns into a huge number (Lemire's divisibility test).
// soff is below 2^30 in a slab, or wrapped around when before it: both fail as they must.
SLAB__PRIVATE SLAB__INLINE uint32_t slab__slot_index(const slab_cache *c, size_t soff)
{
    uint32_t x = (uint32_t)soff * c->div_inv;
    return (x >> c->div_rot) | (x << ((32u - c->div_rot) & 31u));
}

SLAB__PRIVATE int slab__on_stride(const slab_cache *c, size_t soff)
{
    return slab__slot_index(c, soff) < c->objperslab;
}

// The offset of obj from the first object of slab pg, whose head page is page `head` of z.
SLAB__PRIVATE size_t slab__slab_offset(const slab_heap *h, const slab__zone *z, uint32_t head,
                                       const slab__page *pg, const void *obj)
{
    return (size_t)(slab__addr(obj) - slab__addr(z->base)) - ((size_t)head << h->page_shift) -
           pg->colour;
}

// Gives the tail pages of the 2^order-page block at page i of z `state`: SLAB_TAIL names
// the slab's head, a plain TAIL itself (I1).
SLAB__PRIVATE SLAB__OUTLINE void slab__mark_tails(slab__zone *z, uint32_t i, unsigned order,
                                                 unsigned state)
{
    uint32_t t;
    for (t = 1; t < (1u << order); t++) {
        z->pages[i + t].state = (uint8_t)state;
        z->pages[i + t].head = state == SLAB__PG_SLAB_TAIL ? i : i + t;
    }
}

// Runs the constructor on each object of a new slab, the first at obj, and links them all into
// its free list in address order (for locality).
SLAB__PRIVATE void slab__carve(const slab_cache *c, char *obj)
{
    size_t stride = c->stride, link = c->link_off;
    char *last = obj + (size_t)(c->objperslab - 1) * stride, *o;
    if (c->ctor)
        for (o = obj; o <= last; o += stride)
            c->ctor(o, c->ctx);
    for (o = obj; o < last; o += stride)
        *(void **)(void *)(o + link) = o + stride;
    *(void **)(void *)(last + link) = NULL;
}

// Carves a new slab for c from the page heap and runs the constructor on its objects; NULL
// when no block of the slab's order is free (no reclaim: the callers decide).
SLAB__PRIVATE slab__page *slab__slab_new(slab_cache *c)
{
    slab_heap *h = c->heap;
    slab__zone *z = NULL;
    slab__page *pg;
    uint32_t i;
    char *obj;
    SLAB__LOCK(h->pages); // block states are the page heap's: its coalescing reads them
    pg = slab__take(h, c->order, &z, 0);
    if (!pg) {
        SLAB__UNLOCK(h->pages);
        return NULL;
    }
    i = slab__index(z, pg);
    pg->state = SLAB__PG_SLAB;
    pg->active = 0;
    pg->cache = c;
    SLAB__STORE(pg->inuse, 0);
    pg->colour = (uint32_t)(c->colour_next * c->colour_unit + c->first);
    slab__mark_tails(z, i, c->order, SLAB__PG_SLAB_TAIL);
    SLAB__UNLOCK(h->pages);
    c->colour_next = c->colour_next + 1 < c->colours ? c->colour_next + 1 : 0;
    obj = slab__page_addr(h, z, pg) + pg->colour;
    SLAB__STORE(pg->freelist, (void *)obj);
    SLAB__OPEN(obj - pg->colour, (size_t)1 << h->page_shift << c->order);
    slab__carve(c, obj);
#if SLAB__HOOKS
    slab__slab_prepare(c, obj - pg->colour, pg);
#endif
    c->nr_slabs++;
    c->slab_pages += slab__order_pages(c->order);
    return pg;
}

// Returns an empty slab that is on no list to the page heap.
SLAB__PRIVATE void slab__slab_release(slab_cache *c, slab__page *pg)
{
    slab__zone *z = slab__zone_of_page(c->heap, pg);
    uint32_t i = slab__index(z, pg);
    SLAB_ASSERT(pg->inuse == 0 && pg->state == SLAB__PG_SLAB);
    c->nr_slabs--;
    c->slab_pages -= slab__order_pages(pg->order);
    SLAB__STORE(pg->freelist, (void *)NULL);
    SLAB__LOCK(c->heap->pages);
    slab__mark_tails(z, i, pg->order, SLAB__PG_TAIL);
    pg->cache = NULL;
    pg->colour = 0;
    slab__buddy_give(z, i, pg->order, 1);
    SLAB__UNLOCK(c->heap->pages);
}

// Puts the active slab *active back on its list, if there is one (I6).
SLAB__PRIVATE void slab__active_put(slab_cache *c, slab__page **active)
{
    if (*active) {
        (*active)->active = 0;
        slab__slab_list_add(c, *active, slab__fill_list(c, (*active)->inuse));
        *active = NULL;
    }
}

// Makes *active (the cache's active slab or a thread's) one with a free object: the old one
// is parked on its list, then a partial, an empty or a new slab takes its place. Returns it, or
// NULL for want of pages (the callers reclaim, with the cache's lock let go, and try again).
SLAB__PRIVATE slab__page *slab__refill(slab_cache *c, slab__page **active)
{
    slab__page *pg;
    // The old active slab, or one that an allocation from inside a shrinker made active while
    // reclaim ran, goes to its list first.
    slab__active_put(c, active);
    if ((pg = c->lists[SLAB__PARTIAL] ? c->lists[SLAB__PARTIAL] : c->lists[SLAB__EMPTY]))
        slab__slab_list_del(c, pg, slab__fill_list(c, pg->inuse));
    else if ((pg = slab__slab_new(c)) == NULL)
        return NULL;
    pg->active = 1;
    *active = pg;
    return pg;
}

// *active when it has a free object, else a refilled one; NULL for want of pages.
SLAB__PRIVATE slab__page *slab__active_with_free(slab_cache *c, slab__page **active)
{
    slab__page *pg = *active;
    return pg && pg->freelist ? pg : slab__refill(c, active);
}

// Pops the first free object of slab pg, which has one.
SLAB__PRIVATE void *slab__pop(slab_cache *c, slab__page *pg)
{
    void *obj = pg->freelist;
    SLAB__STORE(pg->freelist, slab__link_get(obj, c->link_off));
    SLAB__STORE(pg->inuse, pg->inuse + 1);
    c->inuse_objs++;
    return obj;
}

// Takes up to max objects off the free list of slab pg into out, in one pass. Returns how many.
SLAB__PRIVATE SLAB__OUTLINE size_t slab__take_run(slab_cache *c, slab__page *pg, void **out,
                                                  size_t max)
{
    void *obj = pg->freelist;
    size_t n = 0, link = c->link_off; // a local: the stores to out[] may alias c
    for (; obj && n < max; n++) {
        out[n] = obj;
        obj = slab__link_get(obj, link);
    }
    SLAB__STORE(pg->freelist, obj);
    SLAB__STORE(pg->inuse, pg->inuse + (uint32_t)n);
    c->inuse_objs += n;
    return n;
}

// An object of c from its slabs, the active slab refilled if need be; NULL for want of pages.
SLAB__PRIVATE void *slab__slab_alloc(slab_cache *c)
{
    slab__page *pg = slab__active_with_free(c, &c->active);
    return pg ? slab__pop(c, pg) : NULL;
}

// Frees took pg (not active) from list `from` to list `to` (full, partial, empty): move it,
// and give the slab back when it is empty and the cache already keeps SLAB__KEEP_EMPTY of those.
SLAB__PRIVATE SLAB__INLINE void slab__relist(slab_cache *c, slab__page *pg, unsigned from,
                                             unsigned to)
{
    slab__slab_list_del(c, pg, from);
    if (to == SLAB__EMPTY && c->nr[SLAB__EMPTY] >= SLAB__KEEP_EMPTY) {
        slab__slab_release(c, pg);
        return;
    }
    slab__slab_list_add(c, pg, to);
}

// The head of the slab page holding obj if obj lies in the pages of one of h's zones (*zp
// gets the zone), else NULL. O(1) in the first region: the descriptor names the slab (I1).
SLAB__PRIVATE slab__page *slab__page_of(slab_heap *h, const void *obj, const slab__zone **zp)
{
    const slab__zone *z = &h->zone;
    size_t off = (size_t)(slab__addr(obj) - slab__addr(z->base));
    if (SLAB__UNLIKELY(off >= z->span)) {
        z = slab__zone_of_addr(h, slab__addr(obj));
        if (!z || (off = (size_t)(slab__addr(obj) - slab__addr(z->base))) >= z->span)
            return NULL;
    }
    *zp = z;
    return &z->pages[z->pages[off >> h->page_shift].head];
}

// The slab of obj when obj looks like an allocated object of the live cache c: on an object
// boundary of one of c's slabs, and neither at the head of its free list nor in an empty slab.
// NULL otherwise.
SLAB__PRIVATE SLAB__INLINE slab__page *slab__obj_slab(const slab_cache *c, const void *obj)
{
    const slab__zone *z = NULL;
    slab__page *pg = slab__page_of(c->heap, obj, &z);
    if (!pg || pg->cache != c ||
        !slab__on_stride(c, slab__slab_offset(c->heap, z, slab__index(z, pg), pg, obj)) ||
        obj == SLAB__LOAD(pg->freelist) || SLAB__LOAD(pg->inuse) == 0)
        return NULL;
    return pg;
}

// The calling thread's magazine for c: the one the fast paths use. When shrink or reclaim
// asked every thread to drain (c->drain_gen), none: the slow path drains, then serves.
SLAB__PRIVATE slab__mag *slab__my_mag(slab_cache *c)
{
#if SLAB_THREADS
    const slab__cpu *cpu = &SLAB__LOAD_ACQ(c->cpu)[slab__fast_tid()];
    return SLAB__LIKELY(cpu->gen == SLAB__LOAD(c->drain_gen)) ? cpu->loaded : &slab__no_mag;
#else
    return &c->mag;
#endif
}

#if SLAB_THREADS
// Bonwick's exchange of a thread's loaded and previous magazines. It needs no lock: no other
// thread writes the calling thread's slot (statistics read it, and dedupe what they read).
SLAB__PRIVATE void slab__cpu_swap(slab__cpu *cpu)
{
    slab__mag *m = cpu->prev;
    SLAB__STORE(cpu->prev, cpu->loaded);
    SLAB__STORE(cpu->loaded, m);
}
#endif

#if SLAB_THREADS
// The swap on a miss of the fast paths (SLAB_THREADS), which the slow paths try first, with no
// lock: the loaded magazine afterwards, with an object for an allocation or room for a free;
// NULL when the previous one has neither, or the thread has no magazines of c. Done there, the
// fast paths end in tail calls and keep no stack frame.
SLAB__PRIVATE slab__mag *slab__swapped_mag(slab_cache *c, int for_free)
{
    slab__cpu *cpu = &SLAB__LOAD_ACQ(c->cpu)[slab__fast_tid()];
    slab__mag *m = cpu->prev;
    if (cpu->gen != SLAB__LOAD(c->drain_gen) || (for_free ? m->count || !m->size : !m->count))
        return NULL;
    slab__cpu_swap(cpu);
    return m;
}
#endif

// The objects magazine m can hold.
SLAB__PRIVATE uint32_t slab__mag_room_of(const slab__mag *m)
{
    return SLAB_THREADS ? m->size : SLAB__MAG_SIZE;
}

// Whether magazine m has room for one more object.
SLAB__PRIVATE int slab__mag_room(const slab__mag *m)
{
    return m->count < slab__mag_room_of(m);
}

// slab__obj_slab for a free: obj must also not be the object freed last (in the magazine).
// These are the O(1) double-free checks, as the kernel's freelist hardening does.
SLAB__PRIVATE slab__page *slab__freeable(slab_cache *c, const void *obj)
{
    const slab__mag *m = slab__my_mag(c);
    if (m->obj[m->count] == obj)
        return NULL;
    return slab__obj_slab(c, obj);
}

// The first byte of the slab that holds pg, one of c's slabs.
SLAB__PRIVATE char *slab__slab_base(const slab_cache *c, const slab__page *pg)
{
    return slab__page_addr(c->heap, slab__zone_of_page(c->heap, pg), pg);
}

// Pushes the objects objs[0..n-1] (NULLs skipped), known to be live objects of c, onto their
// slabs' free lists, a run of objects of one slab at a time: a batch often comes from one slab,
// and a run costs one lookup and one list move. With `hooks`, each object passes slab__on_free
// first (which may refuse it). Returns the number pushed.
SLAB__PRIVATE size_t slab__push_many(slab_cache *c, void *const *objs, size_t n, int hooks)
{
    size_t i = 0, pushed = 0, span = (size_t)1 << c->heap->page_shift << c->order;
    size_t link = c->link_off; // a local: the links stored may alias c and objs
    (void)hooks;
    while (i < n) {
        const slab__zone *z = NULL;
        slab__page *pg;
        uintptr_t lo;
        uint32_t was, k = 0;
        unsigned from, to;
        void *head;
        if (!objs[i]) {
            i++;
            continue;
        }
        pg = slab__page_of(c->heap, objs[i], &z);
        lo = slab__addr(slab__page_addr(c->heap, z, pg));
        was = pg->inuse;
        head = pg->freelist;
        for (; i < n; i++) {
            void *obj = objs[i];
            if (!obj || slab__addr(obj) - lo >= span)
                break;
#if SLAB__HOOKS
            if (hooks && !slab__on_free(c, obj))
                continue;
#endif
            slab__link_set(obj, link, head);
            head = obj;
            k++;
        }
        SLAB__STORE(pg->freelist, head);
        SLAB__STORE(pg->inuse, was - k);
        c->inuse_objs -= k;
        pushed += k;
        from = slab__fill_list(c, was);
        to = slab__fill_list(c, pg->inuse);
        if (!pg->active && from != to)
            slab__relist(c, pg, from, to);
    }
    return pushed;
}

// Returns the n oldest objects of magazine m to their slabs, at least half of them: the rest
// then move down in one copy, with no overlap.
SLAB__PRIVATE void slab__mag_flush(slab_cache *c, slab__mag *m, uint32_t n)
{
    uint32_t keep = m->count - n;
    if (!n)
        return;
    SLAB_ASSERT(keep <= n);
    slab__push_many(c, m->obj + 1, n, 0);
    SLAB_MEMCPY(m->obj + 1, m->obj + 1 + n, keep * sizeof *m->obj);
    SLAB__STORE(m->count, keep);
}

// Fills the empty magazine m with up to half its room of objects from the slabs, making the
// active slab (*active: the cache's or the thread's) a new one only when it has none. Returns
// how many it got (0: no pages).
SLAB__PRIVATE uint32_t slab__mag_fill(slab_cache *c, slab__mag *m, slab__page **active)
{
    size_t n = m->count, half = slab__mag_room_of(m) / 2;
    while (n < half) {
        slab__page *pg = *active;
        if ((!pg || !pg->freelist) && (n || (pg = slab__refill(c, active)) == NULL))
            break;
        n += slab__take_run(c, pg, (void **)m->obj + n + 1, half - n);
    }
    SLAB__STORE(m->count, (uint32_t)n);
    return m->count;
}

#if SLAB_THREADS
#define SLAB__DEPOT_MAX 8u // magazines of each kind a depot keeps; more go back to the slabs
// Objects a thread's refills took with no magazine filled by its frees in between: a thread that
// only takes (a producer whose consumer frees), which gets other threads' full magazines. A
// thread that frees its own objects as well takes hundreds in a row now and then (a size
// class's share of its working set drifts, refilled from partial slabs a few objects at a time)
// and must not get them: its objects would spread over the other thread's pages. Fewer (8
// refills, 512 objects) left 44-214 of a thread's 820-905 pages holding both threads' objects
// in make bench-layout (797 and none now); a producer only pays a slower start, and a full
// depot serves it anyway.
#define SLAB__TAKER 32u // magazines' worth of objects

// The room of c's magazines: SLAB__MAG_SIZE objects, fewer of large objects (SLAB__MAG_BYTES).
SLAB__PRIVATE uint32_t slab__mag_cap(const slab_cache *c)
{
    size_t n = SLAB__MAG_BYTES / c->object_size;
    return n >= SLAB__MAG_SIZE ? SLAB__MAG_SIZE : n > SLAB__MAG_MIN ? (uint32_t)n : SLAB__MAG_MIN;
}

// The objects a thread's refills take from c before it counts as a taker.
SLAB__PRIVATE unsigned slab__taker_bound(const slab_cache *c)
{
    return SLAB__TAKER * slab__mag_cap(c);
}

// Whether this thread keeps magazines for c: the heap's own caches go to their slabs directly
// (their magazines would come from one of them), and so do threads without a number.
SLAB__PRIVATE int slab__has_mags(const slab_cache *c)
{
    return slab__tid != 0 && !(c->flags & SLAB__INTERNAL) && c != &c->heap->cache_cache;
}

// A new empty magazine, or slab__no_mag when there is no memory for one (no reclaim: the
// caller holds c's lock, and can do without).
SLAB__PRIVATE slab__mag *slab__mag_new(slab_cache *c)
{
    slab__mag *m;
    slab__tcall.trying++;
    m = (slab__mag *)slab_cache_alloc(&c->heap->mag_cache);
    slab__tcall.trying--;
    if (!m)
        return &slab__no_mag;
    m->count = 0;
    m->size = slab__mag_cap(c);
    m->next = NULL;
    m->obj[0] = NULL;
    return m;
}

// Gives the empty magazine m to the depot, or back to the heap when the depot has enough.
SLAB__PRIVATE void slab__depot_put_empty(slab_cache *c, slab__mag *m)
{
    if (!m->size)
        return;
    if (c->depot_nempty >= SLAB__DEPOT_MAX) {
        slab_cache_free(&c->heap->mag_cache, m);
        return;
    }
    m->next = c->depot_empty;
    c->depot_empty = m;
    c->depot_nempty++;
}

// Gives magazine m, with objects, to the depot; when the depot holds enough, its objects go
// back to their slabs instead.
SLAB__PRIVATE void slab__depot_put_full(slab_cache *c, slab__mag *m)
{
    if (c->depot_nfull >= SLAB__DEPOT_MAX) {
        slab__mag_flush(c, m, m->count);
        slab__depot_put_empty(c, m);
        return;
    }
    m->owner = slab__tid;
    m->next = c->depot_full;
    c->depot_full = m;
    c->depot_nfull++;
}

SLAB__PRIVATE slab__mag *slab__depot_take(slab__mag **list, uint32_t *n)
{
    slab__mag *m = *list;
    if (m) {
        *list = m->next;
        (*n)--;
    }
    return m;
}

// A full magazine from the depot: one the calling thread gave; else the newest, when any is set
// (the thread only takes: a producer whose consumer frees) or the depot is full; else NULL, and
// the slabs serve. A thread that frees as much as it allocates and takes other threads'
// magazines spreads its working set over their pages: make bench-layout counted 1,200 pages a
// thread instead of 800, two thirds of them holding both threads' objects.
SLAB__PRIVATE slab__mag *slab__depot_take_full(slab_cache *c, int any)
{
    slab__mag **p = &c->depot_full;
    while (*p && (*p)->owner != slab__tid)
        p = &(*p)->next;
    if (!*p && !any && c->depot_nfull < SLAB__DEPOT_MAX)
        return NULL;
    return slab__depot_take(*p ? p : &c->depot_full, &c->depot_nfull);
}

// Counts the objects a refill put in the calling thread's loaded magazine m, up to the taker
// bound (slab__taker_bound).
SLAB__PRIVATE slab__mag *slab__cpu_took(slab__cpu *cpu, slab__mag *m, unsigned bound)
{
    if (cpu->taken < bound)
        cpu->taken += m->count;
    return m;
}

// Loads the full magazine m: the loaded one, empty, becomes the previous one, and the empty
// previous one goes to the depot.
SLAB__PRIVATE slab__mag *slab__cpu_load_full(slab_cache *c, slab__cpu *cpu, slab__mag *m)
{
    if (cpu->loaded->size) {
        slab__depot_put_empty(c, cpu->prev);
        cpu->prev = cpu->loaded;
    }
    cpu->loaded = m;
    return m;
}

// Returns the objects of a thread's magazines to their slabs, and its active slab to its list;
// the magazines stay its own.
SLAB__PRIVATE void slab__cpu_flush(slab_cache *c, slab__cpu *cpu)
{
    slab__mag_flush(c, cpu->loaded, cpu->loaded->count);
    slab__mag_flush(c, cpu->prev, cpu->prev->count);
    slab__active_put(c, &cpu->active); // within reach of shrink and of the other threads
    cpu->gen = c->drain_gen;
}

// Empties a thread's magazines and gives them up: the thread exits, or c goes away.
SLAB__PRIVATE void slab__cpu_release(slab_cache *c, slab__cpu *cpu)
{
    slab__cpu_flush(c, cpu);
    if (cpu->loaded->size)
        slab_cache_free(&c->heap->mag_cache, cpu->loaded);
    if (cpu->prev->size)
        slab_cache_free(&c->heap->mag_cache, cpu->prev);
    cpu->loaded = cpu->prev = &slab__no_mag;
    cpu->taken = 0; // the next thread with this number starts afresh (its slab went back)
}

// Returns the depot's objects to their slabs and its magazines to the heap.
SLAB__PRIVATE void slab__depot_drain(slab_cache *c)
{
    slab__mag *m;
    while ((m = slab__depot_take(&c->depot_full, &c->depot_nfull)) != NULL) {
        slab__mag_flush(c, m, m->count);
        slab_cache_free(&c->heap->mag_cache, m);
    }
    while ((m = slab__depot_take(&c->depot_empty, &c->depot_nempty)) != NULL)
        slab_cache_free(&c->heap->mag_cache, m);
}

// Gives c its per-thread slots (the caller holds c's lock); 0 when there is no memory for
// them (the calling thread then works without magazines, and asks again next time).
SLAB__PRIVATE int slab__cpus_new(slab_cache *c)
{
    slab__cpu *cpus;
    unsigned t;
    slab__tcall.trying++;
    cpus = (slab__cpu *)slab_cache_alloc(&c->heap->cpu_cache);
    slab__tcall.trying--;
    if (!cpus)
        return 0;
    for (t = 0; t < SLAB__CPU_SLOTS; t++) {
        cpus[t].loaded = cpus[t].prev = &slab__no_mag;
        cpus[t].gen = t ? c->drain_gen : 0; // slot 0, no number: the fast paths always miss
        cpus[t].taken = 0;
        cpus[t].active = NULL;
    }
    SLAB__STORE_REL(c->cpu, cpus); // the fast paths read it without the lock
    return 1;
}

// The calling thread's cpu slot of c (NULL: none can be had), after honouring a drain request
// (shrink and reclaim raise c->drain_gen; every thread's next call on c comes here and returns
// its objects).
SLAB__PRIVATE slab__cpu *slab__my_cpu(slab_cache *c)
{
    slab__cpu *cpu;
    if (c->cpu == slab__no_cpus && !slab__cpus_new(c))
        return NULL;
    cpu = &c->cpu[slab__tid];
    if (SLAB__UNLIKELY(cpu->gen != c->drain_gen))
        slab__cpu_flush(c, cpu);
    return cpu;
}

// The calling thread's slot of c without a drain, or NULL when c has no slots or the thread
// no number (slot 0 holds no objects).
SLAB__PRIVATE slab__cpu *slab__own_cpu(slab_cache *c)
{
    return slab__tid && c->cpu != slab__no_cpus ? &c->cpu[slab__tid] : NULL;
}
#endif

// The active slab that the calling thread's allocations from c's slabs use: its own
// (SLAB_THREADS, a thread with magazines of c), else the cache's.
SLAB__PRIVATE slab__page **slab__my_active(slab_cache *c)
{
#if SLAB_THREADS
    slab__cpu *cpu = slab__has_mags(c) ? slab__own_cpu(c) : NULL;
    if (cpu)
        return &cpu->active;
#endif
    return &c->active;
}

// c's active slabs (I6), i = 0 .. SLAB__ACTIVES - 1: the cache's, then (SLAB_THREADS) those of
// the thread slots; NULL where there is none. The caller holds c's lock.
#if SLAB_THREADS
#define SLAB__ACTIVES (1u + SLAB__CPU_SLOTS)
#else
#define SLAB__ACTIVES 1u
#endif
SLAB__PRIVATE const slab__page *slab__active_at(const slab_cache *c, unsigned i)
{
#if SLAB_THREADS
    return i ? c->cpu[i - 1].active : c->active;
#else
    (void)i; // SLAB__ACTIVES is 1
    return c->active;
#endif
}

#if SLAB_THREADS

// Puts every thread's active slab back on its list (the caller holds c's lock, which guards
// them): shrink and reclaim then release the empty ones, and the free objects of the others
// are within every thread's reach, not only their owner's. A thread's next refill takes an
// active slab again, as it does after its drain.
SLAB__PRIVATE void slab__actives_put(slab_cache *c)
{
    unsigned t;
    for (t = 0; t < SLAB__CPU_SLOTS; t++)
        slab__active_put(c, &c->cpu[t].active);
}

// Empties every thread's magazines of c and gives them up, then the slots: no thread may
// use c any more (it is being destroyed).
SLAB__PRIVATE void slab__cpus_release(slab_cache *c)
{
    unsigned t;
    if (c->cpu == slab__no_cpus)
        return;
    for (t = 1; t < SLAB__CPU_SLOTS; t++)
        slab__cpu_release(c, &c->cpu[t]);
    slab_cache_free(&c->heap->cpu_cache, c->cpu);
    c->cpu = slab__no_cpus;
}

#endif

// The calling thread's magazine for an allocation from c (the caller holds c's lock), with
// objects when any could be had: from the previous magazine, the depot or the slabs (Bonwick).
// NULL when this thread keeps no magazine for c: the object comes from a slab directly.
SLAB__PRIVATE slab__mag *slab__mag_for_alloc(slab_cache *c)
{
#if SLAB_THREADS
    slab__cpu *cpu;
    slab__mag *m;
    unsigned taker;
    if (!slab__has_mags(c) || (cpu = slab__my_cpu(c)) == NULL)
        return NULL;
    if (cpu->loaded->count)
        return cpu->loaded;
    if (cpu->prev->count) {
        slab__cpu_swap(cpu);
        return cpu->loaded;
    }
    taker = slab__taker_bound(c);
    if ((m = slab__depot_take_full(c, cpu->taken >= taker)) != NULL)
        return slab__cpu_took(cpu, slab__cpu_load_full(c, cpu, m), taker);
    if (!cpu->loaded->size && !(cpu->loaded = slab__mag_new(c))->size)
        return NULL;
    if (!slab__mag_fill(c, cpu->loaded, &cpu->active) &&
        (m = slab__depot_take_full(c, 1)) != NULL) // no pages: another thread's objects, then
        return slab__cpu_took(cpu, slab__cpu_load_full(c, cpu, m), taker);
    return slab__cpu_took(cpu, cpu->loaded, taker);
#else
    slab__mag *m = &c->mag;
    if (!m->count)
        slab__mag_fill(c, m, &c->active);
    return m;
#endif
}

// The calling thread's magazine for a free to c (the caller holds c's lock), with room for one
// more object; NULL when this thread keeps no magazine for c: the object goes to its slab.
SLAB__PRIVATE slab__mag *slab__mag_for_free(slab_cache *c)
{
#if SLAB_THREADS
    slab__cpu *cpu;
    slab__mag *m, *e;
    if (!slab__has_mags(c) || (cpu = slab__my_cpu(c)) == NULL)
        return NULL;
    m = cpu->loaded;
    if (m->count < m->size)
        return m;
    if (m->size)
        cpu->taken = 0; // its frees filled a magazine: no thread that only takes
    if (cpu->prev->size && !cpu->prev->count) {
        slab__cpu_swap(cpu);
        return cpu->loaded;
    }
    if (!m->size) // no magazine yet
        return (cpu->loaded = slab__mag_new(c))->size ? cpu->loaded : NULL;
    // Both full: the previous one goes to the depot, an empty one takes the loaded one's place.
    e = slab__depot_take(&c->depot_empty, &c->depot_nempty);
    if (!e && !(e = slab__mag_new(c))->size) { // no memory for one: make room in this one
        slab__mag_flush(c, m, (m->count + 1) / 2); // at least half: an odd room is possible
        return m;
    }
    if (cpu->prev->size)
        slab__depot_put_full(c, cpu->prev);
    cpu->prev = m;
    cpu->loaded = e;
    return e;
#else
    if (c->mag.count == SLAB__MAG_SIZE)
        slab__mag_flush(c, &c->mag, SLAB__MAG_SIZE / 2);
    return &c->mag;
#endif
}

// Frees obj (the caller holds c's lock) if it is a freeable object of the live cache c.
// Returns 1, 0 when obj is not freeable (the caller says why), or -1 when a check refused and
// reported it.
SLAB__PRIVATE int slab__put(slab_cache *c, void *obj)
{
    slab__mag *m;
    if (SLAB__UNLIKELY(!slab__freeable(c, obj)))
        return 0;
#if SLAB__HOOKS
    if (!slab__on_free(c, obj))
        return -1;
#endif
    if ((m = slab__mag_for_free(c)) != NULL) {
        m->obj[m->count + 1] = obj;
        SLAB__STORE(m->count, m->count + 1);
    } else {
        slab__push_many(c, &obj, 1, 0);
    }
    return 1;
}

// slab__put with c's lock taken.
SLAB__PRIVATE int slab__put_locked(slab_cache *c, void *obj)
{
    int r;
    SLAB__LOCK(c->lock);
    r = slab__put(c, obj);
    SLAB__UNLOCK(c->lock);
    return r;
}

// The fast paths' pop and push on the calling thread's magazine, with no checks and no hooks.
SLAB__PRIVATE void *slab__mag_pop(slab__mag *m)
{
    uint32_t n = m->count;
    SLAB__STORE(m->count, n - 1);
    return m->obj[n];
}

SLAB__PRIVATE void slab__mag_push(slab__mag *m, void *obj)
{
    uint32_t n = m->count + 1;
    m->obj[n] = obj;
    SLAB__STORE(m->count, n);
}

// The O(1) free checks of the fast paths, in the first region only (elsewhere: the slow path):
// obj is an object start of one of c's slabs, neither the head of its slab's free list, nor in
// an empty slab, nor the object freed last (the top of m, this thread's magazine). pg is obj's
// slab head, head its index, off obj's offset from the region's first page.
SLAB__PRIVATE SLAB__FAST_INLINE int slab__fast_freeable(const slab_cache *c, const slab_heap *h,
                                                        const slab__page *pg, uint32_t head,
                                                        size_t off, const void *obj,
                                                        const slab__mag *m)
{
    return pg->cache == c &&
           slab__slot_index(c, off - ((size_t)head << h->page_shift) - pg->colour) <
               c->objperslab &&
           obj != SLAB__LOAD(pg->freelist) && SLAB__LOAD(pg->inuse) != 0 &&
           obj != m->obj[m->count];
}

// Says why obj cannot be freed to the live cache c.
SLAB__PRIVATE slab_error slab__diagnose(const slab_cache *c, const void *obj, const char **msg)
{
    slab_heap *h = c->heap;
    slab__zone *z = NULL;
    slab__page *pg = NULL;
    slab_error code = slab__locate(h, obj, &z, &pg, msg);
    if (code != SLAB_ERR_OK)
        return code;
    // Reached only after slab__freeable refused obj: on stride in its own slab, it is free.
    if (pg->state == SLAB__PG_FREE) {
        *msg = "pointer into free pages";
    } else if (pg->state != SLAB__PG_SLAB) {
        *msg = "pointer into a page block, not an object";
    } else if (pg->cache != c) {
        *msg = "object belongs to another cache";
        return SLAB_ERR_WRONG_CACHE;
    } else if (!slab__on_stride(c, slab__slab_offset(h, z, slab__index(z, pg), pg, obj))) {
        *msg = "pointer is not the start of an object";
    } else {
        *msg = "object is already free";
        return SLAB_ERR_DOUBLE_FREE;
    }
    return SLAB_ERR_INVALID_POINTER;
}

// Reports a free to the live cache c that slab__obj_slab refused.
SLAB__PRIVATE void slab__free_refused(slab_cache *c, const void *obj)
{
    const char *msg = "";
    slab_error code = slab__diagnose(c, obj, &msg);
#if SLAB__HOOKS
    if (code == SLAB_ERR_WRONG_CACHE) { // name both: the cache it went to, and its own
        const slab__zone *z = NULL;
        const slab__page *pg = slab__page_of(c->heap, obj, &z);
        char buf[SLAB__LINE];
        size_t pos = 0;
        slab__fmt_str(buf, &pos, "object freed to cache '", 0, 23);
        slab__fmt_str(buf, &pos, c->name, 0, SLAB__NAME_LEN);
        slab__fmt_str(buf, &pos, "' belongs to another cache", 0, 26);
        buf[pos] = '\0';
        slab__report_obj(pg->cache, obj, code, buf);
        return;
    }
    slab__report_obj(c, obj, code, msg); // with the cache's name (and call sites, if any)
#else
    slab__report(c->heap, code, obj, msg);
#endif
}

SLAB__PRIVATE SLAB__OUTLINE void slab__cache_oom(slab_cache *c)
{
    slab__oom(c->heap, c, "no pages left for a new slab", c->flags);
}

// Creates a cache in h after its arguments were checked; NULL (reported) without memory.
SLAB__PRIVATE slab_cache *slab__cache_new(slab_heap *h, const char *name, size_t size, size_t align,
                                          unsigned flags, void (*ctor)(void *, void *), void *ctx,
                                          slab_cache **slot)
{
    slab_cache *c;
    SLAB__LOCK(h->admin);
    c = (slab_cache *)slab_cache_alloc(&h->cache_cache);
    // The cache for *slot (a kmalloc class, the shrinkers') may have been made meanwhile, by
    // another thread or by a shrinker run by this allocation's reclaim: there is only one.
    if (c && slot && *slot) {
        slab_cache_free(&h->cache_cache, c);
        c = *slot;
    } else if (c) {
        slab__cache_setup(c, h, name, size, align, flags, ctor, ctx, 0);
        c->prev = &h->cache_cache; // after the cache of caches, which stays first
        c->next = h->cache_cache.next;
        if (c->next)
            c->next->prev = c;
        h->cache_cache.next = c;
        h->num_caches++;
        if (slot)
            SLAB__STORE_REL(*slot, c); // the fast path reads it without the lock
    }
    SLAB__UNLOCK(h->admin);
    return c;
}

SLAB_API slab_cache *slab_cache_create(slab_heap *h, const char *name, size_t size, size_t align,
                                       unsigned flags, void (*ctor)(void *obj, void *ctx),
                                       void *ctx)
{
    const char *bad;
    if (!slab__heap_ok(h))
        return NULL;
    bad = slab__cache_args_bad(h, name, size, align, flags, ctor != NULL);
    if (bad) {
        slab__report(h, SLAB_ERR_INVALID_ARG, name, bad);
        return NULL;
    }
    return slab__cache_new(h, name, size, align, flags, ctor, ctx, NULL);
}

// Gives up to n slabs of c's empty list back to the page heap, the latest listed first.
SLAB__PRIVATE void slab__release_listed_empty(slab_cache *c, size_t n)
{
    slab__page *pg;
    while (n-- && (pg = c->lists[SLAB__EMPTY]) != NULL) {
        slab__slab_list_del(c, pg, SLAB__EMPTY);
        slab__slab_release(c, pg);
    }
}

// Gives the cache's empty slabs, the active one included, back to the page heap, after the
// objects of the magazines within reach (the caller's, the depot's; the caller holds c's lock).
// Other threads return theirs on their next call on c (drain_gen).
SLAB__PRIVATE size_t slab__release_empty(slab_cache *c)
{
    size_t before = c->slab_pages; // flushing magazines may release slabs too
#if SLAB_THREADS
    // The fast paths read it without the lock; 0 is the gen of slots that never match.
    SLAB__STORE(c->drain_gen, c->drain_gen + 1 ? c->drain_gen + 1 : 1u);
    slab__depot_drain(c);
    slab__cpu *own = slab__own_cpu(c);
    if (own)
        slab__cpu_flush(c, own);
    slab__actives_put(c);
#else
    slab__mag_flush(c, &c->mag, c->mag.count);
#endif
    slab__release_listed_empty(c, SIZE_MAX);
    if (c->active && c->active->inuse == 0) {
        slab__slab_release(c, c->active);
        c->active = NULL;
    }
    return before - c->slab_pages;
}

// Objects in c's magazines; every thread's with `all` (SLAB_THREADS), else only the calling
// thread's and the depot's, whose contents this thread may read. The caller holds c's lock.
SLAB__PRIVATE size_t slab__cached(const slab_cache *c, int all);

// Objects the program holds: those the slabs count as in use, less those in magazines.
SLAB__PRIVATE size_t slab__active_objs(const slab_cache *c)
{
    return c->inuse_objs - slab__cached(c, 1);
}

SLAB_API slab_error slab_cache_destroy(slab_cache *c)
{
    slab_heap *h;
    size_t live;
    if (!slab__cache_ok(c))
        return SLAB_ERR_BAD_HANDLE;
    h = c->heap;
    if (c->flags & (SLAB__KMALLOC | SLAB__INTERNAL)) {
        slab__report(h, SLAB_ERR_INVALID_ARG, c, "the heap's own caches cannot be destroyed");
        return SLAB_ERR_INVALID_ARG;
    }
    SLAB__LOCK(h->admin);
    SLAB__LOCK(c->lock);
    live = slab__active_objs(c);
    if (live) { // the count, then (state bits) the first live objects one by one
        slab__report_leak(h, c, live, " live objects in cache ", 0);
        SLAB__UNLOCK(c->lock);
        SLAB__UNLOCK(h->admin);
        return SLAB_ERR_BUSY;
    }
#if SLAB_THREADS
    slab__cpus_release(c); // no thread may use c any more: its magazines are within reach
#endif
    slab__release_empty(c);
    SLAB_ASSERT(c->nr_slabs == 0);
    SLAB__UNLOCK(c->lock);
    c->prev->next = c->next; // the cache of caches is first, so prev is never NULL
    if (c->next)
        c->next->prev = c->prev;
    h->num_caches--;
    c->magic = SLAB__DEAD_MAGIC;
    slab_cache_free(&h->cache_cache, c);
    SLAB__UNLOCK(h->admin);
    return SLAB_ERR_OK;
}

// An object of c for the slow path (the caller holds c's lock): from the calling thread's
// magazines, the depot or the slabs. NULL for want of pages.
SLAB__PRIVATE void *slab__take_obj(slab_cache *c)
{
    slab__mag *m = slab__mag_for_alloc(c);
    void *obj;
    if (!m)
        obj = slab__slab_alloc(c);
    else
        obj = m->count ? slab__mag_pop(m) : NULL;
#if SLAB__HOOKS
    if (obj)
        slab__on_alloc(c, obj);
#endif
    return obj;
}

// Allocation when the fast path cannot serve: an empty magazine, a heap with fault injection
// or hooks, or a handle that is not a live cache. Reclaims once, with no lock held, when the
// pages run out.
SLAB__PRIVATE SLAB__COLD void *slab__alloc_slow(slab_cache *c)
{
    void *obj;
    int tries = 0;
    if (!slab__cache_ok(c))
        return NULL;
#if SLAB_THREADS
    {
        slab__mag *m;
        if (SLAB__FAST && c->magic == SLAB__CACHE_MAGIC && (m = slab__swapped_mag(c, 0)) != NULL)
            return slab__mag_pop(m);
    }
#endif
    // The heap's own bookkeeping is never injected (as failslab spares its cache of caches).
    if (!(c->flags & SLAB__INTERNAL) && slab__injected(c->heap, c, c->object_size, c->flags))
        return NULL;
    SLAB__NUMBER_THREAD();
    for (;;) {
        SLAB__LOCK(c->lock);
        obj = slab__take_obj(c);
        SLAB__UNLOCK(c->lock);
        if (obj || tries++ || !slab__reclaim(c->heap))
            break;
    }
    if (!obj)
        slab__cache_oom(c);
    return obj;
}

SLAB_API void *slab_cache_alloc(slab_cache *c)
{
    if (SLAB__LIKELY(SLAB__FAST && c && c->magic == SLAB__CACHE_MAGIC)) {
        slab__mag *m = slab__my_mag(c);
        if (SLAB__LIKELY(m->count))
            return slab__mag_pop(m);
    }
    return slab__alloc_slow(c);
}

SLAB_API void *slab_cache_zalloc(slab_cache *c)
{
    void *obj;
    if (!slab__cache_ok(c))
        return NULL;
    if (c->ctor) {
        slab__report(c->heap, SLAB_ERR_INVALID_ARG, c,
                     "zalloc would destroy the constructed state of this cache's objects");
        return NULL;
    }
    obj = slab_cache_alloc(c);
    if (obj)
        SLAB_MEMSET(obj, 0, c->object_size);
    return obj;
}

// Free when the fast path cannot serve: a full magazine (checked: the fast path found obj
// freeable and the loaded magazine full), another region, hooks, NULL, a bad handle or a bad
// pointer.
SLAB__PRIVATE SLAB__COLD void slab__free_slow(slab_cache *c, void *obj, int checked)
{
#if SLAB_THREADS
    slab__mag *m;
    if (checked && (m = slab__swapped_mag(c, 1)) != NULL) {
        slab__mag_push(m, obj);
        return;
    }
#endif
    (void)checked;
    if (!obj || !slab__cache_ok(c))
        return;
    SLAB__NUMBER_THREAD();
    if (slab__put_locked(c, obj) == 0)
        slab__free_refused(c, obj);
}

SLAB_API void slab_cache_free(slab_cache *c, void *obj)
{
    if (SLAB__LIKELY(SLAB__FAST && c && c->magic == SLAB__CACHE_MAGIC)) {
        slab__mag *m = slab__my_mag(c);
        const slab_heap *h = c->heap;
        size_t off = (size_t)(slab__addr(obj) - slab__addr(h->zone.base));
        if (SLAB__LIKELY(off < h->zone.span)) {
            uint32_t head = h->zone.pages[off >> h->page_shift].head;
            if (SLAB__LIKELY(slab__fast_freeable(c, h, &h->zone.pages[head], head, off, obj, m))) {
                if (SLAB__LIKELY(slab__mag_room(m))) {
                    slab__mag_push(m, obj);
                    return;
                }
                slab__free_slow(c, obj, 1);
                return;
            }
        }
    }
    slab__free_slow(c, obj, 0);
}

// Free objects in c's active slabs other than mine (the caller holds c's lock): out of reach.
SLAB__PRIVATE size_t slab__free_in_others(const slab_cache *c, const slab__page *mine)
{
    size_t n = 0;
    unsigned i;
    for (i = 0; i < SLAB__ACTIVES; i++) {
        const slab__page *pg = slab__active_at(c, i);
        if (pg && pg != mine)
            n += c->objperslab - pg->inuse;
    }
    return n;
}

// Adds slabs until c holds n free objects that the calling thread can take, counting its
// magazine (the caller holds c's lock); all or nothing. Returns 0, or -1 for want of pages.
SLAB__PRIVATE int slab__reserve(slab_cache *c, size_t n, const slab__mag *m)
{
    size_t have = c->nr_slabs * c->objperslab - c->inuse_objs + (m ? m->count : 0), made = 0;
    have -= slab__free_in_others(c, *slab__my_active(c));
    while (have < n) {
        slab__page *pg = slab__slab_new(c);
        if (!pg) { // undo: the new slabs are the first ones on the empty list
            slab__release_listed_empty(c, made);
            return -1;
        }
        slab__slab_list_add(c, pg, SLAB__EMPTY);
        made++;
        have += c->objperslab;
    }
    return 0;
}

// Takes n objects of c into out, which the reserve guarantees (the caller holds c's lock):
// the magazine's first, then runs of whole free lists.
SLAB__PRIVATE void slab__bulk_take(slab_cache *c, size_t n, void **out, slab__mag *m)
{
    size_t got = 0;
    while (m && got < n && m->count)
        out[got++] = slab__mag_pop(m);
    while (got < n) {
        // Cannot fail: the reserve holds n objects.
        slab__page *pg = slab__active_with_free(c, slab__my_active(c));
        SLAB_ASSERT(pg != NULL);
        got += slab__take_run(c, pg, out + got, n - got);
    }
#if SLAB__HOOKS
    SLAB__CALL(c->heap)->site_keep = 1;
    for (got = 0; got < n; got++)
        slab__on_alloc(c, out[got]);
    SLAB__CALL(c->heap)->site_keep = 0;
#endif
}

SLAB_API size_t slab_cache_alloc_bulk(slab_cache *c, size_t n, void **out)
{
    int tries = 0, ok;
    if (!slab__cache_ok(c) || n == 0)
        return 0;
    if (!out) {
        slab__report(c->heap, SLAB_ERR_INVALID_ARG, c, "bulk alloc: out is NULL");
        return 0;
    }
    if (slab__injected(c->heap, c, c->object_size, c->flags))
        return 0;
    SLAB__NUMBER_THREAD();
    for (;;) {
        slab__mag *m;
        SLAB__LOCK(c->lock);
#if SLAB_THREADS
        slab__cpu *cpu = slab__has_mags(c) ? slab__my_cpu(c) : NULL;
        m = cpu ? cpu->loaded : NULL;
#else
        m = &c->mag;
#endif
        ok = n <= SLAB__MAX_PAGES && slab__reserve(c, n, m) == 0;
        if (ok)
            slab__bulk_take(c, n, out, m);
        SLAB__UNLOCK(c->lock);
        if (ok || n > SLAB__MAX_PAGES || tries++ || !slab__reclaim(c->heap))
            break;
    }
    if (!ok) {
        slab__cache_oom(c);
        return 0;
    }
    return n;
}

// Checks every pointer of a bulk free first (the caller holds c's lock), reusing the slab of
// the one before. Returns 1 when all are freeable; else reports the first that is not.
SLAB__PRIVATE int slab__bulk_check(slab_cache *c, size_t n, void **objs)
{
    size_t i, span = (size_t)1 << c->heap->page_shift << c->order;
    const slab__mag *m = slab__my_mag(c);
    const slab__page *pg = NULL;
    const char *lo = NULL;
    for (i = 0; i < n; i++) {
        void *o = objs[i];
        if (!o)
            continue;
        if (i && o == objs[i - 1]) {
            slab__report(c->heap, SLAB_ERR_DOUBLE_FREE, o, "bulk free: object given twice");
            return 0;
        }
        if (!(pg && slab__addr(o) - slab__addr(lo) < span && o != pg->freelist &&
              o != m->obj[m->count] &&
              slab__on_stride(c, (size_t)((const char *)o - lo) - pg->colour))) {
            if (!(pg = slab__freeable(c, o))) {
                slab__free_refused(c, o);
                return 0;
            }
            lo = slab__slab_base(c, pg);
        }
    }
    return 1;
}

SLAB_API size_t slab_cache_free_bulk(slab_cache *c, size_t n, void **objs)
{
    size_t freed = 0;
    if (!slab__cache_ok(c) || n == 0)
        return 0;
    if (!objs) {
        slab__report(c->heap, SLAB_ERR_INVALID_ARG, c, "bulk free: objs is NULL");
        return 0;
    }
    SLAB__LOCK(c->lock);
    if (slab__bulk_check(c, n, objs)) {
#if SLAB__HOOKS
        SLAB__CALL(c->heap)->site_keep = 1;
#endif
        freed = slab__push_many(c, objs, n, 1);
#if SLAB__HOOKS
        SLAB__CALL(c->heap)->site_keep = 0;
#endif
    }
    SLAB__UNLOCK(c->lock);
    return freed;
}

SLAB_API size_t slab_cache_shrink(slab_cache *c)
{
    size_t pages;
    if (!slab__cache_ok(c))
        return 0;
    SLAB__LOCK(c->lock);
    pages = slab__release_empty(c);
    SLAB__UNLOCK(c->lock);
    return pages;
}

// ==========================================================================================
// >>debug  Per-object checks: state bits (SLAB_HARDEN, SLAB_DEBUG), red zones, poison and
// call sites (SLAB_DEBUG), and the hand-over of memory to ASan or Valgrind.
//
//   debug slot: [ object | red zone | link | meta | left red zone of the next object ]
//
// A free object is filled with 0x6b (last byte 0xa5), a new one with 0x5a; red zones hold
// 0xcc around an allocated object and 0xbb around a free one, as in the kernel's SLUB.
#if SLAB__HOOKS

// The byte of the state bitmap that holds the bit of obj (an object start of c), which *mask
// selects. The bit is set while the program holds the object.
SLAB__PRIVATE uint8_t *slab__state_bit(const slab_cache *c, const void *obj, uint8_t *mask)
{
    const slab__zone *z = NULL;
    slab__page *pg = slab__page_of(c->heap, obj, &z);
    char *base;
    size_t idx;
    SLAB_ASSERT(pg && z); // obj is an object start of c (precondition)
    base = slab__page_addr(c->heap, z, pg);
    idx = slab__slot_index(c, (size_t)((const char *)obj - base) - pg->colour);
    *mask = (uint8_t)(1u << (idx & 7));
    return (uint8_t *)base + ((size_t)1 << c->heap->page_shift << c->order) - c->map_bytes +
           idx / 8;
}

// Fills n bytes at p with v, the last one with last; they stay poisoned for ASan.
SLAB__PRIVATE void slab__fill(void *p, size_t n, int v, int last)
{
    if (!n)
        return;
    SLAB__OPEN(p, n);
    SLAB_MEMSET(p, v, n);
    ((unsigned char *)p)[n - 1] = (unsigned char)last;
    SLAB__SHUT(p, n);
}

// Whether the n bytes at p still hold what slab__fill(p, n, v, last) wrote.
SLAB__PRIVATE int slab__filled(const void *p, size_t n, int v, int last)
{
    const unsigned char *b = (const unsigned char *)p;
    size_t i;
    int ok = 1;
    if (!n)
        return 1;
    SLAB__OPEN(p, n);
    for (i = 0; i + 1 < n && ok; i++)
        ok = b[i] == (unsigned char)v;
    ok = ok && b[n - 1] == (unsigned char)last;
    SLAB__SHUT(p, n);
    return ok;
}

SLAB__PRIVATE slab__meta slab__meta_get(const slab_cache *c, const void *obj)
{
    const char *p = (const char *)obj + c->meta_off;
    slab__meta m;
    SLAB__OPEN(p, sizeof m);
    SLAB_MEMCPY(&m, p, sizeof m);
    SLAB__SHUT(p, sizeof m);
    return m;
}

SLAB__PRIVATE void slab__meta_set(const slab_cache *c, void *obj, const slab__meta *m)
{
    char *p = (char *)obj + c->meta_off;
    SLAB__OPEN(p, sizeof *m);
    SLAB_MEMCPY(p, m, sizeof *m);
    SLAB__SHUT(p, sizeof *m);
}

// Appends " <what> at file:line (0xaddress)" for a recorded call site.
SLAB__PRIVATE void slab__fmt_track(char *buf, size_t *pos, const char *what, const slab__track *t)
{
    const char *f = t->file, *s;
    for (s = f; *s; s++) // the file's name without its directories
        if (*s == '/' || *s == '\\')
            f = s + 1;
    slab__fmt_str(buf, pos, what, 0, 16);
    slab__fmt_str(buf, pos, f, 0, 40);
    slab__fmt_str(buf, pos, ":", 0, 1);
    slab__fmt_uint(buf, pos, (size_t)(t->line > 0 ? t->line : 0), 0);
    if (t->ret) {
        slab__fmt_str(buf, pos, " (0x", 0, 4);
        slab__fmt_hex(buf, pos, (size_t)slab__addr(t->ret));
        slab__fmt_str(buf, pos, ")", 0, 1);
    }
}

// Whether obj is the start of an object slot of one of c's slabs, allocated or free.
SLAB__PRIVATE int slab__is_slot(const slab_cache *c, const void *obj)
{
    const slab__zone *z = NULL;
    const slab__page *pg = slab__page_of(c->heap, obj, &z);
    return pg && pg->cache == c &&
           slab__on_stride(c, slab__slab_offset(c->heap, z, slab__index(z, pg), pg, obj));
}

// Reports a problem with obj, naming its cache and, where recorded, its call sites.
SLAB__PRIVATE void slab__report_obj(const slab_cache *c, const void *obj, slab_error code,
                                    const char *what)
{
    char buf[SLAB__LINE];
    size_t pos = 0;
    slab__fmt_str(buf, &pos, what, 0, 80);
    slab__fmt_str(buf, &pos, " (cache '", 0, 9);
    slab__fmt_str(buf, &pos, c->name, 0, SLAB__NAME_LEN);
    slab__fmt_str(buf, &pos, "'", 0, 1);
#if SLAB_DEBUG
    if ((c->debug & SLAB_STORE_USER) && slab__is_slot(c, obj)) {
        slab__meta m = slab__meta_get(c, obj);
        if (m.alloc.file)
            slab__fmt_track(buf, &pos, ", allocated at ", &m.alloc);
        if (m.free.file)
            slab__fmt_track(buf, &pos, ", freed at ", &m.free);
    }
#endif
    slab__fmt_str(buf, &pos, ")", 0, 1);
    buf[pos] = '\0';
    slab__report(c->heap, code, obj, buf);
}

#if SLAB_DEBUG
// The call site the call-site macros recorded for this call, then forgotten.
SLAB__PRIVATE slab__track slab__take_site(slab_heap *h)
{
    slab__track t;
    t.file = SLAB__CALL(h)->site_file;
    t.line = SLAB__CALL(h)->site_line;
    t.ret = SLAB__CALL(h)->site_ret;
    if (!SLAB__CALL(h)->site_keep) { // a bulk call's objects all share its site
        SLAB__CALL(h)->site_file = NULL;
        SLAB__CALL(h)->site_ret = NULL;
    }
    return t;
}

// Fills obj's red zones with v: the left one, and the right one from byte `from` on.
SLAB__PRIVATE void slab__red_set(const slab_cache *c, char *obj, size_t from, int v)
{
    slab__fill(obj - c->lpad, c->lpad, v, v);
    slab__fill(obj + from, c->link_off - from, v, v);
}

// Which red zone of obj lost its pattern v (the right one from byte `from` on), or NULL.
SLAB__PRIVATE const char *slab__red_bad(const slab_cache *c, char *obj, size_t from, int v)
{
    if (!slab__filled(obj - c->lpad, c->lpad, v, v))
        return "left red zone overwritten: a write before the object";
    if (!slab__filled(obj + from, c->link_off - from, v, v))
        return "right red zone overwritten: a write past the end of the object";
    return NULL;
}

// Checks obj against its state (allocated or free), reports each problem and restores the
// bytes. Returns 0 or the first problem's code.
SLAB__PRIVATE slab_error slab__debug_check(slab_cache *c, char *obj, int allocated)
{
    slab__meta m = slab__meta_get(c, obj);
    size_t from = allocated ? m.orig_size : c->object_size;
    int red = allocated ? SLAB__RED_ACTIVE : SLAB__RED_INACTIVE;
    const char *bad = c->debug & SLAB_RED_ZONE ? slab__red_bad(c, obj, from, red) : NULL;
    slab_error code = SLAB_ERR_OK;
    if (bad) {
        slab__report_obj(c, obj, code = SLAB_ERR_REDZONE, bad);
        slab__red_set(c, obj, from, red);
    }
    if (!allocated && (c->debug & SLAB_POISON) && !c->ctor &&
        !slab__filled(obj, c->object_size, SLAB__POISON_FREE, SLAB__POISON_END)) {
        slab__report_obj(c, obj, SLAB_ERR_POISON, "free object modified: a write after free");
        slab__fill(obj, c->object_size, SLAB__POISON_FREE, SLAB__POISON_END);
        code = code ? code : SLAB_ERR_POISON;
    }
    return code;
}
#endif

// A new slab's per-object state: free objects' red zones, poison and meta, a clear bitmap;
// then all of it but the bitmap poisoned for ASan.
SLAB__PRIVATE void slab__slab_prepare(slab_cache *c, char *base, const slab__page *pg)
{
    size_t bytes = (size_t)1 << c->heap->page_shift << c->order;
    if (c->map_bytes)
        SLAB_MEMSET(base + bytes - c->map_bytes, 0, c->map_bytes);
#if SLAB_DEBUG
    if (c->debug) {
        char *obj = base + pg->colour;
        uint32_t n;
        slab__meta m;
        SLAB_MEMSET(&m, 0, sizeof m);
        m.orig_size = c->object_size;
        for (n = 0; n < c->objperslab; n++, obj += c->stride) {
            slab__meta_set(c, obj, &m);
            if (c->debug & SLAB_RED_ZONE)
                slab__red_set(c, obj, c->object_size, SLAB__RED_INACTIVE);
            if ((c->debug & SLAB_POISON) && !c->ctor)
                slab__fill(obj, c->object_size, SLAB__POISON_FREE, SLAB__POISON_END);
        }
    }
#else
    (void)pg;
#endif
    if (c != &c->heap->cache_cache) // stale cache handles are read: their magic says "dead"
        SLAB__SHUT(base, bytes - c->map_bytes);
}

// An object goes to the program: set its state bit, check and mark it (debug), expose it.
SLAB__PRIVATE void slab__on_alloc(slab_cache *c, void *obj)
{
    uint8_t mask = 0, *bits;
    if (c->map_bytes) {
        bits = slab__state_bit(c, obj, &mask);
        *bits = (uint8_t)(*bits | mask);
    }
#if SLAB_DEBUG
    if (c->debug) {
        slab__meta m;
        slab__debug_check(c, (char *)obj, 0); // a write after free shows here
        m = slab__meta_get(c, obj);
        if (c->debug & SLAB_RED_ZONE)
            slab__red_set(c, (char *)obj, c->object_size, SLAB__RED_ACTIVE);
        if ((c->debug & SLAB_POISON) && !c->ctor)
            slab__fill(obj, c->object_size, SLAB__POISON_INUSE, SLAB__POISON_INUSE);
        m.orig_size = c->object_size;
        if (c->debug & SLAB_STORE_USER) {
            m.alloc = slab__take_site(c->heap);
            SLAB_MEMSET(&m.free, 0, sizeof m.free);
        }
        slab__meta_set(c, obj, &m);
    }
#endif
    if (c != &c->heap->cache_cache)
        SLAB__HAND_OUT(c->heap, obj, c->object_size);
    if (c->ctor) // constructed bytes are defined, whatever a fresh chunk would be to Valgrind
        SLAB__DEFINED(obj, c->object_size);
}

// An object comes back: refuse it if its state bit says it is free (a double free the O(1)
// checks missed), else check its red zones, record the site, poison it. Returns 0 if refused.
SLAB__PRIVATE int slab__on_free(slab_cache *c, void *obj)
{
    uint8_t mask = 0, *bits;
    if (c->map_bytes) {
        bits = slab__state_bit(c, obj, &mask);
        if (!(*bits & mask)) {
            slab__report_obj(c, obj, SLAB_ERR_DOUBLE_FREE, "object is already free");
            return 0;
        }
        *bits = (uint8_t)(*bits & ~mask);
    }
#if SLAB_DEBUG
    if (c->debug) {
        slab__meta m = slab__meta_get(c, obj);
        if (c->debug & SLAB_STORE_USER) {
            m.free = slab__take_site(c->heap);
            slab__meta_set(c, obj, &m);
        }
        slab__debug_check(c, (char *)obj, 1);
        if (c->debug & SLAB_RED_ZONE)
            slab__red_set(c, (char *)obj, c->object_size, SLAB__RED_INACTIVE);
        if ((c->debug & SLAB_POISON) && !c->ctor)
            slab__fill(obj, c->object_size, SLAB__POISON_FREE, SLAB__POISON_END);
    }
#endif
    if (c != &c->heap->cache_cache)
        SLAB__TAKE_BACK(c->heap, obj, c->stride - c->lpad);
    return 1;
}

// A kmalloc object (class c) given for `size` bytes: the rest of the class is red zone (debug)
// and poisoned (ASan) until a larger krealloc or slab_ksize hands it out, zeroed.
SLAB__PRIVATE void slab__set_usable(slab_cache *c, void *obj, size_t size)
{
#if SLAB_DEBUG
    if (c->debug) {
        slab__meta m = slab__meta_get(c, obj);
        if (size > m.orig_size) { // red zone bytes become the object's: zeros, as kzalloc's
            SLAB__OPEN((char *)obj + m.orig_size, size - m.orig_size);
            SLAB_MEMSET((char *)obj + m.orig_size, 0, size - m.orig_size);
        }
        m.orig_size = size;
        slab__meta_set(c, obj, &m);
        if (c->debug & SLAB_RED_ZONE)
            slab__fill((char *)obj + size, c->object_size - size, SLAB__RED_ACTIVE,
                       SLAB__RED_ACTIVE);
    }
#endif
    (void)c;
    (void)obj;
    (void)size;
    SLAB__RESIZE_OUT(c->heap, obj, size, c->object_size);
}

// Calls fn on every object of c with whether the program holds it; stops at a nonzero result.
SLAB__PRIVATE int slab__for_each_object(slab_cache *c, int (*fn)(slab_cache *, char *, int, void *),
                                        void *arg)
{
    unsigned w;
    for (w = 0; w < SLAB__NLISTS + SLAB__ACTIVES; w++) {
        const slab__page *pg =
            w < SLAB__NLISTS ? c->lists[w] : slab__active_at(c, w - SLAB__NLISTS);
        for (; pg; pg = w < SLAB__NLISTS ? pg->next : NULL) {
            const slab__zone *z = slab__zone_of_page(c->heap, pg);
            char *obj = slab__page_addr(c->heap, z, pg) + pg->colour;
            uint32_t n;
            for (n = 0; n < c->objperslab; n++, obj += c->stride) {
                uint8_t mask = 0, *bits = slab__state_bit(c, obj, &mask);
                int r;
                if ((r = fn(c, obj, (*bits & mask) != 0, arg)) != 0)
                    return r;
            }
        }
    }
    return 0;
}

#if SLAB_DEBUG
SLAB__PRIVATE int slab__validate_one(slab_cache *c, char *obj, int allocated, void *arg)
{
    slab_error code = slab__debug_check(c, obj, allocated), *first = (slab_error *)arg;
    if (code && !*first)
        *first = code;
    return 0;
}
#endif

// Reports a live object as a leak, up to SLAB__LEAKS_SHOWN of them; arg counts them.
SLAB__PRIVATE int slab__report_live_one(slab_cache *c, char *obj, int allocated, void *arg)
{
    size_t *shown = (size_t *)arg;
    if (allocated && (*shown)++ < SLAB__LEAKS_SHOWN)
        slab__report_obj(c, obj, SLAB_ERR_BUSY, "leaked object");
    return 0;
}

// Lists the first live objects of c as leaks (caches with state bits).
SLAB__PRIVATE void slab__report_live(slab_cache *c)
{
    size_t shown = 0;
    if (c->map_bytes)
        slab__for_each_object(c, slab__report_live_one, &shown);
}

#endif /* SLAB__HOOKS */

#if SLAB_DEBUG
SLAB_API SLAB__NOINLINE slab_cache *slab_debug_site_cache(slab_cache *c, const char *file,
                                                          int line)
{
    if (c && (c->magic == SLAB__CACHE_MAGIC || c->magic == SLAB__CACHE_SLOW) && c->heap) {
        SLAB__CALL(c->heap)->site_file = file;
        SLAB__CALL(c->heap)->site_line = line;
        SLAB__CALL(c->heap)->site_ret = SLAB__RETURN_ADDRESS();
    }
    return c;
}

SLAB_API SLAB__NOINLINE slab_heap *slab_debug_site_heap(slab_heap *h, const char *file, int line)
{
    if (h && h->magic == SLAB__HEAP_MAGIC) {
        SLAB__CALL(h)->site_file = file;
        SLAB__CALL(h)->site_line = line;
        SLAB__CALL(h)->site_ret = SLAB__RETURN_ADDRESS();
    }
    return h;
}
#endif

// ==========================================================================================
// >>kmalloc  Generic allocation: size-class caches, made on first use.
//
// Classes: the kernel's 8 .. 256 plus 144 (so that no request up to 4 KiB wastes more than a
// quarter of itself plus 8 bytes, rounded to 16), then four per power of two up to 32 KiB.

static const uint16_t slab__small_classes[13] = {8,   16,  32,  64,  96,  128, 144,
                                                  192, 256, 320, 384, 448, 512};
// Class of requests of 1..512 bytes, by (size - 1) / 8: one load on the fast path.
static const uint8_t slab__small_index[64] = {
    0,  1,  2,  2,  3,  3,  3,  3,  4,  4,  4,  4,  5,  5,  5,  5,  6,  6,  7,  7,  7,  7,
    7,  7,  8,  8,  8,  8,  8,  8,  8,  8,  9,  9,  9,  9,  9,  9,  9,  9,  10, 10, 10, 10,
    10, 10, 10, 10, 11, 11, 11, 11, 11, 11, 11, 11, 12, 12, 12, 12, 12, 12, 12, 12};

// The class of a request of 1 .. 32768 bytes. Above 512, with e = log2(size - 1), the four
// classes between 2^e and 2^(e+1) are 5, 6, 7 and 8 times 2^(e-2): 513 -> 640, 1025 -> 1280.
SLAB__PRIVATE unsigned slab__kmalloc_index(size_t size)
{
    unsigned e;
    if (SLAB__LIKELY(size <= 512))
        return slab__small_index[(size - 1) >> 3];
    e = slab__log2(size - 1);
    return 13 + 4 * (e - 9) + (unsigned)((size - 1) >> (e - 2)) - 4;
}

SLAB__PRIVATE size_t slab__kmalloc_size(unsigned idx)
{
    unsigned e = 9 + (idx - 13) / 4;
    return idx < 13 ? slab__small_classes[idx] : (size_t)(5 + (idx - 13) % 4) << (e - 2);
}

// The alignment of class caches: power-of-two classes are aligned to their size (up to a page),
// as Linux does, so slab_kmalloc_aligned can use them; others get the default 16.
SLAB__PRIVATE size_t slab__kmalloc_align(const slab_heap *h, size_t size)
{
    size_t page = (size_t)1 << h->page_shift;
    return slab__is_pow2(size) ? (size < page ? size : page) : 0;
}

// The cache of class idx, made on first use. NULL when the class cannot have slabs in this
// heap (*large is set: its requests take the large path), or (reported) without memory.
SLAB__PRIVATE SLAB__INLINE slab_cache *slab__kmalloc_cache(slab_heap *h, unsigned idx, int *large)
{
    slab_cache *c = SLAB__LOAD_ACQ(h->kmalloc[idx]);
    size_t size, align, pos = 0;
    char name[SLAB__NAME_LEN];
    if (c)
        return c;
    size = slab__kmalloc_size(idx);
    align = slab__kmalloc_align(h, size);
    if ((*large = slab__cache_args_bad(h, "kmalloc", size, align, 0, 0) != NULL))
        return NULL;
    slab__fmt_str(name, &pos, "kmalloc-", 0, 8);
    slab__fmt_uint(name, &pos, size, 0);
    name[pos] = '\0';
    return slab__cache_new(h, name, size, align, SLAB__KMALLOC, NULL, NULL, &h->kmalloc[idx]);
}

SLAB__PRIVATE void *slab__large(slab_heap *h, size_t size, unsigned state, int zero);

// kmalloc for every case the fast path leaves: size 0, an empty magazine, first use of a
// class, large requests, fault injection, hooks, bad handles. Zeroes the block if zero is set.
SLAB__PRIVATE SLAB__COLD void *slab__kmalloc_slow(slab_heap *h, size_t size, int zero)
{
    slab_cache *c = NULL;
    void *p;
    int large;
    if (!slab__heap_ok(h) || size == 0)
        return NULL;
    large = size > h->kmalloc_max;
    if (!large)
        c = slab__kmalloc_cache(h, slab__kmalloc_index(size), &large);
    if (large)
        return slab__large(h, size, SLAB__PG_KLARGE, zero);
    p = c ? slab_cache_alloc(c) : NULL;
    if (p && zero)
        SLAB_MEMSET(p, 0, c->object_size);
#if SLAB__HOOKS
    if (p)
        slab__set_usable(c, p, size);
#endif
    return p;
}

SLAB_API void *slab_kmalloc(slab_heap *h, size_t size)
{
    if (SLAB__LIKELY(SLAB__FAST && h && h->magic == SLAB__HEAP_MAGIC && size - 1 < h->kmalloc_max)) {
        slab_cache *c = SLAB__LOAD_ACQ(h->kmalloc[slab__kmalloc_index(size)]);
        if (SLAB__LIKELY(c && c->magic == SLAB__CACHE_MAGIC)) { // SLOW: fault injection
            slab__mag *m = slab__my_mag(c);
            return SLAB__LIKELY(m->count) ? slab__mag_pop(m) : slab__alloc_slow(c);
        }
    }
    return slab__kmalloc_slow(h, size, 0);
}

SLAB_API void *slab_kzalloc(slab_heap *h, size_t size) { return slab__kmalloc_slow(h, size, 1); }

SLAB_API void *slab_kcalloc(slab_heap *h, size_t n, size_t size)
{
    if (!slab__heap_ok(h))
        return NULL;
    if (size && n > SIZE_MAX / size) {
        slab__report(h, SLAB_ERR_INVALID_ARG, NULL, "kcalloc: n * size overflows");
        return NULL;
    }
    return slab__kmalloc_slow(h, n * size, 1);
}

SLAB_API void *slab_kmalloc_aligned(slab_heap *h, size_t size, size_t align)
{
    size_t page;
    if (!slab__heap_ok(h))
        return NULL;
    page = (size_t)1 << h->page_shift;
    if (!slab__is_pow2(align) || align > page) {
        slab__report(h, SLAB_ERR_INVALID_ARG, NULL,
                     "kmalloc_aligned: align must be a power of two up to the page size");
        return NULL;
    }
    // Every class from 16 up is 16-aligned, power-of-two classes are aligned to their size (up
    // to a page), and large blocks to a page: round the size up to a class that is aligned.
    if (size == 0)
        return NULL;
    if (size < align)
        size = align;
    if (align > SLAB__MAX_NATURAL_ALIGN && size <= h->kmalloc_max && !slab__is_pow2(size))
        size = (size_t)1 << (slab__log2(size - 1) + 1);
    return slab_kmalloc(h, size);
}

// ==========================================================================================
// >>vmalloc  Large blocks: whole pages, sized exactly.
//
// A run of n pages takes the smallest buddy block that holds it and gives the tail back at
// once (Linux's alloc_pages_exact). Inside, the run is the largest aligned blocks that cover
// it: its first block's head says KLARGE or VLARGE and holds n, the others say RUN (I8).
//
// A freed run of the first region of n <= SLAB__RUN_MAX pages is parked instead, as it is: its
// head says PARKED and it waits on h->runs[n], a LIFO of at most SLAB__RUN_KEEP runs, for the
// next run of n pages, which takes it in O(1) with no split, merge or marking (Bonwick's vmem
// quantum caches), unless memory is tight (slab__run_parks). Parked runs are free pages to
// everyone else: when the buddy heap has no block for a request, slab__take gives them all
// back (merged) and tries again; reclaim and the figures give them back too, so no request
// fails and no figure differs for them (I10). docs/design.md has the measurements.

// Marks pages [i, i+n) of z as one run whose first block's head gets `state`.
SLAB__PRIVATE void slab__run_mark(slab__zone *z, uint32_t i, size_t n, unsigned state)
{
    uint32_t j = i;
    while (j < i + n) {
        unsigned k = slab__fit_order(z, j, i + n);
        z->pages[j].order = (uint8_t)k;
        z->pages[j].state = (uint8_t)(j == i ? state : (unsigned)SLAB__PG_RUN);
        j += 1u << k;
    }
    z->pages[i].inuse = (uint32_t)n;
}

// Turns the block heads of the run at i back into plain tails, but for the first one.
SLAB__PRIVATE SLAB__OUTLINE void slab__run_unmark(slab__zone *z, uint32_t i)
{
    uint32_t j = i + (1u << z->pages[i].order), end = i + z->pages[i].inuse;
    while (j < end) {
        uint32_t next = j + (1u << z->pages[j].order);
        z->pages[j].state = SLAB__PG_TAIL;
        j = next;
    }
}

// A large run for size bytes, zeroed if asked; the program may touch exactly size bytes.
SLAB__PRIVATE void *slab__large_alloc(slab_heap *h, size_t size, unsigned state, int zero)
{
    size_t page = (size_t)1 << h->page_shift, npages;
    slab__zone *z = NULL;
    slab__page *pg;
    char *p;
    // Half the address space or more, or a run past the largest order, can never be had.
    if (size > SIZE_MAX / 2 || (npages = (size + page - 1) >> h->page_shift) >
                                   ((size_t)1 << (SLAB_MAX_ORDERS - 1))) {
        slab__report(h, SLAB_ERR_INVALID_ARG, NULL, "allocation size is absurdly large");
        return NULL;
    }
    if (slab__injected(h, NULL, size, 0))
        return NULL;
    pg = SLAB_RUN_CACHE && npages <= SLAB__RUN_MAX ? h->runs[npages] : NULL;
    if (pg) { // a parked run of this length, still marked as one (I10)
        z = &h->zone;
        h->runs[npages] = pg->next;
        h->nr_runs[npages]--;
        pg->state = (uint8_t)state;
    } else {
        pg = slab__take_or_oom(h, slab__order_for(npages), &z, "no run of free pages large enough");
        if (!pg)
            return NULL;
        uint32_t i = slab__index(z, pg);
        // The tail's blocks grow toward the block's end, so each one's buddy (below it) holds
        // a page of the run: none can merge.
        slab__range_give(z, i + (uint32_t)npages, (size_t)i + ((size_t)1 << pg->order), 0);
        slab__run_mark(z, i, npages, state);
    }
    h->large_pages += npages;
    p = slab__page_addr(h, z, pg);
    SLAB__HAND_OUT(h, p, size);
    if (zero) { // whole pages: slab_ksize may hand out the tail of the last one
        SLAB__OPEN(p, npages << h->page_shift);
        SLAB_MEMSET(p, 0, npages << h->page_shift);
        SLAB__SHUT(p + size, (npages << h->page_shift) - size);
    }
    return p;
}

// slab__large_alloc under the page lock.
SLAB__PRIVATE void *slab__large(slab_heap *h, size_t size, unsigned state, int zero)
{
    void *p;
    SLAB__LOCK(h->pages);
    p = slab__large_alloc(h, size, state, zero);
    SLAB__UNLOCK(h->pages);
    return p;
}

// Gives the run at pg back to the buddy heap, block by block as its heads say (I8).
SLAB__PRIVATE void slab__run_give(slab__zone *z, slab__page *pg)
{
    uint32_t i = slab__index(z, pg), n = pg->inuse, j = i;
    pg->inuse = 0;
    while (j < i + n) {
        unsigned k = z->pages[j].order; // read before the give, which may merge j away
        slab__buddy_give(z, j, k, 1);
        j += 1u << k;
    }
}

// Whether the freed run of n pages at i of z waits for reuse. A short run of the first region
// does while its list has room; but when less than half the region is free, only if waiting
// costs no coalescing: its length is not a power of two and the page after it is in use, so
// the buddy block it came from could not form again anyway. (Trace D's smallest region: 1.43x
// peak live without parking, 1.44x parking every run, 1.40x with this rule.)
SLAB__PRIVATE int slab__run_parks(const slab_heap *h, const slab__zone *z, uint32_t i, uint32_t n)
{
    if (!SLAB_RUN_CACHE || z != &h->zone || n > SLAB__RUN_MAX || h->nr_runs[n] >= SLAB__RUN_KEEP)
        return 0;
    return z->pages_free >= z->npages / 2 ||
           ((n & (n - 1)) != 0 && i + n < z->npages && z->pages[i + n].state != SLAB__PG_FREE);
}

// Frees the run at pg: parks it (slab__run_parks) or gives it back to the buddy heap.
SLAB__PRIVATE void slab__run_free(slab_heap *h, slab__zone *z, slab__page *pg)
{
    uint32_t n = pg->inuse;
    SLAB__TAKE_BACK(h, slab__page_addr(h, z, pg), (size_t)n << h->page_shift);
    h->large_pages -= n;
    if (!slab__run_parks(h, z, slab__index(z, pg), n)) {
        slab__run_give(z, pg);
        return;
    }
    pg->state = SLAB__PG_PARKED; // keeps inuse and its blocks' heads for the next taker
    pg->next = h->runs[n];
    h->runs[n] = pg;
    h->nr_runs[n]++;
}

// Gives every parked run back to the buddy heap (under the page lock). Returns their pages.
SLAB__PRIVATE size_t slab__runs_drain(slab_heap *h)
{
    size_t pages = 0;
    unsigned n;
    for (n = 1; SLAB_RUN_CACHE && n <= SLAB__RUN_MAX; n++) {
        slab__page *pg;
        while ((pg = h->runs[n]) != NULL) {
            h->runs[n] = pg->next;
            slab__run_give(&h->zone, pg);
            pages += n;
        }
        h->nr_runs[n] = 0;
    }
    return pages;
}

// Whether the run of n pages at i can grow to m in place: the pages up to i + m are free.
SLAB__PRIVATE int slab__run_room(const slab__zone *z, uint32_t i, uint32_t n, size_t m)
{
    uint32_t j;
    if (m > (size_t)z->npages - i)
        return 0;
    for (j = i + n; j < i + m; j += 1u << z->pages[j].order)
        if (z->pages[j].state != SLAB__PG_FREE) // a free block past the run starts at j
            return 0;
    return 1;
}

// Resizes the run at pg, which starts at p, to the pages of size bytes in place, and hands
// the program those bytes (size > 0): shrinking always works, growing when the pages after the
// run are free (or parked) in the same region. Returns 1 on success, 0 when it cannot grow.
SLAB__PRIVATE int slab__run_resize(slab_heap *h, slab__zone *z, slab__page *pg, void *p,
                                   size_t size)
{
    size_t m = ((size - 1) >> h->page_shift) + 1; // size > 0; no overflow near SIZE_MAX
    uint32_t i = slab__index(z, pg), n = pg->inuse, j;
    unsigned state = pg->state;
    (void)p;
    // Parked runs may be what is in the way: they are free pages, so give them back and look
    // again (the caller would otherwise move the run, which needs more memory).
    if (m > n && !slab__run_room(z, i, n, m) &&
        !(SLAB_RUN_CACHE && slab__runs_drain(h) && slab__run_room(z, i, n, m)))
        return 0;
    for (j = i + n; j < i + m; j += 1u << z->pages[j].order) { // claim the free blocks
        slab__free_del(z, &z->pages[j]);
        z->pages_free -= slab__order_pages(z->pages[j].order);
        z->pages[j].state = SLAB__PG_TAIL;
    }
    slab__run_unmark(z, i);
    // What lies past i + m goes back: the run's old tail, or the end of the last block claimed.
    slab__range_give(z, i + (uint32_t)m, j, 1);
    slab__run_mark(z, i, m, state);
    h->large_pages = h->large_pages - n + m;
    SLAB__RESIZE_OUT(h, p, size, m << h->page_shift);
    return 1;
}

// vmalloc and vzalloc (zero set) in one body.
SLAB__PRIVATE SLAB__OUTLINE void *slab__vmalloc(slab_heap *h, size_t size, int zero)
{
    return slab__heap_ok(h) && size ? slab__large(h, size, SLAB__PG_VLARGE, zero) : NULL;
}

SLAB_API void *slab_vmalloc(slab_heap *h, size_t size) { return slab__vmalloc(h, size, 0); }

SLAB_API void *slab_vzalloc(slab_heap *h, size_t size) { return slab__vmalloc(h, size, 1); }

// kvmalloc and kvzalloc (zero set) in one body: a kmalloc class if one holds size, else a run.
SLAB__PRIVATE SLAB__OUTLINE void *slab__kvmalloc(slab_heap *h, size_t size, int zero)
{
    if (slab__heap_ok(h) && size > h->kmalloc_max)
        return slab__large(h, size, SLAB__PG_VLARGE, zero);
    return zero ? slab_kzalloc(h, size) : slab_kmalloc(h, size);
}

SLAB_API void *slab_kvmalloc(slab_heap *h, size_t size) { return slab__kvmalloc(h, size, 0); }

SLAB_API void *slab_kvzalloc(slab_heap *h, size_t size) { return slab__kvmalloc(h, size, 1); }

// What a pointer handed to a free or resize function is: which family owns it, where.
typedef struct slab__found {
    slab__zone *zone;
    slab__page *head; // the slab or the run's first block
    slab_cache *cache;    // slab objects: their cache
    unsigned kind;        // SLAB__OWN_*; 0 for what no free function takes
} slab__found;

// The free function family of the block whose head is pg: SLAB__OWN_KLARGE, _VLARGE or _PAGES;
// 0 for any other page.
SLAB__PRIVATE SLAB__INLINE unsigned slab__block_kind(const slab__page *pg)
{
    static const uint8_t kind[16] = {0, 0, SLAB__OWN_PAGES, 0, 0, // by SLAB__PG_*, in order
                                     SLAB__OWN_KLARGE, SLAB__OWN_VLARGE, 0, 0}; // RUN, PARKED
    return kind[pg->state & 15u]; // & 15: a corrupt state still names an entry
}

// Looks p up for a function that accepts the kinds in `accept`. Returns 0 with *f filled, or
// an error code and message: wrong family, not a block start, already free, not ours.
SLAB__PRIVATE slab_error slab__find(slab_heap *h, const void *p, unsigned accept, slab__found *f,
                                    const char **msg)
{
    slab_error code;
    slab__page *pg;
    slab_cache *c;
    unsigned kind;
    SLAB_MEMSET(f, 0, sizeof *f);
    code = slab__locate(h, p, &f->zone, &f->head, msg);
    if (code != SLAB_ERR_OK)
        return code;
    pg = f->head;
    f->cache = c = pg->state == SLAB__PG_SLAB ? pg->cache : NULL;
    if (c) { // an object: a kmalloc class's cache checks stride and double free
        f->kind = c->flags & SLAB__KMALLOC ? (unsigned)SLAB__OWN_KSLAB : 0;
        if (accept & f->kind)
            return slab__freeable(c, p) ? SLAB_ERR_OK : slab__diagnose(c, p, msg);
        *msg = f->kind ? "object came from slab_kmalloc: free it with slab_kfree"
                       : "object belongs to a typed cache: free it with slab_cache_free";
        return SLAB_ERR_INVALID_POINTER;
    }
    f->kind = kind = slab__block_kind(pg);
    if (kind && p != slab__page_addr(h, f->zone, pg)) {
        *msg = "pointer is inside a block, not at its start";
        return SLAB_ERR_INVALID_POINTER;
    }
    if (kind & accept)
        return SLAB_ERR_OK;
    *msg = kind == SLAB__OWN_KLARGE   ? "block came from slab_kmalloc: free it with slab_kfree"
           : kind == SLAB__OWN_VLARGE ? "block came from slab_vmalloc: free it with slab_vfree"
           : kind == SLAB__OWN_PAGES  ? "block came from slab_pages_alloc: free it with slab_pages_free"
           : pg->state == SLAB__PG_RUN ? "pointer is inside a large block, not at its start"
                                       : "pointer into free pages";
    if ((pg->state == SLAB__PG_FREE || pg->state == SLAB__PG_PARKED) &&
        ((slab__addr(p) - slab__addr(f->zone->base)) & (((size_t)1 << h->page_shift) - 1)) == 0)
        return SLAB_ERR_DOUBLE_FREE; // a page start in free pages: most likely freed before
    return SLAB_ERR_INVALID_POINTER;
}

// Gives back the block of pages (slab_pages_alloc) or the run (kmalloc, vmalloc) at head pg.
SLAB__PRIVATE void slab__block_free(slab_heap *h, slab__zone *z, slab__page *pg, unsigned kind)
{
    if (kind == SLAB__OWN_PAGES) {
        SLAB__TAKE_BACK(h, slab__page_addr(h, z, pg), (size_t)1 << h->page_shift << pg->order);
        h->block_pages -= slab__order_pages(pg->order);
        slab__buddy_give(z, slab__index(z, pg), pg->order, 1);
    } else {
        slab__run_free(h, z, pg);
    }
}

// The common case of slab__free_block, with no search: p starts a page of the first region
// whose descriptor is the head of a block of an accepted kind (heads are exact, I1). 1 if freed.
SLAB__PRIVATE int slab__free_head(slab_heap *h, const void *p, unsigned accept)
{
    slab__zone *z = &h->zone;
    size_t off = (size_t)(slab__addr(p) - slab__addr(z->base));
    slab__page *pg;
    unsigned kind;
    if (off >= z->span || (off & (((size_t)1 << h->page_shift) - 1)) != 0)
        return 0;
    pg = &z->pages[off >> h->page_shift];
    kind = slab__block_kind(pg);
    if (!(kind & accept))
        return 0;
    slab__block_free(h, z, pg, kind);
    return 1;
}

// Frees p if it is a block of a kind in `accept`, else reports why not. NULL is a no-op.
SLAB__PRIVATE void slab__free_block(slab_heap *h, void *p, unsigned accept)
{
    const char *msg = "";
    slab__found f;
    slab_error code;
    int freed;
    if (!p || !slab__heap_ok(h))
        return;
    SLAB__NUMBER_THREAD();
    SLAB__LOCK(h->pages);
    freed = slab__free_head(h, p, accept);
    code = freed ? SLAB_ERR_OK : slab__find(h, p, accept, &f, &msg);
    if (!freed && code == SLAB_ERR_OK && !f.cache) // f.cache: a kmalloc object (slab__find)
        slab__block_free(h, f.zone, f.head, f.kind);
    SLAB__UNLOCK(h->pages);
    if (freed)
        return;
    if (code != SLAB_ERR_OK) {
#if SLAB__HOOKS
        if (f.cache) { // with the cache's name (and call sites, if any)
            slab__report_obj(f.cache, p, code, msg);
            return;
        }
#endif
        slab__report(h, code, p, msg);
    } else if (f.cache && slab__put_locked(f.cache, p) == 0) {
        slab__free_refused(f.cache, p); // freed by another thread since slab__find looked
    }
}

// kfree when the fast path cannot serve: another region, a full magazine, hooks, a large
// block, NULL, or a bad pointer or handle.
SLAB__PRIVATE SLAB__COLD void slab__kfree_slow(slab_heap *h, void *p)
{
    const slab__zone *z = NULL;
    slab__page *pg;
    if (!p || !slab__heap_ok(h))
        return;
    SLAB__NUMBER_THREAD();
    pg = slab__page_of(h, p, &z);
    if (pg && pg->cache && pg->cache->kmalloc && slab__put_locked(pg->cache, p) != 0)
        return; // freed, or refused and reported by a debug check
    slab__free_block(h, p, SLAB__OWN_KSLAB | SLAB__OWN_KLARGE);
}

SLAB_API void slab_kfree(slab_heap *h, void *p)
{
    if (SLAB__LIKELY(SLAB__FAST && h && h->magic == SLAB__HEAP_MAGIC)) {
        size_t off = (size_t)(slab__addr(p) - slab__addr(h->zone.base));
        if (SLAB__LIKELY(off < h->zone.span)) {
            uint32_t head = h->zone.pages[off >> h->page_shift].head;
            const slab__page *pg = &h->zone.pages[head];
            slab_cache *c = pg->cache; // set on slab heads only, to their live cache (I1)
            if (SLAB__LIKELY(c && c->kmalloc)) {
                slab__mag *m = slab__my_mag(c);
                if (SLAB__LIKELY(slab__fast_freeable(c, h, pg, head, off, p, m))) {
                    if (SLAB__LIKELY(slab__mag_room(m))) {
                        slab__mag_push(m, p);
                        return;
                    }
                    slab__free_slow(c, p, 1);
                    return;
                }
            }
        }
    }
    slab__kfree_slow(h, p);
}

SLAB_API void slab_vfree(slab_heap *h, void *p) { slab__free_block(h, p, SLAB__OWN_VLARGE); }

SLAB_API void slab_kvfree(slab_heap *h, void *p)
{
    slab__free_block(h, p, SLAB__OWN_KSLAB | SLAB__OWN_KLARGE | SLAB__OWN_VLARGE);
}

SLAB_API size_t slab_ksize(slab_heap *h, const void *p)
{
    const char *msg = "ksize of NULL";
    size_t run = 0;
    slab__found f;
    slab_error code = SLAB_ERR_INVALID_POINTER;
    if (!slab__heap_ok(h))
        return 0;
    if (p) {
        SLAB__LOCK(h->pages);
        code = slab__find(h, p, SLAB__OWN_KSLAB | SLAB__OWN_KLARGE | SLAB__OWN_VLARGE, &f, &msg);
        if (code == SLAB_ERR_OK && !f.cache)
            run = (size_t)f.head->inuse << h->page_shift;
        SLAB__UNLOCK(h->pages);
        if (code != SLAB_ERR_OK && f.cache && !f.kind && slab__freeable(f.cache, p))
            return f.cache->object_size; // an object of a typed cache has a size too
    }
    if (code != SLAB_ERR_OK) {
        slab__report(h, code, p, msg);
        return 0;
    }
    // Like Linux's ksize, this hands the program the whole usable size.
#if SLAB__HOOKS
    if (f.cache)
        slab__set_usable(f.cache, (void *)p, f.cache->object_size); // the caller's block
#endif
    if (!f.cache)
        SLAB__RESIZE_OUT(h, p, run, run);
    return f.cache ? f.cache->object_size : run;
}

// realloc for the families in accept: kmalloc's, or (kv) kmalloc's and vmalloc's.
SLAB__PRIVATE void *slab__realloc(slab_heap *h, void *p, size_t size, unsigned accept)
{
    const char *msg = "";
    size_t old;
    slab__found f;
    slab_error code;
    void *q;
    int kv = (accept & SLAB__OWN_VLARGE) != 0;
    if (!p)
        return kv ? slab_kvmalloc(h, size) : slab_kmalloc(h, size);
    if (!slab__heap_ok(h))
        return NULL;
    if (size == 0) {
        slab__free_block(h, p, accept);
        return NULL;
    }
    SLAB__LOCK(h->pages);
    code = slab__find(h, p, accept, &f, &msg);
    if (code != SLAB_ERR_OK) {
        SLAB__UNLOCK(h->pages);
        slab__report(h, code, p, msg);
        return NULL;
    }
    if (f.cache) {
        SLAB__UNLOCK(h->pages);
        old = f.cache->object_size;
        if (size <= old) {
#if SLAB__HOOKS
            slab__set_usable(f.cache, p, size);
#endif
            return p;
        }
    } else {
        old = (size_t)f.head->inuse << h->page_shift;
        // A large block keeps its pages unless the size moves to a kmalloc class.
        if (size > h->kmalloc_max && slab__run_resize(h, f.zone, f.head, p, size)) {
            SLAB__UNLOCK(h->pages);
            return p;
        }
        SLAB__UNLOCK(h->pages);
    }
    SLAB__CALL(h)->trying = !f.cache && size < old; // a shrink can always stay in place instead
    q = kv ? slab_kvmalloc(h, size) : slab_kmalloc(h, size);
    SLAB__CALL(h)->trying = 0;
    if (!q && !f.cache && size < old) { // never fail a shrink: keep the pages still needed
        SLAB__LOCK(h->pages);
        slab__run_resize(h, f.zone, f.head, p, size);
        SLAB__UNLOCK(h->pages);
        return p;
    }
    if (!q)
        return NULL;
    SLAB__OPEN(p, old); // the old block's unused tail may be poisoned; it is freed next
    SLAB_MEMCPY(q, p, size < old ? size : old);
    slab__free_block(h, p, accept);
    return q;
}

SLAB_API void *slab_krealloc(slab_heap *h, void *p, size_t size)
{
    return slab__realloc(h, p, size, SLAB__OWN_KSLAB | SLAB__OWN_KLARGE);
}

SLAB_API void *slab_kvrealloc(slab_heap *h, void *p, size_t size)
{
    return slab__realloc(h, p, size, SLAB__OWN_KSLAB | SLAB__OWN_KLARGE | SLAB__OWN_VLARGE);
}

// ==========================================================================================
// >>reclaim  Memory pressure: empty slabs first, then the program's shrinkers.

// Releases every cache's empty slabs (the caller holds the admin lock).
SLAB__PRIVATE void slab__release_all_empty(slab_heap *h)
{
    slab_cache *c;
    for (c = h->caches; c; c = c->next) {
        SLAB__LOCK(c->lock);
        slab__release_empty(c);
        SLAB__UNLOCK(c->lock);
    }
}

// Pages held by the slabs of all caches (the caller holds the admin lock).
SLAB__PRIVATE SLAB__INLINE size_t slab__all_slab_pages(slab_heap *h)
{
    slab_cache *c;
    size_t pages = 0;
    for (c = h->caches; c; c = c->next) {
        SLAB__LOCK(c->lock);
        pages += c->slab_pages;
        SLAB__UNLOCK(c->lock);
    }
    return pages;
}

// Empty slabs, then the shrinkers, then the slabs their frees emptied. Returns the pages the
// caches gave back, those the shrinkers' frees released directly included.
SLAB__PRIVATE SLAB__INLINE size_t slab__shrink_all(slab_heap *h)
{
    size_t before = slab__all_slab_pages(h);
    slab_shrinker *s, *next;
    slab__release_all_empty(h);
    for (s = h->shrinkers; s; s = next) {
        size_t n = s->count(s->ctx);
        next = s->next; // a shrinker may unregister itself
        if (n)
            s->scan(n, s->ctx);
    }
    slab__release_all_empty(h);
    return before - slab__all_slab_pages(h);
}

// Frees what it can for an allocation that found no memory. Returns 0 when reclaim is already
// running (an allocation from inside a shrinker), so that callers do not retry in vain.
// Called with no cache or page lock held; another thread's reclaim runs first, then this one.
SLAB__PRIVATE int slab__reclaim(slab_heap *h)
{
    if (SLAB__CALL(h)->trying)
        return 0;
    SLAB__LOCK(h->admin);
    if (h->reclaiming) {
        SLAB__UNLOCK(h->admin);
        return 0;
    }
    h->reclaiming = 1;
    slab__shrink_all(h);
    h->reclaiming = 0;
    SLAB__UNLOCK(h->admin);
    return 1;
}

SLAB_API size_t slab_heap_shrink(slab_heap *h)
{
    size_t pages = 0;
    if (!slab__heap_ok(h))
        return 0;
    SLAB__LOCK(h->admin);
    if (!h->reclaiming) {
        h->reclaiming = 1;
        pages = slab__shrink_all(h);
        h->reclaiming = 0;
    }
    SLAB__LOCK(h->pages); // the parked runs, those the shrinkers freed too
    slab__runs_drain(h);
    SLAB__UNLOCK(h->pages);
    SLAB__UNLOCK(h->admin);
    return pages;
}

SLAB_API slab_shrinker *slab_register_shrinker(slab_heap *h, slab_count_fn count,
                                               slab_scan_fn scan, void *ctx)
{
    slab_shrinker *s;
    if (!slab__heap_ok(h))
        return NULL;
    if (!count || !scan) {
        slab__report(h, SLAB_ERR_INVALID_ARG, NULL, "a shrinker needs count and scan functions");
        return NULL;
    }
    SLAB__LOCK(h->admin);
    if (!h->shrinker_cache)
        slab__cache_new(h, "slab_shrinker", sizeof(slab_shrinker), 0, SLAB__INTERNAL, NULL, NULL,
                        &h->shrinker_cache);
    s = h->shrinker_cache ? (slab_shrinker *)slab_cache_alloc(h->shrinker_cache) : NULL;
    if (s) {
        s->count = count;
        s->scan = scan;
        s->ctx = ctx;
        s->next = h->shrinkers;
        h->shrinkers = s;
    }
    SLAB__UNLOCK(h->admin);
    return s;
}

SLAB_API void slab_unregister_shrinker(slab_heap *h, slab_shrinker *shrinker)
{
    slab_shrinker **link;
    int found;
    if (!slab__heap_ok(h) || !shrinker)
        return;
    SLAB__LOCK(h->admin);
    for (link = &h->shrinkers; *link && *link != shrinker; link = &(*link)->next)
        ;
    if ((found = *link != NULL) != 0) {
        *link = shrinker->next;
        slab_cache_free(h->shrinker_cache, shrinker);
    }
    SLAB__UNLOCK(h->admin);
    if (!found)
        slab__report(h, SLAB_ERR_INVALID_ARG, shrinker, "shrinker is not registered");
}

// Returns the calling thread's magazines in every live heap (SLAB_THREADS).
SLAB_API void slab_thread_flush(void)
{
#if SLAB_THREADS
    slab_heap *h;
    slab_cache *c;
    if (!slab__tid)
        return;
    slab__enter(&slab__registry); // heaps are neither made nor destroyed meanwhile
    for (h = slab__heaps; h; h = h->next_heap) {
        SLAB__LOCK(h->admin);
        for (c = h->caches; c; c = c->next) {
            slab__cpu *own;
            SLAB__LOCK(c->lock);
            if ((own = slab__own_cpu(c)) != NULL)
                slab__cpu_release(c, own);
            SLAB__UNLOCK(c->lock);
        }
        SLAB__UNLOCK(h->admin);
    }
    slab__leave(&slab__registry);
#endif
}

#if SLAB_THREADS
// A thread ends (the exit key's function): its magazines and its number are given back. A
// Windows fiber's callback also runs when the fiber is deleted, maybe on another thread than
// the one that armed it; only the arming thread's own token acts. It also runs for the thread
// that ends the process, after the others were killed, maybe holding locks, and maybe after
// the heaps' memory went: then it does nothing.
SLAB__PRIVATE void slab__thread_exit(const void *self)
{
    unsigned t = slab__tid;
    if (self != (const void *)&slab__self || !t)
        return;
#if SLAB__EXIT_HOOK == 2
    if (slab__shutting_down && slab__shutting_down())
        return;
#endif
    slab_thread_flush();
    slab__tid = 0; // before the number is free for another thread
    slab__teb_tid_set(0);
    slab__enter(&slab__numbers);
    slab__tid_used[t] = 0;
    slab__leave(&slab__numbers);
}
#endif

// ==========================================================================================
// >>stats  Figures of caches and of the page heap; the slabinfo dump; leak reports.

// The magazines of c (the caller holds c's lock): every thread's with `all`, else the calling
// thread's and the depot's, whose contents this thread may read while others run.
#if SLAB_THREADS
#define SLAB__MAX_MAGS (2 * SLAB__CPU_SLOTS + SLAB__DEPOT_MAX)
#else
#define SLAB__MAX_MAGS 1
#endif
SLAB__PRIVATE unsigned slab__mags(const slab_cache *c, int all, const slab__mag **out)
{
#if SLAB_THREADS
    const slab__mag *m;
    unsigned n = 0, t;
    for (t = 1; t < SLAB__CPU_SLOTS && c->cpu != slab__no_cpus; t++) {
        if (all || t == slab__tid) { // a thread may swap them as this one reads
            out[n++] = SLAB__LOAD(c->cpu[t].loaded);
            out[n] = SLAB__LOAD(c->cpu[t].prev);
            n += out[n] != out[n - 1];
        }
    }
    for (m = c->depot_full; m; m = m->next)
        out[n++] = m;
    return n;
#else
    (void)all;
    out[0] = &c->mag;
    return 1;
#endif
}

SLAB__PRIVATE size_t slab__cached(const slab_cache *c, int all)
{
    const slab__mag *mags[SLAB__MAX_MAGS];
    unsigned n = slab__mags(c, all, mags), i;
    size_t objs = 0;
    for (i = 0; i < n; i++)
        objs += SLAB__LOAD(mags[i]->count); // another thread's changes as this one reads
    return objs;
}

// Active slabs with no object in use.
SLAB__PRIVATE size_t slab__empty_actives(const slab_cache *c)
{
    size_t n = 0;
    unsigned i;
    for (i = 0; i < SLAB__ACTIVES; i++) {
        const slab__page *pg = slab__active_at(c, i);
        n += pg && pg->inuse == 0;
    }
    return n;
}

// Slabs whose objects in use are all in magazines: empty as far as the program knows.
SLAB__PRIVATE size_t slab__mag_only_slabs(const slab_cache *c)
{
    const slab__mag *mags[SLAB__MAX_MAGS];
    unsigned n = slab__mags(c, 0, mags), a, b;
    const slab__zone *z = NULL;
    size_t slabs = 0;
    uint32_t i, j;
    for (a = 0; a < n; a++) {
        for (i = 1; i <= mags[a]->count; i++) { // a slab counts at its first magazine object
            const slab__page *pg = slab__page_of(c->heap, mags[a]->obj[i], &z);
            uint32_t same = 0;
            int first = 1;
            for (b = 0; b < n; b++) {
                for (j = 1; j <= mags[b]->count; j++) {
                    if (slab__page_of(c->heap, mags[b]->obj[j], &z) != pg)
                        continue;
                    same++;
                    first &= b > a || (b == a && j >= i);
                }
            }
            slabs += (size_t)(first && same == pg->inuse);
        }
    }
    return slabs;
}

SLAB_API slab_error slab_cache_info(slab_cache *c, slab_slabinfo *out)
{
    size_t empty;
    if (!slab__cache_ok(c))
        return SLAB_ERR_BAD_HANDLE;
    if (!out) {
        slab__report(c->heap, SLAB_ERR_INVALID_ARG, c, "cache info: out is NULL");
        return SLAB_ERR_INVALID_ARG;
    }
    SLAB__LOCK(c->lock);
    empty = c->nr[SLAB__EMPTY] + slab__empty_actives(c) + slab__mag_only_slabs(c);
    SLAB_MEMSET(out, 0, sizeof *out);
    out->name = c->name;
    out->object_size = c->object_size;
    out->objsize = c->stride;
    out->align = c->align;
    out->flags = c->flags & SLAB__KNOWN_FLAGS;
    out->cached_objs = slab__cached(c, 1);
    out->active_objs = c->inuse_objs - out->cached_objs;
    out->num_objs = c->nr_slabs * c->objperslab;
    out->objperslab = c->objperslab;
    out->pagesperslab = slab__order_pages(c->order);
    out->active_slabs = c->nr_slabs - empty;
    out->num_slabs = c->nr_slabs;
    SLAB__UNLOCK(c->lock);
    return SLAB_ERR_OK;
}

SLAB_API slab_error slab_heap_stats(slab_heap *h, slab_heapinfo *out)
{
    slab_cache *c;
    const slab__zone *z;
    unsigned k;
    if (!slab__heap_ok(h))
        return SLAB_ERR_BAD_HANDLE;
    if (!out) {
        slab__report(h, SLAB_ERR_INVALID_ARG, NULL, "heap stats: out is NULL");
        return SLAB_ERR_INVALID_ARG;
    }
    SLAB_MEMSET(out, 0, sizeof *out);
    out->page_size = (size_t)1 << h->page_shift;
    SLAB__LOCK(h->admin);
    for (c = h->caches; c; c = c->next) {
        SLAB__LOCK(c->lock);
        out->slab_pages += c->slab_pages;
        if (c->flags & SLAB_RECLAIM_ACCOUNT)
            out->reclaimable_pages += c->slab_pages;
        SLAB__UNLOCK(c->lock);
    }
    out->num_caches = h->num_caches;
    SLAB__LOCK(h->pages);
    slab__runs_drain(h); // parked runs are free pages: the figures show them merged
    for (z = &h->zone; z; z = z->next) {
        size_t largest = z->free_mask ? slab__order_pages(slab__log2(z->free_mask)) : 0;
        out->pages_total += z->npages;
        out->pages_free += z->pages_free;
        out->largest_free = largest > out->largest_free ? largest : out->largest_free;
        out->max_order = z->max_order > out->max_order ? z->max_order : out->max_order;
        for (k = 0; k < SLAB_MAX_ORDERS; k++)
            out->free_blocks[k] += z->nr_free[k];
        out->metadata_bytes += (size_t)(z->region_hi - z->region_lo) - z->span;
    }
    out->large_pages = h->large_pages;
    out->block_pages = h->block_pages;
    out->regions = h->num_zones;
    SLAB__UNLOCK(h->pages);
    SLAB__UNLOCK(h->admin);
    out->fragmentation = out->pages_free
        ? (unsigned)((out->pages_free - out->largest_free) * 100 / out->pages_free) : 0;
    out->oom_count = SLAB__LOAD(h->oom_count);
    return SLAB_ERR_OK;
}

SLAB_API size_t slab_heap_max_alloc(slab_heap *h)
{
    const slab__zone *z;
    size_t largest = 0;
    if (!slab__heap_ok(h))
        return 0;
    SLAB__LOCK(h->pages);
    slab__runs_drain(h); // a parked run is free for a request of any size
    for (z = &h->zone; z; z = z->next) {
        size_t pages = z->free_mask ? slab__order_pages(slab__log2(z->free_mask)) : 0;
        largest = pages > largest ? pages : largest;
    }
    SLAB__UNLOCK(h->pages);
    return largest << h->page_shift;
}

SLAB_API int slab_heap_for_each_cache(slab_heap *h, int (*fn)(slab_cache *cache, void *user),
                                      void *user)
{
    slab_cache *c, *next;
    int r = 0;
    if (!slab__heap_ok(h) || !fn)
        return 0;
    SLAB__LOCK(h->admin);
    for (c = h->caches; c && !r; c = next) {
        next = c->next;
        r = fn(c, user);
    }
    SLAB__UNLOCK(h->admin);
    return r;
}


// Ends the line in buf and hands it to print.
SLAB__PRIVATE void slab__emit(char *buf, size_t pos, slab_print_fn print, void *user)
{
    buf[pos++] = '\n';
    buf[pos] = '\0';
    print(buf, user);
}

SLAB_API void slab_heap_dump(slab_heap *h, slab_print_fn print, void *user)
{
    static const char *const head[2] = {
        "slabinfo - version: 2.1 (slab.h)",
        "# name               <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : "
        "slabdata <active_slabs> <num_slabs>"};
    char buf[SLAB__LINE];
    slab_heapinfo hi;
    slab_cache *c;
    size_t pos;
    unsigned k;
    if (!slab__heap_ok(h) || !print || slab_heap_stats(h, &hi) != SLAB_ERR_OK)
        return;
    SLAB__LOCK(h->admin);
    for (k = 0; k < 2; k++) {
        pos = 0;
        slab__fmt_str(buf, &pos, head[k], 0, SLAB__LINE - 2);
        slab__emit(buf, pos, print, user);
    }
    for (c = h->caches; c; c = c->next) {
        slab_slabinfo si;
        if (slab_cache_info(c, &si) != SLAB_ERR_OK)
            continue;
        pos = 0;
        slab__fmt_str(buf, &pos, si.name, 20, SLAB__NAME_LEN);
        slab__fmt_uint(buf, &pos, si.active_objs, 14);
        slab__fmt_uint(buf, &pos, si.num_objs, 11);
        slab__fmt_uint(buf, &pos, si.objsize, 10);
        slab__fmt_uint(buf, &pos, si.objperslab, 13);
        slab__fmt_uint(buf, &pos, si.pagesperslab, 15);
        slab__fmt_str(buf, &pos, " : slabdata", 0, 11);
        slab__fmt_uint(buf, &pos, si.active_slabs, 15);
        slab__fmt_uint(buf, &pos, si.num_slabs, 12);
        slab__emit(buf, pos, print, user);
    }
    SLAB__UNLOCK(h->admin);
    pos = 0; // free blocks per order, as /proc/buddyinfo shows them
    slab__fmt_str(buf, &pos, "buddyinfo: free blocks of order 0..", 0, 40);
    slab__fmt_uint(buf, &pos, hi.max_order, 0);
    slab__fmt_str(buf, &pos, ":", 0, 1);
    for (k = 0; k <= hi.max_order; k++) {
        slab__fmt_str(buf, &pos, " ", 0, 1); // counts of any width stay apart
        slab__fmt_uint(buf, &pos, hi.free_blocks[k], 5);
    }
    slab__emit(buf, pos, print, user);
    pos = 0;
    slab__fmt_str(buf, &pos, "pages: total ", 0, 13);
    slab__fmt_uint(buf, &pos, hi.pages_total, 0);
    slab__fmt_str(buf, &pos, ", free ", 0, 7);
    slab__fmt_uint(buf, &pos, hi.pages_free, 0);
    slab__fmt_str(buf, &pos, ", largest free block ", 0, 21);
    slab__fmt_uint(buf, &pos, hi.largest_free, 0);
    slab__fmt_str(buf, &pos, ", fragmentation ", 0, 16);
    slab__fmt_uint(buf, &pos, hi.fragmentation, 0);
    slab__fmt_str(buf, &pos, "%", 0, 1);
    slab__emit(buf, pos, print, user);
}

// Reports what is still allocated when a heap is destroyed: objects per cache, then blocks.
SLAB__PRIVATE void slab__report_leaks(slab_heap *h)
{
    size_t large = 0, blocks = 0;
    const slab__zone *z;
    slab_cache *c;
    for (c = h->caches; c; c = c->next) {
        size_t live = slab__active_objs(c);
        if (live && !(c->flags & SLAB__INTERNAL))
            slab__report_leak(h, c, live, " live objects in cache ", 1);
    }
    for (z = &h->zone; z; z = z->next) {
        uint32_t i;
        for (i = 0; i < z->npages; i += 1u << z->pages[i].order) {
            uint8_t st = z->pages[i].state;
            large += st == SLAB__PG_KLARGE || st == SLAB__PG_VLARGE;
            blocks += st == SLAB__PG_PAGES;
        }
    }
    if (large)
        slab__report_leak(h, NULL, large, " live large (kmalloc or vmalloc) blocks", 1);
    if (blocks)
        slab__report_leak(h, NULL, blocks, " live blocks of pages", 1);
}

// ==========================================================================================
// >>check  The full consistency check: every invariant of the top comment, in O(pages + objects).

typedef struct slab__check_state {
    const char *msg;    // what broke
    size_t free_heads;  // found by the page walk of one zone, compared with its free lists
    size_t free_pages;
    size_t slab_heads;  // found by the page walks of all zones, compared with the caches
    size_t large_pages;
    size_t block_pages;
    size_t parked_pages;
    size_t run_end;     // the page after the current large run
} slab__check_state;

// Sets the message of a broken invariant and returns its number.
SLAB__PRIVATE int slab__broken(slab__check_state *st, int invariant, const char *msg)
{
    st->msg = msg;
    return invariant;
}

// I3, I4 and I8 for the block at i: its tails, no free buddy beside a free block, large runs
// made of the largest aligned blocks that cover them.
SLAB__PRIVATE int slab__check_block(const slab__zone *z, uint32_t i, slab__check_state *st)
{
    const slab__page *pg = &z->pages[i];
    uint32_t t, n = 1u << pg->order;
    int slab = pg->state == SLAB__PG_SLAB;
    for (t = 1; t < n; t++) {
        const slab__page *tail = &z->pages[i + t];
        if (tail->state != (slab ? SLAB__PG_SLAB_TAIL : SLAB__PG_TAIL) ||
            tail->head != (slab ? i : i + t) || tail->cache)
            return slab__broken(st, 3, "a tail page does not belong to its block");
    }
    if (pg->state == SLAB__PG_FREE) {
        uint32_t buddy = i ^ n;
        st->free_heads++;
        st->free_pages += n;
        if (pg->order < z->max_order && buddy < z->npages &&
            z->pages[buddy].state == SLAB__PG_FREE && z->pages[buddy].order == pg->order)
            return slab__broken(st, 4, "two free buddies were not merged");
    }
    if ((pg->state == SLAB__PG_RUN) != (i < st->run_end))
        return slab__broken(st, 8, "a large run has a missing or a stray block");
    if (pg->state == SLAB__PG_KLARGE || pg->state == SLAB__PG_VLARGE ||
        pg->state == SLAB__PG_PARKED) {
        if (pg->inuse == 0 || pg->inuse > z->npages - i)
            return slab__broken(st, 8, "a large run's length is out of range");
        st->run_end = (size_t)i + pg->inuse;
        *(pg->state == SLAB__PG_PARKED ? &st->parked_pages : &st->large_pages) += pg->inuse;
    }
    if (i < st->run_end && pg->order != slab__fit_order(z, i, st->run_end))
        return slab__broken(st, 8, "a large run is not made of its largest aligned blocks");
    st->slab_heads += (size_t)slab;
    st->block_pages += pg->state == SLAB__PG_PAGES ? n : 0;
    return 0;
}

// I1 and I2: walking the blocks from page 0, each starts with a head of a valid order.
SLAB__PRIVATE int slab__check_pages(const slab__zone *z, slab__check_state *st)
{
    uint32_t i = 0;
    while (i < z->npages) {
        const slab__page *pg = &z->pages[i];
        int r;
        if (pg->state == SLAB__PG_TAIL || pg->state == SLAB__PG_SLAB_TAIL ||
            pg->state > SLAB__PG_PARKED)
            return slab__broken(st, 1, "a block does not start with a head page");
        if (pg->head != i || (pg->cache != NULL) != (pg->state == SLAB__PG_SLAB))
            return slab__broken(st, 1, "a head page's descriptor is inconsistent");
        if (pg->order > z->max_order || (i & ((1u << pg->order) - 1u)) ||
            (size_t)z->npages - i < slab__order_pages(pg->order))
            return slab__broken(st, 2, "a block is misaligned or runs past the last page");
        if ((r = slab__check_block(z, i, st)) != 0)
            return r;
        i += 1u << pg->order;
    }
    return 0;
}

// I4: the free lists hold exactly the free blocks the page walk found, with right counts.
SLAB__PRIVATE int slab__check_free_lists(const slab__zone *z, slab__check_state *st)
{
    size_t heads = 0, pages = 0;
    unsigned k;
    for (k = 0; k < SLAB_MAX_ORDERS; k++) {
        const slab__page *pg, *prev = NULL;
        size_t n = 0;
        for (pg = z->free_head[k]; pg; prev = pg, pg = pg->next) {
            if (slab__addr(pg) < slab__addr(z->pages) ||
                slab__addr(pg) >= slab__addr(z->pages + z->npages) || n++ > z->npages ||
                pg->prev != prev)
                return slab__broken(st, 4, "a free list is broken");
            if (pg->state != SLAB__PG_FREE || pg->order != k)
                return slab__broken(st, 4, "a free list holds a block of another order");
        }
        if (n != z->nr_free[k] || (n != 0) != ((z->free_mask >> k) & 1u))
            return slab__broken(st, 4, "a free list's count or mask bit is wrong");
        heads += n;
        pages += n << k;
    }
    if (heads != st->free_heads || pages != st->free_pages || pages != z->pages_free)
        return slab__broken(st, 4, "free blocks and free lists disagree");
    return 0;
}

// I10: the runs lists hold exactly the PARKED runs the page walks found, by length and bounded.
SLAB__PRIVATE int slab__check_runs(const slab_heap *h, slab__check_state *st)
{
    size_t pages = 0;
    unsigned n;
    for (n = 0; n <= SLAB__RUN_MAX; n++) {
        const slab__page *pg;
        unsigned count = 0;
        for (pg = h->runs[n]; pg; pg = pg->next) {
            if (!slab__zone_has_page(&h->zone, pg) || ++count > SLAB__RUN_KEEP)
                return slab__broken(st, 10, "a parked run list is broken or too long");
            if (pg->state != SLAB__PG_PARKED || pg->inuse != n)
                return slab__broken(st, 10, "a parked run list holds a block of another kind");
            pages += n;
        }
        if (count != h->nr_runs[n])
            return slab__broken(st, 10, "a parked run list's count is wrong");
    }
    if (pages != st->parked_pages)
        return slab__broken(st, 10, "parked runs and parked run lists disagree");
    return 0;
}

// I5: the slab's free list holds inuse's complement of distinct object starts.
SLAB__PRIVATE int slab__check_slab(slab_cache *c, const slab__page *pg, slab__check_state *st)
{
    slab_heap *h = c->heap;
    const slab__zone *z = slab__zone_of_page(h, pg);
    uint32_t head = slab__index(z, pg);
    size_t free_objs = 0;
    void *obj;
    if (pg->state != SLAB__PG_SLAB || pg->cache != c || pg->order != c->order)
        return slab__broken(st, 6, "a cache lists a page that is not one of its slabs");
    if (pg->inuse > c->objperslab ||
        pg->colour + c->slot_bytes > ((size_t)1 << h->page_shift) << pg->order)
        return slab__broken(st, 5, "a slab's count or colour is out of range");
    for (obj = pg->freelist; obj; obj = slab__link_get(obj, c->link_off)) {
        size_t off = (size_t)(slab__addr(obj) - slab__addr(z->base));
        if (++free_objs > c->objperslab - pg->inuse || off >= z->span ||
            !slab__on_stride(c, slab__slab_offset(h, z, head, pg, obj)))
            return slab__broken(st, 5, "a slab's free list is corrupt");
    }
    if (free_objs != c->objperslab - pg->inuse)
        return slab__broken(st, 5, "a slab's inuse count disagrees with its free list");
    return 0;
}

// I7: each magazine holds distinct objects of c, which their slabs count as in use.
SLAB__PRIVATE int slab__check_magazine(const slab_cache *c, const slab__mag *m,
                                       slab__check_state *st)
{
    uint32_t i, j;
    if (m->count > slab__mag_room_of(m) || m->obj[0])
        return slab__broken(st, 7, "a cache's magazine count or sentinel is wrong");
#if SLAB_THREADS
    if (m->size && m->size != slab__mag_cap(c))
        return slab__broken(st, 7, "a magazine's room is not its cache's");
#endif
    for (i = 1; i <= m->count; i++) {
        if (!slab__obj_slab(c, m->obj[i]))
            return slab__broken(st, 7, "a cache's magazine holds a pointer that is not its object");
        for (j = 1; j < i; j++)
            if (m->obj[j] == m->obj[i])
                return slab__broken(st, 7, "a cache's magazine holds an object twice");
    }
    return 0;
}

// I7 for all of c's magazines (SLAB_THREADS: at a quiescent point, as slab_heap_check says).
SLAB__PRIVATE int slab__check_magazines(const slab_cache *c, slab__check_state *st)
{
    const slab__mag *mags[SLAB__MAX_MAGS];
    unsigned n = slab__mags(c, 1, mags), i;
    size_t objs = 0;
    for (i = 0; i < n; i++) {
        int r = slab__check_magazine(c, mags[i], st);
        if (r != 0)
            return r;
        objs += mags[i]->count;
    }
    return objs > c->inuse_objs ? slab__broken(st, 7, "magazines hold more objects than the slabs")
                                : 0;
}

// I5..I7 for one cache: each list, the active slabs, and the totals.
SLAB__PRIVATE int slab__check_cache(const slab_heap *h, slab_cache *c, slab__check_state *st,
                                    size_t *slabs)
{
    size_t n_slabs = 0, inuse = 0, pages = 0;
    unsigned w;
    int r;
    if ((c->magic != SLAB__CACHE_MAGIC && c->magic != SLAB__CACHE_SLOW) || c->heap != h)
        return slab__broken(st, 7, "a cache on the heap's list is not a live cache of this heap");
    for (w = 0; w < SLAB__NLISTS; w++) {
        const slab__page *pg, *prev = NULL;
        size_t n = 0;
        for (pg = c->lists[w]; pg; prev = pg, pg = pg->next) {
            if (n++ > st->slab_heads || pg->prev != prev || pg->active)
                return slab__broken(st, 6, "a slab list is broken");
            if ((r = slab__check_slab(c, pg, st)) != 0)
                return r;
            if (slab__fill_list(c, pg->inuse) != w)
                return slab__broken(st, 6, "a slab is on the wrong list for its fill");
            inuse += pg->inuse;
        }
        if (n != c->nr[w])
            return slab__broken(st, 6, "a slab list's count is wrong");
        n_slabs += n;
    }
    for (w = 0; w < SLAB__ACTIVES; w++) {
        const slab__page *pg = slab__active_at(c, w);
        if (!pg)
            continue;
        if (!pg->active)
            return slab__broken(st, 6, "an active slab is not marked active");
        if ((r = slab__check_slab(c, pg, st)) != 0)
            return r;
        inuse += pg->inuse;
        n_slabs++;
    }
    pages = n_slabs << c->order;
    if (n_slabs != c->nr_slabs || inuse != c->inuse_objs || pages != c->slab_pages)
        return slab__broken(st, 7, "a cache's slab, page or object count is wrong");
    if ((r = slab__check_magazines(c, st)) != 0)
        return r;
    *slabs += n_slabs;
    return 0;
}

// I6, I7: every cache is sound, and together they hold every slab the page walks found.
SLAB__PRIVATE int slab__check_caches(slab_heap *h, slab__check_state *st)
{
    slab_cache *c, *prev = NULL;
    size_t n = 0, slabs = 0;
    if (h->caches != &h->cache_cache)
        return slab__broken(st, 7, "the cache list does not start with the cache of caches");
    for (c = h->caches; c; prev = c, c = c->next) {
        int r;
        if (n++ > h->num_caches || c->prev != prev)
            return slab__broken(st, 7, "the cache list is broken");
        if ((r = slab__check_cache(h, c, st, &slabs)) != 0)
            return r;
    }
    if (n != h->num_caches)
        return slab__broken(st, 7, "the cache count is wrong");
    if (slabs != st->slab_heads)
        return slab__broken(st, 6, "a slab is on no list of its cache");
    return 0;
}

SLAB_API slab_error slab_cache_validate(slab_cache *c)
{
    slab__check_state st;
    const slab__zone *z;
    size_t slabs = 0;
    slab_error first = SLAB_ERR_OK;
    if (!slab__cache_ok(c))
        return SLAB_ERR_BAD_HANDLE;
    SLAB_MEMSET(&st, 0, sizeof st);
    for (z = &c->heap->zone; z; z = z->next) // bounds the list walks: no page walk here
        st.slab_heads += z->npages;
    if (slab__check_cache(c->heap, c, &st, &slabs) != 0) {
        slab__report(c->heap, SLAB_ERR_CORRUPT, c, st.msg);
        return SLAB_ERR_CORRUPT;
    }
#if SLAB_DEBUG
    if (c->debug)
        slab__for_each_object(c, slab__validate_one, &first);
#endif
    return first;
}

SLAB_API int slab_heap_check(slab_heap *h)
{
    slab__check_state st;
    const slab__zone *z;
    size_t zones = 0;
    int r = 0;
    if (!slab__heap_ok(h))
        return -1;
    SLAB_MEMSET(&st, 0, sizeof st);
    for (z = &h->zone; z && !r; z = z->next) {
        st.free_heads = st.free_pages = st.run_end = 0;
        r = ++zones > h->num_zones ? slab__broken(&st, 1, "the region list is broken")
                                   : slab__check_pages(z, &st);
        if (!r)
            r = slab__check_free_lists(z, &st);
    }
    if (!r && (st.large_pages != h->large_pages || st.block_pages != h->block_pages))
        r = slab__broken(&st, 8, "the heap's large or block page count is wrong");
    if (!r)
        r = slab__check_runs(h, &st);
    if (!r)
        r = slab__check_caches(h, &st);
    if (r)
        slab__report(h, SLAB_ERR_CORRUPT, NULL, st.msg);
#if SLAB_DEBUG
    if (!r) { // I9: each object's red zones and poison, reported as REDZONE or POISON
        slab_cache *c;
        slab_error first = SLAB_ERR_OK;
        for (c = h->caches; c; c = c->next)
            if (c->debug)
                slab__for_each_object(c, slab__validate_one, &first);
        r = first ? 9 : 0;
    }
#endif
    return r;
}

#endif /* SLAB_IMPLEMENTATION_INCLUDED */
#endif /* SLAB_IMPLEMENTATION */

// ==========================================================================================
// >>sites  SLAB_DEBUG builds: the allocating and freeing calls record their file and line.
// They come after the implementation, which defines the functions under their own names.
#if SLAB_DEBUG && !defined(SLAB_NO_CALL_SITES) && !defined(slab_cache_alloc)
#define slab_cache_alloc(c) (slab_cache_alloc)(slab_debug_site_cache((c), __FILE__, __LINE__))
#define slab_cache_zalloc(c) (slab_cache_zalloc)(slab_debug_site_cache((c), __FILE__, __LINE__))
#define slab_cache_free(c, p) (slab_cache_free)(slab_debug_site_cache((c), __FILE__, __LINE__), (p))
#define slab_cache_alloc_bulk(c, n, o)                                                       \
    (slab_cache_alloc_bulk)(slab_debug_site_cache((c), __FILE__, __LINE__), (n), (o))
#define slab_cache_free_bulk(c, n, o)                                                        \
    (slab_cache_free_bulk)(slab_debug_site_cache((c), __FILE__, __LINE__), (n), (o))
#define SLAB__SITE_H(h) slab_debug_site_heap((h), __FILE__, __LINE__)
#define slab_kmalloc(h, n) (slab_kmalloc)(SLAB__SITE_H(h), (n))
#define slab_kzalloc(h, n) (slab_kzalloc)(SLAB__SITE_H(h), (n))
#define slab_kcalloc(h, n, s) (slab_kcalloc)(SLAB__SITE_H(h), (n), (s))
#define slab_kmalloc_aligned(h, n, a) (slab_kmalloc_aligned)(SLAB__SITE_H(h), (n), (a))
#define slab_krealloc(h, p, n) (slab_krealloc)(SLAB__SITE_H(h), (p), (n))
#define slab_kfree(h, p) (slab_kfree)(SLAB__SITE_H(h), (p))
#define slab_kvmalloc(h, n) (slab_kvmalloc)(SLAB__SITE_H(h), (n))
#define slab_kvzalloc(h, n) (slab_kvzalloc)(SLAB__SITE_H(h), (n))
#define slab_kvrealloc(h, p, n) (slab_kvrealloc)(SLAB__SITE_H(h), (p), (n))
#define slab_kvfree(h, p) (slab_kvfree)(SLAB__SITE_H(h), (p))
#endif

/*
   This software is available under 2 licenses -- choose whichever you prefer.

   ------------------------------------------------------------------------------
   ALTERNATIVE A - MIT License

   Copyright (c) 2026 the slab.h authors

   Permission is hereby granted, free of charge, to any person obtaining a copy of
   this software and associated documentation files (the "Software"), to deal in
   the Software without restriction, including without limitation the rights to
   use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
   of the Software, and to permit persons to whom the Software is furnished to do
   so, subject to the following conditions:

   The above copyright notice and this permission notice shall be included in all
   copies or substantial portions of the Software.

   THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
   IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
   FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
   AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
   LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
   OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
   SOFTWARE.

   ------------------------------------------------------------------------------
   ALTERNATIVE B - Public Domain (www.unlicense.org)

   This is free and unencumbered software released into the public domain.

   Anyone is free to copy, modify, publish, use, compile, sell, or distribute this
   software, either in source code form or as a compiled binary, for any purpose,
   commercial or non-commercial, and by any means.

   In jurisdictions that recognize copyright laws, the author or authors of this
   software dedicate any and all copyright interest in the software to the public
   domain. We make this dedication for the benefit of the public at large and to
   the detriment of our heirs and successors. We intend this dedication to be an
   overt act of relinquishment in perpetuity of all present and future rights to
   this software under copyright law.

   THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
   IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
   FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
   AUTHORS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN
   ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION
   WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.

   For more information, please refer to <https://unlicense.org/>
   ------------------------------------------------------------------------------
*/
