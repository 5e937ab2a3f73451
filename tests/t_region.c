/* t_region.c - the heap as a whole (issue 3): regions added later (allocation from them, no
   block across the seam, no coalescing across it, frees there, refusals), the sizing helpers
   (region_size at every base offset, max_alloc), the slabinfo dump and the cache walk, the
   leak report of slab_heap_destroy, plugin heaps inside a vmalloc block of a host, and a
   seeded random walk over the generic and large paths with shrinkers and added regions. */

/* Whether [p, p+n) lies inside one of the regions. */
static int tg_inside_any(const tu_region *rs, size_t nr, const void *p, size_t n)
{
    size_t i;
    for (i = 0; i < nr; i++)
        if (tu_inside(&rs[i], p, n))
            return 1;
    return 0;
}

/* The pages of the largest free block a fresh zone of n pages has: its highest bit. */
static size_t tg_top(size_t n)
{
    size_t t = 1;
    while (t * 2 <= n)
        t *= 2;
    return n ? t : 0;
}

/* A region added to a full heap: allocations come from it, nothing allocated before moves or
   changes, the figures count it, and everything freed leaves both regions whole. */
static void t_region_add(void)
{
    tu_region r, r2, r3;
    size_t ps = 4096, size = tu_exact_size(32, ps), n, i, np, n2, n1, plen[5];
    slab_heap *h;
    slab_cache *c;
    void *objs[400], *pages[32], *p[5];
    slab_heapinfo h0, h1;
    REQUIRE(size != 0);
    h = tu_heap(&r, size, 0, ps);
    REQUIRE(h != NULL);
    c = slab_cache_create(h, "c", 256, 0, 0, NULL, NULL);
    REQUIRE(c != NULL);
    for (n = 0; n < 100; n++) {
        objs[n] = slab_cache_alloc(c);
        REQUIRE(objs[n] != NULL);
        tu_fill(objs[n], 256, (uint32_t)n);
    }
    np = tu_fill_pages(h, pages, 32); /* the first region is full */
    while (tu_cinfo(c).active_objs < tu_cinfo(c).num_objs) { /* and so are c's slabs */
        objs[n] = slab_cache_alloc(c);
        REQUIRE(objs[n] != NULL);
        tu_fill(objs[n], 256, (uint32_t)n);
        n++;
    }
    n1 = n;
    h0 = tu_hinfo(h);
    CHECK(h0.pages_free == 0 && h0.regions == 1);
    REQUIRE(tu_region_new(&r2, 64 * ps + 3000, 5) != NULL);
    CHECK(slab_heap_add_region(h, r2.base, r2.size) == 0);
    CHECK(tu_quiet());
    h1 = tu_hinfo(h);
    n2 = h1.pages_total - h0.pages_total;
    CHECK(h1.regions == 2 && n2 >= 60 && n2 <= 64 && h1.pages_free == n2);
    CHECK(h1.largest_free == tg_top(n2) && h1.metadata_bytes > h0.metadata_bytes);
    CHECK(h1.slab_pages == h0.slab_pages && h1.block_pages == h0.block_pages);
    for (i = 0; i < n; i++) /* nothing moved, nothing changed */
        CHECK(tu_verify(objs[i], 256, (uint32_t)i));
    CHECK(tu_heap_sane(h, np));
    /* new allocations of every kind come from the new region */
    for (; n < n1 + 30; n++) {
        objs[n] = slab_cache_alloc(c);
        REQUIRE(objs[n] != NULL);
        CHECK(tu_inside(&r2, objs[n], 256));
        tu_fill(objs[n], 256, (uint32_t)n);
    }
    p[0] = slab_kmalloc(h, 100);
    p[1] = slab_kmalloc(h, 3 * ps);
    p[2] = slab_vmalloc(h, 5 * ps);
    p[3] = slab_pages_alloc(h, 2);
    p[4] = slab_kvmalloc(h, 9000);
    plen[0] = 128;
    plen[1] = 3 * ps;
    plen[2] = 5 * ps;
    plen[3] = 4 * ps;
    plen[4] = 3 * ps;
    for (i = 0; i < 5; i++)
        CHECK(p[i] != NULL && tu_inside(&r2, p[i], plen[i]));
    CHECK(tu_heap_sane(h, np + 4));
    slab_kfree(h, p[0]);
    slab_kfree(h, p[1]);
    slab_vfree(h, p[2]);
    slab_pages_free(h, p[3]);
    slab_kvfree(h, p[4]);
    for (i = 0; i < n; i++) {
        CHECK(tu_verify(objs[i], 256, (uint32_t)i));
        slab_cache_free(c, objs[i]);
    }
    for (i = 0; i < np; i++)
        slab_pages_free(h, pages[i]);
    CHECK(tu_quiet());
    CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
    slab_heap_shrink(h);
    CHECK(tu_heap_sane(h, 0));
    h1 = tu_hinfo(h);
    CHECK(h1.pages_free + h1.slab_pages == h1.pages_total); /* only the cache structs' slab */

    /* a third region */
    REQUIRE(tu_region_new(&r3, 20 * ps, 0) != NULL);
    CHECK(slab_heap_add_region(h, r3.base, r3.size) == 0);
    CHECK(tu_hinfo(h).regions == 3 && tu_hinfo(h).pages_total > h1.pages_total);
    CHECK(tu_heap_sane(h, 0));
    CHECK(tu_quiet());
    slab_heap_destroy(h);
    tu_region_free(&r);
    tu_region_free(&r2);
    tu_region_free(&r3);
}

/* Two regions back to back in one buffer: filled with single pages, every page lies in one
   region; runs and slabs never cross the seam; freed, each region coalesces on its own and
   never with the other (no free block larger than the larger region's). */
static void t_region_seam(void)
{
    tu_region all, parts[2];
    size_t ps = 4096, a = tu_exact_size(64, ps), b = 64 * ps + 2048, n, i, total, n2, k;
    slab_heap *h;
    void **pages;
    tu_rng g;
    slab_heapinfo hi;
    REQUIRE(a != 0);
    REQUIRE(tu_region_new(&all, a + b, 0) != NULL);
    memset(parts, 0, sizeof parts);
    parts[0].base = all.base;
    parts[0].size = a;
    parts[1].base = all.base + a;
    parts[1].size = b;
    {
        slab_heap_config cfg = tu_cfg(ps);
        h = slab_heap_init(all.base, a, &cfg);
    }
    REQUIRE(h != NULL);
    CHECK(slab_heap_add_region(h, all.base + a, b) == 0);
    hi = tu_hinfo(h);
    total = hi.pages_total;
    n2 = total - 64;
    CHECK(hi.regions == 2 && n2 >= 60);
    pages = (void **)malloc(total * sizeof(void *));
    REQUIRE(pages != NULL);

    n = tu_fill_pages(h, pages, total);
    CHECK(n == total);
    for (i = 0; i < n; i++)
        CHECK(tg_inside_any(parts, 2, pages[i], ps) && tu_aligned(pages[i], ps));
    CHECK(tu_disjoint(pages, n, ps));
    g.s = 99;
    tu_shuffle(&g, pages, n);
    for (i = 0; i < n; i++)
        slab_pages_free(h, pages[i]);
    hi = tu_hinfo(h);
    for (k = 0; k < SLAB_MAX_ORDERS; k++) /* each region as fresh: the bits of its page count */
        CHECK(hi.free_blocks[k] == (k == 6 ? 1u : 0u) + (k < 8 * sizeof(size_t) ? (n2 >> k) & 1u : 0u));
    CHECK(hi.largest_free == (tg_top(n2) > 64 ? tg_top(n2) : 64));
    CHECK(hi.pages_free == total);
    {
        tu_watch w;
        memset(&w, 0, sizeof w);
        w.h = h;
        tu_watch_take(&w);
        CHECK(slab_vmalloc(h, (hi.largest_free + 1) * ps) == NULL); /* free pages enough, */
        CHECK(tu_watch_oom(&w));                                    /* but not in one region */
    }
    CHECK(slab_heap_max_alloc(h) == hi.largest_free * ps);

    /* runs of every length until full: each in one region */
    for (k = 1, n = 0; n < total; k = k % 9 + 1) {
        void *p = slab_vmalloc(h, k * ps - 1);
        if (p == NULL) {
            CHECK(tu_rep(h, SLAB_ERR_NOMEM));
            if (k == 1)
                break;
            continue;
        }
        CHECK(tg_inside_any(parts, 2, p, k * ps));
        pages[n++] = p;
    }
    for (i = 0; i < n; i++)
        slab_vfree(h, pages[i]);
    /* slabs of 8 pages: each inside one region */
    {
        slab_cache *c = slab_cache_create(h, "big", 3000, 0, 0, NULL, NULL);
        size_t ppslab, m = 0;
        REQUIRE(c != NULL);
        ppslab = tu_cinfo(c).pagesperslab;
        CHECK(ppslab >= 2);
        while (m < total) {
            void *o = slab_cache_alloc(c);
            if (o == NULL) {
                CHECK(tu_rep(h, SLAB_ERR_NOMEM));
                break;
            }
            CHECK(tg_inside_any(parts, 2, o, 3000));
            pages[m++] = o;
        }
        CHECK(tu_cinfo(c).num_slabs * ppslab > 64); /* both regions hold slabs */
        CHECK(tu_heap_sane(h, 0));
        for (i = 0; i < m; i++)
            slab_cache_free(c, pages[i]);
        CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
    }
    slab_heap_shrink(h);
    hi = tu_hinfo(h);
    CHECK(hi.largest_free <= (tg_top(n2) > 64 ? tg_top(n2) : 64));
    CHECK(tu_heap_sane(h, 0));
    CHECK(tu_quiet());
    free(pages);
    slab_heap_destroy(h);
    tu_region_free(&all);
}

