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

/* SIMD kernels where the target has SSE2 (every x86-64), unless the build
 * asks for the plain C ones (cmake -DAIM_SIMD=OFF) */
#if defined(__SSE2__) && !defined(AIM_NO_SIMD)
#define WM_SSE2 1
#include <emmintrin.h>
#endif

#define CHUNK 1024
#define BIN_CLIP 1.6f   /* nepers: clip of one bin's change */
#define FLOOR_REL 1e-4  /* power floor relative to the band mean (-40 dB) */
#define NOISE_PCT 5     /* percentile of frame powers taken as the noise floor */
#define OFFSETS 4                /* frame-grid offsets searched per slot ... */
#define GRID (WM_HOP / OFFSETS)  /* ... GRID samples apart */
#define FHOP (GRID / 2)          /* fine analysis hop: a candidate is also
                                  * decoded half a grid step either side */
#define TILT 0.3                 /* bin weight (k / WM_K0)^-TILT, see features */
#define KL (WM_K0 - 3)          /* fine bins kept: KL..KH-1, room for */
#define KH (WM_K1 + 14)         /* the frequency scaling of a speed change */
#define NBL (KH - KL)
#define NSCALE 35               /* scale hypotheses per line, 1 + (i - 17) * SCALE_STEP: */
#define SCALE_STEP 0.003        /* 0.949 .. 1.051, each covers +-0.15 % */
#define NLINES 3                /* speed (time and frequency), tempo (time), pitch
                                 * (frequency): see scale_on_line */
#define WIN_SLOTS 320           /* search window (10.2 s) for longer clips */
#define PRUNE 6                /* phases kept by sync per scaled hypothesis */
#define SYNC_WEIGHT 0.5f       /* rank: data energy z + this x sync z (lab: 0, 0.5,
                                * 1, 2, 4 tried; 1 and over let readings a slot or
                                * two off the true one crowd the candidates) */
#define CANDIDATES 8
#define GMAX ((WM_NBINS + WM_GROUPS - 1) / WM_GROUPS) /* bins of the largest group */
#define NSLOT (GMAX * WM_GROUPS) /* band slots of a stored row, see spectrogram */
#define ROWLEN (NSLOT + NBL - WM_NBINS) /* + the fine bins outside the band */
#define REFINE 3                /* decodes per candidate: scale, +-1/3 step */
#define PRES_SHORT 94     /* short presence windows (slots, 3 s), see presence */
#define LOC_HALF 15       /* localisation window: 31 frames, ~1 s */
#define LOC_THRESHOLD 3.0 /* z of the windowed match */
#define LOC_GAP_S 1.0     /* shorter gaps between marked ranges are closed */
#define LOC_REFINE 4      /* whole-clip scale refinement: +-4 steps of ... */
#define LOC_REFINE_STEP 0.0003 /* ... 0.03 % */

/* Features of one hypothesis folded over the period (fold, below). */
typedef struct folded {
    float z[WM_PERIOD * WM_GROUPS];
    size_t rows, nfr;
    /* the rows combined into chips with their + - + - pattern, for each
     * alignment r = phase mod WM_CHIP: row i is in chip (r + i) / WM_CHIP
     * of the window (a window of a whole period may touch its first
     * chip again at the end: WM_CHIPS + 1) */
    float y[WM_CHIP][WM_CHIPS + 1][WM_GROUPS];
    size_t nk[WM_CHIP];
} folded;

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
    float *z;       /* max_frames x WM_GROUPS features */
    float *tmp;     /* max_frames */
    float *lg;      /* max_frames x WM_NBINS log magnitudes */
    float *fine;    /* (cap / FHOP) x ROWLEN fine log spectrogram (spectrogram) */
    float *fpow;    /* band mean power of each fine frame */
    float *fsort;   /* scratch for the noise-floor percentile */
    float noise_floor; /* NOISE_PCT percentile of fpow (0: none) */
    float wslot[NSLOT];              /* key sign times weight of each slot, 0: pad */
    int16_t slot_bin[NSLOT];         /* band bin of each slot, -1: pad */
    uint16_t pos[NBL];               /* where fine bin KL + i is stored in a row */
    float sync2[2 * WM_PERIOD];      /* sync symbols over two periods */
    const float **rows; /* max_frames rows of log magnitudes for features */
    size_t *fidx;       /* max_frames: their fine frames */
    uint64_t raw;   /* payload bits of the last run's best candidate */
    folded *fz;     /* the current hypothesis folded over the period */
};

uint64_t wm_detector_raw_bits(const aim_wm_detector *d) { return d ? d->raw : 0; }

typedef struct cand {
    float score;
    int off, s, si; /* frame-grid offset (samples), period phase, scale index */
    int line;      /* which factors the scale applies to (scale_on_line) */
    double a;      /* scale (refined around scale_of(si)) */
    size_t j0, n;  /* window: original frames j0..j0+n-1 */
} cand;

/* Time and frequency factors of a hypothesis: original time u is at u / t
 * in the clip, original frequency f at f x f. */
typedef struct tfscale {
    double t, f;
} tfscale;

/* The three lines of the search. A speed change by resampling scales time
 * by 1/a and frequency by a (line 0); a tempo change with the pitch kept
 * (WSOLA, phase vocoder) scales time only (line 1); a pitch shift with the
 * tempo kept scales frequency only (line 2). Every line holds the NSCALE
 * factors of scale_of; a = 1 is the same hypothesis on all three and is
 * searched on line 0 only. */
