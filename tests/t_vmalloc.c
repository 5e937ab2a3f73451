/* t_vmalloc.c - the large-object path (issue 3): vmalloc sized exactly (the buddy block's tail
   pages go back at once), coalescing on free, zeroing of reused pages, kvmalloc's choice of
   path, kvrealloc moving between the paths, growing in place or moving when blocked, and
   vmalloc without memory. */

/* The free blocks of every order, as a heap's figures give them. */
static int tv_same_blocks(const slab_heapinfo *a, const slab_heapinfo *b)
{
    unsigned k;
    for (k = 0; k < SLAB_MAX_ORDERS; k++)
        if (a->free_blocks[k] != b->free_blocks[k])
            return 0;
    return a->largest_free == b->largest_free && a->pages_free == b->pages_free;
}

/* n pages + 1 byte take n + 1 pages, exactly; the rest of the buddy block is free at once. */
static void t_vmalloc_exact(void)
{
    tu_region r;
    size_t ps = 4096, size = tu_exact_size(64, ps), n;
    slab_heap *h;
    slab_heapinfo h0, hi;
    unsigned char *p;
    unsigned k;
    REQUIRE(size != 0);
    h = tu_heap(&r, size, 0, ps);
    REQUIRE(h != NULL);
    h0 = tu_hinfo(h);
    CHECK(h0.pages_total == 64 && h0.free_blocks[6] == 1 && h0.largest_free == 64);

    /* 5 pages: an 8-page block whose 3 tail pages (one of 2, one of 1) are free again */
    p = (unsigned char *)slab_vmalloc(h, 5 * ps);
    REQUIRE(p != NULL);
    hi = tu_hinfo(h);
    CHECK(hi.large_pages == 5 && hi.pages_free == 59);
    for (k = 0; k < SLAB_MAX_ORDERS; k++)
        CHECK(hi.free_blocks[k] == (k == 0 || k == 1 || k == 3 || k == 4 || k == 5 ? 1u : 0u));
    CHECK(slab_ksize(h, p) == 5 * ps);
    memset(p, 0x3c, 5 * ps);
    CHECK(tu_heap_ok(h, 0, size));
    slab_vfree(h, p);
    hi = tu_hinfo(h);
    CHECK(tu_heapinfo_eq(&hi, &h0)); /* coalesced back to one block of 64 */

    for (n = 0; n <= 40; n++) {
        size_t want = n + 1;
        p = (unsigned char *)slab_vmalloc(h, n * ps + 1);
        CHECK(p != NULL);
        if (p == NULL)
            continue;
        hi = tu_hinfo(h);
        CHECK(hi.large_pages == want && hi.pages_free == 64 - want);
        CHECK(slab_ksize(h, p) == want * ps && tu_aligned(p, ps) && tu_inside(&r, p, want * ps));
        p[0] = 1;
        p[want * ps - 1] = 2;
        CHECK(slab_heap_check(h) == 0);
        slab_vfree(h, p);
        hi = tu_hinfo(h);
        CHECK(tu_heapinfo_eq(&hi, &h0));
        if (n == 0)
            continue;
        p = (unsigned char *)slab_vmalloc(h, n * ps); /* a whole number of pages: no extra */
        CHECK(p != NULL);
        if (p == NULL)
            continue;
        CHECK(tu_hinfo(h).large_pages == n && slab_ksize(h, p) == n * ps);
        slab_vfree(h, p);
    }
    /* the whole heap in one block, and not a page more */
    p = (unsigned char *)slab_vmalloc(h, 64 * ps);
    CHECK(p != NULL && tu_hinfo(h).pages_free == 0);
    slab_vfree(h, p);
    CHECK(tu_quiet());
    {
        tu_watch w;
        memset(&w, 0, sizeof w);
        w.h = h;
        tu_watch_take(&w);
        CHECK(slab_vmalloc(h, 64 * ps + 1) == NULL);
        CHECK(tu_watch_oom(&w));
    }
    CHECK(tu_heap_ok(h, 0, size));
    slab_heap_destroy(h);
    tu_region_free(&r);
}

