/* lua_alloc.c - Lua 5.4 with slab.h as its allocator.

   A game engine that embeds Lua wants the scripts' memory in a heap of its own: bounded, so a
   runaway script gets "not enough memory" instead of taking the process down, and visible, so
   the slabinfo table shows what the scripts hold. lua_newstate takes an allocator function;
   this one is slab_krealloc over a heap of 8 MiB. Lua's small objects (strings, tables,
   closures) land in the kmalloc size classes, large arrays on whole pages.

   The workload builds tables and strings, lets the garbage collector run, then starts a
   runaway allocation inside pcall: the heap refuses it, Lua raises a memory error, the script
   catches it and goes on. At the end the heap's slabinfo table is printed, and after
   lua_close every block is back (slab_heap_check passes, no object is left in a class).

   Build: cc -std=c99 -I. -I/usr/include/lua5.4 examples/lua_alloc.c -llua5.4
   (Debian: apt-get install liblua5.4-dev; make test builds and runs it). */
#define SLAB_IMPLEMENTATION
#include "slab.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <string.h>

static unsigned char script_memory[8u << 20];
static size_t refused;  // allocations the heap refused (the runaway script)

/* Lua's allocator contract: nsize 0 frees and returns NULL; otherwise realloc semantics.
   Lua also assumes that shrinking never fails: if a smaller block cannot be had, keep the old
   one, which is large enough. */
static void *lua_slab_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    slab_heap *heap = (slab_heap *)ud;
    void *p;
    if (nsize == 0) {
        slab_kfree(heap, ptr);
        return NULL;
    }
    p = slab_krealloc(heap, ptr, nsize);
    if (!p && ptr && nsize <= osize)
        return ptr;
    return p;
}

/* Out-of-memory is expected here (the runaway script): count it quietly; show anything else. */
static void on_error(slab_heap *heap, slab_error code, const void *ptr, const char *msg,
                     void *user)
{
    (void)heap;
    (void)user;
    if (code == SLAB_ERR_NOMEM)
        refused++;
    else
        (void)fprintf(stderr, "slab.h: %s: %s (%p)\n", slab_error_name(code), msg, ptr);
}

static void print_line(const char *line, void *user)
{
    (void)user;
    (void)fputs(line, stdout);
}

static const char *script =
    "local t0 = os.clock()\n"
    "-- tables and strings, the usual load of a game script\n"
    "local enemies = {}\n"
    "for i = 1, 20000 do\n"
    "  enemies[i] = { id = i, name = 'enemy' .. i, pos = { x = i * 0.5, y = -i } }\n"
    "end\n"
    "local n = 0\n"
    "for _, e in ipairs(enemies) do if e.id % 3 == 0 then n = n + #e.name end end\n"
    "enemies = nil\n"
    "collectgarbage('collect')\n"
    "-- closures and string building\n"
    "local parts = {}\n"
    "for i = 1, 5000 do\n"
    "  local f = function(a) return a * i end\n"
    "  parts[#parts + 1] = tostring(f(2))\n"
    "end\n"
    "local joined = table.concat(parts, ',')\n"
    "-- a runaway allocation: the heap says no, Lua raises an error, pcall catches it\n"
    "local ok, err = pcall(function()\n"
    "  local hog = {}\n"
    "  for i = 1, 1e9 do hog[i] = string.rep('x', 64) .. i end\n"
    "end)\n"
    "collectgarbage('collect')\n"
    "print(string.format('lua: %d name bytes, %d joined bytes, runaway stopped: %s (%s)',\n"
    "                    n, #joined, tostring(not ok), tostring(err)))\n"
    "-- the script goes on after the error\n"
    "local after = {}\n"
    "for i = 1, 1000 do after[i] = i * i end\n"
    "return after[1000]\n";

int main(void)
{
    slab_heap_config cfg;
    slab_heap *heap;
    slab_heapinfo hi;
    lua_State *L;
    int rc, ok = 1;

    memset(&cfg, 0, sizeof cfg);
    cfg.on_error = on_error;
    heap = slab_heap_init(script_memory, sizeof script_memory, &cfg);
    if (!heap)
        return 1;
    L = lua_newstate(lua_slab_alloc, heap);
    if (!L)
        return 1;
    luaL_openlibs(L);
    rc = luaL_dostring(L, script);
    if (rc != LUA_OK) {
        (void)fprintf(stderr, "lua error: %s\n", lua_tostring(L, -1));
        ok = 0;
    } else if (lua_tointeger(L, -1) != 1000000) {
        (void)fprintf(stderr, "lua: wrong result\n");
        ok = 0;
    }
    printf("heap refused %zu allocations (the runaway script)\n", refused);
    ok = ok && refused > 0;

    printf("-- slabinfo with the Lua state alive --\n");
    slab_heap_dump(heap, print_line, NULL);
    lua_close(L);

    /* Every block is back: the size classes hold nothing and the pages return on shrink. */
    (void)slab_heap_shrink(heap);
    if (slab_heap_stats(heap, &hi) != SLAB_ERR_OK)
        return 1;
    printf("after lua_close: %zu of %zu pages free, %zu in slabs, heap check %d\n",
           hi.pages_free, hi.pages_total, hi.slab_pages, slab_heap_check(heap));
    ok = ok && slab_heap_check(heap) == 0 && hi.large_pages == 0;
    slab_heap_destroy(heap);
    printf("lua_alloc: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
