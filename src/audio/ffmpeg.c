/*
 * FFmpeg back end: reads MP4/M4A/AAC and whatever libsndfile does not
 * recognise; writes the lossy families (MP3 via LAME, Ogg Vorbis, Ogg
 * Opus, MP4 AAC) with an explicit bitrate or quality.
 */
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "audio/audio_internal.h"
#include "core/limits.h"
#include "core/diag.h"
#include "deps/ffmpeg.h"

/* Largest decoded frame accepted (samples per channel) and the most
 * consecutive undecodable packets tolerated before calling it corrupt. */
#define FF_MAX_FRAME (1 << 20)
#define FF_MAX_BAD_PACKETS 64

static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;
/* The library never prints: FFmpeg's logger writes to stderr by default.
 * Its level is process-wide, so callers who want FFmpeg logs can raise it
 * again after the first aimark call. */
static void quiet(void)
{
    av_log_set_level(AV_LOG_QUIET);
    av_max_alloc(AIM_MAX_CODEC_ALLOC);
}

static const char *averr(int e, char *buf, size_t n)
{
    if (av_strerror(e, buf, n) < 0)
        snprintf(buf, n, "error %d", e);
    return buf;
}

/* ---- reader ------------------------------------------------------------------ */

typedef struct ffr {
    AVFormatContext *fmt;
    AVCodecContext *dec;
    SwrContext *swr;
    AVPacket *pkt;
    AVFrame *frm;
    int stream, ch, rate, in_fmt;
    float *pend;
    size_t pend_cap, pend_n, pend_pos; /* frames */
    int draining, done, bad;
} ffr;

static void read_tags(aud_tags *t, const AVDictionary *m)
{
    const AVDictionaryEntry *e = NULL;
    while ((e = av_dict_get(m, "", e, AV_DICT_IGNORE_SUFFIX)) != NULL)
        if (aud_tags_add(t, e->key, e->value))
            return;
}

