/*
 * Streaming prompt inserter. Content frames go through a FIFO that holds
 * `latency` frames (the loudness lookahead). Points (positions in content
 * frames where a prompt belongs) wait in a sorted queue; a point is served
 * when the output reaches it and the lookahead after it has arrived:
 *   INSERT: [bridge from the last output sample to 0 | pad | prompt | pad |
 *            bridge from 0 to the next content sample], content unchanged;
 *   MIX:    the prompt is added to the content from that frame on.
 * Everything depends only on positions in the stream, never on how the
 * input was cut into blocks, so the output is block-size independent.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/resample.h"
#include "explicit/audible_internal.h"

#define PI 3.14159265358979323846
#define CHUNK 4096        /* input frames handled at once */
#define MAX_POINTS 64     /* points waiting in the lookahead */
#define HISTORY_S 3.0     /* content before a point measured for loudness */
#define BRIDGE_MS 5.0     /* splice bridges (INSERT) */
#define EDGE_MS 5.0       /* fade on the edges of a voice prompt */
#define MAX_VOICE_S 60.0
#define DUCK_RAMP_MS 10.0

struct aim_audible_inserter {
    int rate, ch, mode, flushed;
    unsigned positions;
    size_t latency, history, pad, bridge;
    uint64_t in_pos, out_pos;     /* content frames fed / written */
    float *fifo;                  /* content [out_pos, in_pos), interleaved */
    size_t fifo_cap;
    float *mono;                  /* mono content [mono_base, in_pos) */
    size_t mono_cap;
    uint64_t mono_base;
    float *prompt;                /* mono, host rate, unscaled */
    size_t prompt_len;
    double prompt_db;             /* loudness of the unscaled prompt, dBFS */
    double prompt_peak;
    double level_db, fallback_db, max_peak;
    uint64_t pts[MAX_POINTS];     /* sorted ascending */
    size_t npts;
    uint64_t interval, next_interval; /* 0: no interval points */
    uint64_t void_after;          /* at the end: later points are void */
    float last[AIM_AUDIBLE_MAX_CHANNELS]; /* last frame written */
    int mixing;
    size_t mix_idx;
    float mix_gain;
    float duck;                   /* content gain under a mixed prompt */
    size_t duck_ramp;
    size_t prompts;
};

void aim_audible_config_init(aim_audible_config *cfg)
{
    if (!cfg)
        return;
    memset(cfg, 0, sizeof *cfg);
    cfg->sample_rate = 44100;
    cfg->channels = 1;
    cfg->kind = AIM_AUDIBLE_RHYTHM;
    cfg->mode = AIM_AUDIBLE_INSERT;
    cfg->positions = AIM_AUDIBLE_AT_START;
    cfg->interval_s = 30.0;
    cfg->expected_frames = 0;
    aim_audible_rhythm_init(&cfg->rhythm);
    cfg->rhythm_level_db = -6.0f;
    cfg->voice_level_db = 0.0f;
    cfg->fallback_dbfs = -23.0f;
    cfg->max_peak_dbfs = -1.0f;
    cfg->lookahead_s = 3.0;
    cfg->pad_ms = 250.0;
    cfg->voice = NULL;
    cfg->voice_frames = 0;
    cfg->voice_rate = 0;
    cfg->mix_duck_db = -12.0f;
}

void aim_audible_inserter_free(aim_audible_inserter *h)
{
    if (!h)
        return;
    free(h->fifo);
    free(h->mono);
    free(h->prompt);
    free(h);
}

static int fin(double v, double lo, double hi)
{
    return v >= lo && v <= hi;
}

