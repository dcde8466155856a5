/*
 * Windowed-sinc resampler. When the reduced ratio has at most 1024
 * output phases (every usual rate pair) each phase has its own exact table
 * row; otherwise 256 rows with linear interpolation. Cutoff 0.92 x the
 * lower Nyquist, 12 zero crossings each side (about 80 dB stop band with
 * the Blackman window, plenty for a watermark channel below 4 kHz).
 */
#include "dsp/resample.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RS_PHASES 256     /* interpolated table when the ratio needs more phases */
#define RS_EXACT_MAX 1024 /* up to this many output phases: one exact table row each */
#define RS_ZEROS 12.0

struct dsp_resampler {
    uint64_t up, down; /* out/in = up/down, reduced */
    size_t half;       /* taps each side */
    size_t ntaps;      /* 2 * half */
    size_t nphase;     /* table rows: up (exact) or RS_PHASES + 1 (interpolated) */
    int exact;
    float *table;      /* nphase * ntaps */
    float *buf;        /* input history */
    size_t cap, len, max_chunk;
    int64_t base;      /* input index of buf[0] */
    int64_t ipos;      /* integer part of the next output's input time */
    uint64_t frac;     /* fractional part, numerator over up */
    uint64_t step_int, step_frac; /* down = step_int * up + step_frac */
};

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static double kernel(double d, double c, double half)
{
    const double pi = 3.14159265358979323846;
    if (fabs(d) >= half)
        return 0.0;
    double x = c * d;
    double s = fabs(x) < 1e-9 ? 1.0 : sin(pi * x) / (pi * x);
    double u = d / half; /* -1..1 */
    double w = 0.42 + 0.5 * cos(pi * u) + 0.08 * cos(2.0 * pi * u);
    return c * s * w;
}

static dsp_resampler *resampler_new(int in_rate, int out_rate, size_t max_chunk, double pass_hz)
{
    if (in_rate < 1 || out_rate < 1 || in_rate > 1000000 || out_rate > 1000000 || max_chunk < 1 ||
        max_chunk > ((size_t)1 << 24))
        return NULL;
    dsp_resampler *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    uint64_t g = gcd_u64((uint64_t)in_rate, (uint64_t)out_rate);
    r->up = (uint64_t)out_rate / g;
    r->down = (uint64_t)in_rate / g;
    r->step_int = r->down / r->up; /* the input step per output, split once: */
    r->step_frac = r->down % r->up; /* no division per output sample */
    double c = 0.92 * (out_rate < in_rate ? (double)out_rate / (double)in_rate : 1.0);
    r->half = (size_t)ceil(RS_ZEROS / c);
    if (pass_hz > 0) {
        /* Only 0..pass_hz must come out clean: the lowest frequency that
         * folds (down) or images (up) into it is min(rate) - pass_hz, so
         * the transition can span pass_hz..min - pass_hz. Cutoff in its
         * middle; Blackman: transition ~ 5.5 / taps (in input-rate units). */
        double lo = in_rate < out_rate ? in_rate : out_rate;
        double stop = lo - pass_hz;
        c = (pass_hz + stop) / (double)in_rate; /* 2 fc / in_rate */
        if (c > 1.0)
            c = 1.0;
        r->half = (size_t)ceil(5.5 * in_rate / (stop - pass_hz) / 2.0);
        if (r->half < 2)
            r->half = 2;
    }
    r->ntaps = 2 * r->half;
    r->max_chunk = max_chunk;
    r->cap = max_chunk + r->ntaps + 4;
    r->exact = r->up <= RS_EXACT_MAX;
    r->nphase = r->exact ? (size_t)r->up : RS_PHASES + 1;
    r->table = malloc(r->nphase * r->ntaps * sizeof *r->table);
    r->buf = malloc(r->cap * sizeof *r->buf);
    if (!r->table || !r->buf) {
        dsp_resampler_free(r);
        return NULL;
    }
    for (size_t q = 0; q < r->nphase; q++) {
        double f = r->exact ? (double)q / (double)r->up : (double)q / RS_PHASES;
        for (size_t t = 0; t < r->ntaps; t++)
            r->table[q * r->ntaps + t] =
                (float)kernel((double)t - (double)r->half + 1.0 - f, c, (double)r->half);
    }
    dsp_resampler_reset(r);
    return r;
}

