/* t_heap.c - the page heap: init and its refusals, unaligned regions, page sizes, the minimum
   and a > 4 GiB region, buddy split and coalesce, figures, destroy, error names. */

/* Allocates order-0 pages until the heap refuses; returns how many (at most cap). */
static size_t tu_take_all_pages(slab_heap *h, void **pages, size_t cap)
{
    size_t n = 0;
    while (n < cap) {
        void *p = slab_pages_alloc(h, 0);
        if (p == NULL)
            break;
        pages[n++] = p;
    }
    return n;
}

static void t_heap_init_defaults(void)
{
    tu_region r;
    slab_heap *h;
    slab_heapinfo hi;
    slab_heap_config zero;
    void *p;
    unsigned k;
    REQUIRE(tu_region_new(&r, (size_t)1 << 20, 0) != NULL);
    h = slab_heap_init(r.base, r.size, NULL); /* NULL config: every default */
    REQUIRE(h != NULL);
    CHECK(slab_heap_stats(h, &hi) == SLAB_ERR_OK);
    CHECK(hi.page_size == 4096);
    CHECK(hi.pages_total >= 200 && hi.pages_total <= 256);
    CHECK(hi.metadata_bytes + hi.pages_total * hi.page_size <= r.size);
    CHECK(hi.pages_free == hi.pages_total);
    CHECK(hi.slab_pages == 0 && hi.reclaimable_pages == 0 && hi.oom_count == 0);
    CHECK(hi.num_caches == TU_OWN_CACHES); /* the heap's own caches */
    CHECK(hi.max_order == tu_log2(hi.pages_total));
    CHECK(hi.largest_free == (size_t)1 << hi.max_order);
    for (k = 0; k < SLAB_MAX_ORDERS; k++) /* all free: one block per bit of the page count */
        CHECK(hi.free_blocks[k] == (k < 8 * sizeof(size_t) ? (hi.pages_total >> k) & 1u : 0));
    CHECK(tu_heap_ok(h, 0, r.size));
    p = slab_pages_alloc(h, 0);
    CHECK(p != NULL && tu_aligned(p, 4096) && tu_inside(&r, p, 4096));
    slab_pages_free(h, p);
    CHECK(tu_heap_ok(h, 0, r.size));
    slab_heap_destroy(h);

    /* a zeroed config is the same as NULL */
    memset(&zero, 0, sizeof zero);
    h = slab_heap_init(r.base, r.size, &zero);
    REQUIRE(h != NULL);
    CHECK(slab_heap_stats(h, &hi) == SLAB_ERR_OK && hi.page_size == 4096);
    CHECK(slab_heap_check(h) == 0);
    slab_heap_destroy(h);
    tu_region_free(&r);
}

