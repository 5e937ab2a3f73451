// cpp_allocator.cpp - slab.h under C++ containers, with RAII for heaps and typed caches.
//
// A game keeps each level's memory in one slab.h heap: when the level ends, everything in it
// goes at once and nothing leaks into the next. Three small wrappers make that natural in C++:
//
//   slab::heap            owns a heap over a buffer; its destructor ends the heap
//   slab::allocator<T>    a standard allocator over a heap, for std::vector, std::list,
//                         std::unordered_map, std::basic_string...: blocks come from the
//                         kmalloc size classes (or whole pages when large), max_size() is
//                         slab_heap_max_alloc() / sizeof(T), and failure throws std::bad_alloc
//   slab::object_cache<T> a typed cache (slab_cache) whose make(args...) constructs a T in
//                         place and returns a std::unique_ptr that destroys and frees it
//
// Copy the three into your engine as they are. Builds as C++11 and C++17 (g++, clang++,
// -Wall -Wextra -Wpedantic -Werror); make test runs it in all four combinations.
#define SLAB_IMPLEMENTATION
#include "slab.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <list>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace slab {

// Owns a heap over a caller's buffer (which must outlive it). Not copyable.
class heap {
public:
    heap(void *region, std::size_t size, const slab_heap_config *cfg = nullptr)
        : h_(slab_heap_init(region, size, cfg))
    {
        if (!h_)
            throw std::bad_alloc();
    }
    ~heap() { slab_heap_destroy(h_); }
    heap(const heap &) = delete;
    heap &operator=(const heap &) = delete;
    slab_heap *get() const { return h_; }

private:
    slab_heap *h_;
};

// A standard allocator over a slab.h heap. Allocators are equal when they share a heap, so
// containers over the same heap can swap and splice; the heap travels with the container on
// copy, move and swap.
template <class T>
class allocator {
public:
    using value_type = T;
    using propagate_on_container_copy_assignment = std::true_type;
    using propagate_on_container_move_assignment = std::true_type;
    using propagate_on_container_swap = std::true_type;
    using is_always_equal = std::false_type;

    explicit allocator(slab_heap *h) noexcept : heap_(h) {}
    // Implicit, like std::allocator's: containers convert an allocator between value types.
    template <class U>
    allocator(const allocator<U> &other) noexcept : heap_(other.heap()) {} // cppcheck-suppress noExplicitConstructor

    T *allocate(std::size_t n)
    {
        if (n > static_cast<std::size_t>(-1) / object_size)
            throw std::bad_alloc();
        // kmalloc classes are 16-byte aligned; over-aligned types ask for their alignment.
        void *p = alignof(T) <= 16 ? slab_kmalloc(heap_, n * object_size)
                                   : slab_kmalloc_aligned(heap_, n * object_size, alignof(T));
        if (!p)
            throw std::bad_alloc();
        return static_cast<T *>(p);
    }
    void deallocate(T *p, std::size_t) noexcept { slab_kfree(heap_, p); }
    // The largest block the heap could hand out now (without reclaim), in objects.
    std::size_t max_size() const noexcept { return slab_heap_max_alloc(heap_) / object_size; }

    slab_heap *heap() const noexcept { return heap_; }

private:
    // T is a pointer to a struct when std::unordered_map allocates its buckets, and then the
    // size of that pointer is what is meant: the check's pattern (sizeof of a pointer to a
    // struct, usually a mistake for the struct) does not apply.
    static constexpr std::size_t object_size = sizeof(T); // NOLINT(bugprone-sizeof-expression)
    slab_heap *heap_;
};

template <class T, class U>
bool operator==(const allocator<T> &a, const allocator<U> &b) noexcept
{
    return a.heap() == b.heap();
}
template <class T, class U>
bool operator!=(const allocator<T> &a, const allocator<U> &b) noexcept
{
    return !(a == b);
}

// A cache of T objects. make() constructs in place; the unique_ptr's deleter destroys and
// frees. Destroy every object before the cache (slab_cache_destroy refuses a busy cache and
// reports it).
template <class T>
class object_cache {
public:
    struct deleter {
        slab_cache *cache;
        void operator()(T *p) const noexcept
        {
            p->~T();
            slab_cache_free(cache, p);
        }
    };
    using ptr = std::unique_ptr<T, deleter>;

    object_cache(slab_heap *h, const char *name, unsigned flags = 0)
        : cache_(slab_cache_create(h, name, sizeof(T), alignof(T), flags, nullptr, nullptr))
    {
        if (!cache_)
            throw std::bad_alloc();
    }
    ~object_cache()
    {
        if (cache_)
            slab_cache_destroy(cache_);
    }
    object_cache(const object_cache &) = delete;
    object_cache &operator=(const object_cache &) = delete;
    object_cache(object_cache &&o) noexcept : cache_(o.cache_) { o.cache_ = nullptr; }

