/*
 * Streaming embedder. Pipeline (design in wm.c):
 *   host block -> delay line ----------------------------------+--> out
 *             \-> mono -> resample to 16 kHz -> frames -> mark |
 *                 -> overlap-add -> resample to host rate -----/
 * Every stage is time-aligned (zero-phase resamplers, frames on a fixed
 * grid from sample 0), so the mark for host sample n is added to host
 * sample n; the output only lags by buffering.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/fft.h"
#include "dsp/masking.h"
#include "dsp/resample.h"
#include "wm/wm_core.h"

#define CHUNK 1024       /* host frames processed at once */
#define DEPTH_MAX 1.5f   /* largest relative change d of one bin: a plus cell at
                          * most x2.5 (+8 dB); a minus cell empties the bin at
                          * d = 1, past it turns its phase over at |1 - d| <= 0.5.
                          * 1.0 before 2026-12-06; 1.5 raised the lab's margin z
                          * by 3 % on every attack row at +0.1 dB strict NMR
                          * (docs/WATERMARK.md, tuning lab) */
#define SNR_MARGIN 0.2f  /* dB kept above the requested SNR, see do_frame */
#define ENV_HALF 12      /* envelope smoothing, bins each side (~190 Hz) */
#define ENV_POW 0.3      /* mark power ~ envelope^ENV_POW, see do_frame */
#define FILL_ITER 12     /* water-filling iterations per frame */
#define LEVEL_POW 0.5    /* frame budget ~ host^LEVEL_POW * running mean^(1-LEVEL_POW) */
#define LEVEL_TAU 94.0   /* running means over ~3 s (frames) */
#define BOOST_DB 5.0     /* a frame's budget is at most this much over its own share */
#define GUARD_MAX 2.0    /* the guard raises budgets by at most this factor (+3 dB) */
#ifndef MASK_DB
#define MASK_DB 0.0f     /* mark power per band relative to the masking threshold */
#endif

struct aim_wm_embedder {
    int rate, ch, failed, flushed;
    float snr_lin; /* 10^(-(snr + margin)/10) */
    float taper;   /* mean square of the synthesis taper */
    float mask_gain; /* 10^(MASK_DB/10) */
    float boost_max; /* 10^(BOOST_DB/10) */
    double level;    /* running mean of the host's frame energy */
    double hrun, mrun; /* running means of host share and mark energy */
    double guard;    /* scales budgets to keep mrun at its target (0.25..GUARD_MAX) */
    wm_layout layout;
    int8_t coded[WM_CODED];
    dsp_fft *fft;
    dsp_masking *mask;
    dsp_resampler *down, *up;
    float win[WM_N], syn[WM_N];
    float frame[WM_N], spec[WM_N + 2], tmp[WM_N];
    float *ibuf;   /* internal samples of the next frame onwards */
    size_t ilen, icap;
    int64_t fidx;  /* index of the next frame; it starts at internal sample fidx*HOP */
    float macc[WM_N]; /* mark accumulator for internal [fidx*HOP, fidx*HOP + N) */
    float *mono;   /* CHUNK */
    float *mfifo;  /* mark at host rate */
    size_t mlen, mcap;
    float *hfifo;  /* host delay line, interleaved */
    size_t hlen, hcap; /* in frames */
    size_t latency;
};

void aim_wm_embed_config_init(aim_wm_embed_config *cfg)
{
    if (!cfg)
        return;
    cfg->sample_rate = 44100;
    cfg->channels = 1;
    cfg->target_snr_db = 30.0f;
}

void aim_wm_embedder_free(aim_wm_embedder *e)
{
    if (!e)
        return;
    dsp_fft_free(e->fft);
    dsp_masking_free(e->mask);
    dsp_resampler_free(e->down);
    dsp_resampler_free(e->up);
    free(e->ibuf);
    free(e->mono);
    free(e->mfifo);
    free(e->hfifo);
    free(e);
}

