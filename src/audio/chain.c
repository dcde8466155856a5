#include "audio/chain.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audio/audio_internal.h"
#include "core/diag.h"

/* ---- sink: the encoder ----------------------------------------------------- */

typedef struct writer_stage {
    aud_stage base;
    aim_audio_writer *w;
} writer_stage;

static int writer_push(aud_stage *s, const float *in, size_t frames, aim_diag *d)
{
    return aim_audio_writer_write(((writer_stage *)s)->w, in, frames, d);
}

static int writer_finish(aud_stage *s, aim_diag *d)
{
    return aim_audio_writer_finish(((writer_stage *)s)->w, d);
}

static void plain_destroy(aud_stage *s) { free(s); }

int aud_stage_writer(aim_audio_writer *w, aud_stage **out)
{
    writer_stage *s = calloc(1, sizeof *s);
    if (!s)
        return AIM_ERR_NOMEM;
    s->base.push = writer_push;
    s->base.finish = writer_finish;
    s->base.destroy = plain_destroy;
    s->w = w;
    *out = &s->base;
    return AIM_OK;
}

/* ---- the watermark ----------------------------------------------------------- */

typedef struct wm_stage {
    aud_stage base;
    aim_wm_embedder *e;
    size_t ch;
    float *out; /* AUD_BLOCK frames, or the latency if larger */
    size_t cap;
} wm_stage;

static int wm_push(aud_stage *s, const float *in, size_t frames, aim_diag *d)
{
    wm_stage *w = (wm_stage *)s;
    while (frames) {
        size_t n = frames < w->cap ? frames : w->cap, got = 0;
        int rc = aim_wm_embedder_process(w->e, in, n, w->out, &got);
        if (rc)
            return diag_fail(d, rc, "audio: watermark embedding failed");
        if (got && (rc = s->next->push(s->next, w->out, got, d)) != AIM_OK)
            return rc;
        in += n * w->ch;
        frames -= n;
    }
    return AIM_OK;
}

static int wm_finish(aud_stage *s, aim_diag *d)
{
    wm_stage *w = (wm_stage *)s;
    size_t got = 0;
    int rc = aim_wm_embedder_flush(w->e, w->out, w->cap, &got);
    if (rc)
        return diag_fail(d, rc, "audio: watermark flush failed");
    if (got && (rc = s->next->push(s->next, w->out, got, d)) != AIM_OK)
        return rc;
    return s->next->finish(s->next, d);
}

static void wm_destroy(aud_stage *s)
{
    wm_stage *w = (wm_stage *)s;
    aim_wm_embedder_free(w->e);
    free(w->out);
    free(w);
}

int aud_stage_wm(const aim_wm_key *key, uint64_t payload, float snr_db, int rate, int channels,
                 aud_stage **out)
{
    aim_wm_embed_config cfg;
    aim_wm_embed_config_init(&cfg);
    cfg.sample_rate = rate;
    cfg.channels = channels;
    if (snr_db > 0)
        cfg.target_snr_db = snr_db;
    wm_stage *w = calloc(1, sizeof *w);
    if (!w)
        return AIM_ERR_NOMEM;
    int rc = aim_wm_embedder_new(&cfg, key, payload, &w->e);
    if (rc) {
        free(w);
        return rc;
    }
    w->ch = (size_t)channels;
    w->cap = AUD_BLOCK;
    if (aim_wm_embedder_latency(w->e) > w->cap)
        w->cap = aim_wm_embedder_latency(w->e);
    w->out = malloc(w->cap * w->ch * sizeof *w->out);
    if (!w->out) {
        wm_destroy(&w->base);
        return AIM_ERR_NOMEM;
    }
    w->base.push = wm_push;
    w->base.finish = wm_finish;
    w->base.destroy = wm_destroy;
    *out = &w->base;
    return AIM_OK;
}

/* ---- the audible prompt (explicit label) ------------------------------------------ */

typedef struct audible_stage {
    aud_stage base;
    aim_audible_inserter *h;
    size_t ch;
    float *out; /* grown to what the inserter says a call may need */
    size_t cap;
} audible_stage;

/* Make room for `need` output frames (the inserter's room depends on what
 * it holds back, so it is asked before every call). */
static int audible_room(audible_stage *a, size_t need)
{
    if (need == 0)
        return AIM_ERR_NOMEM; /* max_out overflowed */
    if (need <= a->cap)
        return AIM_OK;
    if (need > SIZE_MAX / a->ch / sizeof *a->out)
        return AIM_ERR_NOMEM;
    float *p = realloc(a->out, need * a->ch * sizeof *p);
    if (!p)
        return AIM_ERR_NOMEM;
    a->out = p;
    a->cap = need;
    return AIM_OK;
}