/* Many runs of random lengths, freed in random order: each free coalesces, and the heap ends
   with the free blocks of a fresh one. Runs never overlap and keep their bytes. */
static void t_vmalloc_coalesce(void)
{
    static const uint64_t seeds[] = {1, 2, 3};
    size_t si;
    for (si = 0; si < 3; si++) {
        tu_region r;
        size_t ps = si == 2 ? 256 : 4096, size = (size_t)(si == 1 ? 3 : 1) << 20, n = 0, i;
        slab_heap *h = tu_heap(&r, size, si, ps);
        slab_heapinfo h0;
        void *p[200];
        size_t len[200], pages = 0;
        uint32_t id[200];
        tu_iv iv[200];
        tu_rng g;
        CHECK(h != NULL);
        if (h == NULL)
            continue;
        g.s = seeds[si];
        h0 = tu_hinfo(h);
        while (n < 200) {
            size_t want = 1 + tu_below(&g, 9) * ps + tu_below(&g, ps);
            void *q = slab_vmalloc(h, want);
            if (q == NULL) {
                CHECK(tu_rep(h, SLAB_ERR_NOMEM));
                break;
            }
            len[n] = slab_ksize(h, q);
            CHECK(len[n] == (want + ps - 1) / ps * ps);
            pages += len[n] / ps;
            id[n] = (uint32_t)n;
            tu_fill(q, len[n], id[n]);
            iv[n].lo = (uintptr_t)q;
            iv[n].len = len[n];
            p[n++] = q;
        }
        CHECK(n > 10);
        CHECK(tu_hinfo(h).large_pages == pages);
        CHECK(tu_heap_ok(h, 0, size));
        for (i = 0; i < n; i++)
            CHECK(tu_verify(p[i], len[i], id[i]));
        CHECK(tu_iv_disjoint(iv, n));
        while (n > 0) {
            size_t k = tu_below(&g, n);
            CHECK(tu_verify(p[k], len[k], id[k]));
            slab_vfree(h, p[k]);
            n--;
            p[k] = p[n];
            len[k] = len[n];
            id[k] = id[n];
            if (n % 16 == 0)
                CHECK(slab_heap_check(h) == 0);
        }
        {
            slab_heapinfo hi = tu_hinfo(h);
            CHECK(tv_same_blocks(&hi, &h0));
            CHECK(hi.large_pages == 0);
        }
        CHECK(tu_quiet());
        slab_heap_destroy(h);
        tu_region_free(&r);
    }
}

/* vzalloc and kvzalloc zero the whole block even where it was used before. */
static void t_vmalloc_zero(void)
{
    tu_region r;
    size_t ps = 4096, size = (size_t)1 << 20, n;
    slab_heap *h = tu_heap(&r, size, 0, ps);
    REQUIRE(h != NULL);
    for (n = 1; n <= 9; n++) {
        unsigned char *p = (unsigned char *)slab_vmalloc(h, n * ps - 7), *q;
        REQUIRE(p != NULL);
        CHECK(slab_ksize(h, p) == n * ps); /* the whole pages are usable */
        memset(p, 0xee, n * ps);
        slab_vfree(h, p);
        q = (unsigned char *)slab_vzalloc(h, n * ps - 7);
        REQUIRE(q != NULL);
        CHECK(q == p); /* the same pages again */
        CHECK(slab_ksize(h, q) == n * ps && tu_all_bytes(q, n * ps, 0));
        memset(q, 0xdd, n * ps);
        slab_vfree(h, q);
        q = (unsigned char *)slab_kvzalloc(h, n * ps - 7);
        REQUIRE(q != NULL);
        CHECK(tu_all_bytes(q, slab_ksize(h, q), 0));
        memset(q, 0xcc, slab_ksize(h, q));
        slab_kvfree(h, q);
    }
    {
        unsigned char *p = (unsigned char *)slab_kvmalloc(h, 300), *q;
        REQUIRE(p != NULL);
        memset(p, 0xbb, slab_ksize(h, p));
        slab_kvfree(h, p);
        q = (unsigned char *)slab_kvzalloc(h, 300);
        REQUIRE(q != NULL);
        CHECK(q == p && tu_all_bytes(q, slab_ksize(h, q), 0));
        slab_kvfree(h, q);
    }
    tu_done(h, &r, size);
}

