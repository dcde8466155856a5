/*
 * Video (MP4/MOV) with FFmpeg's libraries: decode the video track, draw the
 * label on the frames of the opening (and optionally closing) seconds in
 * YUV, re-encode the track as H.264 at the same size and timestamps, and
 * stream-copy every other track the muxer accepts. The implicit label is
 * added afterwards by the MP4 meta writer (visible.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>

#include "core/limits.h"
#include "core/diag.h"
#include "deps/ffmpeg.h"
#include "explicit/visible_internal.h"

/* Streams in one file we are willing to map. */
#define VID_MAX_STREAMS 64

typedef struct vid {
    AVFormatContext *ic, *oc;
    AVCodecContext *dec, *enc;
    struct SwsContext *sws;
    AVFrame *frame, *conv;
    AVPacket *pkt, *opkt;
    int vidx;            /* input video stream */
    int vout;            /* its output stream */
    int map[VID_MAX_STREAMS];
    int64_t packets[VID_MAX_STREAMS]; /* read per input stream */
    enum AVPixelFormat enc_fmt;
    vis_overlay ov;
    uint8_t yuv_fg[3], yuv_bg[3];
    int64_t first_pts;
    double head_s, tail_from_s; /* tail_from_s < 0: no tail label */
    AVRational tb;       /* input video time base */
} vid;

static int av_fail(aim_diag *d, int err, const char *what, int averr)
{
    char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
    av_strerror(averr, buf, sizeof buf);
    return diag_fail(d, err, "video: %s: %s", what, buf);
}

static int planar_yuv8(enum AVPixelFormat f)
{
    return f == AV_PIX_FMT_YUV420P || f == AV_PIX_FMT_YUVJ420P || f == AV_PIX_FMT_YUV422P ||
           f == AV_PIX_FMT_YUVJ422P || f == AV_PIX_FMT_YUV444P || f == AV_PIX_FMT_YUVJ444P;
}

/* RGB colour to Y'CbCr for the frame's matrix and range. */
static void rgb_to_yuv(const uint8_t rgb[3], int bt709, int full, uint8_t out[3])
{
    double kr = bt709 ? 0.2126 : 0.299, kb = bt709 ? 0.0722 : 0.114, kg = 1.0 - kr - kb;
    double r = rgb[0] / 255.0, g = rgb[1] / 255.0, b = rgb[2] / 255.0;
    double y = kr * r + kg * g + kb * b;
    double cb = (b - y) / (2.0 * (1.0 - kb)), cr = (r - y) / (2.0 * (1.0 - kr));
    double Y = full ? y * 255.0 : 16.0 + y * 219.0;
    double U = 128.0 + cb * (full ? 255.0 : 224.0), V = 128.0 + cr * (full ? 255.0 : 224.0);
    out[0] = (uint8_t)lround(Y < 0 ? 0 : Y > 255 ? 255 : Y);
    out[1] = (uint8_t)lround(U < 0 ? 0 : U > 255 ? 255 : U);
    out[2] = (uint8_t)lround(V < 0 ? 0 : V > 255 ? 255 : V);
}

static uint8_t mix(uint8_t v, uint8_t c, unsigned a /* 0..65025 */)
{
    return (uint8_t)((v * (65025u - a) + c * a + 32512u) / 65025u);
}

/* Composite onto 8-bit planar YUV; chroma takes the mean coverage of the
 * luma samples it covers. */
