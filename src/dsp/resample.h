/*
 * Streaming sample-rate converter: windowed-sinc (Blackman window),
 * polyphase table (one exact row per phase for the usual rate pairs,
 * else 256 rows with linear interpolation), exact rational step (no drift
 * over any length). Zero-phase: output sample j is
 * the input interpolated at time j * in_rate / out_rate, with the signal
 * taken as zero before input sample 0; the latency is only buffering
 * (dsp_resampler_delay() input samples must follow before an output can be
 * computed).
 *
 * Usage: push at most max_chunk input samples, then pull everything that
 * is ready, repeat. Nothing is allocated after dsp_resampler_new().
 */
#ifndef AIM_DSP_RESAMPLE_H
#define AIM_DSP_RESAMPLE_H

#include <stddef.h>

typedef struct dsp_resampler dsp_resampler;

/** in_rate, out_rate in Hz (1..1,000,000); max_chunk: the most samples one
 *  push may bring. NULL on bad arguments or out of memory. */
dsp_resampler *dsp_resampler_new(int in_rate, int out_rate, size_t max_chunk);
/** As dsp_resampler_new, for a signal that only matters in 0..pass_hz
 *  (pass_hz < 0.4 x the lower rate): a much shorter filter, clean (about
 *  -74 dB aliases and images) in that band only. NULL on bad arguments. */
dsp_resampler *dsp_resampler_new_band(int in_rate, int out_rate, size_t max_chunk, double pass_hz);
void dsp_resampler_free(dsp_resampler *r);
/** Forget all input; start again at time 0. */
void dsp_resampler_reset(dsp_resampler *r);
/** Append n input samples. Returns 0, or -1 if n > max_chunk or the
 *  previous output was not pulled. */
int dsp_resampler_push(dsp_resampler *r, const float *in, size_t n);
/** Write up to cap ready output samples; returns how many. */
size_t dsp_resampler_pull(dsp_resampler *r, float *out, size_t cap);
/** Input samples of look-ahead the filter needs (one side). */
size_t dsp_resampler_delay(const dsp_resampler *r);

#endif
