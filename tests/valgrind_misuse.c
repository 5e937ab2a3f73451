/* valgrind_misuse.c - Valgrind (memcheck) reports misuse of a SLAB_VALGRIND build (issue 4).

   Run without arguments, it runs itself under valgrind once per case and checks the verdict:
     clean      correct use of caches, kmalloc, krealloc, vzalloc: no error, exit status 0
     uaf        a read of a kmalloc object after slab_kfree: "Invalid read"
     uaf_cache  a write to a cache object after slab_cache_free: "Invalid write"
     uaf_vfree  a read of a vmalloc block after slab_vfree: "Invalid read"
     overflow   a write one byte past a kmalloc request (inside its size class): "Invalid write"
     leak       a kmalloc object (40 bytes) whose last pointer is lost: "definitely lost"
   Each case counts as passed only if valgrind said what it should (and, for the misuse, exited
   with --error-exitcode); the last line is "N passed, N failed". With an argument it runs that
   case (that is what valgrind runs). VALGRIND names the valgrind binary (default: valgrind).

   Built by `make test-valgrind` (gcc -O1 -g -DSLAB_VALGRIND). */
#define _POSIX_C_SOURCE 200809L
#define SLAB_IMPLEMENTATION
#include "slab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static unsigned char *g_region; /* reachable to the end: only the lost object leaks */
static slab_heap *g_heap;
static void *volatile g_sink;

static int run_case(const char *name)
{
    size_t size = (size_t)1 << 20;
    volatile unsigned char *p;
    slab_cache *c;
    g_region = (unsigned char *)malloc(size);
    g_heap = g_region ? slab_heap_init(g_region, size, NULL) : NULL;
    if (g_heap == NULL)
        return 2;
    c = slab_cache_create(g_heap, "misuse", 48, 0, 0, NULL, NULL);
    if (strcmp(name, "clean") == 0) {
        unsigned char *a = (unsigned char *)slab_kmalloc(g_heap, 20);
        unsigned char *b = (unsigned char *)slab_cache_alloc(c);
        unsigned char *v = (unsigned char *)slab_vzalloc(g_heap, 9000);
        unsigned char *k = (unsigned char *)slab_kzalloc(g_heap, 100);
        if (!a || !b || !v || !k)
            return 2;
        if (v[0] != 0 || v[8999] != 0 || k[0] != 0 || k[99] != 0) /* zeroed: defined */
            return 3;
        memset(a, 1, 20);
        memset(b, 2, 48);
        v[8999] = 3;
        a = (unsigned char *)slab_krealloc(g_heap, a, 30);
        if (!a)
            return 2;
        memset(a + 20, 4, 10);
        slab_kfree(g_heap, a);
        slab_kfree(g_heap, k);
        slab_cache_free(c, b);
        slab_vfree(g_heap, v);
    } else if (strcmp(name, "uaf") == 0) {
        p = (unsigned char *)slab_kmalloc(g_heap, 20);
        slab_kfree(g_heap, (void *)p);
        g_sink = (void *)(uintptr_t)p[3];
    } else if (strcmp(name, "uaf_cache") == 0) {
        p = (unsigned char *)slab_cache_alloc(c);
        slab_cache_free(c, (void *)p);
        p[10] = 1;
    } else if (strcmp(name, "uaf_vfree") == 0) {
        p = (unsigned char *)slab_vmalloc(g_heap, 9000);
        slab_vfree(g_heap, (void *)p);
        g_sink = (void *)(uintptr_t)p[100];
    } else if (strcmp(name, "overflow") == 0) {
        p = (unsigned char *)slab_kmalloc(g_heap, 20);
        p[20] = 1;
        slab_kfree(g_heap, (void *)p);
    } else if (strcmp(name, "leak") == 0) {
        p = (unsigned char *)slab_kmalloc(g_heap, 40);
        p[0] = 1;
        p = NULL; /* the only pointer to it: lost, and the heap is never destroyed */
        return 0;
    } else {
        return 2;
    }
    slab_cache_destroy(c);
    slab_heap_destroy(g_heap);
    free(g_region);
    return 0;
}

typedef struct vm_case {
    const char *name;
    int misuse;        /* valgrind must fail the run */
    const char *want;  /* text valgrind must print (NULL: none) */
} vm_case;

int main(int argc, char **argv)
{
    static const vm_case cases[] = {
        {"clean", 0, NULL},
        {"uaf", 1, "Invalid read of size 1"},
        {"uaf_cache", 1, "Invalid write of size 1"},
        {"uaf_vfree", 1, "Invalid read of size 1"},
        {"overflow", 1, "Invalid write of size 1"},
        {"leak", 1, "40 bytes in 1 blocks are definitely lost"},
    };
    const char *vg = getenv("VALGRIND");
    unsigned passed = 0, failed = 0;
    size_t i;
    if (argc > 1)
        return run_case(argv[1]);
    if (vg == NULL || *vg == '\0')
        vg = "valgrind";
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char cmd[1024], line[512], *out = NULL;
        size_t len = 0;
        FILE *f;
        int status, code, ok;
        snprintf(cmd, sizeof cmd,
                 "%s --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite "
                 "--show-leak-kinds=definite %s %s 2>&1",
                 vg, argv[0], cases[i].name);
        f = popen(cmd, "r");
        if (f == NULL) {
            printf("FAIL %s: cannot run %s\n", cases[i].name, vg);
            failed++;
            continue;
        }
        while (fgets(line, sizeof line, f) != NULL) {
            size_t n = strlen(line);
            char *grown = (char *)realloc(out, len + n + 1);
            if (grown == NULL)
                break;
            out = grown;
            memcpy(out + len, line, n + 1);
            len += n;
        }
        status = pclose(f);
        code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        ok = cases[i].misuse ? code == 99 && out && strstr(out, cases[i].want) != NULL
                             : code == 0 && out && strstr(out, "ERROR SUMMARY: 0 errors") != NULL;
        if (ok) {
            printf("ok   %s: valgrind %s\n", cases[i].name,
                   cases[i].misuse ? "reported it" : "reported no error");
            passed++;
        } else {
            printf("FAIL %s: valgrind exit status %d, expected %s; its output:\n%s\n",
                   cases[i].name, code,
                   cases[i].misuse ? "99 and a report" : "0 and no error", out ? out : "");
            failed++;
        }
        free(out);
    }
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
