/* t_debug.c - the debugging layer (issue 4): red zones, poison, call sites, state bits, leak
   listings and the refused frees, each misuse in a fresh heap with a recording hook.

   For every misuse: the expected code arrives, about the object, with a message that names the
   object's cache and (SLAB_STORE_USER) the file:line of the allocating and freeing calls; the
   heap passes slab_heap_check afterwards (the report repairs red zones and poison); every other
   live object keeps its bytes; and a refused call leaves the heap's metadata byte for byte as
   it was (the slab_heap struct, the page descriptors, every cache struct, every slab's free
   list, state bits and per-object records), the figures too.

   Expectations that only a SLAB_DEBUG build can meet are compiled there only; a test with
   nothing to assert in the build at hand says "skipped" and is not counted as passed.
   The sweeps write one byte at every offset of every red zone, and of a freed object. */

/* Reports since td_reset(), kept whole (tu_hook records them into tu_g_rec as well). */
#define TD_LOG 64
typedef struct td_report {
    slab_heap *heap;
    slab_error code;
    const void *ptr;
    char msg[2 * SLAB__LINE + 8];
} td_report;
static td_report td_log[TD_LOG];
static unsigned td_nlog; /* may exceed TD_LOG; the later ones are counted only */

static void td_hook(slab_heap *heap, slab_error code, const void *ptr, const char *msg,
                    void *user)
{
    tu_hook(heap, code, ptr, msg, user);
    if (td_nlog < TD_LOG) {
        td_report *r = &td_log[td_nlog];
        size_t n = msg ? strlen(msg) : 0;
        if (n >= sizeof r->msg)
            n = sizeof r->msg - 1;
        r->heap = heap;
        r->code = code;
        r->ptr = ptr;
        memcpy(r->msg, msg ? msg : "", n);
        r->msg[n] = '\0';
    }
    td_nlog++;
}

static void td_reset(void)
{
    td_nlog = 0;
    tu_rec_reset();
}

static void td_print_log(void)
{
    unsigned i;
    for (i = 0; i < td_nlog && i < TD_LOG; i++)
        printf("      report %u: %s %p \"%s\"\n", i, slab_error_name(td_log[i].code),
               td_log[i].ptr, td_log[i].msg);
}

/* A heap over a fresh 1 MiB region with the recording hook. */
static slab_heap *td_heap(tu_region *r, int selective, int report_leaks)
{
    slab_heap_config cfg = tu_cfg(4096);
    slab_heap *h;
    cfg.on_error = td_hook;
    cfg.debug_selective = selective;
    cfg.report_leaks = report_leaks;
    h = tu_heap_cfg(r, (size_t)1 << 20, 0, &cfg);
    td_reset();
    return h;
}

/* Records the line of the call it wraps: the line the call-site macro records too. */
#define TD_LINE(var, call) ((var) = __LINE__, (call))

/* This file's name as the reports print it (without directories). */
static const char *td_file(void)
{
    const char *f = __FILE__, *s;
    for (s = f; *s; s++)
        if (*s == '/' || *s == '\\')
            f = s + 1;
    return f;
}

/* Whether msg names the cache: "'name'". */
static int td_names(const char *msg, const char *name)
{
    char want[48];
    snprintf(want, sizeof want, "'%s'", name);
    return strstr(msg, want) != NULL;
}

/* Whether msg says "<what>t_debug.c:<line>" (the line not followed by another digit). */
static TU_UNUSED int td_site(const char *msg, const char *what, int line)
{
    char want[96];
    const char *s = msg;
    size_t n;
    snprintf(want, sizeof want, "%s%s:%d", what, td_file(), line);
    n = strlen(want);
    while ((s = strstr(s, want)) != NULL) {
        if (s[n] < '0' || s[n] > '9')
            return 1;
        s++;
    }
    return 0;
}

/* Exactly one report since td_reset, of `code`, to h, about ptr, with a message. Resets. */
static int td_one(slab_heap *h, slab_error code, const void *ptr)
{
    int ok = td_nlog == 1 && td_log[0].code == code && td_log[0].heap == h &&
             td_log[0].ptr == ptr && td_log[0].msg[0] != '\0';
    if (!ok) {
        printf("    expected one %s report about %p, got %u\n", slab_error_name(code), ptr,
               td_nlog);
        td_print_log();
    }
    td_reset();
    return ok;
}

/* Exactly one report since td_reset, of `code`, to h, about the object p, whose message
   contains `text` (unless NULL); in SLAB_DEBUG builds it names cache `name` and gives the
   allocating call's line aline and the freeing call's line fline (0: not checked), as issue 4
   asks of debug builds. Resets. */
static int td_obj_report(slab_heap *h, slab_error code, const void *p, const char *name,
                         const char *text, int aline, int fline)
{
    int ok = td_nlog == 1 && td_log[0].code == code && td_log[0].heap == h && td_log[0].ptr == p;
    const char *msg = td_log[0].msg;
    if (ok && text && strstr(msg, text) == NULL)
        ok = 0;
#if SLAB_DEBUG
    if (ok && name && !td_names(msg, name))
        ok = 0;
    if (ok && aline && !td_site(msg, "allocated at ", aline))
        ok = 0;
    if (ok && fline && !td_site(msg, "freed at ", fline))
        ok = 0;
#else
    (void)name;
    (void)aline;
    (void)fline;
#endif
    if (!ok) {
        printf("    expected one %s report about %p naming '%s', \"%s\", allocated at line %d, "
               "freed at line %d; got %u\n",
               slab_error_name(code), p, name ? name : "", text ? text : "", aline, fline,
               td_nlog);
        td_print_log();
    }
    td_reset();
    return ok;
}

/* The check passes with no report, and the live blocks kept their bytes. */
static int td_clean(slab_heap *h, const tu_blocks *live)
{
    int r = slab_heap_check(h), ok = r == 0 && td_nlog == 0;
    if (!ok) {
        printf("    heap check returned %d with %u reports\n", r, td_nlog);
        td_print_log();
    }
    if (live && !tu_blocks_ok(live))
        ok = 0;
    td_reset();
    return ok;
}

// ==========================================================================================
// The heap's metadata, byte for byte: the slab_heap struct (but the call site the call-site
// macros leave for the next call), the page descriptors of every region, and a digest of
// every cache struct, and of each slab's free list, state bits and per-object records.

typedef struct td_state {
    slab_heap heap;
    unsigned char *pages;
    size_t pages_len;
    uint64_t digest;
    slab_heapinfo hi;
} td_state;

static uint64_t td_hash(uint64_t x, const void *p, size_t n)
{
    const unsigned char *b = (const unsigned char *)p;
    size_t i;
    for (i = 0; i < n; i++)
        x = (x ^ b[i]) * 1099511628211u;
    return x;
}

static uint64_t td_hash_ptr(uint64_t x, const void *p)
{
    uintptr_t a = (uintptr_t)p;
    return td_hash(x, &a, sizeof a);
}

static uint64_t td_slab_digest(slab_cache *c, const slab__page *pg, uint64_t x)
{
    const slab__zone *z = slab__zone_of_page(c->heap, pg);
    char *base = slab__page_addr(c->heap, z, pg);
    size_t bytes = (size_t)1 << c->heap->page_shift << c->order;
    void *obj;
    uint32_t n = 0;
    for (obj = pg->freelist; obj && n <= c->objperslab; n++) {
        x = td_hash_ptr(x, obj);
        obj = slab__link_get(obj, c->link_off);
    }
    if (c->map_bytes)
        x = td_hash(x, base + bytes - c->map_bytes, c->map_bytes);
#if SLAB_DEBUG
    if (c->debug) {
        char *o = base + pg->colour;
        for (n = 0; n < c->objperslab; n++, o += c->stride) {
            slab__meta m = slab__meta_get(c, o);
            x = td_hash(x, &m.orig_size, sizeof m.orig_size);
            x = td_hash_ptr(x, m.alloc.file);
            x = td_hash_ptr(x, m.alloc.ret);
            x = td_hash(x, &m.alloc.line, sizeof m.alloc.line);
            x = td_hash_ptr(x, m.free.file);
            x = td_hash_ptr(x, m.free.ret);
            x = td_hash(x, &m.free.line, sizeof m.free.line);
        }
    }
#endif
    return x;
}

static void td_state_take(td_state *s, slab_heap *h)
{
    const slab__zone *z;
    slab_cache *c;
    size_t len = 0;
    uint64_t x = 1469598103934665603u;
    s->hi = tu_hinfo(h); /* first: the figures give parked runs back to the page heap */
    memcpy(&s->heap, h, sizeof *h);
#if !SLAB_THREADS // the call-site macros' scratch for the next tracked call (else per thread)
    s->heap.call.site_file = NULL;
    s->heap.call.site_line = 0;
    s->heap.call.site_ret = NULL;
#endif
    for (z = &h->zone; z; z = z->next)
        len += z->npages * sizeof(slab__page);
    s->pages = (unsigned char *)malloc(len ? len : 1);
    s->pages_len = len;
    len = 0;
    for (z = &h->zone; z && s->pages; z = z->next) {
        memcpy(s->pages + len, z->pages, z->npages * sizeof(slab__page));
        len += z->npages * sizeof(slab__page);
    }
    for (c = h->caches; c; c = c->next) {
        unsigned w;
        x = td_hash(x, c, sizeof *c);
        for (w = 0; w <= SLAB__NLISTS; w++) {
            const slab__page *pg = w < SLAB__NLISTS ? c->lists[w] : c->active;
            for (; pg; pg = w < SLAB__NLISTS ? pg->next : NULL)
                x = td_slab_digest(c, pg, x);
        }
    }
    s->digest = x;
}

static void td_state_free(td_state *s)
{
    free(s->pages);
    s->pages = NULL;
}