static void t_heap_init_errors(void)
{
    static const size_t bad_ps[] = {1, 2, 3, 64, 128, 255, 257, 768, 1000, 4095, 4097, 12288,
                                     ((size_t)1 << 30) + 1, (size_t)1 << 31, SIZE_MAX};
    static const size_t small[] = {0, 1, 63, 64, 255, 4095, 4096, 8191};
    tu_region r;
    slab_heap_config cfg = tu_cfg(0), c2;
    size_t i, size = (size_t)256 << 10;
    REQUIRE(tu_region_new(&r, size, 3) != NULL);
    memset(r.base, 0x5a, size);
    tu_rec_reset();

    CHECK(slab_heap_init(NULL, size, &cfg) == NULL);
    CHECK(tu_rep(NULL, SLAB_ERR_INVALID_ARG));
    CHECK(slab_heap_init(NULL, 0, &cfg) == NULL);
    CHECK(tu_rep(NULL, SLAB_ERR_INVALID_ARG));

    /* region + size wraps around the address space */
    CHECK(slab_heap_init(r.base, SIZE_MAX, &cfg) == NULL);
    CHECK(tu_rep(NULL, SLAB_ERR_INVALID_ARG));
    CHECK(slab_heap_init(r.base, SIZE_MAX - 4096, &cfg) == NULL);
    CHECK(tu_rep(NULL, SLAB_ERR_INVALID_ARG));
    /* ends exactly at 2^N: base + size is 0 */
    CHECK(slab_heap_init(r.base, (size_t)(UINTPTR_MAX - (uintptr_t)r.base) + 1, &cfg) == NULL);
    CHECK(tu_rep(NULL, SLAB_ERR_INVALID_ARG));
    CHECK(slab_heap_init((void *)(UINTPTR_MAX - 4095), (size_t)1 << 20, &cfg) == NULL);
    CHECK(tu_rep(NULL, SLAB_ERR_INVALID_ARG));

    /* too small for the metadata and one page (page-aligned base, 4 KiB pages) */
    for (i = 0; i < sizeof small / sizeof small[0]; i++) {
        CHECK(slab_heap_init(r.raw, small[i], &cfg) == NULL);
        CHECK(tu_rep(NULL, SLAB_ERR_REGION_SMALL));
    }
    /* page size not a power of two from 256 to 2^30 */
    for (i = 0; i < sizeof bad_ps / sizeof bad_ps[0]; i++) {
        c2 = tu_cfg(bad_ps[i]);
        CHECK(slab_heap_init(r.base, size, &c2) == NULL);
        CHECK(tu_rep(NULL, SLAB_ERR_INVALID_ARG));
    }
    CHECK(tu_all_bytes(r.base, size, 0x5a)); /* the region is untouched */
    /* r.raw[0..2] are not part of r.base but were passed as a region start above */
    tu_region_free(&r);
}

/* Unaligned bases and odd sizes: pages are page-aligned, inside, disjoint and all usable. */
static void t_heap_unaligned(void)
{
    static const size_t offs[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17, 31, 63,
                                  100, 255, 257, 4095};
    static const size_t pss[] = {256, 4096};
    void **pages = (void **)malloc(4096 * sizeof(void *));
    size_t oi, pi;
    REQUIRE(pages != NULL);
    for (pi = 0; pi < 2; pi++) {
        for (oi = 0; oi < sizeof offs / sizeof offs[0]; oi++) {
            size_t ps = pss[pi], size = 300001 + offs[oi] * 13, n, i;
            tu_region r;
            slab_heap *h = tu_heap(&r, size, offs[oi], ps);
            slab_heapinfo hi;
            CHECK(h != NULL);
            if (h == NULL)
                continue;
            hi = tu_hinfo(h);
            CHECK(hi.page_size == ps);
            CHECK(hi.pages_total > 0 && hi.pages_total <= size / ps);
            CHECK(hi.metadata_bytes + hi.pages_total * ps <= size);
            n = tu_take_all_pages(h, pages, 4096);
            CHECK(n == hi.pages_total);
            CHECK(tu_rep(h, SLAB_ERR_NOMEM));
            for (i = 0; i < n; i++) {
                CHECK(tu_aligned(pages[i], ps));
                CHECK(tu_inside(&r, pages[i], ps));
                memset(pages[i], 0xc3, ps); /* writable over the whole page */
            }
            CHECK(tu_disjoint(pages, n, ps));
            CHECK(tu_heap_ok(h, n, size)); /* writing every page did not touch the metadata */
            for (i = 0; i < n; i++)
                slab_pages_free(h, pages[i]);
            CHECK(tu_heap_ok(h, 0, size));
            CHECK(tu_hinfo(h).pages_free == hi.pages_total);
            CHECK(tu_quiet());
            slab_heap_destroy(h);
            tu_region_free(&r);
        }
    }
    free(pages);
}