/* add_region's refusals: NULL, wrapping, overlapping any region of the heap (its own first
   one included), too small, a destroyed heap. The return value is the code, reported once,
   and neither the heap nor the refused region changes. */
static void t_region_errors(void)
{
    tu_region big;
    size_t ps = 4096, m = (size_t)1 << 20, i;
    unsigned char *b;
    slab_heap *h;
    tu_watch w;
    slab_heap_config cfg = tu_cfg(ps);
    REQUIRE(tu_region_new(&big, 3 * m, 0) != NULL);
    b = big.base;
    h = slab_heap_init(b + m, m, &cfg); /* the heap's region is [b + m, b + 2m) */
    REQUIRE(h != NULL);
    memset(&w, 0, sizeof w);
    w.h = h;
    tu_watch_take(&w);

    CHECK(slab_heap_add_region(h, NULL, 8 * ps) == (int)SLAB_ERR_INVALID_ARG);
    CHECK(tu_watch_refused(&w, SLAB_ERR_INVALID_ARG));
    CHECK(slab_heap_add_region(h, (void *)(UINTPTR_MAX - 100), 8 * ps) == (int)SLAB_ERR_INVALID_ARG);
    CHECK(tu_watch_refused(&w, SLAB_ERR_INVALID_ARG));
    CHECK(slab_heap_add_region(h, b, SIZE_MAX) == (int)SLAB_ERR_INVALID_ARG);
    CHECK(tu_watch_refused(&w, SLAB_ERR_INVALID_ARG));
    {
        /* overlapping the heap's own region: at its start, across its start or end, inside,
           around it */
        unsigned char *lo[6];
        size_t len[6];
        lo[0] = b + m;         len[0] = 10 * ps;
        lo[1] = b + m - 8192;  len[1] = 16384;
        lo[2] = b + 2 * m - 1; len[2] = 8 * ps;
        lo[3] = b + m + 100;   len[3] = 1000;
        lo[4] = b;             len[4] = 3 * m;
        lo[5] = b + m - 1;     len[5] = 2;
        for (i = 0; i < 6; i++) {
            CHECK(slab_heap_add_region(h, lo[i], len[i]) == (int)SLAB_ERR_INVALID_ARG);
            CHECK(tu_watch_refused(&w, SLAB_ERR_INVALID_ARG));
        }
    }
    /* too small for a zone and one page (a page-aligned start needs a second page) */
    memset(b + 2 * m, 0x5a, m);
    {
        static const size_t small[] = {0, 1, 100, 4096};
        for (i = 0; i < 4; i++) {
            CHECK(slab_heap_add_region(h, b + 2 * m + ps, small[i]) == (int)SLAB_ERR_REGION_SMALL);
            CHECK(tu_watch_refused(&w, SLAB_ERR_REGION_SMALL));
        }
    }
    CHECK(tu_all_bytes(b + 2 * m, m, 0x5a)); /* refused regions are not written */
    CHECK(tu_hinfo(h).regions == 1);

    /* regions that touch but do not overlap are fine; then the new ones are refused too */
    CHECK(slab_heap_add_region(h, b + 2 * m, m / 2) == 0); /* right after the heap's region */
    CHECK(tu_quiet());
    CHECK(tu_hinfo(h).regions == 2);
    CHECK(slab_heap_add_region(h, b + m - m / 4, m / 4) == 0); /* right before it */
    CHECK(tu_quiet());
    CHECK(tu_hinfo(h).regions == 3);
    tu_watch_take(&w);
    CHECK(slab_heap_add_region(h, b + 2 * m + 1000, ps) == (int)SLAB_ERR_INVALID_ARG);
    CHECK(tu_watch_refused(&w, SLAB_ERR_INVALID_ARG));
    CHECK(slab_heap_add_region(h, b + 2 * m + m / 2 - 1, m / 4) == (int)SLAB_ERR_INVALID_ARG);
    CHECK(tu_watch_refused(&w, SLAB_ERR_INVALID_ARG));
    CHECK(slab_heap_add_region(h, b + m - m / 4 - 10, 20) == (int)SLAB_ERR_INVALID_ARG);
    CHECK(tu_watch_refused(&w, SLAB_ERR_INVALID_ARG));
    CHECK(tu_heap_sane(h, 0));

    slab_heap_destroy(h);
    CHECK(slab_heap_add_region(h, b + 2 * m + m / 2, m / 4) == (int)SLAB_ERR_BAD_HANDLE);
    CHECK(tu_rep(h, SLAB_ERR_BAD_HANDLE));
    CHECK(slab_heap_add_region(NULL, b + 2 * m + m / 2, m / 4) == (int)SLAB_ERR_BAD_HANDLE);
    CHECK(tu_quiet());
    tu_region_free(&big);
}

/* Objects of every kind living in an added region: ksize, frees, double frees, interior and
   metadata pointers, all as in the first region; freed, the region is whole again. */
