/* t_reclaim.c - memory pressure (issue 3): how many empty slabs a cache keeps, shrinkers
   (registration and its refusals, a shrinker that frees turning a failure into a success, one
   that frees nothing ending in a clean NULL, empty slabs released before shrinkers run,
   shrinkers that allocate or free from inside scan), slab_heap_shrink, and fault injection
   (fail_nth, fail_every, should_fail) on every allocation path. */

/* A program's list of objects that a shrinker may free. */
typedef struct tr_shr {
    slab_heap *h;
    slab_cache *c;    /* the objects' cache; NULL: they are kmalloc objects */
    void **objs;
    size_t n, cap;
    int enabled;      /* count says 0 while off */
    int frees;        /* scan frees objects; else it frees nothing and says 0 */
    size_t claim;     /* what count says when scan frees nothing */
    size_t count_calls, scan_calls, last_nr, last_count, freed;
    int depth, max_depth;
    /* things scan does first, from inside reclaim */
    int alloc_inside;
    size_t inside_ok, inside_failed, shrink_inside;
    int unregister_self;
    slab_shrinker *self;
    /* a cache whose empty slabs must be gone when count runs */
    slab_cache *watch;
    int watch_ok;
} tr_shr;

static size_t tr_count(void *ctx)
{
    tr_shr *s = (tr_shr *)ctx;
    size_t n;
    if (++s->depth > s->max_depth)
        s->max_depth = s->depth;
    s->count_calls++;
    if (s->watch) {
        slab_slabinfo ci = tu_cinfo(s->watch);
        s->watch_ok = ci.num_slabs == ci.active_slabs && ci.cached_objs == 0;
    }
    n = !s->enabled ? 0 : s->frees ? s->n : s->claim;
    s->last_count = n;
    s->depth--;
    return n;
}

static size_t tr_scan(size_t nr, void *ctx)
{
    tr_shr *s = (tr_shr *)ctx;
    size_t done = 0;
    if (++s->depth > s->max_depth)
        s->max_depth = s->depth;
    s->scan_calls++;
    s->last_nr = nr;
    if (s->alloc_inside) { /* the heap is out of memory now: these must not recurse */
        void *a = slab_vmalloc(s->h, 2 * tu_hinfo(s->h).page_size);
        void *b = slab_kmalloc(s->h, 32);
        void *c = s->c ? slab_cache_alloc(s->c) : NULL;
        s->inside_ok += (size_t)((a != NULL) + (b != NULL) + (c != NULL));
        s->inside_failed += (size_t)((a == NULL) + (b == NULL) + (s->c && c == NULL));
        s->shrink_inside += slab_heap_shrink(s->h);
        slab_vfree(s->h, a);
        slab_kfree(s->h, b);
        if (c)
            slab_cache_free(s->c, c);
    }
    while (s->frees && done < nr && s->n > 0) {
        void *o = s->objs[--s->n];
        if (s->c)
            slab_cache_free(s->c, o);
        else
            slab_kfree(s->h, o);
        done++;
    }
    s->freed += done;
    if (s->unregister_self && s->self) {
        slab_unregister_shrinker(s->h, s->self);
        s->self = NULL;
    }
    s->depth--;
    return done;
}

static void tr_shr_init(tr_shr *s, slab_heap *h, slab_cache *c, size_t cap)
{
    memset(s, 0, sizeof *s);
    s->h = h;
    s->c = c;
    s->cap = cap;
    s->objs = (void **)calloc(cap ? cap : 1, sizeof(void *));
}

static void tr_shr_reset_calls(tr_shr *s)
{
    s->count_calls = s->scan_calls = s->last_nr = s->last_count = s->freed = 0;
    s->max_depth = 0;
}

/* Allocates objects (of s->c, or kmalloc(size)) into the list until the heap refuses (that
   NOMEM is consumed); each is filled with the pattern of its index. Returns how many. */
static size_t tr_fill(tr_shr *s, size_t size)
{
    size_t start = s->n;
    while (s->n < s->cap) {
        void *o = s->c ? slab_cache_alloc(s->c) : slab_kmalloc(s->h, size);
        if (o == NULL) {
            tu_rec_reset();
            break;
        }
        tu_fill(o, size, (uint32_t)s->n);
        s->objs[s->n++] = o;
    }
    return s->n - start;
}

static int tr_objs_ok(const tr_shr *s, size_t size)
{
    size_t i;
    for (i = 0; i < s->n; i++)
        if (!tu_verify(s->objs[i], size, (uint32_t)i))
            return 0;
    return 1;
}

/* A cache keeps at most 2 empty slabs besides its active one (and slabs whose objects wait in
   its magazine); slab_heap_shrink gives all of them back and says how many pages. */
