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
/// Checks every invariant (I1..I7) of the heap and its caches in O(pages + objects). Returns 0
/// when all hold, else the number of the first broken invariant (reported as CORRUPT), or -1
/// when heap is not a live heap.
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

#define SLAB__NIL 0xFFFFFFFFu          // "no page": the end of a descriptor list
#define SLAB__MAX_PAGES 0xFFFFFFFEu    // page indices are 32-bit and SLAB__NIL is reserved
#define SLAB__HEAP_MAGIC 0x48424c53u   // "SLBH"
#define SLAB__CACHE_MAGIC 0x43424c53u  // "SLBC"
#define SLAB__DEAD_MAGIC 0x44414544u   // a destroyed heap or cache
#define SLAB__DEFAULT_PAGE 4096u
#define SLAB__CACHELINE 64u
#define SLAB__MAX_NATURAL_ALIGN 16u    // cap of the default alignment (max_align_t on common ABIs)
#define SLAB__KEEP_EMPTY 2u            // empty slabs a cache keeps besides its active slab
#define SLAB__PREFERRED_ORDER 3u       // slabs up to 2^3 pages are tried first (SLUB's max_order)
#define SLAB__MAX_SLAB_BYTES ((size_t)1 << 30)
#define SLAB__NAME_LEN 32
#define SLAB__KNOWN_FLAGS (SLAB_HWCACHE_ALIGN | SLAB_PANIC | SLAB_RECLAIM_ACCOUNT)

// Page descriptor states (I1). A zeroed descriptor is a plain tail.
enum { SLAB__PG_TAIL, SLAB__PG_FREE, SLAB__PG_PAGES, SLAB__PG_SLAB, SLAB__PG_SLAB_TAIL };
// A cache's slab lists, named after the fill of the slabs on them (I6).
enum { SLAB__FULL, SLAB__PARTIAL, SLAB__EMPTY, SLAB__NLISTS };

// One per page, in an array at the start of the region: all page state lives here, so free
// pages are never written and free() finds an object's slab in O(1).
typedef struct slab__page {
    slab_cache *cache;  // slab heads: the owning cache; NULL on every other page (I1)
    void *freelist;     // slab heads: the first free object
    uint32_t prev;      // links of a free list (free heads) or a slab list (slab heads)
    uint32_t next;
    uint32_t head;      // slab tails: the slab's head page; every other page: its own index
    uint32_t inuse;     // slab heads: objects allocated
    uint32_t colour;    // slab heads: byte offset of the first object (cache colouring)
    uint8_t order;      // heads: the block has 2^order pages
    uint8_t state;      // SLAB__PG_*
} slab__page;

struct slab_cache {
    // Hot: the alloc and free fast paths read only these.
    uint32_t magic;
    uint32_t recip;       // ceil(2^recip_shift / stride): object index by multiplication
    slab__page *active;   // the slab allocations come from; on no list (I6)
    slab_heap *heap;
    size_t stride;        // bytes per object slot
    size_t link_off;      // where a free slot keeps its free-list link
    size_t slot_bytes;    // objperslab * stride
    size_t active_objs;
    uint32_t objperslab;
    uint8_t recip_shift;
    uint8_t order;        // slabs have 2^order pages
    // Cold: creation, slow paths and figures.
    unsigned flags;
    size_t object_size;
    size_t align;
    size_t colour_unit;   // colours step by this many bytes
    uint32_t colours;     // distinct colours (1: no colouring)
    uint32_t colour_next;
    uint32_t lists[SLAB__NLISTS];
    size_t nr[SLAB__NLISTS];
    size_t nr_slabs;
    void (*ctor)(void *obj, void *ctx);
    void *ctx;
    slab_cache *prev;     // the heap's list of caches
    slab_cache *next;
    char name[SLAB__NAME_LEN];
};

struct slab_heap {
    uint32_t magic;
    uint32_t npages;
    unsigned page_shift;
    unsigned max_order;
    char *base;           // the first page
    size_t span;          // npages << page_shift
    slab__page *pages;    // descriptors, one per page
    uintptr_t region_lo;  // the caller's region; [region_lo, base) is this heap's metadata
    uintptr_t region_hi;
    uint32_t free_mask;   // bit k set when free_head[k] is not empty
    uint32_t free_head[SLAB_MAX_ORDERS];
    size_t nr_free[SLAB_MAX_ORDERS];
    size_t pages_free;
    size_t oom_count;
    size_t num_caches;
    slab_cache *caches;   // every cache, the cache of caches first
    slab_error_fn on_error;
    void *user;
    slab_cache cache_cache; // holds this heap's slab_cache structs
};

SLAB__STATIC_ASSERT(sizeof(uint32_t) * 8 >= SLAB_MAX_ORDERS, "free_mask needs a bit per order");
SLAB__STATIC_ASSERT(SLAB_MAX_ORDERS <= 32, "orders must fit 32-bit page indices");

// ==========================================================================================
// >>util  Bit operations and address arithmetic.

// Undefined for 0.
SLAB__PRIVATE unsigned slab__log2(size_t x)
{
    unsigned r = 0;
    SLAB_ASSERT(x != 0);
    while (x >>= 1)
        r++;
    return r;
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

SLAB__PRIVATE int slab__is_pow2(size_t x) { return x != 0 && (x & (x - 1)) == 0; }

// Undefined unless a is a power of two; the caller rules out overflow.
SLAB__PRIVATE size_t slab__align_up(size_t x, size_t a) { return (x + a - 1) & ~(a - 1); }

SLAB__PRIVATE uintptr_t slab__addr(const void *p) { return (uintptr_t)p; }

// The free-list link of a free object slot.
SLAB__PRIVATE void **slab__link(void *obj, size_t link_off)
{
    return (void **)(void *)((char *)obj + link_off);
}

SLAB__PRIVATE char *slab__page_addr(const slab_heap *h, uint32_t i)
{
    return h->base + ((size_t)i << h->page_shift);
}

SLAB__PRIVATE uint32_t slab__page_index(const slab_heap *h, const slab__page *pg)
{
    return (uint32_t)(pg - h->pages);
}

SLAB__PRIVATE size_t slab__order_pages(unsigned order) { return (size_t)1 << order; }

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
    fprintf(stderr, "slab.h: %s: %s (pointer %p)\n", slab_error_name(code), msg, ptr);
#else
    (void)code;
    (void)ptr;
    (void)msg;
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
    if (SLAB__LIKELY(c->magic == SLAB__CACHE_MAGIC))
        return 1;
    if (c->magic == SLAB__DEAD_MAGIC && c->heap && c->heap->magic == SLAB__HEAP_MAGIC)
        slab__report(c->heap, SLAB_ERR_BAD_HANDLE, c, "cache used after slab_cache_destroy");
    return 0;
}

