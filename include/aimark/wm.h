/*
 * Robust audio watermark on PCM: a keyed, blind, inaudible mark carrying a
 * 64-bit payload that survives re-encoding, resampling, noise, filtering,
 * cuts and polarity inversion. Float PCM in [-1, 1], any rate from 8 to
 * 96 kHz, mono or interleaved multichannel. No file I/O here.
 *
 * Design and measured robustness: docs/WATERMARK.md.
 *
 * Thread-safety: handles are not shared between threads; distinct handles
 * may be used from distinct threads at once. Keys are plain values.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef AIMARK_WM_H
#define AIMARK_WM_H

#include <stddef.h>
#include <stdint.h>
#include "aimark/aimark.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AIM_WM_KEY_BYTES 32
#define AIM_WM_MIN_RATE 8000
#define AIM_WM_MAX_RATE 96000
#define AIM_WM_MAX_CHANNELS 64
#define AIM_WM_MAX_SEGMENTS 32

/** A watermark key: 32 secret bytes. Plain value, caller-allocated. */
typedef struct aim_wm_key {
    unsigned char bytes[AIM_WM_KEY_BYTES];
} aim_wm_key;

/** Make a key from exactly AIM_WM_KEY_BYTES bytes (e.g. read from a key
 *  file). Returns AIM_OK or AIM_ERR_INVALID_ARG (NULL, or n != 32). */
AIM_EXPORT int aim_wm_key_from_bytes(aim_wm_key *key, const void *bytes, size_t n);

/** Derive a key deterministically from a 64-bit seed. For tests and
 *  examples only: such a key is not secret. Returns AIM_OK or
 *  AIM_ERR_INVALID_ARG. */
AIM_EXPORT int aim_wm_key_from_seed(aim_wm_key *key, uint64_t seed);

/* ---- embedding ---------------------------------------------------------- */

/** Embedder options; fill with aim_wm_embed_config_init() first. */
typedef struct aim_wm_embed_config {
    int sample_rate;  /**< Hz, AIM_WM_MIN_RATE..AIM_WM_MAX_RATE; default 44100 */
    int channels;     /**< 1..AIM_WM_MAX_CHANNELS, interleaved; default 1 */
    float target_snr_db; /**< mark-to-host ratio aimed at per frame, 20..60
                              dB; default 30 (the mark is also capped at a
                              fixed depth relative to the host's own band
                              energy, so quiet or band-poor frames get
                              less). */
} aim_wm_embed_config;

AIM_EXPORT void aim_wm_embed_config_init(aim_wm_embed_config *cfg);

typedef struct aim_wm_embedder aim_wm_embedder;

/** Create an embedder that marks `payload` with `key`.
 *  Returns AIM_OK and *out, AIM_ERR_INVALID_ARG or AIM_ERR_NOMEM. */
AIM_EXPORT int aim_wm_embedder_new(const aim_wm_embed_config *cfg, const aim_wm_key *key,
                                   uint64_t payload, aim_wm_embedder **out);

/**
 * Mark a block of any size. in: `frames` interleaved frames; out: room for
 * `frames` frames (may not overlap in). The output lags the input by a
 * bounded latency (aim_wm_embedder_latency()); *out_frames receives how
 * many frames were written (<= frames). After the last block call
 * aim_wm_embedder_flush() to get the rest: in total exactly as many frames
 * come out as went in, in order, with no gap and no click at block edges.
 * Returns AIM_OK, AIM_ERR_INVALID_ARG, or AIM_ERR_BAD_STATE after a flush
 * or an earlier failure.
 */
AIM_EXPORT int aim_wm_embedder_process(aim_wm_embedder *e, const float *in, size_t frames,
                                       float *out, size_t *out_frames);

/** Write the frames still held back (at most aim_wm_embedder_latency()
 *  frames; out must have room for that many). Further process calls are
 *  refused with AIM_ERR_BAD_STATE. */
AIM_EXPORT int aim_wm_embedder_flush(aim_wm_embedder *e, float *out, size_t cap_frames,
                                     size_t *out_frames);

/** The most frames the embedder may hold back (its latency bound). */
AIM_EXPORT size_t aim_wm_embedder_latency(const aim_wm_embedder *e);

/** Free an embedder (NULL is fine). */
AIM_EXPORT void aim_wm_embedder_free(aim_wm_embedder *e);

/* ---- detection ---------------------------------------------------------- */

typedef struct aim_wm_detect_config {
    int sample_rate;    /**< Hz, AIM_WM_MIN_RATE..AIM_WM_MAX_RATE; default 44100 */
    int channels;       /**< 1..AIM_WM_MAX_CHANNELS; default 1 */
    double max_seconds; /**< analysis window kept (older audio is dropped
                             while feeding); 4..600, default 60 */
} aim_wm_detect_config;

