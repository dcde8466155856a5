/*
 * Real FFT through a complex FFT of half the size (the even/odd packing
 * trick): z[m] = x[2m] + i x[2m+1], Z = FFT_{n/2}(z), then
 *   E[k] = (Z[k] + conj Z[n/2-k]) / 2,  O[k] = (Z[k] - conj Z[n/2-k]) / 2i,
 *   X[k] = E[k] + W^k O[k],  W = e^{-2 pi i / n}.
 * The complex FFT is iterative radix-2 decimation in time with a
 * precomputed bit-reversal permutation and twiddle table (double precision
 * when built, float when used).
 */
#include "dsp/fft.h"

#include <math.h>
#include <stdlib.h>

struct dsp_fft {
    size_t n;      /* real size */
    size_t h;      /* complex size n/2 */
    unsigned *rev; /* h bit-reversal indices */
    float *tw;     /* h/2 complex twiddles of the half-size FFT: e^{-2 pi i k / h} */
    float *rt;     /* n/2+1 complex twiddles of the split step: e^{-2 pi i k / n} */
};

dsp_fft *dsp_fft_new(size_t n)
{
    if (n < 4 || n > 65536 || (n & (n - 1)) != 0)
        return NULL;
    dsp_fft *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->n = n;
    p->h = n / 2;
    p->rev = malloc(p->h * sizeof *p->rev);
    p->tw = malloc((p->h / 2 + 1) * 2 * sizeof *p->tw);
    p->rt = malloc((n / 2 + 1) * 2 * sizeof *p->rt);
    if (!p->rev || !p->tw || !p->rt) {
        dsp_fft_free(p);
        return NULL;
    }
    unsigned bits = 0;
    while (((size_t)1 << bits) < p->h)
        bits++;
    for (size_t i = 0; i < p->h; i++) {
        unsigned r = 0;
        for (unsigned b = 0; b < bits; b++)
            if (i & ((size_t)1 << b))
                r |= 1u << (bits - 1 - b);
        p->rev[i] = r;
    }
    const double pi = 3.14159265358979323846;
    for (size_t k = 0; k <= p->h / 2; k++) {
        p->tw[2 * k] = (float)cos(-2.0 * pi * (double)k / (double)p->h);
        p->tw[2 * k + 1] = (float)sin(-2.0 * pi * (double)k / (double)p->h);
    }
    for (size_t k = 0; k <= n / 2; k++) {
        p->rt[2 * k] = (float)cos(-2.0 * pi * (double)k / (double)n);
        p->rt[2 * k + 1] = (float)sin(-2.0 * pi * (double)k / (double)n);
    }
    return p;
}

void dsp_fft_free(dsp_fft *p)
{
    if (!p)
        return;
    free(p->rev);
    free(p->tw);
    free(p->rt);
    free(p);
}

size_t dsp_fft_size(const dsp_fft *p) { return p ? p->n : 0; }

/* In-place complex FFT of size h on interleaved data already in bit-reversed
 * order. sign = -1 forward, +1 inverse (unscaled). */
static void cfft(const dsp_fft *p, float *a, int sign)
{
    size_t h = p->h;
    /* first stage: the twiddle is 1 */
    for (size_t i = 0; i + 1 < h; i += 2) {
        float *u = a + 2 * i, *v = u + 2;
        float tr = v[0], ti = v[1];
        v[0] = u[0] - tr;
        v[1] = u[1] - ti;
        u[0] += tr;
        u[1] += ti;
    }
    const float sg = sign > 0 ? -1.0f : 1.0f;
    for (size_t len = 4; len <= h; len <<= 1) {
        size_t half = len / 2, step = h / len;
        /* twiddle outside: loaded once per stage and offset */
        for (size_t j = 0; j < half; j++) {
            float wr = p->tw[2 * (j * step)];
            float wi = sg * p->tw[2 * (j * step) + 1];
            for (size_t i = j; i < h; i += len) {
                float *u = a + 2 * i, *v = a + 2 * (i + half);
                float tr = v[0] * wr - v[1] * wi;
                float ti = v[0] * wi + v[1] * wr;
                v[0] = u[0] - tr;
                v[1] = u[1] - ti;
                u[0] += tr;
                u[1] += ti;
            }
        }
    }
}

void dsp_fft_forward(const dsp_fft *p, const float *in, float *out)
{
    size_t h = p->h;
    /* out has n+2 floats: use its first n as the complex work array. */
    for (size_t m = 0; m < h; m++) {
        size_t r = p->rev[m];
        out[2 * r] = in[2 * m];
        out[2 * r + 1] = in[2 * m + 1];
    }
    cfft(p, out, -1);
    /* Split: bins k and h-k are computed together so out can be reused. */
    float z0r = out[0], z0i = out[1];
    for (size_t k = 1; k <= h / 2; k++) {
        size_t q = h - k;
        float zkr = out[2 * k], zki = out[2 * k + 1];
        float zqr = out[2 * q], zqi = out[2 * q + 1];
        /* bin k */
        float er = 0.5f * (zkr + zqr), ei = 0.5f * (zki - zqi);
        float orr = 0.5f * (zki + zqi), oi = -0.5f * (zkr - zqr);
        float wr = p->rt[2 * k], wi = p->rt[2 * k + 1];
        float xkr = er + wr * orr - wi * oi, xki = ei + wr * oi + wi * orr;
        /* bin q = h-k: E[q] = conj E[k], O[q] = conj O[k] */
        float wqr = p->rt[2 * q], wqi = p->rt[2 * q + 1];
        float xqr = er + wqr * orr + wqi * oi, xqi = -ei + wqr * (-oi) + wqi * orr;
        out[2 * k] = xkr;
        out[2 * k + 1] = xki;
        out[2 * q] = xqr;
        out[2 * q + 1] = xqi;
    }
    out[0] = z0r + z0i;
    out[1] = 0;
    out[2 * h] = z0r - z0i;
    out[2 * h + 1] = 0;
}

void dsp_fft_inverse(const dsp_fft *p, const float *in, float *out)
{
    size_t h = p->h;
    /* Build Z[k] = E[k] + i O[k] with E = (X[k] + conj X[h-k]) / 2,
     * O = (X[k] - conj X[h-k]) / (2 W^k), written bit-reversed into out. */
    for (size_t k = 0; k < h; k++) {
        size_t q = h - k;
        float xkr = in[2 * k], xki = k == 0 ? 0.0f : in[2 * k + 1];
        float xqr = in[2 * q], xqi = q == h ? 0.0f : in[2 * q + 1];
        float er = 0.5f * (xkr + xqr), ei = 0.5f * (xki - xqi);
        float dr = 0.5f * (xkr - xqr), di = 0.5f * (xki + xqi);
        /* divide by W^k: multiply by conj(W^k) */
        float wr = p->rt[2 * k], wi = -p->rt[2 * k + 1];
        float orr = dr * wr - di * wi, oi = dr * wi + di * wr;
        size_t r = p->rev[k];
        out[2 * r] = er - oi;
        out[2 * r + 1] = ei + orr;
    }
    cfft(p, out, +1);
    float s = 1.0f / (float)h; /* the half-size inverse FFT is unscaled */
    for (size_t i = 0; i < p->n; i++)
        out[i] *= s;
}

void dsp_hann(float *w, size_t n)
{
    const double pi = 3.14159265358979323846;
    for (size_t i = 0; i < n; i++)
        w[i] = (float)(0.5 - 0.5 * cos(2.0 * pi * (double)i / (double)n));
}