static void t_region_objects(void)
{
    tu_region r, r2;
    size_t ps = 4096, size = tu_exact_size(16, ps), np, i, n2;
    slab_heap *h;
    slab_cache *c;
    void *pages[16];
    unsigned char *o, *ks, *kl, *vb, *pb;
    tu_watch w;
    tu_blocks live;
    REQUIRE(size != 0);
    h = tu_heap(&r, size, 0, ps);
    REQUIRE(h != NULL);
    c = slab_cache_create(h, "typed", 48, 0, 0, NULL, NULL);
    REQUIRE(c != NULL);
    np = tu_fill_pages(h, pages, 16);
    REQUIRE(tu_region_new(&r2, 40 * ps, 1) != NULL);
    REQUIRE(slab_heap_add_region(h, r2.base, r2.size) == 0);
    n2 = tu_hinfo(h).pages_free;
    o = (unsigned char *)slab_cache_alloc(c);
    ks = (unsigned char *)slab_kmalloc(h, 200);
    kl = (unsigned char *)slab_kmalloc(h, 2 * ps + 5);
    vb = (unsigned char *)slab_vmalloc(h, 3 * ps);
    pb = (unsigned char *)slab_pages_alloc(h, 1);
    REQUIRE(o && ks && kl && vb && pb);
    CHECK(tu_inside(&r2, o, 48) && tu_inside(&r2, ks, 256) && tu_inside(&r2, kl, 3 * ps) &&
          tu_inside(&r2, vb, 3 * ps) && tu_inside(&r2, pb, 2 * ps));
    CHECK(slab_ksize(h, o) == 48 && slab_ksize(h, ks) == 256 && slab_ksize(h, kl) == 3 * ps &&
          slab_ksize(h, vb) == 3 * ps);
    memset(&live, 0, sizeof live);
    tu_blocks_add(&live, o, 48);
    tu_blocks_add(&live, ks, 200);
    tu_blocks_add(&live, kl, 2 * ps + 5);
    tu_blocks_add(&live, vb, 3 * ps);
    tu_blocks_add(&live, pb, 2 * ps);
    CHECK(tu_quiet());
    memset(&w, 0, sizeof w);
    w.h = h;
    w.c[0] = c;
    w.c[1] = tu_find_cache(h, "kmalloc-256");
    w.live = &live;
    tu_watch_take(&w);
    /* the wrong function, inside a block, the region's own metadata */
    slab_vfree(h, ks);
    CHECK(tu_watch_refused(&w, SLAB_ERR_INVALID_POINTER));
    slab_kfree(h, vb);
    CHECK(tu_watch_refused(&w, SLAB_ERR_INVALID_POINTER));
    slab_kfree(h, o);
    CHECK(tu_watch_refused(&w, SLAB_ERR_INVALID_POINTER));
    slab_kfree(h, kl + ps);
    CHECK(tu_watch_refused(&w, SLAB_ERR_INVALID_POINTER));
    slab_kfree(h, ks + 16);
    CHECK(tu_watch_refused(&w, SLAB_ERR_INVALID_POINTER));
    slab_kfree(h, r2.base); /* the zone header */
    CHECK(tu_watch_refused(&w, SLAB_ERR_INVALID_POINTER));
    slab_pages_free(h, r2.base + 64);
    CHECK(tu_watch_refused(&w, SLAB_ERR_INVALID_POINTER));
    CHECK(slab_ksize(h, vb + 1) == 0);
    CHECK(tu_watch_refused(&w, SLAB_ERR_INVALID_POINTER));
    /* the right functions free them; twice is a double free */
    slab_kfree(h, ks);
    tu_blocks_del(&live, ks);
    CHECK(tu_quiet());
    tu_watch_take(&w);
    slab_kfree(h, ks);
    CHECK(tu_watch_refused(&w, SLAB_ERR_DOUBLE_FREE));
    slab_kfree(h, kl);
    slab_vfree(h, vb);
    tu_blocks_del(&live, kl);
    tu_blocks_del(&live, vb);
    CHECK(tu_quiet());
    tu_watch_take(&w);
    slab_kfree(h, kl);
    CHECK(tu_watch_refused(&w, SLAB_ERR_DOUBLE_FREE));
    slab_vfree(h, vb);
    CHECK(tu_watch_refused(&w, SLAB_ERR_DOUBLE_FREE));
    slab_cache_free(c, o);
    tu_blocks_del(&live, o);
    CHECK(tu_quiet());
    tu_watch_take(&w);
    slab_cache_free(c, o);
    CHECK(tu_watch_refused(&w, SLAB_ERR_DOUBLE_FREE));
    slab_pages_free(h, pb);
    for (i = 0; i < np; i++)
        slab_pages_free(h, pages[i]);
    CHECK(tu_quiet());
    CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
    slab_heap_shrink(h);
    {
        slab_heapinfo hi = tu_hinfo(h);
        CHECK(hi.pages_free + hi.slab_pages == hi.pages_total && hi.large_pages == 0);
        CHECK(hi.pages_total == 16 + n2);
    }
    CHECK(tu_heap_sane(h, 0));
    slab_heap_destroy(h);
    tu_region_free(&r);
    tu_region_free(&r2);
}

/* slab_heap_region_size: a heap over exactly that many bytes has at least npages pages at
   every base offset; a page's worth less is too little somewhere; bad page sizes and
   overflow give 0. */
static void t_region_size(void)
{
    static const size_t pss[] = {0, 256, 4096, 65536};
    static const size_t counts[] = {1, 2, 3, 7, 64, 100, 1000};
    static const size_t bad_ps[] = {1, 100, 255, 257, 3000, 4095, 4097, ((size_t)1 << 30) + 1};
    size_t pi, ci, i;
    for (pi = 0; pi < 4; pi++) {
        size_t ps = pss[pi] ? pss[pi] : 4096;
        for (ci = 0; ci < sizeof counts / sizeof counts[0]; ci++) {
            size_t np = counts[ci], rs = slab_heap_region_size(np, pss[pi]), off;
            tu_region r;
            int fewer_somewhere = 0;
            slab_heap_config cfg = tu_cfg(pss[pi]);
            if (ps == 65536 && np > 64)
                continue;
            CHECK(rs > np * ps);
            CHECK(rs == slab_heap_region_size(np, ps)); /* 0 selects 4096 */
            CHECK(slab_heap_region_size(np + 1, pss[pi]) > rs);
            REQUIRE(tu_region_new(&r, rs + ps, 0) != NULL);
            for (off = 0; off < 64 + 3; off++) {
                size_t o = off < 64 ? off : off == 64 ? ps / 2 + 1 : off == 65 ? ps - 16 : ps - 1;
                slab_heap *h = slab_heap_init(r.base + o, rs, &cfg);
                CHECK(h != NULL);
                if (h == NULL)
                    continue;
                /* Descriptors aligned for their fields; with SLAB_THREADS, each on a line's
                   share of its own. */
                CHECK(slab__addr(h->zone.pages) % sizeof(void *) == 0);
                CHECK(slab__addr(h->zone.pages) % SLAB__DESC_ALIGN == 0);
                if (tu_pages_total(h) < np) {
                    printf("    region_size(%lu, %lu) = %lu: at offset %lu only %lu pages\n",
                           (unsigned long)np, (unsigned long)pss[pi], (unsigned long)rs,
                           (unsigned long)o, (unsigned long)tu_pages_total(h));
                    CHECK(0);
                }
                slab_heap_destroy(h);
                h = slab_heap_init(r.base + o, rs - ps, &cfg);
                if (h == NULL || tu_pages_total(h) < np)
                    fewer_somewhere = 1;
                if (h)
                    slab_heap_destroy(h);
                tu_rec_reset();
            }
            CHECK(fewer_somewhere); /* not wildly generous */
            CHECK(tu_quiet());
            tu_region_free(&r);
        }
    }
    for (i = 0; i < sizeof bad_ps / sizeof bad_ps[0]; i++)
        CHECK(slab_heap_region_size(10, bad_ps[i]) == 0);
    CHECK(slab_heap_region_size(SIZE_MAX, 4096) == 0);
    CHECK(slab_heap_region_size(SIZE_MAX / 4096, 4096) == 0);
    CHECK(slab_heap_region_size(SIZE_MAX / 256, 256) == 0);
    CHECK(slab_heap_region_size(SIZE_MAX / 65536 + 1, 65536) == 0);
    CHECK(tu_quiet());
}

/* slab_heap_max_alloc is the largest free block: a vmalloc of exactly that works, a page more
   fails (no empty slab or shrinker could help); so on fresh, split and two-region heaps. */
