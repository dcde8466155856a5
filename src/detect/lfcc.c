/* LFCC front-end (ASVspoof 2019 B02); see lfcc.h for the exact recipe. */
#include "detect/lfcc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/fft.h"

/* One filter: weights for bins lo..hi inclusive. */
typedef struct {
    int lo, hi;
    float w[LFCC_NFFT / 2 + 1];
} lfcc_filter;

struct lfcc {
    dsp_fft *fft;
    float win[LFCC_WIN];
    lfcc_filter filt[LFCC_NFILT];
    float dct[LFCC_NCEP][LFCC_NFILT];
    /* raw samples of the frame being filled; prev = the sample before buf[0] */
    float buf[LFCC_WIN];
    size_t fill;
    float prev;
    /* frame buffers */
    float frame[LFCC_NFFT];
    float spec[LFCC_NFFT + 2];
    /* last 4 statics, deltas and voiced flags, indexed by frame number & 3 */
    float st[4][LFCC_NCEP];
    float de[4][LFCC_NCEP];
    int voiced[4];
    size_t n_static; /* statics computed */
    size_t n_out;    /* full frames emitted */
    int finished;
};

lfcc *lfcc_new(void)
{
    lfcc *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->fft = dsp_fft_new(LFCC_NFFT);
    if (!f->fft) {
        free(f);
        return NULL;
    }
    const double pi = 3.14159265358979323846;
    for (int n = 0; n < LFCC_WIN; n++) /* MATLAB hamming(320): symmetric */
        f->win[n] = (float)(0.54 - 0.46 * cos(2.0 * pi * n / (LFCC_WIN - 1)));
    /* trimf over bin frequencies k*fs/NFFT with edges linspace(0, fs/2, 22) */
    for (int i = 0; i < LFCC_NFILT; i++) {
        double a = (double)i * (LFCC_RATE / 2.0) / (LFCC_NFILT + 1);
        double b = (double)(i + 1) * (LFCC_RATE / 2.0) / (LFCC_NFILT + 1);
        double c = (double)(i + 2) * (LFCC_RATE / 2.0) / (LFCC_NFILT + 1);
        lfcc_filter *fl = &f->filt[i];
        fl->lo = -1;
        fl->hi = -1;
        for (int k = 0; k <= LFCC_NFFT / 2; k++) {
            double x = (double)k * LFCC_RATE / LFCC_NFFT, w = 0;
            if (x > a && x < b)
                w = (x - a) / (b - a);
            else if (x == b)
                w = 1;
            else if (x > b && x < c)
                w = (c - x) / (c - b);
            fl->w[k] = (float)w;
            if (w > 0) {
                if (fl->lo < 0)
                    fl->lo = k;
                fl->hi = k;
            }
        }
    }
    for (int j = 0; j < LFCC_NCEP; j++) {
        double s = j == 0 ? sqrt(1.0 / LFCC_NFILT) : sqrt(2.0 / LFCC_NFILT);
        for (int i = 0; i < LFCC_NFILT; i++)
            f->dct[j][i] = (float)(s * cos(pi * j * (2 * i + 1) / (2.0 * LFCC_NFILT)));
    }
    lfcc_reset(f);
    return f;
}

void lfcc_free(lfcc *f)
{
    if (!f)
        return;
    dsp_fft_free(f->fft);
    free(f);
}

void lfcc_reset(lfcc *f)
{
    f->fill = 0;
    f->prev = 0;
    f->n_static = 0;
    f->n_out = 0;
    f->finished = 0;
}

size_t lfcc_frames(const lfcc *f)
{
    return f->n_out;
}

static void emit(lfcc *f, size_t t, const float *dd, lfcc_sink sink, void *ctx)
{
    float feat[LFCC_DIM];
    memcpy(feat, f->st[t & 3], sizeof f->st[0]);
    memcpy(feat + LFCC_NCEP, f->de[t & 3], sizeof f->de[0]);
    memcpy(feat + 2 * LFCC_NCEP, dd, LFCC_NCEP * sizeof *dd);
    f->n_out++;
    sink(ctx, feat, f->voiced[t & 3]);
}