static void draw_yuv(vid *v, AVFrame *f)
{
    const vis_overlay *ov = &v->ov;
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(f->format);
    int sx = desc->log2_chroma_w, sy = desc->log2_chroma_h;
    unsigned fa = ov->fg[3], ba = ov->bg[3];
    for (unsigned y = 0; y < ov->box.h; y++) {
        uint8_t *row = f->data[0] + (ptrdiff_t)(ov->box.y + y) * f->linesize[0] + ov->box.x;
        for (unsigned x = 0; x < ov->box.w; x++) {
            size_t i = (size_t)y * ov->box.w + x;
            row[x] = mix(row[x], v->yuv_bg[0], ba * ov->back[i]);
            row[x] = mix(row[x], v->yuv_fg[0], fa * ov->text[i]);
        }
    }
    unsigned cx0 = ov->box.x >> sx, cx1 = (ov->box.x + ov->box.w - 1) >> sx;
    unsigned cy0 = ov->box.y >> sy, cy1 = (ov->box.y + ov->box.h - 1) >> sy;
    for (unsigned cy = cy0; cy <= cy1; cy++)
        for (unsigned cx = cx0; cx <= cx1; cx++) {
            unsigned tsum = 0, bsum = 0, cnt = 0;
            for (unsigned dy = 0; dy < (1u << sy); dy++)
                for (unsigned dx = 0; dx < (1u << sx); dx++) {
                    unsigned ly = (cy << sy) + dy, lx = (cx << sx) + dx;
                    cnt++;
                    if (ly < ov->box.y || ly >= ov->box.y + ov->box.h || lx < ov->box.x ||
                        lx >= ov->box.x + ov->box.w)
                        continue;
                    size_t i = (size_t)(ly - ov->box.y) * ov->box.w + (lx - ov->box.x);
                    tsum += ov->text[i];
                    bsum += ov->back[i];
                }
            unsigned ta = fa * tsum / cnt, bka = ba * bsum / cnt;
            for (int p = 1; p <= 2; p++) {
                uint8_t *c = f->data[p] + (ptrdiff_t)cy * f->linesize[p] + cx;
                *c = mix(*c, v->yuv_bg[p], bka);
                *c = mix(*c, v->yuv_fg[p], ta);
            }
        }
}

static int write_encoded(vid *v, AVFrame *f, aim_diag *d)
{
    int rc = avcodec_send_frame(v->enc, f);
    if (rc < 0)
        return av_fail(d, AIM_ERR_CORRUPT, "encode", rc);
    for (;;) {
        rc = avcodec_receive_packet(v->enc, v->opkt);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
            return AIM_OK;
        if (rc < 0)
            return av_fail(d, AIM_ERR_CORRUPT, "encode", rc);
        av_packet_rescale_ts(v->opkt, v->enc->time_base, v->oc->streams[v->vout]->time_base);
        v->opkt->stream_index = v->vout;
        rc = av_interleaved_write_frame(v->oc, v->opkt);
        if (rc < 0)
            return av_fail(d, AIM_ERR_IO, "write", rc);
    }
}

static int on_frame(vid *v, AVFrame *f, aim_diag *d)
{
    int64_t pts = f->best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE)
        pts = f->pts;
    if (v->first_pts == AV_NOPTS_VALUE && pts != AV_NOPTS_VALUE)
        v->first_pts = pts;
    double t = pts == AV_NOPTS_VALUE ? 0.0 : (double)(pts - v->first_pts) * av_q2d(v->tb);
    AVFrame *out = f;
    if (f->format != v->enc_fmt || f->width != v->enc->width || f->height != v->enc->height) {
        v->sws = sws_getCachedContext(v->sws, f->width, f->height, f->format, v->enc->width,
                                      v->enc->height, v->enc_fmt, SWS_BICUBIC, NULL, NULL, NULL);
        if (!v->sws)
            return diag_fail(d, AIM_ERR_UNSUPPORTED, "video: cannot convert %s frames",
                             av_get_pix_fmt_name(f->format));
        av_frame_unref(v->conv);
        v->conv->format = v->enc_fmt;
        v->conv->width = v->enc->width;
        v->conv->height = v->enc->height;
        if (av_frame_get_buffer(v->conv, 0) < 0)
            return AIM_ERR_NOMEM;
        sws_scale(v->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height,
                  v->conv->data, v->conv->linesize);
        av_frame_copy_props(v->conv, f);
        out = v->conv;
    } else if (av_frame_make_writable(f) < 0) {
        return AIM_ERR_NOMEM;
    }
    if (t < v->head_s || (v->tail_from_s >= 0.0 && t >= v->tail_from_s))
        draw_yuv(v, out);
    out->pts = pts;
    out->pict_type = AV_PICTURE_TYPE_NONE;
    return write_encoded(v, out, d);
}

