/* t_misuse.c - every misuse class of shared/MISUSE.md that this layer has: the exact code is
   reported, and nothing changes (figures, check, other objects' bytes). Corruption last. */

static int tu_misuse_global;

/* Live things whose bytes must survive every refused call. */
typedef struct tu_live {
    void *p[24];
    size_t len[24];
    uint32_t id[24];
    size_t n;
} tu_live;

static void tu_live_add(tu_live *l, void *p, size_t len)
{
    l->p[l->n] = p;
    l->len[l->n] = len;
    l->id[l->n] = 5000 + (uint32_t)l->n;
    tu_fill(p, len, l->id[l->n]);
    l->n++;
}

static int tu_live_ok(const tu_live *l)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        if (!tu_verify(l->p[i], l->len[i], l->id[i]))
            return 0;
    return 1;
}

typedef struct tu_bad {
    void *p;
    slab_error code; /* SLAB_ERR_OK: no report expected */
    const char *what;
} tu_bad;

static void t_misuse_pages_free(void)
{
    tu_region r;
    size_t size = (size_t)1 << 20, ps = 4096, i, nb = 0;
    slab_heap *h = tu_heap(&r, size, 0, ps);
    slab_heapinfo hi;
    slab_cache *c, *mc;
    unsigned char *b2, *b0, *f, *g, *mal, *o0, *o1, *mo;
    uintptr_t mslab;
    int local = 0;
    tu_live live;
    tu_bad bad[24];
    REQUIRE(h != NULL);
    memset(&live, 0, sizeof live);
    hi = tu_hinfo(h);
    mc = slab_cache_create(h, "multi", 3000, 0, 0, NULL, NULL);
    REQUIRE(mc != NULL && tu_cinfo(mc).pagesperslab >= 2);
    mo = (unsigned char *)slab_cache_alloc(mc);
    REQUIRE(mo != NULL);
    /* the first object of a fresh cache lies in its slab's first page (the slab's leftover, so
       any colour offset, is under one page for 3000-byte objects); the next page is a tail */
    mslab = (uintptr_t)mo & ~(uintptr_t)(ps - 1);
    REQUIRE(tu_cinfo(mc).objperslab * tu_cinfo(mc).objsize + ps >=
            tu_cinfo(mc).pagesperslab * ps);
    b2 = (unsigned char *)slab_pages_alloc(h, 2);
    b0 = (unsigned char *)slab_pages_alloc(h, 0);
    f = (unsigned char *)slab_pages_alloc(h, 1);
    g = (unsigned char *)slab_pages_alloc(h, 3);
    c = slab_cache_create(h, "objs", 96, 0, 0, NULL, NULL);
    REQUIRE(b2 && b0 && f && g && c);
    o0 = (unsigned char *)slab_cache_alloc(c);
    o1 = (unsigned char *)slab_cache_alloc(c);
    mal = (unsigned char *)malloc(ps);
    REQUIRE(o0 && o1 && mal);
    slab_pages_free(h, f); /* f and g become free blocks */
    slab_pages_free(h, g);
    tu_live_add(&live, b2, 4 * ps);
    tu_live_add(&live, b0, ps);
    tu_live_add(&live, o0, 96);
    tu_live_add(&live, o1, 96);
    tu_live_add(&live, mo, 3000);

    bad[nb].p = NULL, bad[nb].code = SLAB_ERR_OK, bad[nb++].what = "NULL";
    bad[nb].p = &local, bad[nb].code = SLAB_ERR_INVALID_ADDRESS, bad[nb++].what = "stack";
    bad[nb].p = &tu_misuse_global, bad[nb].code = SLAB_ERR_INVALID_ADDRESS,
    bad[nb++].what = "global";
    bad[nb].p = mal, bad[nb].code = SLAB_ERR_INVALID_ADDRESS, bad[nb++].what = "malloc";
    bad[nb].p = (void *)((uintptr_t)r.base + size), bad[nb].code = SLAB_ERR_INVALID_ADDRESS,
    bad[nb++].what = "region end";
    bad[nb].p = (void *)((uintptr_t)r.base - ps), bad[nb].code = SLAB_ERR_INVALID_ADDRESS,
    bad[nb++].what = "below region";
    bad[nb].p = r.base, bad[nb].code = SLAB_ERR_INVALID_POINTER, bad[nb++].what = "metadata";
    bad[nb].p = r.base + hi.metadata_bytes / 2, bad[nb].code = SLAB_ERR_INVALID_POINTER,
    bad[nb++].what = "metadata middle";
    bad[nb].p = f, bad[nb].code = SLAB_ERR_DOUBLE_FREE, bad[nb++].what = "freed block";
    bad[nb].p = f + ps, bad[nb].code = SLAB_ERR_DOUBLE_FREE, bad[nb++].what = "freed 2nd page";
    bad[nb].p = g + 5 * ps, bad[nb].code = SLAB_ERR_DOUBLE_FREE, bad[nb++].what = "free page";
    bad[nb].p = b2 + 1, bad[nb].code = SLAB_ERR_INVALID_POINTER, bad[nb++].what = "b2+1";
    bad[nb].p = b2 + ps / 2, bad[nb].code = SLAB_ERR_INVALID_POINTER, bad[nb++].what = "b2+ps/2";
    bad[nb].p = b2 + ps, bad[nb].code = SLAB_ERR_INVALID_POINTER, bad[nb++].what = "interior";
    bad[nb].p = b2 + 3 * ps, bad[nb].code = SLAB_ERR_INVALID_POINTER, bad[nb++].what = "last";
    bad[nb].p = b0 + ps - 1, bad[nb].code = SLAB_ERR_INVALID_POINTER, bad[nb++].what = "b0 end";
    bad[nb].p = o1, bad[nb].code = SLAB_ERR_INVALID_POINTER, bad[nb++].what = "slab object";
    bad[nb].p = (void *)((uintptr_t)o0 & ~(uintptr_t)(ps - 1)),
    bad[nb].code = SLAB_ERR_INVALID_POINTER, bad[nb++].what = "slab page";
    bad[nb].p = (void *)(mslab + ps), bad[nb].code = SLAB_ERR_INVALID_POINTER,
    bad[nb++].what = "slab tail page";
    tu_rec_reset();
    for (i = 0; i < nb; i++) {
        tu_snap s0 = tu_snap_take(h, c, mc, NULL), s1;
        int ok;
        slab_pages_free(h, bad[i].p);
        ok = bad[i].code == SLAB_ERR_OK ? tu_quiet() : tu_rep(h, bad[i].code);
        CHECK(ok);
        if (!ok)
            printf("    (case %s)\n", bad[i].what);
        s1 = tu_snap_take(h, c, mc, NULL);
        CHECK(tu_snap_eq(&s0, &s1));
        CHECK(slab_heap_check(h) == 0);
        CHECK(tu_live_ok(&live));
    }
    CHECK(tu_heap_ok(h, 5, size));
    /* the real frees still work */
    slab_pages_free(h, b2);
    slab_pages_free(h, b0);
    slab_cache_free(c, o0);
    slab_cache_free(c, o1);
    slab_cache_free(mc, mo);
    CHECK(tu_quiet());
    CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
    CHECK(slab_cache_destroy(mc) == SLAB_ERR_OK);
    CHECK(tu_heap_ok(h, 0, size));
    free(mal);
    slab_heap_destroy(h);
    tu_region_free(&r);
}

