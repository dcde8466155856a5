/*
 * DSP building blocks: the real FFT against a naive double-precision DFT,
 * the round trip, and the resampler against analytic sines.
 */
#include <math.h>
#include <string.h>
#include <stdint.h>
#include <stdlib.h>

#include "dsp/fft.h"
#include "dsp/masking.h"
#include "dsp/resample.h"
#include "test.h"

static const double PI = 3.14159265358979323846;

static uint64_t rng_state = 12345;
static double urand(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static void t_fft_vs_dft(void)
{
    for (size_t n = 4; n <= 2048; n *= 2) {
        dsp_fft *p = dsp_fft_new(n);
        CHECK(p != NULL);
        if (!p)
            return;
        float *x = malloc(n * sizeof *x), *X = malloc((n + 2) * sizeof *X);
        float *y = malloc(n * sizeof *y);
        for (size_t i = 0; i < n; i++)
            x[i] = (float)(urand() * 2 - 1);
        dsp_fft_forward(p, x, X);
        double maxerr = 0, scale = sqrt((double)n);
        for (size_t k = 0; k <= n / 2; k++) {
            double re = 0, im = 0;
            for (size_t i = 0; i < n; i++) {
                double a = -2.0 * PI * (double)(k * i % n) / (double)n;
                re += x[i] * cos(a);
                im += x[i] * sin(a);
            }
            double e = fabs(re - X[2 * k]) + fabs(im - X[2 * k + 1]);
            if (e > maxerr)
                maxerr = e;
        }
        CHECK(maxerr / scale < 1e-5);
        dsp_fft_inverse(p, X, y);
        double rt = 0;
        for (size_t i = 0; i < n; i++)
            if (fabs(y[i] - x[i]) > rt)
                rt = fabs(y[i] - x[i]);
        CHECK(rt < 1e-5);
        free(x);
        free(X);
        free(y);
        dsp_fft_free(p);
    }
}

/* The plan copies through aligned scratch when a buffer is not aligned
 * for av_tx's SIMD code: both paths must give the same bits, leave the
 * input alone and write exactly n + 2 (forward) or n (inverse) floats. */
static void t_fft_alignment(void)
{
    for (size_t n = 1024; n <= 65536; n *= 64) {
        dsp_fft *p = dsp_fft_new(n);
        CHECK(p != NULL);
        if (!p)
            return;
        float *a = aligned_alloc(64, (n + 64) * sizeof *a);
        float *b = aligned_alloc(64, (n + 64) * sizeof *b);
        float *ref = malloc((n + 2) * sizeof *ref), *x0 = malloc(n * sizeof *x0);
        CHECK(a && b && ref && x0);
        if (!a || !b || !ref || !x0)
            return;
        for (size_t i = 0; i < n; i++)
            x0[i] = (float)(urand() * 2 - 1);
        memcpy(a, x0, n * sizeof *a);
        dsp_fft_forward(p, a, b); /* both aligned */
        memcpy(ref, b, (n + 2) * sizeof *ref);
        CHECK(memcmp(a, x0, n * sizeof *a) == 0);
        for (size_t ia = 1; ia <= 3; ia += 2) {
            float *in = a + ia, *out = b + 4 - ia;
            memcpy(in, x0, n * sizeof *in);
            for (size_t i = 0; i < n + 8; i++)
                out[i] = 12345.0f;
            dsp_fft_forward(p, in, out);
            CHECK(memcmp(out, ref, (n + 2) * sizeof *out) == 0);
            CHECK(out[n + 2] == 12345.0f);
            CHECK(memcmp(in, x0, n * sizeof *in) == 0);
            float *y = a + 4 - ia;
            y[n] = 12345.0f;
            dsp_fft_inverse(p, out, y);
            CHECK(y[n] == 12345.0f);
            double rt = 0;
            for (size_t i = 0; i < n; i++)
                rt = fabs(y[i] - x0[i]) > rt ? fabs(y[i] - x0[i]) : rt;
            CHECK(rt < 1e-5);
        }
        free(a);
        free(b);
        free(ref);
        free(x0);
        dsp_fft_free(p);
    }
}

static void t_fft_bad(void)
{
    CHECK(dsp_fft_new(0) == NULL);
    CHECK(dsp_fft_new(2) == NULL);
    CHECK(dsp_fft_new(1000) == NULL);
    CHECK(dsp_fft_new((size_t)1 << 20) == NULL);
    dsp_fft_free(NULL);
    float w[8];
    dsp_hann(w, 8);
    CHECK(w[0] == 0.0f);
    CHECK(fabs(w[4] - 1.0) < 1e-6);
    CHECK(fabs(w[2] + w[6] - 1.0) < 1e-6); /* constant overlap-add at hop n/2 */
}

/* Resample a sine, compare with the analytic sine at the output times. */
static double rs_err_band(int fin, int fout, double f, size_t chunk, double pass);

static double rs_err(int fin, int fout, double f, size_t chunk)
{
    return rs_err_band(fin, fout, f, chunk, 0.0);
}

/* Max error of a resampled tone against the ideal (pass > 0: band mode). */
static double rs_err_band(int fin, int fout, double f, size_t chunk, double pass)
{
    size_t n = (size_t)fin; /* 1 s */
    float *x = malloc(n * sizeof *x);
    size_t on = (size_t)fout + 16;
    float *y = malloc(on * sizeof *y);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)sin(2 * PI * f * (double)i / fin);
    dsp_resampler *r = pass > 0 ? dsp_resampler_new_band(fin, fout, chunk, pass)
                                 : dsp_resampler_new(fin, fout, chunk);
    if (!r)
        return 1e9;
    size_t got = 0;
    for (size_t i = 0; i < n; i += chunk) {
        size_t c = n - i < chunk ? n - i : chunk;
        if (dsp_resampler_push(r, x + i, c) != 0)
            return 1e9;
        got += dsp_resampler_pull(r, y + got, on - got);
    }
    double err = 0;
    /* skip the start (signal is zero before 0) and the unflushed end */
    for (size_t j = (size_t)fout / 20; j < got && j < (size_t)fout * 9 / 10; j++) {
        double e = fabs(y[j] - sin(2 * PI * f * (double)j / fout));
        if (e > err)
            err = e;
    }
    if (got < (size_t)fout * 9 / 10)
        err = 1e9;
    dsp_resampler_free(r);
    free(x);
    free(y);
    return err;
}