static void t_reclaim_keep_empty(void)
{
    tu_region r;
    size_t size = (size_t)4 << 20, i, n = 0, before, got;
    slab_heap *h = tu_heap(&r, size, 0, 4096);
    void *o[2000];
    slab_cache *k256, *t, *big;
    REQUIRE(h != NULL);
    t = slab_cache_create(h, "typed", 100, 0, 0, NULL, NULL);
    big = slab_cache_create(h, "big", 3000, 0, 0, NULL, NULL); /* slabs of several pages */
    REQUIRE(t && big);
    for (i = 0; i < 640; i++) { /* 40 slabs of kmalloc-256, interleaved with the others */
        o[n++] = slab_kmalloc(h, 256);
        if (i % 2 == 0)
            o[n++] = slab_cache_alloc(t);
        if (i % 8 == 0)
            o[n++] = slab_cache_alloc(big);
    }
    for (i = 0; i < n; i++)
        REQUIRE(o[i] != NULL);
    k256 = tu_find_cache(h, "kmalloc-256");
    REQUIRE(k256 != NULL);
    CHECK(tu_cinfo(k256).num_slabs >= 40);
    for (i = 0; i < n; i++) { /* free all, in allocation order */
        if (slab_ksize(h, o[i]) == 256)
            slab_kfree(h, o[i]);
        else if (slab_ksize(h, o[i]) == 100)
            slab_cache_free(t, o[i]);
        else
            slab_cache_free(big, o[i]);
        if (i % 50 == 0) {
            CHECK(tu_cache_ok(k256, tu_cinfo(k256).active_objs));
            CHECK(tu_cache_ok(t, tu_cinfo(t).active_objs));
            CHECK(tu_cache_ok(big, tu_cinfo(big).active_objs));
        }
    }
    CHECK(tu_quiet());
    CHECK(tu_cache_ok(k256, 0) && tu_cache_ok(t, 0) && tu_cache_ok(big, 0));
    CHECK(tu_cinfo(k256).num_slabs <= 3 + tu_cinfo(k256).cached_objs);
    CHECK(tu_heap_ok(h, 0, size));

    before = tu_hinfo(h).pages_free;
    got = slab_heap_shrink(h);
    CHECK(got > 0 && tu_hinfo(h).pages_free == before + got);
    {
        slab_cache *cs[3];
        cs[0] = k256;
        cs[1] = t;
        cs[2] = big;
        for (i = 0; i < 3; i++) {
            slab_slabinfo ci = tu_cinfo(cs[i]);
            CHECK(ci.num_slabs == 0 && ci.cached_objs == 0 && ci.active_objs == 0);
        }
    }
    CHECK(slab_heap_shrink(h) == 0); /* nothing left to give */
    CHECK(tu_quiet());
    CHECK(tu_heap_ok(h, 0, size));
    CHECK(slab_cache_destroy(t) == SLAB_ERR_OK && slab_cache_destroy(big) == SLAB_ERR_OK);
    slab_heap_destroy(h);
    tu_region_free(&r);
}

static size_t tr_count0(void *ctx)
{
    (void)ctx;
    return 0;
}

static size_t tr_scan0(size_t nr, void *ctx)
{
    (void)nr;
    (void)ctx;
    return 0;
}

/* Registration: NULL count or scan is INVALID_ARG; unregistering a handle that is not
   registered is INVALID_ARG; a destroyed heap is BAD_HANDLE; an unregistered shrinker is not
   called again. */
static void t_reclaim_register(void)
{
    tu_region r, r2;
    size_t size = (size_t)1 << 20;
    slab_heap *h = tu_heap(&r, size, 0, 4096), *h2 = tu_heap(&r2, size, 0, 4096);
    slab_shrinker *a, *b, *other;
    tr_shr sa, sb;
    tu_watch w;
    REQUIRE(h != NULL && h2 != NULL);
    tr_shr_init(&sa, h, NULL, 1);
    tr_shr_init(&sb, h, NULL, 1);
    memset(&w, 0, sizeof w);
    w.h = h;
    tu_watch_take(&w);
    CHECK(slab_register_shrinker(h, NULL, tr_scan, &sa) == NULL);
    CHECK(tu_watch_refused(&w, SLAB_ERR_INVALID_ARG));
    CHECK(slab_register_shrinker(h, tr_count, NULL, &sa) == NULL);
    CHECK(tu_watch_refused(&w, SLAB_ERR_INVALID_ARG));
    CHECK(slab_register_shrinker(h, NULL, NULL, NULL) == NULL);
    CHECK(tu_watch_refused(&w, SLAB_ERR_INVALID_ARG));
    CHECK(slab_register_shrinker(NULL, tr_count, tr_scan, &sa) == NULL);
    CHECK(tu_quiet());

    a = slab_register_shrinker(h, tr_count, tr_scan, &sa);
    b = slab_register_shrinker(h, tr_count, tr_scan, &sb);
    other = slab_register_shrinker(h2, tr_count0, tr_scan0, NULL);
    REQUIRE(a && b && other && a != b);
    CHECK(tu_quiet());
    CHECK(tu_heap_sane(h, 0));
    slab_heap_shrink(h); /* both are asked */
    CHECK(sa.count_calls == 1 && sb.count_calls == 1);
    slab_unregister_shrinker(h, a);
    CHECK(tu_quiet());
    slab_heap_shrink(h);
    CHECK(sa.count_calls == 1 && sb.count_calls == 2); /* a is gone */

    tu_watch_take(&w);
    slab_unregister_shrinker(h, a); /* not registered any more */
    CHECK(tu_watch_refused(&w, SLAB_ERR_INVALID_ARG));
    slab_unregister_shrinker(h, other); /* registered with another heap */
    CHECK(tu_watch_refused(&w, SLAB_ERR_INVALID_ARG));
    slab_heap_shrink(h2);
    slab_unregister_shrinker(h2, other);
    slab_unregister_shrinker(h, b);
    CHECK(tu_quiet());
    slab_heap_shrink(h);
    CHECK(sa.count_calls == 1 && sb.count_calls == 2);
    CHECK(tu_heap_sane(h, 0));

    slab_heap_destroy(h2);
    CHECK(slab_register_shrinker(h2, tr_count, tr_scan, &sa) == NULL);
    CHECK(tu_rep(h2, SLAB_ERR_BAD_HANDLE));
    slab_unregister_shrinker(h2, other);
    CHECK(tu_rep(h2, SLAB_ERR_BAD_HANDLE));
    CHECK(slab_heap_shrink(h2) == 0);
    CHECK(tu_rep(h2, SLAB_ERR_BAD_HANDLE));
    CHECK(slab_heap_shrink(NULL) == 0);
    CHECK(tu_quiet());
    free(sa.objs);
    free(sb.objs);
    slab_heap_destroy(h);
    tu_region_free(&r);
    tu_region_free(&r2);
}

