/*
 * Audible explicit labels (GB 45438-2025 §5.3): the rhythm prompt
 * "short-long-short-short" (Morse ".- .." for "AI") and a spoken prompt
 * ("本内容由人工智能生成" built in, or the caller's own PCM), inserted into
 * or mixed with PCM at the start, end, middle, every N seconds, or at each
 * voice-assistant turn; and a detector that finds rhythm prompts in any
 * audio. Float PCM in [-1, 1], 8 to 96 kHz, mono or interleaved
 * multichannel. No file I/O here.
 *
 * Design, parameters and measured detection rates: docs/AUDIBLE.md.
 *
 * Thread-safety: handles are not shared between threads; distinct handles
 * may be used from distinct threads at once. Config structs are plain values.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef AIMARK_AUDIBLE_H
#define AIMARK_AUDIBLE_H

#include <stddef.h>
#include <stdint.h>
#include "aimark/aimark.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AIM_AUDIBLE_MIN_RATE 8000
#define AIM_AUDIBLE_MAX_RATE 96000
#define AIM_AUDIBLE_MAX_CHANNELS 64

/* ---- the rhythm prompt ---------------------------------------------------- */

/**
 * Timing and tone of the rhythm prompt. The standard fixes only the
 * pattern; these defaults follow Morse proportions (dash = 3 dots, gap
 * between the letters = 3 dots): 100 + 100 + 300 + 300 + 100 + 100 + 100 =
 * 1100 ms. Each tone starts and ends with a raised-cosine ramp inside its
 * duration, so the prompt has no clicks. Fill with aim_audible_rhythm_init().
 */
typedef struct aim_audible_rhythm {
    float tone_hz;       /**< 100..3500 and < 0.45 x the rate; default 1000 */
    float dot_ms;        /**< short tone, 60..500; default 100 */
    float dash_ms;       /**< long tone, 2..6 x dot_ms; default 300 */
    float gap_ms;        /**< silence inside a letter, 60..1000; default 100 */
    float letter_gap_ms; /**< silence between "A" and "I", gap_ms..2000; default 300 */
    float ramp_ms;       /**< each tone edge, 1..dot_ms/4; default 5 */
} aim_audible_rhythm;

AIM_EXPORT void aim_audible_rhythm_init(aim_audible_rhythm *r);

/** Length of the rhythm prompt in frames at `sample_rate`. Returns AIM_OK
 *  and *frames, or AIM_ERR_INVALID_ARG (bad rate or parameters). */
AIM_EXPORT int aim_audible_rhythm_frames(const aim_audible_rhythm *r, int sample_rate,
                                         size_t *frames);

/**
 * Render the rhythm prompt: `channels` identical interleaved channels with
 * peak amplitude `peak` (0 < peak <= 1). Tone k occupies frames
 * [round(t0 * rate), round(t1 * rate)) where t0, t1 follow from the
 * timing; everything else is exactly 0. out: room for cap_frames frames.
 * Returns AIM_OK and *frames, AIM_ERR_BUFFER_TOO_SMALL (with *frames set to
 * the size needed, nothing written) or AIM_ERR_INVALID_ARG.
 */
AIM_EXPORT int aim_audible_rhythm_render(const aim_audible_rhythm *r, int sample_rate,
                                         int channels, float peak, float *out,
                                         size_t cap_frames, size_t *frames);

/* ---- the built-in spoken prompt ------------------------------------------ */

/** Sample rate of the built-in spoken prompt (16000). */
#define AIM_AUDIBLE_VOICE_RATE 16000

/** The built-in spoken prompt "本内容由人工智能生成" (Mandarin, about 4.2 s,
 *  ~140 characters a minute) as mono float PCM at AIM_AUDIBLE_VOICE_RATE.
 *  Ask the size with out = NULL; then fill. Returns AIM_OK and *frames,
 *  AIM_ERR_BUFFER_TOO_SMALL (*frames = size needed) or AIM_ERR_INVALID_ARG. */
AIM_EXPORT int aim_audible_voice_builtin(float *out, size_t cap_frames, size_t *frames);

/** The text the built-in prompt speaks (UTF-8, static string). */
AIM_EXPORT const char *aim_audible_voice_text(void);

/* ---- the inserter --------------------------------------------------------- */

typedef enum aim_audible_kind {
    AIM_AUDIBLE_RHYTHM = 1, /**< the short-long-short-short tones */
    AIM_AUDIBLE_VOICE = 2   /**< a spoken prompt (built in or the caller's) */
} aim_audible_kind;

