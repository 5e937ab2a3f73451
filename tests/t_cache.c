/* t_cache.c - object caches: creation and its refusals, names, alignment, objects, figures,
   constructors, zalloc, empty slabs and shrink, destroy, OOM and SLAB_PANIC. */

typedef struct tu_ctor_ctx {
    size_t size;      /* bytes the ctor writes */
    unsigned calls;   /* times it ran */
    size_t align;     /* alignment every object it sees must have */
    unsigned misaligned;
} tu_ctor_ctx;

/* Constructs an object: the pattern of id 0 over its full size. */
static void tu_ctor(void *obj, void *ctx)
{
    tu_ctor_ctx *x = (tu_ctor_ctx *)ctx;
    x->calls++;
    if (!tu_aligned(obj, x->align))
        x->misaligned++;
    tu_fill(obj, x->size, 0);
}

/* Each of objs[0..n) is aligned, inside the region, and disjoint from the others. */
static int tu_objs_ok(const tu_region *r, void **objs, size_t n, size_t size, size_t align)
{
    void **cp = (void **)malloc((n ? n : 1) * sizeof(void *));
    size_t i;
    int ok = 1;
    if (cp == NULL)
        return 0;
    for (i = 0; i < n; i++) {
        if (objs[i] == NULL || !tu_aligned(objs[i], align) || !tu_inside(r, objs[i], size))
            ok = 0;
        cp[i] = objs[i];
    }
    if (ok && !tu_disjoint(cp, n, size))
        ok = 0;
    free(cp);
    return ok;
}

static void t_cache_create_errors(void)
{
    tu_region r;
    size_t size = (size_t)1 << 20;
    slab_heap *h = tu_heap(&r, size, 0, 4096);
    slab_heapinfo before, after;
    size_t maxbytes, i;
    slab_cache *ok;
    REQUIRE(h != NULL);
    before = tu_hinfo(h);
    maxbytes = (size_t)4096 << before.max_order;
    {
        const struct {
            const char *name;
            size_t size, align;
            unsigned flags;
        } bad[] = {
            {NULL, 8, 0, 0},
            {"size0", 0, 0, 0},
            {"toobig", maxbytes + 1, 0, 0},
            {"toobig2", maxbytes * 2, 0, 0},
            {"sizemax", SIZE_MAX, 0, 0},
            {"sizemax7", SIZE_MAX - 7, 0, 0},
            {"sizemaxal", SIZE_MAX - 100, 4096, 0},
            {"align3", 8, 3, 0},
            {"align6", 8, 6, 0},
            {"align24", 64, 24, 0},
            {"align>page", 8, 8192, 0},
            {"alignmax", 8, SIZE_MAX, 0},
            {"alignhigh", 8, (size_t)1 << 20, 0},
            {"flag40", 8, 0, 0x40u},
            {"flag80", 8, 0, 0x80u},
            {"flagtop", 8, 0, 0x80000000u},
            {"flagtop", 8, 0, SLAB_HWCACHE_ALIGN | 0x100u},
        };
        tu_rec_reset();
        CHECK(slab_cache_create(NULL, "noheap", 8, 0, 0, NULL, NULL) == NULL);
        CHECK(tu_quiet()); /* no heap, so no hook to report to */
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            CHECK(slab_cache_create(h, bad[i].name, bad[i].size, bad[i].align, bad[i].flags,
                                    NULL, NULL) == NULL);
            if (!tu_rep(h, SLAB_ERR_INVALID_ARG))
                printf("    (case %s)\n", bad[i].name ? bad[i].name : "NULL name");
            after = tu_hinfo(h);
            CHECK(tu_heapinfo_eq(&before, &after));
            CHECK(slab_heap_check(h) == 0);
        }
    }
    /* the edges that are fine: align == page size, size of one page, every known flag */
    ok = slab_cache_create(h, "alignpage", 100, 4096, 0, NULL, NULL);
    CHECK(ok != NULL);
    if (ok) {
        void *o = slab_cache_alloc(ok);
        CHECK(o != NULL && tu_aligned(o, 4096));
        slab_cache_free(ok, o);
        CHECK(slab_cache_destroy(ok) == SLAB_ERR_OK);
    }
    ok = slab_cache_create(h, "page", 4096, 0, 0, NULL, NULL);
    CHECK(ok != NULL);
    if (ok)
        CHECK(slab_cache_destroy(ok) == SLAB_ERR_OK);
    ok = slab_cache_create(h, "allflags", 40, 0,
                           SLAB_HWCACHE_ALIGN | SLAB_PANIC | SLAB_RECLAIM_ACCOUNT, NULL, NULL);
    CHECK(ok != NULL);
    if (ok) {
        CHECK(tu_cinfo(ok).flags == (SLAB_HWCACHE_ALIGN | SLAB_PANIC | SLAB_RECLAIM_ACCOUNT));
        CHECK(slab_cache_destroy(ok) == SLAB_ERR_OK);
    }
    CHECK(tu_heap_ok(h, 0, size));
    CHECK(tu_quiet());
    slab_heap_destroy(h);
    tu_region_free(&r);
}