static void t_resample(void)
{
    CHECK(rs_err(44100, 16000, 1000, 4096) < 2e-3);
    CHECK(rs_err(44100, 16000, 3000, 77) < 2e-3);
    CHECK(rs_err(16000, 44100, 2500, 100) < 2e-3);
    CHECK(rs_err(8000, 16000, 440, 1) < 2e-3);
    CHECK(rs_err(48000, 16000, 5000, 1000) < 2e-3);
    CHECK(rs_err(96000, 16000, 300, 960) < 2e-3);
    CHECK(rs_err(22050, 16000, 4000, 512) < 2e-3);
    CHECK(rs_err(16000, 16000, 1234, 33) < 1e-4);
    /* ratios with more than 1024 phases use the interpolated table */
    CHECK(rs_err(44056, 16000, 1000, 500) < 2e-3);
    CHECK(rs_err(16000, 44057, 2000, 300) < 2e-3);
    /* a tone above the output Nyquist is removed */
    {
        float x[4800], y[2000];
        for (int i = 0; i < 4800; i++)
            x[i] = (float)sin(2 * PI * 10000.0 * i / 48000);
        dsp_resampler *r = dsp_resampler_new(48000, 16000, 4800);
        CHECK(r != NULL);
        if (r) {
            CHECK_INT(dsp_resampler_push(r, x, 4800), 0);
            size_t got = dsp_resampler_pull(r, y, 2000);
            double m = 0;
            for (size_t j = 200; j < got; j++)
                if (fabs(y[j]) > m)
                    m = fabs(y[j]);
            CHECK(m < 1e-3);
            CHECK_INT(dsp_resampler_push(r, x, 4801), -1);
            dsp_resampler_free(r);
        }
    }
    /* band mode: clean below pass_hz, short filter */
    CHECK(rs_err_band(44100, 16000, 3800, 1024, 3900) < 2e-3);
    CHECK(rs_err_band(16000, 44100, 350, 512, 3900) < 2e-3);
    CHECK(rs_err_band(16000, 48000, 3000, 512, 3900) < 2e-3);
    CHECK(rs_err_band(8000, 16000, 2000, 100, 3000) < 2e-3);
    CHECK(rs_err_band(16000, 16000, 1234, 33, 3900) < 1e-4);
    {
        dsp_resampler *a = dsp_resampler_new_band(44100, 16000, 64, 3900);
        dsp_resampler *b = dsp_resampler_new(44100, 16000, 64);
        CHECK(a && b && dsp_resampler_delay(a) * 2 < dsp_resampler_delay(b));
        dsp_resampler_free(a);
        dsp_resampler_free(b);
    }
    /* a 13 kHz tone (folds to 3 kHz at 16 kHz) stays out of the band */
    {
        static float x[44100], y[16100];
        for (int i = 0; i < 44100; i++)
            x[i] = (float)sin(2 * PI * 13000.0 * i / 44100);
        dsp_resampler *r = dsp_resampler_new_band(44100, 16000, 44100, 3900);
        CHECK(r != NULL);
        if (r) {
            CHECK_INT(dsp_resampler_push(r, x, 44100), 0);
            size_t got = dsp_resampler_pull(r, y, 16100);
            double m = 0;
            for (size_t j = 200; j < got; j++)
                m = fabs(y[j]) > m ? fabs(y[j]) : m;
            CHECK(m < 1e-3);
            dsp_resampler_free(r);
        }
    }
    CHECK(dsp_resampler_new_band(16000, 8000, 10, 3500) == NULL); /* pass too high */
    CHECK(dsp_resampler_new_band(16000, 8000, 10, 0) == NULL);
    CHECK(dsp_resampler_new(0, 16000, 10) == NULL);
    CHECK(dsp_resampler_new(16000, 16000, 0) == NULL);
    dsp_resampler_free(NULL);
}


