/*
 * Synthetic speech detector on PCM: LFCC front-end (ASVspoof 2019 B02) and
 * a model (diagonal-GMM baseline or a small causal LCNN-style network)
 * loaded from a versioned, validated blob. Float PCM in [-1, 1], any rate
 * from 8 to 192 kHz, mono or interleaved multichannel (channels are
 * averaged); everything runs at 16 kHz internally. No file I/O except
 * aim_detect_model_load_file().
 *
 * Scores are calibrated log-likelihood ratios (natural log): higher = more
 * likely synthetic, 0 = equal evidence. The model carries an operating
 * threshold chosen for at most 1% false alarms on bona fide speech of its
 * development set; a score above it means "synthetic".
 *
 * Audio is scored in windows (default 2 s every 0.5 s). Windows with too
 * little voiced audio are skipped. The file-level score is the mean of the
 * scores of the scored windows; the streaming detector yields the same
 * windows and the same running score for the same audio whatever the block
 * sizes (the file-level call is the streaming detector fed in one go).
 *
 * What the model was trained on and where it fails: docs/DETECTOR.md.
 *
 * Thread-safety: a loaded model is read-only and may be shared by any
 * number of threads and detectors at once; a detector (aim_detector) is
 * used by one thread at a time.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef AIMARK_DETECT_H
#define AIMARK_DETECT_H

#include <stddef.h>
#include "aimark/aimark.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AIM_DETECT_MIN_RATE 8000
#define AIM_DETECT_MAX_RATE 192000
#define AIM_DETECT_MAX_CHANNELS 64
/** Largest model blob accepted (bytes). */
#define AIM_DETECT_MAX_MODEL_BYTES (32u * 1024u * 1024u)

/* ---- models --------------------------------------------------------------- */

typedef struct aim_detect_model aim_detect_model;

/** Load the default model shipped with (compiled into) the library.
 *  Returns AIM_OK and *out, or AIM_ERR_NOMEM. */
AIM_EXPORT int aim_detect_model_default(aim_detect_model **out);

/** Load a model blob from a file (format: docs/DETECTOR.md). Every length,
 *  shape, count and checksum is checked. Returns AIM_OK, AIM_ERR_IO,
 *  AIM_ERR_UNKNOWN_FORMAT (not a model blob), AIM_ERR_UNSUPPORTED (newer
 *  version or model type), AIM_ERR_CORRUPT, AIM_ERR_TRUNCATED, AIM_ERR_LIMIT
 *  or AIM_ERR_NOMEM; diag (may be NULL) says what was wrong. */
AIM_EXPORT int aim_detect_model_load_file(const char *path, aim_detect_model **out,
                                          aim_diag *diag);

/** Same from memory; the bytes are copied, the caller keeps `data`. */
AIM_EXPORT int aim_detect_model_load_memory(const void *data, size_t n,
                                            aim_detect_model **out, aim_diag *diag);

/** "name version", e.g. "aimark-lcnn 1". Owned by the model. */
AIM_EXPORT const char *aim_detect_model_name(const aim_detect_model *m);

/** The model's operating threshold (calibrated LLR). */
AIM_EXPORT double aim_detect_model_threshold(const aim_detect_model *m);

/** Free a model (NULL is fine). Free every detector using it first. */
AIM_EXPORT void aim_detect_model_free(aim_detect_model *m);

/* ---- scoring -------------------------------------------------------------- */

/** Detector options; fill with aim_detect_config_init() first. */
typedef struct aim_detect_config {
    int sample_rate;  /**< Hz of the PCM fed, AIM_DETECT_MIN_RATE..MAX; default 16000 */
    int channels;     /**< 1..AIM_DETECT_MAX_CHANNELS, interleaved; default 1 */
    double window_s;  /**< window length, 0.5..10 s; default 2 */
    double hop_s;     /**< window step, 0.1..window_s; default 0.5 */
    double threshold; /**< verdict threshold; NaN (the default) = the model's */
} aim_detect_config;

AIM_EXPORT void aim_detect_config_init(aim_detect_config *cfg);

/** One scored window. Times in seconds from the first frame fed. */
typedef struct aim_detect_window {
    double start_s, end_s;
    double score; /**< calibrated LLR, higher = more likely synthetic */
} aim_detect_window;

/** Summary of everything scored so far. */
typedef struct aim_detect_result {
    double score;     /**< mean of the window scores; NaN when n_windows == 0 */
    int synthetic;    /**< 1: score > threshold (0 when n_windows == 0) */
    double threshold; /**< the threshold used */
    size_t n_windows; /**< windows scored (windows without voice are skipped) */
    double seconds;   /**< audio fed, in seconds */
} aim_detect_result;

/**
 * Score a whole clip. pcm: `frames` interleaved frames as described by cfg
 * (NULL cfg = 16 kHz mono, defaults). A clip shorter than one window is
 * scored as one window if it holds at least 0.3 s of voiced audio.
 * Returns AIM_OK (check res->n_windows), AIM_ERR_INVALID_ARG or
 * AIM_ERR_NOMEM.
 */
AIM_EXPORT int aim_detect_pcm(const aim_detect_model *m, const aim_detect_config *cfg,
                              const float *pcm, size_t frames, aim_detect_result *res);

/* ---- streaming ------------------------------------------------------------ */

typedef struct aim_detector aim_detector;

/** Create a streaming detector; `m` must outlive it. Nothing is allocated
 *  after this call. Returns AIM_OK, AIM_ERR_INVALID_ARG or AIM_ERR_NOMEM. */
AIM_EXPORT int aim_detector_new(const aim_detect_model *m, const aim_detect_config *cfg,
                                aim_detector **out);

/** Feed `frames` interleaved frames (any block size). Windows completed by
 *  this audio are queued for aim_detector_next_window(); the queue keeps
 *  the latest 1024 (older unread ones are dropped; the running result
 *  counts every window). Returns AIM_OK, AIM_ERR_INVALID_ARG or
 *  AIM_ERR_BAD_STATE (after finish or an earlier failure). */
AIM_EXPORT int aim_detector_push(aim_detector *d, const float *pcm, size_t frames);

/** End of stream: scores the tail (a last window ending at the end, or the
 *  whole clip when it is shorter than one window). Further pushes are
 *  refused until aim_detector_reset(). */
AIM_EXPORT int aim_detector_finish(aim_detector *d);

/** Pop the next scored window, oldest first. Returns 1 and *w, or 0 when
 *  none is queued. */
AIM_EXPORT int aim_detector_next_window(aim_detector *d, aim_detect_window *w);

/** The running result over all windows scored so far. */
AIM_EXPORT void aim_detector_result(const aim_detector *d, aim_detect_result *res);

/** Forget everything fed; the next frame is time 0 again. */
AIM_EXPORT void aim_detector_reset(aim_detector *d);

AIM_EXPORT void aim_detector_free(aim_detector *d);

#ifdef __cplusplus
}
#endif

#endif
