/* t_bulk.c - slab_cache_alloc_bulk / slab_cache_free_bulk: all or nothing both ways. */

static void t_bulk_basic(void)
{
    tu_region r;
    size_t size = (size_t)2 << 20, n, i, got;
    slab_heap *h = tu_heap(&r, size, 0, 4096);
    slab_cache *c;
    slab_slabinfo info;
    void *one[1], **o, **sparse;
    tu_snap s0, s1;
    REQUIRE(h != NULL);
    c = slab_cache_create(h, "bulk", 48, 0, 0, NULL, NULL);
    REQUIRE(c != NULL);
    info = tu_cinfo(c);
    tu_rec_reset();

    s0 = tu_snap_take(h, c, NULL, NULL);
    CHECK(slab_cache_alloc_bulk(c, 0, one) == 0);
    CHECK(slab_cache_alloc_bulk(c, 0, NULL) == 0);
    CHECK(slab_cache_free_bulk(c, 0, one) == 0);
    CHECK(slab_cache_free_bulk(c, 0, NULL) == 0);
    CHECK(tu_quiet());
    CHECK(slab_cache_alloc_bulk(c, 5, NULL) == 0);
    CHECK(tu_rep(h, SLAB_ERR_INVALID_ARG));
    s1 = tu_snap_take(h, c, NULL, NULL);
    CHECK(tu_snap_eq(&s0, &s1));

    CHECK(slab_cache_alloc_bulk(c, 1, one) == 1);
    CHECK(one[0] != NULL && tu_aligned(one[0], info.align) && tu_inside(&r, one[0], 48));
    CHECK(tu_cache_ok(c, 1));
    CHECK(slab_cache_free_bulk(c, 1, one) == 1);
    CHECK(tu_cache_ok(c, 0));

    n = 3 * info.objperslab + 7;
    o = (void **)malloc(n * sizeof(void *));
    sparse = (void **)malloc(2 * n * sizeof(void *));
    REQUIRE(o != NULL && sparse != NULL);
    got = slab_cache_alloc_bulk(c, n, o);
    CHECK(got == n);
    REQUIRE(got == n);
    CHECK(tu_objs_ok(&r, o, n, 48, info.align));
    for (i = 0; i < n; i++)
        tu_fill(o[i], 48, (uint32_t)i);
    for (i = 0; i < n; i++)
        CHECK(tu_verify(o[i], 48, (uint32_t)i));
    info = tu_cinfo(c);
    CHECK(tu_cache_ok(c, n));
    CHECK(info.num_slabs == (n + info.objperslab - 1) / info.objperslab);
    CHECK(tu_heap_ok(h, 0, size));
    /* NULLs are skipped and not counted */
    for (i = 0; i < n; i++) {
        sparse[2 * i] = NULL;
        sparse[2 * i + 1] = o[i];
    }
    CHECK(slab_cache_free_bulk(c, 2 * n, sparse) == n);
    CHECK(tu_cache_ok(c, 0));
    CHECK(tu_quiet());

    /* bulk and single calls mix */
    CHECK(slab_cache_alloc_bulk(c, n, o) == n);
    for (i = 0; i < n; i += 2)
        slab_cache_free(c, o[i]);
    for (i = 0; i < n; i += 2)
        o[i] = slab_cache_alloc(c);
    CHECK(tu_objs_ok(&r, o, n, 48, info.align));
    CHECK(slab_cache_free_bulk(c, n, o) == n);
    CHECK(tu_cache_ok(c, 0));
    CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
    CHECK(tu_heap_ok(h, 0, size));
    CHECK(tu_quiet());
    free(o);
    free(sparse);
    slab_heap_destroy(h);
    tu_region_free(&r);
}

