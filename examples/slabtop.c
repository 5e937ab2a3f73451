/* slabtop.c - a changing workload, watched through slab_heap_dump like the slabtop tool.

   Three phases run over one heap: a burst of small kmalloc strings, a phase of typed
   "connection" objects with large receive buffers from the vmalloc path, and a cleanup that
   frees most of it and shrinks the caches. After each phase the heap's /proc/slabinfo-style
   table is printed (only caches in use, like slabtop), with the buddy free lists and the
   fragmentation figure. The run is deterministic. */
#define SLAB_IMPLEMENTATION
#include "slab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char region[16u << 20];

struct connection {
    unsigned id;
    unsigned state;
    char *rx;   // a receive buffer, vmalloc path
    size_t rx_size;
};

// Prints the dump but leaves out caches with no slabs, as slabtop sorts them out of view.
static void print_line(const char *line, void *user)
{
    (void)user;
    if (strlen(line) > 20) { // the counts follow the 20-column name: active, then total
        char *end;
        unsigned long total;
        (void)strtoul(line + 20, &end, 10);
        total = strtoul(end, &end, 10);
        if (total == 0 && *end == ' ')
            return;
    }
    (void)fputs(line, stdout);
}

static void show(slab_heap *h, const char *phase)
{
    printf("\n--- %s\n", phase);
    slab_heap_dump(h, print_line, NULL);
}

static unsigned lcg(unsigned *s) { return *s = *s * 1103515245u + 12345u; }

int main(void)
{
    static char *strings[6000];
    static struct connection *conns[300];
    slab_heap *h = slab_heap_init(region, sizeof region, NULL);
    slab_cache *cc;
    unsigned seed = 7, i;
    if (!h)
        return 1;
    cc = SLAB_CACHE(h, struct connection, SLAB_HWCACHE_ALIGN);
    for (i = 0; i < 6000; i++) { // phase 1: strings of 1..300 bytes
        size_t n = 1 + lcg(&seed) % 300;
        strings[i] = (char *)slab_kmalloc(h, n);
        if (strings[i])
            memset(strings[i], 'a', n);
    }
    show(h, "phase 1: 6000 kmalloc strings");
    for (i = 0; i < 300; i++) { // phase 2: connections with buffers of 4..32 KiB
        conns[i] = (struct connection *)slab_cache_zalloc(cc);
        if (!conns[i])
            break;
        conns[i]->id = i;
        conns[i]->rx_size = (size_t)(4 + lcg(&seed) % 29) * 1024;
        conns[i]->rx = (char *)slab_vmalloc(h, conns[i]->rx_size);
    }
    for (i = 0; i < 6000; i += 2) { // half the strings die
        slab_kfree(h, strings[i]);
        strings[i] = NULL;
    }
    show(h, "phase 2: 300 connections with receive buffers, half the strings freed");
    for (i = 0; i < 300; i++) { // phase 3: all but every tenth connection close
        if (conns[i] && i % 10) {
            slab_vfree(h, conns[i]->rx);
            slab_cache_free(cc, conns[i]);
            conns[i] = NULL;
        }
    }
    for (i = 1; i < 6000; i += 2)
        slab_kfree(h, strings[i]);
    printf("\nshrink gave back %zu pages\n", slab_heap_shrink(h));
    show(h, "phase 3: most connections closed, strings freed, caches shrunk");
    return slab_heap_check(h);
}
