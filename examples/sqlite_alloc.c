/* sqlite_alloc.c - SQLite with slab.h as its memory allocator (SQLITE_CONFIG_MALLOC).

   A tool that embeds SQLite can give it a heap of its own: every byte SQLite uses (page cache,
   lookaside, statements, the schema) is then inside one region, bounded and visible in a
   slabinfo table. SQLite asks for its allocator through sqlite3_mem_methods, before
   sqlite3_initialize:

     xMalloc   slab_kmalloc        xRealloc  slab_krealloc       xFree     slab_kfree
     xSize     slab_ksize          xRoundup  n rounded up to 8   (SQLite only needs "at least")
     xInit     slab_heap_init over the region in pAppData        xShutdown slab_heap_destroy

   A slab.h heap is not thread-safe; SQLite serializes xMalloc, xFree, xRealloc and xSize under
   its memory mutex while SQLITE_CONFIG_MEMSTATUS is on (the default), set here explicitly.

   The workload creates a table, inserts 20000 rows in one transaction, builds an index,
   runs a few queries, and prints the heap's slabinfo table with the connection open. After
   sqlite3_close every block SQLite held is back, and sqlite3_shutdown ends the heap.

   Build: cc -std=c99 -I. examples/sqlite_alloc.c -lsqlite3
   (Debian: apt-get install libsqlite3-dev; make test builds and runs it). */
#define SLAB_IMPLEMENTATION
#include "slab.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

typedef struct sqlite_heap {
    unsigned char *region;
    size_t size;
    slab_heap *heap;
} sqlite_heap;

static unsigned char db_memory[16u << 20];
static sqlite_heap mem = {db_memory, sizeof db_memory, NULL};

static void *x_malloc(int n)
{
    return n > 0 ? slab_kmalloc(mem.heap, (size_t)n) : NULL;
}

static void x_free(void *p)
{
    slab_kfree(mem.heap, p);
}

static void *x_realloc(void *p, int n)
{
    return n > 0 ? slab_krealloc(mem.heap, p, (size_t)n) : NULL;
}

static int x_size(void *p)
{
    return p ? (int)slab_ksize(mem.heap, p) : 0;
}

static int x_roundup(int n)
{
    return n > 0 && n <= 0x7ffffff0 ? (n + 7) & ~7 : 0;
}

static int x_init(void *app)
{
    sqlite_heap *m = (sqlite_heap *)app;
    m->heap = slab_heap_init(m->region, m->size, NULL);
    return m->heap ? SQLITE_OK : SQLITE_NOMEM;
}

static void x_shutdown(void *app)
{
    sqlite_heap *m = (sqlite_heap *)app;
    slab_heap_destroy(m->heap);
    m->heap = NULL;
}

static void print_line(const char *line, void *user)
{
    (void)user;
    (void)fputs(line, stdout);
}

static int exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        (void)fprintf(stderr, "sqlite: %s\n  in: %s\n", err ? err : "?", sql);
        sqlite3_free(err);
        return 1;
    }
    return 0;
}

int main(void)
{
    static const sqlite3_mem_methods methods = {x_malloc, x_free,     x_realloc, x_size,
                                                x_roundup, x_init,    x_shutdown, &mem};
    sqlite3 *db;
    sqlite3_stmt *st;
    slab_heapinfo hi;
    int i, bad = 0;
    long long rows = 0, total = 0;

    if (sqlite3_config(SQLITE_CONFIG_MALLOC, &methods) != SQLITE_OK ||
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 1) != SQLITE_OK || sqlite3_initialize() != SQLITE_OK)
        return 1;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK)
        return 1;

    bad |= exec(db, "CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, weight INTEGER)");
    bad |= exec(db, "BEGIN");
    if (sqlite3_prepare_v2(db, "INSERT INTO item(name, weight) VALUES(?1, ?2)", -1, &st, NULL))
        return 1;
    for (i = 0; i < 20000; i++) {
        char name[32];
        (void)snprintf(name, sizeof name, "item-%05d-%x", i, (unsigned)i * 2654435761u);
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 2, i % 97);
        if (sqlite3_step(st) != SQLITE_DONE)
            bad = 1;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    bad |= exec(db, "COMMIT");
    bad |= exec(db, "CREATE INDEX item_weight ON item(weight)");
    if (sqlite3_prepare_v2(db, "SELECT count(*), sum(weight) FROM item WHERE weight > 50", -1,
                           &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        rows = sqlite3_column_int64(st, 0);
        total = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    bad |= exec(db, "DELETE FROM item WHERE id % 2 = 0");
    bad |= exec(db, "VACUUM");
    printf("sqlite %s: %lld rows with weight > 50, sum %lld; SQLite holds %lld bytes\n",
           sqlite3_libversion(), rows, total, (long long)sqlite3_memory_used());
    bad |= rows != 9476 || total != 696486;

    printf("-- slabinfo with the connection open --\n");
    slab_heap_dump(mem.heap, print_line, NULL);
    sqlite3_close(db);

    if (slab_heap_stats(mem.heap, &hi) != SLAB_ERR_OK)
        return 1;
    printf("after sqlite3_close: SQLite holds %lld bytes; heap check %d, %zu large pages\n",
           (long long)sqlite3_memory_used(), slab_heap_check(mem.heap), hi.large_pages);
    bad |= slab_heap_check(mem.heap) != 0;
    sqlite3_shutdown();  // calls x_shutdown: the heap ends, the region is ours again
    printf("sqlite_alloc: %s\n", bad ? "FAILED" : "ok");
    return bad;
}