/* Whether the heap's metadata is what s recorded. */
static int td_state_same(const td_state *s, slab_heap *h)
{
    td_state now;
    int heap_ok, pages_ok, ok;
    td_state_take(&now, h);
    heap_ok = memcmp(&s->heap, &now.heap, sizeof now.heap) == 0;
    pages_ok = s->pages && now.pages && s->pages_len == now.pages_len &&
               memcmp(s->pages, now.pages, now.pages_len) == 0;
    ok = heap_ok && pages_ok && s->digest == now.digest && tu_heapinfo_eq(&s->hi, &now.hi);
    if (!ok)
        printf("    metadata changed: heap struct %s, descriptors %s, caches and slabs %s, "
               "figures %s\n",
               heap_ok ? "same" : "DIFFERENT", pages_ok ? "same" : "DIFFERENT",
               s->digest == now.digest ? "same" : "DIFFERENT",
               tu_heapinfo_eq(&s->hi, &now.hi) ? "same" : "DIFFERENT");
    td_state_free(&now);
    return ok;
}

/* After a call the library must refuse: exactly one report of `code` to h about ptr, the
   metadata as `before` recorded it, a clean check, and the live blocks' bytes intact. */
static int td_refused(slab_heap *h, const td_state *before, const tu_blocks *live,
                      slab_error code, const void *ptr, const char *what)
{
    int ok = td_one(h, code, ptr);
    ok &= td_state_same(before, h);
    ok &= td_clean(h, live);
    if (!ok)
        printf("    (case: %s)\n", what);
    return ok;
}

// ==========================================================================================
// Where objects come from: a cache, or slab_kmalloc with a request below its class size.

typedef struct td_src {
    slab_heap *h;
    slab_cache *c;    /* the cache; for kmalloc, its class (known after the first kmalloc) */
    size_t req;       /* kmalloc: the bytes asked for; 0: objects of cache c */
    const char *name; /* the cache's name */
    char kname[24];
} td_src;

static TU_UNUSED void td_src_cache(td_src *s, slab_heap *h, slab_cache *c, const char *name)
{
    memset(s, 0, sizeof *s);
    s->h = h;
    s->c = c;
    s->name = name;
}

/* kmalloc requests of req bytes; the class cache is looked up by name. */
static TU_UNUSED int td_src_kmalloc(td_src *s, slab_heap *h, size_t req)
{
    void *p;
    memset(s, 0, sizeof *s);
    s->h = h;
    s->req = req;
    p = slab_kmalloc(h, req);
    if (p == NULL)
        return 0;
    snprintf(s->kname, sizeof s->kname, "kmalloc-%lu", (unsigned long)slab_ksize(h, p));
    s->name = s->kname;
    s->c = tu_find_cache(h, s->kname);
    slab_kfree(h, p);
    td_reset();
    return s->c != NULL;
}

static TU_UNUSED unsigned char *td_alloc(td_src *s, int *line)
{
    if (s->req)
        return (unsigned char *)TD_LINE(*line, slab_kmalloc(s->h, s->req));
    return (unsigned char *)TD_LINE(*line, slab_cache_alloc(s->c));
}

static TU_UNUSED void td_free(td_src *s, void *p, int *line)
{
    if (s->req)
        TD_LINE(*line, slab_kfree(s->h, p));
    else
        TD_LINE(*line, slab_cache_free(s->c, p));
}

/* Allocates from s until `want` (a free object) is handed out, at most 256 times; the other
   objects are freed again afterwards. Which free object an allocation hands out is the
   allocator's business (its magazine, its slabs' free lists): the tests do not assume it. */
static TU_UNUSED unsigned char *td_alloc_same(td_src *s, const void *want, int *line)
{
    unsigned char *got[256], *p = NULL;
    size_t n = 0, i;
    while (n < 256) {
        p = td_alloc(s, line);
        if (p == NULL || p == want)
            break;
        got[n++] = p;
    }
    for (i = 0; i < n; i++) {
        int fl = 0;
        td_free(s, got[i], &fl);
    }
    return p == want ? p : NULL;
}

/* td_alloc_same for a cache. */
static TU_UNUSED unsigned char *td_cache_same(slab_cache *c, const void *want, int *line)
{
    td_src s;
    memset(&s, 0, sizeof s);
    s.h = c->heap;
    s.c = c;
    return td_alloc_same(&s, want, line);
}

/* Bytes of a live object: where its right red zone starts. */
static TU_UNUSED size_t td_usable(const td_src *s)
{
    return s->req ? s->req : s->c->object_size;
}

/* Writes n bytes of v at p, which the library keeps poisoned for ASan or Valgrind. */
static TU_UNUSED void td_poke(void *p, size_t n, unsigned char v)
{
    TU_UNPOISON(p, n);
    memset(p, v, n);
}

/* Whether the n bytes at p, in an object just handed out, all hold v. The test reads bytes the
   program never wrote, on purpose: Valgrind rightly sees them as undefined, so it says so. */
static TU_UNUSED int td_fresh_all(void *p, size_t n, unsigned char v)
{
    TU_UNPOISON(p, n);
    return tu_all_bytes(p, n, v);
}

#if SLAB_DEBUG
/* Copies n bytes the library keeps poisoned (a free object, a red zone) without a trace. */
static void td_peek(void *dst, const void *src, size_t n)
{
    SLAB__OPEN(src, n);
    memcpy(dst, src, n);
    SLAB__SHUT(src, n);
}

/* Whether the n bytes at p (kept poisoned by the library) all hold v. */
static int td_peek_all(const void *p, size_t n, unsigned char v)
{
    unsigned char buf[4096];
    return n <= sizeof buf && (td_peek(buf, p, n), tu_all_bytes(buf, n, v));
}
#endif

// ==========================================================================================
// Red zones: writes past the end and before the start.

#if SLAB_DEBUG
/* The caches and kmalloc requests the red-zone tests go through; kmalloc requests are below
   their class size, so the class's tail is red zone too. */
typedef struct td_kinds {
    td_src s[8];
    size_t n;
} td_kinds;

static int td_kinds_make(td_kinds *k, slab_heap *h)
{
    static const struct {
        const char *name;
        size_t size;
        unsigned flags;
    } caches[] = {{"td_40", 40, 0}, {"td_20", 20, 0}, {"td_1", 1, 0}, {"td_hw", 100, SLAB_HWCACHE_ALIGN}};
    static const size_t reqs[] = {20, 33, 100, 300};
    size_t i;
    k->n = 0;
    for (i = 0; i < 4; i++) {
        slab_cache *c = slab_cache_create(h, caches[i].name, caches[i].size, 0, caches[i].flags,
                                          NULL, NULL);
        if (c == NULL)
            return 0;
        td_src_cache(&k->s[k->n++], h, c, caches[i].name);
    }
    for (i = 0; i < 4; i++)
        if (!td_src_kmalloc(&k->s[k->n++], h, reqs[i]))
            return 0;
    return 1;
}

/* Live neighbours: two objects before the victim's slot and two after it; returns the victim,
   freed again so the next allocation hands it out (the magazine is LIFO). */
static unsigned char *td_surround(td_src *s, tu_blocks *live)
{
    unsigned char *v;
    int line, i;
    for (i = 0; i < 2; i++)
        tu_blocks_add(live, td_alloc(s, &line), td_usable(s));
    v = td_alloc(s, &line);
    for (i = 0; i < 2; i++)
        tu_blocks_add(live, td_alloc(s, &line), td_usable(s));
    td_free(s, v, &line);
    return v;
}

/* Frees the live blocks of the sources srcs[0..n) (each to its own cache) and forgets them. */
static void td_free_all(td_src *srcs, size_t n, tu_blocks *live)
{
    size_t i, j;
    for (i = 0; i < live->n; i++) {
        const slab__zone *z = NULL;
        slab__page *pg = slab__page_of(srcs[0].h, live->p[i], &z);
        for (j = 0; j < n; j++)
            if (pg != NULL && pg->cache == srcs[j].c) {
                int fl = 0;
                td_free(&srcs[j], live->p[i], &fl);
                break;
            }
    }
    live->n = 0;
}
#endif

/* Writes of 1 .. N bytes past the end of a live object (N: its whole right red zone; for
   kmalloc, from the request on) are reported as REDZONE when the object is freed, naming the
   cache and the allocating and freeing lines; the red zone is restored and the object freed.
   The same write is found by slab_cache_validate and by slab_heap_check. */
