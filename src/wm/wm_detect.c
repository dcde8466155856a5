/*
 * Blind detector (design in wm.c): keeps up to max_seconds of the mono
 * 16 kHz signal; a run searches 4 frame-grid offsets x 236 period phases,
 * decodes the 8 best candidates, and localises the mark once decoded.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/fft.h"
#include "dsp/resample.h"
#include "wm/wm_core.h"

#define CHUNK 1024
#define BIN_CLIP 1.0f   /* nepers: clip of one bin's change */
#define FLOOR_REL 1e-4  /* power floor relative to the band mean (-40 dB) */
#define OFFSETS 4
#define CANDIDATES 8
#define LOC_HALF 15       /* localisation window: 31 frames, ~1 s */
#define LOC_THRESHOLD 3.0 /* z of the windowed match */

struct aim_wm_detector {
    int rate, ch;
    wm_layout layout;
    dsp_fft *fft;
    dsp_resampler *down;
    float win[WM_N], frame[WM_N], spec[WM_N + 2];
    float *mono, *pull;
    float *buf;     /* 16 kHz mono */
    size_t len, cap;
    int64_t t0;     /* stream index of buf[0] at 16 kHz */
    size_t max_frames;
    float *z;       /* OFFSETS x max_frames x WM_GROUPS features */
    float *tmp;     /* max_frames */
    float *lg;      /* max_frames x WM_NBINS log magnitudes */
};

typedef struct cand {
    float score;
    int oi, s;
} cand;

void aim_wm_detect_config_init(aim_wm_detect_config *cfg)
{
    if (!cfg)
        return;
    cfg->sample_rate = 44100;
    cfg->channels = 1;
    cfg->max_seconds = 60.0;
}

void aim_wm_detector_free(aim_wm_detector *d)
{
    if (!d)
        return;
    dsp_fft_free(d->fft);
    dsp_resampler_free(d->down);
    free(d->mono);
    free(d->pull);
    free(d->buf);
    free(d->z);
    free(d->tmp);
    free(d->lg);
    free(d);
}

int aim_wm_detector_new(const aim_wm_detect_config *cfg, const aim_wm_key *key,
                        aim_wm_detector **out)
{
    if (out)
        *out = NULL;
    if (!cfg || !key || !out || cfg->sample_rate < AIM_WM_MIN_RATE ||
        cfg->sample_rate > AIM_WM_MAX_RATE || cfg->channels < 1 ||
        cfg->channels > AIM_WM_MAX_CHANNELS || !(cfg->max_seconds >= 4.0) ||
        !(cfg->max_seconds <= 600.0))
        return AIM_ERR_INVALID_ARG;
    aim_wm_detector *d = calloc(1, sizeof *d);
    if (!d)
        return AIM_ERR_NOMEM;
    d->rate = cfg->sample_rate;
    d->ch = cfg->channels;
    wm_layout_init(&d->layout, key);
    dsp_hann(d->win, WM_N);
    d->cap = (size_t)(cfg->max_seconds * WM_RATE);
    d->max_frames = d->cap / WM_HOP + 2;
    d->fft = dsp_fft_new(WM_N);
    d->down = dsp_resampler_new(d->rate, WM_RATE, CHUNK);
    d->mono = malloc(CHUNK * sizeof *d->mono);
    d->pull = malloc(4 * CHUNK * sizeof *d->pull);
    d->buf = malloc(d->cap * sizeof *d->buf);
    d->z = malloc((size_t)OFFSETS * d->max_frames * WM_GROUPS * sizeof *d->z);
    d->tmp = malloc(d->max_frames * sizeof *d->tmp);
    d->lg = malloc(d->max_frames * WM_NBINS * sizeof *d->lg);
    if (!d->fft || !d->down || !d->mono || !d->pull || !d->buf || !d->z || !d->tmp || !d->lg) {
        aim_wm_detector_free(d);
        return AIM_ERR_NOMEM;
    }
    *out = d;
    return AIM_OK;
}

void aim_wm_detector_reset(aim_wm_detector *d)
{
    if (!d)
        return;
    dsp_resampler_reset(d->down);
    d->len = 0;
    d->t0 = 0;
}

static void append(aim_wm_detector *d, const float *x, size_t n)
{
    if (n >= d->cap) {
        x += n - d->cap;
        d->t0 += (int64_t)(d->len + n - d->cap);
        n = d->cap;
        d->len = 0;
    }
    if (d->len + n > d->cap) {
        /* drop the oldest audio, a quarter of the window at a time */
        size_t drop = d->len + n - d->cap + d->cap / 4;
        if (drop > d->len)
            drop = d->len;
        memmove(d->buf, d->buf + drop, (d->len - drop) * sizeof *d->buf);
        d->len -= drop;
        d->t0 += (int64_t)drop;
    }
    memcpy(d->buf + d->len, x, n * sizeof *x);
    d->len += n;
}