/* Required case 1: a full heap whose memory the program holds in a list a shrinker can free.
   An allocation that fails without the shrinker succeeds with it, after count and scan. */
static void t_reclaim_shrinker_frees(void)
{
    tu_region r;
    size_t ps = 4096, size = tu_exact_size(64, ps), n, kept, nleft, k;
    void *left[64];
    slab_heap *h;
    slab_cache *held, *other;
    slab_shrinker *sh;
    tr_shr s;
    tu_watch w;
    void *p;
    int round;
    REQUIRE(size != 0);
    h = tu_heap(&r, size, 0, ps);
    REQUIRE(h != NULL);
    held = slab_cache_create(h, "held", 512, 0, 0, NULL, NULL);
    other = slab_cache_create(h, "other", 200, 0, 0, NULL, NULL);
    REQUIRE(held && other);
    tr_shr_init(&s, h, held, 64 * 8);
    sh = slab_register_shrinker(h, tr_count, tr_scan, &s);
    REQUIRE(sh != NULL && s.objs != NULL);
    slab_kfree(h, slab_kmalloc(h, 2000)); /* the class exists before the heap is full */

    for (round = 0; round < 4; round++) {
        /* fill the heap with held objects; the shrinker is off meanwhile */
        s.enabled = 0;
        s.frees = 1;
        n = tr_fill(&s, 512);
        CHECK(n > 0);
        nleft = tu_fill_pages(h, left, 64); /* pages too few for another slab of held */
        CHECK(tu_hinfo(h).pages_free == 0);
        CHECK(tu_heap_sane(h, nleft));
        /* without the shrinker the allocation fails */
        memset(&w, 0, sizeof w);
        w.h = h;
        tu_watch_take(&w);
        p = round == 0   ? slab_vmalloc(h, 4 * ps)
            : round == 1 ? slab_cache_alloc(other)
            : round == 2 ? slab_kmalloc(h, 2000)
                         : slab_pages_alloc(h, 1);
        CHECK(p == NULL);
        CHECK(tu_watch_oom(&w));
        /* with it, the same allocation succeeds */
        s.enabled = 1;
        tr_shr_reset_calls(&s);
        kept = s.n;
        p = round == 0   ? slab_vmalloc(h, 4 * ps)
            : round == 1 ? slab_cache_alloc(other)
            : round == 2 ? slab_kmalloc(h, 2000)
                         : slab_pages_alloc(h, 1);
        CHECK(p != NULL);
        CHECK(tu_quiet());
        CHECK(s.count_calls == 1 && s.scan_calls == 1);
        CHECK(s.last_nr >= 1 && s.last_nr <= kept && s.freed > 0);
        CHECK(s.max_depth == 1);
        CHECK(tr_objs_ok(&s, 512)); /* what the shrinker left is intact */
        CHECK(tu_heap_sane(h, nleft + (round == 3 ? 2 : 0)));
        if (p) {
            memset(p, 0x42, round == 0 ? 4 * ps : round == 1 ? 200 : round == 2 ? 2000 : 2 * ps);
            if (round == 0)
                slab_vfree(h, p);
            else if (round == 1)
                slab_cache_free(other, p);
            else if (round == 2)
                slab_kfree(h, p);
            else
                slab_pages_free(h, p);
        }
        for (k = 0; k < nleft; k++)
            slab_pages_free(h, left[k]);
        CHECK(tu_quiet());
    }
    while (s.n > 0)
        slab_cache_free(held, s.objs[--s.n]);
    slab_unregister_shrinker(h, sh);
    CHECK(tu_quiet());
    CHECK(tu_heap_sane(h, 0));
    free(s.objs);
    slab_heap_destroy(h);
    tu_region_free(&r);
}

/* Required case 2: a shrinker that frees nothing. Every allocation path ends in a clean NULL
   with NOMEM, oom_count + 1, the shrinker asked once, and a sound heap. */