/* kvmalloc takes a size class up to the largest class and the vmalloc path above it (a
   vmalloc block: kfree refuses it, vfree takes it). */
static void t_vmalloc_kvmalloc(void)
{
    static const size_t pss[] = {4096, 256, 65536};
    size_t pi;
    for (pi = 0; pi < 3; pi++) {
        size_t ps = pss[pi], kmax = ps == 65536 ? 32768 : 4096;
        size_t size = ps == 65536 ? (size_t)8 << 20 : (size_t)1 << 20, n;
        tu_region r;
        slab_heap *h = tu_heap(&r, size, 1, ps);
        size_t sizes[6];
        CHECK(h != NULL);
        if (h == NULL)
            continue;
        sizes[0] = 1;
        sizes[1] = 100;
        sizes[2] = kmax - 1;
        sizes[3] = kmax;
        sizes[4] = kmax + 1;
        sizes[5] = 3 * kmax + 5;
        for (n = 0; n < 6; n++) {
            size_t sz = sizes[n], ks;
            void *p = slab_kvmalloc(h, sz);
            CHECK(p != NULL);
            if (p == NULL)
                continue;
            ks = slab_ksize(h, p);
            if (sz <= kmax) {
                CHECK(ks == tk_class_of(sz));
                slab_vfree(h, p); /* a kmalloc object: vfree refuses it */
                CHECK(tu_rep(h, SLAB_ERR_INVALID_POINTER));
            } else {
                CHECK(ks == (sz + ps - 1) / ps * ps && tu_aligned(p, ps));
                CHECK(tu_hinfo(h).large_pages == ks / ps);
                slab_kfree(h, p); /* a vmalloc block: kfree refuses it */
                CHECK(tu_rep(h, SLAB_ERR_INVALID_POINTER));
            }
            memset(p, 0x11, ks);
            slab_kvfree(h, p);
            CHECK(tu_quiet());
            CHECK(tu_hinfo(h).large_pages == 0);
        }
        CHECK(tu_heap_ok(h, 0, size));
        slab_heap_destroy(h);
        tu_region_free(&r);
    }
}

/* kvrealloc: from a class to the vmalloc path and back as the size crosses the boundary,
   growing in place while the pages after the block are free, keeping the bytes. */