/* Resample mono `in` (n frames at in_rate) to out_rate; *out malloc'd. */
static int resample_mono(const float *in, size_t n, int in_rate, int out_rate, float **out,
                         size_t *out_n)
{
    *out = NULL;
    *out_n = 0;
    size_t cap = (size_t)((double)n * out_rate / in_rate) + 16;
    float *buf = malloc(cap * sizeof *buf);
    if (!buf)
        return AIM_ERR_NOMEM;
    if (in_rate == out_rate) {
        memcpy(buf, in, n * sizeof *buf);
        *out = buf;
        *out_n = n;
        return AIM_OK;
    }
    dsp_resampler *rs = dsp_resampler_new(in_rate, out_rate, CHUNK);
    if (!rs) {
        free(buf);
        return AIM_ERR_NOMEM;
    }
    size_t w = 0;
    float zeros[256] = {0};
    size_t tail = dsp_resampler_delay(rs) + 2;
    for (size_t i = 0; i < n || tail > 0;) {
        if (i < n) {
            size_t k = n - i < CHUNK ? n - i : CHUNK;
            dsp_resampler_push(rs, in + i, k);
            i += k;
        } else {
            size_t k = tail < 256 ? tail : 256;
            dsp_resampler_push(rs, zeros, k);
            tail -= k;
        }
        w += dsp_resampler_pull(rs, buf + w, cap - w);
    }
    dsp_resampler_free(rs);
    size_t want = (size_t)llround((double)n * out_rate / in_rate);
    *out = buf;
    *out_n = w < want ? w : want;
    return AIM_OK;
}

static int make_prompt(aim_audible_inserter *h, const aim_audible_config *cfg)
{
    if (cfg->kind == AIM_AUDIBLE_RHYTHM) {
        size_t n = 0;
        if (aim_audible_rhythm_frames(&cfg->rhythm, h->rate, &n) != AIM_OK)
            return AIM_ERR_INVALID_ARG;
        h->prompt = malloc(n * sizeof *h->prompt);
        if (!h->prompt)
            return AIM_ERR_NOMEM;
        int rc = aim_audible_rhythm_render(&cfg->rhythm, h->rate, 1, 1.0f, h->prompt, n, &n);
        if (rc != AIM_OK)
            return rc;
        h->prompt_len = n;
        h->prompt_db = 10.0 * log10(0.5); /* a unit-peak sine */
        h->prompt_peak = 1.0;
        h->level_db = cfg->rhythm_level_db;
        return AIM_OK;
    }
    const float *src = cfg->voice;
    size_t n = cfg->voice_frames;
    int rate = cfg->voice_rate;
    float *builtin = NULL;
    if (!src) {
        if (aim_audible_voice_builtin(NULL, 0, &n) != AIM_ERR_BUFFER_TOO_SMALL)
            return AIM_ERR_INVALID_ARG;
        builtin = malloc(n * sizeof *builtin);
        if (!builtin)
            return AIM_ERR_NOMEM;
        aim_audible_voice_builtin(builtin, n, &n);
        src = builtin;
        rate = AIM_AUDIBLE_VOICE_RATE;
    }
    int rc = resample_mono(src, n, rate, h->rate, &h->prompt, &h->prompt_len);
    free(builtin);
    if (rc != AIM_OK)
        return rc;
    if (h->prompt_len < 2)
        return AIM_ERR_INVALID_ARG;
    /* Fade the edges: the caller's PCM may start or stop mid-waveform. */
    size_t e = (size_t)(EDGE_MS / 1000.0 * h->rate);
    if (e > h->prompt_len / 2)
        e = h->prompt_len / 2;
    for (size_t i = 0; i < e; i++) {
        float g = (float)(0.5 - 0.5 * cos(PI * ((double)i + 0.5) / (double)e));
        h->prompt[i] *= g;
        h->prompt[h->prompt_len - 1 - i] *= g;
    }
    double peak = 0.0;
    for (size_t i = 0; i < h->prompt_len; i++)
        peak = fmax(peak, fabs(h->prompt[i]));
    if (!(peak > 1e-6))
        return AIM_ERR_INVALID_ARG; /* silent or not finite */
    h->prompt_peak = peak;
    h->prompt_db = audible_loudness_dbfs(h->prompt, h->prompt_len, h->rate,
                                         20.0 * log10(peak) - 10.0);
    h->level_db = cfg->voice_level_db;
    return AIM_OK;
}

