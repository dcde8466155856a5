/*
 * Simultaneous-masking threshold (model and references in masking.h).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "dsp/masking.h"

#include <math.h>
#include <stdlib.h>

#include "dsp/fft.h"

struct dsp_masking {
    size_t n, nbins, nb;
    uint8_t *band;                                      /* nbins */
    float spread[DSP_MASKING_MAX_BANDS][DSP_MASKING_MAX_BANDS]; /* linear */
    float quiet[DSP_MASKING_MAX_BANDS]; /* threshold in quiet, power units */
};

void dsp_masking_free(dsp_masking *m)
{
    if (!m)
        return;
    free(m->band);
    free(m);
}

dsp_masking *dsp_masking_new(int rate, size_t n)
{
    if (rate < 1000 || rate > 768000 || n < 64 || n > 65536 || (n & (n - 1)))
        return NULL;
    dsp_masking *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->n = n;
    m->nbins = n / 2 + 1;
    m->band = malloc(m->nbins);
    float *w = malloc(n * sizeof *w);
    if (!m->band || !w) {
        free(w);
        dsp_masking_free(m);
        return NULL;
    }
    double lo_hz[DSP_MASKING_MAX_BANDS];
    for (size_t k = 0; k < m->nbins; k++) {
        double f = (double)k * rate / (double)n;
        double z = 13.0 * atan(0.00076 * f) + 3.5 * atan((f / 7500.0) * (f / 7500.0));
        size_t b = (size_t)z;
        if (b >= DSP_MASKING_MAX_BANDS)
            b = DSP_MASKING_MAX_BANDS - 1;
        m->band[k] = (uint8_t)b;
        if (b + 1 > m->nb) {
            for (size_t j = m->nb; j <= b; j++)
                lo_hz[j] = f;
            m->nb = b + 1;
        }
    }
    for (size_t i = 0; i < m->nb; i++)
        for (size_t j = 0; j < m->nb; j++) { /* masker j on band i */
            double dz = (double)i - (double)j + 0.474;
            double sf = 15.81 + 7.5 * dz - 17.5 * sqrt(1.0 + dz * dz);
            m->spread[i][j] = (float)pow(10.0, sf / 10.0);
        }
    /* power of a full-scale sine in one bin of the windowed frame is
     * (sum w / 2)^2; that level is 96 dB SPL */
    dsp_hann(w, n);
    double ws = 0;
    for (size_t i = 0; i < n; i++)
        ws += w[i];
    free(w);
    double p96 = (ws / 2) * (ws / 2);
    for (size_t b = 0; b < m->nb; b++) {
        double fk = (lo_hz[b] < 20.0 ? 20.0 : lo_hz[b]) / 1000.0;
        double ath = 3.64 * pow(fk, -0.8) - 6.5 * exp(-0.6 * (fk - 3.3) * (fk - 3.3)) +
                     1e-3 * pow(fk, 4);
        m->quiet[b] = (float)(p96 * pow(10.0, (ath - 96.0) / 10.0));
    }
    return m;
}

size_t dsp_masking_bands(const dsp_masking *m) { return m ? m->nb : 0; }
const uint8_t *dsp_masking_band_of(const dsp_masking *m) { return m ? m->band : NULL; }

void dsp_masking_threshold(const dsp_masking *m, const float *pw, float *thr)
{
    double e[DSP_MASKING_MAX_BANDS] = {0};
    double lsum = 0, asum = 0;
    size_t cnt = 0;
    for (size_t k = 1; k < m->nbins; k++) {
        float p = pw[k];
        e[m->band[k]] += p;
        asum += p;
        lsum += logf(p + 1e-30f);
        cnt++;
    }
    /* spectral flatness in dB: geometric over arithmetic mean */
    double alpha = 1.0;
    if (asum > 1e-30) {
        double sfm_db = 10.0 / log(10.0) * (lsum / (double)cnt - log(asum / (double)cnt));
        alpha = sfm_db / -60.0;
        alpha = alpha < 0 ? 0 : alpha > 1 ? 1 : alpha;
    }
    for (size_t i = 0; i < m->nb; i++) {
        double s = 0;
        for (size_t j = 0; j < m->nb; j++)
            s += m->spread[i][j] * e[j];
        double off_db = alpha * (14.5 + (double)i) + (1.0 - alpha) * 5.5;
        double t = s * exp(-off_db * 0.23025850929940457) /* 10^(-off/10) */;
        thr[i] = (float)(t > m->quiet[i] ? t : m->quiet[i]);
    }
}