static void t_reclaim_shrinker_nothing(void)
{
    tu_region r;
    size_t ps = 4096, size = tu_exact_size(32, ps), i, oom0, nleft;
    slab_heap *h;
    slab_cache *held;
    slab_shrinker *sh;
    tr_shr s;
    tu_watch w;
    void *out[8], *left[32];
    REQUIRE(size != 0);
    h = tu_heap(&r, size, 0, ps);
    REQUIRE(h != NULL);
    held = slab_cache_create(h, "held", 512, 0, 0, NULL, NULL);
    REQUIRE(held != NULL);
    tr_shr_init(&s, h, held, 32 * 8);
    sh = slab_register_shrinker(h, tr_count, tr_scan, &s);
    REQUIRE(sh != NULL);
    slab_kfree(h, slab_kmalloc(h, 100)); /* the class exists before the heap is full */
    CHECK(tr_fill(&s, 512) > 0);
    nleft = tu_fill_pages(h, left, 32); /* pages too few for another slab of held */
    CHECK(tu_hinfo(h).pages_free == 0);
    oom0 = tu_hinfo(h).oom_count; /* the fills' own last tries */
    s.enabled = 1;
    s.frees = 0;
    s.claim = 5; /* says it could free 5, frees none */
    memset(&w, 0, sizeof w);
    w.h = h;
    w.c[0] = held;
    for (i = 0; i < 8; i++) {
        void *p = NULL;
        size_t got = 0;
        tr_shr_reset_calls(&s);
        tu_watch_take(&w);
        switch (i) {
        case 0: p = slab_cache_alloc(held); break;
        case 1: p = slab_cache_zalloc(held); break;
        case 2: got = slab_cache_alloc_bulk(held, 8, out); break;
        case 3: p = slab_kmalloc(h, 100); break;
        case 4: p = slab_kmalloc(h, 3 * ps); break;
        case 5: p = slab_vmalloc(h, ps); break;
        case 6: p = slab_kvzalloc(h, 3 * ps); break;
        default: p = slab_pages_alloc(h, 0); break;
        }
        CHECK(p == NULL && got == 0);
        CHECK(tu_watch_oom(&w));
        CHECK(s.count_calls == 1 && s.scan_calls == 1);
        CHECK(s.last_nr >= 1 && s.last_nr <= 5);
        CHECK(tu_heap_sane(h, nleft));
        CHECK(tr_objs_ok(&s, 512));
    }
    for (i = 0; i < nleft; i++)
        slab_pages_free(h, left[i]);
    CHECK(tu_hinfo(h).oom_count == oom0 + 8);
    s.enabled = 0;
    while (s.n > 0)
        slab_cache_free(held, s.objs[--s.n]);
    slab_unregister_shrinker(h, sh);
    CHECK(tu_quiet());
    CHECK(tu_heap_sane(h, 0));
    free(s.objs);
    slab_heap_destroy(h);
    tu_region_free(&r);
}

/* Empty slabs of every cache go back before any shrinker runs: a cache holding only empty
   slabs makes room for a vmalloc that needs its pages, with no shrinker at all; with one, the
   shrinker finds those slabs already gone. */
static void t_reclaim_empty_first(void)
{
    int with_shrinker;
    for (with_shrinker = 0; with_shrinker < 2; with_shrinker++) {
        tu_region r;
        size_t ps = 4096, size = tu_exact_size(64, ps), n = 0, i, nfree, np;
        slab_heap *h;
        slab_cache *a;
        void *objs[64 * 8], *pages[64], *p;
        tr_shr s;
        REQUIRE(size != 0);
        h = tu_heap(&r, size, 0, ps);
        REQUIRE(h != NULL);
        tr_shr_init(&s, h, NULL, 1);
        if (with_shrinker) {
            s.enabled = 1;
            s.claim = 3;
            REQUIRE(slab_register_shrinker(h, tr_count, tr_scan, &s) != NULL);
        }
        a = slab_cache_create(h, "a", 512, 0, 0, NULL, NULL);
        REQUIRE(a != NULL);
        s.watch = a;
        for (i = 0; i < 6 * 8; i++) { /* 6 full slabs */
            objs[n] = slab_cache_alloc(a);
            REQUIRE(objs[n] != NULL);
            n++;
        }
        np = tu_fill_pages(h, pages, 64); /* the rest of the heap */
        for (i = 0; i < n; i++)
            slab_cache_free(a, objs[i]);
        nfree = tu_hinfo(h).pages_free; /* slabs a released itself: take them too */
        for (i = 0; i < nfree; i++) {
            pages[np] = slab_pages_alloc(h, 0);
            REQUIRE(pages[np] != NULL);
            np++;
        }
        CHECK(tu_hinfo(h).pages_free == 0);
        CHECK(tu_cinfo(a).num_slabs >= 1 && tu_cinfo(a).active_objs == 0);
        tr_shr_reset_calls(&s);
        p = slab_vmalloc(h, ps);
        CHECK(p != NULL);
        CHECK(tu_quiet());
        CHECK(tu_cinfo(a).num_slabs == 0);
        if (with_shrinker)
            CHECK(s.count_calls == 1 && s.watch_ok);
        CHECK(tu_heap_sane(h, np));
        slab_vfree(h, p);
        for (i = 0; i < np; i++)
            slab_pages_free(h, pages[i]);
        CHECK(tu_quiet());
        CHECK(tu_heap_sane(h, 0));
        free(s.objs);
        slab_heap_destroy(h);
        tu_region_free(&r);
    }
}

/* slab_heap_shrink: releases the empty slabs, asks the shrinkers, releases the slabs their
   frees emptied, and returns the pages the caches gave back. */