static int decode_packet(vid *v, const AVPacket *p, aim_diag *d)
{
    int rc = avcodec_send_packet(v->dec, p);
    if (rc < 0 && rc != AVERROR_EOF)
        return av_fail(d, AIM_ERR_CORRUPT, "decode", rc);
    for (;;) {
        rc = avcodec_receive_frame(v->dec, v->frame);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
            return AIM_OK;
        if (rc < 0)
            return av_fail(d, AIM_ERR_CORRUPT, "decode", rc);
        rc = on_frame(v, v->frame, d);
        av_frame_unref(v->frame);
        if (rc)
            return rc;
    }
}

static const AVCodec *find_h264(void)
{
    const AVCodec *c = avcodec_find_encoder_by_name("libx264");
    return c ? c : avcodec_find_encoder(AV_CODEC_ID_H264);
}

static int open_output(vid *v, const char *tmp_path, const aim_visible_opts *r, aim_diag *d)
{
    AVStream *ist = v->ic->streams[v->vidx];
    AVDictionaryEntry *brand = av_dict_get(v->ic->metadata, "major_brand", NULL, 0);
    const char *muxer = brand && !strncmp(brand->value, "qt", 2) ? "mov" : "mp4";
    int rc = avformat_alloc_output_context2(&v->oc, NULL, muxer, tmp_path);
    if (rc < 0 || !v->oc)
        return av_fail(d, AIM_ERR_NOMEM, "output", rc);
    av_dict_copy(&v->oc->metadata, v->ic->metadata, 0);
    for (unsigned i = 0; i < v->ic->nb_streams; i++) {
        AVStream *s = v->ic->streams[i];
        v->map[i] = -1;
        if ((int)i != v->vidx) {
            enum AVMediaType t = s->codecpar->codec_type;
            if (t != AVMEDIA_TYPE_AUDIO && t != AVMEDIA_TYPE_SUBTITLE && t != AVMEDIA_TYPE_DATA &&
                t != AVMEDIA_TYPE_VIDEO)
                continue;
            if (avformat_query_codec(v->oc->oformat, s->codecpar->codec_id, FF_COMPLIANCE_NORMAL) != 1)
                continue;
        }
        AVStream *os = avformat_new_stream(v->oc, NULL);
        if (!os)
            return AIM_ERR_NOMEM;
        v->map[i] = os->index;
        av_dict_copy(&os->metadata, s->metadata, 0);
        os->disposition = s->disposition;
        if ((int)i == v->vidx)
            continue;
        if (avcodec_parameters_copy(os->codecpar, s->codecpar) < 0)
            return AIM_ERR_NOMEM;
        os->codecpar->codec_tag = 0;
        os->time_base = s->time_base;
    }
    v->vout = v->map[v->vidx];

    const AVCodec *enc = find_h264();
    if (!enc)
        return diag_fail(d, AIM_ERR_UNSUPPORTED, "video: this FFmpeg has no H.264 encoder");
    v->enc = avcodec_alloc_context3(enc);
    if (!v->enc)
        return AIM_ERR_NOMEM;
    v->enc_fmt = planar_yuv8(v->dec->pix_fmt) ? v->dec->pix_fmt : AV_PIX_FMT_YUV420P;
    v->enc->width = v->dec->width;
    v->enc->height = v->dec->height;
    v->enc->pix_fmt = v->enc_fmt;
    v->enc->sample_aspect_ratio = v->dec->sample_aspect_ratio;
    v->enc->time_base = ist->time_base;
    v->enc->framerate = av_guess_frame_rate(v->ic, ist, NULL);
    v->enc->color_range = v->dec->color_range;
    v->enc->color_primaries = v->dec->color_primaries;
    v->enc->color_trc = v->dec->color_trc;
    v->enc->colorspace = v->dec->colorspace;
    v->enc->thread_count = 0;
    if (v->oc->oformat->flags & AVFMT_GLOBALHEADER)
        v->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    char crf[8];
    snprintf(crf, sizeof crf, "%d", r->video_crf);
    av_opt_set(v->enc->priv_data, "crf", crf, 0);
    av_opt_set(v->enc->priv_data, "preset", "medium", 0);
    if ((rc = avcodec_open2(v->enc, enc, NULL)) < 0)
        return av_fail(d, AIM_ERR_UNSUPPORTED, "open the H.264 encoder", rc);
    AVStream *vs = v->oc->streams[v->vout];
    if (avcodec_parameters_from_context(vs->codecpar, v->enc) < 0)
        return AIM_ERR_NOMEM;
    vs->time_base = v->enc->time_base;
    vs->avg_frame_rate = ist->avg_frame_rate;
    if ((rc = avio_open(&v->oc->pb, tmp_path, AVIO_FLAG_WRITE)) < 0)
        return av_fail(d, AIM_ERR_IO, "open the temporary file", rc);
    if ((rc = avformat_write_header(v->oc, NULL)) < 0)
        return av_fail(d, AIM_ERR_UNSUPPORTED, "write the header", rc);
    return AIM_OK;
}