static void t_cache_name(void)
{
    tu_region r;
    slab_heap *h = tu_heap(&r, (size_t)256 << 10, 0, 4096);
    char longname[100], buf[16];
    slab_cache *a, *b, *c;
    slab_slabinfo ci;
    REQUIRE(h != NULL);
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    longname[0] = 'L';
    a = slab_cache_create(h, longname, 16, 0, 0, NULL, NULL);
    REQUIRE(a != NULL);
    ci = tu_cinfo(a);
    CHECK(ci.name != NULL && strlen(ci.name) == 31 && strncmp(ci.name, longname, 31) == 0);
    CHECK(ci.name != longname);

    strcpy(buf, "mutable");
    b = slab_cache_create(h, buf, 16, 0, 0, NULL, NULL);
    REQUIRE(b != NULL);
    buf[0] = 'X'; /* the name was copied */
    CHECK(strcmp(tu_cinfo(b).name, "mutable") == 0);

    longname[31] = '\0'; /* exactly 31 bytes: kept whole */
    c = slab_cache_create(h, longname, 16, 0, 0, NULL, NULL);
    REQUIRE(c != NULL);
    CHECK(strcmp(tu_cinfo(c).name, longname) == 0);
    CHECK(slab_cache_destroy(a) == SLAB_ERR_OK);
    CHECK(slab_cache_destroy(b) == SLAB_ERR_OK);
    CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
    CHECK(tu_quiet());
    slab_heap_destroy(h);
    tu_region_free(&r);
}

/* Allocates up to `want` objects from c, checks them (aligned to `align`, inside, disjoint,
   writable over `size`) and frees them; returns how many it got. */
static size_t tu_exercise(const tu_region *r, slab_cache *c, size_t want, size_t size,
                          size_t align)
{
    void **o = (void **)malloc(want * sizeof(void *));
    size_t i, n = 0;
    if (o == NULL)
        return 0;
    for (i = 0; i < want; i++) {
        o[n] = slab_cache_alloc(c);
        if (o[n] == NULL)
            break;
        tu_fill(o[n], size, (uint32_t)(n + 1));
        n++;
    }
    CHECK(tu_objs_ok(r, o, n, size, align));
    for (i = 0; i < n; i++) /* tu_objs_ok sorted a copy; o[] is in allocation order */
        CHECK(tu_verify(o[i], size, (uint32_t)(i + 1)));
    CHECK(tu_cache_ok(c, n));
    for (i = 0; i < n; i++)
        slab_cache_free(c, o[i]);
    CHECK(tu_cache_ok(c, 0));
    free(o);
    return n;
}

static void t_cache_align_default(void)
{
    static const size_t sizes[] = {1,  2,  3,  4,  5,   6,   7,   8,   9,   12,   16,   20,
                                   24, 32, 40, 48, 64,  96,  100, 128, 256, 1000, 1024, 4096,
                                   6000, 8192};
    tu_region r;
    size_t size = (size_t)4 << 20, i;
    slab_heap *h = tu_heap(&r, size, 0, 4096);
    REQUIRE(h != NULL);
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t s = sizes[i], nat = s & (~s + 1), want;
        slab_cache *c = slab_cache_create(h, "dflt", s, 0, 0, NULL, NULL);
        slab_slabinfo ci;
        CHECK(c != NULL);
        if (c == NULL)
            continue;
        /* the largest power of two dividing the size, at most alignof(max_align_t), at least
           sizeof(void *) */
        want = nat < TU_MAXALIGN ? nat : TU_MAXALIGN;
        if (want < sizeof(void *))
            want = sizeof(void *);
        ci = tu_cinfo(c);
        CHECK(ci.object_size == s && ci.objsize >= s && ci.flags == 0);
        CHECK(ci.align == want);
        if (ci.align != want)
            printf("    size %lu: align %lu, expected %lu\n", (unsigned long)s,
                   (unsigned long)ci.align, (unsigned long)want);
        CHECK(tu_exercise(&r, c, ci.objperslab + 1, s, ci.align) == ci.objperslab + 1);
        CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
    }
    CHECK(tu_heap_ok(h, 0, size));
    CHECK(tu_quiet());
    slab_heap_destroy(h);
    tu_region_free(&r);
}

static void t_cache_align_explicit(void)
{
    static const size_t sizes[] = {1, 7, 24, 100, 1000, 5000};
    static const size_t aligns[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 2048, 4096};
    tu_region r;
    size_t size = (size_t)4 << 20, si, ai;
    slab_heap *h = tu_heap(&r, size, 0, 4096);
    REQUIRE(h != NULL);
    for (si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        for (ai = 0; ai < sizeof aligns / sizeof aligns[0]; ai++) {
            size_t s = sizes[si], a = aligns[ai];
            slab_cache *c = slab_cache_create(h, "al", s, a, 0, NULL, NULL);
            slab_slabinfo ci;
            CHECK(c != NULL);
            if (c == NULL)
                continue;
            ci = tu_cinfo(c);
            CHECK(tu_is_pow2(ci.align) && ci.align >= a && ci.objsize >= s);
            CHECK(tu_exercise(&r, c, ci.objperslab + 2, s, a) == ci.objperslab + 2);
            CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
        }
    }
    CHECK(tu_heap_ok(h, 0, size));
    CHECK(tu_quiet());
    slab_heap_destroy(h);
    tu_region_free(&r);
}