static tfscale scale_on_line(int line, double a)
{
    return line == 0 ? (tfscale){a, a} : line == 1 ? (tfscale){a, 1.0} : (tfscale){1.0, a};
}

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
    free(d->rows);
    free(d->fidx);
    free(d->fine);
    free(d->fpow);
    free(d->fsort);
    free(d->fz);
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
    /* stored row layout (spectrogram): slot m * WM_GROUPS + g holds the
     * m-th band bin of group g (ascending; a pad of 0 where the group has
     * fewer), then the fine bins outside the band in ascending order */
    for (size_t i = 0; i < NSLOT; i++)
        d->slot_bin[i] = -1;
    for (size_t g = 0; g < WM_GROUPS; g++)
        for (size_t b = 0, m = 0; b < WM_NBINS; b++)
            if (d->layout.group[b] == g && m < GMAX)
                d->slot_bin[m++ * WM_GROUPS + g] = (int16_t)b;
    for (size_t i = 0, o = NSLOT; i < NBL; i++)
        if (KL + i < WM_K0 || KL + i >= WM_K1)
            d->pos[i] = (uint16_t)o++;
    for (size_t i = 0; i < NSLOT; i++) {
        int b = d->slot_bin[i];
        d->wslot[i] = b < 0 ? 0.0f
                            : (float)d->layout.sign[b] *
                                  powf((float)(WM_K0 + b) / WM_K0, -(float)TILT);
        if (b >= 0)
            d->pos[WM_K0 - KL + b] = (uint16_t)i;
    }
    for (size_t t = 0; t < 2 * WM_PERIOD; t++)
        d->sync2[t] = d->layout.sync[t % WM_PERIOD];
    dsp_hann(d->win, WM_N);
    d->cap = (size_t)(cfg->max_seconds * WM_RATE);
    /* a slowed-down clip holds up to 1/0.949 times more original frames */
    d->max_frames = d->cap / WM_HOP * 11 / 10 + 8;
    d->fft = dsp_fft_new(WM_N);
    d->down = wm_resampler_new(d->rate, WM_RATE, CHUNK);
    d->mono = malloc(CHUNK * sizeof *d->mono);
    d->pull = malloc(4 * CHUNK * sizeof *d->pull);
    d->buf = malloc(d->cap * sizeof *d->buf);
    d->z = malloc(d->max_frames * WM_GROUPS * sizeof *d->z);
    d->tmp = malloc(d->max_frames * sizeof *d->tmp);
    d->lg = malloc(d->max_frames * NSLOT * sizeof *d->lg);
    d->rows = malloc(d->max_frames * sizeof *d->rows);
    d->fidx = malloc(d->max_frames * sizeof *d->fidx);
    d->fine = malloc((d->cap / FHOP + 1) * ROWLEN * sizeof *d->fine);
    d->fpow = malloc((d->cap / FHOP + 1) * sizeof *d->fpow);
    d->fsort = malloc((d->cap / FHOP + 1) * sizeof *d->fsort);
    d->fz = malloc(sizeof *d->fz);
    if (!d->fft || !d->down || !d->mono || !d->pull || !d->buf || !d->z || !d->tmp || !d->lg ||
        !d->rows || !d->fidx || !d->fine || !d->fpow || !d->fsort || !d->fz) {
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
            d->mono[i] = isfinite(s) ? s / (float)ch : 0.0f; /* NaN/inf samples count as 0 */
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

/* total order for qsort, NaN first (a comparator that is not transitive
 * is undefined behaviour for qsort) */
static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    int xn = isnan(x), yn = isnan(y);
    if (xn || yn)
        return yn - xn;
    return x < y ? -1 : x > y;
}

/* Fine log-magnitude spectrogram of the whole buffer: frames every FHOP
 * samples (the 4 grid offsets of the search and the half steps between
 * them), bins KL..KH-1 (the band plus room for the frequency scaling of a
 * speed change or pitch shift). Computed once per run; every hypothesis
 * reads it. A stored row (ROWLEN floats) holds the band's bins interleaved
 * by group: slot m * WM_GROUPS + g is the m-th bin of group g (d->pos,
 * d->slot_bin; a pad of 0 where a group has one bin less), then the bins
 * outside the band, so that a frame's group sums are vector adds over
 * whole rows of slots (frame_features). At the default 60 s window it
 * takes 15 MB. */
static size_t spectrogram(aim_wm_detector *d)
{
    size_t nf = (d->len - WM_N) / FHOP + 1;
    for (size_t f = 0; f < nf; f++) {
        const float *x = d->buf + f * FHOP;
        for (size_t i = 0; i < WM_N; i++)
            d->frame[i] = x[i] * d->win[i];
        dsp_fft_forward(d->fft, d->frame, d->spec);
        float p[NBL];
        double mean = 0;
        for (size_t b = 0; b < NBL; b++) {
            size_t k = KL + b;
            p[b] = d->spec[2 * k] * d->spec[2 * k] + d->spec[2 * k + 1] * d->spec[2 * k + 1];
            if (k >= WM_K0 && k < WM_K1)
                mean += p[b];
        }
        d->fpow[f] = (float)(mean / WM_NBINS);
        float floor_p = (float)(FLOOR_REL * mean / WM_NBINS) + 1e-20f;
        float *lf = d->fine + f * ROWLEN;
        for (size_t i = 0; i < NSLOT; i++)
            lf[i] = 0.0f; /* pads */
        for (size_t b = 0; b < NBL; b++)
            lf[d->pos[b]] = 0.5f * logf(p[b] + floor_p);
    }
    /* noise floor of the clip: a low percentile of the frame powers */
    memcpy(d->fsort, d->fpow, nf * sizeof *d->fsort);
    qsort(d->fsort, nf, sizeof *d->fsort, cmp_float);
    d->noise_floor = d->fsort[nf * NOISE_PCT / 100];
    return nf;
}