int aim_wm_embedder_new(const aim_wm_embed_config *cfg, const aim_wm_key *key, uint64_t payload,
                        aim_wm_embedder **out)
{
    if (out)
        *out = NULL;
    if (!cfg || !key || !out || cfg->sample_rate < AIM_WM_MIN_RATE ||
        cfg->sample_rate > AIM_WM_MAX_RATE || cfg->channels < 1 ||
        cfg->channels > AIM_WM_MAX_CHANNELS || !(cfg->target_snr_db >= 20.0f) ||
        !(cfg->target_snr_db <= 60.0f))
        return AIM_ERR_INVALID_ARG;
    aim_wm_embedder *e = calloc(1, sizeof *e);
    if (!e)
        return AIM_ERR_NOMEM;
    e->rate = cfg->sample_rate;
    e->ch = cfg->channels;
    e->snr_lin = powf(10.0f, -(cfg->target_snr_db + SNR_MARGIN) / 10.0f);
    e->mask_gain = powf(10.0f, MASK_DB / 10.0f);
    e->boost_max = powf(10.0f, (float)BOOST_DB / 10.0f);
    e->guard = 1.0;
    wm_layout_init(&e->layout, key);
    wm_encode(&e->layout, payload, e->coded);
    /* Hann analysis; the mark of each frame is then tapered by a Tukey
     * window (flat, 8 ms cosine edges) so that the wrap-around of the
     * circular per-bin filter never reaches the output and nothing jumps
     * at frame edges. (A sqrt-Hann pair measured half the detection
     * margin on tonal music: it smears the mark over the neighbours.) */
    dsp_hann(e->win, WM_N);
    for (size_t i = 0; i < WM_N; i++) {
        const double pi = 3.14159265358979323846, edge = WM_N / 8.0;
        double u = (double)(i < WM_N / 2 ? i : WM_N - i);
        e->syn[i] = u < edge ? (float)(0.5 - 0.5 * cos(pi * u / edge)) : 1.0f;
        e->taper += e->syn[i] * e->syn[i] / (float)WM_N;
    }
    e->fft = dsp_fft_new(WM_N);
    e->mask = dsp_masking_new(WM_RATE, WM_N);
    /* both paths only carry the band below WM_PASS_HZ: short filters */
    e->down = wm_resampler_new(e->rate, WM_RATE, CHUNK);
    e->up = wm_resampler_new(WM_RATE, e->rate, WM_HOP);
    if (!e->fft || !e->mask || !e->down || !e->up)
        goto nomem;
    /* Latency bound in host frames: one frame plus the up filter at the
     * internal rate, plus the down filter at the host rate, rounded up. */
    double lat = (double)(WM_N + dsp_resampler_delay(e->up) + 2) * e->rate / WM_RATE +
                 (double)dsp_resampler_delay(e->down) + 4.0;
    e->latency = (size_t)ceil(lat);
    e->icap = WM_N + (size_t)CHUNK * WM_RATE / AIM_WM_MIN_RATE + 64;
    e->mcap = e->latency + 2 * CHUNK + (size_t)WM_HOP * e->rate / WM_RATE + 64;
    e->hcap = e->mcap;
    e->ibuf = malloc(e->icap * sizeof *e->ibuf);
    e->mono = malloc(CHUNK * sizeof *e->mono);
    e->mfifo = malloc(e->mcap * sizeof *e->mfifo);
    e->hfifo = malloc(e->hcap * (size_t)e->ch * sizeof *e->hfifo);
    if (!e->ibuf || !e->mono || !e->mfifo || !e->hfifo)
        goto nomem;
    /* frame -1 starts at internal sample -HOP: HOP zeros before time 0 */
    e->fidx = -1;
    memset(e->ibuf, 0, WM_HOP * sizeof *e->ibuf);
    e->ilen = WM_HOP;
    *out = e;
    return AIM_OK;
nomem:
    aim_wm_embedder_free(e);
    return AIM_ERR_NOMEM;
}

size_t aim_wm_embedder_latency(const aim_wm_embedder *e) { return e ? e->latency : 0; }