static void t_cache_hwcache_align(void)
{
    static const struct {
        size_t size, align, want;
    } cases[] = {{64, 0, 64}, {65, 0, 64},  {100, 0, 64}, {200, 0, 64},   {1000, 0, 64},
                 {33, 0, 64}, {32, 0, 32},  {24, 0, 32},  {20, 0, 32},    {16, 0, 16},
                 {8, 0, 8},   {40, 8, 64},  {100, 128, 128}, {24, 256, 256}};
    tu_region r;
    size_t size = (size_t)2 << 20, i;
    slab_heap *h = tu_heap(&r, size, 0, 4096);
    REQUIRE(h != NULL);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        slab_cache *c = slab_cache_create(h, "hw", cases[i].size, cases[i].align,
                                          SLAB_HWCACHE_ALIGN, NULL, NULL);
        slab_slabinfo ci;
        CHECK(c != NULL);
        if (c == NULL)
            continue;
        ci = tu_cinfo(c);
        CHECK(ci.align >= cases[i].want && ci.flags == SLAB_HWCACHE_ALIGN);
        if (ci.align < cases[i].want)
            printf("    size %lu: align %lu, expected %lu\n", (unsigned long)cases[i].size,
                   (unsigned long)ci.align, (unsigned long)cases[i].want);
        CHECK(tu_exercise(&r, c, 2 * ci.objperslab + 1, cases[i].size, cases[i].want) ==
              2 * ci.objperslab + 1);
        CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
    }
    CHECK(tu_heap_ok(h, 0, size));
    CHECK(tu_quiet());
    slab_heap_destroy(h);
    tu_region_free(&r);
}

struct tu_foo {
    double d;
    char c[13];
};
struct tu_vec {
    long double ld;
    int i;
};

static void t_cache_macro(void)
{
    tu_region r;
    slab_heap *h = tu_heap(&r, (size_t)1 << 20, 0, 4096);
    slab_cache *a, *b;
    slab_slabinfo ci;
    REQUIRE(h != NULL);
    a = SLAB_CACHE(h, struct tu_foo, 0);
    b = SLAB_CACHE(h, struct tu_vec, SLAB_HWCACHE_ALIGN);
    REQUIRE(a != NULL && b != NULL);
    ci = tu_cinfo(a);
    CHECK(strcmp(ci.name, "struct tu_foo") == 0);
    CHECK(ci.object_size == sizeof(struct tu_foo));
    CHECK(ci.align >= (size_t)SLAB_ALIGNOF(struct tu_foo) && ci.flags == 0);
    CHECK(tu_exercise(&r, a, 3 * ci.objperslab, sizeof(struct tu_foo),
                      (size_t)SLAB_ALIGNOF(struct tu_foo)) == 3 * ci.objperslab);
    ci = tu_cinfo(b);
    CHECK(strcmp(ci.name, "struct tu_vec") == 0);
    CHECK(ci.object_size == sizeof(struct tu_vec) && ci.flags == SLAB_HWCACHE_ALIGN);
    CHECK(ci.align >= (size_t)SLAB_ALIGNOF(struct tu_vec));
    {
        struct tu_vec *v = (struct tu_vec *)slab_cache_alloc(b);
        CHECK(v != NULL);
        if (v) {
            v->ld = 1.5L;
            v->i = 3;
            CHECK(v->ld == 1.5L && v->i == 3);
            slab_cache_free(b, v);
        }
    }
    CHECK(slab_cache_destroy(a) == SLAB_ERR_OK);
    CHECK(slab_cache_destroy(b) == SLAB_ERR_OK);
    CHECK(tu_quiet());
    slab_heap_destroy(h);
    tu_region_free(&r);
}

/* Objects of many sizes with page blocks between them: aligned, inside, never overlapping,
   writable over their full size, figures right, slab waste under 1/8 for small objects. */