// ==========================================================================================
// >>buddy  Page heap: split on alloc, coalesce with the buddy on free.
//
//   region: [ pad | slab_heap | slab__page[npages] | pad to page | page 0 | page 1 | ... | pad ]
//
// Blocks are aligned to their size relative to page 0 (I2), so the buddy of the block of
// order k at page i is at i ^ 2^k. A region of any size is covered by the largest aligned
// blocks that fit; a buddy that would run past the last page simply never exists.

// Links descriptor i at the head of the list *head.
SLAB__PRIVATE void slab__list_push(slab__page *pages, uint32_t *head, uint32_t i)
{
    pages[i].prev = SLAB__NIL;
    pages[i].next = *head;
    if (*head != SLAB__NIL)
        pages[*head].prev = i;
    *head = i;
}

SLAB__PRIVATE void slab__list_del(slab__page *pages, uint32_t *head, uint32_t i)
{
    slab__page *pg = &pages[i];
    if (pg->prev != SLAB__NIL)
        pages[pg->prev].next = pg->next;
    else
        *head = pg->next;
    if (pg->next != SLAB__NIL)
        pages[pg->next].prev = pg->prev;
}

SLAB__PRIVATE void slab__free_push(slab_heap *h, uint32_t i, unsigned order)
{
    h->pages[i].state = SLAB__PG_FREE;
    h->pages[i].order = (uint8_t)order;
    slab__list_push(h->pages, &h->free_head[order], i);
    h->nr_free[order]++;
    h->free_mask |= 1u << order;
}

SLAB__PRIVATE void slab__free_del(slab_heap *h, uint32_t i)
{
    unsigned order = h->pages[i].order;
    slab__list_del(h->pages, &h->free_head[order], i);
    h->nr_free[order]--;
    if (h->free_head[order] == SLAB__NIL)
        h->free_mask &= ~(1u << order);
}

// Takes a free block of 2^order pages, splitting the smallest larger one; SLAB__NIL if none.
// The caller sets the head's state. O(max order).
SLAB__PRIVATE uint32_t slab__buddy_take(slab_heap *h, unsigned order)
{
    uint32_t mask, i;
    unsigned k;
    SLAB_ASSERT(order < SLAB_MAX_ORDERS);
    mask = h->free_mask & ~((1u << order) - 1u);
    if (!mask)
        return SLAB__NIL;
    k = slab__ctz32(mask);
    i = h->free_head[k];
    slab__free_del(h, i);
    while (k > order) { // the upper half of each split goes back as a free block
        k--;
        slab__free_push(h, i + (1u << k), k);
    }
    h->pages[i].order = (uint8_t)order;
    h->pages[i].state = SLAB__PG_PAGES;
    h->pages_free -= slab__order_pages(order);
    return i;
}

// Returns the block of 2^order pages at i, merging it with its buddy while that is free (I4).
SLAB__PRIVATE void slab__buddy_give(slab_heap *h, uint32_t i, unsigned order)
{
    h->pages_free += slab__order_pages(order);
    while (order < h->max_order) {
        uint32_t buddy = i ^ (1u << order);
        if (buddy >= h->npages || h->pages[buddy].state != SLAB__PG_FREE ||
            h->pages[buddy].order != order)
            break;
        slab__free_del(h, buddy);
        h->pages[i > buddy ? i : buddy].state = SLAB__PG_TAIL; // the upper half is a tail now
        i = i < buddy ? i : buddy;
        order++;
    }
    slab__free_push(h, i, order);
}

// The head of the block that holds page idx. Heads are exact (I1, I3), so scanning the
// alignments of idx upward, the first head whose block reaches idx is the one. Slow path only.
SLAB__PRIVATE uint32_t slab__block_head(const slab_heap *h, uint32_t idx)
{
    unsigned k;
    if (h->pages[idx].state == SLAB__PG_SLAB_TAIL)
        return h->pages[idx].head;
    for (k = 0; k <= h->max_order; k++) {
        uint32_t j = idx & ~((1u << k) - 1u);
        const slab__page *pg = &h->pages[j];
        if (pg->state != SLAB__PG_TAIL && pg->state != SLAB__PG_SLAB_TAIL && pg->order >= k)
            return j;
    }
    return SLAB__NIL;
}

// Finds the block a pointer points into, or says why it points into none.
SLAB__PRIVATE slab_error slab__locate(const slab_heap *h, const void *p, uint32_t *head,
                                      const char **msg)
{
    uintptr_t a = slab__addr(p);
    size_t off;
    if (a < h->region_lo || a >= h->region_hi) {
        *msg = "pointer outside the heap's region";
        return SLAB_ERR_INVALID_ADDRESS;
    }
    if (a < slab__addr(h->base)) {
        *msg = "pointer into the heap's own metadata";
        return SLAB_ERR_INVALID_POINTER;
    }
    off = (size_t)(a - slab__addr(h->base));
    if (off >= h->span) {
        *msg = "pointer into the region's unused tail";
        return SLAB_ERR_INVALID_POINTER;
    }
    *head = slab__block_head(h, (uint32_t)(off >> h->page_shift));
    if (*head == SLAB__NIL) {
        *msg = "page descriptors are corrupt";
        return SLAB_ERR_CORRUPT;
    }
    return SLAB_ERR_OK;
}

// The most pages a heap can manage between desc0 (its first descriptor) and hi.
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