int aim_wm_detector_feed(aim_wm_detector *d, const float *in, size_t frames)
{
    if (!d || (frames && !in))
        return AIM_ERR_INVALID_ARG;
    size_t ch = (size_t)d->ch;
    for (size_t pos = 0; pos < frames;) {
        size_t n = frames - pos < CHUNK ? frames - pos : CHUNK;
        const float *blk = in + pos * ch;
        for (size_t i = 0; i < n; i++) {
            float s = 0;
            for (size_t c = 0; c < ch; c++)
                s += blk[i * ch + c];
            d->mono[i] = s / (float)ch;
        }
        if (dsp_resampler_push(d->down, d->mono, n) != 0)
            return AIM_ERR_BAD_STATE;
        size_t got;
        while ((got = dsp_resampler_pull(d->down, d->pull, 4 * CHUNK)) > 0)
            append(d, d->pull, got);
        pos += n;
    }
    return AIM_OK;
}

/* Features of one grid offset: z[j][g] for nfr frames. */
static void features(aim_wm_detector *d, size_t off, size_t nfr, float *z)
{
    const wm_layout *l = &d->layout;
    float *lg = d->lg;
    for (size_t j = 0; j < nfr; j++) {
        const float *x = d->buf + off + j * WM_HOP;
        for (size_t i = 0; i < WM_N; i++)
            d->frame[i] = x[i] * d->win[i];
        dsp_fft_forward(d->fft, d->frame, d->spec);
        float p[WM_NBINS];
        double mean = 0;
        for (size_t b = 0; b < WM_NBINS; b++) {
            size_t k = WM_K0 + b;
            p[b] = d->spec[2 * k] * d->spec[2 * k] + d->spec[2 * k + 1] * d->spec[2 * k + 1];
            mean += p[b];
        }
        float floor_p = (float)(FLOOR_REL * mean / WM_NBINS) + 1e-20f;
        float *lj = lg + j * WM_NBINS;
        for (size_t b = 0; b < WM_NBINS; b++)
            lj[b] = 0.5f * logf(p[b] + floor_p);
    }
    /* per-bin temporal high-pass (removes the host's steady spectrum),
     * clipped so that onsets cannot dominate, summed per group */
    for (size_t j = 0; j < nfr; j++) {
        const float *lj = lg + j * WM_NBINS;
        const float *la = lg + (j > 0 ? j - 1 : j + 1) * WM_NBINS;
        const float *lc = lg + (j + 1 < nfr ? j + 1 : j - 1) * WM_NBINS;
        float *zj = z + j * WM_GROUPS;
        for (size_t g = 0; g < WM_GROUPS; g++)
            zj[g] = 0;
        float hb[WM_NBINS];
        for (size_t b = 0; b < WM_NBINS; b++)
            hb[b] = lj[b] - 0.5f * (la[b] + lc[b]);
        /* remove the common part of the change over the band (loudness,
         * syllable envelope): it is host, not mark */
        {
            float mean = 0;
            for (size_t b = 0; b < WM_NBINS; b++)
                mean += hb[b];
            mean /= (float)WM_NBINS;
            for (size_t b = 0; b < WM_NBINS; b++)
                hb[b] -= mean;
        }
        for (size_t b = 0; b < WM_NBINS; b++) {
            float h = hb[b];
            h = h > BIN_CLIP ? BIN_CLIP : h < -BIN_CLIP ? -BIN_CLIP : h;
            zj[l->group[b]] += (float)l->sign[b] * h;
        }
    }
    /* weight frames by their own noise level: a frame where the host
     * changes fast (an onset) carries less reliable cells */
    for (size_t j = 0; j < nfr; j++) {
        float *zj = z + j * WM_GROUPS;
        double ss = 0;
        for (size_t g = 0; g < WM_GROUPS; g++)
            ss += (double)zj[g] * zj[g];
        float inv = 1.0f / ((float)sqrt(ss / WM_GROUPS) + 1e-6f);
        for (size_t g = 0; g < WM_GROUPS; g++)
            zj[g] *= inv;
    }
    /* normalise and clip per group */
    for (size_t g = 0; g < WM_GROUPS; g++) {
        double ss = 0;
        for (size_t j = 0; j < nfr; j++)
            ss += (double)z[j * WM_GROUPS + g] * z[j * WM_GROUPS + g];
        float sd = (float)sqrt(ss / (double)nfr) + 1e-20f;
        for (size_t j = 0; j < nfr; j++) {
            float v = z[j * WM_GROUPS + g] / sd;
            z[j * WM_GROUPS + g] = v > 3.0f ? 3.0f : v < -3.0f ? -3.0f : v;
        }
    }
}