static void t_cache_objects(void)
{
    static const struct {
        size_t ps, size;
    } cases[] = {{4096, 8},   {4096, 24},   {4096, 100},  {4096, 256}, {4096, 300},
                 {4096, 512}, {4096, 1000}, {4096, 3000}, {4096, 5000}, {4096, 20000},
                 {256, 8},    {256, 24},    {256, 100},   {256, 200},  {256, 256},
                 {256, 300},  {256, 512},   {256, 1000}};
    size_t ci;
    for (ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        size_t ps = cases[ci].ps, sz = cases[ci].size, size = (size_t)2 << 20, n, i, nv = 0;
        tu_region r;
        slab_heap *h = tu_heap(&r, size, 1, ps);
        slab_cache *c;
        slab_slabinfo info;
        void **o, *blk[3] = {NULL, NULL, NULL};
        size_t blen[3] = {0, 0, 0}, upages = 0;
        tu_iv *iv;
        tu_rng g;
        CHECK(h != NULL);
        if (h == NULL)
            continue;
        c = slab_cache_create(h, "objs", sz, 0, 0, NULL, NULL);
        REQUIRE(c != NULL);
        info = tu_cinfo(c);
        CHECK(info.objperslab * info.objsize <= info.pagesperslab * ps);
        if (sz <= 512 && !SLAB_DEBUG && !SLAB_HARDEN) /* at most 1/8 of a slab is waste (debug
                                          slots and state bitmaps take room) */
            CHECK(info.objperslab * info.objsize * 8 >= 7 * info.pagesperslab * ps);
        n = 3 * info.objperslab + 5;
        o = (void **)malloc(n * sizeof(void *));
        iv = (tu_iv *)malloc((n + 3) * sizeof(tu_iv));
        REQUIRE(o != NULL && iv != NULL);
        for (i = 0; i < n; i++) {
            if (i % (n / 3 + 1) == 0 && i / (n / 3 + 1) < 3) { /* page blocks in between */
                size_t bi = i / (n / 3 + 1);
                void *b = slab_pages_alloc(h, (unsigned)(bi % 2));
                blk[bi] = b;
                CHECK(b != NULL);
                if (b) {
                    blen[bi] = ps << (bi % 2);
                    upages += (size_t)1 << (bi % 2);
                    iv[nv].lo = (uintptr_t)b;
                    iv[nv++].len = blen[bi];
                    memset(b, 0xee, blen[bi]);
                }
            }
            o[i] = slab_cache_alloc(c);
            CHECK(o[i] != NULL);
            if (o[i] == NULL) {
                n = i;
                break;
            }
            CHECK(tu_aligned(o[i], info.align) && tu_inside(&r, o[i], sz));
            tu_fill(o[i], sz, (uint32_t)i + 1);
            iv[nv].lo = (uintptr_t)o[i];
            iv[nv++].len = sz;
        }
        CHECK(tu_iv_disjoint(iv, nv));
        for (i = 0; i < n; i++)
            CHECK(tu_verify(o[i], sz, (uint32_t)i + 1));
        info = tu_cinfo(c);
        CHECK(tu_cache_ok(c, n));
        CHECK(info.num_slabs == (n + info.objperslab - 1) / info.objperslab);
        CHECK(info.active_slabs == info.num_slabs);
        CHECK(tu_heap_ok(h, upages, size));
        /* free in random order; the survivors keep their bytes */
        {
            uint32_t *ids = (uint32_t *)malloc(n * sizeof(uint32_t));
            size_t left = n;
            REQUIRE(ids != NULL);
            for (i = 0; i < n; i++)
                ids[i] = (uint32_t)i + 1;
            g.s = 77 + ci;
            while (left > 0) {
                size_t j = tu_below(&g, left);
                slab_cache_free(c, o[j]);
                o[j] = o[left - 1];
                ids[j] = ids[left - 1];
                left--;
                if (left % (info.objperslab / 2 + 1) == 0) {
                    for (i = 0; i < left; i++)
                        CHECK(tu_verify(o[i], sz, ids[i]));
                    CHECK(tu_cache_ok(c, left));
                    CHECK(tu_heap_ok(h, upages, size));
                }
            }
            free(ids);
        }
        for (i = 0; i < 3; i++)
            if (blk[i]) {
                CHECK(tu_all_bytes(blk[i], blen[i], 0xee));
                slab_pages_free(h, blk[i]);
            }
        CHECK(tu_cache_ok(c, 0));
        CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
        CHECK(tu_heap_ok(h, 0, size));
        CHECK(tu_quiet());
        free(o);
        free(iv);
        slab_heap_destroy(h);
        tu_region_free(&r);
    }
}

/* The constructor runs once per object when its slab is made; freed objects keep their bytes. */
static void t_cache_ctor(void)
{
    static const struct {
        size_t size;
        unsigned flags;
    } cases[] = {{1, 0}, {8, 0}, {24, 0}, {64, SLAB_HWCACHE_ALIGN}, {200, 0}, {4096, 0}};
    size_t ci;
    for (ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        size_t sz = cases[ci].size, n, i, size = (size_t)1 << 20;
        tu_region r;
        slab_heap *h = tu_heap(&r, size, 0, 4096);
        tu_ctor_ctx x;
        slab_cache *c;
        slab_slabinfo info;
        tu_snap s0, s1;
        void **o, *p, *q;
        CHECK(h != NULL);
        if (h == NULL)
            continue;
        memset(&x, 0, sizeof x);
        x.size = sz;
        x.align = sizeof(void *);
        c = slab_cache_create(h, "ctor", sz, 0, cases[ci].flags, tu_ctor, &x);
        REQUIRE(c != NULL);
        info = tu_cinfo(c);
        x.align = info.align;
        n = info.objperslab;
        o = (void **)malloc((n + 1) * sizeof(void *));
        REQUIRE(o != NULL);
        for (i = 0; i < n; i++) { /* one full slab: constructed state on first handout */
            o[i] = slab_cache_alloc(c);
            CHECK(o[i] != NULL);
            if (o[i] == NULL)
                break;
            CHECK(tu_verify(o[i], sz, 0));
        }
        if (i < n) {
            free(o);
            slab_heap_destroy(h);
            tu_region_free(&r);
            continue;
        }
        CHECK(x.calls == n);
        CHECK(x.misaligned == 0);
        for (i = 0; i < n; i++)
            tu_fill(o[i], sz, (uint32_t)(100 + i));

        /* free + realloc in a full slab: LIFO, the same object, bytes kept, no ctor call */
        p = o[n / 2];
        slab_cache_free(c, p);
        q = slab_cache_alloc(c);
        CHECK(q == p);
        CHECK(q != NULL && tu_verify(q, sz, (uint32_t)(100 + n / 2)));
        CHECK(x.calls == n);

        /* several freed objects come back, each with its own bytes */
        if (n >= 4) {
            void *back[3];
            size_t k, m;
            for (k = 0; k < 3; k++)
                slab_cache_free(c, o[k]);
            for (k = 0; k < 3; k++)
                back[k] = slab_cache_alloc(c);
            for (k = 0; k < 3; k++) {
                for (m = 0; m < 3; m++)
                    if (back[m] == o[k])
                        break;
                CHECK(m < 3);
                CHECK(tu_verify(o[k], sz, (uint32_t)(100 + k)));
            }
            CHECK(x.calls == n);
        }

        o[n] = slab_cache_alloc(c); /* a second slab: the ctor runs for all its objects */
        CHECK(o[n] != NULL && tu_verify(o[n], sz, 0));
        CHECK(x.calls == 2 * n);
        CHECK(tu_objs_ok(&r, o, n + 1, sz, info.align));
        if (o[n] != NULL) { /* the only object of the active slab: LIFO there too */
            tu_fill(o[n], sz, (uint32_t)(100 + n));
            slab_cache_free(c, o[n]);
            q = slab_cache_alloc(c);
            CHECK(q == o[n]);
            CHECK(q != NULL && tu_verify(q, sz, (uint32_t)(100 + n)));
            CHECK(x.calls == 2 * n);
        }
        for (i = 0; i <= n; i++)
            CHECK(tu_verify(o[i], sz, (uint32_t)(100 + i)));

        /* zalloc is refused for a ctor cache, changing nothing */
        s0 = tu_snap_take(h, c, NULL, NULL);
        CHECK(slab_cache_zalloc(c) == NULL);
        CHECK(tu_rep(h, SLAB_ERR_INVALID_ARG));
        s1 = tu_snap_take(h, c, NULL, NULL);
        CHECK(tu_snap_eq(&s0, &s1));
        CHECK(x.calls == 2 * n);
        CHECK(slab_heap_check(h) == 0);

        /* all back, slabs given back, then new slabs are constructed again */
        for (i = 0; i <= n; i++)
            slab_cache_free(c, o[i]);
        CHECK(tu_cache_ok(c, 0));
        CHECK(slab_cache_shrink(c) == 2 * info.pagesperslab);
        CHECK(tu_cinfo(c).num_slabs == 0);
        p = slab_cache_alloc(c);
        CHECK(p != NULL && tu_verify(p, sz, 0));
        CHECK(x.calls == 3 * n);
        slab_cache_free(c, p);
        CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
        CHECK(tu_heap_ok(h, 0, size));
        CHECK(tu_quiet());
        free(o);
        slab_heap_destroy(h);
        tu_region_free(&r);
    }
}