static void t_misuse_cache_free(void)
{
    tu_region r;
    size_t size = (size_t)1 << 20, ps = 4096, i, nb = 0, objsize;
    slab_heap *h = tu_heap(&r, size, 0, ps);
    slab_cache *a, *b, *c, *t;
    unsigned char *ao[8], *bo, *co, *pg, *fp, *mal, *dbl, *to[64], *tailp = NULL;
    size_t nto = 0;
    int local = 0;
    tu_live live;
    tu_bad bad[24];
    REQUIRE(h != NULL);
    memset(&live, 0, sizeof live);
    a = slab_cache_create(h, "A", 64, 0, 0, NULL, NULL);
    b = slab_cache_create(h, "B", 64, 0, 0, NULL, NULL);
    c = slab_cache_create(h, "C", 200, 0, 0, NULL, NULL);
    t = slab_cache_create(h, "T", 200, 0, 0, NULL, NULL);
    REQUIRE(a && b && c && t);
    objsize = tu_cinfo(a).objsize;
    for (i = 0; i < 8; i++) {
        ao[i] = (unsigned char *)slab_cache_alloc(a);
        REQUIRE(ao[i] != NULL);
    }
    bo = (unsigned char *)slab_cache_alloc(b);
    co = (unsigned char *)slab_cache_alloc(c);
    pg = (unsigned char *)slab_pages_alloc(h, 0);
    fp = (unsigned char *)slab_pages_alloc(h, 0);
    dbl = (unsigned char *)slab_cache_alloc(a);
    mal = (unsigned char *)malloc(64);
    REQUIRE(bo && co && pg && fp && dbl && mal);
    /* the slot after the last one of a full slab of 200-byte objects, when it is still inside
       the slab (on the stride, but past the objects) */
    {
        size_t n = tu_cinfo(t).objperslab, slab_bytes = tu_cinfo(t).pagesperslab * ps, k;
        uintptr_t last = 0, base;
        REQUIRE(n <= 64);
        for (k = 0; k < n; k++) {
            to[k] = (unsigned char *)slab_cache_alloc(t);
            REQUIRE(to[k] != NULL);
            if ((uintptr_t)to[k] > last)
                last = (uintptr_t)to[k];
        }
        nto = n;
        base = last & ~(uintptr_t)(slab_bytes - 1);
        if (last + tu_cinfo(t).objsize < base + slab_bytes)
            tailp = (unsigned char *)last + tu_cinfo(t).objsize;
    }
    slab_pages_free(h, fp);
    for (i = 0; i < 8; i++)
        tu_live_add(&live, ao[i], 64);
    tu_live_add(&live, bo, 64);
    tu_live_add(&live, co, 200);
    tu_live_add(&live, pg, ps);
    slab_cache_free(a, dbl); /* dbl: freed, at the head of its slab's free list */
    CHECK(tu_quiet());

    bad[nb].p = NULL, bad[nb].code = SLAB_ERR_OK, bad[nb++].what = "NULL";
    bad[nb].p = &local, bad[nb].code = SLAB_ERR_INVALID_ADDRESS, bad[nb++].what = "stack";
    bad[nb].p = &tu_misuse_global, bad[nb].code = SLAB_ERR_INVALID_ADDRESS,
    bad[nb++].what = "global";
    bad[nb].p = mal, bad[nb].code = SLAB_ERR_INVALID_ADDRESS, bad[nb++].what = "malloc";
    bad[nb].p = r.base + size, bad[nb].code = SLAB_ERR_INVALID_ADDRESS, bad[nb++].what = "end";
    bad[nb].p = r.base, bad[nb].code = SLAB_ERR_INVALID_POINTER, bad[nb++].what = "metadata";
    bad[nb].p = fp, bad[nb].code = SLAB_ERR_INVALID_POINTER, bad[nb++].what = "free page";
    bad[nb].p = fp + 64, bad[nb].code = SLAB_ERR_INVALID_POINTER, bad[nb++].what = "free page+64";
    bad[nb].p = ao[2] + 1, bad[nb].code = SLAB_ERR_INVALID_POINTER, bad[nb++].what = "p+1";
    bad[nb].p = ao[2] + 63, bad[nb].code = SLAB_ERR_INVALID_POINTER, bad[nb++].what = "p+size-1";
    bad[nb].p = ao[2] + objsize / 2, bad[nb].code = SLAB_ERR_INVALID_POINTER,
    bad[nb++].what = "p+stride/2";
    bad[nb].p = bo, bad[nb].code = SLAB_ERR_WRONG_CACHE, bad[nb++].what = "same-size cache";
    bad[nb].p = co, bad[nb].code = SLAB_ERR_WRONG_CACHE, bad[nb++].what = "other-size cache";
    bad[nb].p = pg, bad[nb].code = SLAB_ERR_INVALID_POINTER, bad[nb++].what = "page block";
    bad[nb].p = pg + 64, bad[nb].code = SLAB_ERR_INVALID_POINTER, bad[nb++].what = "page+64";
    bad[nb].p = dbl, bad[nb].code = SLAB_ERR_DOUBLE_FREE, bad[nb++].what = "double free";
    if (tailp != NULL) {
        bad[nb].p = tailp, bad[nb].code = SLAB_ERR_INVALID_POINTER;
        bad[nb++].what = "past the last slot";
    }
    tu_rec_reset();
    for (i = 0; i < nb; i++) {
        tu_snap s0 = tu_snap_take(h, a, b, c), s1;
        int ok;
        slab_cache_free(bad[i].p == tailp ? t : a, bad[i].p);
        ok = bad[i].code == SLAB_ERR_OK ? tu_quiet() : tu_rep(h, bad[i].code);
        CHECK(ok);
        if (!ok)
            printf("    (case %s)\n", bad[i].what);
        s1 = tu_snap_take(h, a, b, c);
        CHECK(tu_snap_eq(&s0, &s1));
        CHECK(slab_heap_check(h) == 0);
        CHECK(tu_live_ok(&live));
    }
    /* the refused double free did not put dbl on the free list twice */
    {
        void *x = slab_cache_alloc(a), *y = slab_cache_alloc(a);
        CHECK(x == dbl);
        CHECK(y != NULL && y != dbl);
        slab_cache_free(a, y);
        slab_cache_free(a, x);
    }
    /* info with no place to write */
    CHECK(slab_cache_info(a, NULL) == SLAB_ERR_INVALID_ARG);
    CHECK(tu_rep(h, SLAB_ERR_INVALID_ARG));
    CHECK(tu_heap_ok(h, 1, size));
    for (i = 0; i < 8; i++)
        slab_cache_free(a, ao[i]);
    slab_cache_free(b, bo);
    slab_cache_free(c, co);
    for (i = 0; i < nto; i++)
        slab_cache_free(t, to[i]);
    slab_pages_free(h, pg);
    CHECK(tu_quiet());
    CHECK(slab_cache_destroy(t) == SLAB_ERR_OK);
    CHECK(slab_cache_destroy(a) == SLAB_ERR_OK);
    CHECK(slab_cache_destroy(b) == SLAB_ERR_OK);
    CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
    CHECK(tu_heap_ok(h, 0, size));
    free(mal);
    slab_heap_destroy(h);
    tu_region_free(&r);
}