/* 256, 512, 4096 and 65536-byte pages: blocks of every order are aligned and fit. */
static void t_heap_page_sizes(void)
{
    static const size_t pss[] = {256, 512, 4096, 65536};
    size_t pi;
    for (pi = 0; pi < 4; pi++) {
        size_t ps = pss[pi], size = 70 * ps + 12345;
        tu_region r;
        slab_heap *h = tu_heap(&r, size, 7, ps);
        slab_heapinfo hi;
        unsigned k;
        void *big[8];
        CHECK(h != NULL);
        if (h == NULL)
            continue;
        hi = tu_hinfo(h);
        CHECK(hi.page_size == ps);
        CHECK(hi.pages_total >= 64 && hi.pages_total <= size / ps);
        CHECK(hi.max_order == tu_log2(hi.pages_total));
        for (k = 0; k <= hi.max_order && k < 8; k++) {
            size_t bytes = ps << k;
            big[k] = slab_pages_alloc(h, k);
            CHECK(big[k] != NULL);
            if (big[k] == NULL)
                continue;
            CHECK(tu_aligned(big[k], ps));
            CHECK(tu_inside(&r, big[k], bytes));
            tu_fill(big[k], bytes, k + 1);
            slab_pages_free(h, big[k]);
            CHECK(tu_heap_ok(h, 0, size));
        }
        /* several blocks live at once keep their contents */
        for (k = 0; k < 4; k++) {
            big[k] = slab_pages_alloc(h, k);
            CHECK(big[k] != NULL);
            if (big[k])
                tu_fill(big[k], ps << k, 100 + k);
        }
        CHECK(tu_heap_ok(h, 1 + 2 + 4 + 8, size));
        for (k = 0; k < 4; k++)
            if (big[k]) {
                CHECK(tu_verify(big[k], ps << k, 100 + k));
                slab_pages_free(h, big[k]);
            }
        CHECK(tu_heap_ok(h, 0, size));
        CHECK(tu_hinfo(h).largest_free == (size_t)1 << hi.max_order);
        CHECK(tu_quiet());
        slab_heap_destroy(h);
        tu_region_free(&r);
    }
}

/* The smallest region that holds a heap, found by search: one byte less is REGION_SMALL, and
   the heap at the minimum has one working page. */
static void t_heap_min_region(void)
{
    static const size_t pss[] = {256, 4096};
    static const size_t offs[] = {0, 5};
    size_t pi, oi;
    for (pi = 0; pi < 2; pi++) {
        for (oi = 0; oi < 2; oi++) {
            size_t ps = pss[pi], cap = (size_t)1 << 20, min = 0, s;
            slab_heap_config cfg = tu_cfg(ps);
            tu_region r;
            slab_heap *h = NULL;
            slab_heapinfo hi;
            void *p;
            int all_small = 1;
            REQUIRE(tu_region_new(&r, cap, offs[oi]) != NULL);
            memset(r.base, 0xa7, cap);
            for (s = 0; s < cap; s++) {
                tu_rec_reset();
                h = slab_heap_init(r.base, s, &cfg);
                if (h != NULL) {
                    min = s;
                    break;
                }
                if (tu_g_rec.count != 1 || tu_g_rec.last != SLAB_ERR_REGION_SMALL)
                    all_small = 0;
            }
            tu_rec_reset();
            CHECK(h != NULL);
            CHECK(all_small);
            if (h == NULL) {
                tu_region_free(&r);
                continue;
            }
            slab_heap_destroy(h);
            /* the failed inits left the region alone */
            memset(r.base, 0xa7, cap);
            CHECK(slab_heap_init(r.base, min - 1, &cfg) == NULL);
            CHECK(tu_rep(NULL, SLAB_ERR_REGION_SMALL));
            CHECK(slab_heap_init(r.base, min / 2, &cfg) == NULL);
            CHECK(tu_rep(NULL, SLAB_ERR_REGION_SMALL));
            CHECK(tu_all_bytes(r.base, cap, 0xa7));
            CHECK(min > ps);

            h = slab_heap_init(r.base, min, &cfg);
            REQUIRE(h != NULL);
            hi = tu_hinfo(h);
            CHECK(hi.pages_total == 1 && hi.pages_free == 1 && hi.max_order == 0);
            CHECK(hi.largest_free == 1 && hi.free_blocks[0] == 1);
            CHECK(hi.metadata_bytes + ps <= min);
            p = slab_pages_alloc(h, 0);
            CHECK(p != NULL);
            if (p != NULL) {
                CHECK(tu_aligned(p, ps));
                CHECK((uintptr_t)p >= (uintptr_t)r.base &&
                      (uintptr_t)p + ps <= (uintptr_t)r.base + min);
                memset(p, 0x3c, ps);
                CHECK(tu_heap_ok(h, 1, min));
                CHECK(slab_pages_alloc(h, 0) == NULL); /* the only page is taken */
                CHECK(tu_rep(h, SLAB_ERR_NOMEM));
                CHECK(tu_hinfo(h).oom_count == 1);
                slab_pages_free(h, p);
            }
            CHECK(slab_pages_alloc(h, 1) == NULL); /* order above max_order */
            CHECK(tu_rep(h, SLAB_ERR_NOMEM));
            CHECK(tu_heap_ok(h, 0, min));
            CHECK(tu_hinfo(h).pages_free == 1);
            /* the bytes past the region were never touched */
            CHECK(tu_all_bytes(r.base + min, cap - min, 0xa7));
            slab_heap_destroy(h);
            tu_region_free(&r);
        }
    }
}