static void t_debug_overflow(void)
{
#if !SLAB_DEBUG
    TU_SKIP("red zones exist in SLAB_DEBUG builds only");
#else
    tu_region r;
    slab_heap *h = td_heap(&r, 0, 0);
    td_kinds k;
    tu_blocks live;
    size_t i, n;
    REQUIRE(h != NULL);
    memset(&live, 0, sizeof live);
    REQUIRE(td_kinds_make(&k, h));
    for (i = 0; i < k.n; i++) {
        td_src *s = &k.s[i];
        size_t from = td_usable(s), zone = s->c->link_off - from;
        unsigned char *v = td_surround(s, &live), *p;
        int al = 0, fl = 0;
        CHECK(zone >= 8);
        for (n = 1; n <= zone; n++) {
            size_t active = tu_cinfo(s->c).active_objs;
            p = td_alloc_same(s, v, &al);
            REQUIRE(p == v);
            tu_fill(p, from, (uint32_t)n);
            td_poke(p + from, n, 0x41);
            td_free(s, p, &fl);
            CHECK(td_obj_report(h, SLAB_ERR_REDZONE, p, s->name, "right red zone", al, fl));
            CHECK(tu_cinfo(s->c).active_objs == active); /* the object was freed */
            CHECK(td_clean(h, &live));
            CHECK(slab_cache_validate(s->c) == SLAB_ERR_OK && td_nlog == 0);
        }
        /* found by validate and by the heap check, while the object is live */
        for (n = 1; n <= zone; n += zone - 1) {
            p = td_alloc(s, &al);
            td_poke(p + from, n, 0x00);
            CHECK(slab_cache_validate(s->c) == SLAB_ERR_REDZONE);
            CHECK(td_obj_report(h, SLAB_ERR_REDZONE, p, s->name, "right red zone", al, 0));
            CHECK(slab_cache_validate(s->c) == SLAB_ERR_OK); /* restored */
            CHECK(td_clean(h, &live));
            td_poke(p + from + n - 1, 1, 0x00);
            CHECK(slab_heap_check(h) == 9);
            CHECK(td_obj_report(h, SLAB_ERR_REDZONE, p, s->name, "right red zone", al, 0));
            CHECK(td_clean(h, &live));
            td_free(s, p, &fl);
            CHECK(td_clean(h, &live)); /* nothing left to report at free */
        }
        if (tu_test_fails)
            printf("    (%s, request %lu)\n", s->name, (unsigned long)s->req);
    }
    td_free_all(k.s, k.n, &live);
    CHECK(td_clean(h, NULL));
    CHECK(tu_heap_ok(h, 0, 0));
    slab_heap_destroy(h);
    tu_region_free(&r);
#endif
}

/* Writes of 1 .. lpad bytes just before a live object are reported as REDZONE (left red
   zone) at free, at validate and by the heap check. */
static void t_debug_underflow(void)
{
#if !SLAB_DEBUG
    TU_SKIP("red zones exist in SLAB_DEBUG builds only");
#else
    tu_region r;
    slab_heap *h = td_heap(&r, 0, 0);
    td_kinds k;
    tu_blocks live;
    size_t i, n;
    REQUIRE(h != NULL);
    memset(&live, 0, sizeof live);
    REQUIRE(td_kinds_make(&k, h));
    for (i = 0; i < k.n; i++) {
        td_src *s = &k.s[i];
        size_t lpad = s->c->lpad;
        unsigned char *v = td_surround(s, &live), *p;
        int al = 0, fl = 0;
        CHECK(lpad >= 8);
        for (n = 1; n <= lpad; n++) {
            p = td_alloc_same(s, v, &al);
            REQUIRE(p == v);
            tu_fill(p, td_usable(s), (uint32_t)n);
            td_poke(p - n, n, 0x41);
            td_free(s, p, &fl);
            CHECK(td_obj_report(h, SLAB_ERR_REDZONE, p, s->name, "left red zone", al, fl));
            CHECK(td_clean(h, &live));
        }
        p = td_alloc(s, &al);
        td_poke(p - lpad, 1, 0x00);
        CHECK(slab_cache_validate(s->c) == SLAB_ERR_REDZONE);
        CHECK(td_obj_report(h, SLAB_ERR_REDZONE, p, s->name, "left red zone", al, 0));
        td_poke(p - 1, 1, 0x00);
        CHECK(slab_heap_check(h) == 9);
        CHECK(td_obj_report(h, SLAB_ERR_REDZONE, p, s->name, "left red zone", al, 0));
        CHECK(td_clean(h, &live));
        td_free(s, p, &fl);
        CHECK(td_clean(h, &live));
        if (tu_test_fails)
            printf("    (%s, request %lu)\n", s->name, (unsigned long)s->req);
    }
    td_free_all(k.s, k.n, &live);
    CHECK(td_clean(h, NULL));
    CHECK(tu_heap_ok(h, 0, 0));
    slab_heap_destroy(h);
    tu_region_free(&r);
#endif
}

/* Sweep: one byte written at each offset of each red zone is found: left and right zones of
   a live object (at validate, and at free), and of a free object (at validate, and when it is
   handed out again), for a cache object and a kmalloc object. */
static void t_debug_redzone_sweep(void)
{
#if !SLAB_DEBUG
    TU_SKIP("red zones exist in SLAB_DEBUG builds only");
#else
    tu_region r;
    slab_heap *h = td_heap(&r, 0, 0);
    td_src srcs[2];
    tu_blocks live;
    size_t i, found = 0, writes = 0;
    slab_cache *c;
    REQUIRE(h != NULL);
    memset(&live, 0, sizeof live);
    c = slab_cache_create(h, "td_sweep", 24, 0, 0, NULL, NULL);
    REQUIRE(c != NULL);
    td_src_cache(&srcs[0], h, c, "td_sweep");
    REQUIRE(td_src_kmalloc(&srcs[1], h, 20));
    for (i = 0; i < 2; i++) {
        td_src *s = &srcs[i];
        unsigned char *v = td_surround(s, &live), *p;
        long lo = -(long)s->c->lpad, hi = (long)s->c->link_off, off;
        int al = 0, fl = 0, state;
        for (state = 0; state < 2; state++) { /* 0: live object, 1: free object */
            size_t from = state == 0 ? td_usable(s) : s->c->object_size;
            unsigned char val = state == 0 ? 0xcc ^ 0xff : 0xbb ^ 0xff;
            for (off = lo; off < hi; off++) {
                int how;
                if (off >= 0 && (size_t)off < from)
                    continue; /* the object itself */
                for (how = 0; how < 2; how++) {
                    slab_error got;
                    writes++;
                    p = td_alloc_same(s, v, &al);
                    REQUIRE(p == v);
                    if (state == 1)
                        td_free(s, p, &fl);
                    td_reset();
                    td_poke(p + off, 1, val);
                    if (how == 0) {
                        got = slab_cache_validate(s->c);
                        CHECK(got == SLAB_ERR_REDZONE);
                    } else if (state == 0) {
                        td_free(s, p, &fl);
                    } else {
                        unsigned char *q = td_alloc_same(s, p, &al);
                        CHECK(q == p);
                    }
                    if (td_nlog == 1 && td_log[0].code == SLAB_ERR_REDZONE && td_log[0].ptr == p &&
                        td_names(td_log[0].msg, s->name))
                        found++;
                    else
                        printf("    %s %s object: byte %ld of its red zones written, %s: not "
                               "found\n",
                               s->name, state ? "free" : "live", off,
                               how ? (state ? "reallocation" : "free") : "validate");
                    td_reset();
                    if (state == 1 && how == 1) {
                        td_free(s, p, &fl);
                    } else if (state == 0 && how == 0) {
                        td_free(s, p, &fl);
                    }
                    CHECK(td_clean(h, &live));
                }
            }
        }
    }
    CHECK(found == writes);
    CHECK(writes > 100);
    td_free_all(srcs, 2, &live);
    CHECK(td_clean(h, NULL));
    CHECK(tu_heap_ok(h, 0, 0));
    slab_heap_destroy(h);
    tu_region_free(&r);
#endif
}

// ==========================================================================================
// Poison: writes after free, uninitialized fill, constructors.

/* A write after free is reported as POISON by slab_cache_validate and by slab_heap_check, and
   when the object is handed out again, naming the cache, the allocating and the freeing call;
   the poison is restored (validate is quiet again) and the object handed out is 0x5a. */
static void t_debug_use_after_free(void)
{
#if !SLAB_DEBUG
    TU_SKIP("poisoning exists in SLAB_DEBUG builds only");
#else
    tu_region r;
    slab_heap *h = td_heap(&r, 0, 0);
    td_src srcs[2];
    tu_blocks live;
    slab_cache *c;
    size_t i;
    REQUIRE(h != NULL);
    memset(&live, 0, sizeof live);
    c = slab_cache_create(h, "td_uaf", 48, 0, 0, NULL, NULL);
    REQUIRE(c != NULL);
    td_src_cache(&srcs[0], h, c, "td_uaf");
    REQUIRE(td_src_kmalloc(&srcs[1], h, 40));
    for (i = 0; i < 2; i++) {
        td_src *s = &srcs[i];
        unsigned char *v = td_surround(s, &live), *p, *q;
        int al = 0, fl = 0, al2 = 0;
        p = td_alloc_same(s, v, &al);
        REQUIRE(p == v);
        td_free(s, p, &fl);
        td_poke(p + 8, 4, 0x00);
        CHECK(slab_cache_validate(s->c) == SLAB_ERR_POISON);
        CHECK(td_obj_report(h, SLAB_ERR_POISON, p, s->name, "write after free", al, fl));
        CHECK(slab_cache_validate(s->c) == SLAB_ERR_OK);
        CHECK(td_clean(h, &live));
        td_poke(p, 1, 0x00);
        CHECK(slab_heap_check(h) == 9);
        CHECK(td_obj_report(h, SLAB_ERR_POISON, p, s->name, "write after free", al, fl));
        CHECK(td_clean(h, &live));
        /* found when the object is handed out again; the program gets it, filled with 0x5a */
        td_poke(p + td_usable(s) - 1, 1, 0x00);
        q = td_alloc_same(s, p, &al2);
        CHECK(q == p);
        CHECK(td_obj_report(h, SLAB_ERR_POISON, p, s->name, "write after free", al, fl));
        CHECK(td_fresh_all(q, td_usable(s), 0x5a));
        CHECK(td_clean(h, &live));
        td_free(s, q, &fl);
        CHECK(td_clean(h, &live));
    }
    td_free_all(srcs, 2, &live);
    CHECK(td_clean(h, NULL));
    CHECK(tu_heap_ok(h, 0, 0));
    slab_heap_destroy(h);
    tu_region_free(&r);
#endif
}

/* Sweep: a byte written at each offset of a freed object is found (POISON) by validate and,
   written again, when the object is handed out again; writing the poison value itself (0x6b,
   0xa5 in the last byte) at any offset is not found: the object's bytes are what they were. */
