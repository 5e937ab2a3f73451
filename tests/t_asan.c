/* t_asan.c - AddressSanitizer sees misuse inside the arena (issue 4): the library poisons free
   objects, red zones, slab leftovers and free pages, and unpoisons exactly the bytes it hands
   out, so ASan itself reports a one-byte overflow and a use after free of cache objects,
   kmalloc objects and vmalloc blocks.

   Each bad access runs in a child process (fork) whose stderr comes back through a pipe: the
   test passes only if the child died with an AddressSanitizer "use-after-poison" report of the
   expected access at the expected address. Builds without ASan skip these tests (not counted
   as passed). */

#if TU_ASAN
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct ta_access {
    volatile unsigned char *p;
    int write; /* 1: write one byte, 0: read one */
} ta_access;

static void ta_touch(const ta_access *a)
{
    if (a->write)
        *a->p = 0x42;
    else
        (void)*a->p;
}

/* Does the bad access in a child; returns 1 when the child died with an ASan report of kind
   `kind`, of a one-byte access of the right direction at a->p. */
static int ta_child_reports(const ta_access *a, const char *kind)
{
    int fds[2], status = 0, ok;
    pid_t pid;
    size_t len = 0, cap = (size_t)1 << 16;
    char *out = (char *)malloc(cap + 1), addr[32], access[64];
    if (out == NULL)
        return 0;
    fflush(stdout);
    fflush(stderr);
    if (pipe(fds) != 0) {
        free(out);
        return 0;
    }
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        free(out);
        return 0;
    }
    if (pid == 0) { /* the child: its stderr (ASan's report) goes to the pipe */
        close(fds[0]);
        dup2(fds[1], 2);
        ta_touch(a);
        _exit(0); /* not reported: the parent sees a clean exit */
    }
    close(fds[1]);
    for (;;) {
        char scratch[4096];
        ssize_t n = len < cap ? read(fds[0], out + len, cap - len)
                              : read(fds[0], scratch, sizeof scratch); /* drain the rest */
        if (n <= 0)
            break;
        if (len < cap)
            len += (size_t)n;
    }
    close(fds[0]);
    out[len] = '\0';
    if (waitpid(pid, &status, 0) != pid)
        status = 0;
    snprintf(addr, sizeof addr, "%p", (const void *)a->p);
    snprintf(access, sizeof access, "%s of size 1 at %s", a->write ? "WRITE" : "READ", addr);
    ok = !(WIFEXITED(status) && WEXITSTATUS(status) == 0) &&
         strstr(out, "ERROR: AddressSanitizer") != NULL && strstr(out, kind) != NULL &&
         strstr(out, access) != NULL;
    if (!ok) {
        printf("    child: %s %d; expected an ASan %s report with \"%s\"; its stderr:\n%.3000s\n",
               WIFEXITED(status) ? "exit status" : "signal",
               WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), kind, access, out);
    }
    free(out);
    return ok;
}

/* Whether a one-byte access (write or read) at p dies with ASan's poison report. */
static int ta_poisoned(unsigned char *p, int write)
{
    ta_access a;
    a.p = p;
    a.write = write;
    return ta_child_reports(&a, "use-after-poison");
}

static slab_heap *ta_heap(tu_region *r)
{
    slab_heap_config cfg = tu_cfg(4096);
    return tu_heap_cfg(r, (size_t)1 << 20, 0, &cfg);
}

typedef void *(*ta_alloc_fn)(slab_heap *h, size_t size);
typedef void (*ta_free_fn)(slab_heap *h, void *p);

/* For each size: a one-byte write just past the bytes asked for is reported. */
static void ta_overflow(ta_alloc_fn alloc, ta_free_fn release, const size_t *reqs, size_t n)
{
    tu_region r;
    slab_heap *h = ta_heap(&r);
    size_t i;
    REQUIRE(h != NULL);
    for (i = 0; i < n; i++) {
        unsigned char *p = (unsigned char *)alloc(h, reqs[i]);
        REQUIRE(p != NULL);
        memset(p, 1, reqs[i]);
        CHECK(ta_poisoned(p + reqs[i], 1));
        release(h, p);
    }
    tu_done(h, &r, 0);
}

/* A read of the first byte and a write of the last of a freed block of size bytes are
   reported (another block stays allocated beside it). */