static double scale_of(int si) { return 1.0 + (si - NSCALE / 2) * SCALE_STEP; }

/* Fine frame that holds original frame j under time factor a and offset
 * off (original time u is at u / a in the clip). */
static double fine_pos(double a, size_t off, size_t j)
{
    return ((double)off + (double)j * WM_HOP) / a / FHOP;
}

/* How many original frames j0.. fit in the fine spectrogram (at most n). */
static size_t frames_fit(double a, size_t off, size_t j0, size_t n, size_t nf)
{
    while (n > 0 && lround(fine_pos(a, off, j0 + n - 1)) > (long)nf - 1)
        n--;
    return n;
}

/* One frame's group features from its stored row lj and its neighbours
 * la, lc (slots, see spectrogram): per bin the change against the
 * neighbours, minus its mean over the band, clipped, key-signed and
 * weighted (w; 0 on pads), summed per group. The hottest loop of the
 * detector: the plain C reference, and with SSE2 (WM_SSE2) the same in
 * vector intrinsics; both add in the same order, so they give the same
 * bits (wm_frame_features_diff, tested). */
static void frame_features_c(const float *restrict lj, const float *restrict la,
                             const float *restrict lc, const float *restrict w,
                             float *restrict out)
{
    float hb[NSLOT], part[16] = {0};
    for (size_t i = 0; i < NSLOT; i += 16)
        for (size_t u = 0; u < 16; u++) {
            hb[i + u] = lj[i + u] - 0.5f * (la[i + u] + lc[i + u]);
            part[u] += hb[i + u]; /* pads are 0 in every row */
        }
    float sum = 0;
    for (size_t u = 0; u < 16; u++)
        sum += part[u];
    /* remove the common part of the change over the band (loudness,
     * syllable envelope): it is host, not mark */
    const float mean = sum / (float)WM_NBINS;
    float acc[WM_GROUPS] = {0};
    for (size_t i = 0; i < NSLOT; i += WM_GROUPS)
        for (size_t g = 0; g < WM_GROUPS; g++) {
            float h = hb[i + g] - mean;
            h = h > BIN_CLIP ? BIN_CLIP : h;
            h = h < -BIN_CLIP ? -BIN_CLIP : h;
            acc[g] += w[i + g] * h;
        }
    memcpy(out, acc, sizeof acc);
}

#ifdef WM_SSE2
static void frame_features_sse2(const float *restrict lj, const float *restrict la,
                                const float *restrict lc, const float *restrict w,
                                float *restrict out)
{
    float hb[NSLOT], part[16];
    const __m128 half = _mm_set1_ps(0.5f);
    __m128 p0 = _mm_setzero_ps(), p1 = p0, p2 = p0, p3 = p0;
#define HP(k)                                                                                  \
    _mm_sub_ps(_mm_loadu_ps(lj + (k)),                                                         \
               _mm_mul_ps(half, _mm_add_ps(_mm_loadu_ps(la + (k)), _mm_loadu_ps(lc + (k)))))
    for (size_t i = 0; i < NSLOT; i += 16) { /* four vectors: one of each group */
        __m128 h0 = HP(i), h1 = HP(i + 4), h2 = HP(i + 8), h3 = HP(i + 12);
        _mm_storeu_ps(hb + i, h0);
        _mm_storeu_ps(hb + i + 4, h1);
        _mm_storeu_ps(hb + i + 8, h2);
        _mm_storeu_ps(hb + i + 12, h3);
        p0 = _mm_add_ps(p0, h0);
        p1 = _mm_add_ps(p1, h1);
        p2 = _mm_add_ps(p2, h2);
        p3 = _mm_add_ps(p3, h3);
    }
#undef HP
    _mm_storeu_ps(part, p0);
    _mm_storeu_ps(part + 4, p1);
    _mm_storeu_ps(part + 8, p2);
    _mm_storeu_ps(part + 12, p3);
    float sum = 0;
    for (size_t u = 0; u < 16; u++)
        sum += part[u];
    const float mean = sum / (float)WM_NBINS;
    /* min/max clip: the same as the C comparisons for finite values (the
     * log magnitudes are floored, never NaN or infinite) */
    const __m128 m = _mm_set1_ps(mean), hi = _mm_set1_ps(BIN_CLIP), lo = _mm_set1_ps(-BIN_CLIP);
    __m128 a0 = _mm_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
#define CW(k) _mm_mul_ps(_mm_loadu_ps(w + (k)), \
                         _mm_max_ps(_mm_min_ps(_mm_sub_ps(_mm_loadu_ps(hb + (k)), m), hi), lo))
    for (size_t i = 0; i < NSLOT; i += WM_GROUPS) {
        a0 = _mm_add_ps(a0, CW(i));
        a1 = _mm_add_ps(a1, CW(i + 4));
        a2 = _mm_add_ps(a2, CW(i + 8));
        a3 = _mm_add_ps(a3, CW(i + 12));
    }
