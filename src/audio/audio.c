/*
 * The public reader and writer: pick a back end, check what it reports
 * against the limits, keep errors sticky, carry tags.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audio/audio_internal.h"
#include "core/diag.h"

/* Tags we carry: the ordinary descriptive ones. Never AIGC or other
 * machine fields (the label is written by the label layer, once). */
static const char *const CARRIED[] = {"title", "artist", "album", "album_artist", "comment",
                                      "date", "genre", "track", "composer", "copyright"};

int aud_tags_add(aud_tags *t, const char *key, const char *value)
{
    if (!key || !value || !value[0] || t->n >= AUD_MAX_TAGS)
        return AIM_OK;
    size_t vn = strlen(value);
    if (vn > AUD_MAX_TAG_BYTES)
        return AIM_OK;
    const char *canon = NULL;
    for (size_t i = 0; i < sizeof CARRIED / sizeof *CARRIED; i++)
        if (strcasecmp(key, CARRIED[i]) == 0)
            canon = CARRIED[i];
    if (!canon || aud_tags_get(t, canon))
        return AIM_OK;
    char *k = strdup(canon), *v = strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return AIM_ERR_NOMEM;
    }
    t->key[t->n] = k;
    t->val[t->n] = v;
    t->n++;
    return AIM_OK;
}

const char *aud_tags_get(const aud_tags *t, const char *key)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->key[i], key) == 0)
            return t->val[i];
    return NULL;
}

void aud_tags_clear(aud_tags *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->key[i]);
        free(t->val[i]);
    }
    memset(t, 0, sizeof *t);
}

/* ---- reader ------------------------------------------------------------------ */

static int sniff(const char *path, aim_format *fmt, aim_diag *d)
{
    unsigned char head[4096];
    FILE *f = fopen(path, "rb");
    if (!f)
        return diag_fail(d, AIM_ERR_IO, "audio: cannot open %s", path);
    size_t n = fread(head, 1, sizeof head, f);
    int err = ferror(f);
    fclose(f);
    if (err)
        return diag_fail(d, AIM_ERR_IO, "audio: cannot read %s", path);
    *fmt = aim_format_probe(head, n);
    if (*fmt == AIM_FORMAT_PNG || *fmt == AIM_FORMAT_JPEG || *fmt == AIM_FORMAT_WEBP)
        return diag_fail(d, AIM_ERR_UNSUPPORTED, "audio: %s is an image", aim_format_name(*fmt));
    return AIM_OK;
}

int aim_audio_reader_open(const char *path, aim_audio_reader **out, aim_audio_info *info,
                          aim_diag *d)
{
    if (!path || !out)
        return AIM_ERR_INVALID_ARG;
    *out = NULL;
    if (d)
        memset(d, 0, sizeof *d);
    aim_format fmt;
    int rc = sniff(path, &fmt, d);
    if (rc)
        return rc;
    if (d)
        d->format = fmt;
    aim_audio_reader *r = calloc(1, sizeof *r);
    if (!r)
        return AIM_ERR_NOMEM;
    /* libsndfile for the formats it writes exactly; FFmpeg for the rest
     * and as the fallback for anything libsndfile does not recognise. */
    rc = AIM_ERR_UNKNOWN_FORMAT;
    /* libsndfile only for WAV and FLAC (everything else, AIFF/CAF
     * included, goes to FFmpeg): its mpg123 path prints to stderr on damaged MP3 frames (a library
     * must not print), and 1.2.0 leaks on malformed Ogg Vorbis headers
     * (found by fuzz_audio; corpus/audio/crash-leak-sndfile-vorbis-header.ogg). */
    if (fmt == AIM_FORMAT_WAV || fmt == AIM_FORMAT_FLAC)
        rc = sfr_open(r, path, d);
    if (rc == AIM_ERR_UNKNOWN_FORMAT || rc == AUD_TRY_FFMPEG) {
        if (d)
            d->message[0] = 0;
        aud_tags_clear(&r->tags);
        rc = ffr_open(r, path, d);
    }
    if (rc == AIM_OK) {
        aim_audio_info *in = &r->info;
        if (in->channels < 1 || in->channels > AIM_AUDIO_MAX_CHANNELS)
            rc = diag_fail(d, AIM_ERR_LIMIT, "audio: %d channels (limit %d)", in->channels,
                           AIM_AUDIO_MAX_CHANNELS);
        else if (in->sample_rate < 1 || in->sample_rate > AIM_AUDIO_MAX_RATE)
            rc = diag_fail(d, AIM_ERR_LIMIT, "audio: sample rate %d Hz out of range", in->sample_rate);
        /* The family comes from the content; a decoder's own view only
         * fills in what sniffing could not tell (Ogg Vorbis vs Opus). */
        if (fmt != AIM_FORMAT_UNKNOWN && !(fmt == AIM_FORMAT_OGG_VORBIS && in->format == AIM_FORMAT_OGG_OPUS))
            in->format = fmt;
    }
    if (rc) {
        aim_audio_reader_free(r);
        return rc;
    }
    if (d)
        d->format = r->info.format;
    if (info)
        *info = r->info;
    *out = r;
    return AIM_OK;
}