/* Double free in caches of every kind: refused, and the object is handed out once only. */
static void t_misuse_double_free(void)
{
    static const struct {
        size_t size;
        unsigned flags;
        int ctor;
    } cases[] = {{8, 0, 0}, {8, 0, 1}, {24, 0, 1}, {100, SLAB_HWCACHE_ALIGN, 0}, {2000, 0, 0}};
    size_t ci;
    for (ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        tu_region r;
        size_t size = (size_t)1 << 20, sz = cases[ci].size, n, i, j, seen;
        slab_heap *h = tu_heap(&r, size, 0, 4096);
        tu_ctor_ctx x;
        slab_cache *c;
        void **o, *p, *keep;
        tu_snap s0, s1;
        CHECK(h != NULL);
        if (h == NULL)
            continue;
        memset(&x, 0, sizeof x);
        x.size = sz;
        x.align = sizeof(void *);
        c = slab_cache_create(h, "dbl", sz, 0, cases[ci].flags, cases[ci].ctor ? tu_ctor : NULL,
                              &x);
        REQUIRE(c != NULL);
        n = tu_cinfo(c).objperslab;
        o = (void **)malloc(n * sizeof(void *));
        REQUIRE(o != NULL);
        keep = slab_cache_alloc(c);
        p = slab_cache_alloc(c);
        REQUIRE(keep != NULL && p != NULL);
        tu_fill(keep, sz, 1);
        tu_fill(p, sz, 2);
        slab_cache_free(c, p);
        s0 = tu_snap_take(h, c, NULL, NULL);
        slab_cache_free(c, p);
        CHECK(tu_rep(h, SLAB_ERR_DOUBLE_FREE));
        slab_cache_free(c, p);
        CHECK(tu_rep(h, SLAB_ERR_DOUBLE_FREE));
        s1 = tu_snap_take(h, c, NULL, NULL);
        CHECK(tu_snap_eq(&s0, &s1));
        CHECK(slab_heap_check(h) == 0);
        CHECK(tu_verify(keep, sz, 1));
        /* allocate the whole slab's worth and more: every object distinct */
        for (i = 0; i < n; i++) {
            o[i] = slab_cache_alloc(c);
            CHECK(o[i] != NULL);
            if (o[i] == NULL)
                break;
            for (j = 0; j < i; j++)
                CHECK(o[j] != o[i]);
            CHECK(o[i] != keep);
        }
        for (j = 0, seen = 0; j < i; j++) /* p comes back exactly once */
            if (o[j] == p)
                seen++;
        CHECK(seen == 1);
        if (cases[ci].ctor) {
            CHECK(o[0] == p);           /* LIFO */
            CHECK(tu_verify(p, sz, 2)); /* its constructed state survived both frees */
        }
        CHECK(tu_cache_ok(c, i + 1));
        while (i > 0)
            slab_cache_free(c, o[--i]);
        slab_cache_free(c, keep);
        CHECK(tu_quiet());
        CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
        CHECK(tu_heap_ok(h, 0, size));
        free(o);
        slab_heap_destroy(h);
        tu_region_free(&r);
    }
}