typedef enum aim_audible_mode {
    /** The prompt, with `pad_ms` of silence each side, is spliced in
     *  between two content frames: output is longer than input, the
     *  content frames come out unchanged. */
    AIM_AUDIBLE_INSERT = 1,
    /** The prompt is added on top of the content from the chosen point
     *  on: output is as long as the input (longer only if the stream ends
     *  while a prompt is still playing). For voice-assistant turns that
     *  start with a breath of silence, and for live streams. */
    AIM_AUDIBLE_MIX = 2
} aim_audible_mode;

/** Where prompts go (bit flags). */
#define AIM_AUDIBLE_AT_START 1u    /**< before the first frame */
#define AIM_AUDIBLE_AT_END 2u      /**< after the last frame (known at flush) */
#define AIM_AUDIBLE_AT_MIDDLE 4u   /**< at expected_frames / 2 */
#define AIM_AUDIBLE_AT_INTERVAL 8u /**< at every interval_s of content, before the end */

/** Inserter options; fill with aim_audible_config_init() first. */
typedef struct aim_audible_config {
    int sample_rate;          /**< Hz, 8000..96000; default 44100 */
    int channels;             /**< 1..64, interleaved; default 1 */
    int kind;                 /**< aim_audible_kind; default AIM_AUDIBLE_RHYTHM */
    int mode;                 /**< aim_audible_mode; default AIM_AUDIBLE_INSERT */
    unsigned positions;       /**< AIM_AUDIBLE_AT_* flags; default AT_START.
                                   0 is allowed: prompts only at turns. */
    double interval_s;        /**< content seconds between prompts for
                                   AT_INTERVAL, 5..3600; default 30 */
    uint64_t expected_frames; /**< content length, needed by AT_MIDDLE; default 0 */
    aim_audible_rhythm rhythm; /**< timing and tone for AIM_AUDIBLE_RHYTHM */
    float rhythm_level_db;    /**< tone RMS relative to the content's loudness,
                                   -40..+10; default -6 */
    float voice_level_db;     /**< speech RMS relative to the content's
                                   loudness, -40..+10; default 0 */
    float fallback_dbfs;      /**< loudness (dBFS RMS) assumed where the
                                   content around a prompt is silent or
                                   unknown, -60..-6; default -23 */
    float max_peak_dbfs;      /**< cap on the prompt's peak, -40..0; default -1 */
    double lookahead_s;       /**< content after each point that is measured
                                   for loudness (delays output by that much),
                                   0..10; default 3. 0 for live use: loudness
                                   then comes from up to 3 s before the point. */
    double pad_ms;            /**< silence each side of an inserted prompt,
                                   10..2000; default 250 (INSERT only) */
    const float *voice;       /**< the caller's spoken prompt, mono, or NULL
                                   for the built-in one; copied by _new */
    size_t voice_frames;      /**< frames at `voice`, up to 60 s worth */
    int voice_rate;           /**< rate of `voice`, 8000..96000 */
    float mix_duck_db;        /**< MIX: the content's gain while a prompt
                                   plays (10 ms ramps), -40..0; default -12,
                                   so the prompt stands out (and is found by
                                   the detector) over speech and music */
} aim_audible_config;

AIM_EXPORT void aim_audible_config_init(aim_audible_config *cfg);

typedef struct aim_audible_inserter aim_audible_inserter;

/** Create an inserter. Returns AIM_OK and *out, AIM_ERR_INVALID_ARG (a
 *  field out of range, AT_MIDDLE without expected_frames, voice set with
 *  kind RHYTHM) or AIM_ERR_NOMEM. */
AIM_EXPORT int aim_audible_inserter_new(const aim_audible_config *cfg,
                                        aim_audible_inserter **out);

/**
 * Room, in frames, that out must have for a process() call with `frames`
 * input frames, or for flush() with frames = 0: the frames held back plus
 * `frames`, plus one prompt for every point that can fall in them. A
 * process or flush call with less room is refused with
 * AIM_ERR_BUFFER_TOO_SMALL and consumes nothing. Returns 0 on a NULL
 * handle or overflow.
 */
AIM_EXPORT size_t aim_audible_inserter_max_out(const aim_audible_inserter *h, size_t frames);

/**
 * Feed `frames` interleaved input frames (any block size, 0 allowed) and
 * get the output produced so far: *out_frames frames at out (must not
 * overlap in). The output lags the input by aim_audible_inserter_latency()
 * frames; the sequence of output frames does not depend on how the input
 * is cut into blocks. Returns AIM_OK, AIM_ERR_INVALID_ARG,
 * AIM_ERR_BUFFER_TOO_SMALL, or AIM_ERR_BAD_STATE after a flush.
 */
AIM_EXPORT int aim_audible_inserter_process(aim_audible_inserter *h, const float *in,
                                            size_t frames, float *out, size_t cap_frames,
                                            size_t *out_frames);

