/*
 * Input conditioning of the detector front-end (model front-end 1).
 *
 * The training corpus goes through one common chain (scripts/detector/
 * corpus/chain.py, version 3): band 150-3800 Hz, and a -75 dBFS full-band
 * white floor. A model trained on it has never seen energy outside the band,
 * so real uploads (full band, digital silence) would be out of its domain.
 * Front-end 1 therefore puts every input, in training (train.py) and at
 * inference (here), through the same stage before the LFCC:
 *   1. a causal IIR band-pass: 4th-order Butterworth high-pass at 150 Hz and
 *      10th-order elliptic low-pass at 3800 Hz (0.1 dB ripple, 80 dB stop),
 *      the coefficients of scipy.signal.butter/ellip(..., fs=16000,
 *      output="sos") (scripts/detector/lfcc_ref.py condition());
 *   2. white noise at -75 dBFS RMS (10^(-75/20)), near-Gaussian, from a
 *      fixed seed, so the stopband and digital silence look like training data.
 * Nothing is allocated; state is 7 biquads and the noise generator.
 */
#ifndef AIM_DETECT_COND_H
#define AIM_DETECT_COND_H

#include <stddef.h>
#include <stdint.h>

#define DET_COND_SECTIONS 7
#define DET_COND_FLOOR_DBFS (-75.0)

typedef struct det_cond {
    double z[DET_COND_SECTIONS][2]; /* transposed direct form II state */
    uint64_t rng;
} det_cond;

void det_cond_reset(det_cond *c);
/* Condition n samples (in and out may be the same buffer). */
void det_cond_run(det_cond *c, const float *in, float *out, size_t n);
/* The band-pass alone, no noise (for tests): magnitude response in dB at hz. */
double det_cond_response_db(double hz);

#endif
