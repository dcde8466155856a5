/*
 * Audio files: decode to float PCM, encode back in the same container and
 * codec family, and the one-pass calls built on them: label a generated
 * file (watermark + metadata label, atomic) and detect the watermark in a
 * file. Codecs come from libsndfile (WAV, FLAC, Ogg Vorbis/Opus, MP3) and
 * FFmpeg (MP4/M4A/AAC and anything libsndfile cannot open).
 *
 * Memory is bounded: files are streamed in blocks, never loaded whole.
 *
 * Thread-safety: handles are not shared between threads; distinct handles
 * and the *_file calls may run concurrently on distinct files.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef AIMARK_AUDIO_H
#define AIMARK_AUDIO_H

#include <stddef.h>
#include <stdint.h>
#include "aimark/aimark.h"
#include "aimark/label.h"
#include "aimark/meta.h"
#include "aimark/audible.h"
#include "aimark/wm.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest channel count and rate the audio layer accepts from a file. */
#define AIM_AUDIO_MAX_CHANNELS 64
#define AIM_AUDIO_MAX_RATE 384000

/** Sample encoding of the source, for lossless re-encoding. */
typedef enum aim_sample_kind {
    AIM_SAMPLE_LOSSY = 0, /**< a lossy codec (MP3, Vorbis, Opus, AAC) */
    AIM_SAMPLE_INT = 1,   /**< integer PCM of `bits` bits */
    AIM_SAMPLE_FLOAT = 2  /**< IEEE float PCM of `bits` (32 or 64) bits */
} aim_sample_kind;

/** What a reader found. Plain struct, filled by aim_audio_reader_open. */
typedef struct aim_audio_info {
    aim_format format;    /**< container family: WAV, FLAC, MP3, OGG_VORBIS,
                               OGG_OPUS or MP4; UNKNOWN for other inputs that
                               FFmpeg decodes (they cannot be re-encoded) */
    int sample_rate;      /**< Hz, 1..AIM_AUDIO_MAX_RATE */
    int channels;         /**< 1..AIM_AUDIO_MAX_CHANNELS */
    int64_t frames;       /**< total frames, -1 when not known in advance */
    aim_sample_kind kind;
    int bits;             /**< bits per sample for INT/FLOAT, else 0 */
    int bitrate;          /**< bits/s of a lossy source when known, else 0 */
    const char *codec;    /**< short codec name ("pcm_s24le", "flac", "mp3",
                               "vorbis", "opus", "aac"); static string */
} aim_audio_info;

/* ---- reading ------------------------------------------------------------------- */

typedef struct aim_audio_reader aim_audio_reader;

/**
 * Open `path` for decoding. On AIM_OK, *out is a reader and *info (may be
 * NULL) describes the stream. Errors: AIM_ERR_INVALID_ARG, AIM_ERR_IO
 * (cannot open), AIM_ERR_UNKNOWN_FORMAT (no decoder recognises it),
 * AIM_ERR_UNSUPPORTED (no audio stream), AIM_ERR_LIMIT (rate/channels past
 * the limits above), AIM_ERR_NOMEM; `diag` (may be NULL) says more.
 */
AIM_EXPORT int aim_audio_reader_open(const char *path, aim_audio_reader **out,
                                     aim_audio_info *info, aim_diag *diag);

/**
 * Decode up to `cap_frames` interleaved float frames (channels from the
 * info) into `buf`. *got receives the frames written; 0 with AIM_OK means
 * the end. A decode error (AIM_ERR_CORRUPT, AIM_ERR_TRUNCATED, AIM_ERR_IO)
 * is sticky: later calls return AIM_ERR_BAD_STATE.
 */
AIM_EXPORT int aim_audio_reader_read(aim_audio_reader *r, float *buf, size_t cap_frames,
                                     size_t *got, aim_diag *diag);

AIM_EXPORT void aim_audio_reader_free(aim_audio_reader *r);

/* ---- writing ------------------------------------------------------------------- */