/* Mark one frame (ibuf[0..N)) into macc, emit the HOP final samples. */
static int do_frame(aim_wm_embedder *e)
{
    for (size_t i = 0; i < WM_N; i++)
        e->frame[i] = e->ibuf[i] * e->win[i];
    dsp_fft_forward(e->fft, e->frame, e->spec);
    /* Shaping and budget (psychoacoustic allocation):
     *  - shape: the mark's power in bin k follows env_k^ENV_POW, env the
     *    host's power smoothed over +-ENV_HALF bins (~190 Hz). Compressed
     *    well below the host's own shape so that the weaker parts of the
     *    band, where a relative change costs little energy and the
     *    log-domain detector gains the most, get their share;
     *  - no bin changes by more than DEPTH_MAX (relative);
     *  - masking: in every critical band the mark's power stays at or
     *    under the host's simultaneous-masking threshold (dsp/masking.h,
     *    Johnston's model with its tonality estimate);
     *  - budget: the frame's mark energy is target_snr + SNR_MARGIN dB
     *    under the host's energy for the frame's share of time (half of
     *    the frame: frames overlap by 2), so the SNR over any stretch is
     *    the requested one whatever the signal. What the caps remove is
     *    water-filled into the bins and bands still below them; a frame
     *    whose caps all bind (a few pure tones) gets a weaker mark.
     * In bin k the relative change is then d_k = sqrt(P_k) / |X_k|. */
    float *pw = e->tmp; /* power of bins 0..N/2 */
    for (size_t k = 0; k <= WM_N / 2; k++)
        pw[k] = e->spec[2 * k] * e->spec[2 * k] + e->spec[2 * k + 1] * e->spec[2 * k + 1];
    float env[WM_NBINS];
    double eenv = 0;
    double run = 0; /* running sum of pw over k - ENV_HALF .. k + ENV_HALF */
    for (size_t i = WM_K0 - ENV_HALF; i <= WM_K0 + ENV_HALF; i++)
        run += pw[i];
    for (size_t k = WM_K0; k < WM_K1; k++) {
        if (k > WM_K0)
            run += (double)pw[k + ENV_HALF] - pw[k - ENV_HALF - 1];
        double m = run / (2 * ENV_HALF + 1);
        env[k - WM_K0] = m > 1e-30 ? expf((float)ENV_POW * logf((float)m)) : 0.0f;
        eenv += env[k - WM_K0];
    }
    double host = 0;
    for (size_t i = 0; i < WM_N; i++)
        host += (double)e->ibuf[i] * e->ibuf[i];
    /* Level-dependent budget: the frame's energy share times
     * (running mean / frame)^(1 - LEVEL_POW), at most BOOST_DB over the
     * share. Quiet frames (consonants, decays, soft passages) get a
     * stronger mark relative to themselves, loud ones a weaker one; by
     * Jensen's inequality the total stays under the requested SNR when
     * the running mean is the mean. The guard below holds the last ~3 s
     * at their share: down whenever they spent more (a burst after
     * silence), up (at most GUARD_MAX) while they spent less, so no mark
     * energy the requested SNR allows is left unused. The masking cap
     * still bounds every band of every frame. */
    e->level = e->level > 0 ? e->level + (host - e->level) / LEVEL_TAU : host;
    double ref = host;
    if (host > 0 && e->level > 0) {
        ref = pow(e->level, 1.0 - LEVEL_POW) * pow(host, LEVEL_POW);
        if (ref > host * e->boost_max)
            ref = host * e->boost_max;
    }
    double e_target = 0.5 * ref * e->snr_lin * e->guard; /* mark energy after the taper */
    /* the same in one-sided spectral power (Parseval: sum m^2 = 2/N sum
     * |M_k|^2 over 0 < k < N/2), before the taper */
    double m_target = e_target * WM_N / (2.0 * e->taper);
    float thr[DSP_MASKING_MAX_BANDS], bscale[DSP_MASKING_MAX_BANDS];
    const uint8_t *band = dsp_masking_band_of(e->mask);
    size_t nband = dsp_masking_bands(e->mask);
    dsp_masking_threshold(e->mask, pw, thr);
    for (size_t b = 0; b < nband; b++) {
        thr[b] *= e->mask_gain;
        bscale[b] = 1.0f;
    }
    const double cap2 = (double)DEPTH_MAX * DEPTH_MAX;
    double gamma2 = eenv > 0 ? m_target / eenv : 0.0;
    /* total(gamma2) grows sublinearly (caps), so scaling gamma2 by
     * target / total approaches the target from below */
    for (int it = 0; it < FILL_ITER && gamma2 > 0; it++) {
        double bt[DSP_MASKING_MAX_BANDS] = {0}, total = 0;
        for (size_t k = WM_K0; k < WM_K1; k++) {
            double v = gamma2 * env[k - WM_K0], c = cap2 * pw[k];
            bt[band[k]] += v < c ? v : c;
        }
        for (size_t b = 0; b < nband; b++) {
            bscale[b] = 1.0f;
            if (bt[b] > thr[b]) {
                bscale[b] = (float)(thr[b] / bt[b]);
                bt[b] = thr[b];
            }
            total += bt[b];
        }
        if (!(total > 0) || total >= 0.999 * m_target)
            break;
        gamma2 *= m_target / total;
    }
    size_t t = (size_t)(((e->fidx % WM_PERIOD) + WM_PERIOD) % WM_PERIOD);
    for (size_t k = 0; k < WM_K0; k++)
        e->spec[2 * k] = e->spec[2 * k + 1] = 0.0f;
    for (size_t k = WM_K0; k < WM_K1; k++) {
        size_t b = k - WM_K0;
        float depth = 0.0f;
        if (pw[k] > 1e-20f) {
            double v = gamma2 * env[b], c = cap2 * pw[k];
            depth = (float)sqrt((v < c ? v : c) * bscale[band[k]] / pw[k]);
        }
        float g = depth * (float)(e->layout.sign[b] *
                                  wm_symbol(&e->layout, e->coded, t, e->layout.group[b]));
        e->spec[2 * k] *= g;
        e->spec[2 * k + 1] *= g;
    }
    for (size_t k = WM_K1; k <= WM_N / 2; k++)
        e->spec[2 * k] = e->spec[2 * k + 1] = 0.0f;
    dsp_fft_inverse(e->fft, e->spec, e->tmp);
    /* the Parseval estimate assumes the mark spread evenly over the frame;
     * measure it, and scale down if the taper kept more than planned */
    double em = 0;
    for (size_t i = 0; i < WM_N; i++) {
        e->tmp[i] *= e->syn[i];
        em += (double)e->tmp[i] * e->tmp[i];
    }
    float fix = em > e_target ? (float)sqrt(e_target / em) : 1.0f;
    /* the guard: running mark energy against the running budget */
    e->hrun += (0.5 * host * e->snr_lin - e->hrun) / LEVEL_TAU;
    for (size_t i = 0; i < WM_N; i++)
        e->macc[i] += e->tmp[i] * fix;
    /* macc[0..HOP) is now final: the mark actually added over this hop
     * (the overlapping frames' marks are correlated, so their energies do
     * not simply add) */
    double eh = 0;
    for (size_t i = 0; i < WM_HOP; i++)
        eh += (double)e->macc[i] * e->macc[i];
    e->mrun += (eh - e->mrun) / LEVEL_TAU;
    e->guard = e->mrun > e->hrun ? e->guard / 1.01 : e->guard * 1.01;
    if (e->guard > GUARD_MAX)
        e->guard = GUARD_MAX;
    if (e->guard < 0.25)
        e->guard = 0.25;
    /* macc[0..HOP) is final: internal samples fidx*HOP .. +HOP */
    if (e->fidx >= 0) {
        if (dsp_resampler_push(e->up, e->macc, WM_HOP) != 0)
            return AIM_ERR_BAD_STATE;
        size_t room = e->mcap - e->mlen;
        e->mlen += dsp_resampler_pull(e->up, e->mfifo + e->mlen, room);
    }
    memmove(e->macc, e->macc + WM_HOP, (WM_N - WM_HOP) * sizeof *e->macc);
    memset(e->macc + WM_N - WM_HOP, 0, WM_HOP * sizeof *e->macc);
    memmove(e->ibuf, e->ibuf + WM_HOP, (e->ilen - WM_HOP) * sizeof *e->ibuf);
    e->ilen -= WM_HOP;
    e->fidx++;
    return AIM_OK;
}