static void t_vmalloc_kvrealloc(void)
{
    tu_region r;
    size_t ps = 4096, size = tu_exact_size(64, ps), ks;
    slab_heap *h;
    unsigned char *p, *q;
    REQUIRE(size != 0);
    h = tu_heap(&r, size, 0, ps);
    REQUIRE(h != NULL);
    p = (unsigned char *)slab_kvrealloc(h, NULL, 100); /* NULL: allocates */
    REQUIRE(p != NULL);
    CHECK(slab_ksize(h, p) == 128);
    tu_fill(p, 128, 1);
    q = (unsigned char *)slab_kvrealloc(h, p, 120); /* the class fits: in place */
    CHECK(q == p && tu_verify(p, 120, 1));
    q = (unsigned char *)slab_kvrealloc(h, p, 4096); /* the largest class */
    REQUIRE(q != NULL);
    CHECK(slab_ksize(h, q) == 4096 && tu_verify(q, 120, 1) && tu_hinfo(h).large_pages == 0);
    p = q;
    tu_fill(p, 4096, 2);
    q = (unsigned char *)slab_kvrealloc(h, p, 4097); /* crosses to the vmalloc path */
    REQUIRE(q != NULL);
    CHECK(q != p && tu_aligned(q, ps) && slab_ksize(h, q) == 2 * ps);
    CHECK(tu_verify(q, 4096, 2) && tu_hinfo(h).large_pages == 2);
    slab_kfree(h, q); /* it is a vmalloc block now */
    CHECK(tu_rep(h, SLAB_ERR_INVALID_POINTER));
    p = q;
    tu_fill(p, 2 * ps, 3);
    q = (unsigned char *)slab_kvrealloc(h, p, 6 * ps); /* in place or moved, as the pages lie */
    REQUIRE(q != NULL);
    CHECK(slab_ksize(h, q) == 6 * ps && tu_verify(q, 2 * ps, 3));
    p = q;
    q = (unsigned char *)slab_kvrealloc(h, p, 2 * ps); /* shrinks in place: the tail goes back */
    CHECK(q == p && slab_ksize(h, p) == 2 * ps && tu_hinfo(h).large_pages == 2);
    q = (unsigned char *)slab_kvrealloc(h, p, 6 * ps); /* grows in place, into that tail */
    CHECK(q == p && slab_ksize(h, p) == 6 * ps && tu_verify(p, 2 * ps, 3));
    CHECK(tu_hinfo(h).large_pages == 6);
    tu_fill(p, 6 * ps, 4);
    q = (unsigned char *)slab_kvrealloc(h, p, 3 * ps); /* shrinks in place */
    CHECK(q == p && slab_ksize(h, p) == 3 * ps && tu_verify(p, 3 * ps, 4));
    CHECK(tu_hinfo(h).large_pages == 3);
    CHECK(tu_heap_ok(h, 0, size));
    q = (unsigned char *)slab_kvrealloc(h, p, 200); /* back to a class */
    REQUIRE(q != NULL);
    CHECK(slab_ksize(h, q) == 256 && tu_verify(q, 200, 4) && tu_hinfo(h).large_pages == 0);
    slab_vfree(h, q); /* a kmalloc object now */
    CHECK(tu_rep(h, SLAB_ERR_INVALID_POINTER));
    ks = slab_ksize(h, q);
    CHECK(ks == 256);
    CHECK(slab_kvrealloc(h, q, 0) == NULL); /* 0 frees */
    CHECK(tu_quiet());
    slab_kvfree(h, q);
    CHECK(tu_rep(h, SLAB_ERR_DOUBLE_FREE));

    /* kvrealloc also resizes kmalloc's own large blocks (the result is a kvmalloc block) */
    p = (unsigned char *)slab_kmalloc(h, 2 * ps);
    REQUIRE(p != NULL);
    tu_fill(p, 2 * ps, 5);
    q = (unsigned char *)slab_kvrealloc(h, p, 4 * ps);
    REQUIRE(q != NULL);
    CHECK(slab_ksize(h, q) == 4 * ps && tu_verify(q, 2 * ps, 5));
    slab_kvfree(h, q);
    /* krealloc refuses a vmalloc block (kvrealloc is the function for it) */
    p = (unsigned char *)slab_vmalloc(h, 2 * ps);
    REQUIRE(p != NULL);
    CHECK(slab_krealloc(h, p, 3 * ps) == NULL);
    CHECK(tu_rep(h, SLAB_ERR_INVALID_POINTER));
    CHECK(slab_ksize(h, p) == 2 * ps);
    slab_vfree(h, p);
    CHECK(tu_quiet());
    CHECK(tu_heap_ok(h, 0, size));
    CHECK(tu_hinfo(h).large_pages == 0);
    slab_heap_destroy(h);
    tu_region_free(&r);
}

/* A vmalloc block whose next page is taken moves when kvrealloc grows it; bytes kept, old
   pages back. */