// Covers pages [0, npages) with the largest aligned blocks that fit (I2, I4).
SLAB__PRIVATE void slab__carve_free_blocks(slab_heap *h)
{
    uint32_t i = 0;
    while (i < h->npages) {
        unsigned k = i ? slab__ctz32(i) : h->max_order;
        if (k > h->max_order)
            k = h->max_order;
        while ((size_t)h->npages - i < slab__order_pages(k))
            k--;
        slab__free_push(h, i, k);
        h->pages_free += slab__order_pages(k);
        i += 1u << k;
    }
}

SLAB__PRIVATE void slab__cache_setup(slab_cache *c, slab_heap *h, const char *name, size_t size,
                                     size_t align, unsigned flags,
                                     void (*ctor)(void *, void *), void *ctx, int keep_state);

SLAB_API slab_heap *slab_heap_init(void *region, size_t size, const slab_heap_config *cfg)
{
    slab_error_fn fn = cfg ? cfg->on_error : NULL;
    void *user = cfg ? cfg->user : NULL;
    size_t page_size = cfg && cfg->page_size ? cfg->page_size : SLAB__DEFAULT_PAGE;
    uintptr_t lo = slab__addr(region), hi, hdr, desc0;
    size_t npages, i;
    slab_heap *h;

    if (!region || size > UINTPTR_MAX - lo) {
        slab__report_to(fn, user, NULL, SLAB_ERR_INVALID_ARG, region,
                        region ? "region wraps around the address space" : "region is NULL");
        return NULL;
    }
    if (!slab__is_pow2(page_size) || page_size < 256 || page_size > ((size_t)1 << 30)) {
        slab__report_to(fn, user, NULL, SLAB_ERR_INVALID_ARG, region,
                        "page_size must be a power of two from 256 to 2^30");
        return NULL;
    }
    hi = lo + size;
    hdr = lo + ((16u - (lo & 15u)) & 15u); // 16 is enough for every field of slab_heap
    desc0 = hdr + sizeof(slab_heap);       // sizeof keeps the descriptors aligned
    npages = hdr <= hi && hi - hdr >= sizeof(slab_heap) ? slab__fit_pages(desc0, hi, page_size)
                                                          : 0;
    if (npages == 0) {
        slab__report_to(fn, user, NULL, SLAB_ERR_REGION_SMALL, region,
                        "region too small for the heap header, descriptors and one page");
        return NULL;
    }

    h = (slab_heap *)(void *)hdr;
    SLAB_MEMSET(h, 0, sizeof *h);
    h->npages = (uint32_t)npages;
    h->page_shift = slab__log2(page_size);
    h->max_order = slab__log2(npages);
    h->pages = (slab__page *)(void *)desc0;
    h->base = (char *)(void *)slab__align_up((size_t)(desc0 + npages * sizeof(slab__page)),
                                             page_size);
    h->span = npages << h->page_shift;
    h->region_lo = lo;
    h->region_hi = hi;
    h->on_error = fn;
    h->user = user;
    for (i = 0; i < SLAB_MAX_ORDERS; i++)
        h->free_head[i] = SLAB__NIL;
    SLAB_MEMSET(h->pages, 0, npages * sizeof(slab__page));
    for (i = 0; i < npages; i++)
        h->pages[i].head = (uint32_t)i;
    slab__carve_free_blocks(h);
    h->magic = SLAB__HEAP_MAGIC;

    slab__cache_setup(&h->cache_cache, h, "slab_cache", sizeof(slab_cache), 0, 0, NULL, NULL, 1);
    h->caches = &h->cache_cache;
    h->num_caches = 1;
    return h;
}

SLAB_API void slab_heap_destroy(slab_heap *h)
{
    slab_cache *c;
    if (!slab__heap_ok(h))
        return;
    for (c = h->caches; c; c = c->next)
        c->magic = SLAB__DEAD_MAGIC;
    h->magic = SLAB__DEAD_MAGIC;
}

// Counts a failed allocation and reports it; a SLAB_PANIC cache then aborts.
SLAB__PRIVATE void slab__oom(slab_heap *h, const void *who, const char *msg, unsigned flags)
{
    h->oom_count++;
    slab__report(h, SLAB_ERR_NOMEM, who, msg);
    if (flags & SLAB_PANIC)
        SLAB_ABORT();
}

SLAB_API void *slab_pages_alloc(slab_heap *h, unsigned order)
{
    uint32_t i;
    if (!slab__heap_ok(h))
        return NULL;
    if (order >= SLAB_MAX_ORDERS) {
        slab__report(h, SLAB_ERR_INVALID_ARG, NULL, "page order out of range");
        return NULL;
    }
    i = order <= h->max_order ? slab__buddy_take(h, order) : SLAB__NIL;
    if (i == SLAB__NIL) {
        slab__oom(h, NULL, "no free block of the requested order", 0);
        return NULL;
    }
    return slab__page_addr(h, i);
}

SLAB_API void slab_pages_free(slab_heap *h, void *p)
{
    const char *msg = "";
    uint32_t head = SLAB__NIL;
    slab_error code;
    if (!p || !slab__heap_ok(h))
        return;
    code = slab__locate(h, p, &head, &msg);
    if (code == SLAB_ERR_OK) {
        const slab__page *pg = &h->pages[head];
        int at_page = ((slab__addr(p) - slab__addr(h->base)) & (((size_t)1 << h->page_shift) - 1)) == 0;
        if (pg->state == SLAB__PG_PAGES && p == slab__page_addr(h, head)) {
            slab__buddy_give(h, head, pg->order);
            return;
        }
        code = SLAB_ERR_INVALID_POINTER;
        if (pg->state == SLAB__PG_FREE && at_page) {
            code = SLAB_ERR_DOUBLE_FREE;
            msg = "pages are already free";
        } else if (pg->state == SLAB__PG_FREE) {
            msg = "pointer into free pages";
        } else if (pg->state == SLAB__PG_SLAB) {
            msg = "pointer into a slab: free objects with slab_cache_free";
        } else {
            msg = "pointer is inside a page block, not at its start";
        }
    }
    slab__report(h, code, p, msg);
}

