/* jobs.c - a job system's threads sharing one heap (SLAB_THREADS).

   The main thread is the producer: each of 40 frames it makes 2,000 jobs, each a typed object
   from a cache plus a payload of 16..1,024 bytes from slab_kmalloc, and pushes them to a queue.
   Four workers take jobs off the queue, check the payload, allocate and free a scratch buffer
   of their own, and free the job and its payload: objects made on one thread and freed on
   another, the normal case in a job system. Every common call touches only the calling
   thread's magazines; the workers' exits return what those hold. After the join the figures
   are exact: no object in use, none cached in a dead thread's magazine after a shrink, and
   slab_heap_check passes. The figures are the same every run (fixed-seed PRNG), but for where
   the heap's own blocks landed (buddyinfo, fragmentation), which the threads' timing moves.

   Build: cc -std=c99 -O2 -pthread -I. examples/jobs.c (make examples). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SLAB_THREADS 1
#define SLAB_IMPLEMENTATION
#include "slab.h"

#define REGION_BYTES (8u << 20)
#define WORKERS 4
#define FRAMES 40
#define JOBS_PER_FRAME 2000
#define QUEUE_SLOTS 256

typedef struct job {
    uint32_t id;
    uint32_t size;           // bytes of payload
    unsigned char *payload;  // slab_kmalloc'd by the producer, filled with (id + i) & 0xff
} job;

static unsigned char region[REGION_BYTES];
static slab_heap *heap;
static slab_cache *jobs;

// A bounded queue of job pointers; NULL is the workers' signal to stop.
static job *queue[QUEUE_SLOTS];
static size_t q_head, q_len;
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t q_not_full = PTHREAD_COND_INITIALIZER;

static void queue_push(job *j)
{
    pthread_mutex_lock(&q_lock);
    while (q_len == QUEUE_SLOTS)
        pthread_cond_wait(&q_not_full, &q_lock);
    queue[(q_head + q_len++) % QUEUE_SLOTS] = j;
    pthread_cond_signal(&q_not_empty);
    pthread_mutex_unlock(&q_lock);
}

static job *queue_pop(void)
{
    job *j;
    pthread_mutex_lock(&q_lock);
    while (q_len == 0)
        pthread_cond_wait(&q_not_empty, &q_lock);
    j = queue[q_head];
    q_head = (q_head + 1) % QUEUE_SLOTS;
    q_len--;
    pthread_cond_signal(&q_not_full);
    pthread_mutex_unlock(&q_lock);
    return j;
}

typedef struct worker {
    pthread_t thread;
    unsigned long done, bad;
} worker;

static void *work(void *arg)
{
    worker *w = (worker *)arg;
    job *j;
    while ((j = queue_pop()) != NULL) {
        unsigned char *scratch = (unsigned char *)slab_kmalloc(heap, j->size);
        if (!scratch) {
            w->bad++;
        } else {
            uint32_t i;
            for (i = 0; i < j->size; i++) // "process" the payload: copy it, then check it
                scratch[i] = j->payload[i];
            for (i = 0; i < j->size; i++)
                w->bad += scratch[i] != (unsigned char)(j->id + i);
            slab_kfree(heap, scratch);
        }
        slab_kfree(heap, j->payload); // allocated by the main thread
        slab_cache_free(jobs, j);
        w->done++;
    }
    return NULL; // the thread's exit returns its magazines
}

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint32_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

static job *make_job(uint32_t id)
{
    job *j = (job *)slab_cache_alloc(jobs);
    uint32_t i;
    if (!j)
        return NULL;
    j->id = id;
    j->size = 16 + next_random() % 1009;
    j->payload = (unsigned char *)slab_kmalloc(heap, j->size);
    if (!j->payload) {
        slab_cache_free(jobs, j);
        return NULL;
    }
    for (i = 0; i < j->size; i++)
        j->payload[i] = (unsigned char)(id + i);
    return j;
}

static void print_line(const char *line, void *user)
{
    (void)user;
    (void)fputs(line, stdout);
}

int main(void)
{
    worker w[WORKERS];
    unsigned long done = 0, bad = 0, made = 0;
    uint32_t id = 0;
    slab_slabinfo si;
    int frame, k, ok;
    heap = slab_heap_init(region, sizeof region, NULL);
    jobs = heap ? SLAB_CACHE(heap, job, 0) : NULL;
    if (!jobs)
        return 1;
    memset(w, 0, sizeof w);
    for (k = 0; k < WORKERS; k++)
        if (pthread_create(&w[k].thread, NULL, work, &w[k]) != 0)
            return 1;
    for (frame = 0; frame < FRAMES; frame++)
        for (k = 0; k < JOBS_PER_FRAME; k++) {
            job *j = make_job(id++);
            if (j) {
                queue_push(j);
                made++;
            }
        }
    for (k = 0; k < WORKERS; k++)
        queue_push(NULL);
    for (k = 0; k < WORKERS; k++) {
        pthread_join(w[k].thread, NULL);
        done += w[k].done;
        bad += w[k].bad;
    }
    slab_thread_flush(); // the main thread's magazines too (it does not exit here)
    printf("%lu jobs made on the main thread, %lu done by %d workers, %lu bad bytes\n", made,
           done, WORKERS, bad);
    slab_heap_shrink(heap);
    slab_heap_dump(heap, print_line, NULL);
    memset(&si, 0, sizeof si); // printed below even when the figures cannot be had
    ok = slab_cache_info(jobs, &si) == SLAB_ERR_OK;
    ok = ok && made == (unsigned long)FRAMES * JOBS_PER_FRAME && done == made && bad == 0 &&
         si.active_objs == 0 && si.cached_objs == 0 && slab_heap_check(heap) == 0;
    printf("after the join: %zu jobs in use, %zu cached, heap check %s\n", si.active_objs,
           si.cached_objs, ok ? "passed" : "FAILED");
    slab_cache_destroy(jobs);
    slab_heap_destroy(heap);
    return ok ? 0 : 1;
}