/* A destroyed cache's handle: every call is refused with BAD_HANDLE through the heap's hook. */
static void t_misuse_stale_cache(void)
{
    tu_region r;
    size_t size = (size_t)1 << 20;
    slab_heap *h = tu_heap(&r, size, 0, 4096);
    slab_cache *a, *d;
    slab_slabinfo ci;
    void *ao[4], *out[2];
    tu_snap s0, s1;
    size_t i;
    REQUIRE(h != NULL);
    a = slab_cache_create(h, "A", 64, 0, 0, NULL, NULL);
    REQUIRE(a != NULL);
    for (i = 0; i < 4; i++) {
        ao[i] = slab_cache_alloc(a);
        REQUIRE(ao[i] != NULL);
        tu_fill(ao[i], 64, (uint32_t)i);
    }
    d = slab_cache_create(h, "D", 64, 0, 0, NULL, NULL);
    REQUIRE(d != NULL);
    out[0] = slab_cache_alloc(d);
    slab_cache_free(d, out[0]);
    CHECK(slab_cache_destroy(d) == SLAB_ERR_OK);
    CHECK(tu_quiet());
    s0 = tu_snap_take(h, a, NULL, NULL);

    slab_cache_free(d, ao[0]);
    CHECK(tu_rep(h, SLAB_ERR_BAD_HANDLE));
    CHECK(slab_cache_alloc(d) == NULL);
    CHECK(tu_rep(h, SLAB_ERR_BAD_HANDLE));
    CHECK(slab_cache_zalloc(d) == NULL);
    CHECK(tu_rep(h, SLAB_ERR_BAD_HANDLE));
    CHECK(slab_cache_alloc_bulk(d, 2, out) == 0);
    CHECK(tu_rep(h, SLAB_ERR_BAD_HANDLE));
    CHECK(slab_cache_free_bulk(d, 2, ao) == 0);
    CHECK(tu_rep(h, SLAB_ERR_BAD_HANDLE));
    CHECK(slab_cache_shrink(d) == 0);
    CHECK(tu_rep(h, SLAB_ERR_BAD_HANDLE));
    CHECK(slab_cache_info(d, &ci) == SLAB_ERR_BAD_HANDLE);
    CHECK(tu_rep(h, SLAB_ERR_BAD_HANDLE));
    CHECK(slab_cache_destroy(d) == SLAB_ERR_BAD_HANDLE);
    CHECK(tu_rep(h, SLAB_ERR_BAD_HANDLE));
    s1 = tu_snap_take(h, a, NULL, NULL);
    CHECK(tu_snap_eq(&s0, &s1));
    CHECK(slab_heap_check(h) == 0);
    for (i = 0; i < 4; i++)
        CHECK(tu_verify(ao[i], 64, (uint32_t)i));

    /* NULL handles: refused, nothing to report to */
    CHECK(slab_cache_alloc(NULL) == NULL);
    CHECK(slab_cache_zalloc(NULL) == NULL);
    slab_cache_free(NULL, ao[0]);
    CHECK(slab_cache_alloc_bulk(NULL, 2, out) == 0);
    CHECK(slab_cache_free_bulk(NULL, 2, ao) == 0);
    CHECK(slab_cache_shrink(NULL) == 0);
    CHECK(slab_cache_info(NULL, &ci) == SLAB_ERR_BAD_HANDLE);
    CHECK(slab_cache_destroy(NULL) == SLAB_ERR_BAD_HANDLE);
    slab_pages_free(NULL, ao[0]);
    CHECK(slab_pages_alloc(NULL, 0) == NULL);
    CHECK(slab_heap_check(NULL) == -1);
    CHECK(tu_quiet());
    s1 = tu_snap_take(h, a, NULL, NULL);
    CHECK(tu_snap_eq(&s0, &s1));
    for (i = 0; i < 4; i++)
        slab_cache_free(a, ao[i]);
    CHECK(tu_quiet());
    CHECK(slab_cache_destroy(a) == SLAB_ERR_OK);
    CHECK(tu_heap_ok(h, 0, size));
    slab_heap_destroy(h);
    tu_region_free(&r);
}