/* Feed n mono samples (n <= CHUNK) into the analysis path. */
static int analyse(aim_wm_embedder *e, const float *mono, size_t n)
{
    if (dsp_resampler_push(e->down, mono, n) != 0)
        return AIM_ERR_BAD_STATE;
    for (;;) {
        size_t got = dsp_resampler_pull(e->down, e->ibuf + e->ilen, e->icap - e->ilen);
        e->ilen += got;
        while (e->ilen >= WM_N) {
            int rc = do_frame(e);
            if (rc)
                return rc;
        }
        if (!got)
            break;
    }
    return AIM_OK;
}

/* Move min(host, mark, cap) frames to out. */
static size_t emit(aim_wm_embedder *e, float *out, size_t cap)
{
    size_t n = e->hlen < e->mlen ? e->hlen : e->mlen;
    if (n > cap)
        n = cap;
    size_t ch = (size_t)e->ch;
    for (size_t i = 0; i < n; i++) {
        float m = e->mfifo[i];
        for (size_t c = 0; c < ch; c++)
            out[i * ch + c] = e->hfifo[i * ch + c] + m;
    }
    memmove(e->hfifo, e->hfifo + n * ch, (e->hlen - n) * ch * sizeof *e->hfifo);
    e->hlen -= n;
    memmove(e->mfifo, e->mfifo + n, (e->mlen - n) * sizeof *e->mfifo);
    e->mlen -= n;
    return n;
}