static void t_reclaim_heap_shrink(void)
{
    tu_region r;
    size_t ps = 4096, size = (size_t)1 << 20, i, before, got;
    slab_heap *h = tu_heap(&r, size, 0, ps);
    tr_shr s;
    slab_shrinker *sh;
    void *tmp[100];
    REQUIRE(h != NULL);
    tr_shr_init(&s, h, NULL, 200); /* kmalloc objects */
    sh = slab_register_shrinker(h, tr_count, tr_scan, &s);
    REQUIRE(sh != NULL);
    for (i = 0; i < 200; i++) {
        s.objs[s.n] = slab_kmalloc(h, 512);
        REQUIRE(s.objs[s.n] != NULL);
        tu_fill(s.objs[s.n], 512, (uint32_t)s.n);
        s.n++;
    }
    for (i = 0; i < 100; i++) { /* empty slabs in two other classes */
        tmp[i] = slab_kmalloc(h, i % 2 ? 64 : 1000);
        REQUIRE(tmp[i] != NULL);
    }
    for (i = 0; i < 100; i++)
        slab_kfree(h, tmp[i]);
    s.enabled = 1;
    s.frees = 1;
    before = tu_hinfo(h).pages_free;
    got = slab_heap_shrink(h);
    CHECK(s.count_calls == 1 && s.scan_calls == 1 && s.n == 0 && s.freed == 200);
    CHECK(got > 0 && tu_hinfo(h).pages_free == before + got);
    {
        /* every kmalloc cache holds no slab now; the heap is as fresh, but for cache structs */
        slab_cache *c64 = tu_find_cache(h, "kmalloc-64"), *c512 = tu_find_cache(h, "kmalloc-512");
        slab_cache *c1k = tu_find_cache(h, "kmalloc-1024");
        REQUIRE(c64 && c512 && c1k);
        CHECK(tu_cinfo(c64).num_slabs == 0 && tu_cinfo(c512).num_slabs == 0 &&
              tu_cinfo(c1k).num_slabs == 0);
    }
    CHECK(tu_quiet());
    CHECK(tu_heap_ok(h, 0, size));
    slab_unregister_shrinker(h, sh);
    free(s.objs);
    slab_heap_destroy(h);
    tu_region_free(&r);
}

/* A shrinker that gives back page blocks, then kmallocs (and kfrees) 32 bytes. */
typedef struct tr_pgshr {
    slab_heap *h;
    void **pages;
    size_t n;
    int enabled;
    size_t inside_ok;
} tr_pgshr;

static size_t tr_pg_count(void *ctx)
{
    const tr_pgshr *s = (const tr_pgshr *)ctx;
    return s->enabled ? s->n : 0;
}

static size_t tr_pg_scan(size_t nr, void *ctx)
{
    tr_pgshr *s = (tr_pgshr *)ctx;
    size_t done = 0;
    void *b;
    while (done < nr && s->n > 0) {
        slab_pages_free(s->h, s->pages[--s->n]);
        done++;
    }
    b = slab_kmalloc(s->h, 32);
    s->inside_ok += b != NULL;
    slab_kfree(s->h, b);
    return done;
}

static int tr_count_kmalloc32(slab_cache *c, void *user)
{
    slab_slabinfo ci = tu_cinfo(c);
    *(size_t *)user += strcmp(ci.name, "kmalloc-32") == 0;
    return 0;
}

/* The first kmalloc of a class on a full heap reclaims to get the class's cache, and a
   shrinker makes that class meanwhile (it kmallocs after it frees pages): the class still has
   one cache, which holds the outer object, and the figures and the check agree. Caches made
   on the full heap until one is refused leave the cache of caches no free slot. */
static void t_reclaim_nested_class(void)
{
    tu_region r;
    size_t ps = 4096, size = tu_exact_size(32, ps), caches = 0, before;
    void *pages[32];
    slab_cache *c;
    slab_heap *h;
    tr_pgshr s;
    void *p;
    REQUIRE(size != 0);
    h = tu_heap(&r, size, 0, ps);
    REQUIRE(h != NULL);
    memset(&s, 0, sizeof s);
    s.h = h;
    s.pages = pages;
    REQUIRE(slab_register_shrinker(h, tr_pg_count, tr_pg_scan, &s) != NULL);
    s.n = tu_fill_pages(h, pages, 32);
    CHECK(s.n > 0 && tu_hinfo(h).pages_free == 0);
    do
        c = slab_cache_create(h, "filler", 64, 0, 0, NULL, NULL);
    while (c != NULL);
    tu_rec_reset(); /* the refusal's NOMEM */
    before = tu_hinfo(h).num_caches;
    s.enabled = 1;
    p = slab_kmalloc(h, 32);
    CHECK(p != NULL && s.inside_ok == 1 && tu_quiet());
    CHECK(slab_heap_for_each_cache(h, tr_count_kmalloc32, &caches) == 0 && caches == 1);
    CHECK(tu_hinfo(h).num_caches == before + 1);
    CHECK(slab_ksize(h, p) == 32 && slab_heap_check(h) == 0);
    slab_kfree(h, p);
    CHECK(slab_heap_check(h) == 0 && tu_quiet());
    slab_heap_destroy(h);
    tu_region_free(&r);
}

/* A shrinker that allocates, shrinks and frees from inside scan, and one that unregisters
   itself: no recursion (each callback runs once, never nested), allocations inside fail
   cleanly, and the outer allocation succeeds. */