int aim_audible_inserter_new(const aim_audible_config *cfg, aim_audible_inserter **out)
{
    if (out)
        *out = NULL;
    if (!cfg || !out || cfg->sample_rate < AIM_AUDIBLE_MIN_RATE ||
        cfg->sample_rate > AIM_AUDIBLE_MAX_RATE || cfg->channels < 1 ||
        cfg->channels > AIM_AUDIBLE_MAX_CHANNELS ||
        (cfg->kind != AIM_AUDIBLE_RHYTHM && cfg->kind != AIM_AUDIBLE_VOICE) ||
        (cfg->mode != AIM_AUDIBLE_INSERT && cfg->mode != AIM_AUDIBLE_MIX) ||
        (cfg->positions & ~15u) != 0 || !fin(cfg->rhythm_level_db, -40, 10) ||
        !fin(cfg->voice_level_db, -40, 10) || !fin(cfg->fallback_dbfs, -60, -6) ||
        !fin(cfg->max_peak_dbfs, -40, 0) || !fin(cfg->lookahead_s, 0, 10) ||
        !fin(cfg->pad_ms, 10, 2000) || !fin(cfg->mix_duck_db, -40, 0))
        return AIM_ERR_INVALID_ARG;
    if ((cfg->positions & AIM_AUDIBLE_AT_INTERVAL) && !fin(cfg->interval_s, 5, 3600))
        return AIM_ERR_INVALID_ARG;
    if ((cfg->positions & AIM_AUDIBLE_AT_MIDDLE) && cfg->expected_frames == 0)
        return AIM_ERR_INVALID_ARG;
    if (cfg->kind == AIM_AUDIBLE_RHYTHM && cfg->voice)
        return AIM_ERR_INVALID_ARG;
    if (cfg->kind == AIM_AUDIBLE_VOICE && cfg->voice &&
        (cfg->voice_rate < AIM_AUDIBLE_MIN_RATE || cfg->voice_rate > AIM_AUDIBLE_MAX_RATE ||
         cfg->voice_frames < 2 || (double)cfg->voice_frames > MAX_VOICE_S * cfg->voice_rate))
        return AIM_ERR_INVALID_ARG;

    aim_audible_inserter *h = calloc(1, sizeof *h);
    if (!h)
        return AIM_ERR_NOMEM;
    h->rate = cfg->sample_rate;
    h->ch = cfg->channels;
    h->mode = cfg->mode;
    h->positions = cfg->positions;
    h->fallback_db = cfg->fallback_dbfs;
    h->max_peak = pow(10.0, cfg->max_peak_dbfs / 20.0);
    h->duck = (float)pow(10.0, cfg->mix_duck_db / 20.0);
    h->duck_ramp = (size_t)(DUCK_RAMP_MS / 1000.0 * h->rate);
    int rc = make_prompt(h, cfg);
    if (rc != AIM_OK) {
        aim_audible_inserter_free(h);
        return rc;
    }
    h->latency = (size_t)llround(cfg->lookahead_s * h->rate);
    if (h->mode == AIM_AUDIBLE_MIX && (h->positions & AIM_AUDIBLE_AT_END) &&
        h->latency < h->prompt_len)
        h->latency = h->prompt_len;
    h->history = (size_t)(HISTORY_S * h->rate);
    h->pad = (size_t)llround(cfg->pad_ms / 1000.0 * h->rate);
    h->bridge = (size_t)(BRIDGE_MS / 1000.0 * h->rate);
    if (h->bridge > h->pad)
        h->bridge = h->pad;
    h->void_after = UINT64_MAX;
    if (h->positions & AIM_AUDIBLE_AT_INTERVAL) {
        h->interval = (uint64_t)llround(cfg->interval_s * h->rate);
        h->next_interval = h->interval;
    }
    if (h->positions & AIM_AUDIBLE_AT_START)
        h->pts[h->npts++] = 0;
    if (h->positions & AIM_AUDIBLE_AT_MIDDLE) {
        uint64_t m = cfg->expected_frames / 2;
        if (h->npts == 0 || h->pts[0] != m)
            h->pts[h->npts++] = m;
    }
    h->fifo_cap = h->latency + CHUNK;
    h->mono_cap = h->history + h->latency + 2 * CHUNK;
    h->fifo = malloc(h->fifo_cap * (size_t)h->ch * sizeof *h->fifo);
    h->mono = malloc(h->mono_cap * sizeof *h->mono);
    if (!h->fifo || !h->mono) {
        aim_audible_inserter_free(h);
        return AIM_ERR_NOMEM;
    }
    *out = h;
    return AIM_OK;
}