/* Only k < n objects fit: 0, NOMEM, nothing handed out; a request that fits then works. */
static void t_bulk_nomem(void)
{
    tu_region r;
    slab_heap *h = tu_heap_pages(&r, 64, 4096);
    slab_cache *c;
    slab_slabinfo info;
    void *pages[64], **o, **o2, *blk;
    size_t np, n, m, i, pps;
    tu_snap s0, s1;
    REQUIRE(h != NULL);
    c = slab_cache_create(h, "bulknomem", 64, 0, 0, NULL, NULL);
    REQUIRE(c != NULL);
    info = tu_cinfo(c);
    n = info.objperslab;
    pps = info.pagesperslab;
    REQUIRE(n >= 4);
    o = (void **)malloc((2 * n + 2) * sizeof(void *));
    o2 = (void **)malloc((2 * n + 2) * sizeof(void *));
    REQUIRE(o != NULL && o2 != NULL);
    m = n / 2;
    for (i = 0; i < m; i++) {
        o[i] = slab_cache_alloc(c);
        REQUIRE(o[i] != NULL);
        tu_fill(o[i], 64, (uint32_t)i);
    }
    blk = slab_pages_alloc(h, tu_log2(pps)); /* room for exactly one slab, kept for later */
    REQUIRE(blk != NULL);
    np = tu_take_all_pages(h, pages, 64);
    tu_rec_reset();

    /* n - m objects fit in the active slab; ask for one more */
    s0 = tu_snap_take(h, c, NULL, NULL);
    CHECK(slab_cache_alloc_bulk(c, n - m + 1, o + m) == 0);
    CHECK(tu_rep(h, SLAB_ERR_NOMEM));
    s1 = tu_snap_take(h, c, NULL, NULL);
    CHECK(s1.hi.oom_count > s0.hi.oom_count);
    s1.hi.oom_count = s0.hi.oom_count;
    CHECK(tu_snap_eq(&s0, &s1));
    CHECK(tu_cache_ok(c, m));
    CHECK(tu_heap_ok(h, np + pps, 0));
    for (i = 0; i < m; i++)
        CHECK(tu_verify(o[i], 64, (uint32_t)i));
    CHECK(slab_cache_alloc_bulk(c, n - m, o + m) == n - m);
    CHECK(tu_quiet());
    CHECK(tu_cache_ok(c, n));
    CHECK(tu_objs_ok(&r, o, n, 64, info.align));

    /* pages for one slab: n fit, n + 1 do not */
    slab_pages_free(h, blk);
    CHECK(slab_cache_alloc_bulk(c, n + 1, o2) == 0);
    CHECK(tu_rep(h, SLAB_ERR_NOMEM));
    CHECK(tu_cache_ok(c, n));
    CHECK(tu_heap_ok(h, np, 0));
    CHECK(slab_cache_alloc_bulk(c, n, o2) == n);
    CHECK(tu_quiet());
    CHECK(tu_cache_ok(c, 2 * n));
    for (i = 0; i < n; i++)
        o[n + i] = o2[i];
    CHECK(tu_objs_ok(&r, o, 2 * n, 64, info.align));
    CHECK(slab_cache_free_bulk(c, 2 * n, o) == 2 * n);
    for (i = 0; i < np; i++)
        slab_pages_free(h, pages[i]);
    CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
    CHECK(tu_heap_ok(h, 0, 0));
    CHECK(tu_quiet());
    free(o);
    free(o2);
    slab_heap_destroy(h);
    tu_region_free(&r);
}

static int tu_bulk_global; /* a pointer outside every heap */