static void t_debug_poison_sweep(void)
{
#if !SLAB_DEBUG
    TU_SKIP("poisoning exists in SLAB_DEBUG builds only");
#else
    tu_region r;
    slab_heap *h = td_heap(&r, 0, 0);
    td_src srcs[2];
    tu_blocks live;
    slab_cache *c;
    size_t i, off, found = 0, writes = 0, unseen = 0;
    REQUIRE(h != NULL);
    memset(&live, 0, sizeof live);
    c = slab_cache_create(h, "td_psweep", 40, 0, 0, NULL, NULL);
    REQUIRE(c != NULL);
    td_src_cache(&srcs[0], h, c, "td_psweep");
    REQUIRE(td_src_kmalloc(&srcs[1], h, 20));
    for (i = 0; i < 2; i++) {
        td_src *s = &srcs[i];
        unsigned char *v = td_surround(s, &live), *p, *q;
        size_t size = s->c->object_size; /* a free kmalloc object is poisoned to its class size */
        int al = 0, fl = 0;
        for (off = 0; off < size; off++) {
            unsigned char poison = off + 1 == size ? 0xa5 : 0x6b;
            int how;
            for (how = 0; how < 2; how++) {
                p = td_alloc_same(s, v, &al);
                REQUIRE(p == v);
                td_free(s, p, &fl);
                td_poke(p + off, 1, (unsigned char)(poison ^ 0x01));
                writes++;
                if (how == 0) {
                    CHECK(slab_cache_validate(s->c) == SLAB_ERR_POISON);
                    q = NULL;
                } else {
                    q = td_alloc_same(s, p, &al);
                    CHECK(q == p);
                }
                if (td_nlog == 1 && td_log[0].code == SLAB_ERR_POISON && td_log[0].ptr == p &&
                    td_names(td_log[0].msg, s->name))
                    found++;
                else
                    printf("    %s: byte %lu of a freed object written, at %s: not found\n",
                           s->name, (unsigned long)off, how ? "reallocation" : "validate");
                td_reset();
                if (q)
                    td_free(s, q, &fl);
                CHECK(td_clean(h, &live));
            }
            /* the poison value itself: invisible */
            p = td_alloc_same(s, v, &al);
            REQUIRE(p == v);
            td_free(s, p, &fl);
            td_poke(p + off, 1, poison);
            CHECK(slab_cache_validate(s->c) == SLAB_ERR_OK);
            q = td_alloc_same(s, p, &al);
            CHECK(q == p);
            unseen += td_nlog == 0;
            td_free(s, q, &fl);
            CHECK(td_clean(h, &live));
        }
    }
    CHECK(found == writes);
    CHECK(unseen == writes / 2);
    td_free_all(srcs, 2, &live);
    CHECK(td_clean(h, NULL));
    CHECK(tu_heap_ok(h, 0, 0));
    slab_heap_destroy(h);
    tu_region_free(&r);
#endif
}

/* Writing the poison pattern itself over a freed object is not detected (the check compares
   against that very pattern): validate, the heap check and the next allocation stay quiet.
   A different value at the same place is detected. */
static void t_debug_poison_value_undetected(void)
{
#if !SLAB_DEBUG
    TU_SKIP("poisoning exists in SLAB_DEBUG builds only");
#else
    tu_region r;
    slab_heap *h = td_heap(&r, 0, 0);
    slab_cache *c;
    unsigned char *p, *q;
    int line = 0;
    REQUIRE(h != NULL);
    c = slab_cache_create(h, "td_pv", 64, 0, 0, NULL, NULL);
    REQUIRE(c != NULL);
    p = (unsigned char *)slab_cache_alloc(c);
    REQUIRE(p != NULL);
    slab_cache_free(c, p);
    td_poke(p, 63, 0x6b);
    td_poke(p + 63, 1, 0xa5);
    CHECK(slab_cache_validate(c) == SLAB_ERR_OK);
    CHECK(slab_heap_check(h) == 0);
    q = td_cache_same(c, p, &line);
    CHECK(q == p);
    CHECK(td_nlog == 0); /* not detected: the write restored the very pattern it checks */
    slab_cache_free(c, q);
    td_poke(p + 10, 1, 0xa5); /* the end marker in the middle is not the poison */
    CHECK(slab_cache_validate(c) == SLAB_ERR_POISON);
    CHECK(td_obj_report(h, SLAB_ERR_POISON, p, "td_pv", NULL, 0, 0));
    td_poke(p + 63, 1, 0x6b); /* nor is the fill byte at the end */
    CHECK(slab_cache_validate(c) == SLAB_ERR_POISON);
    CHECK(td_obj_report(h, SLAB_ERR_POISON, p, "td_pv", NULL, 0, 0));
    CHECK(td_clean(h, NULL));
    CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
    slab_heap_destroy(h);
    tu_region_free(&r);
#endif
}

#if SLAB_DEBUG
static void td_ctor(void *obj, void *ctx)
{
    tu_fill(obj, *(size_t *)ctx, 4242);
}
#endif

/* New objects are filled with 0x5a: fresh and reused ones, bulk ones, kmalloc's (its class
   tail is red zone, 0xcc); not zalloc's, kzalloc's, kcalloc's (zeros) nor a constructor
   cache's (its constructed state). Free objects hold 0x6b ... 0xa5 between red zones of 0xbb. */
static void t_debug_uninit_fill(void)
{
#if !SLAB_DEBUG
    TU_SKIP("the 0x5a fill exists in SLAB_DEBUG builds only");
#else
    tu_region r;
    slab_heap *h = td_heap(&r, 0, 0);
    slab_cache *c, *k;
    unsigned char *p, *q;
    void *b[5];
    size_t csize = 40, i;
    int line = 0;
    REQUIRE(h != NULL);
    c = slab_cache_create(h, "td_fill", 40, 0, 0, NULL, NULL);
    k = slab_cache_create(h, "td_fctor", 40, 0, 0, td_ctor, &csize);
    REQUIRE(c && k);
    p = (unsigned char *)slab_cache_alloc(c);
    REQUIRE(p != NULL);
    CHECK(td_fresh_all(p, 40, 0x5a));
    CHECK(td_peek_all(p - c->lpad, c->lpad, 0xcc) && td_peek_all(p + 40, c->link_off - 40, 0xcc));
    memset(p, 0x11, 40);
    slab_cache_free(c, p);
    {
        unsigned char buf[40];
        td_peek(buf, p, 40);
        CHECK(tu_all_bytes(buf, 39, 0x6b) && buf[39] == 0xa5);
        CHECK(td_peek_all(p - c->lpad, c->lpad, 0xbb) &&
              td_peek_all(p + 40, c->link_off - 40, 0xbb));
    }
    q = td_cache_same(c, p, &line);
    CHECK(q == p && td_fresh_all(q, 40, 0x5a));
    slab_cache_free(c, q);
    CHECK(slab_cache_alloc_bulk(c, 5, b) == 5);
    for (i = 0; i < 5; i++)
        CHECK(td_fresh_all(b[i], 40, 0x5a));
    CHECK(slab_cache_free_bulk(c, 5, b) == 5);
    q = (unsigned char *)slab_cache_zalloc(c);
    CHECK(q != NULL && tu_all_bytes(q, 40, 0));
    slab_cache_free(c, q);
    /* a constructor's cache: constructed, never 0x5a nor poisoned; the state survives a free */
    p = (unsigned char *)slab_cache_alloc(k);
    REQUIRE(p != NULL);
    CHECK(tu_verify(p, 40, 4242));
    tu_fill(p, 40, 77);
    slab_cache_free(k, p);
    q = td_cache_same(k, p, &line);
    CHECK(q == p && tu_verify(q, 40, 77));
    slab_cache_free(k, q);
    /* kmalloc: the request is 0x5a, the rest of the class red zone */
    p = (unsigned char *)slab_kmalloc(h, 20);
    REQUIRE(p != NULL);
    CHECK(td_fresh_all(p, 20, 0x5a));
    CHECK(td_peek_all(p + 20, 12, 0xcc));
    slab_kfree(h, p);
    p = (unsigned char *)slab_kzalloc(h, 20);
    REQUIRE(p != NULL);
    CHECK(tu_all_bytes(p, 20, 0) && td_peek_all(p + 20, 12, 0xcc));
    slab_kfree(h, p);
    p = (unsigned char *)slab_kcalloc(h, 4, 5);
    REQUIRE(p != NULL);
    CHECK(tu_all_bytes(p, 20, 0) && td_peek_all(p + 20, 12, 0xcc));
    slab_kfree(h, p);
    CHECK(td_clean(h, NULL));
    CHECK(slab_cache_destroy(c) == SLAB_ERR_OK && slab_cache_destroy(k) == SLAB_ERR_OK);
    slab_heap_destroy(h);
    tu_region_free(&r);
#endif
}

/* Constructor caches: objects are not poisoned (a free keeps the constructed state, so a write
   after free is invisible, as in SLUB), but their red zones are checked. */