static void t_region_max_alloc(void)
{
    tu_region r, r2;
    size_t ps = 4096, size = tu_exact_size(100, ps), m, step;
    slab_heap *h;
    void *hold[4];
    tu_watch w;
    REQUIRE(size != 0);
    h = tu_heap(&r, size, 0, ps);
    REQUIRE(h != NULL);
    memset(&w, 0, sizeof w);
    w.h = h;
    for (step = 0; step < 4; step++) {
        void *p;
        m = slab_heap_max_alloc(h);
        CHECK(m == tu_hinfo(h).largest_free * ps && m > 0);
        if (step == 0)
            CHECK(m == 64 * ps); /* 100 pages: blocks of 64, 32 and 4 */
        p = slab_vmalloc(h, m);
        CHECK(p != NULL);
        slab_vfree(h, p);
        tu_watch_take(&w);
        CHECK(slab_vmalloc(h, m + ps) == NULL);
        CHECK(tu_watch_oom(&w));
        tu_watch_take(&w);
        CHECK(slab_vmalloc(h, m + 1) == NULL);
        CHECK(tu_watch_oom(&w));
        /* split the largest block for the next round */
        hold[step] = slab_pages_alloc(h, 0);
        CHECK(hold[step] != NULL);
    }
    REQUIRE(tu_region_new(&r2, 300 * ps, 0) != NULL);
    CHECK(slab_heap_add_region(h, r2.base, r2.size) == 0);
    m = slab_heap_max_alloc(h);
    CHECK(m == 256 * ps && m == tu_hinfo(h).largest_free * ps);
    {
        void *p = slab_vmalloc(h, m);
        CHECK(p != NULL && tu_inside(&r2, p, m));
        slab_vfree(h, p);
    }
    for (step = 0; step < 4; step++)
        slab_pages_free(h, hold[step]);
    CHECK(tu_heap_sane(h, 0));
    CHECK(tu_hinfo(h).oom_count == 8);
    CHECK(slab_heap_max_alloc(NULL) == 0);
    CHECK(tu_quiet());
    slab_heap_destroy(h);
    CHECK(slab_heap_max_alloc(h) == 0);
    CHECK(tu_rep(h, SLAB_ERR_BAD_HANDLE));
    tu_region_free(&r);
    tu_region_free(&r2);
}

// ------------------------------------------------------------------------------------------
// The slabinfo dump and the cache walk.

#define TG_LINES 80
typedef struct tg_lines {
    char line[TG_LINES][256];
    size_t n;
    int bad; /* a call without exactly one line ending in a newline */
} tg_lines;

static void tg_print(const char *line, void *user)
{
    tg_lines *l = (tg_lines *)user;
    size_t len = strlen(line);
    if (l->n == TG_LINES || len == 0 || len >= sizeof l->line[0] || line[len - 1] != '\n' ||
        strchr(line, '\n') != line + len - 1) {
        l->bad = 1;
        return;
    }
    memcpy(l->line[l->n++], line, len + 1);
}

/* The unsigned numbers in s, in order (digits right after a letter or '-' are part of a name
   such as kmalloc-64 and skipped). Returns how many (at most max). */
static size_t tg_numbers(const char *s, unsigned long *out, size_t max)
{
    size_t n = 0;
    const char *q = s;
    while (*q && n < max) {
        if (*q >= '0' && *q <= '9' && (q == s || !(q[-1] == '-' || q[-1] == '.' ||
                                                    (q[-1] >= 'a' && q[-1] <= 'z') ||
                                                    (q[-1] >= 'A' && q[-1] <= 'Z')))) {
            out[n++] = strtoul(q, (char **)NULL, 10);
            while (*q >= '0' && *q <= '9')
                q++;
        } else {
            q++;
        }
    }
    return n;
}

typedef struct tg_walk {
    slab_cache *seen[64];
    size_t n;
    size_t stop_at; /* return 42 on this visit (0: never) */
} tg_walk;

static int tg_walk_fn(slab_cache *c, void *user)
{
    tg_walk *w = (tg_walk *)user;
    if (w->n < 64)
        w->seen[w->n] = c;
    w->n++;
    return w->n == w->stop_at ? 42 : 0;
}

static int tg_shr_scan_none;
static size_t tg_count(void *ctx)
{
    (void)ctx;
    return 0;
}
static size_t tg_scan(size_t nr, void *ctx)
{
    (void)nr;
    (void)ctx;
    tg_shr_scan_none++;
    return 0;
}

/* The dump: a slabinfo 2.1 header and column line, one row per cache (kmalloc classes in use
   included) whose numbers are slab_cache_info's, then a buddyinfo line and a pages line whose
   numbers are slab_heap_stats'. */
static void t_region_dump(void)
{
    tu_region r, r2;
    size_t ps = 4096, size = (size_t)1 << 20, i, k;
    slab_heap *h = tu_heap(&r, size, 0, ps);
    slab_cache *alpha, *beta;
    void *a[3], *b[40], *k64[5], *k192[2], *vb, *pb;
    tg_lines *lines = (tg_lines *)calloc(1, sizeof(tg_lines));
    tg_walk walk;
    slab_heapinfo hi;
    REQUIRE(h != NULL && lines != NULL);
    alpha = slab_cache_create(h, "alpha", 100, 0, 0, NULL, NULL);
    beta = slab_cache_create(h, "beta_cache", 700, 0, SLAB_HWCACHE_ALIGN, NULL, NULL);
    REQUIRE(alpha && beta);
    for (i = 0; i < 3; i++)
        a[i] = slab_cache_alloc(alpha);
    for (i = 0; i < 40; i++)
        b[i] = slab_cache_alloc(beta);
    for (i = 0; i < 30; i++) /* beta keeps 10 objects and some emptied slabs */
        slab_cache_free(beta, b[i]);
    for (i = 0; i < 5; i++)
        k64[i] = slab_kmalloc(h, 50);
    k192[0] = slab_kmalloc(h, 160);
    k192[1] = slab_kmalloc(h, 192);
    vb = slab_vmalloc(h, 3 * ps);
    pb = slab_pages_alloc(h, 1);
    REQUIRE(slab_register_shrinker(h, tg_count, tg_scan, NULL) != NULL);
    REQUIRE(tu_region_new(&r2, 30 * ps, 0) != NULL);
    REQUIRE(slab_heap_add_region(h, r2.base, r2.size) == 0);
    CHECK(tu_quiet());

    hi = tu_hinfo(h);
    memset(&walk, 0, sizeof walk);
    CHECK(slab_heap_for_each_cache(h, tg_walk_fn, &walk) == 0);
    CHECK(walk.n == hi.num_caches);
    slab_heap_dump(h, tg_print, lines);
    CHECK(tu_quiet());
    CHECK(!lines->bad);
    REQUIRE(lines->n == 2 + hi.num_caches + 2);
    CHECK(strncmp(lines->line[0], "slabinfo - version: 2.1", 23) == 0);
    CHECK(strncmp(lines->line[1], "# name", 6) == 0);
    CHECK(strstr(lines->line[1], "<active_objs> <num_objs> <objsize> <objperslab> "
                                 "<pagesperslab> : slabdata <active_slabs> <num_slabs>") != NULL);
    for (i = 0; i < walk.n; i++) { /* each cache: exactly one row, with its figures */
        slab_slabinfo ci = tu_cinfo(walk.seen[i]);
        size_t rows = 0, j;
        for (j = 2; j < 2 + hi.num_caches; j++) {
            char name[64];
            unsigned long v[7];
            int used = 0;
            if (sscanf(lines->line[j], "%63s %lu %lu %lu %lu %lu : slabdata %lu %lu %n", name,
                       &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &used) != 8 ||
                lines->line[j][used] != '\0') {
                printf("    not a slabinfo row: %s", lines->line[j]);
                CHECK(0);
                continue;
            }
            if (strcmp(name, ci.name) != 0)
                continue;
            rows++;
            CHECK(v[0] == (unsigned long)ci.active_objs && v[1] == (unsigned long)ci.num_objs &&
                  v[2] == (unsigned long)ci.objsize && v[3] == (unsigned long)ci.objperslab &&
                  v[4] == (unsigned long)ci.pagesperslab &&
                  v[5] == (unsigned long)ci.active_slabs && v[6] == (unsigned long)ci.num_slabs);
        }
        CHECK(rows == 1);
    }
    {
        /* the rows the program's caches and classes have, by name */
        static const char *const names[] = {"alpha", "beta_cache", "kmalloc-64", "kmalloc-192"};
        static const unsigned long active[] = {3, 10, 5, 2};
        for (i = 0; i < 4; i++) {
            slab_cache *c = tu_find_cache(h, names[i]);
            CHECK(c != NULL && tu_cinfo(c).active_objs == active[i]);
            for (k = 2; k < 2 + hi.num_caches; k++)
                if (strncmp(lines->line[k], names[i], strlen(names[i])) == 0 &&
                    lines->line[k][strlen(names[i])] == ' ')
                    break;
            CHECK(k < 2 + hi.num_caches);
        }
    }
    {
        /* buddyinfo: the free blocks of orders 0..max_order */
        const char *bl = lines->line[2 + hi.num_caches], *colon = strrchr(bl, ':');
        unsigned long v[SLAB_MAX_ORDERS + 1];
        size_t nv;
        CHECK(strstr(bl, "buddyinfo") != NULL);
        REQUIRE(colon != NULL);
        nv = tg_numbers(colon + 1, v, SLAB_MAX_ORDERS + 1);
        CHECK(nv == (size_t)hi.max_order + 1);
        for (k = 0; k < nv && k < SLAB_MAX_ORDERS; k++)
            CHECK(v[k] == (unsigned long)hi.free_blocks[k]);
    }
    {
        /* the pages line: total, free, largest free block and fragmentation, in order */
        const char *pl = lines->line[3 + hi.num_caches];
        unsigned long v[16], want[4];
        size_t nv = tg_numbers(pl, v, 16), j = 0;
        want[0] = (unsigned long)hi.pages_total;
        want[1] = (unsigned long)hi.pages_free;
        want[2] = (unsigned long)hi.largest_free;
        want[3] = hi.fragmentation;
        CHECK(strstr(pl, "fragmentation") != NULL);
        for (k = 0; k < nv && j < 4; k++)
            if (v[k] == want[j])
                j++;
        CHECK(j == 4);
    }
    /* NULL print, a destroyed heap: nothing printed */
    slab_heap_dump(h, NULL, lines);
    CHECK(tu_quiet());

    for (i = 0; i < 3; i++)
        slab_cache_free(alpha, a[i]);
    for (i = 30; i < 40; i++)
        slab_cache_free(beta, b[i]);
    for (i = 0; i < 5; i++)
        slab_kfree(h, k64[i]);
    slab_kfree(h, k192[0]);
    slab_kfree(h, k192[1]);
    slab_vfree(h, vb);
    slab_pages_free(h, pb);
    CHECK(tu_quiet());
    CHECK(tu_heap_sane(h, 0));
    slab_heap_destroy(h);
    lines->n = 0;
    slab_heap_dump(h, tg_print, lines);
    CHECK(lines->n == 0);
    CHECK(tu_rep(h, SLAB_ERR_BAD_HANDLE));
    free(lines);
    tu_region_free(&r);
    tu_region_free(&r2);
}