dsp_resampler *dsp_resampler_new(int in_rate, int out_rate, size_t max_chunk)
{
    return resampler_new(in_rate, out_rate, max_chunk, 0.0);
}

dsp_resampler *dsp_resampler_new_band(int in_rate, int out_rate, size_t max_chunk, double pass_hz)
{
    int lo = in_rate < out_rate ? in_rate : out_rate;
    if (!(pass_hz > 0.0) || !(pass_hz < 0.4 * lo))
        return NULL;
    return resampler_new(in_rate, out_rate, max_chunk, pass_hz);
}

void dsp_resampler_free(dsp_resampler *r)
{
    if (!r)
        return;
    free(r->table);
    free(r->buf);
    free(r);
}

void dsp_resampler_reset(dsp_resampler *r)
{
    /* Zeros for the input indices -half .. -1. */
    memset(r->buf, 0, r->half * sizeof *r->buf);
    r->len = r->half;
    r->base = -(int64_t)r->half;
    r->ipos = 0;
    r->frac = 0;
}

size_t dsp_resampler_delay(const dsp_resampler *r) { return r->half; }

int dsp_resampler_push(dsp_resampler *r, const float *in, size_t n)
{
    if (n > r->max_chunk)
        return -1;
    /* Drop history the next output no longer needs. */
    int64_t keep_from = r->ipos - (int64_t)r->half + 1;
    if (keep_from > r->base) {
        size_t drop = (size_t)(keep_from - r->base);
        if (drop > r->len)
            drop = r->len;
        memmove(r->buf, r->buf + drop, (r->len - drop) * sizeof *r->buf);
        r->len -= drop;
        r->base += (int64_t)drop;
    }
    if (r->len + n > r->cap)
        return -1;
    memcpy(r->buf + r->len, in, n * sizeof *in);
    r->len += n;
    return 0;
}

size_t dsp_resampler_pull(dsp_resampler *r, float *out, size_t cap)
{
    size_t k = 0;
    int64_t last = r->base + (int64_t)r->len - 1;
    while (k < cap && r->ipos + (int64_t)r->half <= last) {
        const float *x = r->buf + (r->ipos - (int64_t)r->half + 1 - r->base);
        if (r->exact) {
            const float *h = r->table + (size_t)r->frac * r->ntaps;
            /* four partial sums: independent chains the CPU can overlap */
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            size_t t = 0;
            for (; t + 4 <= r->ntaps; t += 4) {
                s0 += h[t] * x[t];
                s1 += h[t + 1] * x[t + 1];
                s2 += h[t + 2] * x[t + 2];
                s3 += h[t + 3] * x[t + 3];
            }
            for (; t < r->ntaps; t++)
                s0 += h[t] * x[t];
            out[k++] = (s0 + s1) + (s2 + s3);
        } else {
            double pf = (double)r->frac * RS_PHASES / (double)r->up;
            size_t q = (size_t)pf;
            if (q >= RS_PHASES)
                q = RS_PHASES - 1;
            float a = (float)(pf - (double)q);
            const float *h0 = r->table + q * r->ntaps, *h1 = h0 + r->ntaps;
            float s0 = 0, s1 = 0;
            for (size_t t = 0; t < r->ntaps; t++) {
                s0 += h0[t] * x[t];
                s1 += h1[t] * x[t];
            }
            out[k++] = s0 + a * (s1 - s0);
        }
        r->ipos += (int64_t)r->step_int;
        r->frac += r->step_frac;
        if (r->frac >= r->up) {
            r->frac -= r->up;
            r->ipos++;
        }
    }
    return k;
}
