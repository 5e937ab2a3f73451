/* bench/adapt_sys.c - the allocators that are not slab.h: the floor (a bare intrusive free
   list of fixed-size objects), the empty adapter (harness cost), glibc malloc, and jemalloc and
   mimalloc loaded with dlopen(RTLD_LOCAL): their prefixed or looked-up entry points are called,
   while the process's own malloc stays glibc's. */
#define _GNU_SOURCE
#include "bench.h"
#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* ---- the floor: pop and push on an intrusive singly linked list ---------------------------- */

typedef struct floor_pool {
    void *head;
    char *mem;
    size_t bytes;
} floor_pool;

static floor_pool pool;

static int floor_setup(bench_adapter *a, const bench_cfg *cfg)
{
    size_t n = cfg->max_live + 1, i;
    size_t obj = cfg->object_size < sizeof(void *) ? sizeof(void *) : cfg->object_size;
    size_t bytes;
    obj = (obj + 15) & ~(size_t)15; /* 16-aligned slots, as malloc's */
    bytes = n * obj;
    if (pool.bytes < bytes) {
        if (pool.mem)
            munmap(pool.mem, pool.bytes);
        pool.mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (pool.mem == MAP_FAILED) {
            pool.mem = NULL;
            pool.bytes = 0;
            return -1;
        }
        pool.bytes = bytes;
    }
    pool.head = NULL;
    for (i = n; i-- > 0;) { /* address order, as a fresh slab is */
        void *p = pool.mem + i * obj;
        *(void **)p = pool.head;
        pool.head = p;
    }
    a->arg = &pool;
    return 0;
}

static void floor_teardown(bench_adapter *a) { (void)a; }

static void *floor_alloc(void *arg, size_t size)
{
    floor_pool *f = (floor_pool *)arg;
    void *p = f->head;
    (void)size;
    if (p)
        f->head = *(void **)p;
    return p;
}

static void floor_free(void *arg, void *p)
{
    floor_pool *f = (floor_pool *)arg;
    *(void **)p = f->head;
    f->head = p;
}

/* ---- the empty adapter: what the harness loop costs by itself ------------------------------ */

static _Alignas(4096) char empty_buf[1 << 16];

static int none_setup(bench_adapter *a, const bench_cfg *cfg)
{
    (void)cfg;
    a->arg = NULL;
    return 0;
}
static void none_teardown(bench_adapter *a) { (void)a; }
static void *empty_alloc(void *arg, size_t size)
{
    (void)arg;
    (void)size;
    return empty_buf;
}
static void empty_free(void *arg, void *p)
{
    (void)arg;
    (void)p;
}
static size_t empty_bulk(void *arg, size_t n, void **objs)
{
    (void)arg;
    (void)objs;
    return n;
}

/* ---- glibc ---------------------------------------------------------------------------------- */

static void *glibc_alloc(void *arg, size_t size)
{
    (void)arg;
    return malloc(size);
}
static void glibc_free(void *arg, void *p)
{
    (void)arg;
    free(p);
}

/* ---- jemalloc and mimalloc, through dlopen -------------------------------------------------- */

static void *(*je_malloc)(size_t);
static void (*je_free)(void *);
static void *(*mi_malloc)(size_t);
static void (*mi_free)(void *);

static void *je_alloc(void *arg, size_t size)
{
    (void)arg;
    return je_malloc(size);
}
static void je_dealloc(void *arg, void *p)
{
    (void)arg;
    je_free(p);
}
static void *mi_alloc(void *arg, size_t size)
{
    (void)arg;
    return mi_malloc(size);
}
static void mi_dealloc(void *arg, void *p)
{
    (void)arg;
    mi_free(p);
}

static bench_adapter a_floor = {
    "free list (floor)", "floor", "floor", BK_FIXED, 0, 1, NULL, floor_setup, floor_teardown,
    floor_alloc, floor_free, NULL, NULL, NULL, NULL, 0, 0, NULL};
static bench_adapter a_empty = {
    "empty adapter", "empty", "empty", BK_FIXED | BK_GENERIC | BK_EMPTY, 0, 1, NULL, none_setup,
    none_teardown, empty_alloc, empty_free, empty_bulk, empty_bulk, NULL, NULL, 0, 0, NULL};