/* The cache walk: every cache once, stopping early with fn's value; the heap's own caches
   (kmalloc classes, the cache of caches, the shrinkers' cache) cannot be destroyed through
   the handles it gives. */
static void t_region_for_each(void)
{
    tu_region r;
    size_t size = (size_t)1 << 20, i, j;
    slab_heap *h = tu_heap(&r, size, 0, 4096);
    slab_cache *t1, *t2;
    tg_walk walk;
    tu_watch w;
    void *p, *q;
    REQUIRE(h != NULL);
    memset(&walk, 0, sizeof walk);
    CHECK(slab_heap_for_each_cache(h, tg_walk_fn, &walk) == 0);
    CHECK(walk.n == TU_OWN_CACHES && walk.n == tu_hinfo(h).num_caches); /* the heap's own */
    t1 = slab_cache_create(h, "t1", 10, 0, 0, NULL, NULL);
    t2 = slab_cache_create(h, "t2", 20, 0, 0, NULL, NULL);
    p = slab_kmalloc(h, 10);
    q = slab_kmalloc(h, 1000);
    REQUIRE(t1 && t2 && p && q);
    REQUIRE(slab_register_shrinker(h, tg_count, tg_scan, NULL) != NULL);
    memset(&walk, 0, sizeof walk);
    CHECK(slab_heap_for_each_cache(h, tg_walk_fn, &walk) == 0);
    CHECK(walk.n == tu_hinfo(h).num_caches && walk.n == 5 + TU_OWN_CACHES);
    for (i = 0; i < walk.n; i++) /* each once */
        for (j = 0; j < i; j++)
            CHECK(walk.seen[i] != walk.seen[j]);
    CHECK(tu_find_cache(h, "t1") == t1 && tu_find_cache(h, "t2") == t2);
    CHECK(tu_find_cache(h, "kmalloc-16") != NULL && tu_find_cache(h, "kmalloc-1024") != NULL);
    CHECK(tu_find_cache(h, "kmalloc-32") == NULL); /* classes are made on first use */
    /* early stop */
    for (i = 1; i <= 5 + TU_OWN_CACHES; i++) {
        tg_walk s;
        memset(&s, 0, sizeof s);
        s.stop_at = i;
        CHECK(slab_heap_for_each_cache(h, tg_walk_fn, &s) == 42 && s.n == i);
    }
    CHECK(slab_heap_for_each_cache(h, NULL, NULL) == 0);
    CHECK(tu_quiet());
    /* the heap's own caches refuse to be destroyed */
    memset(&w, 0, sizeof w);
    w.h = h;
    tu_watch_take(&w);
    for (i = 0; i < walk.n; i++) {
        slab_cache *c = walk.seen[i];
        if (c == t1 || c == t2)
            continue;
        CHECK(slab_cache_destroy(c) == SLAB_ERR_INVALID_ARG);
        CHECK(tu_watch_refused(&w, SLAB_ERR_INVALID_ARG));
    }
    /* the program's are fine, and the walk sees them go */
    CHECK(slab_cache_destroy(t1) == SLAB_ERR_OK);
    memset(&walk, 0, sizeof walk);
    CHECK(slab_heap_for_each_cache(h, tg_walk_fn, &walk) == 0);
    CHECK(walk.n == 4 + TU_OWN_CACHES && walk.n == tu_hinfo(h).num_caches);
    CHECK(slab_cache_destroy(t2) == SLAB_ERR_OK);
    slab_kfree(h, p);
    slab_kfree(h, q);
    CHECK(tu_quiet());
    CHECK(tu_heap_ok(h, 0, size));
    slab_heap_destroy(h);
    memset(&walk, 0, sizeof walk);
    CHECK(slab_heap_for_each_cache(h, tg_walk_fn, &walk) == 0 && walk.n == 0);
    CHECK(tu_rep(h, SLAB_ERR_BAD_HANDLE));
    tu_region_free(&r);
}

/* Whether report i (since tu_msgs_reset()) names one of the live blocks as its pointer: a
   build that lists leaked objects one by one (SLAB_DEBUG, SLAB_HARDEN) reports them so. */
static int tg_is_listing(unsigned i, void *const *live, size_t nlive)
{
    size_t k;
    for (k = 0; k < nlive; k++)
        if (tu_msg_ptr[i] == live[k])
            return 1;
    return 0;
}

/* Whether exactly one summary (a BUSY report that is not a per-object listing) contains
   `what` (NULL: anything) and the number n. */
