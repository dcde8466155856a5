/*
 * aimark audio watermark: design.
 *
 * Internal rate. Whatever the host rate (8-96 kHz) and channel count, the
 * mark is computed on a mono downmix resampled to 16 kHz (src/dsp
 * resampler), lives in 312-3625 Hz (inside the telephone band, below any
 * 4 kHz lowpass, in the range every perceptual codec keeps), and is
 * resampled back to the host rate and added to every channel. So one
 * detector handles every rate, and resampling attacks only touch what the
 * internal path already does.
 *
 * Time-frequency plane. 1024-point frames (64 ms) with hop 512 (32 ms, one
 * "slot"), Hann analysis. The 212 bins of the band are split by the key
 * into 16 interleaved groups of ~13 bins, and each bin gets a fixed key
 * sign c(k). A cell is (slot, group); it carries one +-1 symbol s.
 * Embedding multiplies each band bin of the host frame by (1 + d_k c(k) s)
 * (patchwork in the log-magnitude domain, phase kept): the mark is
 * d_k c(k) s X(k), inverse-transformed, tapered by a Tukey window (flat,
 * 8 ms cosine edges: the circular filter's wrap-around never reaches the
 * output, nothing jumps at frame edges) and overlap-added.
 *
 * Shaping (psychoacoustic allocation, wm_embed.c do_frame). The mark's
 * power in bin k follows env_k^0.3, env the host's power smoothed over
 * +-190 Hz: shaped like the host but strongly compressed, so that the
 * weaker parts of the band, where a relative change costs little energy
 * and the log-domain detector gains the most, get their share. Three
 * caps: no bin's relative change exceeds 1.5 (a plus cell at most x2.5;
 * a minus cell may empty a valley bin, or turn its phase over at half its
 * magnitude); in every critical band the mark stays under the host's
 * simultaneous-masking threshold (dsp/masking.h: Johnston's model, with
 * its tonality estimate); and the frame's mark energy is the requested
 * SNR + 0.2 dB under a level-dependent reference: the geometric mean of
 * the frame's own energy and the running mean of the last ~3 s, at most
 * 5 dB over the frame's own (quiet frames - consonants, decays, soft
 * passages - get a mark stronger relative to themselves, loud ones a
 * weaker one; measured +0.05 to +0.2 in decode probability on the hard
 * codec cases). A guard holds the running mark energy of the last ~3 s
 * (measured on the output, after the overlap-add: neighbouring frames'
 * marks are correlated, so their energies do not simply add) at the
 * running share: it scales budgets down after a burst that
 * follows silence, and up (at most +3 dB) where the level rule alone
 * leaves the stretch under budget (Jensen's inequality: 31.5 dB on speech
 * without it, 1.3 dB of mark unused). Any ~3 s stretch, and so the whole
 * file, comes out at the requested SNR (30.2-30.3 dB at the default 30;
 * worst second next to a 20 dB level jump ~21 dB, tests/unit/test_wm.c,
 * every band still under its masking threshold). What a cap removes
 * is water-filled into the bins and bands still under their caps; a frame
 * whose caps all bind gets a weaker mark.
 *
 * Chips. Symbols are not set cell by cell: 4 consecutive slots of a
 * group (a chip, aligned on multiples of 4 in the period) carry one key-
 * signed symbol s as +s -s +s -s. A frame's mark spreads evenly over its
 * 64 ms (the per-bin gains are a filter with a long, noise-like impulse
 * response), so with 50 % overlap every cell leaks half into each
 * neighbour, and the detector's temporal high-pass (below) then keeps
 * only about half of an isolated cell; a symbol that alternates from slot
 * to slot is kept whole by both, and it sits at the fastest modulation,
 * where the host's own log-spectral change is weakest. Measured at the
 * same SNR on the lab's hard cases: 119 -> 126 of 144 decoded (held-out
 * set 117 -> 122), Opus 16k and noise 20 dB on every lab clip.
 *
 * Group 0 carries a key sync sequence of chips over the 236-slot period;
 * the other 15 groups carry the codeword: 885 data chips per period, each
 * of the 512 coded bits on 1-2 chips at key-chosen slots and groups with
 * key scrambling signs. A period is 7.55 s, so any 10 s clip holds every
 * chip at least once whatever its start.
 *
 * Payload code (wm_code.c). 64 payload bits + 50 check bits (CRC-64/
 * ECMA-182 of the payload, low 50 bits, XOR a key-derived mask) on the
 * 114 most reliable inputs of a length-512 polar code, decoded by CRC-
 * aided successive-cancellation list decoding with 16 paths. Against the
 * K = 9 rate-1/3 convolutional code with list Viterbi it replaced: 0.55 dB
 * less signal for the same error rate (bench/wm/code_sim.c), decode
 * probability on 72 real attacked cases 0.832 -> 0.871 on average.
 *
 * Detection (blind). The clip is resampled to 16 kHz and one log-magnitude
 * spectrogram is computed at hop 64 (an eighth of a slot), bins 17-245
 * (the band plus room for frequency scaling), floored 40 dB under the
 * band mean. Every hypothesis reads it: a speed factor a (35 values,
 * 0.949 to 1.051 in 0.3 % steps) on one of three lines, and a grid offset
 * (0, 128, 256, 384). A speed change by resampling scales time by 1/a and
 * frequency by a; a tempo change with the pitch kept (WSOLA, phase
 * vocoder: sox tempo, players' speed-up) scales time only; a pitch shift
 * with the tempo kept (sox pitch, voice changers) frequency only. So
 * a hypothesis is a time factor a_t and a frequency factor a_f with
 * a_t = a_f = a (speed), a_t = a, a_f = 1 (tempo) or a_t = 1, a_f = a
 * (pitch): 103 scale hypotheses. Original frame j is the fine frame
 * nearest (off + 512 j) / a_t, original bin k is read at k a_f by linear
 * interpolation of log magnitudes. (WSOLA also moves each ~60 ms grain
 * by up to ~15 ms to keep the waveform continuous; the chips' 4-slot
 * pattern keeps most of the mark through that: tempo 0.95/1.05 and pitch
 * +-50 cents decode at the margin of an unattacked clip.)
 * Features per frame: per bin the change against the two neighbouring
 * frames (removes the host's steady spectrum), minus the band-wide mean
 * change (loudness, syllable envelope), clipped at 1.6 nepers; per group
 * r = sum w(k) c(k) h(k) (gain and polarity do not change it), with a
 * fixed weight w(k) = (k / 20)^-0.3 (0.56 at the top of the band): after
 * low-rate codecs and added noise the low part of the band keeps more of
 * the mark (bench/wm/lab.sh, per-band z). Each frame is scaled by its own spread over
 * the groups and by 1 - N/P, P its band power and N the clip's noise
 * floor (5th percentile of frame powers: under added noise a frame keeps
 * about S/(S+N) of the mark, frames at the floor none), each group
 * normalised and clipped at 3 sigma. For each
 * hypothesis the period phases are ranked by the coherent energy of the
 * soft bits plus half the sync correlation, both as z-scores against
 * their spread without a mark (all 236 phases at a = 1; the 6 best by
 * sync alone otherwise). A wrong scale drifts by its error times the clip
 * length, so scaled hypotheses are searched in windows of 320 slots
 * (10.2 s; cost linear in the length); at a = 1 the whole clip is also
 * searched at once. The best 8 candidates are list-decoded; one that
 * fails is decoded twice more, a scaled one at +-1/3 of the scale step,
 * an unscaled one half a grid step (64 samples) earlier and later: a
 * mark read 64 samples off its frames loses ~0.7 dB, which the 128-sample
 * search grid leaves on the table (24 decodes at most). A candidate is
 * accepted only if its check matches.
 *
 * False positives. On unmarked audio (or with the wrong key) the decoded
 * 114-bit word is in effect random, so one path passes the 50-bit check
 * with probability 2^-50 = 8.9e-16; a decode checks at most WM_LIST = 16
 * paths and a detector run makes at most 24 decodes: 384 words, < 3.4e-13
 * per run (per analysed window). The check mask depends on the key, so
 * another key's mark is not accepted either.
 *
 * Presence (aim_wm_detector_presence). T = sum(r_c y_c) / sqrt(sum y_c^2)
 * over the chips whose symbols r_c are known (sync; all chips when the
 * payload is given), y_c the chip's features combined with its +-+-
 * pattern, maximised over H = scales x offsets x phases x windows of at
 * most one period (no chip repeats): whole periods tiling the clip and,
 * with the payload known, 3 s windows every 1.5 s too, so that a short
 * marked stretch inside unmarked audio (a spliced sentence, a live insert)
 * is not diluted by a period of unmarked chips. With the payload known,
 * 3 s of lightly attacked audio reach T ~ 10-12, pfa ~ 1e-18..1e-27; the
 * sync chips alone (payload unknown) are 1/16 of the mark and, T being at
 * most sqrt(chips), cannot reach 1e-12 in one period. For audio not marked with this key,
 * the chips' key signs are fair coins independent of the audio, so
 * Hoeffding gives P(T >= x) <= exp(-x^2/2) per hypothesis and the union
 * bound pfa <= H exp(-x^2/2); present when that is <= max_pfa (1e-12).
 * (Normalising by the cells' sum z^2 instead would overstate T: the
 * high-passed features of neighbouring slots are correlated.)
 *
 * Localisation. Once decoded, the expected symbol of every cell is known;
 * per frame the match sum(s * r) over the 16 groups is averaged over ~1 s
 * (31 frames, scaled by the spread of the chips' sums without the mark)
 * at the decoded scale and offset, and the frames whose
 * window is above threshold form the reported segments (gaps under 1 s
 * closed). A payload decoded from one window of a longer scaled clip has
 * its scale, offset and phase refined on the whole clip first.
 *
 * Streaming. The embedder keeps its state in the handle (resampler
 * history, analysis frame, overlap-add accumulator, host delay line); any
 * block size, bounded latency about one frame plus the resampler filters
 * (~66 ms at 44.1 kHz). Both resamplers only keep 0-3.9 kHz clean (the
 * mark's band), so their filters are short. The detector keeps up to
 * max_seconds of 16 kHz audio and can be run again as more is fed.
 *
 * Not handled: time or frequency changes beyond +-5 %, and changes of
 * time and frequency by different factors both away from 1 (e.g. a
 * tempo change and a pitch shift applied together: only the three lines
 * above are searched, not the whole plane); see docs/WATERMARK.md.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "wm/wm_core.h"

/* ---- key ---------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

int aim_wm_key_from_bytes(aim_wm_key *key, const void *bytes, size_t n)
{
    if (!key || !bytes || n != AIM_WM_KEY_BYTES)
        return AIM_ERR_INVALID_ARG;
    memcpy(key->bytes, bytes, AIM_WM_KEY_BYTES);
    return AIM_OK;
}

int aim_wm_key_from_seed(aim_wm_key *key, uint64_t seed)
{
    if (!key)
        return AIM_ERR_INVALID_ARG;
    uint64_t s = seed ^ 0x61696d61726bULL;
    for (size_t i = 0; i < AIM_WM_KEY_BYTES; i += 8) {
        uint64_t v = splitmix64(&s);
        for (size_t b = 0; b < 8; b++)
            key->bytes[i + b] = (unsigned char)(v >> (8 * b));
    }
    return AIM_OK;
}

/* A key-seeded stream (not a cryptographic PRF: the key only has to make
 * the layout unpredictable enough that another key's mark does not match). */