static void t_reclaim_nested(void)
{
    tu_region r;
    size_t ps = 4096, size = tu_exact_size(32, ps), oom0, nleft, i;
    void *left[32];
    slab_heap *h;
    slab_cache *held;
    tr_shr s, t;
    slab_shrinker *sh;
    void *p;
    REQUIRE(size != 0);
    h = tu_heap(&r, size, 0, ps);
    REQUIRE(h != NULL);
    held = slab_cache_create(h, "held", 512, 0, 0, NULL, NULL);
    REQUIRE(held != NULL);
    tr_shr_init(&s, h, held, 32 * 8);
    tr_shr_init(&t, h, NULL, 1);
    REQUIRE(slab_register_shrinker(h, tr_count, tr_scan, &s) != NULL);
    t.claim = 1;
    t.unregister_self = 1;
    sh = slab_register_shrinker(h, tr_count, tr_scan, &t);
    REQUIRE(sh != NULL);
    t.self = sh;
    CHECK(tr_fill(&s, 512) > 0);
    nleft = tu_fill_pages(h, left, 32); /* pages too few for another slab of held */
    CHECK(tu_hinfo(h).pages_free == 0);
    oom0 = tu_hinfo(h).oom_count; /* the fills' own last tries */
    t.enabled = 1;
    s.enabled = 1;
    s.frees = 1;
    s.alloc_inside = 1;
    tr_shr_reset_calls(&s);
    tr_shr_reset_calls(&t);
    tu_rec_reset();
    p = slab_vmalloc(h, 2 * ps);
    CHECK(p != NULL);
    CHECK(s.count_calls == 1 && s.scan_calls == 1 && s.max_depth == 1);
    CHECK(t.count_calls == 1 && t.scan_calls == 1 && t.max_depth == 1);
    CHECK(s.inside_failed >= 1);       /* the heap was full: the vmalloc inside failed */
    CHECK(s.shrink_inside == 0);       /* shrink from inside reclaim does nothing */
    CHECK(tu_g_rec.count == s.inside_failed && tu_g_rec.by_code[SLAB_ERR_NOMEM] == s.inside_failed);
    CHECK(tu_hinfo(h).oom_count == oom0 + s.inside_failed);
    tu_rec_reset();
    CHECK(tu_heap_sane(h, nleft)); /* p is a large block, not a page block */
    /* t unregistered itself: the next reclaim does not call it */
    slab_vfree(h, p);
    s.alloc_inside = 0;
    tr_shr_reset_calls(&s);
    tr_shr_reset_calls(&t);
    slab_heap_shrink(h);
    CHECK(s.count_calls == 1 && t.count_calls == 0);
    CHECK(tu_quiet());
    while (s.n > 0)
        slab_cache_free(held, s.objs[--s.n]);
    for (i = 0; i < nleft; i++)
        slab_pages_free(h, left[i]);
    CHECK(tu_heap_sane(h, 0));
    free(s.objs);
    free(t.objs);
    slab_heap_destroy(h);
    tu_region_free(&r);
}

// ------------------------------------------------------------------------------------------
// Fault injection. A logging should_fail (it fails nothing unless told to) counts the
// allocations the heap counts: fail_nth and fail_every decide first, so should_fail is called
// for every counted allocation they do not fail.

static size_t ti_calls;     /* calls of ti_should_fail */
static size_t ti_last_size; /* the size it saw last */
static slab_heap *ti_last_heap;
static size_t ti_fail_size; /* it fails allocations of this size (0: none) */

static int ti_should_fail(slab_heap *heap, size_t size, void *user)
{
    (void)user;
    ti_calls++;
    ti_last_size = size;
    ti_last_heap = heap;
    return ti_fail_size != 0 && size == ti_fail_size;
}

enum {
    TI_CACHE, TI_ZALLOC, TI_BULK, TI_KMALLOC, TI_KZALLOC, TI_KCALLOC, TI_KALIGNED, TI_KREALLOC,
    TI_KLARGE, TI_VMALLOC, TI_VZALLOC, TI_KVMALLOC, TI_KVLARGE, TI_KVREALLOC, TI_PAGES, TI_NPATHS
};
static const char *const ti_names[TI_NPATHS] = {
    "cache_alloc", "cache_zalloc", "alloc_bulk", "kmalloc", "kzalloc", "kcalloc",
    "kmalloc_aligned", "krealloc", "kmalloc large", "vmalloc", "vzalloc", "kvmalloc",
    "kvmalloc large", "kvrealloc", "pages_alloc"};

#define TI_CALLS 12
typedef struct ti_run {
    tu_region r;
    slab_heap *h;
    slab_cache *c;
    void *src[TI_CALLS + 1]; /* krealloc / kvrealloc sources: 16-byte kmalloc objects */
    void *got[TI_CALLS + 1][5];
    size_t ps;
} ti_run;

static slab_heap *ti_start(ti_run *t, size_t fail_nth, size_t fail_every)
{
    slab_heap_config cfg = tu_cfg(4096);
    size_t i;
    memset(t, 0, sizeof *t);
    t->ps = 4096;
    cfg.fail_nth = fail_nth;
    cfg.fail_every = fail_every;
    cfg.should_fail = ti_should_fail;
    cfg.report_leaks = -1; /* the runs end with live blocks */
    ti_fail_size = 0;
    t->h = tu_heap_cfg(&t->r, (size_t)2 << 20, 0, &cfg);
    if (t->h == NULL)
        return NULL;
    /* the warm-up: caches and classes made, the sources allocated */
    t->c = slab_cache_create(t->h, "inj", 200, 0, 0, NULL, NULL);
    slab_kfree(t->h, slab_kmalloc(t->h, 64));
    slab_kfree(t->h, slab_kmalloc(t->h, 100));
    slab_kfree(t->h, slab_kmalloc(t->h, 300));
    for (i = 1; i <= TI_CALLS; i++) {
        t->src[i] = slab_kmalloc(t->h, 16);
        if (t->src[i])
            tu_fill(t->src[i], 16, (uint32_t)(900 + i));
    }
    return t->h;
}