/* A region larger than 4 GiB (a sparse mapping) on 64-bit; 1 GiB on 32-bit (TU_BIG_REGION). */
static void t_heap_big_region(void)
{
    tu_region r;
    slab_heap_config cfg = tu_cfg(4096);
    slab_heap *h;
    slab_heapinfo hi;
    size_t size = TU_BIG_REGION, nblk, i, bigbytes;
    void *big, *p, **blocks;
    REQUIRE(tu_region_map(&r, size, 3) != NULL);
    h = slab_heap_init(r.base, size, &cfg);
    CHECK(h != NULL);
    if (h == NULL) {
        tu_region_free(&r);
        return;
    }
    hi = tu_hinfo(h);
    CHECK(hi.metadata_bytes + hi.pages_total * 4096 <= size);
    CHECK(hi.pages_total >= size / 4096 / 2);
    CHECK(hi.max_order == tu_log2(hi.pages_total));
    if (TU_BIG_PAST_4G)
        CHECK((uint64_t)hi.pages_total * 4096u > 0xffffffffu);
    CHECK(tu_heap_ok(h, 0, size));

    /* the largest block, then a page that must lie past it */
    bigbytes = (size_t)4096 << hi.max_order;
    big = slab_pages_alloc(h, hi.max_order);
    CHECK(big != NULL);
    p = slab_pages_alloc(h, 0);
    CHECK(p != NULL);
    if (big != NULL && p != NULL) {
        CHECK(tu_aligned(big, 4096) && tu_inside(&r, big, bigbytes));
        CHECK(tu_aligned(p, 4096) && tu_inside(&r, p, 4096));
        /* memcheck cannot track a pool block of 4 GiB (it records it as 0 bytes): tell it */
        TU_UNPOISON(big, 1);
        TU_UNPOISON((unsigned char *)big + bigbytes - 1, 1);
        ((unsigned char *)big)[0] = 1;
        ((unsigned char *)big)[bigbytes - 1] = 2;
        memset(p, 0x77, 4096);
        CHECK((uintptr_t)p - (uintptr_t)r.base >= bigbytes);
        if (TU_BIG_PAST_4G)
            CHECK((uint64_t)((uintptr_t)p - (uintptr_t)r.base) > 0xffffffffu);
        CHECK(tu_heap_ok(h, ((size_t)1 << hi.max_order) + 1, size));
        CHECK(((unsigned char *)big)[0] == 1 && ((unsigned char *)big)[bigbytes - 1] == 2);
        CHECK(tu_all_bytes(p, 4096, 0x77));
    }
    if (p)
        slab_pages_free(h, p);
    if (big)
        slab_pages_free(h, big);
    CHECK(tu_heap_ok(h, 0, size));
    CHECK(tu_hinfo(h).largest_free == (size_t)1 << hi.max_order);

    /* every 4 MiB block (order 10), touched, then freed in a shuffled order */
    nblk = hi.pages_total >> 10;
    blocks = (void **)malloc((nblk + 1) * sizeof(void *));
    REQUIRE(blocks != NULL);
    for (i = 0; i <= nblk; i++) {
        blocks[i] = slab_pages_alloc(h, 10);
        if (blocks[i] == NULL)
            break;
        ((unsigned char *)blocks[i])[0] = (unsigned char)i;
    }
    CHECK(i == nblk); /* the rest of the pages is smaller than one such block */
    CHECK(tu_rep(h, SLAB_ERR_NOMEM));
    CHECK(tu_disjoint(blocks, i, (size_t)4096 << 10));
    CHECK(tu_heap_ok(h, i << 10, size));
    {
        tu_rng g = {42};
        tu_shuffle(&g, blocks, i);
    }
    while (i > 0)
        slab_pages_free(h, blocks[--i]);
    CHECK(tu_heap_ok(h, 0, size));
    CHECK(tu_hinfo(h).pages_free == hi.pages_total);
    CHECK(tu_quiet());
    free(blocks);
    slab_heap_destroy(h);
    tu_region_free(&r);
}