static int tg_leak_msg(const char *what, unsigned long n, void *const *live, size_t nlive)
{
    unsigned i, found = 0;
    for (i = 0; i < tu_nmsgs; i++) {
        unsigned long v[8];
        size_t nv, k;
        int has = 0;
        if (tu_msg_code[i] != SLAB_ERR_BUSY || tg_is_listing(i, live, nlive) ||
            (what && strstr(tu_msgs[i], what) == NULL))
            continue;
        nv = tg_numbers(tu_msgs[i], v, 8);
        for (k = 0; k < nv; k++)
            has |= v[k] == n;
        found += (unsigned)has;
    }
    if (found == 1)
        return 1;
    printf("    %u BUSY summaries with \"%s\" and %lu among %u reports\n", found,
           what ? what : "", n, tu_nmsgs);
    for (i = 0; i < tu_nmsgs; i++)
        printf("      %s: %s\n", slab_error_name(tu_msg_code[i]), tu_msgs[i]);
    return 0;
}

/* Leaks at destroy: with report_leaks = 1, one BUSY report per cache with live objects (its
   name and count in the message) and one for the large blocks; nothing for caches whose
   objects were all freed, or for the heap's own caches (builds that also list the leaked
   objects one by one may add a report per live object, with that object as the pointer);
   report_leaks = -1 reports nothing, and 0 (the default) reports as SLAB_DEBUG says. */
static void t_region_leaks(void)
{
    int mode;
    for (mode = 0; mode < 4; mode++) {
        tu_region r;
        size_t ps = 4096, i, nlive = 0;
        slab_heap_config cfg = tu_cfg_msg(ps);
        slab_heap *h;
        slab_cache *alpha, *beta;
        void *tmp[20], *live[16];
        unsigned summaries = 0;
        int reports = mode == 0 || mode == 3 || (mode == 2 && SLAB_DEBUG);
        cfg.report_leaks = mode == 0 || mode == 3 ? 1 : mode == 1 ? -1 : 0;
        h = tu_heap_cfg(&r, (size_t)1 << 20, 0, &cfg);
        REQUIRE(h != NULL);
        if (mode == 3) { /* only a block of pages */
            live[0] = slab_pages_alloc(h, 2);
            CHECK(live[0] != NULL);
            tu_msgs_reset();
            tu_rec_reset();
            slab_heap_destroy(h);
            CHECK(tu_rep(h, SLAB_ERR_BUSY));
            CHECK(tg_leak_msg(NULL, 1, live, 1));
            tu_region_free(&r);
            continue;
        }
        alpha = slab_cache_create(h, "alpha", 100, 0, 0, NULL, NULL);
        beta = slab_cache_create(h, "beta", 100, 0, 0, NULL, NULL);
        REQUIRE(alpha && beta);
        for (i = 0; i < 20; i++) /* alpha: 7 live of 20 */
            tmp[i] = slab_cache_alloc(alpha);
        for (i = 7; i < 20; i++)
            slab_cache_free(alpha, tmp[i]);
        for (i = 0; i < 7; i++)
            live[nlive++] = tmp[i];
        for (i = 0; i < 20; i++) /* beta: all freed again (some wait in its magazine) */
            tmp[i] = slab_cache_alloc(beta);
        for (i = 0; i < 20; i++)
            slab_cache_free(beta, tmp[i]);
        live[nlive++] = slab_kmalloc(h, 64);
        live[nlive++] = slab_kmalloc(h, 60);
        slab_kfree(h, slab_kmalloc(h, 128)); /* kmalloc-128: none live */
        live[nlive++] = slab_kmalloc(h, 3 * ps);
        live[nlive++] = slab_vmalloc(h, 2 * ps);
        live[nlive++] = slab_vzalloc(h, 5 * ps);
        for (i = 0; i < nlive; i++)
            REQUIRE(live[i] != NULL);
        REQUIRE(slab_register_shrinker(h, tg_count, tg_scan, NULL) != NULL);
        CHECK(tu_quiet());
        tu_msgs_reset();
        slab_heap_destroy(h);
        if (!reports) {
            CHECK(tu_quiet());
            tu_region_free(&r);
            continue;
        }
        CHECK(tu_g_rec.count == tu_nmsgs && tu_nmsgs < TU_MSGS);
        CHECK(tu_g_rec.by_code[SLAB_ERR_BUSY] == tu_g_rec.count);
        CHECK(tu_g_rec.heap == h && !tu_g_rec.bad_msg);
        for (i = 0; i < tu_nmsgs; i++) {
            summaries += (unsigned)!tg_is_listing((unsigned)i, live, nlive);
            CHECK(strstr(tu_msgs[i], "beta") == NULL && strstr(tu_msgs[i], "kmalloc-128") == NULL &&
                  strstr(tu_msgs[i], "slab_shrinker") == NULL && strstr(tu_msgs[i], "slab_cache") == NULL);
        }
        CHECK(summaries == 3); /* alpha, kmalloc-64, the large blocks */
        CHECK(tg_leak_msg("alpha", 7, live, nlive));
        CHECK(tg_leak_msg("kmalloc-64", 2, live, nlive));
        CHECK(tg_leak_msg(NULL, 3, live, nlive)); /* three large blocks */
        tu_rec_reset();
        tu_region_free(&r);
    }
}

/* Plugin heaps: two heaps inside vmalloc blocks of a host; unloading one (destroy, vfree)
   leaves the other working; with both gone the host's figures are as before. */
static void t_region_plugin(void)
{
    tu_region r;
    size_t ps = 4096, size = (size_t)2 << 20, i;
    slab_heap *host = tu_heap(&r, size, 0, ps), *pl[2];
    slab_heapinfo before, after;
    slab_cache *hc;
    unsigned char *blk[2], *hobj, *hk;
    void *objs[2][50];
    REQUIRE(host != NULL);
    hc = slab_cache_create(host, "host_objs", 80, 0, 0, NULL, NULL);
    REQUIRE(hc != NULL);
    hobj = (unsigned char *)slab_cache_alloc(hc);
    hk = (unsigned char *)slab_kmalloc(host, 500);
    REQUIRE(hobj && hk);
    tu_fill(hobj, 80, 1);
    tu_fill(hk, 500, 2);
    before = tu_hinfo(host);
    for (i = 0; i < 2; i++) {
        slab_heap_config cfg = tu_cfg(i ? 256 : ps);
        size_t len = (i ? 20 : 40) * ps, k;
        slab_cache *c;
        blk[i] = (unsigned char *)slab_vmalloc(host, len);
        REQUIRE(blk[i] != NULL);
        cfg.report_leaks = -1;
        pl[i] = slab_heap_init(blk[i], len, &cfg);
        REQUIRE(pl[i] != NULL);
        // Nearly all of the block is pages: what is left is the header, their descriptors and
        // the alignment of both, under three pages.
        CHECK(tu_pages_total(pl[i]) * (cfg.page_size + sizeof(slab__page)) + sizeof(slab_heap) +
                  3 * cfg.page_size >= len);
        c = slab_cache_create(pl[i], "plugin_objs", 64, 0, 0, NULL, NULL);
        REQUIRE(c != NULL);
        for (k = 0; k < 50; k++) {
            objs[i][k] = k % 3 == 0 ? slab_cache_alloc(c) : k % 3 == 1 ? slab_kmalloc(pl[i], 64)
                                                                        : slab_vmalloc(pl[i], 600);
            REQUIRE(objs[i][k] != NULL);
            CHECK(tu_inside(&(tu_region){blk[i], blk[i], len, 0}, objs[i][k], 64));
            tu_fill(objs[i][k], 64, (uint32_t)(i * 100 + k));
        }
        CHECK(slab_heap_check(pl[i]) == 0);
        CHECK(tu_quiet());
    }
    CHECK(tu_heap_ok(host, 0, size));
    CHECK(tu_hinfo(host).large_pages == before.large_pages + 60);
    /* each heap refuses the other's blocks */
    slab_kfree(pl[0], hk);
    CHECK(tu_rep(pl[0], SLAB_ERR_INVALID_ADDRESS));
    slab_kfree(host, objs[0][1]); /* inside the host's vmalloc block: not a block start */
    CHECK(tu_rep(host, SLAB_ERR_INVALID_POINTER));
    slab_vfree(host, blk[0] + ps);
    CHECK(tu_rep(host, SLAB_ERR_INVALID_POINTER));
    /* unload plugin 0 with live objects: destroy, then give its block back */
    slab_heap_destroy(pl[0]);
    slab_vfree(host, blk[0]);
    CHECK(tu_quiet());
    CHECK(tu_heap_ok(host, 0, size));
    for (i = 0; i < 50; i++) /* plugin 1 is untouched and still works */
        CHECK(tu_verify(objs[1][i], 64, (uint32_t)(100 + i)));
    {
        void *p = slab_kmalloc(pl[1], 300);
        CHECK(p != NULL && tu_inside(&(tu_region){blk[1], blk[1], 20 * ps, 0}, p, 300));
        slab_kfree(pl[1], p);
    }
    CHECK(slab_heap_check(pl[1]) == 0);
    slab_heap_destroy(pl[1]);
    slab_vfree(host, blk[1]);
    CHECK(tu_quiet());
    after = tu_hinfo(host);
    CHECK(tu_heapinfo_eq(&before, &after));
    CHECK(tu_heap_ok(host, 0, size));
    CHECK(tu_verify(hobj, 80, 1) && tu_verify(hk, 500, 2));
    slab_cache_free(hc, hobj);
    slab_kfree(host, hk);
    slab_heap_destroy(host);
    tu_region_free(&r);
}