static void t_debug_ctor(void)
{
#if !SLAB_DEBUG
    TU_SKIP("red zones exist in SLAB_DEBUG builds only");
#else
    tu_region r;
    slab_heap *h = td_heap(&r, 0, 0);
    slab_cache *k;
    unsigned char *p, *q;
    size_t csize = 40;
    tu_blocks live;
    int al = 0, fl = 0;
    REQUIRE(h != NULL);
    memset(&live, 0, sizeof live);
    k = slab_cache_create(h, "td_ctor", 40, 0, 0, td_ctor, &csize);
    REQUIRE(k != NULL);
    tu_blocks_add(&live, slab_cache_alloc(k), 40);
    p = (unsigned char *)TD_LINE(al, slab_cache_alloc(k));
    tu_blocks_add(&live, slab_cache_alloc(k), 40);
    REQUIRE(p != NULL && live.n == 2);
    CHECK(tu_verify(p, 40, 4242));
    td_poke(p + 40, 1, 0);
    TD_LINE(fl, slab_cache_free(k, p));
    CHECK(td_obj_report(h, SLAB_ERR_REDZONE, p, "td_ctor", "right red zone", al, fl));
    CHECK(td_clean(h, &live));
    q = td_cache_same(k, p, &al);
    CHECK(q == p && tu_verify(q, 40, 4242)); /* constructed state, not poison nor 0x5a */
    td_poke(q - 1, 1, 0);
    CHECK(slab_cache_validate(k) == SLAB_ERR_REDZONE);
    CHECK(td_obj_report(h, SLAB_ERR_REDZONE, q, "td_ctor", "left red zone", al, 0));
    TD_LINE(fl, slab_cache_free(k, q));
    CHECK(td_clean(h, &live));
    /* a free object's red zone is checked too */
    td_poke(q + 41, 1, 0);
    CHECK(slab_cache_validate(k) == SLAB_ERR_REDZONE);
    CHECK(td_obj_report(h, SLAB_ERR_REDZONE, q, "td_ctor", "right red zone", al, fl));
    /* a write after free inside the object: not poisoned, so not detected (documented) */
    td_poke(q + 3, 1, 0x99);
    CHECK(slab_cache_validate(k) == SLAB_ERR_OK);
    p = td_cache_same(k, q, &fl);
    CHECK(p == q && p[3] == 0x99);
    CHECK(td_clean(h, &live));
    slab_cache_free(k, p);
    slab_cache_free(k, live.p[0]);
    slab_cache_free(k, live.p[1]);
    CHECK(td_clean(h, NULL));
    CHECK(slab_cache_destroy(k) == SLAB_ERR_OK);
    slab_heap_destroy(h);
    tu_region_free(&r);
#endif
}

/* A kmalloc object's right red zone follows its usable size: krealloc within the class moves
   it (the bytes that become the object's are zeros), slab_ksize hands out the whole class. */
static void t_debug_krealloc_redzone(void)
{
#if !SLAB_DEBUG
    TU_SKIP("red zones exist in SLAB_DEBUG builds only");
#else
    tu_region r;
    slab_heap *h = td_heap(&r, 0, 0);
    unsigned char *p, *q;
    int al = 0, fl = 0;
    REQUIRE(h != NULL);
    p = (unsigned char *)TD_LINE(al, slab_kmalloc(h, 20));
    REQUIRE(p != NULL);
    memset(p, 0x33, 20);
    q = (unsigned char *)slab_krealloc(h, p, 28);
    CHECK(q == p && tu_all_bytes(q, 20, 0x33) && tu_all_bytes(q + 20, 8, 0));
    td_poke(q + 28, 1, 0x00);
    TD_LINE(fl, slab_kfree(h, q));
    CHECK(td_obj_report(h, SLAB_ERR_REDZONE, q, "kmalloc-32", "right red zone", al, fl));
    CHECK(td_clean(h, NULL));
    p = (unsigned char *)TD_LINE(al, slab_kmalloc(h, 20));
    q = (unsigned char *)slab_krealloc(h, p, 10);
    CHECK(q == p);
    td_poke(q + 10, 1, 0x00);
    TD_LINE(fl, slab_kfree(h, q));
    CHECK(td_obj_report(h, SLAB_ERR_REDZONE, q, "kmalloc-32", "right red zone", al, fl));
    p = (unsigned char *)slab_kmalloc(h, 20);
    CHECK(slab_ksize(h, p) == 32);
    memset(p, 0x44, 32); /* all of it is the program's now */
    slab_kfree(h, p);
    CHECK(td_clean(h, NULL));
    p = (unsigned char *)slab_kmalloc(h, 20);
    CHECK(slab_ksize(h, p) == 32);
    td_poke(p + 32, 1, 0x00);
    slab_kfree(h, p);
    CHECK(td_obj_report(h, SLAB_ERR_REDZONE, p, "kmalloc-32", "right red zone", 0, 0));
    CHECK(td_clean(h, NULL));
    slab_heap_destroy(h);
    tu_region_free(&r);
#endif
}

// ==========================================================================================
// Refused frees: double free, interior pointers, other caches, other heaps, wrong family.

/* Allocates every free object of cache c (or of the kmalloc class of req bytes): all distinct,
   a and b among them exactly once each; frees them again. */
static TU_UNUSED int td_once(slab_heap *h, slab_cache *c, size_t req, const void *a, const void *b)
{
    slab_cache *k = c ? c : tu_find_cache(h, "kmalloc-32");
    size_t n, i, j, na = 0, nb = 0;
    void **o;
    int ok = 1;
    if (k == NULL)
        return 0;
    n = tu_cinfo(k).num_objs - tu_cinfo(k).active_objs;
    o = (void **)malloc(n * sizeof *o);
    if (o == NULL)
        return 0;
    for (i = 0; i < n; i++) {
        o[i] = c ? slab_cache_alloc(c) : slab_kmalloc(h, req);
        ok &= o[i] != NULL;
        na += o[i] == a;
        nb += o[i] == b;
        for (j = 0; j < i && ok; j++)
            ok &= o[j] != o[i];
    }
    for (i = 0; i < n; i++)
        if (c)
            slab_cache_free(c, o[i]);
        else
            slab_kfree(h, o[i]);
    free(o);
    if (!ok || na != 1 || nb != 1)
        printf("    %lu free objects handed out: distinct %d, a %lu times, b %lu times\n",
               (unsigned long)n, ok, (unsigned long)na, (unsigned long)nb);
    return ok && na == 1 && nb == 1;
}

/* Double free of a cache object, a kmalloc object and a vmalloc block: the immediate one (the
   object freed last, or at the head of its slab's free list after a shrink) in every build;
   `free a; free b; free a` in builds with state bits (SLAB_DEBUG, SLAB_HARDEN). Each is
   refused with DOUBLE_FREE, the metadata unchanged, and each object is handed out once. */
static void t_debug_double_free(void)
{
    tu_region r;
    slab_heap *h = td_heap(&r, 0, 0);
    slab_cache *c;
    unsigned char *a, *b, *ka, *kb, *v, *x;
    tu_blocks live;
    td_state st;
    int al = 0, fl = 0, kal = 0, kfl = 0;
    REQUIRE(h != NULL);
    memset(&live, 0, sizeof live);
    c = slab_cache_create(h, "td_dbl", 40, 0, 0, NULL, NULL);
    REQUIRE(c != NULL);
    tu_blocks_add(&live, slab_cache_alloc(c), 40);
    a = (unsigned char *)TD_LINE(al, slab_cache_alloc(c));
    b = (unsigned char *)slab_cache_alloc(c);
    tu_blocks_add(&live, slab_cache_alloc(c), 40);
    ka = (unsigned char *)TD_LINE(kal, slab_kmalloc(h, 24));
    kb = (unsigned char *)slab_kmalloc(h, 24);
    tu_blocks_add(&live, slab_kmalloc(h, 24), 24);
    v = (unsigned char *)slab_vmalloc(h, 5000);
    tu_blocks_add(&live, slab_vmalloc(h, 3000), 3000);
    REQUIRE(a && b && ka && kb && v && live.n == 4);
    CHECK(td_clean(h, &live));

    /* immediate: the object freed last */
    TD_LINE(fl, slab_cache_free(c, a));
    td_state_take(&st, h);
    slab_cache_free(c, a);
    CHECK(td_refused(h, &st, &live, SLAB_ERR_DOUBLE_FREE, a, "cache: immediate"));
    CHECK(td_state_same(&st, h));
    td_state_free(&st);
    /* the message: the cache, where the object was allocated and freed */
    slab_cache_free(c, a);
    CHECK(td_obj_report(h, SLAB_ERR_DOUBLE_FREE, a, "td_dbl", "already free", al, fl));
    /* at the head of its slab's free list (the magazine flushed by a shrink) */
    slab_cache_shrink(c);
    td_state_take(&st, h);
    slab_cache_free(c, a);
    CHECK(td_refused(h, &st, &live, SLAB_ERR_DOUBLE_FREE, a, "cache: free-list head"));
    td_state_free(&st);
    x = td_cache_same(c, a, &al);
    CHECK(x == a);

    TD_LINE(kfl, slab_kfree(h, ka));
    td_state_take(&st, h);
    slab_kfree(h, ka);
    CHECK(td_refused(h, &st, &live, SLAB_ERR_DOUBLE_FREE, ka, "kmalloc: immediate"));
    slab_kfree(h, ka);
    CHECK(td_obj_report(h, SLAB_ERR_DOUBLE_FREE, ka, "kmalloc-32", "already free", kal, kfl));
    td_state_free(&st);
    {
        td_src ks;
        memset(&ks, 0, sizeof ks);
        ks.h = h;
        ks.req = 24;
        ka = td_alloc_same(&ks, ka, &kal);
        CHECK(ka != NULL);
    }

    slab_vfree(h, v);
    td_state_take(&st, h);
    slab_vfree(h, v);
    CHECK(td_refused(h, &st, &live, SLAB_ERR_DOUBLE_FREE, v, "vmalloc"));
    slab_kvfree(h, v);
    CHECK(td_refused(h, &st, &live, SLAB_ERR_DOUBLE_FREE, v, "vmalloc (kvfree)"));
    td_state_free(&st);

#if SLAB_DEBUG || SLAB_HARDEN
    {
    /* free a; free b; free a: a is neither the last freed nor a free-list head */
    TD_LINE(fl, slab_cache_free(c, a));
    slab_cache_free(c, b);
    td_state_take(&st, h);
    slab_cache_free(c, a);
    CHECK(td_refused(h, &st, &live, SLAB_ERR_DOUBLE_FREE, a, "cache: free a; free b; free a"));
    slab_cache_free(c, a);
    CHECK(td_obj_report(h, SLAB_ERR_DOUBLE_FREE, a, "td_dbl", "already free", al, fl));
    td_state_free(&st);
    /* ... and after a shrink moved both to their slab's free list */
    slab_cache_shrink(c);
    td_state_take(&st, h);
    slab_cache_free(c, a);
    CHECK(td_refused(h, &st, &live, SLAB_ERR_DOUBLE_FREE, a, "cache: a on the free list"));
    td_state_free(&st);
    /* each comes back once */
    CHECK(td_once(h, c, 0, a, b));
    a = td_cache_same(c, a, &al);
    b = td_cache_same(c, b, &al);
    CHECK(a && b);

    TD_LINE(kfl, slab_kfree(h, ka));
    slab_kfree(h, kb);
    td_state_take(&st, h);
    slab_kfree(h, ka);
    CHECK(td_refused(h, &st, &live, SLAB_ERR_DOUBLE_FREE, ka, "kmalloc: free a; free b; free a"));
    slab_kfree(h, ka);
    CHECK(td_obj_report(h, SLAB_ERR_DOUBLE_FREE, ka, "kmalloc-32", "already free", kal, kfl));
    slab_kvfree(h, ka);
    CHECK(td_refused(h, &st, &live, SLAB_ERR_DOUBLE_FREE, ka, "kmalloc: kvfree"));
    td_state_free(&st);
    CHECK(td_once(h, NULL, 24, ka, kb));
    {
        td_src ks;
        memset(&ks, 0, sizeof ks);
        ks.h = h;
        ks.req = 24;
        ka = td_alloc_same(&ks, ka, &kal);
        kb = td_alloc_same(&ks, kb, &kal);
        CHECK(ka && kb);
    }
    }
#endif
    CHECK(td_clean(h, &live));
    slab_cache_free(c, a);
    slab_cache_free(c, b);
    slab_cache_free(c, live.p[0]);
    slab_cache_free(c, live.p[1]);
    slab_kfree(h, ka);
    slab_kfree(h, kb);
    slab_kfree(h, live.p[2]);
    slab_vfree(h, live.p[3]);
    CHECK(td_clean(h, NULL));
    CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
    CHECK(tu_heap_ok(h, 0, 0));
    slab_heap_destroy(h);
    tu_region_free(&r);
}