int aim_wm_embedder_process(aim_wm_embedder *e, const float *in, size_t frames, float *out,
                            size_t *out_frames)
{
    if (out_frames)
        *out_frames = 0;
    if (!e || !out_frames || (frames && (!in || !out)))
        return AIM_ERR_INVALID_ARG;
    if (e->failed || e->flushed)
        return AIM_ERR_BAD_STATE;
    size_t ch = (size_t)e->ch, done = 0;
    for (size_t pos = 0; pos < frames;) {
        size_t n = frames - pos < CHUNK ? frames - pos : CHUNK;
        const float *blk = in + pos * ch;
        if (e->hlen + n > e->hcap) { /* cannot happen: emit keeps up */
            e->failed = 1;
            return AIM_ERR_BAD_STATE;
        }
        memcpy(e->hfifo + e->hlen * ch, blk, n * ch * sizeof *blk);
        e->hlen += n;
        for (size_t i = 0; i < n; i++) {
            float s = 0;
            for (size_t c = 0; c < ch; c++)
                s += blk[i * ch + c];
            e->mono[i] = isfinite(s) ? s / (float)ch : 0.0f; /* a NaN must not spread over a frame */
        }
        int rc = analyse(e, e->mono, n);
        if (rc) {
            e->failed = 1;
            return rc;
        }
        done += emit(e, out + done * ch, frames - done);
        pos += n;
    }
    *out_frames = done;
    return AIM_OK;
}

int aim_wm_embedder_flush(aim_wm_embedder *e, float *out, size_t cap_frames, size_t *out_frames)
{
    if (out_frames)
        *out_frames = 0;
    if (!e || !out_frames || (!out && cap_frames))
        return AIM_ERR_INVALID_ARG;
    if (e->failed)
        return AIM_ERR_BAD_STATE;
    if (!e->flushed) {
        /* Run silence through the analysis path until every held host
         * frame has its mark. Bounded: the pipeline latency is fixed. */
        memset(e->mono, 0, CHUNK * sizeof *e->mono);
        for (int guard = 0; e->mlen < e->hlen && guard < 64; guard++) {
            int rc = analyse(e, e->mono, CHUNK);
            if (rc) {
                e->failed = 1;
                return rc;
            }
        }
        if (e->mlen < e->hlen) {
            e->failed = 1;
            return AIM_ERR_BAD_STATE;
        }
        e->flushed = 1;
    }
    if (cap_frames < e->hlen)
        return AIM_ERR_BUFFER_TOO_SMALL;
    *out_frames = emit(e, out, cap_frames);
    return AIM_OK;
}