#undef CW
    _mm_storeu_ps(out, a0);
    _mm_storeu_ps(out + 4, a1);
    _mm_storeu_ps(out + 8, a2);
    _mm_storeu_ps(out + 12, a3);
}
#define frame_features frame_features_sse2
#else
#define frame_features frame_features_c
#endif

float wm_frame_features_diff(uint64_t seed)
{
    float r[3][NSLOT], w[NSLOT], a[WM_GROUPS], b[WM_GROUPS];
    for (size_t i = 0; i < NSLOT; i++) {
        int pad = i >= NSLOT - (NSLOT - WM_NBINS); /* pads are 0 in every row */
        for (size_t k = 0; k < 3; k++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            r[k][i] = pad ? 0.0f : (float)((double)(seed >> 40) / (1 << 24) * 8.0 - 4.0);
        }
        w[i] = pad ? 0.0f : (seed >> 20 & 1) ? 0.7f : -1.1f;
    }
    frame_features_c(r[0], r[1], r[2], w, a);
    frame_features(r[0], r[1], r[2], w, b);
    float d = 0;
    for (size_t g = 0; g < WM_GROUPS; g++)
        d = fabsf(a[g] - b[g]) > d ? fabsf(a[g] - b[g]) : d;
    return d;
}

/* Features z[j][g] of original frames j0..j0+nfr-1 under the time and
 * frequency factors sc (frequency by linear interpolation of the log
 * magnitudes) and grid offset off. */
static void features(aim_wm_detector *d, tfscale sc, size_t off, size_t j0, size_t nfr, float *z)
{
    const double a = sc.t;
    const float **rows = d->rows;
    for (size_t j = 0; j < nfr; j++)
        d->fidx[j] = (size_t)lround(fine_pos(a, off, j0 + j));
    if (sc.f == 1.0) { /* the stored rows as they are */
        for (size_t j = 0; j < nfr; j++)
            rows[j] = d->fine + d->fidx[j] * ROWLEN;
    } else {
        /* bin k of the original is read at k * sc.f, between fine bins i0
         * and i0 + 1 at fraction fr (stored at p0 and p1); pads read a pad */
        uint16_t p0[NSLOT], p1[NSLOT];
        float fr[NSLOT];
        for (size_t i = 0; i < NSLOT; i++) {
            int b = d->slot_bin[i];
            if (b < 0) {
                p0[i] = p1[i] = (uint16_t)i;
                fr[i] = 0.0f;
                continue;
            }
            double x = (double)(WM_K0 + b) * sc.f - KL;
            size_t i0 = (size_t)x;
            p0[i] = d->pos[i0];
            p1[i] = d->pos[i0 + 1];
            fr[i] = (float)(x - (double)i0);
        }
        for (size_t j = 0; j < nfr; j++) {
            const float *row = d->fine + d->fidx[j] * ROWLEN;
            float *lj = d->lg + j * NSLOT;
            for (size_t i = 0; i < NSLOT; i++) {
                float v0 = row[p0[i]], v1 = row[p1[i]];
                lj[i] = v0 + fr[i] * (v1 - v0);
            }
            rows[j] = lj;
        }
    }
    /* per-bin temporal high-pass (removes the host's steady spectrum),
     * clipped so that onsets cannot dominate, summed per group: slots are
     * stored group-interleaved, so the group sums are plain vector adds */
    _Static_assert(NSLOT % 16 == 0 && WM_GROUPS == 16, "slots in whole vectors");
    for (size_t j = 0; j < nfr; j++)
        frame_features(rows[j], rows[j > 0 ? j - 1 : j + 1], rows[j + 1 < nfr ? j + 1 : j - 1],
                       d->wslot, z + j * WM_GROUPS);
    /* weight frames by their own noise level: a frame where the host
     * changes fast (an onset) carries less reliable cells. Against added
     * noise, also by the share of the frame's power that is not the
     * clip's noise floor N (NOISE_PCT percentile of frame powers): a
     * frame of power P keeps about S / (S + N) = 1 - N / P of the mark
     * in the log domain, and frames at the floor (speech pauses under
     * noise) carry none. Both weights depend on the audio only, never on
     * the key, so the presence bound (wm.c) is unchanged. */
    for (size_t j = 0; j < nfr; j++) {
        float *zj = z + j * WM_GROUPS;
        double ss = 0;
        for (size_t g = 0; g < WM_GROUPS; g++)
            ss += (double)zj[g] * zj[g];
        float inv = 1.0f / ((float)sqrt(ss / WM_GROUPS) + 1e-6f);
        if (d->noise_floor > 0) {
            float pj = d->fpow[d->fidx[j]];
            float w = pj > d->noise_floor ? 1.0f - d->noise_floor / pj : 0.0f;
            inv *= w;
        }
        for (size_t g = 0; g < WM_GROUPS; g++)
            zj[g] *= inv;
    }
    /* normalise and clip per group */
    double ss[WM_GROUPS] = {0};
    for (size_t j = 0; j < nfr; j++)
        for (size_t g = 0; g < WM_GROUPS; g++)
            ss[g] += (double)z[j * WM_GROUPS + g] * z[j * WM_GROUPS + g];
    float inv[WM_GROUPS];
    for (size_t g = 0; g < WM_GROUPS; g++)
        inv[g] = 1.0f / ((float)sqrt(ss[g] / (double)nfr) + 1e-20f);
    for (size_t j = 0; j < nfr; j++)
        for (size_t g = 0; g < WM_GROUPS; g++) {
            float v = z[j * WM_GROUPS + g] * inv[g];
            v = v > 3.0f ? 3.0f : v;
            z[j * WM_GROUPS + g] = v < -3.0f ? -3.0f : v;
        }
}

