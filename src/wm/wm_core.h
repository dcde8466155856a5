/*
 * Shared internals of the watermark: the fixed internal frame grid, the
 * key-derived layout of the mark in the time-frequency plane, and the
 * payload code (check + polar code, wm_code.c). See wm.c for the design.
 */
#ifndef AIM_WM_CORE_H
#define AIM_WM_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "aimark/wm.h"
#include "dsp/resample.h"

#define WM_RATE 16000 /* internal rate, Hz */
#define WM_N 1024     /* frame (64 ms) */
#define WM_HOP 512    /* hop = one slot (32 ms) */
#define WM_K0 20      /* first marked bin: 312.5 Hz */
#define WM_K1 232     /* one past the last: 3625 Hz */
#define WM_NBINS (WM_K1 - WM_K0)
#define WM_PASS_HZ 3900.0 /* resamplers keep 0..3.9 kHz clean (band x 1.06) */
#define WM_GROUPS 16  /* bin groups per frame; group 0 carries sync */
#define WM_DGROUPS (WM_GROUPS - 1)
#define WM_PERIOD 236 /* slots per repetition of the codeword (7.55 s) */
#define WM_CHIP 4     /* slots per chip: a chip of a group carries one key-
                       * signed symbol as +s -s +s -s over WM_CHIP slots */
#define WM_CHIPS (WM_PERIOD / WM_CHIP) /* chips per group and period */
#define WM_CHECK_BITS 50
#define WM_MSG_BITS (64 + WM_CHECK_BITS)
#define WM_CODED 512 /* polar code length (wm_code.c) */
#ifndef WM_LIST
#define WM_LIST 16 /* paths kept and checked per decode (CRC-aided SCL) */
#endif
#define WM_POLAR_DESIGN 1.0 /* LLR mean per coded bit the code is built for */

typedef struct wm_layout {
    uint8_t group[WM_NBINS];  /* group of each marked bin */
    int8_t sign[WM_NBINS];    /* fixed +-1 per bin */
    uint8_t group_size[WM_GROUPS];
    int8_t sync[WM_PERIOD];   /* sync symbol per slot (group 0) */
    uint16_t cell_bit[WM_PERIOD][WM_DGROUPS]; /* coded bit of a data cell */
    int8_t cell_sign[WM_PERIOD][WM_DGROUPS];  /* scrambling sign x chip pattern */
    uint16_t bit_cells[WM_CODED];             /* data cells per coded bit and period */
    uint64_t check_mask;                      /* key-dependent, WM_CHECK_BITS */
} wm_layout;

/* Resampler for the mark's paths: the short band-only filter, or the full
 * one at host rates too low for it (below ~9.75 kHz). */
static inline dsp_resampler *wm_resampler_new(int in_rate, int out_rate, size_t max_chunk)
{
    dsp_resampler *r = dsp_resampler_new_band(in_rate, out_rate, max_chunk, WM_PASS_HZ);
    return r ? r : dsp_resampler_new(in_rate, out_rate, max_chunk);
}

void wm_layout_init(wm_layout *l, const aim_wm_key *key);

/* Payload code (wm_code.c): check bits and polar code. */

/** coded[i] = +-1 for the WM_CODED coded bits of payload (+1: bit 1). */
void wm_encode(const wm_layout *l, uint64_t payload, int8_t *coded);

/** CRC-aided list decode (soft > 0 means bit 1); returns 1 and *payload if
 *  the key-masked check of one of the WM_LIST paths matches, 0 if not, -1
 *  out of memory. *raw (may be NULL) receives the 64 payload bits of the
 *  best path whatever the check says. */
int wm_decode(const wm_layout *l, const float *soft, uint64_t *payload, uint64_t *raw);

/** For tests: the message inputs of the polar code by density evolution
 *  (Gaussian approximation) at LLR mean m0; bit i of word i / 64, MSB
 *  first. wm_code.c keeps the result for WM_POLAR_DESIGN as a table. */
void wm_polar_design(double m0, uint64_t info[WM_CODED / 64]);

/** The table in use (WM_CODED / 64 words). */
const uint64_t *wm_polar_info(void);

/** For benchmarks: the 64 payload bits the last run decoded from its best
 *  candidate (the accepted one when found), check or not. */
uint64_t wm_detector_raw_bits(const aim_wm_detector *d);

/** For tests: the largest difference between the detector's vector
 *  (SSE2) and plain C per-frame feature kernels on one random frame
 *  (0 expected; 0 too where only the C kernel is built). */
float wm_frame_features_diff(uint64_t seed);

/** +-1 symbol of cell (slot t, group g) for a coded word. */
static inline int wm_symbol(const wm_layout *l, const int8_t *coded, size_t t, size_t g)
{
    if (g == 0)
        return l->sync[t];
    return l->cell_sign[t][g - 1] * coded[l->cell_bit[t][g - 1]];
}

_Static_assert(WM_PERIOD % WM_CHIP == 0, "chips tile the period");
_Static_assert(WM_CHIPS * WM_DGROUPS >= WM_CODED, "every coded bit has a chip");

#endif