int aim_audio_reader_read(aim_audio_reader *r, float *buf, size_t cap, size_t *got, aim_diag *d)
{
    if (got)
        *got = 0;
    if (!r || !got || (cap && !buf))
        return AIM_ERR_INVALID_ARG;
    if (r->failed)
        return diag_fail(d, AIM_ERR_BAD_STATE, "audio: reader stopped after an earlier error");
    if (cap == 0)
        return AIM_OK;
    int rc = r->backend == AUD_BACKEND_SNDFILE ? sfr_read(r, buf, cap, got, d)
                                               : ffr_read(r, buf, cap, got, d);
    if (rc)
        r->failed = 1;
    return rc;
}

void aim_audio_reader_free(aim_audio_reader *r)
{
    if (!r)
        return;
    if (r->backend == AUD_BACKEND_SNDFILE)
        sfr_close(r);
    else if (r->backend == AUD_BACKEND_FFMPEG)
        ffr_close(r);
    aud_tags_clear(&r->tags);
    free(r);
}

/* ---- writer ------------------------------------------------------------------ */

int aim_audio_writer_config_like(aim_audio_writer_config *c, const aim_audio_info *src)
{
    if (!c || !src)
        return AIM_ERR_INVALID_ARG;
    memset(c, 0, sizeof *c);
    c->format = src->format;
    c->sample_rate = src->sample_rate;
    c->channels = src->channels;
    c->vorbis_quality = 6.0;
    switch (src->format) {
    case AIM_FORMAT_WAV:
        c->kind = src->kind == AIM_SAMPLE_FLOAT ? AIM_SAMPLE_FLOAT : AIM_SAMPLE_INT;
        c->bits = src->bits ? src->bits : 16;
        if (src->kind == AIM_SAMPLE_LOSSY) { /* e.g. an ADPCM WAV: write 16-bit PCM */
            c->kind = AIM_SAMPLE_INT;
            c->bits = 16;
        }
        break;
    case AIM_FORMAT_FLAC:
        c->kind = AIM_SAMPLE_INT;
        c->bits = src->bits == 8 ? 8 : src->bits > 16 ? 24 : 16;
        break;
    case AIM_FORMAT_MP3:
        c->bitrate = src->bitrate >= 32000 ? src->bitrate : 192000;
        break;
    case AIM_FORMAT_OGG_VORBIS:
        break;
    case AIM_FORMAT_OGG_OPUS:
        c->bitrate = src->bitrate > 96000 ? src->bitrate : 96000;
        break;
    case AIM_FORMAT_MP4:
        c->bitrate = src->bitrate > 128000 ? src->bitrate : 128000;
        break;
    default:
        return AIM_ERR_UNSUPPORTED;
    }
    if (c->bitrate > 512000)
        c->bitrate = 512000;
    return AIM_OK;
}