/* After destroy the handle is refused without a crash; the region is the caller's again. */
static void t_heap_destroy(void)
{
    tu_region r;
    size_t size = (size_t)256 << 10;
    slab_heap *h = tu_heap(&r, size, 0, 4096), *h2;
    slab_cache *c;
    slab_heapinfo hi;
    slab_slabinfo ci;
    void *pg, *o;
    REQUIRE(h != NULL);
    pg = slab_pages_alloc(h, 1);
    c = slab_cache_create(h, "obj", 48, 0, 0, NULL, NULL);
    REQUIRE(pg != NULL && c != NULL);
    o = slab_cache_alloc(c);
    REQUIRE(o != NULL);
    tu_fill(pg, 8192, 7);
    tu_fill(o, 48, 8);
    slab_heap_destroy(h);

    CHECK(slab_pages_alloc(h, 0) == NULL);
    slab_pages_free(h, pg);
    CHECK(slab_heap_stats(h, &hi) != SLAB_ERR_OK);
    CHECK(slab_heap_check(h) == -1);
    CHECK(slab_cache_create(h, "x", 8, 0, 0, NULL, NULL) == NULL);
    CHECK(slab_cache_alloc(c) == NULL);
    CHECK(slab_cache_zalloc(c) == NULL);
    slab_cache_free(c, o);
    CHECK(slab_cache_info(c, &ci) == SLAB_ERR_BAD_HANDLE);
    CHECK(slab_cache_shrink(c) == 0);
    CHECK(slab_cache_destroy(c) == SLAB_ERR_BAD_HANDLE);
    slab_heap_destroy(h); /* twice: refused quietly */
    CHECK(tu_verify(pg, 8192, 7)); /* the heap's memory is left as it was */
    CHECK(tu_verify(o, 48, 8));
    tu_rec_reset();

    /* every byte of the region may be written again (nothing stays poisoned) */
    memset(r.base, 0x11, size);
    h2 = slab_heap_init(r.base, size, NULL);
    CHECK(h2 != NULL);
    if (h2 != NULL) {
        CHECK(tu_heap_ok(h2, 0, size));
        slab_heap_destroy(h2);
    }
    tu_region_free(&r);
}

