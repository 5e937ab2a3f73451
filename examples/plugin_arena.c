/* plugin_arena.c - a host gives each plugin a heap of its own and unloads one at once.

   The host owns one heap over a static array. Each plugin gets a block of it from
   slab_vmalloc and builds its own heap inside that block with slab_heap_init, so whatever the
   plugin allocates (typed objects, kmalloc buffers, large tables) stays inside its block.
   Unloading a plugin is two calls: slab_heap_destroy (which, with report_leaks set, lists what
   the plugin forgot to free) and slab_vfree on the host, which returns the whole block. The
   other plugin and the host are untouched, as the figures and slab_heap_check show. */
#define SLAB_IMPLEMENTATION
#include "slab.h"

#include <stdio.h>
#include <string.h>

static unsigned char host_region[4u << 20];

struct entity {
    float pos[3];
    unsigned id;
};

typedef struct plugin {
    const char *name;
    void *block;        // the host's vmalloc block that holds the plugin's heap
    slab_heap *heap;
    slab_cache *entities;
    char *scratch;      // a kmalloc buffer
    unsigned *table;    // a large (vmalloc-path) table
} plugin;

// The plugins' error hook: a leak report names what was still allocated at unload.
static void plugin_hook(slab_heap *heap, slab_error code, const void *ptr, const char *msg,
                        void *user)
{
    (void)heap;
    (void)ptr;
    printf("  [%s] %s: %s\n", (const char *)user, slab_error_name(code), msg);
}

static int plugin_load(slab_heap *host, plugin *p, const char *name, size_t bytes, unsigned n)
{
    slab_heap_config cfg;
    unsigned i;
    memset(&cfg, 0, sizeof cfg);
    cfg.on_error = plugin_hook;
    cfg.user = (void *)name;
    cfg.report_leaks = 1;
    p->name = name;
    p->block = slab_vmalloc(host, bytes);
    p->heap = p->block ? slab_heap_init(p->block, bytes, &cfg) : NULL;
    if (!p->heap)
        return -1;
    p->entities = SLAB_CACHE(p->heap, struct entity, 0);
    p->scratch = (char *)slab_kmalloc(p->heap, 700);
    p->table = (unsigned *)slab_vzalloc(p->heap, 40000 * sizeof(unsigned));
    if (!p->entities || !p->scratch || !p->table)
        return -1;
    for (i = 0; i < n; i++) {
        struct entity *e = (struct entity *)slab_cache_alloc(p->entities);
        if (!e)
            return -1;
        e->id = i;
        p->table[i] = i;
    }
    return 0;
}

static void plugin_unload(slab_heap *host, plugin *p)
{
    slab_heap_destroy(p->heap); // reports the entities, the buffer and the table left behind
    slab_vfree(host, p->block);
    p->heap = NULL;
}

static void show_host(slab_heap *host, const char *when)
{
    slab_heapinfo hi;
    if (slab_heap_stats(host, &hi) != SLAB_ERR_OK)
        return;
    printf("host %-18s pages free %4zu of %4zu, large pages %4zu, check %d\n", when,
           hi.pages_free, hi.pages_total, hi.large_pages, slab_heap_check(host));
}

int main(void)
{
    slab_heap *host = slab_heap_init(host_region, sizeof host_region, NULL);
    plugin a, b;
    if (!host)
        return 1;
    show_host(host, "at start:");
    if (plugin_load(host, &a, "physics", 1u << 20, 5000) != 0 ||
        plugin_load(host, &b, "audio", 512u << 10, 1000) != 0) {
        printf("plugin load failed\n");
        return 1;
    }
    show_host(host, "with two plugins:");
    printf("unloading 'physics' without freeing anything:\n");
    plugin_unload(host, &a);
    show_host(host, "after unload:");
    printf("plugin 'audio' still works: check %d, entity cache active_objs ", slab_heap_check(b.heap));
    {
        slab_slabinfo si;
        if (slab_cache_info(b.entities, &si) == SLAB_ERR_OK)
            printf("%zu\n", si.active_objs);
    }
    plugin_unload(host, &b);
    show_host(host, "after both:");
    slab_heap_destroy(host);
    return 0;
}