// ==========================================================================================
// >>cache  Object caches: slabs on full / partial / empty lists, plus one active slab.
//
//   slab: [ colour | obj 0 | obj 1 | ... | obj n-1 | leftover ]    obj = [ object | link? ]
//
// A free slot keeps its free-list link at offset 0, or, in a cache with a constructor, just
// after the object, so a freed object keeps its constructed bytes. Allocation pops the active
// slab's free list; free pushes onto the free list of the slab the page descriptor names.

// Chooses a slab order for slots of `stride` bytes, as SLUB does: the smallest slab of at
// most 2^3 pages whose waste is under 1/16, then 1/8, then 1/4, wanting 8 objects, then 4, 2,
// 1; failing that (large objects), the smallest slab that wastes at most 1/4, or holds one.
SLAB__PRIVATE unsigned slab__slab_order(size_t page_size, unsigned top, size_t stride)
{
    unsigned pref = top < SLAB__PREFERRED_ORDER ? top : SLAB__PREFERRED_ORDER, k, frac;
    size_t min_objs;
    for (min_objs = 8; min_objs >= 1; min_objs /= 2)
        for (frac = 16; frac >= 4; frac /= 2)
            for (k = 0; k <= pref; k++) {
                size_t bytes = page_size << k, n = bytes / stride;
                if (n >= min_objs && (bytes - n * stride) * frac <= bytes)
                    return k;
            }
    for (k = 0; k <= top; k++) {
        size_t bytes = page_size << k, n = bytes / stride;
        if (n >= 1 && (bytes - n * stride) * 4 <= bytes)
            return k;
    }
    for (k = 0; (page_size << k) < stride; k++)
        ;
    return k;
}

// The largest slab order a heap allows: its largest block, and at most SLAB__MAX_SLAB_BYTES.
SLAB__PRIVATE unsigned slab__top_slab_order(const slab_heap *h)
{
    unsigned top = slab__log2(SLAB__MAX_SLAB_BYTES) - h->page_shift;
    return top < h->max_order ? top : h->max_order;
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
    return align < sizeof(void *) ? sizeof(void *) : align;
}

// Bytes per slot of an object of `size` bytes (at most 2^30) aligned to align (a result of
// slab__object_align); *link_off says where a free slot keeps its link.
SLAB__PRIVATE size_t slab__slot_size(size_t size, size_t align, int link_after, size_t *link_off)
{
    if (link_after) {
        // Deliberate: the link lives after the object so constructed state survives a free.
        *link_off = slab__align_up(size, sizeof(void *));
        return slab__align_up(*link_off + sizeof(void *), align);
    }
    *link_off = 0;
    return slab__align_up(size < sizeof(void *) ? sizeof(void *) : size, align);
}

// Checks the arguments of a cache; NULL if they are fine, else the reason.
SLAB__PRIVATE const char *slab__cache_args_bad(const slab_heap *h, const char *name, size_t size,
                                               size_t align, unsigned flags, int link_after)
{
    size_t page_size = (size_t)1 << h->page_shift, link_off;
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
    if (size > SLAB__MAX_SLAB_BYTES ||
        slab__slot_size(size, slab__object_align(size, align, flags), link_after, &link_off) >
            page_size << slab__top_slab_order(h))
        return "object too large for a slab of this heap";
    return NULL;
}

// Lays out a cache whose arguments passed slab__cache_args_bad. keep_state places the link
// after the object even without a constructor (the cache of caches keeps a dead handle's magic).
SLAB__PRIVATE void slab__cache_setup(slab_cache *c, slab_heap *h, const char *name, size_t size,
                                     size_t align, unsigned flags,
                                     void (*ctor)(void *, void *), void *ctx, int keep_state)
{
    size_t page_size = (size_t)1 << h->page_shift, slab_bytes, leftover, n, i;
    SLAB_MEMSET(c, 0, sizeof *c);
    c->heap = h;
    c->object_size = size;
    c->flags = flags;
    c->ctor = ctor;
    c->ctx = ctx;
    c->align = slab__object_align(size, align, flags);
    c->stride = slab__slot_size(size, c->align, ctor || keep_state, &c->link_off);
    c->order = (uint8_t)slab__slab_order(page_size, slab__top_slab_order(h), c->stride);
    slab_bytes = page_size << c->order;
    n = slab_bytes / c->stride;
    c->objperslab = (uint32_t)n;
    c->slot_bytes = n * c->stride;
    leftover = slab_bytes - c->slot_bytes;
    c->colour_unit = c->align > SLAB__CACHELINE ? c->align : SLAB__CACHELINE;
    c->colours = (uint32_t)(leftover / c->colour_unit + 1);
    // With shift = 31 + log2(stride), (off * recip) >> shift == off / stride for every offset
    // below 2^30: the error term off * (recip * stride - 2^shift) stays under 2^shift.
    c->recip_shift = (uint8_t)(31 + slab__log2(c->stride));
    c->recip = (uint32_t)((((uint64_t)1 << c->recip_shift) + c->stride - 1) / c->stride);
    for (i = 0; i < SLAB__NLISTS; i++)
        c->lists[i] = SLAB__NIL;
    for (i = 0; i + 1 < SLAB__NAME_LEN && name[i]; i++)
        c->name[i] = name[i];
    c->magic = SLAB__CACHE_MAGIC;
}

// The list a slab that is not active belongs on, by its fill (I6).
SLAB__PRIVATE unsigned slab__fill_list(const slab_cache *c, uint32_t inuse)
{
    return inuse == 0 ? SLAB__EMPTY : inuse >= c->objperslab ? SLAB__FULL : SLAB__PARTIAL;
}

SLAB__PRIVATE void slab__slab_list_add(slab_cache *c, slab__page *pg, unsigned which)
{
    slab__list_push(c->heap->pages, &c->lists[which], slab__page_index(c->heap, pg));
    c->nr[which]++;
}

SLAB__PRIVATE void slab__slab_list_del(slab_cache *c, slab__page *pg, unsigned which)
{
    slab__list_del(c->heap->pages, &c->lists[which], slab__page_index(c->heap, pg));
    c->nr[which]--;
}

