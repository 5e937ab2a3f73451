/* embedded.c - slab.h in firmware: one static array, no C library, no malloc.

   A sensor node keeps its memory in one static array and hands it to slab.h at boot. Radio
   packets come from a typed cache (with a constructor that stamps each slot once), variable
   length log lines from slab_kmalloc, and one large DMA frame buffer from slab_vmalloc. A
   shrinker drops a cache of decoded readings when memory runs out, so a burst of traffic that
   would exhaust the array is absorbed instead of failing; the one allocation that still cannot
   be served returns NULL and is counted by the error hook. slab_heap_check verifies the heap
   after every phase and slab_heap_dump prints the slabinfo table to the console.

   Nothing here calls the C library: the hooks slab.h needs (SLAB_ASSERT, SLAB_MEMSET,
   SLAB_MEMCPY, SLAB_ABORT) are tiny functions below, and SLAB_NO_STDIO keeps <stdio.h> out,
   so slab.h includes only <stddef.h> and <stdint.h>. The console is one function, putc_.

   The same file builds three ways (make test runs the first, make cross links the others):
     host       cc -std=c99 -I. examples/embedded.c                  main() prints to stdout
     Cortex-M4  arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -Os -ffreestanding -nostdlib -I. \
                    -T examples/embedded_cm4.ld examples/embedded.c -lgcc
     RV32       riscv64-unknown-elf-gcc -march=rv32imac -mabi=ilp32 -Os -ffreestanding \
                    -nostdlib -I. -T examples/embedded_rv32.ld examples/embedded.c -lgcc
   A freestanding compiler sets __STDC_HOSTED__ to 0: then a reset handler runs the firmware
   and the console is a UART data register (change UART_TX for your board). */
#include <stddef.h>
#include <stdint.h>

// ------------------------------------------------------------------------------------------
// The hooks slab.h needs, and the console. `volatile` keeps the compiler from turning the
// loops back into calls to memset and memcpy, which a bare-metal image may not have.

void fw_halt(void);
void *fw_memset(void *dst, int value, size_t n);
void *fw_memcpy(void *dst, const void *src, size_t n);

void *fw_memset(void *dst, int value, size_t n)
{
    volatile unsigned char *d = (volatile unsigned char *)dst;
    while (n--)
        *d++ = (unsigned char)value;
    return dst;
}