/** End of stream: write the frames still held, the prompt for AT_END and
 *  any point not yet reached. Further process/flush calls return
 *  AIM_ERR_BAD_STATE. Needs aim_audible_inserter_max_out(h, 0) frames of
 *  room. */
AIM_EXPORT int aim_audible_inserter_flush(aim_audible_inserter *h, float *out,
                                          size_t cap_frames, size_t *out_frames);

/**
 * Voice-assistant turns (GB 45438 §5.3 Note 3): begin_turn() puts a prompt
 * at the current input position, i.e. before the next frame fed
 * (INSERT: spliced in; MIX: mixed onto the start of the turn's audio);
 * end_turn() does the same for the end of the turn just fed. Call both
 * between turns for prompts at both ends; two points at the same input
 * position give one prompt. Returns AIM_OK, AIM_ERR_LIMIT (more than 64
 * points waiting in the lookahead), AIM_ERR_BAD_STATE after a flush, or
 * AIM_ERR_INVALID_ARG.
 */
AIM_EXPORT int aim_audible_inserter_begin_turn(aim_audible_inserter *h);
AIM_EXPORT int aim_audible_inserter_end_turn(aim_audible_inserter *h);

/** Frames the output lags the input by (lookahead; in MIX mode with AT_END
 *  at least one prompt length, so the end prompt can finish with the
 *  content). */
AIM_EXPORT size_t aim_audible_inserter_latency(const aim_audible_inserter *h);

/** Frames of one prompt as it will be inserted (INSERT: with both pads). */
AIM_EXPORT size_t aim_audible_inserter_prompt_frames(const aim_audible_inserter *h);

/** Number of prompts written so far. */
AIM_EXPORT size_t aim_audible_inserter_prompts(const aim_audible_inserter *h);

AIM_EXPORT void aim_audible_inserter_free(aim_audible_inserter *h);

/* ---- the rhythm detector ------------------------------------------------- */

/** Detector options; fill with aim_audible_detect_config_init() first. */
typedef struct aim_audible_detect_config {
    int sample_rate;          /**< Hz, 8000..96000; default 44100 */
    int channels;             /**< 1..64, interleaved (mixed to mono); default 1 */
    aim_audible_rhythm rhythm; /**< the timing looked for; its tone_hz is
                                   always among the frequencies tried */
    int search_tones;         /**< 1: also try 500, 600, 800, 1200, 1500, 2000,
                                   2500 and 3000 Hz; default 0 */
    float min_contrast_db;    /**< tone band level in every tone over the
                                   loudest gap, 3..40; default 10 */
    float min_tonality;       /**< share of the tone's +-62 Hz band in the
                                   +-375 Hz band around it, in every tone,
                                   0.2..0.99; default 0.5 */
} aim_audible_detect_config;

AIM_EXPORT void aim_audible_detect_config_init(aim_audible_detect_config *cfg);

/** One rhythm prompt found: seconds from the first frame fed. */
typedef struct aim_audible_hit {
    double start_s;  /**< onset of the first tone */
    double end_s;    /**< end of the last tone */
    float tone_hz;   /**< the frequency it was found at */
    float contrast_db; /**< weakest tone over loudest gap */
} aim_audible_hit;

typedef struct aim_audible_detector aim_audible_detector;

AIM_EXPORT int aim_audible_detector_new(const aim_audible_detect_config *cfg,
                                        aim_audible_detector **out);

/** Append interleaved frames (any block size). Returns AIM_OK,
 *  AIM_ERR_INVALID_ARG or AIM_ERR_BAD_STATE (after finish). */
AIM_EXPORT int aim_audible_detector_feed(aim_audible_detector *d, const float *in,
                                         size_t frames);

/** End of input: analyses the last frames and settles the last hit. Further
 *  feeds return AIM_ERR_BAD_STATE until aim_audible_detector_reset(). */
AIM_EXPORT int aim_audible_detector_finish(aim_audible_detector *d);

/** The prompts found so far, in time order (*n of them; at most 4096 kept,
 *  later ones are counted in aim_audible_detector_dropped()). The array
 *  belongs to the detector and stays valid until the next feed, finish,
 *  reset or free. A hit is reported once the detector has seen 0.5 s past
 *  it (all of them after finish). */
AIM_EXPORT const aim_audible_hit *aim_audible_detector_hits(const aim_audible_detector *d,
                                                            size_t *n);

AIM_EXPORT size_t aim_audible_detector_dropped(const aim_audible_detector *d);

/** Forget all audio and hits; the next frame fed is time 0 again. */
AIM_EXPORT void aim_audible_detector_reset(aim_audible_detector *d);

AIM_EXPORT void aim_audible_detector_free(aim_audible_detector *d);

#ifdef __cplusplus
}
#endif

#endif