/* The objects of t_debug_bad_pointers and t_debug_names. */
typedef struct td_world {
    tu_region r, r2;
    slab_heap *h, *h2;
    slab_cache *a, *b, *c2;
    unsigned char *ao, *bo, *ko, *vo, *po, *o2, *k2, *v2, *mal;
    tu_blocks live, live2; /* live blocks of h and of h2 */
} td_world;

static int td_world_make(td_world *w)
{
    memset(w, 0, sizeof *w);
    w->h2 = td_heap(&w->r2, 0, 0);
    w->h = td_heap(&w->r, 0, 0);
    if (!w->h || !w->h2)
        return 0;
    w->a = slab_cache_create(w->h, "td_a", 40, 0, 0, NULL, NULL);
    w->b = slab_cache_create(w->h, "td_b", 40, 0, 0, NULL, NULL);
    w->c2 = slab_cache_create(w->h2, "td_other", 40, 0, 0, NULL, NULL);
    if (!w->a || !w->b || !w->c2)
        return 0;
    tu_blocks_add(&w->live, slab_cache_alloc(w->a), 40);
    tu_blocks_add(&w->live, w->ao = (unsigned char *)slab_cache_alloc(w->a), 40);
    tu_blocks_add(&w->live, slab_cache_alloc(w->a), 40);
    tu_blocks_add(&w->live, w->bo = (unsigned char *)slab_cache_alloc(w->b), 40);
    tu_blocks_add(&w->live, w->ko = (unsigned char *)slab_kmalloc(w->h, 20), 20);
    tu_blocks_add(&w->live, slab_kmalloc(w->h, 20), 20);
    tu_blocks_add(&w->live, w->vo = (unsigned char *)slab_vmalloc(w->h, 9000), 9000);
    tu_blocks_add(&w->live, w->po = (unsigned char *)slab_pages_alloc(w->h, 1), 8192);
    tu_blocks_add(&w->live2, w->o2 = (unsigned char *)slab_cache_alloc(w->c2), 40);
    tu_blocks_add(&w->live2, w->k2 = (unsigned char *)slab_kmalloc(w->h2, 20), 20);
    tu_blocks_add(&w->live2, w->v2 = (unsigned char *)slab_vmalloc(w->h2, 9000), 9000);
    w->mal = (unsigned char *)malloc(64);
    td_reset();
    return w->live.n == 8 && w->live2.n == 3 && w->mal;
}

static void td_world_end(td_world *w)
{
    size_t i;
    for (i = 0; i < 4; i++)
        slab_cache_free(i == 3 ? w->b : w->a, w->live.p[i]);
    slab_kfree(w->h, w->live.p[4]);
    slab_kfree(w->h, w->live.p[5]);
    slab_vfree(w->h, w->live.p[6]);
    slab_pages_free(w->h, w->live.p[7]);
    slab_cache_free(w->c2, w->o2);
    slab_kfree(w->h2, w->k2);
    slab_vfree(w->h2, w->v2);
    CHECK(td_clean(w->h, NULL) && td_clean(w->h2, NULL));
    CHECK(slab_cache_destroy(w->a) == SLAB_ERR_OK && slab_cache_destroy(w->b) == SLAB_ERR_OK &&
          slab_cache_destroy(w->c2) == SLAB_ERR_OK);
    CHECK(tu_heap_ok(w->h, 0, 0) && tu_heap_ok(w->h2, 0, 0));
    slab_heap_destroy(w->h);
    slab_heap_destroy(w->h2);
    tu_region_free(&w->r);
    tu_region_free(&w->r2);
    free(w->mal);
}

enum { TD_CACHE_FREE, TD_KFREE, TD_VFREE, TD_KVFREE, TD_PAGES_FREE };
static const char *const td_op_names[] = {"slab_cache_free", "slab_kfree", "slab_vfree",
                                          "slab_kvfree", "slab_pages_free"};

typedef struct td_case {
    int op;
    slab_cache *c;
    void *p;
    slab_error code;
    const char *what;
    const char *owner; /* the cache the pointer lies in, NULL: none */
} td_case;

static int td_global_byte;

/* The bad frees of td_world: interior pointers, another cache, another family, another heap,
   outside every heap. Returns how many. */
static size_t td_cases(td_world *w, td_case *cs, unsigned char *local)
{
    size_t n = 0;
#define TD_CASE(o, cc, pp, cd, wh, ow)                                                            \
    (cs[n].op = (o), cs[n].c = (cc), cs[n].p = (pp), cs[n].code = SLAB_ERR_##cd,               \
     cs[n].what = (wh), cs[n].owner = (ow), n++)
    TD_CASE(TD_CACHE_FREE, w->a, w->ao + 1, INVALID_POINTER, "interior +1", "td_a");
    TD_CASE(TD_CACHE_FREE, w->a, w->ao + 8, INVALID_POINTER, "interior +8", "td_a");
    TD_CASE(TD_CACHE_FREE, w->a, w->ao + 39, INVALID_POINTER, "interior, last byte", "td_a");
#if SLAB_DEBUG /* (a release slot is the object: one past the end is the next object) */
    TD_CASE(TD_CACHE_FREE, w->a, w->ao + 40, INVALID_POINTER, "one past the end", "td_a");
#endif
    TD_CASE(TD_CACHE_FREE, w->a, w->ao - 1, INVALID_POINTER, "one before the start", "td_a");
    TD_CASE(TD_CACHE_FREE, w->a, w->bo, WRONG_CACHE, "object of another cache", "td_b");
    TD_CASE(TD_CACHE_FREE, w->a, w->ko, WRONG_CACHE, "kmalloc object to a cache", "kmalloc-32");
    TD_CASE(TD_CACHE_FREE, w->a, w->vo, INVALID_POINTER, "vmalloc block to a cache", NULL);
    TD_CASE(TD_KFREE, NULL, w->ko + 1, INVALID_POINTER, "kmalloc interior +1", "kmalloc-32");
    TD_CASE(TD_KFREE, NULL, w->ko + 8, INVALID_POINTER, "kmalloc interior +8", "kmalloc-32");
    TD_CASE(TD_KFREE, NULL, w->ao, INVALID_POINTER, "cache object to kfree", "td_a");
    TD_CASE(TD_KFREE, NULL, w->vo, INVALID_POINTER, "kfree of a vmalloc block", NULL);
    TD_CASE(TD_KFREE, NULL, w->po, INVALID_POINTER, "kfree of a page block", NULL);
    TD_CASE(TD_VFREE, NULL, w->ko, INVALID_POINTER, "vfree of a kmalloc object", "kmalloc-32");
    TD_CASE(TD_VFREE, NULL, w->ao, INVALID_POINTER, "vfree of a cache object", "td_a");
    TD_CASE(TD_VFREE, NULL, w->vo + 1, INVALID_POINTER, "vmalloc interior +1", NULL);
    TD_CASE(TD_VFREE, NULL, w->vo + 4096, INVALID_POINTER, "vmalloc interior page", NULL);
    TD_CASE(TD_KVFREE, NULL, w->ao, INVALID_POINTER, "kvfree of a cache object", "td_a");
    TD_CASE(TD_KVFREE, NULL, w->ko + 16, INVALID_POINTER, "kvfree interior", "kmalloc-32");
    TD_CASE(TD_PAGES_FREE, NULL, w->ko, INVALID_POINTER, "pages_free of a kmalloc object",
            "kmalloc-32");
    TD_CASE(TD_CACHE_FREE, w->a, w->o2, INVALID_ADDRESS, "object of another heap", NULL);
    TD_CASE(TD_KFREE, NULL, w->k2, INVALID_ADDRESS, "kmalloc object of another heap", NULL);
    TD_CASE(TD_VFREE, NULL, w->v2, INVALID_ADDRESS, "vmalloc block of another heap", NULL);
    TD_CASE(TD_KVFREE, NULL, w->k2, INVALID_ADDRESS, "kvfree: another heap", NULL);
    TD_CASE(TD_CACHE_FREE, w->a, local, INVALID_ADDRESS, "stack", NULL);
    TD_CASE(TD_KFREE, NULL, local, INVALID_ADDRESS, "kfree: stack", NULL);
    TD_CASE(TD_VFREE, NULL, &td_global_byte, INVALID_ADDRESS, "vfree: global", NULL);
    TD_CASE(TD_CACHE_FREE, w->a, w->mal, INVALID_ADDRESS, "malloc block", NULL);
    TD_CASE(TD_KFREE, NULL, w->mal, INVALID_ADDRESS, "kfree: malloc block", NULL);
    TD_CASE(TD_KVFREE, NULL, w->mal, INVALID_ADDRESS, "kvfree: malloc block", NULL);
#undef TD_CASE
    return n;
}

