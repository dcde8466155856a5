/*
 * Internals of the audio layer: the reader and writer handles and the two
 * codec back ends behind them (sndfile.c: libsndfile; ffmpeg.c: FFmpeg).
 */
#ifndef AIM_AUDIO_INTERNAL_H
#define AIM_AUDIO_INTERNAL_H

#include "aimark/audio.h"

/* Ordinary tags carried from a reader to a writer, under FFmpeg's generic
 * names ("title", "artist", ...). Bounded in count and size. */
#define AUD_MAX_TAGS 16
#define AUD_MAX_TAG_BYTES 4096

typedef struct aud_tags {
    size_t n;
    char *key[AUD_MAX_TAGS];
    char *val[AUD_MAX_TAGS];
} aud_tags;

/* Add a copy of key=value when the key is one we carry and not yet set.
 * Over-long values are dropped, not truncated. Returns AIM_ERR_NOMEM. */
int aud_tags_add(aud_tags *t, const char *key, const char *value);
const char *aud_tags_get(const aud_tags *t, const char *key);
void aud_tags_clear(aud_tags *t);

enum { AUD_BACKEND_SNDFILE = 1, AUD_BACKEND_FFMPEG = 2 };

struct aim_audio_reader {
    int backend;
    void *impl;
    aim_audio_info info;
    aud_tags tags;
    int has_video; /* the container also holds video (not re-encoded) */
    int failed;
};

struct aim_audio_writer {
    int backend;
    void *impl;
    aim_audio_writer_config cfg;
    aud_tags tags;
    int started, failed, finished;
    float *clip;    /* scratch for clipping, AUD_BLOCK frames */
};

/* Frames per internal block (reader/writer/chain scratch buffers). */
#define AUD_BLOCK 4096

/* libsndfile back end. open: 0 ok, AUD_TRY_FFMPEG for a stream it should
 * not decode itself, else an aim_err. */
#define AUD_TRY_FFMPEG 1
int sfr_open(aim_audio_reader *r, const char *path, aim_diag *d);
int sfr_read(aim_audio_reader *r, float *buf, size_t cap, size_t *got, aim_diag *d);
void sfr_close(aim_audio_reader *r);
int sfw_open(aim_audio_writer *w, const char *path, aim_diag *d);
int sfw_start(aim_audio_writer *w, aim_diag *d);
int sfw_write(aim_audio_writer *w, const float *buf, size_t frames, aim_diag *d);
int sfw_finish(aim_audio_writer *w, aim_diag *d);
void sfw_close(aim_audio_writer *w);

/* FFmpeg back end. */
int ffr_open(aim_audio_reader *r, const char *path, aim_diag *d);
int ffr_read(aim_audio_reader *r, float *buf, size_t cap, size_t *got, aim_diag *d);
void ffr_close(aim_audio_reader *r);
int ffw_open(aim_audio_writer *w, const char *path, aim_diag *d);
int ffw_start(aim_audio_writer *w, aim_diag *d);
int ffw_write(aim_audio_writer *w, const float *buf, size_t frames, aim_diag *d);
int ffw_finish(aim_audio_writer *w, aim_diag *d);
void ffw_close(aim_audio_writer *w);

#endif