// Whether byte offset off (from the heap's base) is the start of an object slot of slab pg,
// whose head page is `head`. One multiplication instead of a division (see slab__cache_setup).
SLAB__PRIVATE int slab__on_stride(const slab_cache *c, uint32_t head, const slab__page *pg,
                                  size_t off)
{
    size_t soff = off - ((size_t)head << c->heap->page_shift) - pg->colour;
    return soff < c->slot_bytes &&
           (size_t)(((uint64_t)soff * c->recip) >> c->recip_shift) * c->stride == soff;
}

// Carves a new slab for c from the page heap and runs the constructor on its objects; NULL
// when no block of the slab's order is free.
SLAB__PRIVATE slab__page *slab__slab_new(slab_cache *c)
{
    slab_heap *h = c->heap;
    uint32_t i = slab__buddy_take(h, c->order), t, n;
    slab__page *pg;
    char *obj;
    if (i == SLAB__NIL)
        return NULL;
    pg = &h->pages[i];
    pg->state = SLAB__PG_SLAB;
    pg->cache = c;
    pg->inuse = 0;
    pg->colour = (uint32_t)(c->colour_next * c->colour_unit);
    c->colour_next = c->colour_next + 1 < c->colours ? c->colour_next + 1 : 0;
    for (t = 1; t < (1u << c->order); t++) {
        h->pages[i + t].state = SLAB__PG_SLAB_TAIL;
        h->pages[i + t].head = i;
    }
    obj = slab__page_addr(h, i) + pg->colour;
    pg->freelist = obj;
    for (n = 0; n < c->objperslab; n++, obj += c->stride) { // in address order, for locality
        if (c->ctor)
            c->ctor(obj, c->ctx);
        *slab__link(obj, c->link_off) = n + 1 < c->objperslab ? obj + c->stride : NULL;
    }
    c->nr_slabs++;
    return pg;
}

// Returns an empty slab that is on no list to the page heap.
SLAB__PRIVATE void slab__slab_release(slab_cache *c, slab__page *pg)
{
    slab_heap *h = c->heap;
    uint32_t i = slab__page_index(h, pg), t;
    SLAB_ASSERT(pg->inuse == 0 && pg->state == SLAB__PG_SLAB);
    for (t = 1; t < (1u << pg->order); t++) {
        h->pages[i + t].state = SLAB__PG_TAIL;
        h->pages[i + t].head = i + t;
    }
    pg->cache = NULL;
    pg->freelist = NULL;
    pg->colour = 0;
    c->nr_slabs--;
    slab__buddy_give(h, i, pg->order);
}

// Makes the active slab one with a free object: the old active slab is parked on its list,
// then a partial, an empty or a new slab takes its place. Returns 0, or -1 for want of pages.
SLAB__PRIVATE int slab__refill(slab_cache *c)
{
    slab__page *pg;
    if (c->active) {
        slab__slab_list_add(c, c->active, slab__fill_list(c, c->active->inuse));
        c->active = NULL;
    }
    if (c->lists[SLAB__PARTIAL] != SLAB__NIL || c->lists[SLAB__EMPTY] != SLAB__NIL) {
        unsigned which = c->lists[SLAB__PARTIAL] != SLAB__NIL ? SLAB__PARTIAL : SLAB__EMPTY;
        pg = &c->heap->pages[c->lists[which]];
        slab__slab_list_del(c, pg, which);
    } else if (!(pg = slab__slab_new(c))) {
        return -1;
    }
    c->active = pg;
    return 0;
}

// Pops the first free object of slab pg, which has one.
SLAB__PRIVATE void *slab__pop(slab_cache *c, slab__page *pg)
{
    void *obj = pg->freelist;
    pg->freelist = *slab__link(obj, c->link_off);
    pg->inuse++;
    c->active_objs++;
    return obj;
}

// A free took pg (not active) from full to partial, or to empty: move it, and give the slab
// back when the cache already keeps SLAB__KEEP_EMPTY empty slabs.
SLAB__PRIVATE void slab__relist(slab_cache *c, slab__page *pg, uint32_t was)
{
    slab__slab_list_del(c, pg, slab__fill_list(c, was));
    if (pg->inuse == 0 && c->nr[SLAB__EMPTY] >= SLAB__KEEP_EMPTY) {
        slab__slab_release(c, pg);
        return;
    }
    slab__slab_list_add(c, pg, slab__fill_list(c, pg->inuse));
}

// Pushes obj, a live object of slab pg, onto the slab's free list.
SLAB__PRIVATE void slab__push(slab_cache *c, slab__page *pg, void *obj)
{
    uint32_t was = pg->inuse--;
    *slab__link(obj, c->link_off) = pg->freelist;
    pg->freelist = obj;
    c->active_objs--;
    if (pg != c->active && (was == c->objperslab || was == 1))
        slab__relist(c, pg, was);
}

// The slab of obj when obj looks like a live object of c: on an object boundary of one of c's
// slabs, and neither at the head of its free list nor in an empty slab (the O(1) double-free
// check). NULL otherwise. O(1): the page descriptor names the slab (I1).
SLAB__PRIVATE slab__page *slab__obj_slab(const slab_cache *c, const void *obj)
{
    const slab_heap *h;
    size_t off;
    uint32_t head;
    slab__page *pg;
    if (!c || c->magic != SLAB__CACHE_MAGIC)
        return NULL;
    h = c->heap;
    off = (size_t)(slab__addr(obj) - slab__addr(h->base));
    if (off >= h->span)
        return NULL;
    head = h->pages[off >> h->page_shift].head;
    pg = &h->pages[head];
    if (pg->cache != c || !slab__on_stride(c, head, pg, off) || obj == pg->freelist ||
        pg->inuse == 0)
        return NULL;
    return pg;
}