size_t aim_audible_inserter_latency(const aim_audible_inserter *h)
{
    return h ? h->latency : 0;
}

size_t aim_audible_inserter_prompt_frames(const aim_audible_inserter *h)
{
    if (!h)
        return 0;
    return h->mode == AIM_AUDIBLE_INSERT ? h->prompt_len + 2 * h->pad : h->prompt_len;
}

size_t aim_audible_inserter_prompts(const aim_audible_inserter *h)
{
    return h ? h->prompts : 0;
}

size_t aim_audible_inserter_max_out(const aim_audible_inserter *h, size_t frames)
{
    if (!h)
        return 0;
    uint64_t content = (h->in_pos - h->out_pos) + (uint64_t)frames;
    if (content < frames)
        return 0;
    uint64_t n = h->npts + 2; /* queued points, the end, one being mixed */
    if (h->interval)
        n += content / h->interval + 1;
    uint64_t seg = aim_audible_inserter_prompt_frames(h);
    if (seg && n > (UINT64_MAX - content) / seg)
        return 0;
    uint64_t total = content + n * seg;
    if (total > SIZE_MAX / ((size_t)h->ch * sizeof(float)))
        return 0;
    return (size_t)total;
}

/* The earliest point, or UINT64_MAX. */
static uint64_t next_point(const aim_audible_inserter *h)
{
    uint64_t p = h->npts ? h->pts[0] : UINT64_MAX;
    if (h->interval && h->next_interval < p && h->next_interval <= h->void_after)
        p = h->next_interval;
    return p;
}

/* Drop every point at or before `pos` (one prompt serves them all). */
static void pop_points(aim_audible_inserter *h, uint64_t pos)
{
    size_t k = 0;
    while (k < h->npts && h->pts[k] <= pos)
        k++;
    memmove(h->pts, h->pts + k, (h->npts - k) * sizeof h->pts[0]);
    h->npts -= k;
    while (h->interval && h->next_interval <= pos)
        h->next_interval += h->interval;
}

static int add_point(aim_audible_inserter *h, uint64_t pos)
{
    size_t i = h->npts;
    while (i > 0 && h->pts[i - 1] > pos)
        i--;
    if (i > 0 && h->pts[i - 1] == pos)
        return AIM_OK;
    if (h->npts == MAX_POINTS)
        return AIM_ERR_LIMIT;
    memmove(h->pts + i + 1, h->pts + i, (h->npts - i) * sizeof h->pts[0]);
    h->pts[i] = pos;
    h->npts++;
    return AIM_OK;
}

/* Gain for a prompt starting at content frame out_pos: loudness of the
 * content HISTORY_S before it and `latency` frames after it. */
static float prompt_gain(const aim_audible_inserter *h)
{
    uint64_t a = h->out_pos > h->history ? h->out_pos - h->history : 0;
    uint64_t b = h->out_pos + h->latency;
    if (b > h->in_pos)
        b = h->in_pos;
    if (a < h->mono_base)
        a = h->mono_base; /* not reached: mono keeps history + latency + chunk */
    double l = b > a ? audible_loudness_dbfs(h->mono + (a - h->mono_base), (size_t)(b - a),
                                             h->rate, h->fallback_db)
                     : h->fallback_db;
    double g = pow(10.0, (l + h->level_db - h->prompt_db) / 20.0);
    if (g * h->prompt_peak > h->max_peak)
        g = h->max_peak / h->prompt_peak;
    return (float)g;
}