static void t_heap_pages_orders(void)
{
    tu_region r;
    size_t size = (size_t)1 << 20;
    slab_heap *h = tu_heap(&r, size, 0, 4096);
    slab_heapinfo hi, after;
    unsigned k;
    REQUIRE(h != NULL);
    hi = tu_hinfo(h);
    tu_rec_reset();

    CHECK(slab_pages_alloc(h, SLAB_MAX_ORDERS) == NULL);
    CHECK(tu_rep(h, SLAB_ERR_INVALID_ARG));
    CHECK(slab_pages_alloc(h, 1000) == NULL);
    CHECK(tu_rep(h, SLAB_ERR_INVALID_ARG));
    CHECK(slab_pages_alloc(h, 0u - 1u) == NULL);
    CHECK(tu_rep(h, SLAB_ERR_INVALID_ARG));
    after = tu_hinfo(h);
    CHECK(tu_heapinfo_eq(&hi, &after)); /* no oom counted for a bad argument */

    REQUIRE(hi.max_order + 1 < SLAB_MAX_ORDERS);
    CHECK(slab_pages_alloc(h, hi.max_order + 1) == NULL);
    CHECK(tu_rep(h, SLAB_ERR_NOMEM));
    after = tu_hinfo(h);
    after.oom_count = hi.oom_count;
    CHECK(tu_heapinfo_eq(&hi, &after));

    for (k = 0; k <= hi.max_order; k++) {
        size_t bytes = (size_t)4096 << k;
        void *p = slab_pages_alloc(h, k);
        CHECK(p != NULL);
        if (p == NULL)
            continue;
        CHECK(tu_aligned(p, 4096) && tu_inside(&r, p, bytes));
        CHECK(tu_hinfo(h).pages_free == hi.pages_total - ((size_t)1 << k));
        CHECK(tu_heap_ok(h, (size_t)1 << k, size));
        memset(p, (int)k, bytes);
        slab_pages_free(h, p);
        CHECK(tu_hinfo(h).pages_free == hi.pages_total);
    }
    CHECK(tu_heap_ok(h, 0, size));
    CHECK(tu_quiet());
    slab_heap_destroy(h);
    tu_region_free(&r);
}

/* Heaps of 2^k pages: all order-0 pages tile the heap; freed in any order they coalesce into
   one block again. Then blocks of random orders, buddy-aligned, the same way. */
static void t_heap_split_coalesce(void)
{
    static const struct {
        unsigned k;
        size_t ps;
    } cases[] = {{0, 4096}, {1, 4096}, {3, 4096}, {6, 4096}, {5, 256}, {8, 256}};
    size_t ci;
    for (ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        unsigned k = cases[ci].k, j;
        size_t ps = cases[ci].ps, n = (size_t)1 << k, i, got, used;
        tu_region r;
        slab_heap *h = tu_heap_pages(&r, n, ps);
        slab_heapinfo hi;
        void **pg = (void **)malloc(n * sizeof(void *)), **live;
        uintptr_t first;
        tu_rng g;
        unsigned seed;
        CHECK(h != NULL && pg != NULL);
        if (h == NULL || pg == NULL) {
            free(pg);
            if (h)
                slab_heap_destroy(h);
            tu_region_free(&r);
            continue;
        }
        hi = tu_hinfo(h);
        CHECK(hi.pages_total == n && hi.max_order == k && hi.largest_free == n);
        CHECK(hi.free_blocks[k] == 1);
        got = tu_take_all_pages(h, pg, n);
        CHECK(got == n);
        CHECK(slab_pages_alloc(h, 0) == NULL);
        CHECK(tu_rep(h, SLAB_ERR_NOMEM));
        CHECK(tu_hinfo(h).oom_count == 1 && tu_hinfo(h).pages_free == 0);
        qsort(pg, got, sizeof *pg, tu_cmp_ptr);
        first = (uintptr_t)pg[0];
        for (i = 0; i < got; i++) {
            CHECK((uintptr_t)pg[i] == first + i * ps); /* an exact tiling */
            tu_fill(pg[i], ps, (uint32_t)i);
        }
        g.s = 1000 + ci;
        tu_shuffle(&g, pg, got);
        for (i = 0; i < got; i++) {
            size_t m;
            slab_pages_free(h, pg[i]);
            CHECK(tu_heap_ok(h, got - i - 1, 0));
            CHECK(tu_hinfo(h).pages_free == i + 1);
            for (m = i + 1; m < got; m++)
                if (!tu_verify(pg[m], ps, (uint32_t)(((uintptr_t)pg[m] - first) / ps)))
                    break;
            CHECK(m == got);
        }
        hi = tu_hinfo(h);
        CHECK(hi.largest_free == n && hi.pages_free == n && hi.free_blocks[k] == 1);
        for (j = 0; j < k; j++)
            CHECK(hi.free_blocks[j] == 0);

        /* random orders until full, buddy-aligned; freed in random order */
        live = pg;
        for (seed = 1; seed <= 3; seed++) {
            unsigned ord[512];
            g.s = seed * 7919u + ci;
            got = 0;
            used = 0;
            while (used < n && got < 512) {
                unsigned o = (unsigned)tu_below(&g, k + 1);
                void *p;
                while ((p = slab_pages_alloc(h, o)) == NULL && o > 0) {
                    CHECK(tu_rep(h, SLAB_ERR_NOMEM));
                    o--;
                }
                CHECK(p != NULL);
                if (p == NULL)
                    break;
                CHECK(((uintptr_t)p - first) % (ps << o) == 0);
                CHECK((uintptr_t)p >= first && (uintptr_t)p - first + (ps << o) <= n * ps);
                ord[got] = o;
                live[got++] = p;
                used += (size_t)1 << o;
                CHECK(tu_heap_ok(h, used, 0));
            }
            CHECK(used == n);
            tu_rec_reset();
            for (i = 0; i < got; i++) { /* shuffle live[] and ord[] together */
                size_t s2 = i + tu_below(&g, got - i);
                void *tp = live[i];
                unsigned to = ord[i];
                live[i] = live[s2];
                ord[i] = ord[s2];
                live[s2] = tp;
                ord[s2] = to;
            }
            for (i = 0; i < got; i++) {
                slab_pages_free(h, live[i]);
                used -= (size_t)1 << ord[i];
                CHECK(tu_heap_ok(h, used, 0));
            }
            CHECK(tu_hinfo(h).largest_free == n);
        }
        CHECK(tu_quiet());
        free(pg);
        slab_heap_destroy(h);
        tu_region_free(&r);
    }
}