// Says why obj cannot be freed to the live cache c.
SLAB__PRIVATE slab_error slab__diagnose(const slab_cache *c, const void *obj, const char **msg)
{
    const slab_heap *h = c->heap;
    uint32_t head = SLAB__NIL;
    const slab__page *pg;
    slab_error code = slab__locate(h, obj, &head, msg);
    if (code != SLAB_ERR_OK)
        return code;
    pg = &h->pages[head];
    *msg = "object is already free";
    if (pg->state == SLAB__PG_FREE)
        *msg = "pointer into free pages";
    else if (pg->state != SLAB__PG_SLAB)
        *msg = "pointer into a page block, not an object";
    else if (pg->cache != c)
        return (*msg = "object belongs to another cache"), SLAB_ERR_WRONG_CACHE;
    else if (!slab__on_stride(c, head, pg, (size_t)(slab__addr(obj) - slab__addr(h->base))))
        *msg = "pointer is not the start of an object";
    else
        return SLAB_ERR_DOUBLE_FREE;
    return SLAB_ERR_INVALID_POINTER;
}

// Reports a free that slab__obj_slab refused; a NULL object or a bad handle is not an object.
SLAB__PRIVATE void slab__free_refused(slab_cache *c, const void *obj)
{
    const char *msg = "";
    slab_error code;
    if (!obj || !slab__cache_ok(c))
        return;
    code = slab__diagnose(c, obj, &msg);
    slab__report(c->heap, code, obj, msg);
}

SLAB__PRIVATE void slab__cache_oom(slab_cache *c)
{
    slab__oom(c->heap, c, "no pages left for a new slab", c->flags);
}

SLAB_API slab_cache *slab_cache_create(slab_heap *h, const char *name, size_t size, size_t align,
                                       unsigned flags, void (*ctor)(void *obj, void *ctx),
                                       void *ctx)
{
    slab_cache *c;
    const char *bad;
    if (!slab__heap_ok(h))
        return NULL;
    bad = slab__cache_args_bad(h, name, size, align, flags, ctor != NULL);
    if (bad) {
        slab__report(h, SLAB_ERR_INVALID_ARG, name, bad);
        return NULL;
    }
    c = (slab_cache *)slab_cache_alloc(&h->cache_cache);
    if (!c)
        return NULL;
    slab__cache_setup(c, h, name, size, align, flags, ctor, ctx, 0);
    c->prev = &h->cache_cache; // after the cache of caches, which stays first
    c->next = h->cache_cache.next;
    if (c->next)
        c->next->prev = c;
    h->cache_cache.next = c;
    h->num_caches++;
    return c;
}

// Gives the cache's empty slabs, the active one included, back to the page heap.
SLAB__PRIVATE size_t slab__release_empty(slab_cache *c)
{
    size_t pages = 0;
    while (c->lists[SLAB__EMPTY] != SLAB__NIL) {
        slab__page *pg = &c->heap->pages[c->lists[SLAB__EMPTY]];
        slab__slab_list_del(c, pg, SLAB__EMPTY);
        pages += slab__order_pages(pg->order);
        slab__slab_release(c, pg);
    }
    if (c->active && c->active->inuse == 0) {
        pages += slab__order_pages(c->active->order);
        slab__slab_release(c, c->active);
        c->active = NULL;
    }
    return pages;
}

SLAB_API slab_error slab_cache_destroy(slab_cache *c)
{
    slab_heap *h;
    if (!slab__cache_ok(c))
        return SLAB_ERR_BAD_HANDLE;
    h = c->heap;
    if (c == &h->cache_cache) {
        slab__report(h, SLAB_ERR_INVALID_ARG, c, "the heap's own cache cannot be destroyed");
        return SLAB_ERR_INVALID_ARG;
    }
    if (c->active_objs) {
        slab__report(h, SLAB_ERR_BUSY, c, "cache still has live objects; nothing was destroyed");
        return SLAB_ERR_BUSY;
    }
    slab__release_empty(c);
    SLAB_ASSERT(c->nr_slabs == 0);
    c->prev->next = c->next; // the cache of caches is first, so prev is never NULL
    if (c->next)
        c->next->prev = c->prev;
    h->num_caches--;
    c->magic = SLAB__DEAD_MAGIC;
    slab_cache_free(&h->cache_cache, c);
    return SLAB_ERR_OK;
}

// Allocation when the active slab has no free object, or the handle is not a live cache.
SLAB__PRIVATE void *slab__alloc_slow(slab_cache *c)
{
    if (!slab__cache_ok(c))
        return NULL;
    if (slab__refill(c) != 0) {
        slab__cache_oom(c);
        return NULL;
    }
    return slab__pop(c, c->active);
}