/* Zeroed and garbage handles are refused without a crash and without a write. */
static void t_misuse_garbage_handles(void)
{
    static const unsigned char fills[2] = {0x00, 0xa5};
    unsigned char *buf = (unsigned char *)malloc(8192);
    slab_heapinfo hi;
    slab_slabinfo ci;
    void *out[2] = {NULL, NULL};
    size_t fi;
    REQUIRE(buf != NULL);
    tu_rec_reset();
    for (fi = 0; fi < 2; fi++) {
        slab_heap *h = (slab_heap *)(void *)buf;
        memset(buf, fills[fi], 8192);
        CHECK(slab_heap_stats(h, &hi) != SLAB_ERR_OK);
        CHECK(slab_heap_check(h) == -1);
        CHECK(slab_pages_alloc(h, 0) == NULL);
        slab_pages_free(h, buf + 4096);
        CHECK(slab_cache_create(h, "x", 8, 0, 0, NULL, NULL) == NULL);
        slab_heap_destroy(h);
        CHECK(tu_all_bytes(buf, 8192, fills[fi]));
    }
    {
        slab_cache *c = (slab_cache *)(void *)buf; /* a zeroed cache handle */
        memset(buf, 0, 8192);
        CHECK(slab_cache_alloc(c) == NULL);
        CHECK(slab_cache_zalloc(c) == NULL);
        slab_cache_free(c, buf + 4096);
        CHECK(slab_cache_alloc_bulk(c, 2, out) == 0);
        CHECK(slab_cache_free_bulk(c, 2, out) == 0);
        CHECK(slab_cache_shrink(c) == 0);
        CHECK(slab_cache_info(c, &ci) == SLAB_ERR_BAD_HANDLE);
        CHECK(slab_cache_destroy(c) == SLAB_ERR_BAD_HANDLE);
        CHECK(tu_all_bytes(buf, 8192, 0));
    }
    CHECK(tu_quiet());
    free(buf);
}

