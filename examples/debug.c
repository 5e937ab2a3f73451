/* debug.c - what a SLAB_DEBUG build reports, and how a program can keep going.

   Built with SLAB_DEBUG=1, every cache gets red zones, poisoning and call-site tracking, and
   the allocation calls record their file and line. This program makes four classic mistakes
   on purpose: a one-byte overflow, a write after free, a double free and a leak. Each is
   reported through the heap's error hook with its own code, the object's cache and where it
   was allocated and freed. The hook here prints and returns, so the program goes on (the
   default hook of a debug build would print and abort); the heap stays consistent throughout,
   as slab_heap_check shows at the end. */
#define SLAB_DEBUG 1
#define SLAB_IMPLEMENTATION
#include "slab.h"

#include <stdio.h>
#include <string.h>

static unsigned char region[1u << 20];

struct player {
    char name[16];
    int score;
};

static void print_report(slab_heap *heap, slab_error code, const void *ptr, const char *msg,
                         void *user)
{
    (void)heap;
    (void)ptr;
    (void)user;
    printf("  report %-8s %s\n", slab_error_name(code), msg);
}

int main(void)
{
    slab_heap_config cfg;
    slab_heap *h;
    slab_cache *players;
    struct player *p, *q;
    char *name;
    memset(&cfg, 0, sizeof cfg);
    cfg.on_error = print_report;
    cfg.report_leaks = 1;
    h = slab_heap_init(region, sizeof region, &cfg);
    players = h ? SLAB_CACHE(h, struct player, 0) : NULL;
    if (!players)
        return 1;

    printf("1. a one-byte overflow past a kmalloc'ed string, seen when it is freed:\n");
    name = (char *)slab_kmalloc(h, 5);
    memcpy(name, "alice", 6); // 6 bytes with the terminator: one too many
    slab_kfree(h, name);

    printf("2. a write after free, seen when the object is handed out again:\n");
    p = (struct player *)slab_cache_alloc(players);
    slab_cache_free(players, p);
    p->score = 42; // p was freed
    q = (struct player *)slab_cache_alloc(players);

    printf("3. a double free, refused:\n");
    slab_cache_free(players, q);
    slab_cache_free(players, q);

    printf("4. a leak, listed when the heap is destroyed:\n");
    p = (struct player *)slab_cache_alloc(players);
    if (!p)
        return 1;
    strcpy(p->name, "bob");
    printf("heap check before destroy: %d\n", slab_heap_check(h));
    slab_heap_destroy(h);
    return 0;
}