static void t_vmalloc_kvrealloc_blocked(void)
{
    tu_region r;
    size_t ps = 4096, size = (size_t)1 << 20;
    slab_heap *h = tu_heap(&r, size, 0, ps);
    unsigned char *p, *q, *blocker;
    slab_heapinfo before;
    REQUIRE(h != NULL);
    p = (unsigned char *)slab_vmalloc(h, 3 * ps);
    REQUIRE(p != NULL);
    tu_fill(p, 3 * ps, 9);
    blocker = (unsigned char *)tu_take_page_at(h, p + 3 * ps); /* the page right after it */
    REQUIRE(blocker != NULL);
    tu_fill(blocker, ps, 10);
    before = tu_hinfo(h);
    q = (unsigned char *)slab_kvrealloc(h, p, 5 * ps);
    REQUIRE(q != NULL);
    CHECK(q != p && slab_ksize(h, q) == 5 * ps && tu_verify(q, 3 * ps, 9));
    CHECK(tu_verify(blocker, ps, 10));
    CHECK(tu_hinfo(h).large_pages == 5 && tu_hinfo(h).pages_free == before.pages_free - 2);
    CHECK(tu_heap_ok(h, 1, size));
    slab_kfree(h, q); /* still a vmalloc block */
    CHECK(tu_rep(h, SLAB_ERR_INVALID_POINTER));
    slab_vfree(h, q);
    slab_pages_free(h, blocker);
    tu_done(h, &r, size);
}

/* vmalloc and kvmalloc on a full heap: a clean NULL, NOMEM counted, nothing else changed. */
static void t_vmalloc_oom(void)
{
    tu_region r;
    size_t ps = 4096, size = tu_exact_size(16, ps), n, i, oom0;
    slab_heap *h;
    void *pages[16], *keep;
    tu_blocks live;
    tu_watch w;
    REQUIRE(size != 0);
    h = tu_heap(&r, size, 0, ps);
    REQUIRE(h != NULL);
    memset(&live, 0, sizeof live);
    keep = slab_vmalloc(h, 3 * ps);
    REQUIRE(keep != NULL);
    tu_blocks_add(&live, keep, 3 * ps);
    n = tu_fill_pages(h, pages, 16);
    CHECK(n == 13);
    oom0 = tu_hinfo(h).oom_count; /* the fill's own last try */
    memset(&w, 0, sizeof w);
    w.h = h;
    w.live = &live;
    tu_watch_take(&w);
    CHECK(slab_vmalloc(h, 1) == NULL);
    CHECK(tu_watch_oom(&w));
    tu_watch_take(&w);
    CHECK(slab_vzalloc(h, 2 * ps) == NULL);
    CHECK(tu_watch_oom(&w));
    tu_watch_take(&w);
    CHECK(slab_kvmalloc(h, 5 * ps) == NULL);
    CHECK(tu_watch_oom(&w));
    tu_watch_take(&w);
    CHECK(slab_kvzalloc(h, 5 * ps) == NULL);
    CHECK(tu_watch_oom(&w));
    tu_watch_take(&w);
    CHECK(slab_kmalloc(h, 5 * ps) == NULL);
    CHECK(tu_watch_oom(&w));
    CHECK(tu_hinfo(h).oom_count == oom0 + 5);
    for (i = 0; i < n; i++)
        slab_pages_free(h, pages[i]);
    slab_vfree(h, keep);
    tu_done(h, &r, size);
}

/* Shrinking a large block to a class size on a full heap: the class has no room, so the block
   shrinks in place. That is a success: no report, no OOM counted, the bytes kept. */