/* zalloc gives zeroed objects, also where an object held data before. */
static void t_cache_zalloc(void)
{
    static const size_t sizes[] = {1, 8, 24, 100, 1000, 5000};
    tu_region r;
    size_t size = (size_t)2 << 20, si;
    slab_heap *h = tu_heap(&r, size, 0, 4096);
    REQUIRE(h != NULL);
    for (si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t sz = sizes[si], n, i;
        slab_cache *c = slab_cache_create(h, "z", sz, 0, 0, NULL, NULL);
        void **o;
        CHECK(c != NULL);
        if (c == NULL)
            continue;
        n = tu_cinfo(c).objperslab + 2;
        o = (void **)malloc(n * sizeof(void *));
        REQUIRE(o != NULL);
        for (i = 0; i < n; i++) { /* fresh zalloc */
            o[i] = slab_cache_zalloc(c);
            CHECK(o[i] != NULL && tu_all_bytes(o[i], sz, 0));
            if (o[i])
                memset(o[i], 0xff, sz);
        }
        for (i = 0; i < n; i++)
            slab_cache_free(c, o[i]);
        for (i = 0; i < n; i++) { /* the same objects again, after they held 0xff */
            o[i] = slab_cache_zalloc(c);
            CHECK(o[i] != NULL && tu_all_bytes(o[i], sz, 0));
        }
        CHECK(tu_cache_ok(c, n));
        for (i = 0; i < n; i++)
            slab_cache_free(c, o[i]);
        /* plain alloc, written, freed, zalloc: zero */
        o[0] = slab_cache_alloc(c);
        CHECK(o[0] != NULL);
        if (o[0]) {
            memset(o[0], 0x5c, sz);
            slab_cache_free(c, o[0]);
            o[0] = slab_cache_zalloc(c);
            CHECK(o[0] != NULL && tu_all_bytes(o[0], sz, 0));
            slab_cache_free(c, o[0]);
        }
        CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
        free(o);
    }
    CHECK(tu_heap_ok(h, 0, size));
    CHECK(tu_quiet());
    slab_heap_destroy(h);
    tu_region_free(&r);
}