/* Delta of frame t from statics t-1 and t+1 (indices clamped to 0..last). */
static void delta_at(lfcc *f, size_t t, size_t last)
{
    size_t a = t > 0 ? t - 1 : 0, b = t + 1 <= last ? t + 1 : last;
    for (int j = 0; j < LFCC_NCEP; j++)
        f->de[t & 3][j] = f->st[b & 3][j] - f->st[a & 3][j];
}

/* Delta-delta of frame t from deltas t-1 and t+1 (clamped) and emit it. */
static void dd_emit(lfcc *f, size_t t, size_t last, lfcc_sink sink, void *ctx)
{
    size_t a = t > 0 ? t - 1 : 0, b = t + 1 <= last ? t + 1 : last;
    float dd[LFCC_NCEP];
    for (int j = 0; j < LFCC_NCEP; j++)
        dd[j] = f->de[b & 3][j] - f->de[a & 3][j];
    emit(f, t, dd, sink, ctx);
}

static void static_frame(lfcc *f, lfcc_sink sink, void *ctx)
{
    double e = 0;
    float prev = f->prev;
    for (int n = 0; n < LFCC_WIN; n++) {
        float x = f->buf[n];
        e += (double)x * x;
        f->frame[n] = (x - 0.97f * prev) * f->win[n];
        prev = x;
    }
    memset(f->frame + LFCC_WIN, 0, (LFCC_NFFT - LFCC_WIN) * sizeof *f->frame);
    dsp_fft_forward(f->fft, f->frame, f->spec);
    float pw[LFCC_NFFT / 2 + 1];
    for (int k = 0; k <= LFCC_NFFT / 2; k++)
        pw[k] = f->spec[2 * k] * f->spec[2 * k] + f->spec[2 * k + 1] * f->spec[2 * k + 1];
    double lg[LFCC_NFILT];
    for (int i = 0; i < LFCC_NFILT; i++) {
        double s = 0;
        for (int k = f->filt[i].lo; k >= 0 && k <= f->filt[i].hi; k++)
            s += (double)f->filt[i].w[k] * pw[k];
        lg[i] = log10(s + 2.220446049250313e-16);
    }
    size_t t = f->n_static;
    for (int j = 0; j < LFCC_NCEP; j++) {
        double c = 0;
        for (int i = 0; i < LFCC_NFILT; i++)
            c += (double)f->dct[j][i] * lg[i];
        f->st[t & 3][j] = (float)c;
    }
    f->voiced[t & 3] = e / LFCC_WIN >= LFCC_VOICE_MS;
    f->n_static++;
    /* static t makes delta t-1 final, which makes delta-delta t-2 final */
    if (t >= 1)
        delta_at(f, t - 1, t);
    if (t >= 2)
        dd_emit(f, t - 2, t - 1, sink, ctx);
    /* slide by one hop; the sample before the new buf[0] is old buf[HOP-1] */
    f->prev = f->buf[LFCC_HOP - 1];
    memmove(f->buf, f->buf + LFCC_HOP, (LFCC_WIN - LFCC_HOP) * sizeof *f->buf);
    f->fill = LFCC_WIN - LFCC_HOP;
}

void lfcc_push(lfcc *f, const float *x, size_t n, lfcc_sink sink, void *ctx)
{
    if (f->finished)
        return;
    while (n > 0) {
        size_t take = LFCC_WIN - f->fill;
        if (take > n)
            take = n;
        memcpy(f->buf + f->fill, x, take * sizeof *x);
        f->fill += take;
        x += take;
        n -= take;
        if (f->fill == LFCC_WIN)
            static_frame(f, sink, ctx);
    }
}

void lfcc_finish(lfcc *f, lfcc_sink sink, void *ctx)
{
    if (f->finished)
        return;
    f->finished = 1;
    size_t T = f->n_static;
    if (T == 0)
        return;
    size_t last = T - 1;
    delta_at(f, last, last);
    /* frames not yet emitted: T-2 (if T >= 2) and T-1 */
    for (size_t t = f->n_out; t < T; t++)
        dd_emit(f, t, last, sink, ctx);
}