static void t_vmalloc_shrink_full(void)
{
    int kv;
    for (kv = 0; kv < 2; kv++) {
        tu_region r;
        size_t ps = 4096, size = tu_exact_size(16, ps), n, i, oom0;
        slab_heap *h;
        void *pages[16];
        unsigned char *p, *q;
        REQUIRE(size != 0);
        h = tu_heap(&r, size, 0, ps);
        REQUIRE(h != NULL);
        p = (unsigned char *)(kv ? slab_vmalloc(h, 3 * ps) : slab_kmalloc(h, 3 * ps));
        REQUIRE(p != NULL);
        tu_fill(p, 3 * ps, 31);
        n = tu_fill_pages(h, pages, 16);
        CHECK(tu_hinfo(h).pages_free == 0);
        oom0 = tu_hinfo(h).oom_count;
        q = (unsigned char *)(kv ? slab_kvrealloc(h, p, 100) : slab_krealloc(h, p, 100));
        CHECK(q != NULL);
        if (q != NULL) {
            CHECK(slab_ksize(h, q) >= 100 && tu_verify(q, 100, 31));
            slab_kvfree(h, q);
        }
        CHECK(tu_quiet());                           /* a success is not reported */
        CHECK(tu_hinfo(h).oom_count == oom0);         /* nor counted as a failure */
        for (i = 0; i < n; i++)
            slab_pages_free(h, pages[i]);
        CHECK(tu_heap_ok(h, 0, size));
        slab_heap_destroy(h);
        tu_region_free(&r);
    }
}

/* Freed runs of up to SLAB__RUN_MAX pages are parked for reuse (Bonwick's quantum caches):
   the next run of the same length gets the same pages back, and the figures and the check
   see parked pages as free pages. */
static void t_vmalloc_runcache_reuse(void)
{
    tu_region r;
    size_t ps = 4096, size = tu_exact_size(256, ps);
    slab_heap *h;
    slab_heapinfo h0, hi;
    void *p, *q, *k;
    REQUIRE(size != 0);
    h = tu_heap(&r, size, 0, ps);
    REQUIRE(h != NULL);
    h0 = tu_hinfo(h);
    p = slab_vmalloc(h, 5 * ps);
    REQUIRE(p != NULL);
    slab_vfree(h, p);
    CHECK(h->nr_runs[5] == 1 && h->runs[5] != NULL && h->runs[5]->state == SLAB__PG_PARKED);
    CHECK(slab_heap_check(h) == 0);
    q = slab_vmalloc(h, 5 * ps - 100); /* the same length in pages: the parked run */
    CHECK(q == p && h->nr_runs[5] == 0 && slab_ksize(h, q) == 5 * ps);
    CHECK(slab_heap_check(h) == 0);
    memset(q, 0x5c, 5 * ps);
    slab_kvfree(h, q);
    k = slab_kmalloc(h, 3 * ps); /* kmalloc's large runs share the lists */
    CHECK(k != NULL && slab_ksize(h, k) == 3 * ps && slab_heap_check(h) == 0);
    slab_kfree(h, k);
    CHECK(h->nr_runs[3] == 1 && h->nr_runs[5] == 1 && slab_heap_check(h) == 0);
    /* a run of another length does not take a parked one */
    q = slab_vzalloc(h, 4 * ps);
    CHECK(q != NULL && q != p && h->nr_runs[5] == 1 && tu_hinfo(h).large_pages == 4);
    slab_vfree(h, q);
    /* the figures give parked runs back first: a heap with nothing live is a fresh heap */
    hi = tu_hinfo(h);
    CHECK(tu_heapinfo_eq(&hi, &h0) && h->nr_runs[3] == 0 && h->nr_runs[5] == 0);
    CHECK(tu_heap_ok(h, 0, size) && tu_quiet());
    /* runs longer than SLAB__RUN_MAX pages are never parked */
    p = slab_vmalloc(h, (SLAB__RUN_MAX + 1) * ps);
    REQUIRE(p != NULL);
    slab_vfree(h, p);
    CHECK(h->zone.pages_free == h0.pages_free && slab_heap_check(h) == 0);
    /* each length keeps at most SLAB__RUN_KEEP runs */
    {
        void *v[SLAB__RUN_KEEP + 2];
        size_t i;
        for (i = 0; i < SLAB__RUN_KEEP + 2; i++)
            CHECK((v[i] = slab_vmalloc(h, 2 * ps)) != NULL);
        for (i = 0; i < SLAB__RUN_KEEP + 2; i++) {
            slab_vfree(h, v[i]);
            CHECK(slab_heap_check(h) == 0);
        }
        CHECK(h->nr_runs[2] == SLAB__RUN_KEEP);
        CHECK(slab_heap_shrink(h) == 0 && h->nr_runs[2] == 0); /* no cache gave pages back */
    }
    hi = tu_hinfo(h);
    CHECK(tu_heapinfo_eq(&hi, &h0) && tu_quiet());
    slab_heap_destroy(h);
    tu_region_free(&r);
}

