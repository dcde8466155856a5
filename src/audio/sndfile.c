/*
 * libsndfile back end: reads and writes WAV/RF64 and FLAC with an exact
 * sample format.
 */
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audio/audio_internal.h"
#include "core/diag.h"

static const struct {
    int sf;
    const char *name;
} STR_MAP[] = {
    {SF_STR_TITLE, "title"},     {SF_STR_ARTIST, "artist"},     {SF_STR_ALBUM, "album"},
    {SF_STR_COMMENT, "comment"}, {SF_STR_DATE, "date"},         {SF_STR_GENRE, "genre"},
    {SF_STR_TRACKNUMBER, "track"}, {SF_STR_COPYRIGHT, "copyright"},
};

static void describe(const SF_INFO *si, aim_audio_info *in)
{
    int major = si->format & SF_FORMAT_TYPEMASK, sub = si->format & SF_FORMAT_SUBMASK;
    in->format = AIM_FORMAT_UNKNOWN;
    if (major == SF_FORMAT_WAV || major == SF_FORMAT_WAVEX || major == SF_FORMAT_RF64)
        in->format = AIM_FORMAT_WAV;
    else if (major == SF_FORMAT_FLAC)
        in->format = AIM_FORMAT_FLAC;
    else if (major == SF_FORMAT_MPEG)
        in->format = AIM_FORMAT_MP3;
    else if (major == SF_FORMAT_OGG)
        in->format = sub == SF_FORMAT_OPUS ? AIM_FORMAT_OGG_OPUS : AIM_FORMAT_OGG_VORBIS;
    in->kind = AIM_SAMPLE_INT;
    in->bits = 0;
    in->codec = "pcm";
    switch (sub) {
    case SF_FORMAT_PCM_S8:
    case SF_FORMAT_PCM_U8:
        in->bits = 8;
        in->codec = "pcm_8";
        break;
    case SF_FORMAT_PCM_16:
        in->bits = 16;
        in->codec = "pcm_s16le";
        break;
    case SF_FORMAT_PCM_24:
        in->bits = 24;
        in->codec = "pcm_s24le";
        break;
    case SF_FORMAT_PCM_32:
        in->bits = 32;
        in->codec = "pcm_s32le";
        break;
    case SF_FORMAT_FLOAT:
        in->kind = AIM_SAMPLE_FLOAT;
        in->bits = 32;
        in->codec = "pcm_f32le";
        break;
    case SF_FORMAT_DOUBLE:
        in->kind = AIM_SAMPLE_FLOAT;
        in->bits = 64;
        in->codec = "pcm_f64le";
        break;
    default:
        in->kind = AIM_SAMPLE_LOSSY;
        in->codec = sub == SF_FORMAT_VORBIS           ? "vorbis"
                    : sub == SF_FORMAT_OPUS           ? "opus"
                    : sub == SF_FORMAT_MPEG_LAYER_III ? "mp3"
                                                      : "other";
    }
    if (major == SF_FORMAT_FLAC)
        in->codec = "flac";
}

int sfr_open(aim_audio_reader *r, const char *path, aim_diag *d)
{
    SF_INFO si;
    memset(&si, 0, sizeof si);
    SNDFILE *sf = sf_open(path, SFM_READ, &si);
    if (!sf) {
        int e = sf_error(NULL);
        if (e == SF_ERR_SYSTEM)
            return diag_fail(d, AIM_ERR_IO, "audio: cannot open %s", path);
        /* Not handed to FFmpeg: its WAV demuxer trusts chunk sizes (a
         * LIST chunk claiming 2 GiB made it allocate 1.6 GB; fuzz_audio). */
        return diag_fail(d, AIM_ERR_CORRUPT, "audio: %s", sf_strerror(NULL));
    }
    int major = si.format & SF_FORMAT_TYPEMASK, sub = si.format & SF_FORMAT_SUBMASK;
    if (major == SF_FORMAT_MPEG || sub == SF_FORMAT_MPEG_LAYER_I || sub == SF_FORMAT_MPEG_LAYER_II ||
        sub == SF_FORMAT_MPEG_LAYER_III) {
        /* MPEG in a WAV: libsndfile would decode it with mpg123, which
         * prints on damaged frames; FFmpeg decodes it quietly. */
        sf_close(sf);
        return AUD_TRY_FFMPEG;
    }
    r->backend = AUD_BACKEND_SNDFILE;
    r->impl = sf;
    aim_audio_info *in = &r->info;
    describe(&si, in);
    in->sample_rate = si.samplerate;
    in->channels = si.channels;
    in->frames = si.frames > 0 && si.frames < INT64_MAX ? (int64_t)si.frames : -1;
    if (in->kind == AIM_SAMPLE_LOSSY && in->frames > 0 && si.samplerate > 0) {
        /* No bitrate query in libsndfile: estimate from the file size. */
        struct stat st;
        double secs = (double)in->frames / si.samplerate;
        if (stat(path, &st) == 0 && secs > 0.5)
            in->bitrate = (int)((double)st.st_size * 8.0 / secs);
    }
    for (size_t i = 0; i < sizeof STR_MAP / sizeof *STR_MAP; i++)
        if (aud_tags_add(&r->tags, STR_MAP[i].name, sf_get_string(sf, STR_MAP[i].sf)))
            return AIM_ERR_NOMEM;
    /* Normalised floats in [-1, 1) whatever the integer width. */
    sf_command(sf, SFC_SET_NORM_FLOAT, NULL, SF_TRUE);
    return AIM_OK;
}

