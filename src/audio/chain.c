#include "audio/chain.h"

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

/* ---- building ------------------------------------------------------------------- */

int aud_chain_needed(const aim_audio_label_opts *o) { return o->watermark != 0; }

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