/* At most 2 empty slabs plus the active one stay; shrink gives back the rest, exactly. */
static void t_cache_empty_slabs(void)
{
    tu_region r;
    size_t size = (size_t)2 << 20, n, i, pps, ret, nslabs;
    slab_heap *h = tu_heap(&r, size, 0, 4096);
    slab_cache *c;
    slab_slabinfo info;
    void **o;
    size_t p0;
    REQUIRE(h != NULL);
    c = slab_cache_create(h, "empty", 256, 0, 0, NULL, NULL);
    REQUIRE(c != NULL);
    info = tu_cinfo(c);
    pps = info.pagesperslab;
    p0 = tu_hinfo(h).pages_free;
    n = 6 * info.objperslab;
    o = (void **)malloc(n * sizeof(void *));
    REQUIRE(o != NULL);
    for (i = 0; i < n; i++) {
        o[i] = slab_cache_alloc(c);
        REQUIRE(o[i] != NULL);
        tu_fill(o[i], 256, (uint32_t)i);
    }
    info = tu_cinfo(c);
    CHECK(info.num_slabs == 6 && info.active_slabs == 6);
    CHECK(tu_hinfo(h).pages_free + tu_mag_pages(h) == p0 - 6 * pps);
    for (i = 0; i < n; i++) { /* in allocation order: slab after slab empties */
        size_t m;
        slab_cache_free(c, o[i]);
        CHECK(tu_cache_ok(c, n - i - 1));
        info = tu_cinfo(c);
        CHECK(tu_hinfo(h).pages_free + tu_mag_pages(h) == p0 - info.num_slabs * pps);
        CHECK(tu_heap_ok(h, 0, size));
        if ((i + 1) % info.objperslab == 0)
            for (m = i + 1; m < n; m++)
                CHECK(tu_verify(o[m], 256, (uint32_t)m));
    }
    info = tu_cinfo(c);
    CHECK(info.active_slabs == 0 && info.num_slabs <= 3 + info.cached_objs);
    nslabs = info.num_slabs;
    ret = slab_cache_shrink(c);
    CHECK(ret == nslabs * pps);
    info = tu_cinfo(c);
    CHECK(info.num_slabs == 0 && info.num_objs == 0 && info.cached_objs == 0);
    CHECK(tu_hinfo(h).pages_free + tu_mag_pages(h) == p0);
    CHECK(slab_cache_shrink(c) == 0);

    /* live objects in the first and last slab; the rest emptied; shrink keeps those two */
    for (i = 0; i < n; i++) {
        o[i] = slab_cache_alloc(c);
        REQUIRE(o[i] != NULL);
        tu_fill(o[i], 256, (uint32_t)i);
    }
    for (i = 1; i + 1 < n; i++)
        slab_cache_free(c, o[i]);
    {
        size_t before = tu_hinfo(h).pages_free;
        ret = slab_cache_shrink(c);
        info = tu_cinfo(c);
        CHECK(info.num_slabs == info.active_slabs);
        CHECK(tu_hinfo(h).pages_free == before + ret);
        CHECK(info.num_slabs == 2 && info.active_objs == 2);
    }
    CHECK(tu_verify(o[0], 256, 0) && tu_verify(o[n - 1], 256, (uint32_t)(n - 1)));
    CHECK(tu_cache_ok(c, 2));
    CHECK(tu_heap_ok(h, 0, size));
    slab_cache_free(c, o[0]);
    slab_cache_free(c, o[n - 1]);
    slab_cache_shrink(c);
    CHECK(tu_hinfo(h).pages_free + tu_mag_pages(h) == p0);
    CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
    CHECK(tu_quiet());
    free(o);
    slab_heap_destroy(h);
    tu_region_free(&r);
}

static void t_cache_destroy(void)
{
    tu_region r;
    size_t size = (size_t)1 << 20, i, pfree, ncaches;
    slab_heap *h = tu_heap(&r, size, 0, 4096);
    slab_cache *d, *a;
    void *dobj, *o[50], *keep;
    tu_snap s0, s1;
    slab_heapinfo hi;
    REQUIRE(h != NULL);
    /* the first cache: everything it took comes back, bar the cache-of-caches slab */
    hi = tu_hinfo(h);
    a = slab_cache_create(h, "first", 100, 0, 0, NULL, NULL);
    REQUIRE(a != NULL);
    {
        slab_heapinfo after_create = tu_hinfo(h);
        for (i = 0; i < 50; i++)
            o[i] = slab_cache_alloc(a);
        for (i = 0; i < 50; i++)
            slab_cache_free(a, o[i]);
        CHECK(slab_cache_destroy(a) == SLAB_ERR_OK);
        CHECK(tu_quiet());
        CHECK(tu_hinfo(h).pages_free + tu_mag_pages(h) >= after_create.pages_free);
        CHECK(tu_hinfo(h).slab_pages - tu_mag_pages(h) <= after_create.slab_pages);
        CHECK(tu_hinfo(h).num_caches == hi.num_caches);
        CHECK(tu_heap_ok(h, 0, size));
    }

    d = slab_cache_create(h, "dummy", 32, 0, 0, NULL, NULL);
    REQUIRE(d != NULL);
    dobj = slab_cache_alloc(d);
    REQUIRE(dobj != NULL);
    tu_fill(dobj, 32, 999);
    pfree = tu_hinfo(h).pages_free;
    ncaches = tu_hinfo(h).num_caches;

    /* an emptied cache: every page comes back */
    a = slab_cache_create(h, "a", 100, 0, 0, NULL, NULL);
    REQUIRE(a != NULL);
    CHECK(tu_hinfo(h).num_caches == ncaches + 1);
    for (i = 0; i < 50; i++)
        o[i] = slab_cache_alloc(a);
    for (i = 0; i < 50; i++)
        slab_cache_free(a, o[i]);
    CHECK(slab_cache_destroy(a) == SLAB_ERR_OK);
    CHECK(tu_quiet());
    CHECK(tu_hinfo(h).pages_free == pfree);
    CHECK(tu_hinfo(h).num_caches == ncaches);
    CHECK(tu_heap_ok(h, 0, size));

    /* live objects: BUSY, and the cache and its objects stay usable */
    a = slab_cache_create(h, "busy", 100, 0, 0, NULL, NULL);
    REQUIRE(a != NULL);
    keep = slab_cache_alloc(a);
    REQUIRE(keep != NULL);
    tu_fill(keep, 100, 5);
    s0 = tu_snap_take(h, a, d, NULL);
    CHECK(slab_cache_destroy(a) == SLAB_ERR_BUSY);
#if SLAB_DEBUG || SLAB_HARDEN /* these builds also list the live object: a second report */
    CHECK(tu_g_rec.count == 2 && tu_g_rec.last == SLAB_ERR_BUSY && !tu_g_rec.bad_msg);
    tu_rec_reset();
#else
    CHECK(tu_rep(h, SLAB_ERR_BUSY));
#endif
    s1 = tu_snap_take(h, a, d, NULL);
    CHECK(tu_snap_eq(&s0, &s1));
    CHECK(tu_verify(keep, 100, 5));
    CHECK(slab_heap_check(h) == 0);
    for (i = 0; i < 50; i++) {
        o[i] = slab_cache_alloc(a);
        CHECK(o[i] != NULL);
    }
    CHECK(tu_cache_ok(a, 51));
    for (i = 0; i < 50; i++)
        slab_cache_free(a, o[i]);
    CHECK(tu_verify(keep, 100, 5));
    slab_cache_free(a, keep);
    CHECK(slab_cache_destroy(a) == SLAB_ERR_OK);
    CHECK(tu_quiet());
    /* twice: a stale handle */
    CHECK(slab_cache_destroy(a) == SLAB_ERR_BAD_HANDLE);
    CHECK(tu_rep(h, SLAB_ERR_BAD_HANDLE));
    CHECK(slab_cache_destroy(NULL) == SLAB_ERR_BAD_HANDLE);
    CHECK(tu_quiet());
    CHECK(tu_hinfo(h).pages_free == pfree);
    CHECK(tu_verify(dobj, 32, 999));
    slab_cache_free(d, dobj);
    CHECK(slab_cache_destroy(d) == SLAB_ERR_OK);
    CHECK(tu_heap_ok(h, 0, size));
    CHECK(tu_quiet());
    slab_heap_destroy(h);
    tu_region_free(&r);
}

