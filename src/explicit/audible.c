/*
 * Audible labels: the rhythm prompt's timing and rendering, the built-in
 * spoken prompt, and the loudness measure both the inserter and the
 * benchmarks use. Design: docs/AUDIBLE.md.
 */
#include <math.h>
#include <string.h>

#include "explicit/audible_internal.h"

#define PI 3.14159265358979323846

void aim_audible_rhythm_init(aim_audible_rhythm *r)
{
    if (!r)
        return;
    r->tone_hz = 1000.0f;
    r->dot_ms = 100.0f;
    r->dash_ms = 300.0f;
    r->gap_ms = 100.0f;
    r->letter_gap_ms = 300.0f;
    r->ramp_ms = 5.0f;
}

static int in_range(float v, float lo, float hi)
{
    return v >= lo && v <= hi; /* false for NaN */
}

int audible_rhythm_check(const aim_audible_rhythm *r, int rate)
{
    if (!r || !in_range(r->tone_hz, 100.0f, 3500.0f) || !in_range(r->dot_ms, 60.0f, 500.0f) ||
        !in_range(r->dash_ms, 2.0f * r->dot_ms, 6.0f * r->dot_ms) ||
        !in_range(r->gap_ms, 60.0f, 1000.0f) ||
        !in_range(r->letter_gap_ms, r->gap_ms, 2000.0f) ||
        !in_range(r->ramp_ms, 1.0f, r->dot_ms / 4.0f))
        return -1;
    if (rate != 0 && (rate < AIM_AUDIBLE_MIN_RATE || rate > AIM_AUDIBLE_MAX_RATE ||
                      r->tone_hz >= 0.45f * (float)rate))
        return -1;
    return 0;
}

void audible_segments_of(const aim_audible_rhythm *r, audible_segments *s)
{
    /* short, gap, long, letter gap, short, gap, short */
    const double len[7] = {r->dot_ms, r->gap_ms, r->dash_ms, r->letter_gap_ms,
                           r->dot_ms, r->gap_ms, r->dot_ms};
    double t = 0.0;
    for (int i = 0; i < 7; i++) {
        s->t0[i] = t;
        t += len[i] / 1000.0;
        s->t1[i] = t;
    }
    s->total = t;
}

static size_t frame_at(double t, int rate)
{
    return (size_t)llround(t * rate);
}

int aim_audible_rhythm_frames(const aim_audible_rhythm *r, int sample_rate, size_t *frames)
{
    if (frames)
        *frames = 0;
    if (!frames || audible_rhythm_check(r, sample_rate) != 0)
        return AIM_ERR_INVALID_ARG;
    audible_segments s;
    audible_segments_of(r, &s);
    *frames = frame_at(s.total, sample_rate);
    return AIM_OK;
}

int aim_audible_rhythm_render(const aim_audible_rhythm *r, int sample_rate, int channels,
                              float peak, float *out, size_t cap_frames, size_t *frames)
{
    size_t n = 0;
    if (!frames)
        return AIM_ERR_INVALID_ARG;
    *frames = 0;
    if (channels < 1 || channels > AIM_AUDIBLE_MAX_CHANNELS || !(peak > 0.0f) ||
        !(peak <= 1.0f) || aim_audible_rhythm_frames(r, sample_rate, &n) != AIM_OK)
        return AIM_ERR_INVALID_ARG;
    if (!out || cap_frames < n) {
        *frames = n;
        return AIM_ERR_BUFFER_TOO_SMALL;
    }
    size_t ch = (size_t)channels;
    memset(out, 0, n * ch * sizeof *out);
    audible_segments s;
    audible_segments_of(r, &s);
    size_t ramp = frame_at(r->ramp_ms / 1000.0, sample_rate);
    double w = 2.0 * PI * r->tone_hz / sample_rate;
    for (int seg = 0; seg < 7; seg += 2) {
        size_t a = frame_at(s.t0[seg], sample_rate), b = frame_at(s.t1[seg], sample_rate);
        size_t len = b - a;
        for (size_t i = 0; i < len; i++) {
            double g = 1.0;
            /* Raised cosine over `ramp` frames at each edge; (i + 0.5)
             * keeps it symmetric, so both edges start and end near 0. */
            if (i < ramp)
                g = 0.5 - 0.5 * cos(PI * ((double)i + 0.5) / (double)ramp);
            else if (len - 1 - i < ramp)
                g = 0.5 - 0.5 * cos(PI * ((double)(len - 1 - i) + 0.5) / (double)ramp);
            float v = (float)(peak * g * sin(w * (double)i));
            for (size_t c = 0; c < ch; c++)
                out[(a + i) * ch + c] = v;
        }
    }
    *frames = n;
    return AIM_OK;
}

/* ---- built-in voice -------------------------------------------------------- */

static float ulaw_decode(unsigned char u)
{
    /* G.711: bits are stored inverted; 3-bit exponent, 4-bit mantissa,
     * bias 0x84 on a 14-bit scale. */
    u = (unsigned char)~u;
    int exp = (u >> 4) & 7, mant = u & 15;
    int mag = (((mant << 3) + 0x84) << exp) - 0x84;
    return (float)((u & 0x80) ? -mag : mag) / 32768.0f;
}

int aim_audible_voice_builtin(float *out, size_t cap_frames, size_t *frames)
{
    if (!frames)
        return AIM_ERR_INVALID_ARG;
    *frames = audible_voice_ulaw_len;
    if (!out || cap_frames < audible_voice_ulaw_len)
        return AIM_ERR_BUFFER_TOO_SMALL;
    for (size_t i = 0; i < audible_voice_ulaw_len; i++)
        out[i] = ulaw_decode(audible_voice_ulaw[i]);
    return AIM_OK;
}

const char *aim_audible_voice_text(void)
{
    return "本内容由人工智能生成";
}

/* ---- loudness -------------------------------------------------------------- */

#define AUDIBLE_MIN_MEASURED_BLOCKS 10 /* 1 s of 100 ms blocks */

double audible_loudness_dbfs(const float *mono, size_t n, int rate, double fallback)
{
    size_t blk = (size_t)rate / 10;
    if (!mono || blk == 0 || n < blk)
        return fallback;
    size_t nb = n / blk;
    const double abs_gate = 1e-7; /* -70 dBFS */
    double sum = 0.0;
    size_t cnt = 0;
    for (int pass = 0; pass < 2; pass++) {
        double gate = abs_gate;
        if (pass == 1) {
            if (cnt == 0)
                return fallback;
            gate = fmax(abs_gate, sum / (double)cnt * 0.01); /* -20 dB relative */
            sum = 0.0;
            cnt = 0;
        }
        for (size_t b = 0; b < nb; b++) {
            double p = 0.0;
            for (size_t i = 0; i < blk; i++) {
                double v = mono[b * blk + i];
                p += v * v;
            }
            p /= (double)blk;
            if (p > gate) {
                sum += p;
                cnt++;
            }
        }
    }
    if (cnt == 0)
        return fallback;
    double l = 10.0 * log10(sum / (double)cnt);
    /* Under a second of gated audio is no measure of the content (a codec's
     * pre-echo before music after silence once set -50 dBFS and made the
     * prompt nearly inaudible): then never go below the fallback level. */
    if (cnt < AUDIBLE_MIN_MEASURED_BLOCKS && l < fallback)
        return fallback;
    return l;
}