static void td_do(td_world *w, const td_case *k)
{
    switch (k->op) {
    case TD_CACHE_FREE: slab_cache_free(k->c, k->p); break;
    case TD_KFREE: slab_kfree(w->h, k->p); break;
    case TD_VFREE: slab_vfree(w->h, k->p); break;
    case TD_KVFREE: slab_kvfree(w->h, k->p); break;
    default: slab_pages_free(w->h, k->p); break;
    }
}

/* Every bad free is refused with its own code (every build): interior pointers, an object of
   another cache or family, vfree of a kmalloc object and kfree of a vmalloc block, pointers of
   another heap and outside every heap. The metadata of both heaps is unchanged, the check
   passes, every live object keeps its bytes, and everything is freed normally afterwards. */
static void t_debug_bad_pointers(void)
{
    td_world w;
    td_case cs[40];
    unsigned char local[16];
    size_t n, i;
    REQUIRE(td_world_make(&w));
    n = td_cases(&w, cs, local);
    for (i = 0; i < n; i++) {
        td_state s1, s2;
        td_state_take(&s1, w.h);
        td_state_take(&s2, w.h2);
        td_do(&w, &cs[i]);
        if (!td_refused(w.h, &s1, &w.live, cs[i].code, cs[i].p, cs[i].what)) {
            tu_fail(__FILE__, __LINE__, td_op_names[cs[i].op]);
        }
        CHECK(td_state_same(&s2, w.h2));
        td_state_free(&s1);
        td_state_free(&s2);
    }
    CHECK(tu_blocks_ok(&w.live2));
    td_world_end(&w);
}

/* SLAB_DEBUG: the report of a refused free names the cache the pointer lies in (issue 4: each
   report carries the object's address and its cache's name), for interior pointers, objects of
   another cache and the wrong family's free. */
static void t_debug_names(void)
{
#if !SLAB_DEBUG
    TU_SKIP("reports name caches in SLAB_DEBUG builds");
#else
    td_world w;
    td_case cs[40];
    unsigned char local[16];
    size_t n, i, named = 0, want = 0;
    REQUIRE(td_world_make(&w));
    n = td_cases(&w, cs, local);
    for (i = 0; i < n; i++) {
        if (cs[i].owner == NULL)
            continue;
        want++;
        td_do(&w, &cs[i]);
        if (td_nlog == 1 && td_names(td_log[0].msg, cs[i].owner))
            named++;
        else
            printf("    %s (%s): the report does not name '%s': \"%s\"\n", td_op_names[cs[i].op],
                   cs[i].what, cs[i].owner, td_nlog ? td_log[0].msg : "(no report)");
        td_reset();
    }
    CHECK(named == want);
    td_world_end(&w);
#endif
}

// ==========================================================================================
// Leaks.

/* slab_cache_destroy of a cache with live objects: BUSY, the cache left as it was, and (builds
   with state bits) each live object listed as BUSY with its address, the cache's name and
   (SLAB_DEBUG) its allocating call's line; freed objects, in the magazine or not, are not. */
static void t_debug_cache_leaks(void)
{
    tu_region r;
    slab_heap *h = td_heap(&r, 0, 0);
    slab_cache *c;
    unsigned char *o[6];
    void *bulk[3];
    int line[6], bline = 0;
    size_t i, j, listed = 0, sited = 0, nlive, bulk_listed = 0;
    td_state st;
    tu_blocks live;
    REQUIRE(h != NULL);
    memset(&live, 0, sizeof live);
    c = slab_cache_create(h, "td_leaky", 56, 0, 0, NULL, NULL);
    REQUIRE(c != NULL);
    o[0] = (unsigned char *)TD_LINE(line[0], slab_cache_alloc(c));
    o[1] = (unsigned char *)TD_LINE(line[1], slab_cache_alloc(c));
    o[2] = (unsigned char *)TD_LINE(line[2], slab_cache_zalloc(c));
    o[3] = (unsigned char *)TD_LINE(line[3], slab_cache_alloc(c));
    o[4] = (unsigned char *)TD_LINE(line[4], slab_cache_alloc(c));
    o[5] = (unsigned char *)TD_LINE(line[5], slab_cache_alloc(c));
    REQUIRE(TD_LINE(bline, slab_cache_alloc_bulk(c, 3, bulk)) == 3);
    slab_cache_free(c, o[1]); /* freed: in the magazine, not a leak */
    slab_cache_free(c, o[4]);
    for (i = 0; i < 6; i++)
        if (i != 1 && i != 4)
            tu_blocks_add(&live, o[i], 56);
    for (i = 0; i < 3; i++)
        tu_blocks_add(&live, bulk[i], 56);
    nlive = live.n;
    td_reset();
    td_state_take(&st, h);
    CHECK(slab_cache_destroy(c) == SLAB_ERR_BUSY);
    CHECK(td_nlog >= 1 && td_log[0].code == SLAB_ERR_BUSY && td_log[0].ptr == c);
    for (i = 1; i < td_nlog && i < TD_LOG; i++) {
        int found = 0, ln = bline;
        CHECK(td_log[i].code == SLAB_ERR_BUSY);
        for (j = 0; j < 6; j++)
            if (td_log[i].ptr == o[j]) {
                found = j != 1 && j != 4;
                ln = line[j];
            }
        for (j = 0; j < 3; j++)
            if (td_log[i].ptr == bulk[j])
                found = 1, bulk_listed++;
        CHECK(found);
        CHECK(td_names(td_log[i].msg, "td_leaky"));
        listed += (size_t)found;
#if SLAB_DEBUG /* (bulk objects' sites: t_debug_bulk_sites) */
        if (ln == bline || td_site(td_log[i].msg, "allocated at ", ln))
            sited++;
        else
            printf("    leaked %p: \"%s\" lacks \"allocated at %s:%d\"\n", td_log[i].ptr,
                   td_log[i].msg, td_file(), ln);
#endif
        (void)ln;
    }
#if SLAB_DEBUG || SLAB_HARDEN
    CHECK(td_nlog == 1 + nlive && listed == nlive && bulk_listed == 3);
#else
    CHECK(td_nlog == 1); /* no state bits: the live objects cannot be told from free ones */
#endif
#if SLAB_DEBUG
    CHECK(sited == nlive);
#endif
    (void)sited;
    (void)listed;
    (void)nlive;
    td_reset();
    CHECK(td_state_same(&st, h));
    td_state_free(&st);
    CHECK(td_clean(h, &live));
    for (i = 0; i < live.n; i++)
        slab_cache_free(c, live.p[i]);
    CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
    CHECK(td_clean(h, NULL));
    slab_heap_destroy(h);
    tu_region_free(&r);
}

/* More live objects than a listing shows (16): the first 16 are listed, and (SLAB_DEBUG) the
   reports give the number of live objects (issue 4: "each (or the first N and a count)"). */
static void t_debug_leak_count(void)
{
#if !(SLAB_DEBUG || SLAB_HARDEN)
    TU_SKIP("leaked objects are listed in builds with state bits (SLAB_DEBUG, SLAB_HARDEN)");
#else
    tu_region r;
    slab_heap *h = td_heap(&r, 0, 0);
    slab_cache *c;
    void *o[20];
    size_t i, listed = 0;
    int counted = 0;
    REQUIRE(h != NULL);
    c = slab_cache_create(h, "td_many", 32, 0, 0, NULL, NULL);
    REQUIRE(c != NULL);
    for (i = 0; i < 20; i++)
        REQUIRE((o[i] = slab_cache_alloc(c)) != NULL);
    td_reset();
    CHECK(slab_cache_destroy(c) == SLAB_ERR_BUSY);
    for (i = 0; i < td_nlog && i < TD_LOG; i++) {
        listed += td_log[i].ptr != c;
        counted |= strstr(td_log[i].msg, "20") != NULL;
    }
    CHECK(listed == 16);
#if SLAB_DEBUG
    if (!counted) {
        printf("    no report of slab_cache_destroy gives the count of live objects (20):\n");
        td_print_log();
    }
    CHECK(counted);
#endif
    (void)counted;
    td_reset();
    for (i = 0; i < 20; i++)
        slab_cache_free(c, o[i]);
    CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
    CHECK(td_clean(h, NULL));
    slab_heap_destroy(h);
    tu_region_free(&r);
#endif
}

