/* t_stress.c - seeded random walks over one heap with four caches (one with a constructor) and
   page blocks. A shadow model records every live block; after every step the heap check
   passes, no two live blocks overlap (an ownership byte per region byte), the touched blocks
   keep their bytes (all of them every TS_VERIFY_ALL steps) and the figures match the model. */

#define TS_NCACHE 4
#define TS_MAXLIVE 3000
#define TS_VERIFY_ALL 256
#define TS_PAGES TS_NCACHE /* kind of a page block */

typedef struct ts_block {
    unsigned char *p;
    size_t len;
    uint32_t id;
    unsigned kind;  /* cache index, or TS_PAGES */
    unsigned order; /* page blocks */
} ts_block;

typedef struct ts_state {
    tu_region r;
    slab_heap *h;
    size_t ps;
    slab_cache *c[TS_NCACHE];
    size_t csize[TS_NCACHE], calign[TS_NCACHE];
    int cctor[TS_NCACHE];
    size_t count[TS_NCACHE];
    size_t user_pages;
    size_t oom;
    ts_block *live;
    size_t nlive;
    unsigned char *owned; /* 1 per byte of the region held by a live block */
    uint32_t *lastid;     /* per 4-byte granule: pattern id a freed ctor object kept */
    uint32_t next_id;
    tu_ctor_ctx x;
    tu_rng g;
    uint64_t seed;
    unsigned long step;
    const char *op;
} ts_state;

#define TS_FAIL(st, cond)                                                                     \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            tu_fail(__FILE__, __LINE__, #cond);                                               \
            printf("    (seed %lu, step %lu, op %s)\n", (unsigned long)(st)->seed,          \
                   (st)->step, (st)->op);                                                     \
            return 0;                                                                         \
        }                                                                                     \
    } while (0)

static size_t ts_granule(const ts_state *st, const void *p)
{
    return (size_t)((uintptr_t)p - (uintptr_t)st->r.base) >> 2;
}

/* A block the library handed out: inside, aligned, not overlapping anything live, in the state
   the contract promises (zeroed, constructed, or as freed); then filled with a new pattern. */
static int ts_add(ts_state *st, void *vp, unsigned kind, unsigned order, int zeroed)
{
    unsigned char *p = (unsigned char *)vp;
    size_t len = kind == TS_PAGES ? st->ps << order : st->csize[kind], i;
    size_t align = kind == TS_PAGES ? st->ps : st->calign[kind];
    ts_block *b;
    TS_FAIL(st, p != NULL);
    TS_FAIL(st, st->nlive < TS_MAXLIVE);
    TS_FAIL(st, tu_inside(&st->r, p, len));
    TS_FAIL(st, tu_aligned(p, align));
    for (i = 0; i < len; i++)
        if (st->owned[(size_t)(p - st->r.base) + i])
            break;
    TS_FAIL(st, i == len); /* overlaps nothing live */
    memset(st->owned + (p - st->r.base), 1, len);
    if (zeroed)
        TS_FAIL(st, tu_all_bytes(p, len, 0));
    if (kind != TS_PAGES && st->cctor[kind]) {
        uint32_t last = st->lastid[ts_granule(st, p)];
        TS_FAIL(st, tu_verify(p, len, 0) || (last != 0 && tu_verify(p, len, last)));
    }
    b = &st->live[st->nlive++];
    b->p = p;
    b->len = len;
    b->id = st->next_id++;
    b->kind = kind;
    b->order = order;
    tu_fill(p, len, b->id);
    if (kind == TS_PAGES)
        st->user_pages += (size_t)1 << order;
    else
        st->count[kind]++;
    return 1;
}

/* Before a block goes back: its bytes are intact; the model forgets it (index i). */
static int ts_remove(ts_state *st, size_t i)
{
    ts_block b = st->live[i];
    TS_FAIL(st, tu_verify(b.p, b.len, b.id));
    memset(st->owned + (b.p - st->r.base), 0, b.len);
    if (b.kind == TS_PAGES)
        st->user_pages -= (size_t)1 << b.order;
    else {
        st->count[b.kind]--;
        if (st->cctor[b.kind])
            st->lastid[ts_granule(st, b.p)] = b.id;
    }
    st->live[i] = st->live[--st->nlive];
    return 1;
}

/* Figures of the heap and all four caches. */
static tu_snap ts_snap(ts_state *st)
{
    tu_snap s = tu_snap_take(st->h, st->c[0], st->c[1], st->c[2]);
    s.ci[s.nc++] = tu_cinfo(st->c[3]);
    return s;
}

