/*
 * Simultaneous-masking threshold of one analysis frame (Johnston 1988,
 * "Transform coding of audio signals using perceptual noise criteria",
 * the model behind ISO 11172-3 psychoacoustic model 1, simplified):
 *
 *   1. the frame's power spectrum is summed into critical bands of one
 *      Bark (Zwicker's z(f) = 13 atan(0.00076 f) + 3.5 atan((f/7500)^2));
 *   2. spread over the neighbouring bands with Schroeder's spreading
 *      function, 15.81 + 7.5 (dz + 0.474) - 17.5 sqrt(1 + (dz + 0.474)^2) dB;
 *   3. lowered by the masking offset, interpolated by the frame's
 *      tonality: alpha (14.5 + z) + (1 - alpha) 5.5 dB, with
 *      alpha = min(SFM_dB / -60, 1) (spectral flatness: 0 dB for white
 *      noise, very negative for a few pure tones);
 *   4. floored by the threshold in quiet (Terhardt), taking a full-scale
 *      sine as 96 dB SPL.
 *
 * The result is the noise power each band tolerates, in the units of the
 * input power spectrum. Used by the watermark embedder to keep the mark
 * under the threshold (src/wm/wm_embed.c).
 */
#ifndef AIM_DSP_MASKING_H
#define AIM_DSP_MASKING_H

#include <stddef.h>
#include <stdint.h>

#define DSP_MASKING_MAX_BANDS 26

typedef struct dsp_masking dsp_masking;

/** Model for frames of n samples (power of two, 64..65536) at rate Hz,
 *  analysed with the periodic Hann window of dsp_hann. NULL on a bad
 *  argument or out of memory. */
dsp_masking *dsp_masking_new(int rate, size_t n);
void dsp_masking_free(dsp_masking *m);

/** Number of bands, and the band of each bin 0..n/2 (read-only table). */
size_t dsp_masking_bands(const dsp_masking *m);
const uint8_t *dsp_masking_band_of(const dsp_masking *m);

/** pw: power |X_k|^2 of bins 0..n/2 of the Hann-windowed frame (unscaled
 *  forward FFT); thr: dsp_masking_bands() tolerated noise powers, same
 *  units (summed over each band's bins). */
void dsp_masking_threshold(const dsp_masking *m, const float *pw, float *thr);

#endif