/* Masking threshold (dsp/masking.h): bands, tonality, threshold in quiet. */
static double band_ratio_db(const dsp_masking *m, const float *pw, const float *thr, size_t b)
{
    const uint8_t *band = dsp_masking_band_of(m);
    double e = 0;
    for (size_t k = 1; k <= 512; k++)
        if (band[k] == b)
            e += pw[k];
    return 10 * log10(thr[b] / (e + 1e-30));
}

static void t_masking(void)
{
    CHECK(dsp_masking_new(16000, 1000) == NULL);
    CHECK(dsp_masking_new(0, 1024) == NULL);
    dsp_masking_free(NULL);
    dsp_masking *m = dsp_masking_new(16000, 1024);
    dsp_fft *f = dsp_fft_new(1024);
    CHECK(m != NULL && f != NULL);
    if (!m || !f)
        return;
    CHECK_INT((int)dsp_masking_bands(m), 22); /* 0-8 kHz is 21.3 Bark */
    const uint8_t *band = dsp_masking_band_of(m);
    CHECK_INT(band[0], 0);
    CHECK_INT(band[64], 8); /* 1 kHz: 8.5 Bark */
    CHECK_INT(band[512], 21);
    static float w[1024], x[1024], sp[1026], pw[513];
    float thr[DSP_MASKING_MAX_BANDS];
    dsp_hann(w, 1024);
    /* white noise: flat spectrum, noise-masking offset (~5.5 dB, plus the
     * spread from the neighbours) */
    for (int i = 0; i < 1024; i++)
        x[i] = (float)((urand() + urand() + urand() - 1.5) * 0.1) * w[i];
    dsp_fft_forward(f, x, sp);
    for (int k = 0; k <= 512; k++)
        pw[k] = sp[2 * k] * sp[2 * k] + sp[2 * k + 1] * sp[2 * k + 1];
    dsp_masking_threshold(m, pw, thr);
    for (size_t b = 4; b < 20; b++) {
        double r = band_ratio_db(m, pw, thr, b);
        CHECK(r > -9.0 && r < 3.0);
    }
    /* one 1 kHz tone: tone-masking offset 14.5 + 8 dB in its band, and
     * the threshold falls off away from it (spreading) */
    for (int i = 0; i < 1024; i++)
        x[i] = (float)(0.5 * sin(2 * PI * 1000.0 * i / 16000)) * w[i];
    dsp_fft_forward(f, x, sp);
    for (int k = 0; k <= 512; k++)
        pw[k] = sp[2 * k] * sp[2 * k] + sp[2 * k + 1] * sp[2 * k + 1];
    dsp_masking_threshold(m, pw, thr);
    double r8 = band_ratio_db(m, pw, thr, 8);
    CHECK(r8 > -24.0 && r8 < -21.0);
    CHECK(thr[12] < thr[8] * 1e-2);
    CHECK(thr[4] < thr[8] * 1e-3);
    /* silence: the threshold in quiet, positive everywhere, lowest
     * around 3-4 kHz */
    memset(pw, 0, sizeof pw);
    dsp_masking_threshold(m, pw, thr);
    for (size_t b = 0; b < 22; b++)
        CHECK(thr[b] > 0);
    CHECK(thr[band[224]] < thr[band[8]]);
    dsp_masking_free(m);
    dsp_fft_free(f);
}

TEST_MAIN(t_fft_vs_dft, t_fft_alignment, t_fft_bad, t_resample, t_masking)