/* Page counts that are not powers of two: free blocks follow the bits of the count. */
static void t_heap_non_pow2(void)
{
    static const size_t counts[] = {3, 37, 100, 1000};
    size_t ci;
    for (ci = 0; ci < sizeof counts / sizeof counts[0]; ci++) {
        size_t n = counts[ci], i, got;
        tu_region r;
        slab_heap *h = tu_heap_pages(&r, n, 256);
        slab_heapinfo hi;
        void **pg = (void **)malloc(n * sizeof(void *));
        unsigned k;
        void *top;
        CHECK(h != NULL && pg != NULL);
        if (h == NULL || pg == NULL) {
            free(pg);
            if (h)
                slab_heap_destroy(h);
            tu_region_free(&r);
            continue;
        }
        hi = tu_hinfo(h);
        CHECK(hi.max_order == tu_log2(n));
        CHECK(hi.largest_free == (size_t)1 << tu_log2(n));
        for (k = 0; k < SLAB_MAX_ORDERS; k++)
            CHECK(hi.free_blocks[k] == (k < 16 ? (n >> k) & 1u : 0));
        got = tu_take_all_pages(h, pg, n);
        CHECK(got == n);
        CHECK(tu_disjoint(pg, got, 256));
        CHECK(tu_heap_ok(h, got, 0));
        for (i = 0; i < got; i += 2) /* every other page, then the rest */
            slab_pages_free(h, pg[i]);
        CHECK(tu_heap_ok(h, got / 2, 0));
        for (i = 1; i < got; i += 2)
            slab_pages_free(h, pg[i]);
        CHECK(tu_heap_ok(h, 0, 0));
        {
            slab_heapinfo again = tu_hinfo(h);
            CHECK(tu_heapinfo_eq(&hi, &again));
        }
        /* the one block of the top order, then that order is gone (a buddy heap) */
        top = slab_pages_alloc(h, hi.max_order);
        CHECK(top != NULL);
        CHECK(slab_pages_alloc(h, hi.max_order) == NULL);
        CHECK(tu_rep(h, SLAB_ERR_NOMEM));
        slab_pages_free(h, top);
        CHECK(tu_heap_ok(h, 0, 0));
        tu_rec_reset();
        free(pg);
        slab_heap_destroy(h);
        tu_region_free(&r);
    }
}

