/*
 * Ordered parallel processing with bounded memory. The main thread walks
 * the inputs and fills a ring of WINDOW job slots; worker threads take
 * slots in order and process them; the main thread prints finished slots
 * strictly in walk order and reuses them. At most WINDOW jobs exist at any
 * time, however many files there are.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct slot {
    job j;
    int done;
} slot;

typedef struct pool {
    pthread_mutex_t mu;
    pthread_cond_t work_cv, done_cv;
    slot *ring;
    unsigned long window;
    unsigned long submitted, taken;
    int closing;
    job_fn fn;
    void *ctx;
} pool;

static void *worker(void *arg)
{
    pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->taken == p->submitted && !p->closing)
            pthread_cond_wait(&p->work_cv, &p->mu);
        if (p->taken == p->submitted && p->closing) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        slot *s = &p->ring[p->taken % p->window];
        p->taken++;
        pthread_mutex_unlock(&p->mu);

        p->fn(p->ctx, &s->j);

        pthread_mutex_lock(&p->mu);
        s->done = 1;
        pthread_cond_broadcast(&p->done_cv);
        pthread_mutex_unlock(&p->mu);
    }
}

int pool_run(walker *w, int jobs, job_fn fn, void *ctx, const char *verb)
{
    pool p;
    memset(&p, 0, sizeof p);
    p.window = (unsigned long)jobs * 8;
    p.ring = calloc(p.window, sizeof *p.ring);
    p.fn = fn;
    p.ctx = ctx;
    pthread_t *threads = calloc((size_t)jobs, sizeof *threads);
    if (!p.ring || !threads) {
        free(p.ring);
        free(threads);
        fprintf(stderr, "aimark: out of memory\n");
        return EXIT_FILE_ERRORS;
    }
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.work_cv, NULL);
    pthread_cond_init(&p.done_cv, NULL);
    int started = 0;
    for (; started < jobs; started++)
        if (pthread_create(&threads[started], NULL, worker, &p) != 0)
            break;
    if (started == 0) {
        fprintf(stderr, "aimark: cannot start worker threads\n");
        free(threads);
        free(p.ring);
        return EXIT_FILE_ERRORS;
    }

    progress *pr = progress_new(verb);
    unsigned long printed = 0, errors = 0;
    int worst = EXIT_NONE_FOUND, more = 1;
    for (;;) {
        /* Fill free slots from the walker. */
        while (more) {
            pthread_mutex_lock(&p.mu);
            int full = p.submitted - printed >= p.window;
            pthread_mutex_unlock(&p.mu);
            if (full)
                break;
            const char *path, *rel;
            int expl, err;
            int r = walker_next(w, &path, &rel, &expl, &err);
            if (r == 0) {
                more = 0;
                break;
            }
            slot *s = &p.ring[p.submitted % p.window];
            memset(s, 0, sizeof *s);
            s->j.path = strdup(path ? path : "");
            s->j.rel = strdup(rel ? rel : "");
            s->j.explicit_ = expl;
            s->j.open_errno = r < 0 ? (err ? err : 12 /* ENOMEM */) : 0;
            pthread_mutex_lock(&p.mu);
            p.submitted++;
            pthread_cond_signal(&p.work_cv);
            pthread_mutex_unlock(&p.mu);
        }
        pthread_mutex_lock(&p.mu);
        if (printed == p.submitted && !more) {
            pthread_mutex_unlock(&p.mu);
            break;
        }
        slot *s = &p.ring[printed % p.window];
        while (!s->done)
            pthread_cond_wait(&p.done_cv, &p.mu);
        pthread_mutex_unlock(&p.mu);
        if (!s->j.skipped) {
            if (s->j.line)
                fputs(s->j.line, stdout);
            if (s->j.status > worst)
                worst = s->j.status;
            if (s->j.status == EXIT_FILE_ERRORS)
                errors++;
        }
        free(s->j.line);
        free(s->j.path);
        free(s->j.rel);
        printed++;
        progress_tick(pr, printed, errors);
    }
    progress_done(pr);
    fflush(stdout);
    pthread_mutex_lock(&p.mu);
    p.closing = 1;
    pthread_cond_broadcast(&p.work_cv);
    pthread_mutex_unlock(&p.mu);
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.work_cv);
    pthread_cond_destroy(&p.done_cv);
    free(threads);
    free(p.ring);
    return worst;
}
