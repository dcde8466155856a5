/*
 * Public detector API: model loading, the streaming detector (resample to
 * 16 kHz -> LFCC -> per-frame model -> windows) and the file-level call,
 * which is the streaming detector fed in one go.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aimark/detect.h"
#include "core/diag.h"
#include "detect/detect_internal.h"
#include "dsp/resample.h"
#include "detect/cond.h"

#define DET_CHUNK 4096       /* frames converted per step */
#define DET_QUEUE 1024       /* windows kept for next_window() */
#define DET_MIN_VOICED 30    /* voiced frames (0.3 s) a window needs */

struct aim_detector {
    const aim_detect_model *m;
    aim_detect_config cfg;
    double threshold;
    dsp_resampler *rs;
    lfcc *fe;
    det_cond cond;        /* used when the model's front-end asks for it */
    float cbuf[1024];     /* conditioned samples */
    det_frame_state *fs;
    size_t W, H;          /* window and hop in frames */
    float *emb;           /* ring of W embeddings */
    unsigned char *voiced; /* ring of W flags */
    float *scratch;
    float *mono, *res16;  /* DET_CHUNK mono frames; resampler output */
    size_t res_cap;
    size_t frames_in;     /* input frames fed */
    size_t out16;         /* 16 kHz samples given to the front-end */
    size_t t;             /* frames through the model */
    size_t next_win;      /* index k of the next full window */
    size_t last_end;      /* end frame (exclusive) of the last window emitted */
    int any_window, finished, failed;
    double sum;           /* sum of calibrated window scores */
    size_t n_scored;
    aim_detect_window q[DET_QUEUE];
    size_t q_head, q_len;
};

void aim_detect_config_init(aim_detect_config *cfg)
{
    if (!cfg)
        return;
    cfg->sample_rate = 16000;
    cfg->channels = 1;
    cfg->window_s = 2.0;
    cfg->hop_s = 0.5;
    cfg->threshold = NAN;
}

int aim_detect_model_load_memory(const void *data, size_t n, aim_detect_model **out,
                                 aim_diag *diag)
{
    return det_model_parse(data, n, out, diag);
}

int aim_detect_model_default(aim_detect_model **out)
{
    /* validated like any blob: the unit tests load it, so only memory fails */
    return det_model_parse(det_default_blob, det_default_blob_len, out, NULL);
}

int aim_detect_model_load_file(const char *path, aim_detect_model **out, aim_diag *diag)
{
    if (!path || !out)
        return AIM_ERR_INVALID_ARG;
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return diag_fail(diag, AIM_ERR_IO, "model: cannot open %s", path);
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = AIM_OK;
    for (;;) {
        if (len == cap) {
            if (cap > AIM_DETECT_MAX_MODEL_BYTES) {
                rc = diag_fail(diag, AIM_ERR_LIMIT, "model: file larger than %u bytes",
                               AIM_DETECT_MAX_MODEL_BYTES);
                break;
            }
            size_t nc = cap ? cap * 2 : 65536;
            unsigned char *nb = realloc(buf, nc);
            if (!nb) {
                rc = AIM_ERR_NOMEM;
                break;
            }
            buf = nb;
            cap = nc;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                rc = diag_fail(diag, AIM_ERR_IO, "model: read error on %s", path);
            break;
        }
    }
    fclose(f);
    if (rc == AIM_OK)
        rc = det_model_parse(buf, len, out, diag);
    free(buf);
    return rc;
}

const char *aim_detect_model_name(const aim_detect_model *m)
{
    return m ? m->name : "";
}

double aim_detect_model_threshold(const aim_detect_model *m)
{
    return m ? m->threshold : NAN;
}

/* ---- streaming -------------------------------------------------------------- */

static void enqueue(aim_detector *d, size_t f0, size_t f1, double raw)
{
    double s = (double)d->m->calib_a * raw + d->m->calib_b;
    d->sum += s;
    d->n_scored++;
    aim_detect_window w;
    w.start_s = (double)f0 * LFCC_HOP / LFCC_RATE;
    w.end_s = ((double)(f1 - 1) * LFCC_HOP + LFCC_WIN) / LFCC_RATE;
    w.score = s;
    if (d->q_len == DET_QUEUE) { /* drop the oldest unread window */
        d->q_head = (d->q_head + 1) % DET_QUEUE;
        d->q_len--;
    }
    d->q[(d->q_head + d->q_len) % DET_QUEUE] = w;
    d->q_len++;
}