/* A parked run is a freed block: freeing it again, asking its size or resizing it is refused
   as a double free, reported, and changes nothing (the heap header and every descriptor stay
   byte for byte as they were). */
static void t_vmalloc_runcache_double_free(void)
{
    tu_region r;
    size_t ps = 4096, size = tu_exact_size(128, ps), dlen;
    slab_heap *h;
    slab_heap *hcopy;
    unsigned char *dcopy;
    void *p, *live;
    REQUIRE(size != 0);
    h = tu_heap(&r, size, 0, ps);
    REQUIRE(h != NULL);
    live = slab_vmalloc(h, 2 * ps);
    p = slab_vmalloc(h, 7 * ps);
    REQUIRE(p != NULL && live != NULL);
    slab_vfree(h, p);
    REQUIRE(h->nr_runs[7] == 1);
    dlen = h->zone.npages * sizeof(slab__page);
    hcopy = (slab_heap *)malloc(sizeof *h);
    dcopy = (unsigned char *)malloc(dlen);
    REQUIRE(hcopy != NULL && dcopy != NULL);
    memcpy(hcopy, h, sizeof *h);
    memcpy(dcopy, h->zone.pages, dlen);
    CHECK(tu_quiet());
    slab_vfree(h, p);
    CHECK(tu_rep(h, SLAB_ERR_DOUBLE_FREE));
    slab_kvfree(h, p);
    CHECK(tu_rep(h, SLAB_ERR_DOUBLE_FREE));
    CHECK(slab_ksize(h, p) == 0);
    CHECK(tu_rep(h, SLAB_ERR_DOUBLE_FREE));
    CHECK(slab_kvrealloc(h, p, 9 * ps) == NULL);
    CHECK(tu_rep(h, SLAB_ERR_DOUBLE_FREE));
    CHECK(slab_krealloc(h, p, 3 * ps) == NULL);
    CHECK(tu_rep(h, SLAB_ERR_DOUBLE_FREE));
    slab_pages_free(h, p);
    CHECK(tu_rep(h, SLAB_ERR_DOUBLE_FREE));
    slab_vfree(h, (char *)p + ps); /* a page start inside its first block: freed pages */
    CHECK(tu_rep(h, SLAB_ERR_DOUBLE_FREE));
    slab_vfree(h, (char *)p + 5 * ps); /* inside a further block: not a block start */
    CHECK(tu_rep(h, SLAB_ERR_INVALID_POINTER));
#if !SLAB_THREADS // the call-site scratch of the next tracked call is per heap here
    hcopy->call = h->call;
#endif
    CHECK(memcmp(hcopy, h, sizeof *h) == 0 && memcmp(dcopy, h->zone.pages, dlen) == 0);
    CHECK(h->nr_runs[7] == 1 && slab_heap_check(h) == 0);
    CHECK(slab_vmalloc(h, 7 * ps) == p); /* and it is still there for the next taker */
    slab_vfree(h, p);
    slab_vfree(h, live);
    CHECK(tu_heap_ok(h, 0, size) && tu_quiet());
    free(hcopy);
    free(dcopy);
    slab_heap_destroy(h);
    tu_region_free(&r);
}

/* Parked runs never make a request fail: when the buddy heap has no block for a request, they
   go back (merged) first. Every page of the heap in parked runs, then a block of the whole
   heap, slab pages for a cache, and a run of another length all succeed without an OOM. */