static int audible_push(aud_stage *s, const float *in, size_t frames, aim_diag *d)
{
    audible_stage *a = (audible_stage *)s;
    while (frames) {
        size_t n = frames < AUD_BLOCK ? frames : AUD_BLOCK, got = 0;
        int rc = audible_room(a, aim_audible_inserter_max_out(a->h, n));
        if (rc == AIM_OK)
            rc = aim_audible_inserter_process(a->h, in, n, a->out, a->cap, &got);
        if (rc)
            return diag_fail(d, rc, "audio: audible prompt insertion failed");
        if (got && (rc = s->next->push(s->next, a->out, got, d)) != AIM_OK)
            return rc;
        in += n * a->ch;
        frames -= n;
    }
    return AIM_OK;
}

static int audible_finish(aud_stage *s, aim_diag *d)
{
    audible_stage *a = (audible_stage *)s;
    size_t got = 0;
    int rc = audible_room(a, aim_audible_inserter_max_out(a->h, 0));
    if (rc == AIM_OK)
        rc = aim_audible_inserter_flush(a->h, a->out, a->cap, &got);
    if (rc)
        return diag_fail(d, rc, "audio: audible prompt flush failed");
    if (got && (rc = s->next->push(s->next, a->out, got, d)) != AIM_OK)
        return rc;
    return s->next->finish(s->next, d);
}

static void audible_destroy(aud_stage *s)
{
    audible_stage *a = (audible_stage *)s;
    aim_audible_inserter_free(a->h);
    free(a->out);
    free(a);
}

int aud_stage_audible(const aim_audible_config *cfg, aud_stage **out)
{
    audible_stage *a = calloc(1, sizeof *a);
    if (!a)
        return AIM_ERR_NOMEM;
    int rc = aim_audible_inserter_new(cfg, &a->h);
    if (rc) {
        free(a);
        return rc;
    }
    a->ch = (size_t)cfg->channels;
    if (audible_room(a, aim_audible_inserter_max_out(a->h, AUD_BLOCK)) != AIM_OK) {
        audible_destroy(&a->base);
        return AIM_ERR_NOMEM;
    }
    a->base.push = audible_push;
    a->base.finish = audible_finish;
    a->base.destroy = audible_destroy;
    *out = &a->base;
    return AIM_OK;
}

/* ---- building ------------------------------------------------------------------- */

int aud_chain_needed(const aim_audio_label_opts *o) { return o->watermark != 0 || o->audible != 0; }

/* Put stage s in front of *head. */
static void prepend(aud_stage **head, aud_stage *s)
{
    s->next = *head;
    *head = s;
}

int aud_chain_build(const aim_audio_label_opts *o, const aim_audio_info *info, aud_stage *sink,
                    aud_stage **head, aim_diag *d)
{
    *head = sink;
    /* Stages are prepended, so build from the encoder backwards: the mark
     * goes on last, over everything that is heard (a future audible prompt
     * is added before it, so the prompt is marked too). */
    if (o->watermark) {
        if (info->sample_rate < AIM_WM_MIN_RATE || info->sample_rate > AIM_WM_MAX_RATE ||
            info->channels > AIM_WM_MAX_CHANNELS)
            return diag_fail(d, AIM_ERR_UNSUPPORTED, "audio: the watermark takes %d-%d Hz, up to %d channels",
                             AIM_WM_MIN_RATE, AIM_WM_MAX_RATE, AIM_WM_MAX_CHANNELS);
        aud_stage *s;
        int rc = aud_stage_wm(&o->key, o->payload, o->wm_snr_db, info->sample_rate, info->channels, &s);
        if (rc)
            return diag_fail(d, rc, "audio: cannot create the watermark embedder");
        prepend(head, s);
    }
    if (o->audible) {
        aim_audible_config cfg = o->audible_cfg;
        cfg.sample_rate = info->sample_rate;
        cfg.channels = info->channels;
        if ((cfg.positions & AIM_AUDIBLE_AT_MIDDLE) && cfg.expected_frames == 0) {
            if (info->frames <= 0)
                return diag_fail(d, AIM_ERR_UNSUPPORTED,
                                 "audio: a prompt in the middle needs the file's length, which this file does not state");
            cfg.expected_frames = (uint64_t)info->frames;
        }
        aud_stage *s;
        int rc = aud_stage_audible(&cfg, &s);
        if (rc)
            return diag_fail(d, rc, "audio: cannot create the audible prompt inserter (rate %d Hz, %d channels)",
                             info->sample_rate, info->channels);
        prepend(head, s);
    }
    return AIM_OK;
}

void aud_chain_free(aud_stage *head)
{
    while (head) {
        aud_stage *n = head->next;
        head->destroy(head);
        head = n;
    }
}
