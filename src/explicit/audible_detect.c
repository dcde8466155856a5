/*
 * Rhythm-prompt detector. Audio is mixed to mono and resampled to 8 kHz
 * (so telephone-band copies and full-band files look alike), cut into
 * 32 ms Hann frames every 10 ms, and for each tone frequency f tried two
 * numbers are kept per frame: N, the energy within +-62 Hz of f, and the
 * tonality N / (energy within +-375 Hz). At every 10 ms alignment the
 * short-long-short-short template is matched against the frames lying
 * wholly inside each tone and each gap (12 ms margins absorb timing
 * error): every tone must be tonal and at least min_contrast_db above the
 * loudest gap, and the four tones must be of similar level. This tests
 * the on/off envelope in a narrow band, which codecs, resampling and
 * broadband noise leave intact, while speech and music rarely hold a
 * pure tone in that exact rhythm. Passing alignments of one prompt are
 * merged; the start is their mean.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/fft.h"
#include "dsp/resample.h"
#include "explicit/audible_internal.h"

#define DRATE 8000
#define NFFT 256
#define HOP 80
#define CHUNK 4096
#define MAXF 10
#define NARROW 2          /* bins each side: +-62 Hz */
#define WIDE 12           /* bins each side: +-375 Hz */
#define MARGIN_S 0.012    /* timing tolerance at each segment edge */
#define MAX_OFFS 512      /* template frames in all */
#define MAX_HITS 4096
#define FLOOR_DB (-70.0)  /* quietest tone accepted, dB re a full-scale sine */
#define SPREAD_DB 12.0    /* most level difference between the tones */
#define PAD (NFFT / 2)    /* zeros before the audio: frame 0 is centred on t = 0 */

static const float search_set[] = {500, 600, 800, 1200, 1500, 2000, 2500, 3000};

struct aim_audible_detector {
    int rate, ch, finished;
    double total_s;
    float min_contrast, min_ton;
    dsp_resampler *rs;
    dsp_fft *fft;
    float win[NFFT], frame[NFFT], spec[NFFT + 2];
    float *mono;          /* CHUNK */
    float *ds;            /* 8 kHz samples from frame nhops on */
    size_t ds_len, ds_cap;
    int nf;
    float freq[MAXF];
    int k0[MAXF];
    /* template: frame offsets (from the alignment) of each segment */
    int noff;
    int off[MAX_OFFS];
    int seg[MAX_OFFS];
    int span;             /* frames from the alignment to the last one used, +1 */
    float *ring_n, *ring_t; /* [span][MAXF], indexed by hop % span */
    uint64_t nhops;       /* frames analysed */
    /* A cluster: passing alignments whose templates overlap. It holds runs
     * of consecutive alignments; the run with the best contrast places it. */
    int pend;
    uint64_t pend_last;          /* last alignment of the cluster */
    double cl_pos, cl_best;
    float cl_hz;
    uint64_t run_last;
    double run_sum, run_best;
    size_t run_cnt;
    float run_hz;
    aim_audible_hit *hits;
    size_t nhits, dropped;
};

void aim_audible_detect_config_init(aim_audible_detect_config *cfg)
{
    if (!cfg)
        return;
    memset(cfg, 0, sizeof *cfg);
    cfg->sample_rate = 44100;
    cfg->channels = 1;
    aim_audible_rhythm_init(&cfg->rhythm);
    cfg->search_tones = 0;
    cfg->min_contrast_db = 10.0f;
    cfg->min_tonality = 0.5f;
}

void aim_audible_detector_free(aim_audible_detector *d)
{
    if (!d)
        return;
    dsp_resampler_free(d->rs);
    dsp_fft_free(d->fft);
    free(d->mono);
    free(d->ds);
    free(d->ring_n);
    free(d->ring_t);
    free(d->hits);
    free(d);
}