/** Encoder settings; aim_audio_writer_config_like() fills them from a
 *  source so that the output is in the same family with sensible quality. */
typedef struct aim_audio_writer_config {
    aim_format format;   /**< WAV, FLAC, MP3, OGG_VORBIS, OGG_OPUS or MP4 */
    int sample_rate;
    int channels;
    aim_sample_kind kind; /**< WAV: INT or FLOAT; FLAC: INT */
    int bits;            /**< WAV: 8/16/24/32 int or 32/64 float; FLAC: 8/16/24 */
    int bitrate;         /**< MP3/Opus/AAC target bits/s; 0 = the default */
    double vorbis_quality; /**< Ogg Vorbis quality, 0..10 (default 6) */
} aim_audio_writer_config;

/**
 * Fill `cfg` for re-encoding `src`: WAV keeps its sample format; FLAC keeps
 * its bit depth (24 at most); MP3 at the source bitrate or 192 kbit/s;
 * Ogg Vorbis at quality 6; Ogg Opus at the source bitrate but at least
 * 96 kbit/s; MP4 AAC at the source bitrate but at least 128 kbit/s.
 * Returns AIM_ERR_UNSUPPORTED when the source family cannot be written
 * (src->format UNKNOWN), else AIM_OK.
 */
AIM_EXPORT int aim_audio_writer_config_like(aim_audio_writer_config *cfg,
                                            const aim_audio_info *src);

typedef struct aim_audio_writer aim_audio_writer;

/** Create (truncate) `path` and start encoding. AIM_ERR_UNSUPPORTED for a
 *  combination the encoder refuses (e.g. Opus needs 8/12/16/24/48 kHz:
 *  other rates are written at 48 kHz). */
AIM_EXPORT int aim_audio_writer_open(const char *path, const aim_audio_writer_config *cfg,
                                     aim_audio_writer **out, aim_diag *diag);

/** Copy the ordinary tags the reader found (title, artist, album, comment,
 *  date, genre, track, copyright...) into the output. Call before the first
 *  write. Which tags survive depends on the output format (docs/CLI.md). */
AIM_EXPORT int aim_audio_writer_copy_tags(aim_audio_writer *w, const aim_audio_reader *r);

/** Encode `frames` interleaved float frames (values outside [-1, 1] are
 *  clipped). Errors are sticky. */
AIM_EXPORT int aim_audio_writer_write(aim_audio_writer *w, const float *buf, size_t frames,
                                      aim_diag *diag);

/** Flush the encoder and finish the file. Must succeed before the file is
 *  used; the handle is still freed with aim_audio_writer_free. */
AIM_EXPORT int aim_audio_writer_finish(aim_audio_writer *w, aim_diag *diag);

AIM_EXPORT void aim_audio_writer_free(aim_audio_writer *w);

/* ---- keys and payloads ------------------------------------------------------------ */

/**
 * Write a new random key file at `path` (mode 0600). Format (text, one
 * line): "aimark-wm-key-v1 " followed by 64 lowercase hex digits and "\n".
 * Refuses to replace an existing file (AIM_ERR_IO with a message) unless
 * `force`. Random bytes come from getrandom(2).
 */
AIM_EXPORT int aim_audio_key_generate(const char *path, int force, aim_diag *diag);

/** Read a key file: the text form above, or exactly 32 raw bytes.
 *  AIM_ERR_CORRUPT when it is neither. */
AIM_EXPORT int aim_audio_key_read(const char *path, aim_wm_key *key, aim_diag *diag);

/** The watermark payload for a ProduceID: the first 8 bytes of
 *  SHA-256(id) read big-endian. Returns AIM_ERR_INVALID_ARG for NULL. */
AIM_EXPORT int aim_audio_payload_from_id(const char *produce_id, uint64_t *payload);

/* ---- one-pass labelling ------------------------------------------------------------ */