int sfr_read(aim_audio_reader *r, float *buf, size_t cap, size_t *got, aim_diag *d)
{
    SNDFILE *sf = r->impl;
    if (cap > (size_t)1 << 30)
        cap = (size_t)1 << 30;
    sf_count_t n = sf_readf_float(sf, buf, (sf_count_t)cap);
    if (n < 0 || (n == 0 && sf_error(sf) != SF_ERR_NO_ERROR))
        return diag_fail(d, AIM_ERR_CORRUPT, "audio: decode failed: %s", sf_strerror(sf));
    *got = (size_t)n;
    return AIM_OK;
}

void sfr_close(aim_audio_reader *r)
{
    if (r->impl)
        sf_close(r->impl);
    r->impl = NULL;
}

int sfw_open(aim_audio_writer *w, const char *path, aim_diag *d)
{
    const aim_audio_writer_config *c = &w->cfg;
    SF_INFO si;
    memset(&si, 0, sizeof si);
    si.samplerate = c->sample_rate;
    si.channels = c->channels;
    int sub;
    if (c->kind == AIM_SAMPLE_FLOAT)
        sub = c->bits == 64 ? SF_FORMAT_DOUBLE : SF_FORMAT_FLOAT;
    else
        sub = c->bits == 8 ? (c->format == AIM_FORMAT_WAV ? SF_FORMAT_PCM_U8 : SF_FORMAT_PCM_S8)
              : c->bits == 24 ? SF_FORMAT_PCM_24
              : c->bits == 32 ? SF_FORMAT_PCM_32
                              : SF_FORMAT_PCM_16;
    if (c->format == AIM_FORMAT_FLAC) {
        if (c->kind != AIM_SAMPLE_INT || c->bits == 32)
            return diag_fail(d, AIM_ERR_UNSUPPORTED, "audio: FLAC takes 8/16/24-bit integers");
        si.format = SF_FORMAT_FLAC | sub;
    } else {
        /* RF64 that falls back to plain WAV when the data fits 4 GiB;
         * WAVE_FORMAT_EXTENSIBLE beyond stereo, as the spec asks. */
        si.format = (c->channels > 2 ? SF_FORMAT_WAVEX : SF_FORMAT_RF64) | sub;
    }
    if (!sf_format_check(&si))
        return diag_fail(d, AIM_ERR_UNSUPPORTED, "audio: libsndfile refuses %d Hz x %d channels",
                         c->sample_rate, c->channels);
    SNDFILE *sf = sf_open(path, SFM_WRITE, &si);
    if (!sf)
        return diag_fail(d, AIM_ERR_IO, "audio: cannot create %s: %s", path, sf_strerror(NULL));
    w->impl = sf;
    if ((si.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_RF64)
        sf_command(sf, SFC_RF64_AUTO_DOWNGRADE, NULL, SF_TRUE);
    sf_command(sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
    return AIM_OK;
}

int sfw_start(aim_audio_writer *w, aim_diag *d)
{
    (void)d;
    /* Strings must be set before the first sample is written. */
    for (size_t i = 0; i < sizeof STR_MAP / sizeof *STR_MAP; i++) {
        const char *v = aud_tags_get(&w->tags, STR_MAP[i].name);
        if (v)
            sf_set_string(w->impl, STR_MAP[i].sf, v); /* best effort: not every format takes every tag */
    }
    return AIM_OK;
}

int sfw_write(aim_audio_writer *w, const float *buf, size_t frames, aim_diag *d)
{
    sf_count_t n = sf_writef_float(w->impl, buf, (sf_count_t)frames);
    if (n != (sf_count_t)frames)
        return diag_fail(d, AIM_ERR_IO, "audio: write failed: %s", sf_strerror(w->impl));
    return AIM_OK;
}

int sfw_finish(aim_audio_writer *w, aim_diag *d)
{
    sf_write_sync(w->impl);
    int rc = sf_close(w->impl);
    w->impl = NULL;
    if (rc != 0)
        return diag_fail(d, AIM_ERR_IO, "audio: finishing the file failed: %s", sf_error_number(rc));
    return AIM_OK;
}

void sfw_close(aim_audio_writer *w)
{
    if (w->impl)
        sf_close(w->impl);
    w->impl = NULL;
}