/* Call j (1-based) of path `path`: one allocation. Returns 1 if it succeeded. */
static int ti_call(ti_run *t, unsigned path, size_t j)
{
    slab_heap *h = t->h;
    void **g = t->got[j];
    switch (path) {
    case TI_CACHE: g[0] = slab_cache_alloc(t->c); break;
    case TI_ZALLOC: g[0] = slab_cache_zalloc(t->c); break;
    case TI_BULK: return slab_cache_alloc_bulk(t->c, 5, g) == 5;
    case TI_KMALLOC: g[0] = slab_kmalloc(h, 100); break;
    case TI_KZALLOC: g[0] = slab_kzalloc(h, 300); break;
    case TI_KCALLOC: g[0] = slab_kcalloc(h, 10, 30); break;
    case TI_KALIGNED: g[0] = slab_kmalloc_aligned(h, 100, 64); break;
    case TI_KREALLOC: g[0] = slab_krealloc(h, t->src[j], 40); break;
    case TI_KLARGE: g[0] = slab_kmalloc(h, 10000); break;
    case TI_VMALLOC: g[0] = slab_vmalloc(h, 3 * t->ps + 1); break;
    case TI_VZALLOC: g[0] = slab_vzalloc(h, 2 * t->ps); break;
    case TI_KVMALLOC: g[0] = slab_kvmalloc(h, 100); break;
    case TI_KVLARGE: g[0] = slab_kvmalloc(h, 10000); break;
    case TI_KVREALLOC: g[0] = slab_kvrealloc(h, t->src[j], 10000); break;
    default: g[0] = slab_pages_alloc(h, 1); break;
    }
    if (g[0] != NULL && (path == TI_KREALLOC || path == TI_KVREALLOC)) {
        int kept = tu_verify(g[0], 16, (uint32_t)(900 + j));
        t->src[j] = NULL; /* moved: the source is freed */
        return kept;
    }
    return g[0] != NULL;
}

/* The sizes should_fail may see for one call of a path: the request, or (kmalloc) its class. */
static int ti_size_ok(unsigned path, size_t seen, size_t ps)
{
    switch (path) {
    case TI_CACHE: case TI_ZALLOC: case TI_BULK: return seen == 200;
    case TI_KMALLOC: case TI_KVMALLOC: case TI_KALIGNED: return seen == 100 || seen == 128;
    case TI_KZALLOC: case TI_KCALLOC: return seen == 300 || seen == 320;
    case TI_KREALLOC: return seen == 40 || seen == 64;
    case TI_KLARGE: case TI_KVLARGE: case TI_KVREALLOC: return seen == 10000 || seen == 3 * ps;
    case TI_VMALLOC: return seen == 3 * ps + 1;
    case TI_VZALLOC: return seen == 2 * ps;
    default: return seen == 2 * ps;
    }
}

/* The source of call j is untouched after a failed krealloc / kvrealloc. */
static int ti_src_ok(ti_run *t, unsigned path, size_t j)
{
    if (path != TI_KREALLOC && path != TI_KVREALLOC)
        return 1;
    return t->src[j] != NULL && slab_ksize(t->h, t->src[j]) == 16 &&
           tu_verify(t->src[j], 16, (uint32_t)(900 + j));
}

static void ti_end(ti_run *t)
{
    slab_heap_destroy(t->h);
    tu_rec_reset();
    tu_region_free(&t->r);
}

/* One path with fail_nth or fail_every: first a run without injection learns how many
   allocations the warm-up counted (and that each call counts once and shows its size); then
   the same run with injection fails exactly the chosen calls, cleanly. */
static void ti_path(unsigned path, int every)
{
    ti_run t;
    size_t warm, j, k, ncalls = TI_CALLS, failures = 0;
    int ok = 1;
    ti_calls = 0;
    if (ti_start(&t, 0, 0) == NULL || t.c == NULL) {
        CHECK(0);
        return;
    }
    warm = ti_calls;
    CHECK(tu_quiet());
    for (j = 1; j <= ncalls; j++) {
        size_t before = ti_calls;
        int got = ti_call(&t, path, j);
        if (!got || ti_calls != before + 1 || !ti_size_ok(path, ti_last_size, t.ps) ||
            ti_last_heap != t.h) {
            printf("    %s call %lu: ok %d, counted %lu times, should_fail saw size %lu\n",
                   ti_names[path], (unsigned long)j, got, (unsigned long)(ti_calls - before),
                   (unsigned long)ti_last_size);
            ok = 0;
        }
    }
    CHECK(ok);
    CHECK(tu_quiet());
    ti_end(&t);

    /* fail_nth: call 3 after the warm-up; fail_every: K = warm + 2, so the warm-up is spared */
    k = every ? warm + 2 : warm + 3;
    ti_calls = 0;
    if (ti_start(&t, every ? 0 : k, every ? k : 0) == NULL) {
        CHECK(0);
        return;
    }
    CHECK(ti_calls == warm && tu_quiet());
    for (j = 1; j <= ncalls; j++) {
        size_t n = warm + j;
        int want_fail = every ? n % k == 0 : n == k;
        tu_snap s0 = tu_snap_take(t.h, t.c, NULL, NULL), s1;
        int got = ti_call(&t, path, j);
        s1 = tu_snap_take(t.h, t.c, NULL, NULL);
        if (want_fail) {
            failures++;
            s1.hi.oom_count--; /* the only change an injected failure makes */
            if (got || !tu_rep(t.h, SLAB_ERR_NOMEM) || !tu_snap_eq(&s0, &s1) ||
                !ti_src_ok(&t, path, j)) {
                printf("    %s: call %lu (allocation %lu) should have failed cleanly\n",
                       ti_names[path], (unsigned long)j, (unsigned long)n);
                ok = 0;
            }
        } else if (!got || !tu_quiet()) {
            printf("    %s: call %lu (allocation %lu) should have succeeded\n", ti_names[path],
                   (unsigned long)j, (unsigned long)n);
            ok = 0;
        }
        if (slab_heap_check(t.h) != 0)
            ok = 0;
    }
    CHECK(ok);
    CHECK(failures == (every ? (warm + ncalls) / k - warm / k : 1));
    CHECK(tu_hinfo(t.h).oom_count == failures);
    ti_end(&t);
}

