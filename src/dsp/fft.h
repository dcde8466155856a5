/*
 * Real FFT, power-of-two sizes (libavutil's av_tx underneath, fft.c). A
 * plan holds the transform and its scratch, so transforming a frame
 * allocates nothing.
 *
 * Layout of a spectrum of an N-point real signal: N/2+1 complex bins as
 * interleaved floats re0, im0, re1, im1, ... re[N/2], im[N/2] (N+2 floats).
 * Forward is unscaled (X[k] = sum x[n] e^{-2 pi i k n / N}); inverse
 * divides by N, so inverse(forward(x)) == x.
 *
 * A plan holds scratch buffers: one plan must not be used by two threads
 * at once (each owner in the library has its own). Buffers of any
 * alignment are accepted; 64-byte aligned ones skip a copy.
 */
#ifndef AIM_DSP_FFT_H
#define AIM_DSP_FFT_H

#include <stddef.h>

typedef struct dsp_fft dsp_fft;

/** Plan for an n-point real FFT; n a power of two, 4 <= n <= 65536.
 *  Returns NULL on a bad size or out of memory. */
dsp_fft *dsp_fft_new(size_t n);
void dsp_fft_free(dsp_fft *p);
size_t dsp_fft_size(const dsp_fft *p);

/** in: n real samples; out: n+2 floats (n/2+1 complex bins). in and out
 *  must not overlap. */
void dsp_fft_forward(dsp_fft *p, const float *in, float *out);
/** in: n+2 floats (n/2+1 bins; imaginary parts of bins 0 and n/2 are
 *  ignored); out: n real samples, scaled by 1/n. Must not overlap. */
void dsp_fft_inverse(dsp_fft *p, const float *in, float *out);

/** Periodic Hann window of length n (sums to a constant at hop n/2). */
void dsp_hann(float *w, size_t n);

#endif