SLAB_API void *slab_cache_alloc(slab_cache *c)
{
    slab__page *pg;
    if (SLAB__LIKELY(c && c->magic == SLAB__CACHE_MAGIC && (pg = c->active) && pg->freelist))
        return slab__pop(c, pg);
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

SLAB_API void slab_cache_free(slab_cache *c, void *obj)
{
    slab__page *pg = slab__obj_slab(c, obj);
    if (SLAB__LIKELY(pg != NULL)) {
        slab__push(c, pg, obj);
        return;
    }
    slab__free_refused(c, obj);
}

// Makes sure c's slabs hold n free objects, adding slabs; all or nothing. Returns 0 or -1.
SLAB__PRIVATE int slab__reserve(slab_cache *c, size_t n)
{
    size_t have = c->nr_slabs * c->objperslab - c->active_objs, made = 0;
    if (have >= n)
        return 0;
    // Fail at once when even all free pages could not hold the rest.
    if ((n - have - 1) / c->objperslab + 1 > (c->heap->pages_free >> c->order))
        return -1;
    while (have < n) {
        slab__page *pg = slab__slab_new(c);
        if (!pg) { // fragmentation: undo, the new slabs are the first on the empty list
            while (made--) {
                pg = &c->heap->pages[c->lists[SLAB__EMPTY]];
                slab__slab_list_del(c, pg, SLAB__EMPTY);
                slab__slab_release(c, pg);
            }
            return -1;
        }
        slab__slab_list_add(c, pg, SLAB__EMPTY);
        made++;
        have += c->objperslab;
    }
    return 0;
}

SLAB_API size_t slab_cache_alloc_bulk(slab_cache *c, size_t n, void **out)
{
    size_t got = 0;
    if (!slab__cache_ok(c) || n == 0)
        return 0;
    if (!out) {
        slab__report(c->heap, SLAB_ERR_INVALID_ARG, c, "bulk alloc: out is NULL");
        return 0;
    }
    if (slab__reserve(c, n) != 0) {
        slab__cache_oom(c);
        return 0;
    }
    while (got < n) {
        slab__page *pg = c->active;
        void *obj;
        uint32_t taken = 0;
        if (!pg || !pg->freelist) {
            int refilled = slab__refill(c); // cannot fail: the reserve holds n objects
            SLAB_ASSERT(refilled == 0);
            (void)refilled;
            pg = c->active;
        }
        for (obj = pg->freelist; got < n && obj; taken++) {
            out[got++] = obj;
            obj = *slab__link(obj, c->link_off);
        }
        pg->freelist = obj;
        pg->inuse += taken;
    }
    c->active_objs += n;
    return n;
}

SLAB_API size_t slab_cache_free_bulk(slab_cache *c, size_t n, void **objs)
{
    size_t i, freed = 0;
    if (!slab__cache_ok(c) || n == 0)
        return 0;
    if (!objs) {
        slab__report(c->heap, SLAB_ERR_INVALID_ARG, c, "bulk free: objs is NULL");
        return 0;
    }
    for (i = 0; i < n; i++)
        if (objs[i] && !slab__obj_slab(c, objs[i])) {
            slab__free_refused(c, objs[i]);
            return 0;
        }
    for (i = 0; i < n; i++) {
        slab__page *pg;
        if (!objs[i])
            continue;
        pg = slab__obj_slab(c, objs[i]);
        if (!pg) { // the same object twice in the array
            slab__free_refused(c, objs[i]);
            continue;
        }
        slab__push(c, pg, objs[i]);
        freed++;
    }
    return freed;
}

SLAB_API size_t slab_cache_shrink(slab_cache *c)
{
    return slab__cache_ok(c) ? slab__release_empty(c) : 0;
}

// ==========================================================================================
// >>stats  Figures of caches and of the page heap.

SLAB_API slab_error slab_cache_info(slab_cache *c, slab_slabinfo *out)
{
    size_t empty;
    if (!slab__cache_ok(c))
        return SLAB_ERR_BAD_HANDLE;
    if (!out) {
        slab__report(c->heap, SLAB_ERR_INVALID_ARG, c, "cache info: out is NULL");
        return SLAB_ERR_INVALID_ARG;
    }
    empty = c->nr[SLAB__EMPTY] + (c->active && c->active->inuse == 0);
    SLAB_MEMSET(out, 0, sizeof *out);
    out->name = c->name;
    out->object_size = c->object_size;
    out->objsize = c->stride;
    out->align = c->align;
    out->flags = c->flags;
    out->active_objs = c->active_objs;
    out->num_objs = c->nr_slabs * c->objperslab;
    out->objperslab = c->objperslab;
    out->pagesperslab = slab__order_pages(c->order);
    out->active_slabs = c->nr_slabs - empty;
    out->num_slabs = c->nr_slabs;
    return SLAB_ERR_OK;
}

SLAB_API slab_error slab_heap_stats(slab_heap *h, slab_heapinfo *out)
{
    const slab_cache *c;
    unsigned k;
    if (!slab__heap_ok(h))
        return SLAB_ERR_BAD_HANDLE;
    if (!out) {
        slab__report(h, SLAB_ERR_INVALID_ARG, NULL, "heap stats: out is NULL");
        return SLAB_ERR_INVALID_ARG;
    }
    SLAB_MEMSET(out, 0, sizeof *out);
    out->page_size = (size_t)1 << h->page_shift;
    out->pages_total = h->npages;
    out->pages_free = h->pages_free;
    out->largest_free = h->free_mask ? slab__order_pages(slab__log2(h->free_mask)) : 0;
    out->max_order = h->max_order;
    for (k = 0; k < SLAB_MAX_ORDERS; k++)
        out->free_blocks[k] = h->nr_free[k];
    for (c = h->caches; c; c = c->next) {
        size_t pages = c->nr_slabs << c->order;
        out->slab_pages += pages;
        if (c->flags & SLAB_RECLAIM_ACCOUNT)
            out->reclaimable_pages += pages;
    }
    out->metadata_bytes = (size_t)(h->region_hi - h->region_lo) - h->span;
    out->num_caches = h->num_caches;
    out->oom_count = h->oom_count;
    return SLAB_ERR_OK;
}

// ==========================================================================================
// >>check  The full consistency check: every invariant of the top comment, in O(pages + objects).

typedef struct slab__check_state {
    const char *msg;    // what broke
    size_t free_heads;  // found by the page walk, compared with the free lists and caches
    size_t free_pages;
    size_t slab_heads;
} slab__check_state;

// Sets the message of a broken invariant and returns its number.
SLAB__PRIVATE int slab__broken(slab__check_state *st, int invariant, const char *msg)
{
    st->msg = msg;
    return invariant;
}

// I3 and I4 for one block: its tails, and no free buddy beside a free block.
SLAB__PRIVATE int slab__check_block(const slab_heap *h, uint32_t i, slab__check_state *st)
{
    const slab__page *pg = &h->pages[i];
    uint32_t t, n = 1u << pg->order;
    for (t = 1; t < n; t++) {
        const slab__page *tail = &h->pages[i + t];
        int slab_tail = pg->state == SLAB__PG_SLAB;
        if (tail->state != (slab_tail ? SLAB__PG_SLAB_TAIL : SLAB__PG_TAIL) ||
            tail->head != (slab_tail ? i : i + t) || tail->cache)
            return slab__broken(st, 3, "a tail page does not belong to its block");
    }
    if (pg->state == SLAB__PG_FREE) {
        uint32_t buddy = i ^ n;
        st->free_heads++;
        st->free_pages += n;
        if (pg->order < h->max_order && buddy < h->npages &&
            h->pages[buddy].state == SLAB__PG_FREE && h->pages[buddy].order == pg->order)
            return slab__broken(st, 4, "two free buddies were not merged");
    }
    if (pg->state == SLAB__PG_SLAB)
        st->slab_heads++;
    return 0;
}

// I1 and I2: walking the blocks from page 0, each starts with a head of a valid order.
SLAB__PRIVATE int slab__check_pages(const slab_heap *h, slab__check_state *st)
{
    uint32_t i = 0;
    while (i < h->npages) {
        const slab__page *pg = &h->pages[i];
        int r;
        if (pg->state != SLAB__PG_FREE && pg->state != SLAB__PG_PAGES &&
            pg->state != SLAB__PG_SLAB)
            return slab__broken(st, 1, "a block does not start with a head page");
        if (pg->head != i || (pg->cache != NULL) != (pg->state == SLAB__PG_SLAB))
            return slab__broken(st, 1, "a head page's descriptor is inconsistent");
        if (pg->order > h->max_order || (i & ((1u << pg->order) - 1u)) ||
            (size_t)h->npages - i < slab__order_pages(pg->order))
            return slab__broken(st, 2, "a block is misaligned or runs past the last page");
        r = slab__check_block(h, i, st);
        if (r)
            return r;
        i += 1u << pg->order;
    }
    return 0;
}

// I4: the free lists hold exactly the free blocks the page walk found, with right counts.
SLAB__PRIVATE int slab__check_free_lists(const slab_heap *h, slab__check_state *st)
{
    size_t heads = 0, pages = 0;
    unsigned k;
    for (k = 0; k < SLAB_MAX_ORDERS; k++) {
        uint32_t i, prev = SLAB__NIL;
        size_t n = 0;
        for (i = h->free_head[k]; i != SLAB__NIL; prev = i, i = h->pages[i].next) {
            if (i >= h->npages || n++ > h->npages || h->pages[i].prev != prev)
                return slab__broken(st, 4, "a free list is broken");
            if (h->pages[i].state != SLAB__PG_FREE || h->pages[i].order != k)
                return slab__broken(st, 4, "a free list holds a block of another order");
        }
        if (n != h->nr_free[k] || (n != 0) != ((h->free_mask >> k) & 1u))
            return slab__broken(st, 4, "a free list's count or mask bit is wrong");
        heads += n;
        pages += n << k;
    }
    if (heads != st->free_heads || pages != st->free_pages || pages != h->pages_free)
        return slab__broken(st, 4, "free blocks and free lists disagree");
    return 0;
}

// I5: the slab's free list holds inuse's complement of distinct object starts.
SLAB__PRIVATE int slab__check_slab(const slab_cache *c, const slab__page *pg, slab__check_state *st)
{
    const slab_heap *h = c->heap;
    uint32_t head = slab__page_index(h, pg);
    size_t free_objs = 0;
    void *obj;
    if (pg->state != SLAB__PG_SLAB || pg->cache != c || pg->order != c->order)
        return slab__broken(st, 6, "a cache lists a page that is not one of its slabs");
    if (pg->inuse > c->objperslab || pg->colour + c->slot_bytes > ((size_t)1 << h->page_shift) << pg->order)
        return slab__broken(st, 5, "a slab's count or colour is out of range");
    for (obj = pg->freelist; obj; obj = *slab__link(obj, c->link_off)) {
        size_t off = (size_t)(slab__addr(obj) - slab__addr(h->base));
        if (++free_objs > c->objperslab - pg->inuse || off >= h->span ||
            !slab__on_stride(c, head, pg, off))
            return slab__broken(st, 5, "a slab's free list is corrupt");
    }
    if (free_objs != c->objperslab - pg->inuse)
        return slab__broken(st, 5, "a slab's inuse count disagrees with its free list");
    return 0;
}

// I5..I7 for one cache: each list, the active slab, and the totals.
SLAB__PRIVATE int slab__check_cache(const slab_heap *h, const slab_cache *c, slab__check_state *st,
                                    size_t *slabs)
{
    size_t n_slabs = 0, inuse = 0;
    unsigned w;
    int r;
    if (c->magic != SLAB__CACHE_MAGIC || c->heap != h)
        return slab__broken(st, 7, "a cache on the heap's list is not a live cache of this heap");
    for (w = 0; w < SLAB__NLISTS; w++) {
        uint32_t i, prev = SLAB__NIL;
        size_t n = 0;
        for (i = c->lists[w]; i != SLAB__NIL; prev = i, i = h->pages[i].next) {
            const slab__page *pg = &h->pages[i];
            if (i >= h->npages || n++ > h->npages || pg->prev != prev || pg == c->active)
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
    if (c->active) {
        if ((r = slab__check_slab(c, c->active, st)) != 0)
            return r;
        inuse += c->active->inuse;
        n_slabs++;
    }
    if (n_slabs != c->nr_slabs || inuse != c->active_objs)
        return slab__broken(st, 7, "a cache's slab or object count is wrong");
    *slabs += n_slabs;
    return 0;
}

// I6, I7: every cache is sound, and together they hold every slab the page walk found.
SLAB__PRIVATE int slab__check_caches(const slab_heap *h, slab__check_state *st)
{
    const slab_cache *c, *prev = NULL;
    size_t n = 0, slabs = 0;
    int r;
    if (h->caches != &h->cache_cache)
        return slab__broken(st, 7, "the cache list does not start with the cache of caches");
    for (c = h->caches; c; prev = c, c = c->next) {
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

SLAB_API int slab_heap_check(slab_heap *h)
{
    slab__check_state st;
    int r;
    if (!slab__heap_ok(h))
        return -1;
    SLAB_MEMSET(&st, 0, sizeof st);
    r = slab__check_pages(h, &st);
    if (!r)
        r = slab__check_free_lists(h, &st);
    if (!r)
        r = slab__check_caches(h, &st);
    if (r)
        slab__report(h, SLAB_ERR_CORRUPT, NULL, st.msg);
    return r;
}

#endif /* SLAB_IMPLEMENTATION_INCLUDED */
#endif /* SLAB_IMPLEMENTATION */