static bench_adapter a_glibc = {
    "glibc malloc", "glibc", "glibc", BK_GENERIC, 0, 1, NULL, none_setup, none_teardown,
    glibc_alloc, glibc_free, NULL, NULL, NULL, NULL, 0, 1, NULL};
static bench_adapter a_je = {
    "jemalloc", "jemalloc", "jemalloc", BK_GENERIC, 0, 0, NULL, none_setup, none_teardown,
    je_alloc, je_dealloc, NULL, NULL, NULL, NULL, 0, 1, NULL};
static bench_adapter a_mi = {
    "mimalloc", "mimalloc", "mimalloc", BK_GENERIC, 0, 0, NULL, none_setup, none_teardown,
    mi_alloc, mi_dealloc, NULL, NULL, NULL, NULL, 0, 1, NULL};

static char versions[256];
static char je_note[320], mi_note[320];

void bench_register_sys(bench_registry *r)
{
    void *h;
    const char *je_ver = NULL;
    int mi_ver = 0;

    /* jemalloc: Debian's libjemalloc.so.2 exports unprefixed malloc/free, so it is opened with
       RTLD_LOCAL (it then serves only the calls made through these pointers). It needs static
       TLS room: the harness re-executes itself with glibc.rtld.optional_static_tls raised. */
    /* BENCH_SKIP=jemalloc,mimalloc pretends they are absent (to try the skip path). */
    const char *skip = getenv("BENCH_SKIP");
    h = skip && strstr(skip, "jemalloc") ? NULL : dlopen("libjemalloc.so.2", RTLD_NOW | RTLD_LOCAL);
    if (h) {
        int (*mallctl)(const char *, void *, size_t *, void *, size_t) =
            (int (*)(const char *, void *, size_t *, void *, size_t))dlsym(h, "mallctl");
        size_t len = sizeof je_ver;
        je_malloc = (void *(*)(size_t))dlsym(h, "malloc");
        je_free = (void (*)(void *))dlsym(h, "free");
        if (mallctl && mallctl("version", (void *)&je_ver, &len, NULL, 0) != 0)
            je_ver = NULL;
        if (je_ver) { /* "5.3.0-0-g54eaed1d..." -> "5.3.0" */
            static char short_ver[32];
            snprintf(short_ver, sizeof short_ver, "%.*s", (int)strcspn(je_ver, "-"), je_ver);
            je_ver = short_ver;
        }
    }
    if (h && je_malloc && je_free) {
        a_je.available = 1;
    } else {
        snprintf(je_note, sizeof je_note, "skipped: %s (install libjemalloc-dev: make deps)",
                 h ? "no malloc/free in libjemalloc.so.2"
                   : skip && strstr(skip, "jemalloc") ? "BENCH_SKIP" : dlerror());
        a_je.note = je_note;
    }

    h = skip && strstr(skip, "mimalloc") ? NULL : dlopen("libmimalloc.so.2", RTLD_NOW | RTLD_LOCAL);
    if (h) {
        int (*mi_version)(void) = (int (*)(void))dlsym(h, "mi_version");
        mi_malloc = (void *(*)(size_t))dlsym(h, "mi_malloc");
        mi_free = (void (*)(void *))dlsym(h, "mi_free");
        mi_ver = mi_version ? mi_version() : 0;
    }
    if (h && mi_malloc && mi_free) {
        a_mi.available = 1;
    } else {
        snprintf(mi_note, sizeof mi_note, "skipped: %s (install libmimalloc-dev: make deps)",
                 h ? "no mi_malloc/mi_free in libmimalloc.so.2"
                   : skip && strstr(skip, "mimalloc") ? "BENCH_SKIP" : dlerror());
        a_mi.note = mi_note;
    }

    snprintf(versions, sizeof versions, "glibc %s, jemalloc %s, mimalloc %s%d.%d.%d",
             gnu_get_libc_version(), a_je.available ? (je_ver ? je_ver : "?") : "absent",
             a_mi.available ? "" : "absent ", mi_ver / 100, (mi_ver / 10) % 10, mi_ver % 10);
    if (!a_mi.available) /* no version digits for an absent library */
        snprintf(strstr(versions, "mimalloc ") + 9, 8, "absent");

    bench_register(r, &a_floor);
    bench_register(r, &a_empty);
    bench_register(r, &a_glibc);
    bench_register(r, &a_je);
    bench_register(r, &a_mi);
}

const char *bench_sys_versions(void) { return versions; }