static void vid_close(vid *v)
{
    if (v->oc) {
        if (v->oc->pb)
            avio_closep(&v->oc->pb);
        avformat_free_context(v->oc);
    }
    avformat_close_input(&v->ic);
    avcodec_free_context(&v->dec);
    avcodec_free_context(&v->enc);
    sws_freeContext(v->sws);
    av_frame_free(&v->frame);
    av_frame_free(&v->conv);
    av_packet_free(&v->pkt);
    av_packet_free(&v->opkt);
    vis_overlay_free(&v->ov);
}

static int run(vid *v, const char *in_path, const char *tmp_path, const aim_visible_opts *r,
               aim_diag *d)
{
    const AVInputFormat *mov = av_find_input_format("mov");
    int rc = avformat_open_input(&v->ic, in_path, mov, NULL);
    if (rc < 0)
        return av_fail(d, AIM_ERR_CORRUPT, "open", rc);
    if (v->ic->nb_streams > VID_MAX_STREAMS)
        return diag_fail(d, AIM_ERR_LIMIT, "video: more than %d streams", VID_MAX_STREAMS);
    if ((rc = avformat_find_stream_info(v->ic, NULL)) < 0)
        return av_fail(d, AIM_ERR_CORRUPT, "read stream info", rc);
    const AVCodec *dec = NULL;
    v->vidx = av_find_best_stream(v->ic, AVMEDIA_TYPE_VIDEO, -1, -1, &dec, 0);
    if (v->vidx < 0 || !dec)
        return diag_fail(d, AIM_ERR_UNSUPPORTED, "video: no decodable video track");
    AVStream *ist = v->ic->streams[v->vidx];
    int w = ist->codecpar->width, h = ist->codecpar->height;
    if (w <= 0 || h <= 0 || (unsigned)w > VIS_MAX_DIM || (unsigned)h > VIS_MAX_DIM ||
        (uint64_t)w * (uint64_t)h > r->max_pixels)
        return diag_fail(d, AIM_ERR_LIMIT, "video: %dx%d frames are over the pixel limit", w, h);
    v->dec = avcodec_alloc_context3(dec);
    if (!v->dec || avcodec_parameters_to_context(v->dec, ist->codecpar) < 0)
        return AIM_ERR_NOMEM;
    v->dec->pkt_timebase = ist->time_base;
    if ((rc = avcodec_open2(v->dec, dec, NULL)) < 0)
        return av_fail(d, AIM_ERR_UNSUPPORTED, "open the decoder", rc);
    v->tb = ist->time_base;
    if ((rc = vis_overlay_make((unsigned)w, (unsigned)h, r, &v->ov, d)) != AIM_OK)
        return rc;
    int bt709 = v->dec->colorspace == AVCOL_SPC_BT709 || (v->dec->colorspace == AVCOL_SPC_UNSPECIFIED && h > 576);
    int full = v->dec->color_range == AVCOL_RANGE_JPEG || v->dec->pix_fmt == AV_PIX_FMT_YUVJ420P ||
               v->dec->pix_fmt == AV_PIX_FMT_YUVJ422P || v->dec->pix_fmt == AV_PIX_FMT_YUVJ444P;
    rgb_to_yuv(v->ov.fg, bt709, full, v->yuv_fg);
    rgb_to_yuv(v->ov.bg, bt709, full, v->yuv_bg);
    v->head_s = r->video_head_s;
    v->tail_from_s = -1.0;
    if (r->video_tail_s > 0.0) {
        double dur = 0.0;
        if (ist->duration != AV_NOPTS_VALUE && ist->duration > 0)
            dur = (double)ist->duration * av_q2d(ist->time_base);
        else if (v->ic->duration > 0)
            dur = (double)v->ic->duration / AV_TIME_BASE;
        if (dur > 0.0)
            v->tail_from_s = dur - r->video_tail_s;
    }
    v->frame = av_frame_alloc();
    v->conv = av_frame_alloc();
    v->pkt = av_packet_alloc();
    v->opkt = av_packet_alloc();
    if (!v->frame || !v->conv || !v->pkt || !v->opkt)
        return AIM_ERR_NOMEM;
    if ((rc = open_output(v, tmp_path, r, d)) != AIM_OK)
        return rc;

    for (;;) {
        rc = av_read_frame(v->ic, v->pkt);
        if (rc == AVERROR_EOF)
            break;
        if (rc < 0)
            return av_fail(d, AIM_ERR_CORRUPT, "read", rc);
        int si = v->pkt->stream_index;
        if (si >= 0 && si < VID_MAX_STREAMS)
            v->packets[si]++;
        if (si == v->vidx) {
            rc = decode_packet(v, v->pkt, d);
            av_packet_unref(v->pkt);
            if (rc)
                return rc;
        } else if (si >= 0 && (unsigned)si < v->ic->nb_streams && v->map[si] >= 0) {
            av_packet_rescale_ts(v->pkt, v->ic->streams[si]->time_base,
                                 v->oc->streams[v->map[si]]->time_base);
            v->pkt->stream_index = v->map[si];
            v->pkt->pos = -1;
            rc = av_interleaved_write_frame(v->oc, v->pkt);
            if (rc < 0)
                return av_fail(d, AIM_ERR_IO, "write", rc);
        } else {
            av_packet_unref(v->pkt);
        }
    }
    /* A cut file with the index first reads as a short one: the sample
     * tables say how many packets there should have been. */
    for (unsigned i = 0; i < v->ic->nb_streams; i++) {
        int64_t want = v->ic->streams[i]->nb_frames;
        if (want > 0 && v->packets[i] < want)
            return diag_fail(d, AIM_ERR_TRUNCATED,
                             "video: the file ends early (stream %u: %lld of %lld packets)", i,
                             (long long)v->packets[i], (long long)want);
    }
    if ((rc = decode_packet(v, NULL, d)) != AIM_OK)
        return rc;
    if ((rc = write_encoded(v, NULL, d)) != AIM_OK)
        return rc;
    if ((rc = av_write_trailer(v->oc)) < 0)
        return av_fail(d, AIM_ERR_IO, "finish the file", rc);
    if ((rc = avio_closep(&v->oc->pb)) < 0)
        return av_fail(d, AIM_ERR_IO, "close the file", rc);
    return AIM_OK;
}

int vis_video(const char *in_path, const char *tmp_path, const aim_visible_opts *r, aim_diag *d)
{
    int lrc = aim_ffmpeg_load(d);
    if (lrc)
        return lrc;
    /* FFmpeg logs to stderr by default; a library never prints. (Process-
     * wide, as src/audio also sets it.) */
    av_log_set_level(AV_LOG_QUIET);
    av_max_alloc(AIM_MAX_CODEC_ALLOC);
    vid v;
    memset(&v, 0, sizeof v);
    v.first_pts = AV_NOPTS_VALUE;
    v.vidx = -1;
    int rc = run(&v, in_path, tmp_path, r, d);
    vid_close(&v);
    return rc;
}