/* next: the content frame after the splice, or NULL at the end. */
static void write_segment(aim_audible_inserter *h, float *out, const float *next)
{
    size_t ch = (size_t)h->ch, seg = h->prompt_len + 2 * h->pad, R = h->bridge;
    float g = prompt_gain(h);
    for (size_t i = 0; i < seg; i++) {
        float p = 0.0f;
        if (i >= h->pad && i < h->pad + h->prompt_len)
            p = g * h->prompt[i - h->pad];
        for (size_t c = 0; c < ch; c++) {
            float v = p;
            /* Smooth the jump from the content to silence and back. */
            if (i < R)
                v += h->last[c] * (float)(0.5 + 0.5 * cos(PI * (double)(i + 1) / (double)(R + 1)));
            if (next && seg - 1 - i < R)
                v += next[c] *
                     (float)(0.5 - 0.5 * cos(PI * (double)(R - (seg - 1 - i)) / (double)(R + 1)));
            out[i * ch + c] = v;
        }
    }
    memcpy(h->last, out + (seg - 1) * ch, ch * sizeof *out);
    h->prompts++;
}

/* Content gain at frame k of a mixed prompt: `duck`, reached and left
 * over duck_ramp frames. */
static float duck_at(const aim_audible_inserter *h, size_t k)
{
    size_t r = h->duck_ramp, e = h->prompt_len - 1 - k;
    double w = 1.0;
    if (k < r)
        w = 0.5 - 0.5 * cos(PI * ((double)k + 0.5) / (double)r);
    else if (e < r)
        w = 0.5 - 0.5 * cos(PI * ((double)e + 0.5) / (double)r);
    return (float)(1.0 - (1.0 - h->duck) * w);
}

/* Write what is ready. final: the input has ended. */
static void emit(aim_audible_inserter *h, float *out, size_t *w, int final)
{
    size_t ch = (size_t)h->ch;
    uint64_t limit = final ? h->in_pos : (h->in_pos > h->latency ? h->in_pos - h->latency : 0);
    size_t start_fifo = 0; /* frames of fifo consumed in this call */
    for (;;) {
        uint64_t p = next_point(h);
        /* A point is ready when its lookahead (and, for INSERT, the next
         * content frame for the bridge) has arrived. */
        int ready = p <= h->out_pos &&
                    (final || (h->in_pos > p && h->in_pos - p >= (h->latency ? h->latency : 1)));
        if (ready && !h->mixing) {
            pop_points(h, h->out_pos);
            if (h->mode == AIM_AUDIBLE_INSERT) {
                const float *next = h->out_pos < h->in_pos ? h->fifo + start_fifo * ch : NULL;
                write_segment(h, out + *w * ch, next);
                *w += h->prompt_len + 2 * h->pad;
            } else {
                h->mix_gain = prompt_gain(h);
                h->mixing = 1;
                h->mix_idx = 0;
                h->prompts++;
            }
            continue;
        }
        uint64_t end = limit;
        if (p > h->out_pos && p < end)
            end = p;
        if (h->mixing && h->out_pos + (h->prompt_len - h->mix_idx) < end)
            end = h->out_pos + (h->prompt_len - h->mix_idx);
        if (end <= h->out_pos) {
            if (final && h->out_pos == h->in_pos && h->mixing) {
                /* The stream ended under a prompt: let it finish alone. */
                for (; h->mix_idx < h->prompt_len; h->mix_idx++, (*w)++)
                    for (size_t c = 0; c < ch; c++)
                        out[*w * ch + c] = h->mix_gain * h->prompt[h->mix_idx];
                h->mixing = 0;
                memcpy(h->last, out + (*w - 1) * ch, ch * sizeof *out);
                continue;
            }
            break;
        }
        size_t n = (size_t)(end - h->out_pos);
        const float *src = h->fifo + start_fifo * ch;
        float *dst = out + *w * ch;
        memcpy(dst, src, n * ch * sizeof *dst);
        if (h->mixing) {
            for (size_t i = 0; i < n; i++) {
                size_t k = h->mix_idx + i;
                float v = h->mix_gain * h->prompt[k], g = duck_at(h, k);
                for (size_t c = 0; c < ch; c++)
                    dst[i * ch + c] = dst[i * ch + c] * g + v;
            }
            h->mix_idx += n;
            if (h->mix_idx >= h->prompt_len)
                h->mixing = 0;
        }
        memcpy(h->last, dst + (n - 1) * ch, ch * sizeof *dst);
        start_fifo += n;
        h->out_pos += n;
        *w += n;
    }
    size_t held = (size_t)(h->in_pos - h->out_pos);
    memmove(h->fifo, h->fifo + start_fifo * ch, held * ch * sizeof *h->fifo);
}