static int ts_pick(ts_state *st, int want_pages, size_t *out)
{
    size_t start, k;
    if (st->nlive == 0)
        return 0;
    start = tu_below(&st->g, st->nlive);
    for (k = 0; k < st->nlive; k++) {
        size_t i = (start + k) % st->nlive;
        if ((st->live[i].kind == TS_PAGES) == (want_pages != 0)) {
            *out = i;
            return 1;
        }
    }
    return 0;
}

/* A failed allocation: NOMEM reported once, oom_count + 1, nothing else changed. */
static int ts_nomem(ts_state *st, const tu_snap *s0, int strict)
{
    tu_snap s1 = ts_snap(st);
    TS_FAIL(st, tu_rep(st->h, SLAB_ERR_NOMEM));
    TS_FAIL(st, s1.hi.oom_count >= st->oom + 1);
    st->oom = s1.hi.oom_count;
    if (strict)
        TS_FAIL(st, tu_snap_eq_after_oom(s0, &s1));
    return 1;
}

static int ts_op_alloc(ts_state *st, int zero)
{
    unsigned k = (unsigned)tu_below(&st->g, TS_NCACHE);
    tu_snap s0;
    void *p;
    if (zero && st->cctor[k])
        k = (k + 1) % TS_NCACHE;
    st->op = zero ? "zalloc" : "alloc";
    if (st->nlive + 1 >= TS_MAXLIVE)
        return 1;
    s0 = ts_snap(st);
    p = zero ? slab_cache_zalloc(st->c[k]) : slab_cache_alloc(st->c[k]);
    if (p == NULL)
        return ts_nomem(st, &s0, 1);
    TS_FAIL(st, tu_quiet());
    return ts_add(st, p, k, 0, zero);
}

static int ts_op_free(ts_state *st)
{
    size_t i;
    ts_block b;
    st->op = "free";
    if (!ts_pick(st, 0, &i))
        return 1;
    b = st->live[i];
    if (!ts_remove(st, i))
        return 0;
    slab_cache_free(st->c[b.kind], b.p);
    TS_FAIL(st, tu_quiet());
    return 1;
}

static int ts_op_bulk_alloc(ts_state *st)
{
    unsigned k = (unsigned)tu_below(&st->g, TS_NCACHE);
    size_t n = 1 + tu_below(&st->g, 40), i, got;
    void *out[40];
    tu_snap s0;
    st->op = "bulk alloc";
    if (st->nlive + n >= TS_MAXLIVE)
        return 1;
    s0 = ts_snap(st);
    got = slab_cache_alloc_bulk(st->c[k], n, out);
    if (got == 0) {
        TS_FAIL(st, tu_cinfo(st->c[k]).active_objs == st->count[k]);
        return ts_nomem(st, &s0, 0);
    }
    TS_FAIL(st, got == n);
    TS_FAIL(st, tu_quiet());
    for (i = 0; i < n; i++)
        if (!ts_add(st, out[i], k, 0, 0))
            return 0;
    return 1;
}