/* One bad pointer in a bulk free: reported with its code, none freed, all still usable. */
static void t_bulk_free_bad(void)
{
    enum { N = 20 };
    tu_region r;
    size_t size = (size_t)1 << 20, i, kind, pos;
    slab_heap *h = tu_heap(&r, size, 0, 4096);
    slab_cache *a, *b;
    void *ao[N], *arr[N + 4], *bo, *freed, *mal;
    int local = 0;
    REQUIRE(h != NULL);
    a = slab_cache_create(h, "A", 64, 0, 0, NULL, NULL);
    b = slab_cache_create(h, "B", 64, 0, 0, NULL, NULL);
    REQUIRE(a != NULL && b != NULL);
    CHECK(slab_cache_alloc_bulk(a, N, ao) == N);
    bo = slab_cache_alloc(b);
    freed = slab_cache_alloc(a);
    mal = malloc(64);
    REQUIRE(bo != NULL && freed != NULL && mal != NULL);
    slab_cache_free(a, freed); /* now the head of its slab's free list */
    for (i = 0; i < N; i++)
        tu_fill(ao[i], 64, (uint32_t)i);
    tu_fill(bo, 64, 1000);
    tu_rec_reset();
    for (kind = 0; kind < 6; kind++) {
        static const slab_error want[6] = {SLAB_ERR_INVALID_ADDRESS, SLAB_ERR_INVALID_ADDRESS,
                                           SLAB_ERR_INVALID_POINTER, SLAB_ERR_WRONG_CACHE,
                                           SLAB_ERR_DOUBLE_FREE,     SLAB_ERR_INVALID_POINTER};
        for (pos = 0; pos < 3; pos++) {
            size_t at = pos == 0 ? 0 : pos == 1 ? N / 2 : N + 3, k, j = 0;
            tu_snap s0, s1;
            for (k = 0; k < N + 4; k++) /* the N objects, with NULLs at 4 places */
                arr[k] = (k == 1 || k == 7 || k == N || k == N + 2) ? NULL : ao[j++];
            switch (kind) {
            case 0: arr[at] = &local; break;
            case 1: arr[at] = mal; break;
            case 2: arr[at] = (char *)ao[3] + 1; break;
            case 3: arr[at] = bo; break;
            case 4: arr[at] = freed; break;
            default: arr[at] = r.base; break; /* the heap's own metadata */
            }
            s0 = tu_snap_take(h, a, b, NULL);
            CHECK(slab_cache_free_bulk(a, N + 4, arr) == 0);
            if (!tu_rep(h, want[kind]))
                printf("    (kind %u at %u)\n", (unsigned)kind, (unsigned)at);
            s1 = tu_snap_take(h, a, b, NULL);
            CHECK(tu_snap_eq(&s0, &s1));
            CHECK(slab_heap_check(h) == 0);
            for (i = 0; i < N; i++)
                CHECK(tu_verify(ao[i], 64, (uint32_t)i));
            CHECK(tu_verify(bo, 64, 1000));
        }
    }
    (void)tu_bulk_global;
    /* a pointer to a global, and an object of a cache of another size */
    {
        slab_cache *big = slab_cache_create(h, "big", 256, 0, 0, NULL, NULL);
        void *bigo = big ? slab_cache_alloc(big) : NULL;
        CHECK(bigo != NULL);
        memcpy(arr, ao, sizeof ao);
        arr[5] = &tu_bulk_global;
        CHECK(slab_cache_free_bulk(a, N, arr) == 0);
        CHECK(tu_rep(h, SLAB_ERR_INVALID_ADDRESS));
        arr[5] = bigo;
        CHECK(slab_cache_free_bulk(a, N, arr) == 0);
        CHECK(tu_rep(h, SLAB_ERR_WRONG_CACHE));
        CHECK(tu_cache_ok(a, N));
        slab_cache_free(big, bigo);
        CHECK(slab_cache_destroy(big) == SLAB_ERR_OK);
    }
    /* everything is still there and can be freed */
    CHECK(tu_cache_ok(a, N));
    CHECK(slab_cache_free_bulk(a, N, ao) == N);
    CHECK(tu_cache_ok(a, 0));
    slab_cache_free(b, bo);
    CHECK(slab_cache_destroy(a) == SLAB_ERR_OK);
    CHECK(slab_cache_destroy(b) == SLAB_ERR_OK);
    CHECK(tu_heap_ok(h, 0, size));
    CHECK(tu_quiet());
    free(mal);
    slab_heap_destroy(h);
    tu_region_free(&r);
}