/* Soft coded bits for phase s; returns the data energy z-score. */
static float soft_bits(const wm_layout *l, const float *z, size_t nfr, size_t s, float *soft,
                       float *sync)
{
    float cnt[WM_CODED];
    memset(cnt, 0, sizeof cnt);
    memset(soft, 0, WM_CODED * sizeof *soft);
    double sy = 0, v = 0;
    for (size_t j = 0; j < nfr; j++) {
        size_t t = (j + s) % WM_PERIOD;
        const float *zj = z + j * WM_GROUPS;
        sy += l->sync[t] * zj[0];
        for (size_t g = 0; g < WM_DGROUPS; g++) {
            uint16_t b = l->cell_bit[t][g];
            soft[b] += l->cell_sign[t][g] * zj[g + 1];
            cnt[b] += 1.0f;
            v += (double)zj[g + 1] * zj[g + 1];
        }
    }
    v /= (double)nfr * WM_DGROUPS;
    double e = 0, n2 = 0;
    for (size_t b = 0; b < WM_CODED; b++) {
        e += (double)soft[b] * soft[b] - cnt[b] * v;
        n2 += 2.0 * (double)cnt[b] * cnt[b] * v * v;
    }
    *sync = (float)(sy / sqrt((double)nfr));
    return (float)(e / sqrt(n2 + 1e-30));
}

int aim_wm_detector_run(aim_wm_detector *d, aim_wm_result *res)
{
    if (!d || !res)
        return AIM_ERR_INVALID_ARG;
    memset(res, 0, sizeof *res);
    if (d->len < WM_N + OFFSETS * WM_HOP)
        return AIM_OK;
    const wm_layout *l = &d->layout;
    size_t nfr[OFFSETS];
    cand best[CANDIDATES];
    for (size_t c = 0; c < CANDIDATES; c++)
        best[c] = (cand){-1e30f, 0, 0};
    float soft[WM_CODED];
    for (size_t oi = 0; oi < OFFSETS; oi++) {
        size_t off = oi * (WM_HOP / OFFSETS);
        nfr[oi] = (d->len - off - WM_N) / WM_HOP + 1;
        float *z = d->z + oi * d->max_frames * WM_GROUPS;
        features(d, off, nfr[oi], z);
        for (size_t s = 0; s < WM_PERIOD; s++) {
            float sy;
            float sc = soft_bits(l, z, nfr[oi], s, soft, &sy) + sy;
            if (sc > best[CANDIDATES - 1].score) {
                size_t c = CANDIDATES - 1;
                while (c > 0 && best[c - 1].score < sc) {
                    best[c] = best[c - 1];
                    c--;
                }
                best[c] = (cand){sc, (int)oi, (int)s};
            }
        }
    }
    res->sync_score = best[0].score;
    for (size_t c = 0; c < CANDIDATES; c++) {
        size_t oi = (size_t)best[c].oi, s = (size_t)best[c].s;
        const float *z = d->z + oi * d->max_frames * WM_GROUPS;
        float sy;
        soft_bits(l, z, nfr[oi], s, soft, &sy);
        uint64_t payload;
        if (!wm_decode(l, soft, &payload))
            continue;
        res->found = 1;
        res->payload = payload;
        res->sync_score = best[c].score;
        /* localisation: per-frame match with the now known symbols */
        int8_t coded[WM_CODED];
        wm_encode(l, payload, coded);
        for (size_t j = 0; j < nfr[oi]; j++) {
            size_t t = (j + s) % WM_PERIOD;
            double q = 0;
            for (size_t g = 0; g < WM_GROUPS; g++)
                q += wm_symbol(l, coded, t, g) * z[j * WM_GROUPS + g];
            d->tmp[j] = (float)(q / 4.0); /* sqrt(WM_GROUPS) */
        }
        int in_seg = 0;
        size_t off = oi * (WM_HOP / OFFSETS);
        for (size_t j = 0; j < nfr[oi]; j++) {
            size_t a = j >= LOC_HALF ? j - LOC_HALF : 0;
            size_t b = j + LOC_HALF < nfr[oi] ? j + LOC_HALF : nfr[oi] - 1;
            double q = 0;
            for (size_t i = a; i <= b; i++)
                q += d->tmp[i];
            q /= sqrt((double)(b - a + 1));
            double centre = (double)(d->t0 + (int64_t)(off + j * WM_HOP + WM_N / 2));
            double t_start = (centre - WM_HOP / 2) / WM_RATE;
            double t_end = (centre + WM_HOP / 2) / WM_RATE;
            if (j == 0)
                t_start = (double)(d->t0 + (int64_t)off) / WM_RATE;
            if (j + 1 == nfr[oi])
                t_end = (double)(d->t0 + (int64_t)(off + j * WM_HOP + WM_N)) / WM_RATE;
            if (q > LOC_THRESHOLD) {
                if (in_seg)
                    res->segments[res->n_segments - 1].end_s = t_end;
                else if (res->n_segments < AIM_WM_MAX_SEGMENTS) {
                    res->segments[res->n_segments++] = (aim_wm_segment){t_start, t_end};
                    in_seg = 1;
                }
            } else {
                in_seg = 0;
            }
        }
        break;
    }
    return AIM_OK;
}