/* fail_nth: on every allocation path, exactly the chosen allocation fails. */
static void t_reclaim_inject_nth(void)
{
    unsigned path;
    for (path = 0; path < TI_NPATHS; path++)
        ti_path(path, 0);
}

/* fail_every: on every allocation path, exactly every Kth allocation fails. */
static void t_reclaim_inject_every(void)
{
    unsigned path;
    for (path = 0; path < TI_NPATHS; path++)
        ti_path(path, 1);
}

/* should_fail decides by the size it sees: a cache of 777-byte objects fails, others work,
   and so does a vmalloc of exactly 777 bytes; the heap stays sound. */
static void t_reclaim_inject_should_fail(void)
{
    tu_region r;
    slab_heap_config cfg = tu_cfg(4096);
    slab_heap *h;
    slab_cache *bad, *good;
    void *p, *out[4];
    size_t i;
    cfg.should_fail = ti_should_fail;
    h = tu_heap_cfg(&r, (size_t)1 << 20, 0, &cfg);
    REQUIRE(h != NULL);
    bad = slab_cache_create(h, "c777", 777, 0, 0, NULL, NULL);
    good = slab_cache_create(h, "c200", 200, 0, 0, NULL, NULL);
    REQUIRE(bad && good);
    ti_fail_size = 777;
    for (i = 0; i < 5; i++) {
        CHECK(slab_cache_alloc(bad) == NULL);
        CHECK(tu_rep(h, SLAB_ERR_NOMEM));
        CHECK(slab_cache_zalloc(bad) == NULL);
        CHECK(tu_rep(h, SLAB_ERR_NOMEM));
        CHECK(slab_cache_alloc_bulk(bad, 4, out) == 0);
        CHECK(tu_rep(h, SLAB_ERR_NOMEM));
        p = slab_cache_alloc(good);
        CHECK(p != NULL && ti_last_size == 200 && ti_last_heap == h);
        slab_cache_free(good, p);
        CHECK(slab_vmalloc(h, 777) == NULL);
        CHECK(tu_rep(h, SLAB_ERR_NOMEM));
        p = slab_vmalloc(h, 778);
        CHECK(p != NULL && ti_last_size == 778);
        slab_vfree(h, p);
        p = slab_pages_alloc(h, 2);
        CHECK(p != NULL && ti_last_size == 4 * 4096);
        slab_pages_free(h, p);
        CHECK(tu_quiet());
    }
    CHECK(tu_hinfo(h).oom_count == 20);
    CHECK(tu_cinfo(bad).active_objs == 0);
    ti_fail_size = 0;
    p = slab_cache_alloc(bad);
    CHECK(p != NULL);
    slab_cache_free(bad, p);
    CHECK(tu_quiet());
    CHECK(tu_heap_ok(h, 0, r.size));
    slab_heap_destroy(h);
    tu_region_free(&r);
}

/* Fault injection counts the program's allocations only: the heap's own bookkeeping (the
   struct of a new cache, the class cache kmalloc makes on first use) is not injected, as the
   kernel's failslab spares its cache of caches. So the Nth allocation is the Nth the program
   makes, whatever caches the heap had to make for it. */
static void t_reclaim_inject_bookkeeping(void)
{
    tu_region r;
    slab_heap_config cfg = tu_cfg(4096);
    slab_heap *h;
    slab_cache *a, *b;
    void *p[3], *q;
    size_t n0;
    cfg.fail_nth = 2;
    h = tu_heap_cfg(&r, (size_t)1 << 20, 0, &cfg);
    REQUIRE(h != NULL);
    p[0] = slab_kmalloc(h, 64); /* the first use of kmalloc-64: allocation 1 */
    p[1] = slab_kmalloc(h, 64); /* allocation 2: fails */
    p[2] = slab_kmalloc(h, 64);
    CHECK(p[0] != NULL);
    CHECK(p[1] == NULL);
    CHECK(p[2] != NULL);
    CHECK(tu_rep(h, SLAB_ERR_NOMEM));
    slab_kfree(h, p[0]);
    slab_kfree(h, p[1]);
    slab_kfree(h, p[2]);
    CHECK(tu_quiet());
    slab_heap_destroy(h);
    tu_region_free(&r);

    cfg.fail_nth = 0;
    cfg.should_fail = ti_should_fail;
    ti_calls = 0;
    ti_fail_size = 0;
    h = tu_heap_cfg(&r, (size_t)1 << 20, 0, &cfg);
    REQUIRE(h != NULL);
    a = slab_cache_create(h, "a", 100, 0, 0, NULL, NULL);
    b = slab_cache_create(h, "b", 100, 0, 0, NULL, NULL);
    REQUIRE(a && b);
    CHECK(ti_calls == 0); /* making caches is not an allocation the injection counts */
    n0 = ti_calls;
    q = slab_cache_alloc(a);
    CHECK(q != NULL && ti_calls == n0 + 1);
    slab_cache_free(a, q);
    q = slab_kmalloc(h, 100); /* makes kmalloc-128 first */
    CHECK(q != NULL && ti_calls == n0 + 2);
    slab_kfree(h, q);
    q = slab_kmalloc(h, 1000); /* makes kmalloc-1024 first */
    CHECK(q != NULL && ti_calls == n0 + 3);
    slab_kfree(h, q);
    CHECK(tu_quiet());
    slab_heap_destroy(h);
    tu_region_free(&r);
}