static void add_freq(aim_audible_detector *d, float hz)
{
    int k = (int)lround(hz * NFFT / DRATE);
    for (int i = 0; i < d->nf; i++)
        if (abs(d->k0[i] - k) <= NARROW)
            return; /* already covered */
    if (d->nf < MAXF) {
        d->freq[d->nf] = hz;
        d->k0[d->nf++] = k;
    }
}

int aim_audible_detector_new(const aim_audible_detect_config *cfg, aim_audible_detector **out)
{
    if (out)
        *out = NULL;
    if (!cfg || !out || cfg->sample_rate < AIM_AUDIBLE_MIN_RATE ||
        cfg->sample_rate > AIM_AUDIBLE_MAX_RATE || cfg->channels < 1 ||
        cfg->channels > AIM_AUDIBLE_MAX_CHANNELS || audible_rhythm_check(&cfg->rhythm, 0) ||
        !(cfg->min_contrast_db >= 3.0f && cfg->min_contrast_db <= 40.0f) ||
        !(cfg->min_tonality >= 0.2f && cfg->min_tonality <= 0.99f) ||
        (cfg->search_tones != 0 && cfg->search_tones != 1))
        return AIM_ERR_INVALID_ARG;
    aim_audible_detector *d = calloc(1, sizeof *d);
    if (!d)
        return AIM_ERR_NOMEM;
    d->rate = cfg->sample_rate;
    d->ch = cfg->channels;
    d->min_contrast = cfg->min_contrast_db;
    d->min_ton = cfg->min_tonality;
    add_freq(d, cfg->rhythm.tone_hz);
    if (cfg->search_tones)
        for (size_t i = 0; i < sizeof search_set / sizeof search_set[0]; i++)
            add_freq(d, search_set[i]);

    audible_segments s;
    audible_segments_of(&cfg->rhythm, &s);
    d->total_s = s.total;
    const double hop_s = (double)HOP / DRATE, half = (double)NFFT / 2 / DRATE;
    /* Offset o: the frame centred o hops after the onset. */
    for (int g = 0; g < 7; g++) {
        int o0 = (int)ceil((s.t0[g] + MARGIN_S + half) / hop_s - 1e-9);
        int o1 = (int)floor((s.t1[g] - MARGIN_S - half) / hop_s + 1e-9);
        for (int o = o0; o <= o1 && d->noff < MAX_OFFS; o++) {
            d->off[d->noff] = o;
            d->seg[d->noff++] = g;
        }
        if (o1 < o0)
            break; /* cannot happen for valid timings */
    }
    d->span = d->off[d->noff - 1] + 1;

    d->rs = d->rate != DRATE ? dsp_resampler_new(d->rate, DRATE, CHUNK) : NULL;
    d->fft = dsp_fft_new(NFFT);
    d->mono = malloc(CHUNK * sizeof *d->mono);
    d->ds_cap = NFFT + CHUNK + 64;
    d->ds = malloc(d->ds_cap * sizeof *d->ds);
    d->ring_n = malloc((size_t)d->span * MAXF * sizeof *d->ring_n);
    d->ring_t = malloc((size_t)d->span * MAXF * sizeof *d->ring_t);
    d->hits = malloc(MAX_HITS * sizeof *d->hits);
    if ((d->rate != DRATE && !d->rs) || !d->fft || !d->mono || !d->ds || !d->ring_n ||
        !d->ring_t || !d->hits) {
        aim_audible_detector_free(d);
        return AIM_ERR_NOMEM;
    }
    dsp_hann(d->win, NFFT);
    memset(d->ds, 0, PAD * sizeof *d->ds);
    d->ds_len = PAD;
    *out = d;
    return AIM_OK;
}

static void close_run(aim_audible_detector *d)
{
    if (d->run_cnt > 0 && d->run_best > d->cl_best) {
        d->cl_best = d->run_best;
        d->cl_pos = d->run_sum / (double)d->run_cnt;
        d->cl_hz = d->run_hz;
    }
    d->run_cnt = 0;
    d->run_sum = 0.0;
    d->run_best = -1e9;
}