/* Two heaps side by side: objects and pages of one are foreign to the other. */
static void t_misuse_cross_heap(void)
{
    tu_region r1, r2;
    size_t size = (size_t)512 << 10;
    slab_heap *h1 = tu_heap(&r1, size, 0, 4096), *h2 = tu_heap(&r2, size, 0, 4096);
    slab_cache *c1, *c2;
    void *o1, *o2, *p1;
    tu_snap s1a, s2a, s1b, s2b;
    REQUIRE(h1 != NULL && h2 != NULL);
    c1 = slab_cache_create(h1, "one", 64, 0, 0, NULL, NULL);
    c2 = slab_cache_create(h2, "two", 64, 0, 0, NULL, NULL);
    REQUIRE(c1 && c2);
    o1 = slab_cache_alloc(c1);
    o2 = slab_cache_alloc(c2);
    p1 = slab_pages_alloc(h1, 0);
    REQUIRE(o1 && o2 && p1);
    tu_fill(o1, 64, 1);
    tu_fill(o2, 64, 2);
    tu_fill(p1, 4096, 3);
    tu_rec_reset();
    s1a = tu_snap_take(h1, c1, NULL, NULL);
    s2a = tu_snap_take(h2, c2, NULL, NULL);
    slab_cache_free(c2, o1);
    CHECK(tu_rep(h2, SLAB_ERR_INVALID_ADDRESS));
    slab_pages_free(h2, p1);
    CHECK(tu_rep(h2, SLAB_ERR_INVALID_ADDRESS));
    s1b = tu_snap_take(h1, c1, NULL, NULL);
    s2b = tu_snap_take(h2, c2, NULL, NULL);
    CHECK(tu_snap_eq(&s1a, &s1b) && tu_snap_eq(&s2a, &s2b));
    CHECK(tu_verify(o1, 64, 1) && tu_verify(o2, 64, 2) && tu_verify(p1, 4096, 3));
    slab_cache_free(c1, o1);
    slab_cache_free(c2, o2);
    slab_pages_free(h1, p1);
    CHECK(tu_quiet());
    CHECK(tu_heap_ok(h1, 0, size) && tu_heap_ok(h2, 0, size));
    slab_heap_destroy(h1);
    slab_heap_destroy(h2);
    tu_region_free(&r1);
    tu_region_free(&r2);
}