/* Features folded over the period: frames j and j + WM_PERIOD carry the
 * same cells, so every phase can be scored on at most WM_PERIOD rows
 * (row r = sum of the frames j = r mod WM_PERIOD) instead
 * of the whole clip. */
static void fold(const float *z, size_t nfr, folded *f)
{
    f->rows = nfr < WM_PERIOD ? nfr : WM_PERIOD;
    f->nfr = nfr;
    memset(f->z, 0, f->rows * WM_GROUPS * sizeof *f->z);
    for (size_t j = 0, r = 0; j < nfr; j++, r = r + 1 == WM_PERIOD ? 0 : r + 1) {
        const float *zj = z + j * WM_GROUPS;
        float *fr = f->z + r * WM_GROUPS;
        for (size_t g = 0; g < WM_GROUPS; g++)
            fr[g] += zj[g];
    }
    for (size_t r = 0; r < WM_CHIP; r++) {
        f->nk[r] = f->rows ? (r + f->rows - 1) / WM_CHIP + 1 : 0; /* <= WM_CHIPS + 1 */
        memset(f->y[r], 0, f->nk[r] * sizeof f->y[r][0]);
        for (size_t i = 0; i < f->rows; i++) {
            const float *zr = f->z + i * WM_GROUPS;
            float *yk = f->y[r][(r + i) / WM_CHIP];
            if (((r + i) % WM_CHIP) % 2)
                for (size_t g = 0; g < WM_GROUPS; g++)
                    yk[g] -= zr[g];
            else
                for (size_t g = 0; g < WM_GROUPS; g++)
                    yk[g] += zr[g];
        }
    }
}

/* Soft coded bits for phase s; returns the data energy z-score.
 * Under "not marked with this key" every chip's key sign is a fair coin
 * given the audio, so E[soft_b^2] = sum of y_c^2 over the chips c of bit
 * b, y_c the chip's cells combined with their pattern signs: the score is
 * sum_b (soft_b^2 - E) over its standard deviation (Gaussian approx.).
 * *sync is the sync correlation over its standard deviation, likewise.
 * Works on the chips of the window (fold): phase s = WM_CHIP c0 + r puts
 * the window's chip k on the period's chip c0 + k. */
static float soft_bits(const wm_layout *l, const folded *f, size_t s, float *soft, float *sync)
{
    float var[WM_CODED];
    memset(var, 0, sizeof var);
    memset(soft, 0, WM_CODED * sizeof *soft);
    size_t r = s % WM_PERIOD % WM_CHIP, c = s % WM_PERIOD / WM_CHIP;
    double sy = 0, sv = 0;
    for (size_t k = 0; k < f->nk[r]; k++, c = c + 1 == WM_CHIPS ? 0 : c + 1) {
        const float *yk = f->y[r][k];
        size_t t = c * WM_CHIP; /* the chip's first slot: pattern sign + */
        sy += l->sync[t] * yk[0];
        sv += (double)yk[0] * yk[0];
        for (size_t g = 0; g < WM_DGROUPS; g++) {
            float y = yk[g + 1];
            soft[l->cell_bit[t][g]] += l->cell_sign[t][g] * y;
            var[l->cell_bit[t][g]] += y * y;
        }
    }
    double e = 0, n2 = 0;
    for (size_t b = 0; b < WM_CODED; b++) {
        e += (double)soft[b] * soft[b] - var[b];
        n2 += 2.0 * (double)var[b] * var[b];
    }
    *sync = (float)(sy / sqrt(sv + 1e-30));
    return (float)(e / sqrt(n2 + 1e-30));
}

static void push_cand(cand *best, cand c)
{
    if (!(c.score > best[CANDIDATES - 1].score))
        return;
    size_t i = CANDIDATES - 1;
    while (i > 0 && best[i - 1].score < c.score) {
        best[i] = best[i - 1];
        i--;
    }
    best[i] = c;
}

/* Search one hypothesis (window, scale, offset): every period phase at
 * scale 1, else the PRUNE phases with the best sync correlation. */
static void search(aim_wm_detector *d, cand h, size_t nf, cand *best)
{
    const wm_layout *l = &d->layout;
    tfscale sc = scale_on_line(h.line, h.a);
    size_t off = (size_t)h.off;
    h.n = frames_fit(sc.t, off, h.j0, h.n, nf);
    if (h.n < 2 * WM_GROUPS)
        return;
    float *z = d->z, soft[WM_CODED], sy;
    features(d, sc, off, h.j0, h.n, z);
    int phases[WM_PERIOD];
    size_t np = WM_PERIOD;
    for (size_t s = 0; s < WM_PERIOD; s++)
        phases[s] = (int)s;
    if (h.si != NSCALE / 2) {
        /* sync correlation of every phase: the sync features folded
         * over the period, correlated with the sync symbols (phase s
         * reads row r at slot s + r) */
        float zc[WM_PERIOD] = {0}, ss[WM_PERIOD] = {0};
        for (size_t j = 0, r = 0; j < h.n; j++, r = r + 1 == WM_PERIOD ? 0 : r + 1)
            zc[r] += z[j * WM_GROUPS];
        size_t rows = h.n < WM_PERIOD ? h.n : WM_PERIOD;
        for (size_t r = 0; r < rows; r++) {
            const float v = zc[r], *sr = d->sync2 + r;
            for (size_t s = 0; s < WM_PERIOD; s++)
                ss[s] += v * sr[s];
        }
        for (np = 0; np < PRUNE; np++) { /* partial selection */
            size_t m = np;
            for (size_t s = np; s < WM_PERIOD; s++)
                if (ss[phases[s]] > ss[phases[m]])
                    m = s;
            int t = phases[np];
            phases[np] = phases[m];
            phases[m] = t;
        }
    }
    fold(z, h.n, d->fz);
    for (size_t i = 0; i < np; i++) {
        h.s = phases[i];
        h.score = soft_bits(l, d->fz, (size_t)h.s, soft, &sy) + SYNC_WEIGHT * sy;
        push_cand(best, h);
    }
}