void *fw_memcpy(void *dst, const void *src, size_t n)
{
    volatile unsigned char *d = (volatile unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    while (n--)
        *d++ = *s++;
    return dst;
}

static void putc_(char c);

static void puts_(const char *s)
{
    while (*s)
        putc_(*s++);
}

static void putu_(size_t v)
{
    char buf[24];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        putc_(buf[--n]);
}

#define SLAB_ASSERT(c) ((c) ? (void)0 : fw_halt())
#define SLAB_MEMSET(p, v, n) fw_memset((p), (v), (n))
#define SLAB_MEMCPY(d, s, n) fw_memcpy((d), (s), (n))
#define SLAB_ABORT() fw_halt()
#define SLAB_NO_STDIO
#define SLAB_IMPLEMENTATION
#include "slab.h"

// ------------------------------------------------------------------------------------------
// The firmware.

#define ARENA_BYTES (32u * 1024u)
#define PAGE_BYTES 256u        // small pages: slabs of small objects stay small
#define FRAME_BYTES 3000u      // the DMA frame buffer: a large (vmalloc-path) block
#define MAX_PACKETS 64u
#define MAX_READINGS 256u

// All the memory there is. It need not be aligned: slab.h aligns its header and pages itself.
static unsigned char arena[ARENA_BYTES];

typedef struct packet {
    uint32_t stamp;      // set once per slot by the constructor, kept across free/alloc
    uint16_t len;
    uint8_t src, seq;
    uint8_t payload[48];
} packet;

typedef struct reading {
    struct reading *next;
    int32_t value[4];
} reading;

static slab_heap *heap;
static slab_cache *packets, *readings;
static reading *cached_readings;  // a cache the shrinker may drop
static size_t n_cached, n_errors, n_dropped;

static void packet_ctor(void *obj, void *ctx)
{
    (void)ctx;
    ((packet *)obj)->stamp = 0xC0FFEEu;
}

// Errors are counted and shown; NOMEM is expected in the burst phase.
static void on_error(slab_heap *h, slab_error code, const void *ptr, const char *msg, void *user)
{
    (void)h;
    (void)ptr;
    (void)user;
    n_errors++;
    puts_("  slab: ");
    puts_(slab_error_name(code));
    puts_(": ");
    puts_(msg);
    puts_("\n");
}

static void print_line(const char *line, void *user)
{
    (void)user;
    puts_(line);
}

// Shrinker: how many readings could go, and dropping up to nr of them.
static size_t readings_count(void *ctx)
{
    (void)ctx;
    return n_cached;
}

static size_t readings_scan(size_t nr, void *ctx)
{
    size_t freed = 0;
    (void)ctx;
    while (cached_readings && freed < nr) {
        reading *r = cached_readings;
        cached_readings = r->next;
        slab_cache_free(readings, r);
        freed++;
    }
    n_cached -= freed;
    n_dropped += freed;
    return freed;
}

static int check(const char *phase)
{
    int r = slab_heap_check(heap);
    puts_(phase);
    puts_(r == 0 ? ": heap check passed\n" : ": HEAP CHECK FAILED\n");
    return r == 0 ? 0 : 1;
}

// Runs the firmware's phases; returns 0 when every step behaved as expected.
static int fw_main(void)
{
    slab_heap_config cfg;
    packet *queue[MAX_PACKETS];
    void *meta[MAX_PACKETS];
    char *log[8];
    unsigned char *frame;
    size_t i, got = 0, fails = 0;
    int bad = 0;

    fw_memset(&cfg, 0, sizeof cfg);
    cfg.page_size = PAGE_BYTES;
    cfg.on_error = on_error;
    heap = slab_heap_init(arena, sizeof arena, &cfg);
    if (!heap)
        return 1;
    packets = slab_cache_create(heap, "packet", sizeof(packet), 0, 0, packet_ctor, NULL);
    readings = SLAB_CACHE(heap, reading, 0);
    frame = (unsigned char *)slab_vzalloc(heap, FRAME_BYTES);
    if (!packets || !readings || !frame ||
        !slab_register_shrinker(heap, readings_count, readings_scan, NULL))
        return 2;
    puts_("boot: heap of ");
    putu_(sizeof arena);
    puts_(" bytes, largest free block ");
    putu_(slab_heap_max_alloc(heap));
    puts_(" bytes\n");

    // Phase 1: traffic. Packets in and out, a few log lines, readings kept for later.
    for (i = 0; i < 40; i++) {
        packet *p = (packet *)slab_cache_alloc(packets);
        reading *r = (reading *)slab_cache_alloc(readings);
        if (!p || !r || p->stamp != 0xC0FFEEu)
            bad = 1;
        if (r) {
            r->value[0] = (int32_t)i;
            r->next = cached_readings;
            cached_readings = r;
            n_cached++;
        }
        if (p) {
            p->len = (uint16_t)(i * 7 % 48);
            fw_memcpy(p->payload, frame, p->len);
            slab_cache_free(packets, p);
        }
    }
    for (i = 0; i < 8; i++) {
        log[i] = (char *)slab_kmalloc(heap, 24 + i * 4);
        if (!log[i])
            bad = 1;
        else
            fw_memcpy(log[i], "sensor ok", 10);
    }
    bad |= check("traffic");

    // Phase 2: a burst that needs more memory than is free. The shrinker gives back the
    // readings, and allocation goes on until the array is really full: then NULL, reported.
    n_errors = 0;
    while (got < MAX_PACKETS) {
        packet *p = (packet *)slab_cache_alloc(packets);
        if (!p) {
            fails++;
            break;
        }
        meta[got] = slab_kmalloc(heap, 200); // routing metadata of the packet
        if (!meta[got]) {
            slab_cache_free(packets, p);
            fails++;
            break;
        }
        queue[got++] = p;
    }
    puts_("burst: ");
    putu_(got);
    puts_(" packets queued, ");
    putu_(n_dropped);
    puts_(" readings dropped by the shrinker, ");
    putu_(fails);
    puts_(" allocation refused\n");
    if (n_dropped == 0 || fails != 1 || n_errors == 0)
        bad = 1;
    bad |= check("burst");

    // Phase 3: drain the queue and the logs; the heap is usable again.
    for (i = 0; i < got; i++) {
        slab_cache_free(packets, queue[i]);
        slab_kfree(heap, meta[i]);
    }
    for (i = 0; i < 8; i++)
        slab_kfree(heap, log[i]);
    slab_vfree(heap, frame);
    (void)slab_heap_shrink(heap);
    frame = (unsigned char *)slab_vmalloc(heap, FRAME_BYTES); // room again for the frame
    if (!frame)
        bad = 1;
    bad |= check("drain");

    slab_heap_dump(heap, print_line, NULL);
    puts_(bad ? "embedded: FAILED\n" : "embedded: ok\n");
    return bad;
}

// ------------------------------------------------------------------------------------------
// Where it runs.

#if __STDC_HOSTED__
#include <stdio.h>
#include <stdlib.h>

void fw_halt(void)
{
    abort();
}

static void putc_(char c)
{
    putchar(c);
}

int main(void)
{
    return fw_main();
}

#else // bare metal: startup code, a UART, and the functions a compiler may call

#if defined(__ARM_ARCH)
#define UART_TX ((volatile uint32_t *)0x4000C000u) // data register of UART0 (e.g. LM3S6965)
#elif defined(__riscv)
#define UART_TX ((volatile uint8_t *)0x10000000u)  // 16550 transmit register (e.g. QEMU virt)
#else
#error "add your board's startup code and UART here"
#endif

static void putc_(char c)
{
    *UART_TX = (unsigned char)c;
}

void fw_halt(void)
{
    for (;;) {
    }
}

// GCC may emit calls to these four even in freestanding code (its manual says so).
void *memset(void *dst, int value, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memset(void *dst, int value, size_t n) { return fw_memset(dst, value, n); }
void *memcpy(void *dst, const void *src, size_t n) { return fw_memcpy(dst, src, n); }
void *memmove(void *dst, const void *src, size_t n)
{
    volatile unsigned char *d = (volatile unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    if (d < s)
        while (n--)
            *d++ = *s++;
    else
        while (n--)
            d[n] = s[n];
    return dst;
}
int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x < *y ? -1 : 1;
    return 0;
}

// Set up by the linker script: initial data in flash, its place in RAM, and .bss.
extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[], _estack[];

void reset_handler(void);
void reset_handler(void)
{
    // Sizes from addresses: the symbols are distinct objects to C, so no pointer comparison.
    size_t i, ndata = ((uintptr_t)_edata - (uintptr_t)_sdata) / 4;
    size_t nbss = ((uintptr_t)_ebss - (uintptr_t)_sbss) / 4;
    for (i = 0; i < ndata; i++)
        _sdata[i] = _sidata[i];
    for (i = 0; i < nbss; i++)
        _sbss[i] = 0;
    (void)fw_main();
    fw_halt();
}

#if defined(__ARM_ARCH)
// Cortex-M vector table: the initial stack pointer, then the reset handler. The core loads
// both itself, so reset_handler is plain C.
typedef void (*vector)(void);
__attribute__((section(".isr_vector"), used)) static const vector vectors[2] = {
    (vector)(uintptr_t)_estack, reset_handler};
#else
// RISC-V starts at _start with no stack: set it, then go to C.
__asm__(".section .text.start\n"
        ".globl _start\n"
        "_start:\n"
        "  la sp, _estack\n"
        "  j reset_handler\n");
#endif
#endif