static void append(aim_audible_inserter *h, const float *in, size_t n)
{
    size_t ch = (size_t)h->ch, held = (size_t)(h->in_pos - h->out_pos);
    memcpy(h->fifo + held * ch, in, n * ch * sizeof *in);
    size_t have = (size_t)(h->in_pos - h->mono_base);
    if (have + n > h->mono_cap) {
        size_t keep = h->history + h->latency + CHUNK;
        if (keep > have)
            keep = have;
        memmove(h->mono, h->mono + (have - keep), keep * sizeof *h->mono);
        h->mono_base += have - keep;
        have = keep;
    }
    for (size_t i = 0; i < n; i++) {
        float s = 0.0f;
        for (size_t c = 0; c < ch; c++)
            s += in[i * ch + c];
        h->mono[have + i] = s / (float)ch;
    }
    h->in_pos += n;
}

int aim_audible_inserter_process(aim_audible_inserter *h, const float *in, size_t frames,
                                 float *out, size_t cap_frames, size_t *out_frames)
{
    if (out_frames)
        *out_frames = 0;
    if (!h || !out_frames || (frames && !in) || !out)
        return AIM_ERR_INVALID_ARG;
    if (h->flushed)
        return AIM_ERR_BAD_STATE;
    size_t need = aim_audible_inserter_max_out(h, frames);
    if (need == 0 && frames > 0)
        return AIM_ERR_LIMIT;
    if (cap_frames < need)
        return AIM_ERR_BUFFER_TOO_SMALL;
    size_t w = 0;
    do {
        size_t n = frames < CHUNK ? frames : CHUNK;
        if (n > 0)
            append(h, in, n);
        emit(h, out, &w, 0);
        in += n * (size_t)h->ch;
        frames -= n;
    } while (frames > 0);
    *out_frames = w;
    return AIM_OK;
}

int aim_audible_inserter_flush(aim_audible_inserter *h, float *out, size_t cap_frames,
                               size_t *out_frames)
{
    if (out_frames)
        *out_frames = 0;
    if (!h || !out_frames || !out)
        return AIM_ERR_INVALID_ARG;
    if (h->flushed)
        return AIM_ERR_BAD_STATE;
    if (cap_frames < aim_audible_inserter_max_out(h, 0))
        return AIM_ERR_BUFFER_TOO_SMALL;
    /* An interval point that falls on the very end is not a middle
     * point: only AT_END puts a prompt there. */
    h->void_after = h->in_pos ? h->in_pos - 1 : 0;
    if (h->positions & AIM_AUDIBLE_AT_END) {
        uint64_t p = h->in_pos;
        if (h->mode == AIM_AUDIBLE_MIX)
            p = h->in_pos > h->prompt_len ? h->in_pos - h->prompt_len : 0;
        if (p < h->out_pos)
            p = h->out_pos;
        /* Points past the end are void; the end point goes last. */
        while (h->npts && h->pts[h->npts - 1] > p)
            h->npts--;
        h->void_after = p;
        if (add_point(h, p) != AIM_OK)
            h->pts[h->npts - 1] = p; /* queue full: the end replaces the last */
    }
    size_t w = 0;
    emit(h, out, &w, 1);
    h->flushed = 1;
    *out_frames = w;
    return AIM_OK;
}

static int turn_point(aim_audible_inserter *h)
{
    if (!h)
        return AIM_ERR_INVALID_ARG;
    if (h->flushed)
        return AIM_ERR_BAD_STATE;
    return add_point(h, h->in_pos);
}

int aim_audible_inserter_begin_turn(aim_audible_inserter *h)
{
    return turn_point(h);
}

int aim_audible_inserter_end_turn(aim_audible_inserter *h)
{
    return turn_point(h);
}