static int ts_cmp_size_desc(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

static int ts_op_bulk_free(ts_state *st)
{
    unsigned k = (unsigned)tu_below(&st->g, TS_NCACHE);
    size_t want = 1 + tu_below(&st->g, 40), idx[40], n = 0, m = 0, j, start;
    void *arr[80];
    st->op = "bulk free";
    if (st->nlive == 0)
        return 1;
    start = tu_below(&st->g, st->nlive);
    for (j = 0; j < st->nlive && n < want; j++) {
        size_t i = (start + j) % st->nlive;
        if (st->live[i].kind == k && tu_below(&st->g, 2) == 0)
            idx[n++] = i;
    }
    for (j = 0; j < n; j++) {
        if (tu_below(&st->g, 4) == 0)
            arr[m++] = NULL;
        arr[m++] = st->live[idx[j]].p;
    }
    qsort(idx, n, sizeof idx[0], ts_cmp_size_desc); /* remove from the back first */
    for (j = 0; j < n; j++)
        if (!ts_remove(st, idx[j]))
            return 0;
    TS_FAIL(st, slab_cache_free_bulk(st->c[k], m, arr) == n);
    TS_FAIL(st, tu_quiet());
    return 1;
}

static int ts_op_shrink(ts_state *st)
{
    unsigned k = (unsigned)tu_below(&st->g, TS_NCACHE);
    size_t before = tu_hinfo(st->h).pages_free, got;
    slab_slabinfo ci;
    st->op = "shrink";
    got = slab_cache_shrink(st->c[k]);
    ci = tu_cinfo(st->c[k]);
    TS_FAIL(st, ci.num_slabs == ci.active_slabs);
    TS_FAIL(st, tu_hinfo(st->h).pages_free == before + got);
    TS_FAIL(st, tu_quiet());
    return 1;
}

static int ts_op_pages_alloc(ts_state *st)
{
    unsigned order = (unsigned)(tu_below(&st->g, 8) < 5 ? 0 : 1 + tu_below(&st->g, 4));
    tu_snap s0;
    void *p;
    st->op = "pages alloc";
    if (st->nlive + 1 >= TS_MAXLIVE)
        return 1;
    s0 = ts_snap(st);
    p = slab_pages_alloc(st->h, order);
    if (p == NULL)
        return ts_nomem(st, &s0, 1);
    TS_FAIL(st, tu_quiet());
    return ts_add(st, p, TS_PAGES, order, 0);
}

static int ts_op_pages_free(ts_state *st)
{
    size_t i;
    void *p;
    st->op = "pages free";
    if (!ts_pick(st, 1, &i))
        return 1;
    p = st->live[i].p;
    if (!ts_remove(st, i))
        return 0;
    slab_pages_free(st->h, p);
    TS_FAIL(st, tu_quiet());
    return 1;
}

/* A refused call in the middle of the walk: the right code, and no figure moves. */
static int ts_op_misuse(ts_state *st)
{
    size_t i;
    unsigned what = (unsigned)tu_below(&st->g, 4);
    tu_snap s0, s1;
    ts_block b;
    int released = 0;
    st->op = "misuse";
    if (!ts_pick(st, what == 3, &i))
        return 1;
    b = st->live[i];
    if (what == 0) { /* double free, right after the free */
        size_t slabs = tu_cinfo(st->c[b.kind]).num_slabs;
        if (!ts_remove(st, i))
            return 0;
        slab_cache_free(st->c[b.kind], b.p);
        TS_FAIL(st, tu_quiet());
        released = tu_cinfo(st->c[b.kind]).num_slabs < slabs;
    }
    s0 = ts_snap(st);
    switch (what) {
    case 0:
        st->op = "misuse: double free";
        slab_cache_free(st->c[b.kind], b.p);
        /* if an emptied slab went back to the page heap, b.p may now lie in a free page */
        if (released && tu_g_rec.last == SLAB_ERR_INVALID_POINTER)
            TS_FAIL(st, tu_rep(st->h, SLAB_ERR_INVALID_POINTER));
        else
            TS_FAIL(st, tu_rep(st->h, SLAB_ERR_DOUBLE_FREE));
        break;
    case 1:
        st->op = "misuse: interior";
        slab_cache_free(st->c[b.kind], b.p + 1 + tu_below(&st->g, b.len - 1));
        TS_FAIL(st, tu_rep(st->h, SLAB_ERR_INVALID_POINTER));
        break;
    case 2:
        st->op = "misuse: wrong cache";
        slab_cache_free(st->c[(b.kind + 1 + tu_below(&st->g, TS_NCACHE - 1)) % TS_NCACHE], b.p);
        TS_FAIL(st, tu_rep(st->h, SLAB_ERR_WRONG_CACHE));
        break;
    default:
        st->op = "misuse: pages interior";
        slab_pages_free(st->h, b.p + (b.order ? st->ps : 8));
        TS_FAIL(st, tu_rep(st->h, SLAB_ERR_INVALID_POINTER));
        break;
    }
    s1 = ts_snap(st);
    TS_FAIL(st, tu_snap_eq(&s0, &s1));
    if (what != 0)
        TS_FAIL(st, tu_verify(b.p, b.len, b.id));
    return 1;
}

/* The model against the library, after every step. */
static int ts_verify(ts_state *st, int all)
{
    size_t k;
    TS_FAIL(st, slab_heap_check(st->h) == 0);
    TS_FAIL(st, tu_heap_ok(st->h, st->user_pages, st->r.size));
    TS_FAIL(st, tu_hinfo(st->h).oom_count == st->oom);
    for (k = 0; k < TS_NCACHE; k++) {
        TS_FAIL(st, tu_cinfo(st->c[k]).active_objs == st->count[k]);
        TS_FAIL(st, tu_cache_ok(st->c[k], st->count[k]));
    }
    if (all)
        for (k = 0; k < st->nlive; k++)
            TS_FAIL(st, tu_verify(st->live[k].p, st->live[k].len, st->live[k].id));
    TS_FAIL(st, st->x.misaligned == 0);
    return 1;
}

static int ts_step(ts_state *st)
{
    unsigned r = (unsigned)tu_below(&st->g, 100);
    size_t free_pages = tu_hinfo(st->h).pages_free;
    /* under pressure (few free pages or many live blocks) alloc turns into free */
    int full = free_pages < 8 || st->nlive + 64 >= TS_MAXLIVE;
    if (full && tu_below(&st->g, 2) == 0 && r < 74)
        r = 33 + (r % 25);
    if (r < 28)
        return ts_op_alloc(st, 0);
    if (r < 33)
        return ts_op_alloc(st, 1);
    if (r < 58)
        return ts_op_free(st);
    if (r < 65)
        return ts_op_bulk_alloc(st);
    if (r < 72)
        return ts_op_bulk_free(st);
    if (r < 74)
        return ts_op_shrink(st);
    if (r < 84)
        return full ? ts_op_pages_free(st) : ts_op_pages_alloc(st);
    if (r < 96)
        return ts_op_pages_free(st);
    return ts_op_misuse(st);
}

static void ts_run(uint64_t seed, size_t ps, size_t size, size_t offset, unsigned long steps)
{
    static const struct {
        const char *name;
        size_t size, align;
        unsigned flags;
        int ctor;
    } cs[TS_NCACHE] = {{"s24", 24, 0, 0, 0},
                       {"s200hw", 200, 0, SLAB_HWCACHE_ALIGN, 0},
                       {"ctor72", 72, 16, 0, 1},
                       {"s3000", 3000, 64, SLAB_RECLAIM_ACCOUNT, 0}};
    ts_state *st = (ts_state *)calloc(1, sizeof(ts_state));
    size_t k;
    int ok = 1;
    REQUIRE(st != NULL);
    st->ps = ps;
    st->g.s = seed;
    st->seed = seed;
    st->next_id = 1;
    st->h = tu_heap(&st->r, size, offset, ps);
    st->live = (ts_block *)calloc(TS_MAXLIVE, sizeof(ts_block));
    st->owned = (unsigned char *)calloc(size, 1);
    st->lastid = (uint32_t *)calloc(size / 4 + 1, sizeof(uint32_t));
    REQUIRE(st->h != NULL && st->live && st->owned && st->lastid);
    st->x.size = 72;
    st->x.align = 16;
    for (k = 0; k < TS_NCACHE; k++) {
        st->c[k] = slab_cache_create(st->h, cs[k].name, cs[k].size, cs[k].align, cs[k].flags,
                                     cs[k].ctor ? tu_ctor : NULL, &st->x);
        REQUIRE(st->c[k] != NULL);
        st->csize[k] = cs[k].size;
        st->calign[k] = tu_cinfo(st->c[k]).align;
        st->cctor[k] = cs[k].ctor;
        CHECK(st->calign[k] >= (cs[k].align ? cs[k].align : sizeof(void *)));
    }
    tu_rec_reset();
    for (st->step = 0; st->step < steps && ok; st->step++) {
        ok = ts_step(st) && ts_verify(st, st->step % TS_VERIFY_ALL == 0);
    }
    CHECK(ok);
    /* wind down: everything back, shrink, destroy; the heap is whole again (after a failed
       step the model is not to be trusted: just release the memory) */
    while (ok && st->nlive > 0) {
        ts_block b = st->live[st->nlive - 1];
        ok = ts_remove(st, st->nlive - 1);
        if (b.kind == TS_PAGES)
            slab_pages_free(st->h, b.p);
        else
            slab_cache_free(st->c[b.kind], b.p);
    }
    if (ok) {
        for (k = 0; k < TS_NCACHE; k++) {
            CHECK(tu_cache_ok(st->c[k], 0));
            CHECK(slab_cache_destroy(st->c[k]) == SLAB_ERR_OK);
        }
        CHECK(tu_quiet());
        CHECK(tu_heap_ok(st->h, 0, size));
        CHECK(tu_hinfo(st->h).num_caches == TU_OWN_CACHES);
    }
    tu_rec_reset();
    slab_heap_destroy(st->h);
    tu_region_free(&st->r);
    free(st->live);
    free(st->owned);
    free(st->lastid);
    free(st);
}

static void t_stress_seeds(void)
{
    ts_run(1, 4096, (size_t)4 << 20, 3, 8000);
    ts_run(2, 4096, (size_t)4 << 20, 0, 8000);
    ts_run(0xdeadbeefu, 4096, (size_t)3 << 20, 11, 8000);
}

/* Small pages and a small heap: memory runs out often, and slabs span several pages. */
static void t_stress_small_pages(void)
{
    ts_run(7, 256, (size_t)1 << 20, 5, 8000);
    ts_run(8, 512, (size_t)600 << 10, 1, 8000);
}

/* Heaps small enough that allocations fail often: every failure is NOMEM, counted once, and
   changes nothing but what reclaim may release. */
static void t_stress_oom(void)
{
    ts_run(9, 4096, (size_t)512 << 10, 2, 8000);
    ts_run(10, 256, (size_t)200 << 10, 9, 8000);
}