int ffr_open(aim_audio_reader *r, const char *path, aim_diag *d)
{
    int lrc = aim_ffmpeg_load(d);
    if (lrc)
        return lrc;
    pthread_once(&quiet_once, quiet);
    char eb[128];
    ffr *f = calloc(1, sizeof *f);
    if (!f)
        return AIM_ERR_NOMEM;
    r->backend = AUD_BACKEND_FFMPEG;
    r->impl = f;
    /* Audio demuxers only, local file only: a hostile playlist (HLS,
     * concat) must not make FFmpeg open other files or the network, and
     * image/video-only demuxers would run codecs (libjxl...) that print. */
    AVDictionary *opt = NULL;
    av_dict_set(&opt, "protocol_whitelist", "file", 0);
    av_dict_set(&opt, "format_whitelist",
                "wav,w64,rf64,mp3,ogg,flac,mov,aac,aiff,caf,matroska,au,voc,amr,ac3,eac3,dts,wv,ape,"
                "tta,mpc,mpc8,asf,xwma,loas,dsf,ircam,nistsphere,sox,s337m",
                0);
    int e = avformat_open_input(&f->fmt, path, NULL, &opt);
    av_dict_free(&opt);
    if (e < 0) {
        if (e == AVERROR(ENOENT) || e == AVERROR(EACCES) || e == AVERROR(EISDIR))
            return diag_fail(d, AIM_ERR_IO, "audio: cannot open %s: %s", path, averr(e, eb, sizeof eb));
        return diag_fail(d, AIM_ERR_UNKNOWN_FORMAT, "audio: no decoder recognises the file (%s)",
                         averr(e, eb, sizeof eb));
    }
    if ((e = avformat_find_stream_info(f->fmt, NULL)) < 0)
        return diag_fail(d, AIM_ERR_CORRUPT, "audio: cannot read stream info: %s", averr(e, eb, sizeof eb));
    const AVCodec *codec = NULL;
    f->stream = av_find_best_stream(f->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
    if (f->stream < 0 || !codec)
        return diag_fail(d, AIM_ERR_UNSUPPORTED, "audio: no decodable audio stream");
    for (unsigned i = 0; i < f->fmt->nb_streams; i++) {
        const AVStream *s = f->fmt->streams[i];
        if (s->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && !(s->disposition & AV_DISPOSITION_ATTACHED_PIC))
            r->has_video = 1;
    }
    AVStream *st = f->fmt->streams[f->stream];
    AVCodecParameters *par = st->codecpar;
    f->ch = par->ch_layout.nb_channels;
    f->rate = par->sample_rate;
    if (f->ch < 1 || f->ch > AIM_AUDIO_MAX_CHANNELS || f->rate < 1 || f->rate > AIM_AUDIO_MAX_RATE)
        return diag_fail(d, AIM_ERR_LIMIT, "audio: %d channels at %d Hz is out of range", f->ch, f->rate);
    f->dec = avcodec_alloc_context3(codec);
    f->pkt = av_packet_alloc();
    f->frm = av_frame_alloc();
    if (!f->dec || !f->pkt || !f->frm)
        return AIM_ERR_NOMEM;
    if ((e = avcodec_parameters_to_context(f->dec, par)) < 0 || (e = avcodec_open2(f->dec, codec, NULL)) < 0)
        return diag_fail(d, AIM_ERR_UNSUPPORTED, "audio: cannot open the %s decoder: %s",
                         avcodec_get_name(par->codec_id), averr(e, eb, sizeof eb));

    aim_audio_info *in = &r->info;
    in->sample_rate = f->rate;
    in->channels = f->ch;
    in->frames = -1;
    if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
        in->frames = av_rescale_q(st->duration, st->time_base, (AVRational){1, f->rate});
    else if (f->fmt->duration != AV_NOPTS_VALUE && f->fmt->duration > 0)
        in->frames = av_rescale(f->fmt->duration, f->rate, AV_TIME_BASE);
    in->codec = avcodec_get_name(par->codec_id);
    const AVCodecDescriptor *desc = avcodec_descriptor_get(par->codec_id);
    if (par->codec_id == AV_CODEC_ID_FLAC || (desc && (desc->props & AV_CODEC_PROP_LOSSLESS))) {
        int fl = par->format == AV_SAMPLE_FMT_FLT || par->format == AV_SAMPLE_FMT_FLTP ||
                 par->format == AV_SAMPLE_FMT_DBL || par->format == AV_SAMPLE_FMT_DBLP;
        in->kind = fl ? AIM_SAMPLE_FLOAT : AIM_SAMPLE_INT;
        in->bits = par->bits_per_raw_sample ? par->bits_per_raw_sample : par->bits_per_coded_sample;
        if (in->bits <= 0 || in->bits > 64)
            in->bits = 16;
    } else {
        in->kind = AIM_SAMPLE_LOSSY;
        int64_t br = par->bit_rate ? par->bit_rate : f->fmt->bit_rate;
        in->bitrate = br > 0 && br < 10000000 ? (int)br : 0;
    }
    const char *fn = f->fmt->iformat->name;
    in->format = strstr(fn, "mp4") || strstr(fn, "mov") ? AIM_FORMAT_MP4
                 : strcmp(fn, "mp3") == 0              ? AIM_FORMAT_MP3
                 : strcmp(fn, "flac") == 0             ? AIM_FORMAT_FLAC
                 : strcmp(fn, "wav") == 0              ? AIM_FORMAT_WAV
                 : strcmp(fn, "ogg") == 0 ? (par->codec_id == AV_CODEC_ID_OPUS ? AIM_FORMAT_OGG_OPUS
                                                                                : AIM_FORMAT_OGG_VORBIS)
                                          : AIM_FORMAT_UNKNOWN;
    read_tags(&r->tags, f->fmt->metadata);
    read_tags(&r->tags, st->metadata);
    return AIM_OK;
}

/* Convert one decoded frame into the pending buffer. */
static int convert(ffr *f, aim_diag *d)
{
    AVFrame *fr = f->frm;
    if (fr->ch_layout.nb_channels != f->ch || fr->sample_rate != f->rate || (f->swr && fr->format != f->in_fmt))
        return diag_fail(d, AIM_ERR_UNSUPPORTED, "audio: channel count, rate or sample format changes mid-stream");
    if (fr->nb_samples < 0 || fr->nb_samples > FF_MAX_FRAME)
        return diag_fail(d, AIM_ERR_LIMIT, "audio: decoded frame of %d samples", fr->nb_samples);
    if (!f->swr) {
        AVChannelLayout out;
        av_channel_layout_default(&out, f->ch);
        int e = swr_alloc_set_opts2(&f->swr, &out, AV_SAMPLE_FMT_FLT, f->rate, &fr->ch_layout,
                                    (enum AVSampleFormat)fr->format, f->rate, 0, NULL);
        av_channel_layout_uninit(&out);
        if (e < 0 || swr_init(f->swr) < 0)
            return diag_fail(d, AIM_ERR_UNSUPPORTED, "audio: cannot convert the decoded samples");
        f->in_fmt = fr->format;
    }
    int want = swr_get_out_samples(f->swr, fr->nb_samples);
    if (want < 0 || want > 2 * FF_MAX_FRAME)
        return diag_fail(d, AIM_ERR_LIMIT, "audio: conversion would need %d samples", want);
    if ((size_t)want > f->pend_cap) {
        float *p = realloc(f->pend, (size_t)want * (size_t)f->ch * sizeof *p);
        if (!p)
            return AIM_ERR_NOMEM;
        f->pend = p;
        f->pend_cap = (size_t)want;
    }
    uint8_t *outp[1] = {(uint8_t *)f->pend};
    int n = swr_convert(f->swr, outp, want, (const uint8_t **)fr->extended_data, fr->nb_samples);
    if (n < 0)
        return diag_fail(d, AIM_ERR_CORRUPT, "audio: sample conversion failed");
    f->pend_n = (size_t)n;
    f->pend_pos = 0;
    return AIM_OK;
}

/* Decode until something is pending or the stream ends. */
static int decode_more(ffr *f, aim_diag *d)
{
    char eb[128];
    for (;;) {
        int e = avcodec_receive_frame(f->dec, f->frm);
        if (e == 0) {
            f->bad = 0;
            int rc = convert(f, d);
            av_frame_unref(f->frm);
            if (rc || f->pend_n)
                return rc;
            continue;
        }
        if (e == AVERROR_EOF) {
            f->done = 1;
            return AIM_OK;
        }
        if (e != AVERROR(EAGAIN)) {
            /* A frame that does not decode: skip it, as players do, but not forever. */
            if (++f->bad > FF_MAX_BAD_PACKETS)
                return diag_fail(d, AIM_ERR_CORRUPT, "audio: decoding failed: %s", averr(e, eb, sizeof eb));
            continue;
        }
        if (f->draining) {
            f->done = 1;
            return AIM_OK;
        }
        e = av_read_frame(f->fmt, f->pkt);
        if (e == AVERROR_EOF) {
            f->draining = 1;
            avcodec_send_packet(f->dec, NULL);
            continue;
        }
        if (e < 0) {
            if (e == AVERROR(EIO))
                return diag_fail(d, AIM_ERR_IO, "audio: read error");
            f->draining = 1; /* a damaged tail: keep what decoded */
            avcodec_send_packet(f->dec, NULL);
            continue;
        }
        if (f->pkt->stream_index == f->stream) {
            e = avcodec_send_packet(f->dec, f->pkt);
            if (e < 0 && e != AVERROR(EAGAIN) && ++f->bad > FF_MAX_BAD_PACKETS) {
                av_packet_unref(f->pkt);
                return diag_fail(d, AIM_ERR_CORRUPT, "audio: decoding failed: %s", averr(e, eb, sizeof eb));
            }
        }
        av_packet_unref(f->pkt);
    }
}

int ffr_read(aim_audio_reader *r, float *buf, size_t cap, size_t *got, aim_diag *d)
{
    ffr *f = r->impl;
    size_t ch = (size_t)f->ch, n = 0;
    while (n < cap) {
        if (f->pend_pos < f->pend_n) {
            size_t k = f->pend_n - f->pend_pos;
            if (k > cap - n)
                k = cap - n;
            memcpy(buf + n * ch, f->pend + f->pend_pos * ch, k * ch * sizeof *buf);
            f->pend_pos += k;
            n += k;
            continue;
        }
        if (f->done)
            break;
        f->pend_n = f->pend_pos = 0;
        int rc = decode_more(f, d);
        if (rc)
            return rc;
    }
    *got = n;
    return AIM_OK;
}

void ffr_close(aim_audio_reader *r)
{
    ffr *f = r->impl;
    if (!f)
        return;
    swr_free(&f->swr);
    av_frame_free(&f->frm);
    av_packet_free(&f->pkt);
    avcodec_free_context(&f->dec);
    avformat_close_input(&f->fmt);
    free(f->pend);
    free(f);
    r->impl = NULL;
}

/* ---- writer ------------------------------------------------------------------ */

typedef struct ffw {
    AVFormatContext *oc;
    AVCodecContext *enc;
    AVStream *st;
    SwrContext *swr;
    AVAudioFifo *fifo;
    AVFrame *frm;
    AVPacket *pkt;
    uint8_t **conv; /* converted samples, conv_cap frames */
    int conv_cap, frame_size, header;
    int64_t pts;
} ffw;

/* The encoder's rate nearest the input's from above (else its highest). */
static int pick_rate(const AVCodec *c, int want)
{
    if (!c->supported_samplerates)
        return want;
    int best = 0, top = 0;
    for (const int *p = c->supported_samplerates; *p; p++) {
        if (*p == want)
            return want;
        if (*p > want && (!best || *p < best))
            best = *p;
        if (*p > top)
            top = *p;
    }
    return best ? best : top;
}

static enum AVSampleFormat pick_fmt(const AVCodec *c)
{
    if (!c->sample_fmts)
        return AV_SAMPLE_FMT_FLTP;
    for (const enum AVSampleFormat *p = c->sample_fmts; *p != AV_SAMPLE_FMT_NONE; p++)
        if (*p == AV_SAMPLE_FMT_FLTP || *p == AV_SAMPLE_FMT_FLT)
            return *p;
    return c->sample_fmts[0];
}

int ffw_open(aim_audio_writer *w, const char *path, aim_diag *d)
{
    int lrc = aim_ffmpeg_load(d);
    if (lrc)
        return lrc;
    pthread_once(&quiet_once, quiet);
    char eb[128];
    const aim_audio_writer_config *c = &w->cfg;
    ffw *f = calloc(1, sizeof *f);
    if (!f)
        return AIM_ERR_NOMEM;
    w->impl = f;
    const char *mux = c->format == AIM_FORMAT_MP3   ? "mp3"
                      : c->format == AIM_FORMAT_MP4 ? "ipod"
                                                    : "ogg";
    const char *encname = c->format == AIM_FORMAT_MP3          ? "libmp3lame"
                          : c->format == AIM_FORMAT_OGG_VORBIS ? "libvorbis"
                          : c->format == AIM_FORMAT_OGG_OPUS   ? "libopus"
                                                               : "aac";
    const AVCodec *codec = avcodec_find_encoder_by_name(encname);
    if (!codec)
        return diag_fail(d, AIM_ERR_UNSUPPORTED, "audio: this FFmpeg has no %s encoder", encname);
    int e = avformat_alloc_output_context2(&f->oc, NULL, mux, NULL);
    if (e < 0 || !f->oc)
        return diag_fail(d, AIM_ERR_UNSUPPORTED, "audio: no %s muxer", mux);
    f->enc = avcodec_alloc_context3(codec);
    f->frm = av_frame_alloc();
    f->pkt = av_packet_alloc();
    if (!f->enc || !f->frm || !f->pkt)
        return AIM_ERR_NOMEM;
    AVCodecContext *enc = f->enc;
    enc->sample_rate = pick_rate(codec, c->sample_rate);
    enc->sample_fmt = pick_fmt(codec);
    av_channel_layout_default(&enc->ch_layout, c->channels);
    enc->time_base = (AVRational){1, enc->sample_rate};
    if (c->format == AIM_FORMAT_OGG_VORBIS) {
        double q = c->vorbis_quality >= 0 && c->vorbis_quality <= 10 ? c->vorbis_quality : 6.0;
        enc->flags |= AV_CODEC_FLAG_QSCALE;
        enc->global_quality = (int)(q * FF_QP2LAMBDA);
    } else {
        enc->bit_rate = c->bitrate > 0 ? c->bitrate : 192000;
    }
    if (f->oc->oformat->flags & AVFMT_GLOBALHEADER)
        enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if ((e = avcodec_open2(enc, codec, NULL)) < 0)
        return diag_fail(d, AIM_ERR_UNSUPPORTED, "audio: %s refuses %d Hz x %d channels: %s", encname,
                         c->sample_rate, c->channels, averr(e, eb, sizeof eb));
    f->st = avformat_new_stream(f->oc, NULL);
    if (!f->st)
        return AIM_ERR_NOMEM;
    if (avcodec_parameters_from_context(f->st->codecpar, enc) < 0)
        return AIM_ERR_NOMEM;
    f->st->time_base = enc->time_base;
    f->frame_size = (codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE) || enc->frame_size <= 0
                        ? 1024
                        : enc->frame_size;
    AVChannelLayout in;
    av_channel_layout_default(&in, c->channels);
    e = swr_alloc_set_opts2(&f->swr, &enc->ch_layout, enc->sample_fmt, enc->sample_rate, &in,
                            AV_SAMPLE_FMT_FLT, c->sample_rate, 0, NULL);
    av_channel_layout_uninit(&in);
    if (e < 0 || swr_init(f->swr) < 0)
        return diag_fail(d, AIM_ERR_UNSUPPORTED, "audio: cannot set up sample conversion");
    f->conv_cap = (int)av_rescale_rnd(AUD_BLOCK, enc->sample_rate, c->sample_rate, AV_ROUND_UP) + 256;
    if (av_samples_alloc_array_and_samples(&f->conv, NULL, c->channels, f->conv_cap, enc->sample_fmt, 0) < 0)
        return AIM_ERR_NOMEM;
    f->fifo = av_audio_fifo_alloc(enc->sample_fmt, c->channels, f->conv_cap + f->frame_size);
    if (!f->fifo)
        return AIM_ERR_NOMEM;
    f->frm->nb_samples = f->frame_size;
    f->frm->format = enc->sample_fmt;
    f->frm->sample_rate = enc->sample_rate;
    if (av_channel_layout_copy(&f->frm->ch_layout, &enc->ch_layout) < 0 || av_frame_get_buffer(f->frm, 0) < 0)
        return AIM_ERR_NOMEM;
    if ((e = avio_open(&f->oc->pb, path, AVIO_FLAG_WRITE)) < 0)
        return diag_fail(d, AIM_ERR_IO, "audio: cannot create %s: %s", path, averr(e, eb, sizeof eb));
    return AIM_OK;
}

int ffw_start(aim_audio_writer *w, aim_diag *d)
{
    ffw *f = w->impl;
    char eb[128];
    for (size_t i = 0; i < w->tags.n; i++)
        if (av_dict_set(&f->oc->metadata, w->tags.key[i], w->tags.val[i], 0) < 0)
            return AIM_ERR_NOMEM;
    int e = avformat_write_header(f->oc, NULL);
    if (e < 0)
        return diag_fail(d, AIM_ERR_IO, "audio: cannot write the header: %s", averr(e, eb, sizeof eb));
    f->header = 1;
    return AIM_OK;
}

/* Drain the encoder's packets into the muxer. */
static int drain(ffw *f, aim_diag *d)
{
    char eb[128];
    for (;;) {
        int e = avcodec_receive_packet(f->enc, f->pkt);
        if (e == AVERROR(EAGAIN) || e == AVERROR_EOF)
            return AIM_OK;
        if (e < 0)
            return diag_fail(d, AIM_ERR_IO, "audio: encoding failed: %s", averr(e, eb, sizeof eb));
        av_packet_rescale_ts(f->pkt, f->enc->time_base, f->st->time_base);
        f->pkt->stream_index = f->st->index;
        e = av_interleaved_write_frame(f->oc, f->pkt);
        av_packet_unref(f->pkt);
        if (e < 0)
            return diag_fail(d, AIM_ERR_IO, "audio: writing failed: %s", averr(e, eb, sizeof eb));
    }
}

static int encode_fifo(ffw *f, int final, aim_diag *d)
{
    char eb[128];
    while (av_audio_fifo_size(f->fifo) >= f->frame_size || (final && av_audio_fifo_size(f->fifo) > 0)) {
        int n = av_audio_fifo_size(f->fifo);
        if (n > f->frame_size)
            n = f->frame_size;
        if (av_frame_make_writable(f->frm) < 0)
            return AIM_ERR_NOMEM;
        f->frm->nb_samples = n; /* a short last frame is padded by libavcodec */
        if (av_audio_fifo_read(f->fifo, (void **)f->frm->extended_data, n) != n)
            return diag_fail(d, AIM_ERR_IO, "audio: internal FIFO error");
        f->frm->pts = f->pts;
        f->pts += n;
        int e = avcodec_send_frame(f->enc, f->frm);
        if (e < 0)
            return diag_fail(d, AIM_ERR_IO, "audio: encoding failed: %s", averr(e, eb, sizeof eb));
        int rc = drain(f, d);
        if (rc)
            return rc;
    }
    return AIM_OK;
}

static int push(ffw *f, const float *buf, size_t frames, aim_diag *d)
{
    const uint8_t *in[1] = {(const uint8_t *)buf};
    int n = swr_convert(f->swr, f->conv, f->conv_cap, buf ? in : NULL, (int)frames);
    if (n < 0)
        return diag_fail(d, AIM_ERR_IO, "audio: sample conversion failed");
    if (n > 0 && av_audio_fifo_write(f->fifo, (void **)f->conv, n) != n)
        return AIM_ERR_NOMEM;
    return encode_fifo(f, 0, d);
}

int ffw_write(aim_audio_writer *w, const float *buf, size_t frames, aim_diag *d)
{
    return push(w->impl, buf, frames, d); /* frames <= AUD_BLOCK: fits conv_cap */
}

int ffw_finish(aim_audio_writer *w, aim_diag *d)
{
    ffw *f = w->impl;
    char eb[128];
    int rc = push(f, NULL, 0, d); /* resampler tail */
    if (!rc)
        rc = encode_fifo(f, 1, d);
    if (!rc && avcodec_send_frame(f->enc, NULL) < 0)
        rc = diag_fail(d, AIM_ERR_IO, "audio: flushing the encoder failed");
    if (!rc)
        rc = drain(f, d);
    if (!rc) {
        int e = av_write_trailer(f->oc);
        if (e < 0)
            rc = diag_fail(d, AIM_ERR_IO, "audio: cannot finish the file: %s", averr(e, eb, sizeof eb));
    }
    f->header = 0;
    if (avio_closep(&f->oc->pb) < 0 && !rc)
        rc = diag_fail(d, AIM_ERR_IO, "audio: closing the output failed");
    return rc;
}

void ffw_close(aim_audio_writer *w)
{
    ffw *f = w->impl;
    if (!f)
        return;
    if (f->oc && f->oc->pb)
        avio_closep(&f->oc->pb);
    avformat_free_context(f->oc);
    avcodec_free_context(&f->enc);
    swr_free(&f->swr);
    av_audio_fifo_free(f->fifo);
    av_frame_free(&f->frm);
    av_packet_free(&f->pkt);
    if (f->conv)
        av_freep(&f->conv[0]);
    av_freep(&f->conv);
    free(f);
    w->impl = NULL;
}