/* A full heap: alloc fails with NOMEM, counts it, changes nothing else; memory given back
   makes it work again. */
static void t_cache_oom(void)
{
    tu_region r;
    slab_heap *h = tu_heap_pages(&r, 64, 4096);
    slab_cache *c;
    slab_slabinfo info;
    void *pages[64], **o, *p;
    size_t np, n, i;
    tu_snap s0, s1;
    REQUIRE(h != NULL);
    c = slab_cache_create(h, "oom", 512, 0, 0, NULL, NULL);
    REQUIRE(c != NULL);
    info = tu_cinfo(c);
    n = info.objperslab;
    o = (void **)malloc((n + 1) * sizeof(void *));
    REQUIRE(o != NULL);
    o[0] = slab_cache_alloc(c); /* one slab exists, one object used */
    REQUIRE(o[0] != NULL);
    tu_fill(o[0], 512, 0);
    np = tu_take_all_pages(h, pages, 64);
    CHECK(tu_rep(h, SLAB_ERR_NOMEM));
    CHECK(tu_hinfo(h).pages_free == 0);
    for (i = 1; i < n; i++) { /* the rest of the slab still works */
        o[i] = slab_cache_alloc(c);
        CHECK(o[i] != NULL);
        if (o[i] == NULL)
            break;
        tu_fill(o[i], 512, (uint32_t)i);
    }
    CHECK(tu_quiet());
    s0 = tu_snap_take(h, c, NULL, NULL);
    CHECK(slab_cache_alloc(c) == NULL);
    CHECK(tu_rep(h, SLAB_ERR_NOMEM));
    CHECK(slab_cache_zalloc(c) == NULL);
    CHECK(tu_rep(h, SLAB_ERR_NOMEM));
    s1 = tu_snap_take(h, c, NULL, NULL);
    CHECK(s1.hi.oom_count == s0.hi.oom_count + 2);
    s1.hi.oom_count = s0.hi.oom_count;
    CHECK(tu_snap_eq(&s0, &s1));
    CHECK(tu_heap_ok(h, np, 0));
    /* one object back: allocation works again, without new pages */
    slab_cache_free(c, o[3 % n]);
    p = slab_cache_alloc(c);
    CHECK(p == o[3 % n]);
    CHECK(tu_quiet());
    if (p)
        tu_fill(p, 512, (uint32_t)(3 % n));
    /* the pages back: a new slab */
    for (i = 0; i < np; i++)
        slab_pages_free(h, pages[i]);
    o[n] = slab_cache_alloc(c);
    CHECK(o[n] != NULL);
    CHECK(tu_quiet());
    CHECK(tu_cache_ok(c, n + 1));
    for (i = 0; i < n; i++)
        CHECK(tu_verify(o[i], 512, (uint32_t)i));
    for (i = 0; i <= n; i++)
        slab_cache_free(c, o[i]);
    CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
    CHECK(tu_heap_ok(h, 0, 0));
    CHECK(tu_quiet());
    free(o);
    slab_heap_destroy(h);
    tu_region_free(&r);
}

/* Before an allocation fails, the caches' empty slabs go back to the page heap (the header:
   "Allocations do this by themselves before they fail"). */