/* Figures and their refusals. */
static void t_heap_stats(void)
{
    tu_region r;
    size_t size = (size_t)512 << 10;
    slab_heap *h = tu_heap(&r, size, 9, 4096);
    slab_heapinfo hi;
    slab_cache *c, *cr;
    void *a, *b, *o[40];
    size_t i;
    REQUIRE(h != NULL);
    CHECK(slab_heap_stats(h, NULL) != SLAB_ERR_OK);
    CHECK(tu_rep(h, SLAB_ERR_INVALID_ARG));
    CHECK(slab_heap_stats(NULL, &hi) != SLAB_ERR_OK);
    CHECK(tu_quiet());
    a = slab_pages_alloc(h, 2);
    b = slab_pages_alloc(h, 0);
    c = slab_cache_create(h, "plain", 200, 0, 0, NULL, NULL);
    cr = slab_cache_create(h, "reclaim", 200, 0, SLAB_RECLAIM_ACCOUNT, NULL, NULL);
    REQUIRE(a && b && c && cr);
    for (i = 0; i < 40; i++)
        o[i] = slab_cache_alloc(i % 2 ? c : cr);
    hi = tu_hinfo(h);
    CHECK(tu_heap_ok(h, 5, size));
    CHECK(hi.num_caches == 2 + TU_OWN_CACHES);
    {
        slab_slabinfo ic = tu_cinfo(c), ir = tu_cinfo(cr);
        CHECK(hi.reclaimable_pages == ir.num_slabs * ir.pagesperslab);
        CHECK(hi.slab_pages >= ic.num_slabs * ic.pagesperslab + ir.num_slabs * ir.pagesperslab);
        CHECK(ir.flags == SLAB_RECLAIM_ACCOUNT && ic.flags == 0);
    }
    for (i = 0; i < 40; i++)
        slab_cache_free(i % 2 ? c : cr, o[i]);
    CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
    CHECK(slab_cache_destroy(cr) == SLAB_ERR_OK);
    hi = tu_hinfo(h);
    CHECK(hi.num_caches == TU_OWN_CACHES && hi.reclaimable_pages == 0);
    slab_pages_free(h, a);
    slab_pages_free(h, b);
    CHECK(tu_heap_ok(h, 0, size));
    CHECK(tu_quiet());
    slab_heap_destroy(h);
    tu_region_free(&r);
}

static void t_heap_error_names(void)
{
    static const char *const names[] = {"OK",          "INVALID_ARG",     "REGION_SMALL",
                                        "NOMEM",       "INVALID_ADDRESS", "INVALID_POINTER",
                                        "WRONG_CACHE", "DOUBLE_FREE",     "BUSY",
                                        "BAD_HANDLE",  "CORRUPT",         "REDZONE",
                                        "POISON"};
    int i, j;
    CHECK((int)SLAB_ERR_COUNT == (int)(sizeof names / sizeof names[0]));
    CHECK(SLAB_ERR_OK == 0);
    CHECK(strcmp(slab_error_name(SLAB_ERR_DOUBLE_FREE), "DOUBLE_FREE") == 0);
    for (i = 0; i < (int)SLAB_ERR_COUNT; i++) {
        const char *n = slab_error_name((slab_error)i), *s = slab_error_string((slab_error)i);
        CHECK(n != NULL && strcmp(n, names[i]) == 0);
        CHECK(s != NULL && s[0] != '\0');
        for (j = 0; j < i; j++)
            CHECK(strcmp(s, slab_error_string((slab_error)j)) != 0);
    }
    CHECK(strcmp(slab_error_string(SLAB_ERR_OK), "no error") == 0);
    CHECK(strcmp(slab_error_name(SLAB_ERR_COUNT), "?") == 0);
    CHECK(strcmp(slab_error_name((slab_error)99), "?") == 0);
    CHECK(strcmp(slab_error_name((slab_error)-1), "?") == 0);
    CHECK(slab_error_string(SLAB_ERR_COUNT) != NULL && slab_error_string(SLAB_ERR_COUNT)[0]);
    CHECK(slab_error_string((slab_error)-5) != NULL);
    CHECK(slab_error_string((slab_error)100000) != NULL);
}
