/*
 * LFCC front-end of the ASVspoof 2019 LA baseline B02 (Sahidullah's
 * extract_lfcc.m with fs = 16 kHz, 20 ms, NFFT 512, 20 filters), as a
 * stream: pre-emphasis [1 -0.97], 320-sample symmetric Hamming frames every
 * 160 samples (frame t = samples 160t .. 160t+319, full frames only), 512-
 * point power spectrum, 20 triangular filters with edges linspace(0, 8000,
 * 22) Hz, log10(. + 2.2204e-16), orthonormal DCT-II keeping all 20 (c0
 * included); deltas as deltas(x, 3): d[t] = x[t+1] - x[t-1] with the edge
 * frames repeated, and the same again on the deltas. 60 values per frame:
 * 20 static, 20 delta, 20 delta-delta.
 *
 * Because of the deltas a frame is emitted two frames late; lfcc_finish()
 * emits the last two. Nothing is allocated after lfcc_new().
 */
#ifndef AIM_DETECT_LFCC_H
#define AIM_DETECT_LFCC_H

#include <stddef.h>

#define LFCC_RATE 16000
#define LFCC_WIN 320
#define LFCC_HOP 160
#define LFCC_NFFT 512
#define LFCC_NFILT 20
#define LFCC_NCEP 20
#define LFCC_DIM 60
/* A frame counts as voiced when the mean square of its raw samples reaches
 * this (-60 dBFS). */
#define LFCC_VOICE_MS 1e-6

typedef struct lfcc lfcc;

/* Called for every finished frame: 60 features and the voiced flag. */
typedef void (*lfcc_sink)(void *ctx, const float *feat, int voiced);

lfcc *lfcc_new(void);
void lfcc_free(lfcc *f);
void lfcc_reset(lfcc *f);
/* Feed 16 kHz mono samples; calls sink for each frame that became final. */
void lfcc_push(lfcc *f, const float *x, size_t n, lfcc_sink sink, void *ctx);
/* End of input: emit the frames still waiting for their deltas. */
void lfcc_finish(lfcc *f, lfcc_sink sink, void *ctx);
/* Frames emitted so far. */
size_t lfcc_frames(const lfcc *f);

#endif