static void ta_use_after_free(ta_alloc_fn alloc, ta_free_fn release, size_t size)
{
    tu_region r;
    slab_heap *h = ta_heap(&r);
    unsigned char *p, *keep;
    REQUIRE(h != NULL);
    keep = (unsigned char *)alloc(h, size);
    p = (unsigned char *)alloc(h, size);
    REQUIRE(keep && p);
    memset(p, 1, size);
    release(h, p);
    CHECK(ta_poisoned(p, 0));
    CHECK(ta_poisoned(p + size - 1, 1));
    release(h, keep);
    tu_done(h, &r, 0);
}

/* The functions themselves (a debug build's macros of the same names take call sites). */
static void *ta_kmalloc(slab_heap *h, size_t size) { return (slab_kmalloc)(h, size); }
static void ta_kfree(slab_heap *h, void *p) { (slab_kfree)(h, p); }
static void *ta_vmalloc(slab_heap *h, size_t size) { return (slab_vmalloc)(h, size); }
static void ta_vfree(slab_heap *h, void *p) { (slab_vfree)(h, p); }
#endif

/* A one-byte write just past a cache object: into the slot's tail (20-byte objects in 24-byte
   slots) and into the next, free object (24-byte objects; a red zone in debug builds). */
static void t_asan_cache_overflow(void)
{
#if !TU_ASAN
    TU_SKIP("needs AddressSanitizer");
#else
    static const size_t sizes[] = {20, 24, 100};
    tu_region r;
    slab_heap *h = ta_heap(&r);
    size_t i;
    REQUIRE(h != NULL);
    for (i = 0; i < 3; i++) {
        slab_cache *c = slab_cache_create(h, "asan", sizes[i], 0, 0, NULL, NULL);
        unsigned char *o;
        REQUIRE(c != NULL);
        o = (unsigned char *)slab_cache_alloc(c);
        REQUIRE(o != NULL);
        memset(o, 1, sizes[i]); /* every byte of it is the program's */
        CHECK(ta_poisoned(o + sizes[i], 1));
        slab_cache_free(c, o);
        CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
    }
    tu_done(h, &r, 0);
#endif
}

/* A read of a freed cache object (in the cache's magazine, or back on its slab). */
static void t_asan_cache_use_after_free(void)
{
#if !TU_ASAN
    TU_SKIP("needs AddressSanitizer");
#else
    tu_region r;
    slab_heap *h = ta_heap(&r);
    slab_cache *c;
    unsigned char *o, *keep;
    REQUIRE(h != NULL);
    c = slab_cache_create(h, "asan_uaf", 64, 0, 0, NULL, NULL);
    REQUIRE(c != NULL);
    keep = (unsigned char *)slab_cache_alloc(c);
    o = (unsigned char *)slab_cache_alloc(c);
    REQUIRE(keep && o);
    slab_cache_free(c, o);
    CHECK(ta_poisoned(o + 10, 0));
    slab_cache_shrink(c); /* now on its slab's free list */
    CHECK(ta_poisoned(o + 63, 1));
    slab_cache_free(c, keep);
    CHECK(slab_cache_destroy(c) == SLAB_ERR_OK);
    tu_done(h, &r, 0);
#endif
}

/* A one-byte write just past the requested size of a kmalloc object (inside its class). */
static void t_asan_kmalloc_overflow(void)
{
#if !TU_ASAN
    TU_SKIP("needs AddressSanitizer");
#else
    static const size_t reqs[] = {20, 24, 33, 64};
    ta_overflow(ta_kmalloc, ta_kfree, reqs, sizeof reqs / sizeof reqs[0]);
#endif
}

static void t_asan_kmalloc_use_after_free(void)
{
#if !TU_ASAN
    TU_SKIP("needs AddressSanitizer");
#else
    ta_use_after_free(ta_kmalloc, ta_kfree, 100);
#endif
}

/* A one-byte write past the requested size of a vmalloc block (the rest of its last page). */
static void t_asan_vmalloc_overflow(void)
{
#if !TU_ASAN
    TU_SKIP("needs AddressSanitizer");
#else
    static const size_t reqs[] = {5001, 5000, 4096 * 3 - 1};
    ta_overflow(ta_vmalloc, ta_vfree, reqs, sizeof reqs / sizeof reqs[0]);
#endif
}

static void t_asan_vmalloc_use_after_free(void)
{
#if !TU_ASAN
    TU_SKIP("needs AddressSanitizer");
#else
    ta_use_after_free(ta_vmalloc, ta_vfree, 6000);
#endif
}