// ------------------------------------------------------------------------------------------
// A seeded random walk with a shadow model: kmalloc / kzalloc / krealloc / kfree, vmalloc /
// vfree, kvmalloc / kvrealloc / kvfree, ksize, a shrinker that frees the program's blocks,
// heap shrinks and regions added on the way. After every step the heap check passes and the
// touched block keeps its bytes; every 64 steps every block is verified and no two overlap.

#define TG_MAX 300
#define TG_EXTRA 3

typedef struct tg_blk {
    unsigned char *p;
    size_t req;     /* bytes asked for, filled with the pattern of id */
    size_t ks;      /* slab_ksize when it was allocated or resized */
    uint32_t id;
    char fam;       /* 'k': kmalloc family, 'v': vmalloc family, 'x': a kvrealloc result */
    int reclaimable;
} tg_blk;

typedef struct tg_model {
    slab_heap *h;
    tu_region regions[1 + TG_EXTRA];
    size_t nregions;
    size_t ps, kmax;
    tg_blk b[TG_MAX];
    size_t n;
    uint32_t next_id;
    const void *pinned; /* the shrinker leaves this block alone */
    size_t shrunk;      /* blocks the shrinker freed */
    size_t noisy;       /* resizes that succeeded but reported an error */
    tu_rng g;
    uint64_t seed;
    unsigned long step;
    const char *op;
} tg_model;

#define TG_FAIL(m, cond)                                                                      \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            tu_fail(__FILE__, __LINE__, #cond);                                               \
            printf("    (seed %lu, step %lu, op %s)\n", (unsigned long)(m)->seed, (m)->step,   \
                   (m)->op);                                                                  \
            return 0;                                                                         \
        }                                                                                     \
    } while (0)

static void tg_remove(tg_model *m, size_t i)
{
    m->n--;
    m->b[i] = m->b[m->n];
}

static size_t tg_find(const tg_model *m, const void *p)
{
    size_t i;
    for (i = 0; i < m->n; i++)
        if (m->b[i].p == p)
            return i;
    return SIZE_MAX;
}

static size_t tg_shr_count(void *ctx)
{
    tg_model *m = (tg_model *)ctx;
    size_t i, n = 0;
    for (i = 0; i < m->n; i++)
        n += m->b[i].reclaimable && m->b[i].p != m->pinned;
    return n;
}

static size_t tg_shr_scan(size_t nr, void *ctx)
{
    tg_model *m = (tg_model *)ctx;
    size_t i = 0, done = 0;
    while (i < m->n && done < nr) {
        if (m->b[i].reclaimable && m->b[i].p != m->pinned) {
            slab_kvfree(m->h, m->b[i].p);
            tg_remove(m, i);
            done++;
        } else {
            i++;
        }
    }
    m->shrunk += done;
    return done;
}

/* A size for the generic paths: mostly small, some up to the largest class, some large. */
static size_t tg_size(tg_model *m)
{
    size_t k = tu_below(&m->g, 100);
    if (k < 55)
        return 1 + tu_below(&m->g, 512);
    if (k < 80)
        return 513 + tu_below(&m->g, m->kmax - 512);
    if (k < 88)
        return m->kmax - 2 + tu_below(&m->g, 5); /* around the boundary */
    return m->kmax + 1 + tu_below(&m->g, 5 * m->ps);
}

/* A block the library handed out (or resized): inside a region, aligned, usable size enough,
   overlapping no other live block. */
static int tg_accept(tg_model *m, size_t i)
{
    tg_blk *b = &m->b[i];
    size_t j;
    TG_FAIL(m, b->p != NULL && b->ks >= b->req);
    TG_FAIL(m, tg_inside_any(m->regions, m->nregions, b->p, b->ks));
    TG_FAIL(m, tu_aligned(b->p, b->req <= 8 ? 8 : 16));
    if (b->req > m->kmax)
        TG_FAIL(m, tu_aligned(b->p, m->ps) && b->ks - b->req < m->ps);
    for (j = 0; j < m->n; j++)
        if (j != i)
            TG_FAIL(m, (uintptr_t)m->b[j].p + m->b[j].ks <= (uintptr_t)b->p ||
                           (uintptr_t)b->p + b->ks <= (uintptr_t)m->b[j].p);
    return 1;
}

/* An allocation returned NULL: it must be for want of memory, reported once. */
static int tg_oom_ok(tg_model *m)
{
    TG_FAIL(m, tu_g_rec.count == 1 && tu_g_rec.last == SLAB_ERR_NOMEM);
    tu_rec_reset();
    return 1;
}

static int tg_new(tg_model *m, unsigned char *p, size_t req, char fam, int zeroed)
{
    tg_blk *b;
    if (p == NULL)
        return tg_oom_ok(m);
    TG_FAIL(m, tu_g_rec.count == 0); /* a success is not reported */
    TG_FAIL(m, m->n < TG_MAX);
    b = &m->b[m->n++];
    b->p = p;
    b->req = req;
    b->ks = slab_ksize(m->h, p);
    b->id = m->next_id++;
    b->fam = fam;
    b->reclaimable = tu_below(&m->g, 3) == 0;
    if (!tg_accept(m, m->n - 1))
        return 0;
    if (zeroed)
        TG_FAIL(m, tu_all_bytes(p, b->ks, 0));
    tu_fill(p, req, b->id);
    return 1;
}