/* Score frames [f0, f1) (all still in the ring) if enough are voiced. */
static void score_window(aim_detector *d, size_t f0, size_t f1)
{
    size_t n = f1 - f0, nv = 0;
    for (size_t i = f0; i < f1; i++)
        nv += d->voiced[i % d->W];
    d->any_window = 1;
    d->last_end = f1;
    if (nv < DET_MIN_VOICED)
        return;
    double raw = det_window_raw(d->m, d->emb, d->voiced, d->W, f0 % d->W, n, d->scratch);
    if (isfinite(raw)) /* non-finite input samples: the window is skipped */
        enqueue(d, f0, f1, raw);
}

void det_feed_feature(aim_detector *d, const float *feat, int voiced)
{
    size_t r = d->t % d->W;
    det_frame(d->m, d->fs, feat, d->emb + r * (size_t)d->m->emb_dim);
    d->voiced[r] = (unsigned char)(voiced != 0);
    d->t++;
    size_t f0 = d->next_win * d->H;
    if (d->t == f0 + d->W) {
        score_window(d, f0, d->t);
        d->next_win++;
    }
}

static void sink(void *ctx, const float *feat, int voiced)
{
    det_feed_feature((aim_detector *)ctx, feat, voiced);
}

static int check_cfg(const aim_detect_config *c)
{
    if (c->sample_rate < AIM_DETECT_MIN_RATE || c->sample_rate > AIM_DETECT_MAX_RATE ||
        c->channels < 1 || c->channels > AIM_DETECT_MAX_CHANNELS || !(c->window_s >= 0.5) ||
        !(c->window_s <= 10.0) || !(c->hop_s >= 0.1) || !(c->hop_s <= c->window_s) ||
        isinf(c->threshold))
        return AIM_ERR_INVALID_ARG;
    return AIM_OK;
}

int aim_detector_new(const aim_detect_model *m, const aim_detect_config *cfg, aim_detector **out)
{
    if (!m || !out)
        return AIM_ERR_INVALID_ARG;
    *out = NULL;
    aim_detect_config def;
    if (!cfg) {
        aim_detect_config_init(&def);
        cfg = &def;
    }
    if (check_cfg(cfg) != AIM_OK)
        return AIM_ERR_INVALID_ARG;
    aim_detector *d = calloc(1, sizeof *d);
    if (!d)
        return AIM_ERR_NOMEM;
    d->m = m;
    d->cfg = *cfg;
    d->threshold = isnan(cfg->threshold) ? m->threshold : cfg->threshold;
    d->W = (size_t)lround(cfg->window_s * LFCC_RATE / LFCC_HOP);
    d->H = (size_t)lround(cfg->hop_s * LFCC_RATE / LFCC_HOP);
    if (d->H < 1)
        d->H = 1;
    d->fe = lfcc_new();
    det_cond_reset(&d->cond);
    d->fs = det_frame_state_new(m);
    d->emb = malloc(d->W * (size_t)m->emb_dim * sizeof *d->emb);
    d->voiced = calloc(d->W, 1);
    d->scratch = malloc(det_scratch_floats(m) * sizeof *d->scratch);
    d->mono = malloc(DET_CHUNK * sizeof *d->mono);
    if (cfg->sample_rate != LFCC_RATE) {
        d->rs = dsp_resampler_new(cfg->sample_rate, LFCC_RATE, DET_CHUNK);
        /* 16k / 8k = 2 outputs per input at most, plus the filter's slack */
        d->res_cap = DET_CHUNK * 2 + 64;
        d->res16 = malloc(d->res_cap * sizeof *d->res16);
    }
    if (!d->fe || !d->fs || !d->emb || !d->voiced || !d->scratch || !d->mono ||
        (cfg->sample_rate != LFCC_RATE && (!d->rs || !d->res16))) {
        aim_detector_free(d);
        return AIM_ERR_NOMEM;
    }
    *out = d;
    return AIM_OK;
}

/* Give 16 kHz samples to the front-end, at most `limit` in total so far. */
static void feed16(aim_detector *d, const float *x, size_t n, size_t limit)
{
    if (d->out16 >= limit)
        return;
    if (n > limit - d->out16)
        n = limit - d->out16;
    d->out16 += n;
    if (d->m->frontend != DET_FRONTEND_COND) {
        lfcc_push(d->fe, x, n, sink, d);
        return;
    }
    while (n > 0) {
        size_t k = n < sizeof d->cbuf / sizeof d->cbuf[0] ? n : sizeof d->cbuf / sizeof d->cbuf[0];
        det_cond_run(&d->cond, x, d->cbuf, k);
        lfcc_push(d->fe, d->cbuf, k, sink, d);
        x += k;
        n -= k;
    }
}

static void drain(aim_detector *d, size_t limit)
{
    size_t got;
    while ((got = dsp_resampler_pull(d->rs, d->res16, d->res_cap)) > 0)
        feed16(d, d->res16, got, limit);
}