AIM_EXPORT void aim_wm_detect_config_init(aim_wm_detect_config *cfg);

/** A time range (seconds from the first frame fed) that carries the mark. */
typedef struct aim_wm_segment {
    double start_s, end_s;
} aim_wm_segment;

typedef struct aim_wm_result {
    int found;          /**< 1: a payload with a valid check was decoded */
    uint64_t payload;   /**< valid when found */
    double sync_score;  /**< normalised sync correlation of the best candidate */
    size_t n_segments;  /**< valid when found */
    aim_wm_segment segments[AIM_WM_MAX_SEGMENTS];
    double speed;       /**< when found: the time factor of the clip against
                             the marked original (1.0 unchanged; >1 sped up,
                             i.e. shorter), searched over 0.949..1.051 */
    double pitch;       /**< when found: the frequency factor (1.0
                             unchanged; 1.029 = +50 cents). A speed change
                             by resampling moves both by the same factor, a
                             tempo change (pitch kept) only speed, a pitch
                             shift (tempo kept) only pitch: those three
                             lines are searched, 0.949..1.051 in 0.3 %
                             steps each */
} aim_wm_result;

typedef struct aim_wm_detector aim_wm_detector;

AIM_EXPORT int aim_wm_detector_new(const aim_wm_detect_config *cfg, const aim_wm_key *key,
                                   aim_wm_detector **out);

/** Append interleaved frames (any block size). Returns AIM_OK,
 *  AIM_ERR_INVALID_ARG or AIM_ERR_BAD_STATE. */
AIM_EXPORT int aim_wm_detector_feed(aim_wm_detector *d, const float *in, size_t frames);

/** Analyse the audio fed so far (the last max_seconds of it) and fill *res.
 *  Needs about 8 s for a payload. Can be called again after more feeding.
 *  Returns AIM_OK (res->found tells), AIM_ERR_INVALID_ARG or
 *  AIM_ERR_NOMEM. */
AIM_EXPORT int aim_wm_detector_run(aim_wm_detector *d, aim_wm_result *res);

/* ---- presence ("marked with this key") ----------------------------------- */

typedef struct aim_wm_presence_config {
    int payload_known;  /**< 1: test for this key's mark with `payload` (every
                             cell is known: ~4x the evidence, decides from
                             ~3 s); 0: sync cells only (payload unknown) */
    uint64_t payload;
    double max_pfa;     /**< false-alarm bound to decide at, (0, 1];
                             default 1e-12 */
} aim_wm_presence_config;

AIM_EXPORT void aim_wm_presence_config_init(aim_wm_presence_config *cfg);

typedef struct aim_wm_presence {
    int present;       /**< 1: pfa <= max_pfa */
    double z;          /**< best normalised correlation with the key's symbols */
    double pfa;        /**< derived bound: probability that audio not marked
                            with this key reaches z over the same search,
                            hypotheses * exp(-z^2 / 2) (Hoeffding over the
                            key's random signs, union over hypotheses) */
    double hypotheses; /**< scales x offsets x phases x windows tried */
    double speed;      /**< time factor of the best hypothesis */
    double pitch;      /**< frequency factor of the best hypothesis */
    double start_s, end_s; /**< the window (at most one 7.55 s period) it
                                came from, seconds from the first frame fed */
} aim_wm_presence;

/** Presence-only decision on the audio fed so far (the last max_seconds):
 *  is it marked with this detector's key? Works from ~3 s with a known
 *  payload (e.g. the label's, or one decoded earlier in a stream): whole
 *  periods and 3 s windows every 1.5 s are tested, so a short marked
 *  stretch inside longer unmarked audio is found too. With the payload
 *  unknown only the sync cells count (1/16 of the mark: evidence, but it
 *  cannot reach pfa 1e-12). Cost with the payload known: ~1 s of CPU
 *  per minute of audio.
 *  With the payload unknown, a mark of this key with any payload counts
 *  as present; with it known, another payload's mark shares only the sync
 *  chips (its data chips agree at random), so it rarely reaches max_pfa.
 *  Returns AIM_OK (out->present tells), AIM_ERR_INVALID_ARG or
 *  AIM_ERR_NOMEM. */
AIM_EXPORT int aim_wm_detector_presence(aim_wm_detector *d, const aim_wm_presence_config *cfg,
                                        aim_wm_presence *out);

/** Drop all audio fed; the next frame fed is time 0 again. */
AIM_EXPORT void aim_wm_detector_reset(aim_wm_detector *d);

AIM_EXPORT void aim_wm_detector_free(aim_wm_detector *d);

#ifdef __cplusplus
}
#endif

#endif
