/* LFCC front-end against the numpy reference (scripts/detector/lfcc_ref.py):
 * golden vectors in tests/data/detect/, written by `lfcc_ref.py golden`. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/lfcc.h"
#include "test.h"

/* Tolerance: float32 FFT against float64 numpy (filterbank, log and DCT
 * are in double). Measured worst error 1.9e-6 absolute on this signal;
 * we allow 1e-4 absolute + 1e-5 relative. */
#define TOL_ABS 1e-4
#define TOL_REL 1e-5

static char *data_path(const char *name)
{
    /* tests/unit/<this file> -> tests/data/detect/<name> */
    static char buf[4096];
    const char *f = __FILE__;
    const char *cut = strstr(f, "tests/unit/");
    size_t n = cut ? (size_t)(cut - f) : 0;
    snprintf(buf, sizeof buf, "%.*stests/data/detect/%s", (int)n, f, name);
    return buf;
}

static void *slurp(const char *name, size_t *len)
{
    FILE *fp = fopen(data_path(name), "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    void *p = malloc(n > 0 ? (size_t)n : 1);
    if (p && fread(p, 1, (size_t)n, fp) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(fp);
    *len = (size_t)n;
    return p;
}

typedef struct {
    float *feat;
    unsigned char *voiced;
    size_t n, cap;
} collect;

static void sink(void *ctx, const float *feat, int voiced)
{
    collect *c = ctx;
    if (c->n < c->cap) {
        memcpy(c->feat + c->n * LFCC_DIM, feat, LFCC_DIM * sizeof *feat);
        c->voiced[c->n] = (unsigned char)voiced;
    }
    c->n++;
}

static void run(const float *x, size_t n, size_t chunk, collect *c)
{
    lfcc *f = lfcc_new();
    CHECK(f != NULL);
    if (!f)
        return;
    for (size_t i = 0; i < n; i += chunk)
        lfcc_push(f, x + i, n - i < chunk ? n - i : chunk, sink, c);
    lfcc_finish(f, sink, c);
    CHECK_INT(lfcc_frames(f), c->n);
    lfcc_free(f);
}

static void t_golden(void)
{
    size_t nx, nf, nv;
    float *x = slurp("lfcc_in.f32", &nx), *ref = slurp("lfcc_out.f32", &nf);
    unsigned char *rv = slurp("lfcc_voiced.u8", &nv);
    CHECK(x && ref && rv);
    if (!x || !ref || !rv)
        return;
    size_t T = nf / (LFCC_DIM * sizeof(float));
    CHECK_INT(T, nv);
    CHECK_INT(T, 1 + (nx / 4 - LFCC_WIN) / LFCC_HOP);
    collect c = {malloc(T * LFCC_DIM * sizeof(float)), malloc(T), 0, T};
    run(x, nx / 4, nx / 4, &c);
    CHECK_INT(c.n, T);
    double worst = 0;
    int bad = 0, voiced_off = 0, some_unvoiced = 0;
    for (size_t t = 0; t < T && t < c.n; t++) {
        for (int d = 0; d < LFCC_DIM; d++) {
            double a = c.feat[t * LFCC_DIM + d], b = ref[t * LFCC_DIM + d];
            double e = fabs(a - b);
            if (e > worst)
                worst = e;
            if (e > TOL_ABS + TOL_REL * fabs(b))
                bad++;
        }
        voiced_off += c.voiced[t] != rv[t];
        some_unvoiced += !rv[t];
    }
    printf("lfcc: %zu frames, worst abs error %.2e\n", T, worst);
    CHECK_INT(bad, 0);
    CHECK_INT(voiced_off, 0);
    CHECK(some_unvoiced > 0); /* the golden signal has a quiet stretch */
    /* the same features whatever the block size */
    collect c2 = {malloc(T * LFCC_DIM * sizeof(float)), malloc(T), 0, T};
    run(x, nx / 4, 37, &c2);
    CHECK_INT(c2.n, T);
    CHECK(memcmp(c.feat, c2.feat, T * LFCC_DIM * sizeof(float)) == 0);
    free(c.feat);
    free(c.voiced);
    free(c2.feat);
    free(c2.voiced);
    free(x);
    free(ref);
    free(rv);
}

static void t_short(void)
{
    /* under one frame: nothing; exactly one frame: one frame, deltas 0 */
    float x[480];
    for (int i = 0; i < 480; i++)
        x[i] = (float)sin(i * 0.3) * 0.5f;
    float feat[2 * LFCC_DIM];
    unsigned char v[2];
    collect c = {feat, v, 0, 2};
    run(x, 319, 319, &c);
    CHECK_INT(c.n, 0);
    c.n = 0;
    run(x, 320, 100, &c);
    CHECK_INT(c.n, 1);
    int zero = 1;
    for (int d = LFCC_NCEP; d < LFCC_DIM; d++)
        zero &= feat[d] == 0.0f;
    CHECK(zero);
    CHECK_INT(v[0], 1);
    c.n = 0;
    run(x, 480, 480, &c); /* two frames */
    CHECK_INT(c.n, 2);
}

TEST_MAIN(t_golden, t_short)