int aim_detector_push(aim_detector *d, const float *pcm, size_t frames)
{
    if (!d || (!pcm && frames))
        return AIM_ERR_INVALID_ARG;
    if (d->finished || d->failed)
        return AIM_ERR_BAD_STATE;
    size_t ch = (size_t)d->cfg.channels;
    while (frames > 0) {
        size_t n = frames < DET_CHUNK ? frames : DET_CHUNK;
        for (size_t i = 0; i < n; i++) {
            float s = 0;
            for (size_t c = 0; c < ch; c++)
                s += pcm[i * ch + c];
            d->mono[i] = ch == 1 ? s : s / (float)ch;
        }
        if (d->rs) {
            if (dsp_resampler_push(d->rs, d->mono, n) != 0) {
                d->failed = 1;
                return AIM_ERR_BAD_STATE;
            }
            drain(d, SIZE_MAX);
        } else {
            feed16(d, d->mono, n, SIZE_MAX);
        }
        d->frames_in += n;
        pcm += n * ch;
        frames -= n;
    }
    return AIM_OK;
}

int aim_detector_finish(aim_detector *d)
{
    if (!d)
        return AIM_ERR_INVALID_ARG;
    if (d->failed)
        return AIM_ERR_BAD_STATE;
    if (d->finished)
        return AIM_OK;
    d->finished = 1;
    if (d->rs) {
        /* push zeros for the filter's look-ahead; keep exactly the samples
         * whose time falls inside the input */
        size_t rate = (size_t)d->cfg.sample_rate;
        size_t want = (d->frames_in * LFCC_RATE + rate - 1) / rate;
        size_t left = dsp_resampler_delay(d->rs) + 2;
        memset(d->mono, 0, DET_CHUNK * sizeof *d->mono);
        while (left > 0 && d->out16 < want) {
            size_t n = left < DET_CHUNK ? left : DET_CHUNK;
            if (dsp_resampler_push(d->rs, d->mono, n) != 0) {
                d->failed = 1;
                return AIM_ERR_BAD_STATE;
            }
            drain(d, want);
            left -= n;
        }
    }
    lfcc_finish(d->fe, sink, d);
    /* the tail: the whole clip when no full window fitted, else a last
     * window ending at the end if the full ones left frames uncovered */
    if (!d->any_window && d->t > 0)
        score_window(d, 0, d->t);
    else if (d->any_window && d->last_end < d->t)
        score_window(d, d->t - d->W, d->t);
    return AIM_OK;
}

int aim_detector_next_window(aim_detector *d, aim_detect_window *w)
{
    if (!d || !w || d->q_len == 0)
        return 0;
    *w = d->q[d->q_head];
    d->q_head = (d->q_head + 1) % DET_QUEUE;
    d->q_len--;
    return 1;
}

void aim_detector_result(const aim_detector *d, aim_detect_result *res)
{
    if (!res)
        return;
    memset(res, 0, sizeof *res);
    res->score = NAN;
    if (!d)
        return;
    res->threshold = d->threshold;
    res->n_windows = d->n_scored;
    res->seconds = (double)d->frames_in / d->cfg.sample_rate;
    if (d->n_scored) {
        res->score = d->sum / (double)d->n_scored;
        res->synthetic = res->score > d->threshold;
    }
}

void aim_detector_reset(aim_detector *d)
{
    if (!d)
        return;
    if (d->rs)
        dsp_resampler_reset(d->rs);
    lfcc_reset(d->fe);
    det_cond_reset(&d->cond);
    det_frame_state_reset(d->fs);
    d->frames_in = d->out16 = d->t = d->next_win = d->last_end = 0;
    d->any_window = d->finished = d->failed = 0;
    d->sum = 0;
    d->n_scored = 0;
    d->q_head = d->q_len = 0;
}

void aim_detector_free(aim_detector *d)
{
    if (!d)
        return;
    dsp_resampler_free(d->rs);
    lfcc_free(d->fe);
    det_frame_state_free(d->fs);
    free(d->emb);
    free(d->voiced);
    free(d->scratch);
    free(d->mono);
    free(d->res16);
    free(d);
}

int aim_detect_pcm(const aim_detect_model *m, const aim_detect_config *cfg, const float *pcm,
                   size_t frames, aim_detect_result *res)
{
    if (!m || !res || (!pcm && frames))
        return AIM_ERR_INVALID_ARG;
    aim_detector *d;
    int rc = aim_detector_new(m, cfg, &d);
    if (rc != AIM_OK)
        return rc;
    rc = aim_detector_push(d, pcm, frames);
    if (rc == AIM_OK)
        rc = aim_detector_finish(d);
    if (rc == AIM_OK)
        aim_detector_result(d, res);
    aim_detector_free(d);
    return rc;
}