int aim_wm_detector_run(aim_wm_detector *d, aim_wm_result *res)
{
    if (!d || !res)
        return AIM_ERR_INVALID_ARG;
    memset(res, 0, sizeof *res);
    d->raw = 0;
    if (d->len < WM_N + OFFSETS * WM_HOP)
        return AIM_OK;
    const wm_layout *l = &d->layout;
    size_t nf = spectrogram(d);
    size_t nall = frames_fit(1.0, 0, 0, d->max_frames, nf);
    cand best[CANDIDATES];
    for (size_t c = 0; c < CANDIDATES; c++)
        best[c] = (cand){-1e30f, 0, 0, 0, 0, 1.0, 0, 0};
    /* Speed changes: every scale hypothesis on windows of WIN_SLOTS (a
     * wrong scale drifts by its error times the window length, so the
     * window is bounded; cost stays linear in the clip length); unscaled,
     * the whole clip is also searched at once (more cells per bit). */
    size_t nwin = nall <= WIN_SLOTS * 5 / 4 ? 1 : (nall + WIN_SLOTS - 1) / WIN_SLOTS;
    for (size_t w = 0; w < nwin; w++) {
        size_t j0 = nwin == 1 ? 0 : w * WIN_SLOTS, n = nwin == 1 ? d->max_frames : WIN_SLOTS;
        if (nwin > 1 && w + 1 == nwin)
            j0 = nall - WIN_SLOTS;
        for (int line = 0; line < NLINES; line++)
            for (int si = 0; si < NSCALE; si++)
                for (int oi = 0; oi < OFFSETS && (line == 0 || si != NSCALE / 2); oi++)
                    search(d, (cand){0, oi * GRID, 0, si, line, scale_of(si), j0, n}, nf, best);
    }
    if (nwin > 1)
        for (int oi = 0; oi < OFFSETS; oi++)
            search(d, (cand){0, oi * GRID, 0, NSCALE / 2, 0, 1.0, 0, d->max_frames}, nf, best);
    res->sync_score = best[0].score;
    float soft[WM_CODED];
    /* Each candidate is decoded as found and, failing that, twice more:
     * scaled ones at +-1/3 of the scale step (the grid leaves up to half a
     * step of drift), unscaled ones half a grid step (FHOP) earlier and
     * later (a mark 64 samples off its frames loses ~0.7 dB). */
    for (size_t c = 0; c < CANDIDATES * REFINE && best[c / REFINE].score > -1e29f; c++) {
        cand h = best[c / REFINE];
        int dir = c % REFINE == 1 ? -1 : 1;
        if (c % REFINE && h.si != NSCALE / 2) {
            h.a += dir * (SCALE_STEP / 3);
        } else if (c % REFINE) {
            h.off += dir * FHOP;
            if (h.off < 0) { /* read as offset off + WM_HOP - FHOP, whose frame
                              * j is frame j + 1 here: one slot on in the period */
                h.off += WM_HOP;
                h.s = (h.s + 1) % WM_PERIOD;
            }
        }
        if (c % REFINE) {
            h.n = frames_fit(scale_on_line(h.line, h.a).t, (size_t)h.off, h.j0, h.n, nf);
            if (h.n < 2 * WM_GROUPS)
                continue;
        }
        double a = h.a;
        tfscale sc = scale_on_line(h.line, a);
        size_t off = (size_t)h.off;
        float *z = d->z, sy;
        features(d, sc, off, h.j0, h.n, z);
        fold(z, h.n, d->fz);
        soft_bits(l, d->fz, (size_t)h.s, soft, &sy);
        uint64_t payload, raw;
        int ok = wm_decode(l, soft, &payload, &raw);
        if (ok < 0)
            return AIM_ERR_NOMEM;
        if (c == 0 || ok)
            d->raw = raw;
        if (!ok)
            continue;
        res->found = 1;
        res->payload = payload;
        res->sync_score = h.score;
        int8_t coded[WM_CODED];
        wm_encode(l, payload, coded);
        size_t s = (size_t)(((long)h.s - (long)(h.j0 % WM_PERIOD) + WM_PERIOD) % WM_PERIOD);
        if (h.n < nall * 9 / 10 && a != 1.0) {
            /* decoded from one window: a scale error of a grid fraction
             * drifts over the whole clip, so refine scale, offset and
             * phase on the whole clip with the now known symbols */
            double tc = ((double)off + (double)(h.j0 + h.n / 2) * WM_HOP) / sc.t; /* clip time */
            long tphase = ((long)h.s + (long)(h.n / 2)) % WM_PERIOD; /* its slot */
            double bq = -1e30, ba = a;
            size_t boff = off, bs = s;
            for (int da = -LOC_REFINE; da <= LOC_REFINE; da++)
                for (size_t oi = 0; oi < OFFSETS; oi++) {
                    double a2 = a + da * LOC_REFINE_STEP;
                    tfscale sc2 = scale_on_line(h.line, a2);
                    size_t off2 = oi * GRID;
                    size_t n2 = frames_fit(sc2.t, off2, 0, d->max_frames, nf);
                    if (n2 < 2 * WM_GROUPS)
                        continue;
                    long jc = lround((tc * sc2.t - (double)off2) / WM_HOP);
                    features(d, sc2, off2, 0, n2, z);
                    for (long ds = -1; ds <= 1; ds++) {
                        size_t s2 = (size_t)(((tphase - jc + ds) % WM_PERIOD + WM_PERIOD) %
                                             WM_PERIOD);
                        double q = 0;
                        for (size_t j = 0; j < n2; j++) {
                            size_t t = (j + s2) % WM_PERIOD;
                            for (size_t g = 0; g < WM_GROUPS; g++)
                                q += wm_symbol(l, coded, t, g) * z[j * WM_GROUPS + g];
                        }
                        if (q > bq) {
                            bq = q;
                            ba = a2;
                            boff = off2;
                            bs = s2;
                        }
                    }
                }
            a = ba;
            sc = scale_on_line(h.line, a);
            off = boff;
            s = bs;
        }
        res->speed = sc.t;
        res->pitch = sc.f;
        /* localisation over the whole clip: per-frame match with the now
         * known symbols, at the decoded scale, offset and phase */
        size_t nfr = frames_fit(sc.t, off, 0, d->max_frames, nf);
        features(d, sc, off, 0, nfr, z);
        /* scale: a window's match sum has, without the mark, the variance
         * of its chips' combined cells (sum y^2), not of its cells (sum
         * z^2): neighbouring features are correlated */
        double qy = 0, yc[WM_GROUPS] = {0};
        for (size_t j = 0; j < nfr; j++) {
            size_t t = (j + s) % WM_PERIOD;
            double q = 0;
            for (size_t g = 0; g < WM_GROUPS; g++) {
                float zg = z[j * WM_GROUPS + g];
                q += wm_symbol(l, coded, t, g) * zg;
                yc[g] += (t % WM_CHIP) % 2 ? -zg : zg;
            }
            if (t % WM_CHIP == WM_CHIP - 1 || j + 1 == nfr)
                for (size_t g = 0; g < WM_GROUPS; g++) {
                    qy += yc[g] * yc[g];
                    yc[g] = 0;
                }
            d->tmp[j] = (float)q;
        }
        double norm = 1.0 / sqrt(qy / (double)nfr + 1e-30); /* per frame */
        for (size_t j = 0; j < nfr; j++)
            d->tmp[j] = (float)(d->tmp[j] * norm);
        int in_seg = 0;
        for (size_t j = 0; j < nfr; j++) {
            size_t lo = j >= LOC_HALF ? j - LOC_HALF : 0;
            size_t hi = j + LOC_HALF < nfr ? j + LOC_HALF : nfr - 1;
            double q = 0;
            for (size_t i = lo; i <= hi; i++)
                q += d->tmp[i];
            q /= sqrt((double)(hi - lo + 1));
            /* clip samples at 16 kHz: original time u is at u / sc.t */
            double start = ((double)off + (double)j * WM_HOP) / sc.t;
            double centre = start + WM_N / 2 / sc.t;
            double t_start = (double)d->t0 / WM_RATE + (centre - WM_HOP / 2 / sc.t) / WM_RATE;
            double t_end = (double)d->t0 / WM_RATE + (centre + WM_HOP / 2 / sc.t) / WM_RATE;
            if (j == 0)
                t_start = (double)d->t0 / WM_RATE;
            if (j + 1 == nfr)
                t_end = (double)(d->t0 + (int64_t)d->len) / WM_RATE;
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
        /* gaps under 1 s (speech pauses carry almost no mark) are closed:
         * the resolution asked for is 1 s */
        size_t m = 0;
        for (size_t i = 0; i < res->n_segments; i++) {
            if (m && res->segments[i].start_s - res->segments[m - 1].end_s < LOC_GAP_S)
                res->segments[m - 1].end_s = res->segments[i].end_s;
            else
                res->segments[m++] = res->segments[i];
        }
        res->n_segments = m;
        break;
    }
    return AIM_OK;
}

/* ---- presence ------------------------------------------------------------ */

void aim_wm_presence_config_init(aim_wm_presence_config *cfg)
{
    if (!cfg)
        return;
    cfg->payload = 0;
    cfg->payload_known = 0;
    cfg->max_pfa = 1e-12;
}

/*
 * Presence: the normalised correlation T = sum(r_c y_c) / sqrt(sum y_c^2)
 * of the chips' combined features y_c with their known symbols r_c (sync
 * only, or every chip when the payload is given), maximised over scales,
 * offsets, phases and windows of at most one period (so no chip repeats).
 * Under "not marked with this key" the chips' key signs are independent
 * fair signs given the audio, so by
 * Hoeffding P(T >= x) <= exp(-x^2 / 2) for one hypothesis; the union over
 * the H hypotheses tried gives pfa <= H exp(-x^2 / 2), exact for a random
 * key whatever the audio.
 */
int aim_wm_detector_presence(aim_wm_detector *d, const aim_wm_presence_config *cfg,
                             aim_wm_presence *out)
{
    if (!d || !cfg || !out || !(cfg->max_pfa > 0.0) || !(cfg->max_pfa <= 1.0))
        return AIM_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    out->pfa = 1.0;
    if (d->len < WM_N + OFFSETS * WM_HOP)
        return AIM_OK;
    const wm_layout *l = &d->layout;
    int8_t coded[WM_CODED] = {0};
    if (cfg->payload_known)
        wm_encode(l, cfg->payload, coded);
    size_t ng = cfg->payload_known ? WM_GROUPS : 1;
    /* the known symbol of every chip (its first slot's; the slots
     * alternate + - + -), groups not known 0 */
    float *sym = malloc(WM_CHIPS * WM_GROUPS * sizeof *sym);
    if (!sym)
        return AIM_ERR_NOMEM;
    for (size_t c = 0; c < WM_CHIPS; c++)
        for (size_t g = 0; g < WM_GROUPS; g++)
            sym[c * WM_GROUPS + g] = g < ng ? (float)wm_symbol(l, coded, c * WM_CHIP, g) : 0.0f;
    size_t nf = spectrogram(d);
    size_t nall = frames_fit(1.0, 0, 0, d->max_frames, nf);
    /* Windows: whole periods tiling the clip (the last one flush with its
     * end); with the payload known, also PRES_SHORT slots (3 s) every
     * PRES_SHORT / 2, so that a short marked stretch inside unmarked audio
     * (a spliced sentence, a live insert) is not diluted by a period of
     * unmarked chips. Every window is one more set of hypotheses. */
    size_t nlong = nall <= WM_PERIOD ? 1 : (nall + WM_PERIOD - 1) / WM_PERIOD;
    size_t nshort = 0;
    if (cfg->payload_known && nall > PRES_SHORT + PRES_SHORT / 2)
        nshort = (nall - PRES_SHORT + PRES_SHORT / 2 - 1) / (PRES_SHORT / 2) + 1;
    double best = -1e30, hyp = 0;
    for (size_t w = 0; w < nlong + nshort; w++) {
        size_t j0, len;
        if (w < nlong) {
            j0 = w * WM_PERIOD;
            if (nlong > 1 && w + 1 == nlong)
                j0 = nall - WM_PERIOD;
            len = WM_PERIOD;
        } else {
            j0 = (w - nlong) * (PRES_SHORT / 2);
            if (j0 + PRES_SHORT > nall)
                j0 = nall - PRES_SHORT;
            len = PRES_SHORT;
        }
        for (int hi = 0; hi < NLINES * NSCALE * OFFSETS; hi++) {
                int line = hi / (NSCALE * OFFSETS), si = hi / OFFSETS % NSCALE, oi = hi % OFFSETS;
                if (line > 0 && si == NSCALE / 2)
                    continue; /* the unscaled hypothesis, already on line 0 */
                tfscale sc = scale_on_line(line, scale_of(si));
                size_t off = (size_t)oi * GRID;
                size_t n = frames_fit(sc.t, off, j0, len, nf);
                if (n < 2 * WM_GROUPS)
                    continue;
                float *z = d->z;
                features(d, sc, off, j0, n, z);
                /* The frames' chips (fold: n <= WM_PERIOD, so the rows are
                 * the frames): with the phase s = WM_CHIP c0 + r, the
                 * window's chip k is the period's chip c0 + k; sum y^2
                 * (the normaliser) depends on the phase only through r. */
                fold(z, n, d->fz);
                const folded *f = d->fz;
                double q[WM_CHIP];
                for (size_t r = 0; r < WM_CHIP; r++) {
                    double acc = 0;
                    for (size_t k = 0; k < f->nk[r]; k++)
                        for (size_t g = 0; g < ng; g++)
                            acc += (double)f->y[r][k][g] * f->y[r][k][g];
                    q[r] = acc;
                }
                for (size_t s = 0; s < WM_PERIOD; s++) {
                    /* T = sum r_cg y_cg / sqrt(sum y_cg^2) */
                    size_t r = s % WM_CHIP, c = s / WM_CHIP;
                    float acc[WM_GROUPS] = {0};
                    for (size_t k = 0; k < f->nk[r]; k++, c = c + 1 == WM_CHIPS ? 0 : c + 1) {
                        const float *sc_ = sym + c * WM_GROUPS, *yk = f->y[r][k];
                        for (size_t g = 0; g < WM_GROUPS; g++)
                            acc[g] += sc_[g] * yk[g];
                    }
                    double v = 0;
                    for (size_t g = 0; g < WM_GROUPS; g++)
                        v += acc[g];
                    v /= sqrt(q[r] + 1e-30);
                    hyp += 1;
                    if (v > best) {
                        best = v;
                        out->speed = sc.t;
                        out->pitch = sc.f;
                        double t0 = (double)d->t0 / WM_RATE;
                        out->start_s = t0 + ((double)off + (double)j0 * WM_HOP) / sc.t / WM_RATE;
                        out->end_s = t0 + ((double)off + (double)(j0 + n - 1) * WM_HOP + WM_N) /
                                              sc.t / WM_RATE;
                    }
                }
            }
    }
    free(sym);
    if (hyp < 1)
        return AIM_OK;
    out->z = best;
    out->hypotheses = hyp;
    double lp = log(hyp) - 0.5 * best * best; /* log of the union bound */
    out->pfa = best > 0 && lp < 0 ? exp(lp) : 1.0;
    out->present = out->pfa <= cfg->max_pfa;
    return AIM_OK;
}