static int tg_step(tg_model *m)
{
    size_t op = tu_below(&m->g, 100), i, sz;
    if (m->n >= TG_MAX - 2)
        op = 60; /* full model: free */
    if (op < 18) {
        m->op = "kmalloc";
        sz = tg_size(m);
        return tg_new(m, (unsigned char *)slab_kmalloc(m->h, sz), sz, 'k', 0);
    }
    if (op < 24) {
        m->op = "kzalloc";
        sz = tg_size(m);
        return tg_new(m, (unsigned char *)slab_kzalloc(m->h, sz), sz, 'k', 1);
    }
    if (op < 32) {
        m->op = "vmalloc";
        sz = 1 + tu_below(&m->g, 6 * m->ps);
        return tg_new(m, (unsigned char *)slab_vmalloc(m->h, sz), sz, 'v', 0);
    }
    if (op < 40) {
        m->op = "kvmalloc";
        sz = tg_size(m);
        return tg_new(m, (unsigned char *)slab_kvmalloc(m->h, sz), sz, sz > m->kmax ? 'v' : 'k',
                      0);
    }
    if (m->n == 0)
        return 1;
    i = tu_below(&m->g, m->n);
    if (op < 58) { /* resize */
        tg_blk old = m->b[i];
        int kv = old.fam != 'k' || tu_below(&m->g, 2);
        unsigned char *q;
        size_t keep, j;
        m->op = kv ? "kvrealloc" : "krealloc";
        TG_FAIL(m, tu_verify(old.p, old.req, old.id));
        sz = tg_size(m);
        m->pinned = old.p;
        q = (unsigned char *)(kv ? slab_kvrealloc(m->h, old.p, sz) : slab_krealloc(m->h, old.p, sz));
        m->pinned = NULL;
        j = tg_find(m, old.p); /* the shrinker may have moved it in the model */
        TG_FAIL(m, j != SIZE_MAX);
        if (q == NULL) {
            TG_FAIL(m, tu_verify(old.p, old.req, old.id)); /* untouched */
            return tg_oom_ok(m);
        }
        keep = old.req < sz ? old.req : sz;
        if (tu_g_rec.count != 0) { /* a success is not reported: counted, the walk goes on */
            if (m->noisy++ < 3)
                printf("    %s of a block (family %c, %lu bytes asked, ksize %lu) to %lu bytes "
                       "succeeded (%s) but reported %s (seed %lu, step %lu)\n",
                       m->op, old.fam, (unsigned long)old.req, (unsigned long)old.ks,
                       (unsigned long)sz, q == old.p ? "in place" : "moved",
                       slab_error_name(tu_g_rec.last), (unsigned long)m->seed, m->step);
            tu_rec_reset();
        }
        TG_FAIL(m, tu_verify(q, keep, old.id));
        m->b[j].p = q;
        m->b[j].req = sz;
        m->b[j].ks = slab_ksize(m->h, q);
        m->b[j].id = m->next_id++;
        m->b[j].fam = kv ? 'x' : 'k';
        if (!tg_accept(m, j))
            return 0;
        tu_fill(q, sz, m->b[j].id);
        return 1;
    }
    if (op < 85) { /* free */
        tg_blk b = m->b[i];
        m->op = "free";
        TG_FAIL(m, tu_verify(b.p, b.req, b.id));
        tg_remove(m, i);
        if (b.fam == 'k' && tu_below(&m->g, 2)) {
            m->op = "kfree";
            slab_kfree(m->h, b.p);
        } else if (b.fam == 'v' && tu_below(&m->g, 2)) {
            m->op = "vfree";
            slab_vfree(m->h, b.p);
        } else {
            m->op = "kvfree";
            slab_kvfree(m->h, b.p);
        }
        if (tu_g_rec.count != 0)
            printf("    %s of a block (family %c, %lu bytes asked, ksize %lu) reported %s\n",
                   m->op, b.fam, (unsigned long)b.req, (unsigned long)b.ks,
                   slab_error_name(tu_g_rec.last));
        TG_FAIL(m, tu_g_rec.count == 0);
        return 1;
    }
    if (op < 95) {
        m->op = "ksize";
        TG_FAIL(m, slab_ksize(m->h, m->b[i].p) == m->b[i].ks);
        TG_FAIL(m, tu_verify(m->b[i].p, m->b[i].req, m->b[i].id));
        return 1;
    }
    if (op < 98) {
        m->op = "shrink";
        slab_heap_shrink(m->h);
        TG_FAIL(m, tu_g_rec.count == 0);
        return 1;
    }
    m->op = "add_region";
    if (m->nregions < 1 + TG_EXTRA && m->step > 200) {
        tu_region *r = &m->regions[m->nregions];
        size_t len = (16 + tu_below(&m->g, 48)) * m->ps + tu_below(&m->g, m->ps);
        TG_FAIL(m, tu_region_new(r, len, tu_below(&m->g, 64)) != NULL);
        m->nregions++;
        TG_FAIL(m, slab_heap_add_region(m->h, r->base, r->size) == 0);
        TG_FAIL(m, tu_hinfo(m->h).regions == m->nregions);
    }
    return 1;
}

static int tg_verify_all(tg_model *m)
{
    size_t i;
    tu_iv *iv = (tu_iv *)malloc((m->n + 1) * sizeof(tu_iv));
    int disjoint;
    TG_FAIL(m, iv != NULL);
    for (i = 0; i < m->n; i++) {
        if (!tu_verify(m->b[i].p, m->b[i].req, m->b[i].id) ||
            slab_ksize(m->h, m->b[i].p) != m->b[i].ks) {
            free(iv);
            TG_FAIL(m, 0);
        }
        iv[i].lo = (uintptr_t)m->b[i].p;
        iv[i].len = m->b[i].ks;
    }
    disjoint = tu_iv_disjoint(iv, m->n);
    free(iv);
    TG_FAIL(m, disjoint);
    TG_FAIL(m, tu_heap_sane(m->h, 0));
    return 1;
}

static void tg_run(uint64_t seed, size_t ps, size_t npages, unsigned long steps)
{
    tg_model *m = (tg_model *)calloc(1, sizeof(tg_model));
    slab_shrinker *sh;
    size_t i;
    int ok = 1;
    REQUIRE(m != NULL);
    m->seed = seed;
    m->g.s = seed;
    m->ps = ps;
    m->kmax = ps / 2 > 4096 ? ps / 2 : 4096;
    m->next_id = 1;
    m->h = tu_heap(&m->regions[0], npages * ps + 40000, (size_t)(seed % 17), ps);
    REQUIRE(m->h != NULL);
    m->nregions = 1;
    sh = slab_register_shrinker(m->h, tg_shr_count, tg_shr_scan, m);
    REQUIRE(sh != NULL);
    for (m->step = 0; m->step < steps && ok; m->step++) {
        ok = tg_step(m);
        if (ok && slab_heap_check(m->h) != 0) {
            printf("    heap check failed (seed %lu, step %lu, op %s)\n", (unsigned long)seed,
                   m->step, m->op);
            CHECK(0);
            ok = 0;
        }
        if (ok && m->step % 64 == 0)
            ok = tg_verify_all(m);
    }
    CHECK(ok);
    CHECK(m->noisy == 0);
    CHECK(m->shrunk > 0); /* the shrinker did run and free */
    if (tu_hinfo(m->h).oom_count == 0 || tu_hinfo(m->h).regions == 1)
        printf("    seed %lu: %lu failed allocations, %lu regions, %lu blocks shrunk\n",
               (unsigned long)seed, (unsigned long)tu_hinfo(m->h).oom_count,
               (unsigned long)tu_hinfo(m->h).regions, (unsigned long)m->shrunk);
    CHECK(tu_hinfo(m->h).oom_count > 0 && tu_hinfo(m->h).regions > 1);
    if (ok) {
        ok = tg_verify_all(m);
        CHECK(ok);
        while (m->n > 0) {
            slab_kvfree(m->h, m->b[m->n - 1].p);
            m->n--;
        }
        slab_unregister_shrinker(m->h, sh);
        slab_heap_shrink(m->h);
        CHECK(tu_quiet());
        CHECK(tu_heap_sane(m->h, 0));
        {
            slab_heapinfo hi = tu_hinfo(m->h);
            size_t top = 0;
            CHECK(hi.large_pages == 0 && hi.pages_free + hi.slab_pages == hi.pages_total);
            for (i = 0; i < m->nregions; i++) { /* no free block across two regions */
                size_t t = tg_top(m->regions[i].size / ps);
                top = t > top ? t : top;
            }
            CHECK(hi.largest_free <= top);
        }
    }
    tu_rec_reset();
    slab_heap_destroy(m->h);
    for (i = 0; i < m->nregions; i++)
        tu_region_free(&m->regions[i]);
    free(m);
}

static void t_region_random(void)
{
    tg_run(1, 4096, 96, 4000);
    tg_run(2, 4096, 64, 4000);
    tg_run(0xc0ffee, 256, 600, 4000);
}