/** What aim_audio_label_file does. Fill with aim_audio_label_opts_init(). */
typedef struct aim_audio_label_opts {
    size_t struct_size;      /**< set by init; lets the struct grow compatibly */
    const aim_label *label;  /**< metadata label to write; NULL = none */
    aim_write_opts write;    /**< how the label is written */
    int watermark;           /**< 1: embed the watermark */
    aim_wm_key key;          /**< watermark key (when watermark) */
    uint64_t payload;        /**< watermark payload (when watermark) */
    float wm_snr_db;         /**< embedder target SNR; 0 = the wm default */
    int copy_tags;           /**< copy ordinary tags (default 1) */
    int audible;             /**< 1: insert the audible prompt (explicit label) */
    aim_audible_config audible_cfg; /**< prompt settings (when audible); the
                                         rate and channels are taken from the
                                         file, expected_frames too for
                                         AT_MIDDLE when left 0 */
} aim_audio_label_opts;

AIM_EXPORT void aim_audio_label_opts_init(aim_audio_label_opts *o);

/**
 * Decode `in`, apply the PCM transforms the options ask for (the audible
 * prompt, then the watermark over everything heard), encode in the same family to a temporary file beside `out`
 * (NULL: replace `in`), write the metadata label there, and rename it over
 * `out`. On any error `in` and `out` are untouched. When replacing, the
 * file mode is kept. Returns AIM_OK or the first error, with `diag`.
 */
AIM_EXPORT int aim_audio_label_file(const char *in, const char *out,
                                    const aim_audio_label_opts *opts, aim_diag *diag);

/* ---- detection --------------------------------------------------------------------- */

typedef struct aim_audio_wm_opts {
    double window_s; /**< analysis window for long files, 12..600 s; default 60.
                          Windows overlap by a quarter or more, so memory
                          and cost grow linearly with the file's length. */
    int presence;      /**< 1: where a key decodes no payload, also test
                            presence ("marked with this key",
                            aim_wm_detector_presence) in every window;
                            default 0. Results in aim_audio_wm_detect_file_ex's
                            presence[]. */
    int payload_known; /**< 1: the presence test knows the payload (e.g. the
                            one tied to the label's ProduceID): every chip
                            counts and ~3 s decide at pfa <= 1e-12; 0: sync
                            chips only, which cannot reach 1e-12 (at most
                            ~1e-6 from a whole period) */
    uint64_t payload;  /**< the payload tested when payload_known */
} aim_audio_wm_opts;

AIM_EXPORT void aim_audio_wm_opts_init(aim_audio_wm_opts *o);

/**
 * Decode `path` and look for the watermark with each of `n_keys` keys
 * (1..16). results[i] (caller-allocated, n_keys entries) tells what key i
 * found; its segments are in file time (seconds from the first sample),
 * merged across windows. When several windows decode different payloads
 * with one key, the first is reported. *duration_s (may be NULL) receives
 * the decoded length.
 */
AIM_EXPORT int aim_audio_wm_detect_file(const char *path, const aim_wm_key *keys, size_t n_keys,
                                        const aim_audio_wm_opts *opts, aim_wm_result *results,
                                        double *duration_s, aim_diag *diag);

/**
 * The same, and with opts->presence set, presence[i] (caller-allocated,
 * n_keys entries; may be NULL) receives key i's presence test: the best
 * window's z and its time range in file time, the hypotheses of every
 * window tested added up, and pfa = min(1, hypotheses x exp(-z^2 / 2)),
 * the union bound over the whole file; present when pfa <= 1e-12. A key
 * that decodes a payload (results[i].found) is not tested again: its
 * presence[i] is zero but for present = 1 and pfa = 0 (the decode's own
 * bound, docs/WATERMARK.md, applies). Without opts->presence, presence[]
 * is zeroed (pfa 1) for keys that decode nothing.
 */
AIM_EXPORT int aim_audio_wm_detect_file_ex(const char *path, const aim_wm_key *keys, size_t n_keys,
                                           const aim_audio_wm_opts *opts, aim_wm_result *results,
                                           aim_wm_presence *presence, double *duration_s,
                                           aim_diag *diag);

#ifdef __cplusplus
}
#endif
#endif