    template <class... Args>
    ptr make(Args &&...args)
    {
        void *mem = slab_cache_alloc(cache_);
        if (!mem)
            throw std::bad_alloc();
        try {
            return ptr(new (mem) T(std::forward<Args>(args)...), deleter{cache_});
        } catch (...) {
            slab_cache_free(cache_, mem);
            throw;
        }
    }
    slab_slabinfo info() const
    {
        slab_slabinfo si;
        slab_cache_info(cache_, &si);
        return si;
    }

private:
    slab_cache *cache_;
};

} // namespace slab

// ------------------------------------------------------------------------------------------
// A level of a game.

namespace {

struct alignas(32) Enemy {
    int id;
    float x, y, hp;
    Enemy(int i, float px, float py) : id(i), x(px), y(py), hp(100.0f) {}
};

using String = std::basic_string<char, std::char_traits<char>, slab::allocator<char>>;

alignas(64) unsigned char level_memory[4u << 20];

int failures = 0;

void expect(bool ok, const char *what)
{
    std::printf("%-52s %s\n", what, ok ? "ok" : "FAILED");
    if (!ok)
        failures++;
}

void print_line(const char *line, void *)
{
    (void)std::fputs(line, stdout);
}

} // namespace

int main()
{
    slab::heap level(level_memory, sizeof level_memory);
    slab_heap *h = level.get();
    slab_heapinfo before;
    slab_heap_stats(h, &before);
    {
        slab::allocator<int> ints(h);
        std::vector<int, slab::allocator<int>> path(ints);
        for (int i = 0; i < 100000; i++)
            path.push_back(i);
        expect(path.size() == 100000 && path[99999] == 99999, "vector<int>: 100000 elements");

        std::list<String, slab::allocator<String>> chat((slab::allocator<String>(h)));
        for (int i = 0; i < 200; i++)
            chat.push_back(String("player joined the level, welcome number ",
                                  slab::allocator<char>(h)) +
                           std::to_string(i).c_str());
        expect(chat.size() == 200 && chat.back().size() > 40, "list<string>: 200 strings");

        using Map = std::unordered_map<int, String, std::hash<int>, std::equal_to<int>,
                                       slab::allocator<std::pair<const int, String>>>;
        Map names(16, std::hash<int>(), std::equal_to<int>(),
                  slab::allocator<std::pair<const int, String>>(h));
        for (int i = 0; i < 5000; i++)
            names.emplace(i, String("enemy", slab::allocator<char>(h)));
        expect(names.size() == 5000 && names.at(4321) == "enemy", "unordered_map: 5000 entries");

        slab::object_cache<Enemy> enemies(h, "Enemy", SLAB_HWCACHE_ALIGN);
        std::vector<slab::object_cache<Enemy>::ptr> alive;
        alive.reserve(1000);
        for (int i = 0; i < 1000; i++)
            alive.push_back(enemies.make(i, float(i), 2.0f * float(i)));
        bool aligned = true;
        for (const auto &e : alive)
            aligned = aligned && reinterpret_cast<std::uintptr_t>(e.get()) % alignof(Enemy) == 0;
        expect(aligned && alive[500]->id == 500, "object_cache<Enemy>: 1000 aligned objects");
        alive.erase(alive.begin(), alive.begin() + 600);
        expect(enemies.info().active_objs == 400, "object_cache: 600 destroyed and freed");

        std::size_t max = ints.max_size();
        expect(max > 0 && max * sizeof(int) <= sizeof level_memory, "allocator::max_size");
        bool threw = false;
        try {
            path.reserve(max + 1);
        } catch (const std::length_error &) {
            threw = true;
        }
        expect(threw, "reserve beyond max_size throws length_error");
        threw = false;
        try {
            (void)ints.allocate(max + 1); // refused and reported to stderr by the heap
        } catch (const std::bad_alloc &) {
            threw = true;
        }
        expect(threw, "allocate beyond the heap throws bad_alloc");

        expect(slab_heap_check(h) == 0, "heap check with every container alive");
        slab_heap_dump(h, print_line, nullptr);
        alive.clear();
    } // containers and the cache go: every block returns to the heap

    slab_heap_shrink(h);
    slab_heapinfo after;
    slab_heap_stats(h, &after);
    // The kmalloc class caches stay (empty), as in the kernel; their structs keep a few pages.
    expect(after.pages_free + after.slab_pages >= before.pages_free, "every page came back");
    expect(slab_heap_check(h) == 0, "heap check at the end");
    std::printf("cpp_allocator: %s (C++%ld)\n", failures ? "FAILED" : "ok",
                static_cast<long>(__cplusplus / 100 % 100));
    return failures ? 1 : 0;
}