static void commit(aim_audible_detector *d)
{
    if (!d->pend)
        return;
    close_run(d);
    d->pend = 0;
    /* Frame m is centred on 8 kHz sample m * HOP (see PAD). */
    double t = d->cl_pos * HOP / DRATE;
    if (d->nhits == MAX_HITS) {
        d->dropped++;
        return;
    }
    aim_audible_hit *h = &d->hits[d->nhits++];
    h->start_s = t;
    h->end_s = t + d->total_s;
    h->tone_hz = d->cl_hz;
    h->contrast_db = (float)d->cl_best;
}

/* Alignments closer than this belong to one prompt. */
static uint64_t cluster_gap(const aim_audible_detector *d)
{
    return (uint64_t)d->span * 3 / 4;
}

/* Match the template at alignment a (its frames are all in the ring). */
static void evaluate(aim_audible_detector *d, uint64_t a)
{
    double best = -1e9;
    int best_f = -1;
    for (int f = 0; f < d->nf; f++) {
        double on_n[4] = {0}, on_t[4] = {0}, gap_n[3] = {0};
        int on_c[4] = {0}, gap_c[3] = {0};
        for (int i = 0; i < d->noff; i++) {
            size_t r = (size_t)((a + (uint64_t)d->off[i]) % (uint64_t)d->span) * MAXF + (size_t)f;
            int g = d->seg[i];
            if (g % 2 == 0) {
                on_n[g / 2] += d->ring_n[r];
                on_t[g / 2] += d->ring_t[r];
                on_c[g / 2]++;
            } else {
                gap_n[g / 2] += d->ring_n[r];
                gap_c[g / 2]++;
            }
        }
        double on_min = 1e9, on_max = -1e9, gap_max = -1e9, ton_min = 1.0;
        for (int k = 0; k < 4; k++) {
            double n = on_n[k] / on_c[k], t = on_t[k] / on_c[k];
            on_min = fmin(on_min, n);
            on_max = fmax(on_max, n);
            ton_min = fmin(ton_min, t);
        }
        for (int k = 0; k < 3; k++)
            gap_max = fmax(gap_max, gap_n[k] / gap_c[k]);
        double contrast = on_min - gap_max;
        if (ton_min < d->min_ton || contrast < d->min_contrast || on_min < FLOOR_DB ||
            on_max - on_min > SPREAD_DB)
            continue;
        if (contrast > best) {
            best = contrast;
            best_f = f;
        }
    }
    if (best_f < 0)
        return;
    if (d->pend && a >= d->pend_last + cluster_gap(d))
        commit(d);
    if (!d->pend) {
        d->pend = 1;
        d->cl_best = -1e9;
        d->run_cnt = 0;
        d->run_sum = 0.0;
        d->run_best = -1e9;
    } else if (a > d->run_last + 2) {
        close_run(d);
    }
    d->run_sum += (double)a;
    d->run_cnt++;
    d->run_last = a;
    if (best > d->run_best) {
        d->run_best = best;
        d->run_hz = d->freq[best_f];
    }
    d->pend_last = a;
}

static void analyse_frame(aim_audible_detector *d, const float *x)
{
    for (int i = 0; i < NFFT; i++)
        d->frame[i] = x[i] * d->win[i];
    dsp_fft_forward(d->fft, d->frame, d->spec);
    size_t r = (size_t)(d->nhops % (uint64_t)d->span) * MAXF;
    for (int f = 0; f < d->nf; f++) {
        double narrow = 0.0, wide = 0.0;
        for (int k = d->k0[f] - WIDE; k <= d->k0[f] + WIDE; k++) {
            if (k < 1 || k > NFFT / 2)
                continue;
            double p = (double)d->spec[2 * k] * d->spec[2 * k] +
                       (double)d->spec[2 * k + 1] * d->spec[2 * k + 1];
            wide += p;
            if (abs(k - d->k0[f]) <= NARROW)
                narrow += p;
        }
        /* 6144: the main-lobe energy of a unit sine in this window. */
        d->ring_n[r + (size_t)f] = (float)(10.0 * log10(narrow / 6144.0 + 1e-14));
        d->ring_t[r + (size_t)f] = (float)(narrow / (wide + 1e-20));
    }
    d->nhops++;
    if (d->nhops >= (uint64_t)d->span)
        evaluate(d, d->nhops - (uint64_t)d->span);
    if (d->pend && d->nhops >= (uint64_t)d->span &&
        d->nhops - (uint64_t)d->span >= d->pend_last + cluster_gap(d))
        commit(d);
}