static void t_vmalloc_runcache_drain(void)
{
    tu_region r;
    size_t ps = 4096, size = tu_exact_size(64, ps), i, n;
    slab_heap *h;
    slab_heapinfo h0;
    void *v[64], *b;
    int round;
    REQUIRE(size != 0);
    h = tu_heap(&r, size, 0, ps);
    REQUIRE(h != NULL);
    h0 = tu_hinfo(h);
    for (round = 0; round < 3; round++) {
        /* 1-page runs fill the heap; once half of it is free, each one freed is parked */
        for (n = 0; n < 64 && (v[n] = slab_vmalloc(h, ps)) != NULL; n++)
            ;
        CHECK(n == 64 && tu_quiet());
        for (i = 0; i < 64; i++)
            slab_vfree(h, v[i]);
        CHECK(slab_heap_check(h) == 0);
        CHECK(h->nr_runs[1] > 0 && h->zone.pages_free < 64);
        if (round == 0) { /* the whole heap as one block of pages */
            b = slab_pages_alloc(h, 6);
            CHECK(b != NULL && tu_quiet() && h->nr_runs[1] == 0);
            CHECK(slab_heap_check(h) == 0);
            slab_pages_free(h, b);
        } else if (round == 1) { /* a run of all pages */
            b = slab_vmalloc(h, 64 * ps);
            CHECK(b != NULL && tu_quiet() && slab_heap_check(h) == 0);
            slab_vfree(h, b);
        } else { /* slab pages for a new cache */
            b = slab_kmalloc(h, 1000);
            CHECK(b != NULL && tu_quiet() && slab_heap_check(h) == 0);
            CHECK(slab_heap_max_alloc(h) == 32 * ps && h->nr_runs[1] == 0);
            slab_kfree(h, b);
        }
        CHECK(tu_hinfo(h).pages_free + tu_hinfo(h).slab_pages == 64 && tu_quiet());
    }
    CHECK(tu_hinfo(h).oom_count == h0.oom_count);
    slab_heap_shrink(h);
    CHECK(tu_heap_ok(h, 0, size) && tu_quiet());
    slab_heap_destroy(h);
    tu_region_free(&r);
}

/* With less than half the heap free, a freed run waits only where it costs no coalescing: its
   length is not a power of two and the page after it is in use. */
static void t_vmalloc_runcache_tight(void)
{
    tu_region r;
    size_t ps = 4096, size = tu_exact_size(64, ps);
    slab_heap *h;
    void *fill, *a, *b, *c;
    REQUIRE(size != 0);
    h = tu_heap(&r, size, 0, ps);
    REQUIRE(h != NULL);
    fill = slab_vmalloc(h, 32 * ps); /* pages 0..31: the heap is tight from now on */
    a = slab_vmalloc(h, 3 * ps);     /* 32..34, and 35 free */
    b = slab_vmalloc(h, 4 * ps);     /* 36..39 */
    c = slab_vmalloc(h, ps);         /* 35: the page after a is in use */
    REQUIRE(fill != NULL && a != NULL && b != NULL && c != NULL);
    CHECK((char *)c == (char *)a + 3 * ps && (char *)b == (char *)a + 4 * ps);
    slab_vfree(h, a); /* 3 pages, c after it: parked */
    CHECK(h->nr_runs[3] == 1 && slab_heap_check(h) == 0);
    slab_vfree(h, b); /* a power of two: back to the buddy heap */
    CHECK(h->nr_runs[4] == 0 && slab_heap_check(h) == 0);
    slab_vfree(h, c); /* 1 page: a power of two too */
    CHECK(h->nr_runs[1] == 0 && h->nr_runs[3] == 1 && slab_heap_check(h) == 0);
    CHECK(slab_vmalloc(h, 3 * ps) == a);
    slab_vfree(h, a); /* the page after it is free now: back to the buddy heap */
    CHECK(h->nr_runs[3] == 0 && slab_heap_check(h) == 0);
    slab_vfree(h, fill);
    CHECK(tu_heap_ok(h, 0, size) && tu_quiet());
    slab_heap_destroy(h);
    tu_region_free(&r);
}