static uint64_t key_stream_seed(const aim_wm_key *key, uint64_t domain)
{
    uint64_t s = domain;
    for (size_t i = 0; i < AIM_WM_KEY_BYTES; i += 8) {
        uint64_t w = 0;
        for (size_t b = 0; b < 8; b++)
            w |= (uint64_t)key->bytes[i + b] << (8 * b);
        s ^= w;
        s = splitmix64(&s);
    }
    return s;
}

static uint32_t rnd_below(uint64_t *s, uint32_t n) { return (uint32_t)((splitmix64(s) >> 32) % n); }

void wm_layout_init(wm_layout *l, const aim_wm_key *key)
{
    uint64_t s = key_stream_seed(key, 0x4c41594f55543031ULL);
    /* bins -> groups: a shuffled round robin, so groups are equal in size
     * and spread over the band */
    uint16_t perm[WM_NBINS];
    for (uint16_t i = 0; i < WM_NBINS; i++)
        perm[i] = i;
    for (uint32_t i = WM_NBINS - 1; i > 0; i--) {
        uint32_t j = rnd_below(&s, i + 1);
        uint16_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    memset(l->group_size, 0, sizeof l->group_size);
    for (size_t i = 0; i < WM_NBINS; i++) {
        l->group[perm[i]] = (uint8_t)(i % WM_GROUPS);
        l->group_size[i % WM_GROUPS]++;
        l->sign[i] = (splitmix64(&s) >> 63) ? 1 : -1;
    }
    /* Chips: WM_CHIP consecutive slots of a group (aligned on multiples
     * of WM_CHIP in the period) carry one symbol as +s -s +s -s. The
     * detector's per-bin temporal high-pass and the 50 % frame overlap
     * (a frame's mark spreads evenly over its 64 ms, so neighbouring
     * cells leak into each other) keep a symbol that alternates from slot
     * to slot whole, where one held over several slots, or independent
     * slots, lose part of it to the neighbours; and the host's own
     * log-spectral change is weakest at that fastest modulation. Measured
     * on the lab's hard cases: decodes 119 -> 124 of 144 at the same SNR
     * (docs/WATERMARK.md). */
    for (size_t t = 0; t < WM_PERIOD; t += WM_CHIP) {
        int8_t r = (splitmix64(&s) >> 63) ? 1 : -1;
        for (size_t u = 0; u < WM_CHIP; u++)
            l->sync[t + u] = (int8_t)(u % 2 ? -r : r);
    }
    /* data chips -> coded bits: chip i carries bit i mod WM_CODED, chips
     * shuffled over the period and the groups */
    enum { NCHIP = WM_CHIPS * WM_DGROUPS };
    uint16_t chips[NCHIP];
    for (size_t i = 0; i < NCHIP; i++)
        chips[i] = (uint16_t)(i % WM_CODED);
    for (size_t i = NCHIP - 1; i > 0; i--) {
        size_t j = rnd_below(&s, (uint32_t)(i + 1));
        uint16_t t = chips[i];
        chips[i] = chips[j];
        chips[j] = t;
    }
    memset(l->bit_cells, 0, sizeof l->bit_cells);
    for (size_t i = 0; i < NCHIP; i++) {
        size_t c = i / WM_DGROUPS, g = i % WM_DGROUPS;
        int8_t r = (splitmix64(&s) >> 63) ? 1 : -1;
        for (size_t u = 0; u < WM_CHIP; u++) {
            l->cell_bit[c * WM_CHIP + u][g] = chips[i];
            l->cell_sign[c * WM_CHIP + u][g] = (int8_t)(u % 2 ? -r : r);
        }
        l->bit_cells[chips[i]] += WM_CHIP;
    }
    l->check_mask = splitmix64(&s) & ((1ULL << WM_CHECK_BITS) - 1);
}