int aim_audio_writer_open(const char *path, const aim_audio_writer_config *cfg,
                          aim_audio_writer **out, aim_diag *d)
{
    if (!path || !cfg || !out)
        return AIM_ERR_INVALID_ARG;
    *out = NULL;
    if (d)
        memset(d, 0, sizeof *d);
    if (cfg->channels < 1 || cfg->channels > AIM_AUDIO_MAX_CHANNELS || cfg->sample_rate < 1 ||
        cfg->sample_rate > AIM_AUDIO_MAX_RATE)
        return diag_fail(d, AIM_ERR_INVALID_ARG, "audio: bad writer rate/channels");
    aim_audio_writer *w = calloc(1, sizeof *w);
    if (!w)
        return AIM_ERR_NOMEM;
    w->cfg = *cfg;
    w->clip = malloc((size_t)AUD_BLOCK * (size_t)cfg->channels * sizeof *w->clip);
    if (!w->clip) {
        free(w);
        return AIM_ERR_NOMEM;
    }
    int rc;
    /* libsndfile for the lossless families (exact sample formats); FFmpeg
     * for the lossy ones (explicit bitrates, one code path for all four). */
    if (cfg->format == AIM_FORMAT_WAV || cfg->format == AIM_FORMAT_FLAC) {
        w->backend = AUD_BACKEND_SNDFILE;
        rc = sfw_open(w, path, d);
    } else if (cfg->format == AIM_FORMAT_MP3 || cfg->format == AIM_FORMAT_OGG_VORBIS ||
               cfg->format == AIM_FORMAT_OGG_OPUS || cfg->format == AIM_FORMAT_MP4) {
        w->backend = AUD_BACKEND_FFMPEG;
        rc = ffw_open(w, path, d);
    } else {
        rc = diag_fail(d, AIM_ERR_UNSUPPORTED, "audio: cannot write %s", aim_format_name(cfg->format));
    }
    if (rc) {
        aim_audio_writer_free(w);
        return rc;
    }
    *out = w;
    return AIM_OK;
}

int aim_audio_writer_copy_tags(aim_audio_writer *w, const aim_audio_reader *r)
{
    if (!w || !r)
        return AIM_ERR_INVALID_ARG;
    if (w->started || w->failed)
        return AIM_ERR_BAD_STATE;
    for (size_t i = 0; i < r->tags.n; i++)
        if (aud_tags_add(&w->tags, r->tags.key[i], r->tags.val[i]))
            return AIM_ERR_NOMEM;
    return AIM_OK;
}

static int writer_start(aim_audio_writer *w, aim_diag *d)
{
    if (w->started)
        return AIM_OK;
    w->started = 1;
    return w->backend == AUD_BACKEND_SNDFILE ? sfw_start(w, d) : ffw_start(w, d);
}

int aim_audio_writer_write(aim_audio_writer *w, const float *buf, size_t frames, aim_diag *d)
{
    if (!w || (frames && !buf))
        return AIM_ERR_INVALID_ARG;
    if (w->failed || w->finished)
        return diag_fail(d, AIM_ERR_BAD_STATE, "audio: writer stopped");
    int rc = writer_start(w, d);
    size_t ch = (size_t)w->cfg.channels;
    while (rc == AIM_OK && frames) {
        size_t n = frames < AUD_BLOCK ? frames : AUD_BLOCK;
        for (size_t i = 0; i < n * ch; i++) {
            float v = buf[i];
            w->clip[i] = v > 1.0f ? 1.0f : v < -1.0f ? -1.0f : v == v ? v : 0.0f;
        }
        rc = w->backend == AUD_BACKEND_SNDFILE ? sfw_write(w, w->clip, n, d)
                                               : ffw_write(w, w->clip, n, d);
        buf += n * ch;
        frames -= n;
    }
    if (rc)
        w->failed = 1;
    return rc;
}

int aim_audio_writer_finish(aim_audio_writer *w, aim_diag *d)
{
    if (!w)
        return AIM_ERR_INVALID_ARG;
    if (w->failed || w->finished)
        return diag_fail(d, AIM_ERR_BAD_STATE, "audio: writer stopped");
    int rc = writer_start(w, d);
    if (rc == AIM_OK)
        rc = w->backend == AUD_BACKEND_SNDFILE ? sfw_finish(w, d) : ffw_finish(w, d);
    w->finished = 1;
    if (rc)
        w->failed = 1;
    return rc;
}

void aim_audio_writer_free(aim_audio_writer *w)
{
    if (!w)
        return;
    if (w->backend == AUD_BACKEND_SNDFILE)
        sfw_close(w);
    else if (w->backend == AUD_BACKEND_FFMPEG)
        ffw_close(w);
    aud_tags_clear(&w->tags);
    free(w->clip);
    free(w);
}