/* Take 8 kHz samples, analyse every complete frame. */
static void take_ds(aim_audible_detector *d, const float *x, size_t n)
{
    while (n > 0) {
        size_t k = d->ds_cap - d->ds_len;
        if (k > n)
            k = n;
        memcpy(d->ds + d->ds_len, x, k * sizeof *x);
        d->ds_len += k;
        x += k;
        n -= k;
        size_t pos = 0;
        while (d->ds_len - pos >= NFFT) {
            analyse_frame(d, d->ds + pos);
            pos += HOP;
        }
        memmove(d->ds, d->ds + pos, (d->ds_len - pos) * sizeof *d->ds);
        d->ds_len -= pos;
    }
}

static void take_mono(aim_audible_detector *d, const float *m, size_t n)
{
    if (!d->rs) {
        take_ds(d, m, n);
        return;
    }
    float buf[CHUNK];
    dsp_resampler_push(d->rs, m, n);
    size_t got;
    while ((got = dsp_resampler_pull(d->rs, buf, CHUNK)) > 0)
        take_ds(d, buf, got);
}

int aim_audible_detector_feed(aim_audible_detector *d, const float *in, size_t frames)
{
    if (!d || (frames && !in))
        return AIM_ERR_INVALID_ARG;
    if (d->finished)
        return AIM_ERR_BAD_STATE;
    size_t ch = (size_t)d->ch;
    while (frames > 0) {
        size_t n = frames < CHUNK ? frames : CHUNK;
        for (size_t i = 0; i < n; i++) {
            float s = 0.0f;
            for (size_t c = 0; c < ch; c++)
                s += in[i * ch + c];
            d->mono[i] = s / (float)ch;
        }
        take_mono(d, d->mono, n);
        in += n * ch;
        frames -= n;
    }
    return AIM_OK;
}

int aim_audible_detector_finish(aim_audible_detector *d)
{
    if (!d)
        return AIM_ERR_INVALID_ARG;
    if (d->finished)
        return AIM_OK;
    float zeros[CHUNK] = {0};
    /* Push the resampler's look-ahead through, then pad so the last
     * samples reach a complete frame and the template can close. */
    if (d->rs)
        for (size_t left = dsp_resampler_delay(d->rs) + 1; left > 0;) {
            size_t k = left < CHUNK ? left : CHUNK;
            take_mono(d, zeros, k);
            left -= k;
        }
    take_ds(d, zeros, NFFT);
    commit(d);
    d->finished = 1;
    return AIM_OK;
}

const aim_audible_hit *aim_audible_detector_hits(const aim_audible_detector *d, size_t *n)
{
    if (n)
        *n = d ? d->nhits : 0;
    return d ? d->hits : NULL;
}

size_t aim_audible_detector_dropped(const aim_audible_detector *d)
{
    return d ? d->dropped : 0;
}

void aim_audible_detector_reset(aim_audible_detector *d)
{
    if (!d)
        return;
    if (d->rs)
        dsp_resampler_reset(d->rs);
    memset(d->ds, 0, PAD * sizeof *d->ds);
    d->ds_len = PAD;
    d->nhops = 0;
    d->pend = 0;
    d->nhits = 0;
    d->dropped = 0;
    d->finished = 0;
}