static void t_cache_oom_reclaim(void)
{
    tu_region r;
    slab_heap *h = tu_heap_pages(&r, 64, 4096);
    slab_cache *c;
    slab_slabinfo info;
    void *pages[64], *o[64];
    size_t n, i, np, kept, pfree;
    REQUIRE(h != NULL);
    c = slab_cache_create(h, "reclaim", 256, 0, 0, NULL, NULL);
    REQUIRE(c != NULL);
    info = tu_cinfo(c);
    n = 4 * info.objperslab;
    REQUIRE(n <= 64);
    for (i = 0; i < n; i++) {
        o[i] = slab_cache_alloc(c);
        REQUIRE(o[i] != NULL);
    }
    for (i = 0; i < n; i++)
        slab_cache_free(c, o[i]);
    info = tu_cinfo(c);
    kept = info.num_slabs * info.pagesperslab;
    CHECK(info.active_slabs == 0 && kept > 0);
    pfree = tu_hinfo(h).pages_free;
    /* the page heap runs dry, then takes the kept empty slabs before it says NOMEM */
    np = tu_take_all_pages(h, pages, 64);
    CHECK(np == pfree + kept);
    CHECK(tu_rep(h, SLAB_ERR_NOMEM));
    CHECK(tu_cinfo(c).num_slabs == 0);
    CHECK(tu_heap_ok(h, np, 0));
    CHECK(slab_cache_alloc(c) == NULL); /* nothing left to reclaim */
    CHECK(tu_rep(h, SLAB_ERR_NOMEM));
    for (i = 0; i < np; i++)
        slab_pages_free(h, pages[i]);
    CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
    CHECK(tu_heap_ok(h, 0, 0));
    CHECK(tu_quiet());
    slab_heap_destroy(h);
    tu_region_free(&r);
}

typedef struct tu_alloc_call {
    slab_cache *c;
    void *result;
} tu_alloc_call;

static void tu_call_alloc(void *arg)
{
    tu_alloc_call *a = (tu_alloc_call *)arg;
    a->result = slab_cache_alloc(a->c);
}

/* SLAB_PANIC: a failed allocation is reported as NOMEM, then SLAB_ABORT() runs. */
static void t_cache_panic(void)
{
    tu_region r;
    slab_heap *h = tu_heap_pages(&r, 32, 4096);
    slab_cache *c, *plain;
    void *pages[32], **o;
    size_t np, n, i;
    tu_alloc_call call;
    REQUIRE(h != NULL);
    c = slab_cache_create(h, "panic", 256, 0, SLAB_PANIC, NULL, NULL);
    plain = slab_cache_create(h, "plain", 256, 0, 0, NULL, NULL);
    REQUIRE(c != NULL && plain != NULL);
    n = tu_cinfo(c).objperslab;
    o = (void **)malloc(n * sizeof(void *));
    REQUIRE(o != NULL);
    tu_rec_reset();
    for (i = 0; i < n; i++) { /* successful allocations do not abort */
        call.c = c;
        call.result = NULL;
        CHECK(tu_catch_abort(tu_call_alloc, &call) == 0);
        o[i] = call.result;
        CHECK(o[i] != NULL);
    }
    np = tu_take_all_pages(h, pages, 32);
    tu_rec_reset();
    /* a plain cache just fails */
    call.c = plain;
    call.result = (void *)&call;
    CHECK(tu_catch_abort(tu_call_alloc, &call) == 0);
    CHECK(call.result == NULL);
    CHECK(tu_rep(h, SLAB_ERR_NOMEM));
    /* the panic cache reports, then aborts */
    call.c = c;
    call.result = (void *)&call;
    CHECK(tu_catch_abort(tu_call_alloc, &call) == 1);
    CHECK(tu_abort_calls == 1);
    CHECK(tu_abort_reports == 1); /* the report came before SLAB_ABORT() */
    CHECK(tu_rep(h, SLAB_ERR_NOMEM));
    CHECK(slab_heap_check(h) == 0);
    CHECK(tu_cache_ok(c, n));
    for (i = 0; i < n; i++)
        slab_cache_free(c, o[i]);
    for (i = 0; i < np; i++)
        slab_pages_free(h, pages[i]);
    CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
    CHECK(slab_cache_destroy(plain) == SLAB_ERR_OK);
    CHECK(tu_heap_ok(h, 0, 0));
    CHECK(tu_quiet());
    free(o);
    slab_heap_destroy(h);
    tu_region_free(&r);
}

/* Many caches at once: the cache of caches grows past one slab and shrinks back. */
static void t_cache_many(void)
{
    enum { NC = 150 };
    tu_region r;
    size_t size = (size_t)8 << 20, i;
    slab_heap *h = tu_heap(&r, size, 0, 4096);
    slab_cache *c[NC];
    void *o[NC];
    char name[32];
    REQUIRE(h != NULL);
    for (i = 0; i < NC; i++) {
        sprintf(name, "cache%u", (unsigned)i);
        c[i] = slab_cache_create(h, name, 8 + i * 8, 0, 0, NULL, NULL);
        REQUIRE(c[i] != NULL);
        o[i] = slab_cache_alloc(c[i]);
        REQUIRE(o[i] != NULL);
        tu_fill(o[i], 8 + i * 8, (uint32_t)i);
    }
    CHECK(tu_hinfo(h).num_caches == NC + TU_OWN_CACHES);
    CHECK(tu_heap_ok(h, 0, size));
    for (i = 0; i < NC; i++) {
        sprintf(name, "cache%u", (unsigned)i);
        CHECK(strcmp(tu_cinfo(c[i]).name, name) == 0);
        CHECK(tu_verify(o[i], 8 + i * 8, (uint32_t)i));
        CHECK(tu_cache_ok(c[i], 1));
    }
    for (i = 0; i < NC; i++) {
        slab_cache_free(c[i], o[i]);
        CHECK(slab_cache_destroy(c[i]) == SLAB_ERR_OK);
    }
    CHECK(tu_hinfo(h).num_caches == TU_OWN_CACHES);
    CHECK(tu_hinfo(h).slab_pages - tu_mag_pages(h) < 32); /* magazines: their size is the build's */
    CHECK(tu_heap_ok(h, 0, size));
    CHECK(tu_quiet());
    slab_heap_destroy(h);
    tu_region_free(&r);
}