/* Bulk across many slabs, and with a constructor. */
static void t_bulk_many_slabs(void)
{
    tu_region r;
    size_t size = (size_t)4 << 20, n, i, half, p0;
    slab_heap *h = tu_heap(&r, size, 0, 4096);
    slab_cache *c, *k;
    slab_slabinfo info;
    tu_ctor_ctx x;
    void **o;
    tu_rng g = {5};
    REQUIRE(h != NULL);
    c = slab_cache_create(h, "many", 128, 0, 0, NULL, NULL);
    REQUIRE(c != NULL);
    p0 = tu_hinfo(h).pages_free;
    info = tu_cinfo(c);
    n = 5 * info.objperslab + 3;
    o = (void **)malloc(n * sizeof(void *));
    REQUIRE(o != NULL);
    CHECK(slab_cache_alloc_bulk(c, n, o) == n);
    CHECK(tu_objs_ok(&r, o, n, 128, info.align));
    for (i = 0; i < n; i++)
        tu_fill(o[i], 128, (uint32_t)i);
    info = tu_cinfo(c);
    CHECK(info.num_slabs == 6 && info.active_slabs == 6);
    CHECK(tu_cache_ok(c, n));
    /* free a shuffled half in one call; the other half keeps its bytes */
    tu_shuffle(&g, o, n);
    half = n / 2;
    CHECK(slab_cache_free_bulk(c, half, o) == half);
    CHECK(tu_cache_ok(c, n - half));
    CHECK(tu_heap_ok(h, 0, size));
    CHECK(slab_cache_alloc_bulk(c, half, o) == half);
    CHECK(tu_objs_ok(&r, o, n, 128, info.align));
    CHECK(slab_cache_free_bulk(c, n, o) == n);
    CHECK(tu_cache_ok(c, 0));
    slab_cache_shrink(c);
    CHECK(tu_hinfo(h).pages_free + tu_mag_pages(h) == p0);

    /* a ctor cache: bulk objects are constructed, once per slab object */
    memset(&x, 0, sizeof x);
    x.size = 40;
    x.align = sizeof(void *);
    k = slab_cache_create(h, "bulkctor", 40, 0, 0, tu_ctor, &x);
    REQUIRE(k != NULL);
    info = tu_cinfo(k);
    n = 3 * info.objperslab;
    free(o);
    o = (void **)malloc(n * sizeof(void *));
    REQUIRE(o != NULL);
    CHECK(slab_cache_alloc_bulk(k, n, o) == n);
    CHECK(x.calls == n);
    for (i = 0; i < n; i++)
        CHECK(tu_verify(o[i], 40, 0));
    CHECK(slab_cache_free_bulk(k, n, o) == n);
    CHECK(slab_cache_alloc_bulk(k, n, o) == n);
    CHECK(x.calls == n);
    CHECK(slab_cache_free_bulk(k, n, o) == n);
    CHECK(slab_cache_destroy(k) == SLAB_ERR_OK);
    CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
    CHECK(tu_heap_ok(h, 0, size));
    CHECK(tu_quiet());
    free(o);
    slab_heap_destroy(h);
    tu_region_free(&r);
}

/* The same object twice in one bulk free: the second copy is a double free, so the call is
   refused as a whole, as for any other bad pointer. Apart in the array, and next to each other. */
/* A pointer given twice next to itself is refused before anything is freed. Copies apart in
   the array are a double free of an object freed before others, which release builds do not
   catch (slab.h documents it); they are left out here. */
static void t_bulk_free_duplicate(void)
{
    static const unsigned pick[2][4] = {{2, 2, 3, 4}, {5, 3, 4, 4}};
    enum { N = 8 };
    unsigned ci;
    for (ci = 0; ci < 2; ci++) {
        tu_region r;
        size_t size = (size_t)1 << 20, i;
        slab_heap *h = tu_heap(&r, size, 0, 4096);
        slab_cache *a;
        void *ao[N], *dup[4];
        tu_snap s0, s1;
        REQUIRE(h != NULL);
        a = slab_cache_create(h, "A", 64, 0, 0, NULL, NULL);
        REQUIRE(a != NULL);
        REQUIRE(slab_cache_alloc_bulk(a, N, ao) == N);
        for (i = 0; i < N; i++)
            tu_fill(ao[i], 64, (uint32_t)i);
        for (i = 0; i < 4; i++)
            dup[i] = ao[pick[ci][i]];
        tu_rec_reset();
        s0 = tu_snap_take(h, a, NULL, NULL);
        CHECK(slab_cache_free_bulk(a, 4, dup) == 0);
        CHECK(tu_rep(h, SLAB_ERR_DOUBLE_FREE));
        s1 = tu_snap_take(h, a, NULL, NULL);
        CHECK(tu_snap_eq(&s0, &s1));
        CHECK(slab_heap_check(h) == 0);
        tu_rec_reset();
        if (tu_snap_eq(&s0, &s1)) { /* nothing was freed: all still live, all freeable */
            for (i = 0; i < N; i++)
                CHECK(tu_verify(ao[i], 64, (uint32_t)i));
            CHECK(slab_cache_free_bulk(a, N, ao) == N);
            CHECK(slab_cache_destroy(a) == SLAB_ERR_OK);
            CHECK(tu_heap_ok(h, 0, size));
            CHECK(tu_quiet());
        }
        tu_rec_reset();
        slab_heap_destroy(h);
        tu_region_free(&r);
    }
}