/* slab_heap_destroy with report_leaks = 1: per cache with live objects a BUSY summary naming
   it, then (builds with state bits) each live object with its cache and (SLAB_DEBUG) its
   allocating line, kmalloc objects included; the large blocks are counted. */
static void t_debug_heap_leaks(void)
{
    tu_region r;
    slab_heap *h = td_heap(&r, 0, 1);
    slab_cache *c;
    unsigned char *o[3], *k[2], *v;
    int ol[3], kl[2];
    size_t i, j, listed = 0, sums = 0;
    REQUIRE(h != NULL);
    c = slab_cache_create(h, "td_hleak", 72, 0, 0, NULL, NULL);
    REQUIRE(c != NULL);
    o[0] = (unsigned char *)TD_LINE(ol[0], slab_cache_alloc(c));
    o[1] = (unsigned char *)TD_LINE(ol[1], slab_cache_alloc(c));
    o[2] = (unsigned char *)TD_LINE(ol[2], slab_cache_alloc(c));
    k[0] = (unsigned char *)TD_LINE(kl[0], slab_kmalloc(h, 100));
    k[1] = (unsigned char *)TD_LINE(kl[1], slab_kzalloc(h, 120));
    v = (unsigned char *)slab_vmalloc(h, 10000);
    REQUIRE(o[0] && o[1] && o[2] && k[0] && k[1] && v);
    slab_cache_free(c, slab_cache_alloc(c));
    td_reset();
    slab_heap_destroy(h);
    for (i = 0; i < td_nlog && i < TD_LOG; i++) {
        const char *m = td_log[i].msg;
        int found = 0, ln = 0;
        CHECK(td_log[i].code == SLAB_ERR_BUSY && td_log[i].heap == h);
        if (strstr(m, "heap destroyed with ") == m) {
            sums++;
            CHECK((td_log[i].ptr == c && strstr(m, "3 live objects in cache td_hleak")) ||
                  strstr(m, "2 live objects in cache kmalloc-128") ||
                  strstr(m, "1 live large"));
            continue;
        }
        for (j = 0; j < 3; j++)
            if (td_log[i].ptr == o[j])
                found = 1, ln = ol[j];
        for (j = 0; j < 2; j++)
            if (td_log[i].ptr == k[j])
                found = 2, ln = kl[j];
        CHECK(found != 0);
        CHECK(td_names(m, found == 1 ? "td_hleak" : "kmalloc-128"));
#if SLAB_DEBUG
        CHECK(td_site(m, "allocated at ", ln));
#endif
        (void)ln;
        listed++;
    }
    CHECK(sums == 3);
#if SLAB_DEBUG || SLAB_HARDEN
    CHECK(listed == 5);
#else
    CHECK(listed == 0);
#endif
    td_reset();
    tu_region_free(&r);
    /* report_leaks = -1: silence; 0: as SLAB_DEBUG says */
    for (i = 0; i < 2; i++) {
        h = td_heap(&r, 0, i == 0 ? -1 : 0);
        REQUIRE(h != NULL);
        CHECK(slab_kmalloc(h, 100) != NULL);
        td_reset();
        slab_heap_destroy(h);
        CHECK(td_nlog == (i == 0 ? 0u : SLAB_DEBUG ? 2u : 0u));
        td_reset();
        tu_region_free(&r);
    }
}

/* Objects allocated and freed in bulk record the bulk call's line, each of them. */
static void t_debug_bulk_sites(void)
{
#if !SLAB_DEBUG
    TU_SKIP("call sites are recorded in SLAB_DEBUG builds only");
#else
    tu_region r;
    slab_heap *h = td_heap(&r, 0, 0);
    slab_cache *c;
    void *o[4];
    int al = 0, fl = 0;
    size_t i, ok = 0;
    REQUIRE(h != NULL);
    c = slab_cache_create(h, "td_bulk", 32, 0, 0, NULL, NULL);
    REQUIRE(c != NULL);
    REQUIRE(TD_LINE(al, slab_cache_alloc_bulk(c, 4, o)) == 4);
    REQUIRE(TD_LINE(fl, slab_cache_free_bulk(c, 4, o)) == 4);
    for (i = 0; i < 4; i++) { /* the double free's report shows both sites */
        slab_cache_free(c, o[i]);
        if (td_nlog == 1 && td_log[0].code == SLAB_ERR_DOUBLE_FREE &&
            td_site(td_log[0].msg, "allocated at ", al) && td_site(td_log[0].msg, "freed at ", fl))
            ok++;
        else
            printf("    bulk object %lu: %s\n", (unsigned long)i,
                   td_nlog ? td_log[0].msg : "(no report)");
        td_reset();
    }
    CHECK(ok == 4);
    CHECK(td_clean(h, NULL));
    CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
    slab_heap_destroy(h);
    tu_region_free(&r);
#endif
}

// ==========================================================================================
// debug_selective: only the caches created with debug flags get their checks.

static void t_debug_selective(void)
{
#if !SLAB_DEBUG
    TU_SKIP("debug_selective applies to SLAB_DEBUG builds only");
#else
    tu_region r;
    slab_heap *h = td_heap(&r, 1, 0);
    slab_cache *plain, *rz, *poi, *user, *all;
    unsigned char *p, *q;
    int al = 0, fl = 0;
    REQUIRE(h != NULL);
    plain = slab_cache_create(h, "td_plain", 20, 0, 0, NULL, NULL);
    rz = slab_cache_create(h, "td_rz", 20, 0, SLAB_RED_ZONE, NULL, NULL);
    poi = slab_cache_create(h, "td_poi", 20, 0, SLAB_POISON, NULL, NULL);
    user = slab_cache_create(h, "td_user", 20, 0, SLAB_STORE_USER, NULL, NULL);
    all = slab_cache_create(h, "td_all", 20, 0, SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER,
                            NULL, NULL);
    REQUIRE(plain && rz && poi && user && all);
    /* plain: the release layout, no fill, no checks */
    CHECK(tu_cinfo(plain).objsize == 24 && tu_cinfo(rz).objsize > 24);
    p = (unsigned char *)slab_cache_alloc(plain);
    REQUIRE(p != NULL);
    memset(p, 0x11, 20);
    td_poke(p + 20, 1, 0x22); /* the slot's padding: no red zone here */
    slab_cache_free(plain, p);
    CHECK(slab_cache_validate(plain) == SLAB_ERR_OK);
    td_poke(p + 12, 4, 0x33); /* after free, past the link: no poison here */
    CHECK(slab_cache_validate(plain) == SLAB_ERR_OK);
    q = td_cache_same(plain, p, &al);
    CHECK(q == p && td_fresh_all(q + 12, 4, 0x33)); /* not 0x5a either */
    slab_cache_free(plain, q);
    CHECK(td_clean(h, NULL));
    /* red zones only */
    p = (unsigned char *)TD_LINE(al, slab_cache_alloc(rz));
    REQUIRE(p != NULL);
    td_poke(p + 20, 1, 0);
    slab_cache_free(rz, p);
    CHECK(td_obj_report(h, SLAB_ERR_REDZONE, p, "td_rz", "right red zone", 0, 0));
    td_poke(p + 4, 4, 0x33);
    CHECK(slab_cache_validate(rz) == SLAB_ERR_OK); /* no poison */
    q = td_cache_same(rz, p, &al);
    CHECK(q == p && td_fresh_all(q + 4, 4, 0x33));
    slab_cache_free(rz, q);
    /* poison only */
    p = (unsigned char *)slab_cache_alloc(poi);
    REQUIRE(p != NULL);
    CHECK(td_fresh_all(p, 20, 0x5a));
    td_poke(p + 20, 1, 0); /* no red zone check */
    slab_cache_free(poi, p);
    CHECK(td_nlog == 0);
    td_poke(p + 4, 1, 0);
    CHECK(slab_cache_validate(poi) == SLAB_ERR_POISON);
    CHECK(td_obj_report(h, SLAB_ERR_POISON, p, "td_poi", NULL, 0, 0));
    /* call sites only */
    p = (unsigned char *)TD_LINE(al, slab_cache_alloc(user));
    REQUIRE(p != NULL);
    TD_LINE(fl, slab_cache_free(user, p));
    slab_cache_free(user, p);
    CHECK(td_obj_report(h, SLAB_ERR_DOUBLE_FREE, p, "td_user", NULL, al, fl));
    /* all three */
    p = (unsigned char *)TD_LINE(al, slab_cache_alloc(all));
    REQUIRE(p != NULL);
    CHECK(td_fresh_all(p, 20, 0x5a));
    td_poke(p - 1, 1, 0);
    TD_LINE(fl, slab_cache_free(all, p));
    CHECK(td_obj_report(h, SLAB_ERR_REDZONE, p, "td_all", "left red zone", al, fl));
    td_poke(p + 19, 1, 0);
    CHECK(slab_cache_validate(all) == SLAB_ERR_POISON);
    CHECK(td_obj_report(h, SLAB_ERR_POISON, p, "td_all", NULL, al, fl));
    /* kmalloc classes have no debug flags: unchecked */
    p = (unsigned char *)slab_kmalloc(h, 20);
    REQUIRE(p != NULL);
    td_poke(p + 20, 1, 0); /* inside the class, past the request */
    slab_kfree(h, p);
    CHECK(td_clean(h, NULL));
    CHECK(slab_cache_destroy(plain) == SLAB_ERR_OK && slab_cache_destroy(rz) == SLAB_ERR_OK &&
          slab_cache_destroy(poi) == SLAB_ERR_OK && slab_cache_destroy(user) == SLAB_ERR_OK &&
          slab_cache_destroy(all) == SLAB_ERR_OK);
    CHECK(td_clean(h, NULL));
    slab_heap_destroy(h);
    tu_region_free(&r);
#endif
}