/* slab_heap_check finds a broken invariant, returns its number (> 0) and reports CORRUPT. */
static int tu_corrupt_seen(slab_heap *h, int want)
{
    int r = slab_heap_check(h);
    int ok = r > 0 && (want == 0 || r == want);
    if (!ok)
        printf("    slab_heap_check returned %d, expected %s%d\n", r, want ? "" : "> ", want);
    return ok && tu_rep(h, SLAB_ERR_CORRUPT);
}

static int tu_clean(slab_heap *h) { return slab_heap_check(h) == 0 && tu_quiet(); }

/* Corrupted metadata, one field per case (MISUSE #14, #25): a use-after-free write over a free
   list link through the public API, then page descriptors, buddy lists, orders and counters
   through the internals. Each case is restored and the heap is whole again. */
static void t_misuse_corrupt(void)
{
    tu_region r;
    size_t size = (size_t)1 << 20, i, k, n, pidx, save_sz;
    slab_heap *h = tu_heap(&r, size, 0, 4096);
    slab_cache *c, *m;
    void *o[100], *mo[3], *blk;
    unsigned char saved[512], *fo; /* a whole slot, debug builds' too */
    slab__zone *z;
    slab__page *pg, *save_pg;
    uint32_t save_u32;
    uint8_t save_u8;
    slab_cache *save_c;
    REQUIRE(h != NULL);
    c = slab_cache_create(h, "small", 64, 0, 0, NULL, NULL);
    m = slab_cache_create(h, "multi", 3000, 0, 0, NULL, NULL);
    REQUIRE(c && m);
    n = 100;
    for (i = 0; i < n; i++) {
        o[i] = slab_cache_alloc(c);
        REQUIRE(o[i] != NULL);
    }
    for (i = 0; i < 3; i++) {
        mo[i] = slab_cache_alloc(m);
        REQUIRE(mo[i] != NULL);
    }
    blk = slab_pages_alloc(h, 2);
    REQUIRE(blk != NULL);
    REQUIRE(tu_cinfo(m).pagesperslab >= 2);
    for (i = 40; i < n; i++)
        slab_cache_free(c, o[i]);
    slab_cache_shrink(c); /* the freed objects leave the magazines for their slabs' free lists */
    CHECK(tu_clean(h));
    z = &h->zone;

    /* a write after free over a free object: its free-list link is garbage. The object is the
       first of a slab's free list (a free object may also wait elsewhere, e.g. in a per-cache
       array, with no link to break). */
    for (i = 40, fo = NULL; i < n && fo == NULL; i++) {
        pidx = (size_t)(((char *)o[i] - z->base) >> h->page_shift);
        fo = (unsigned char *)z->pages[z->pages[pidx].head].freelist;
    }
    REQUIRE(fo != NULL && c->stride <= sizeof saved);
    TU_UNPOISON(fo, c->stride);
    memcpy(saved, fo, c->stride);
    memset(fo, 0xa5, c->stride);
    CHECK(tu_corrupt_seen(h, 5));
    TU_UNPOISON(fo, c->stride); /* the check looked at the link: ASan poisoned it again */
    memcpy(fo, saved, c->stride);
    CHECK(tu_clean(h));
    /* ... or a link to a live object */
    TU_UNPOISON(fo, c->stride);
    *(void **)(void *)(fo + c->link_off) = o[1];
    CHECK(tu_corrupt_seen(h, 0));
    TU_UNPOISON(fo, c->stride);
    memcpy(fo, saved, c->stride);
    CHECK(tu_clean(h));

    /* counters */
    c->inuse_objs++;
    CHECK(tu_corrupt_seen(h, 7));
    c->inuse_objs--;
    CHECK(tu_clean(h));
    c->nr_slabs++;
    CHECK(tu_corrupt_seen(h, 7));
    c->nr_slabs--;
    CHECK(tu_clean(h));
    h->block_pages++;
    CHECK(tu_corrupt_seen(h, 8));
    h->block_pages--;
    CHECK(tu_clean(h));

    /* a slab's inuse count */
    pidx = (size_t)(((char *)o[0] - z->base) >> h->page_shift);
    pg = &z->pages[pidx];
    save_u32 = pg->inuse;
    pg->inuse--;
    CHECK(tu_corrupt_seen(h, 0));
    pg->inuse = save_u32;
    CHECK(tu_clean(h));
    /* a slab's owner */
    save_c = pg->cache;
    pg->cache = m;
    CHECK(tu_corrupt_seen(h, 0));
    pg->cache = save_c;
    CHECK(tu_clean(h));

    /* a slab tail that names the wrong head */
    pidx = (size_t)(((char *)mo[0] - z->base) >> h->page_shift);
    pidx = z->pages[pidx].head; /* the slab's head page */
    pg = &z->pages[pidx + 1];
    save_u32 = pg->head;
    pg->head = (uint32_t)(pidx + 2);
    CHECK(tu_corrupt_seen(h, 0));
    pg->head = save_u32;
    CHECK(tu_clean(h));

    /* a page block's head descriptor: wrong state, wrong order */
    pidx = (size_t)(((char *)blk - z->base) >> h->page_shift);
    pg = &z->pages[pidx];
    save_u8 = pg->state;
    pg->state = SLAB__PG_FREE;
    CHECK(tu_corrupt_seen(h, 0));
    pg->state = save_u8;
    CHECK(tu_clean(h));
    save_u8 = pg->order;
    pg->order = (uint8_t)(save_u8 + 1);
    CHECK(tu_corrupt_seen(h, 0));
    pg->order = save_u8;
    CHECK(tu_clean(h));

    /* the buddy free lists: a block's order, a link, the count and the mask of an order */
    for (k = 1; k < SLAB_MAX_ORDERS; k++)
        if (z->free_head[k] != NULL)
            break;
    REQUIRE(k < SLAB_MAX_ORDERS);
    pg = z->free_head[k];
    save_u8 = pg->order;
    pg->order = (uint8_t)(k - 1);
    CHECK(tu_corrupt_seen(h, 0));
    pg->order = save_u8;
    CHECK(tu_clean(h));
    save_pg = pg->next;
    pg->next = &z->pages[pidx]; /* the live page block */
    CHECK(tu_corrupt_seen(h, 0));
    pg->next = save_pg;
    CHECK(tu_clean(h));
    save_sz = z->nr_free[k];
    z->nr_free[k]++;
    CHECK(tu_corrupt_seen(h, 0));
    z->nr_free[k] = save_sz;
    CHECK(tu_clean(h));
    save_u32 = z->free_mask;
    z->free_mask ^= 1u << k;
    CHECK(tu_corrupt_seen(h, 0));
    z->free_mask = save_u32;
    CHECK(tu_clean(h));

    /* all restored: the heap works and empties */
    for (i = 0; i < 40; i++)
        slab_cache_free(c, o[i]);
    for (i = 0; i < 3; i++)
        slab_cache_free(m, mo[i]);
    slab_pages_free(h, blk);
    CHECK(tu_quiet());
    CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
    CHECK(slab_cache_destroy(m) == SLAB_ERR_OK);
    CHECK(tu_heap_ok(h, 0, size));
    slab_heap_destroy(h);
    tu_region_free(&r);
}
