/* Audible labels: rhythm generator, inserter, detector (src/explicit/). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aimark/audible.h"
#include "dsp/resample.h"
#include "explicit/audible_internal.h"
#include "test.h"

#define PI 3.14159265358979323846

static uint32_t rng_state;
static double frand(void) /* [0, 1) */
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (rng_state >> 8) / 16777216.0;
}
static double grand(void)
{
    double u = frand() + 1e-12, v = frand();
    return sqrt(-2.0 * log(u)) * cos(2.0 * PI * v);
}

static double rms_db(const float *x, size_t n)
{
    double p = 0.0;
    for (size_t i = 0; i < n; i++)
        p += (double)x[i] * x[i];
    return 10.0 * log10(p / (double)n + 1e-30);
}

static float max_jump(const float *x, size_t n, size_t ch)
{
    float m = 0.0f;
    for (size_t i = ch; i < n * ch; i++)
        m = fmaxf(m, fabsf(x[i] - x[i - ch]));
    return m;
}

/* Speech-like: syllables of a voiced source (pitch glides 90-260 Hz, 30
 * harmonics with formant-like weights) and noise bursts, with pauses. */
static float *make_speech(int rate, double seconds, uint32_t seed, size_t *n_out)
{
    rng_state = seed;
    size_t n = (size_t)(seconds * rate);
    float *x = calloc(n, sizeof *x);
    size_t i = 0;
    double phase = 0.0;
    while (i < n) {
        size_t syl = (size_t)((0.12 + 0.25 * frand()) * rate);
        size_t pause = frand() < 0.3 ? (size_t)((0.05 + 0.4 * frand()) * rate) : 0;
        double f0 = 90 + 170 * frand(), df = (frand() - 0.5) * 60;
        double f1 = 300 + 600 * frand(), f2 = 900 + 1500 * frand();
        int voiced = frand() < 0.8;
        for (size_t k = 0; k < syl && i < n; k++, i++) {
            double t = (double)k / syl, env = sin(PI * t);
            double v = 0.0;
            if (voiced) {
                double f = f0 + df * t;
                phase += 2 * PI * f / rate;
                for (int h = 1; h <= 30 && h * f < rate / 2.2; h++) {
                    double hf = h * f;
                    double w = 1.0 / (1.0 + pow((hf - f1) / 150, 2)) +
                               0.5 / (1.0 + pow((hf - f2) / 200, 2)) + 0.02;
                    v += w * sin(h * phase) / h;
                }
            } else {
                v = 0.3 * grand();
            }
            x[i] = (float)(0.25 * env * v);
        }
        i += pause;
    }
    *n_out = n;
    return x;
}

/* Music-like: notes of an equal-tempered scale around 1 kHz (B5 = 988 Hz,
 * C6 = 1047 Hz included), pure and with harmonics, staccato and legato,
 * durations in multiples of 100 and 125 ms, with rests. */
static float *make_music(int rate, double seconds, uint32_t seed, size_t *n_out)
{
    rng_state = seed;
    size_t n = (size_t)(seconds * rate);
    float *x = calloc(n, sizeof *x);
    size_t i = 0;
    while (i < n) {
        double unit = frand() < 0.5 ? 0.1 : 0.125;
        size_t len = (size_t)(unit * (1 + (int)(frand() * 4)) * rate);
        size_t rest = frand() < 0.4 ? (size_t)(unit * (1 + (int)(frand() * 3)) * rate) : 0;
        double f = 440.0 * pow(2.0, (double)((int)(frand() * 30) - 6) / 12.0);
        int pure = frand() < 0.5;
        for (size_t k = 0; k < len && i < n; k++, i++) {
            double t = (double)k / rate;
            double env = fmin(1.0, t / 0.01) * exp(-t * 2.0) * fmin(1.0, (double)(len - k) / (0.01 * rate));
            double v = sin(2 * PI * f * t);
            if (!pure)
                v += 0.5 * sin(4 * PI * f * t) + 0.25 * sin(6 * PI * f * t);
            x[i] = (float)(0.3 * env * v);
        }
        i += rest;
    }
    *n_out = n;
    return x;
}

/* ---- the generator ----------------------------------------------------- */

static void t_rhythm_timing(void)
{
    aim_audible_rhythm r;
    aim_audible_rhythm_init(&r);
    size_t n = 0;
    CHECK_INT(aim_audible_rhythm_frames(&r, 48000, &n), AIM_OK);
    CHECK_INT(n, 52800); /* 1.1 s */
    CHECK_INT(aim_audible_rhythm_frames(&r, 8000, &n), AIM_OK);
    CHECK_INT(n, 8800);
    CHECK_INT(aim_audible_rhythm_render(&r, 48000, 2, 0.5f, NULL, 0, &n), AIM_ERR_BUFFER_TOO_SMALL);
    CHECK_INT(n, 52800);
    float *x = malloc(n * 2 * sizeof *x);
    CHECK_INT(aim_audible_rhythm_render(&r, 48000, 2, 0.5f, x, n, &n), AIM_OK);
    /* Tones at [0,100) [200,500) [800,900) [1000,1100) ms: 4800 frames per
     * dot; outside them exact zeros; channels identical. */
    const size_t t0[4] = {0, 9600, 38400, 48000}, t1[4] = {4800, 24000, 43200, 52800};
    size_t k = 0;
    int zeros_ok = 1, same = 1;
    for (size_t i = 0; i < n; i++) {
        while (k < 4 && i >= t1[k])
            k++;
        int on = k < 4 && i >= t0[k];
        if (!on && x[2 * i] != 0.0f)
            zeros_ok = 0;
        if (x[2 * i] != x[2 * i + 1])
            same = 0;
    }
    CHECK(zeros_ok);
    CHECK(same);
    for (int s = 0; s < 4; s++) {
        /* Non-zero right at both ends (the ramps start from ~0, inside). */
        CHECK(fabsf(x[2 * t0[s]]) < 1e-3f);
        float peak = 0.0f;
        for (size_t i = t0[s]; i < t1[s]; i++)
            peak = fmaxf(peak, fabsf(x[2 * i]));
        CHECK(peak > 0.499f && peak <= 0.5f);
    }
    /* The steady part of the dash is a 0.5-peak sine: RMS -9.03 dBFS. */
    float *mono = malloc(13920 * sizeof *mono);
    for (size_t i = 0; i < 13920; i++)
        mono[i] = x[2 * (9600 + 240 + i)];
    CHECK(fabs(rms_db(mono, 13920) - 20 * log10(0.5 / sqrt(2.0))) < 0.01);
    /* No clicks: the steepest step is the sine's own (2 pi f / rate). */
    CHECK(max_jump(x, n, 2) <= (float)(2 * PI * 1000 / 48000 * 0.5 * 1.001));
    free(mono);
    free(x);
}

static void t_rhythm_rates(void)
{
    aim_audible_rhythm r;
    aim_audible_rhythm_init(&r);
    r.tone_hz = 1500;
    r.dot_ms = 80;
    r.dash_ms = 240;
    r.gap_ms = 80;
    r.letter_gap_ms = 240;
    const int rates[] = {8000, 11025, 22050, 44100, 96000};
    for (int i = 0; i < 5; i++) {
        size_t n = 0;
        CHECK_INT(aim_audible_rhythm_frames(&r, rates[i], &n), AIM_OK);
        CHECK_INT(n, (size_t)llround(0.88 * rates[i]));
    }
    r.tone_hz = 3700; /* over the 3500 Hz limit (8 kHz copies) */
    size_t n;
    CHECK_INT(aim_audible_rhythm_frames(&r, 44100, &n), AIM_ERR_INVALID_ARG);
    r.tone_hz = 1000;
    r.dash_ms = 100; /* a dash must be at least two dots */
    CHECK_INT(aim_audible_rhythm_frames(&r, 44100, &n), AIM_ERR_INVALID_ARG);
    aim_audible_rhythm_init(&r);
    r.ramp_ms = NAN;
    CHECK_INT(aim_audible_rhythm_frames(&r, 44100, &n), AIM_ERR_INVALID_ARG);
}

static void t_voice_builtin(void)
{
    size_t n = 0;
    CHECK_INT(aim_audible_voice_builtin(NULL, 0, &n), AIM_ERR_BUFFER_TOO_SMALL);
    CHECK(n > 3 * AIM_AUDIBLE_VOICE_RATE && n < 5 * AIM_AUDIBLE_VOICE_RATE);
    float *v = malloc(n * sizeof *v);
    CHECK_INT(aim_audible_voice_builtin(v, n, &n), AIM_OK);
    float peak = 0.0f;
    for (size_t i = 0; i < n; i++)
        peak = fmaxf(peak, fabsf(v[i]));
    CHECK(peak > 0.5f && peak <= 1.0f); /* normalised to -3 dBFS */
    double l = audible_loudness_dbfs(v, n, AIM_AUDIBLE_VOICE_RATE, -99);
    CHECK(l > -30 && l < -8);
    CHECK_STR(aim_audible_voice_text(), "本内容由人工智能生成");
    free(v);
}

/* ---- the inserter ------------------------------------------------------- */

/* Run an inserter over x in blocks of `block` frames; returns the output. */
static float *run_inserter(const aim_audible_config *cfg, const float *x, size_t n,
                           size_t block, size_t *out_n, size_t *prompts)
{
    aim_audible_inserter *h = NULL;
    if (aim_audible_inserter_new(cfg, &h) != AIM_OK)
        return NULL;
    size_t ch = (size_t)cfg->channels, cap = 1024, len = 0;
    float *out = malloc(cap * ch * sizeof *out);
    for (size_t i = 0;; i += block) {
        if (i > n)
            i = n;
        int last = i >= n;
        size_t k = last ? 0 : (n - i < block ? n - i : block);
        size_t need = aim_audible_inserter_max_out(h, k);
        if (len + need > cap) {
            cap = 2 * (len + need);
            out = realloc(out, cap * ch * sizeof *out);
        }
        size_t w = 0;
        int rc = last ? aim_audible_inserter_flush(h, out + len * ch, need, &w)
                      : aim_audible_inserter_process(h, x + i * ch, k, out + len * ch, need, &w);
        CHECK_INT(rc, AIM_OK);
        len += w;
        if (last)
            break;
    }
    *out_n = len;
    if (prompts)
        *prompts = aim_audible_inserter_prompts(h);
    aim_audible_inserter_free(h);
    return out;
}

static void t_insert_length_and_content(void)
{
    size_t n;
    float *x = make_speech(16000, 23.0, 7, &n);
    aim_audible_config cfg;
    aim_audible_config_init(&cfg);
    cfg.sample_rate = 16000;
    cfg.positions = AIM_AUDIBLE_AT_START | AIM_AUDIBLE_AT_END | AIM_AUDIBLE_AT_INTERVAL;
    cfg.interval_s = 10.0;
    size_t m = 0, prompts = 0;
    float *y = run_inserter(&cfg, x, n, 1000, &m, &prompts);
    size_t seg = 17600 + 2 * 4000; /* 1.1 s prompt + 2 x 250 ms pads */
    CHECK_INT(prompts, 4);         /* start, 10 s, 20 s, end */
    CHECK_INT(m, n + 4 * seg);
    /* The content comes out unchanged between the prompts. */
    const size_t at[4] = {0, 160000, 320000, n};
    size_t src = 0, dst = 0;
    int same = 1;
    for (int p = 0; p < 4; p++) {
        for (; src < at[p]; src++, dst++)
            if (y[dst] != x[src])
                same = 0;
        dst += seg;
    }
    CHECK(same);
    CHECK_INT(dst, m);
    free(x);
    free(y);
}

static void t_block_size_independent(void)
{
    size_t n;
    float *mono = make_music(22050, 15.0, 3, &n);
    float *x = malloc(n * 2 * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        x[2 * i] = mono[i];
        x[2 * i + 1] = -0.5f * mono[i];
    }
    const int modes[2] = {AIM_AUDIBLE_INSERT, AIM_AUDIBLE_MIX};
    for (int mo = 0; mo < 2; mo++) {
        aim_audible_config cfg;
        aim_audible_config_init(&cfg);
        cfg.sample_rate = 22050;
        cfg.channels = 2;
        cfg.mode = modes[mo];
        cfg.positions = AIM_AUDIBLE_AT_START | AIM_AUDIBLE_AT_MIDDLE | AIM_AUDIBLE_AT_END |
                        AIM_AUDIBLE_AT_INTERVAL;
        cfg.expected_frames = n;
        cfg.interval_s = 5.0; /* 15 s: the last one falls on the end */
        cfg.lookahead_s = 1.0;
        size_t ref_n = 0, k = 0;
        float *ref = run_inserter(&cfg, x, n, n, &ref_n, NULL);
        const size_t blocks[] = {1, 7, 333, 4096, 4097, 100000};
        for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
            float *y = run_inserter(&cfg, x, n, blocks[b], &k, NULL);
            CHECK_INT(k, ref_n);
            CHECK(y && memcmp(y, ref, k * 2 * sizeof *y) == 0);
            for (size_t q = 0; y && q < k * 2; q++)
                if (y[q] != ref[q]) {
                    fprintf(stderr, "mode %d block %zu: first diff at %zu\n", mo, blocks[b], q / 2);
                    break;
                }
            free(y);
        }
        if (modes[mo] == AIM_AUDIBLE_MIX)
            CHECK_INT(ref_n, n); /* mixing keeps the length */
        free(ref);
    }
    free(mono);
    free(x);
}

static void t_no_clicks_at_splices(void)
{
    /* A loud low sine, cut at arbitrary phases by prompts every 5 s. */
    int rate = 44100;
    size_t n = (size_t)(16.3 * rate);
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(0.8 * sin(2 * PI * 150.0 * i / rate + 0.3));
    aim_audible_config cfg;
    aim_audible_config_init(&cfg);
    cfg.sample_rate = rate;
    cfg.positions = AIM_AUDIBLE_AT_START | AIM_AUDIBLE_AT_END | AIM_AUDIBLE_AT_INTERVAL;
    cfg.interval_s = 5.0;
    size_t m, prompts;
    float *y = run_inserter(&cfg, x, n, 4410, &m, &prompts);
    CHECK_INT(prompts, 5);
    float content = max_jump(x, n, 1); /* 0.017 */
    /* The tone: 6 dB under the content's RMS, so peak 0.8 / 2. */
    float tone = (float)(2 * PI * 1000 / rate * 0.8 * pow(10, -6 / 20.0));
    float bridge = 0.8f * (float)(PI / 2 / (0.005 * rate)); /* 5 ms half-cosine */
    float lim = fmaxf(content, fmaxf(tone, bridge)) * 1.02f;
    CHECK(max_jump(y, m, 1) <= lim);
    CHECK(max_jump(y, m, 1) > 0.95f * tone);
    free(x);
    free(y);
}

static void t_level_follows_content(void)
{
    int rate = 16000;
    size_t n = 5 * (size_t)rate;
    float *x = malloc(n * sizeof *x);
    rng_state = 11;
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(0.1 * grand()); /* -20 dBFS RMS */
    aim_audible_config cfg;
    aim_audible_config_init(&cfg);
    cfg.sample_rate = rate;
    size_t m;
    float *y = run_inserter(&cfg, x, n, 512, &m, NULL);
    /* Dash steady part: 250+200+5 ms .. 250+500-5 ms into the output. */
    size_t a = (size_t)(0.46 * rate), b = (size_t)(0.74 * rate);
    CHECK(fabs(rms_db(y + a, b - a) - (rms_db(x, n) - 6.0)) < 0.3);
    free(y);
    /* Silent content: the fallback (-23 dBFS) minus 6 dB. */
    memset(x, 0, n * sizeof *x);
    y = run_inserter(&cfg, x, n, 512, &m, NULL);
    CHECK(fabs(rms_db(y + a, b - a) - (-29.0)) < 0.1);
    free(y);
    /* Very loud content: the peak is capped at -1 dBFS. */
    for (size_t i = 0; i < n; i++)
        x[i] = (i / 20) % 2 ? 0.99f : -0.99f;
    cfg.rhythm_level_db = 6.0f; /* would be a 1.4 peak */
    y = run_inserter(&cfg, x, n, 512, &m, NULL);
    float peak = 0.0f;
    for (size_t i = a; i < b; i++)
        peak = fmaxf(peak, fabsf(y[i]));
    CHECK(fabsf(peak - 0.8913f) < 0.002f);
    free(y);
    free(x);
}

static void t_mix_turns(void)
{
    /* A live voice assistant: no lookahead, prompts mixed into each turn. */
    int rate = 24000;
    aim_audible_config cfg;
    aim_audible_config_init(&cfg);
    cfg.sample_rate = rate;
    cfg.mode = AIM_AUDIBLE_MIX;
    cfg.positions = 0;
    cfg.lookahead_s = 0.0;
    aim_audible_inserter *h = NULL;
    CHECK_INT(aim_audible_inserter_new(&cfg, &h), AIM_OK);
    CHECK_INT(aim_audible_inserter_latency(h), 0);
    size_t turn = 2 * (size_t)rate;
    float *x = calloc(turn, sizeof *x);
    float *out = malloc(aim_audible_inserter_max_out(h, turn) * sizeof *out);
    size_t w;
    /* Turn 1 without a prompt request, turn 2 and 3 with one. */
    CHECK_INT(aim_audible_inserter_process(h, x, turn, out, turn * 4, &w), AIM_OK);
    CHECK_INT(w, turn);
    float peak = 0.0f;
    for (size_t i = 0; i < w; i++)
        peak = fmaxf(peak, fabsf(out[i]));
    CHECK(peak == 0.0f);
    for (int t = 0; t < 2; t++) {
        CHECK_INT(aim_audible_inserter_begin_turn(h), AIM_OK);
        size_t cap = aim_audible_inserter_max_out(h, turn);
        CHECK_INT(aim_audible_inserter_process(h, x, turn, out, cap, &w), AIM_OK);
        CHECK_INT(w, turn); /* zero latency: the turn comes out at once */
        /* The prompt begins exactly at the turn's first frame. */
        size_t first = w;
        for (size_t i = 0; i < w && first == w; i++)
            if (out[i] != 0.0f)
                first = i;
        CHECK(first < 10);
        CHECK(out[(size_t)(0.15 * rate)] == 0.0f); /* the first gap */
    }
    CHECK_INT(aim_audible_inserter_prompts(h), 2);
    CHECK_INT(aim_audible_inserter_flush(h, out, aim_audible_inserter_max_out(h, 0), &w), AIM_OK);
    CHECK_INT(w, 0);
    aim_audible_inserter_free(h);
    free(x);
    free(out);
}

static void t_voice_insert(void)
{
    aim_audible_config cfg;
    aim_audible_config_init(&cfg);
    cfg.sample_rate = 48000;
    cfg.kind = AIM_AUDIBLE_VOICE;
    size_t vn = 0;
    aim_audible_voice_builtin(NULL, 0, &vn);
    aim_audible_inserter *h = NULL;
    CHECK_INT(aim_audible_inserter_new(&cfg, &h), AIM_OK);
    CHECK_INT(aim_audible_inserter_prompt_frames(h), vn * 3 + 2 * 12000);
    aim_audible_inserter_free(h);
    /* The caller's own prompt: 0.5 s of a 300 Hz tone at 22.05 kHz. */
    float *v = malloc(11025 * sizeof *v);
    for (int i = 0; i < 11025; i++)
        v[i] = (float)(0.5 * sin(2 * PI * 300 * i / 22050.0));
    cfg.voice = v;
    cfg.voice_frames = 11025;
    cfg.voice_rate = 22050;
    cfg.pad_ms = 100;
    CHECK_INT(aim_audible_inserter_new(&cfg, &h), AIM_OK);
    CHECK_INT(aim_audible_inserter_prompt_frames(h), 24000 + 2 * 4800);
    aim_audible_inserter_free(h);
    free(v);
}

static void t_inserter_misuse(void)
{
    aim_audible_config cfg;
    aim_audible_config_init(&cfg);
    aim_audible_inserter *h = (aim_audible_inserter *)&cfg;
    CHECK_INT(aim_audible_inserter_new(NULL, &h), AIM_ERR_INVALID_ARG);
    CHECK(h == NULL);
    CHECK_INT(aim_audible_inserter_new(&cfg, NULL), AIM_ERR_INVALID_ARG);
    cfg.sample_rate = 7999;
    CHECK_INT(aim_audible_inserter_new(&cfg, &h), AIM_ERR_INVALID_ARG);
    aim_audible_config_init(&cfg);
    cfg.positions = AIM_AUDIBLE_AT_MIDDLE; /* no expected_frames */
    CHECK_INT(aim_audible_inserter_new(&cfg, &h), AIM_ERR_INVALID_ARG);
    aim_audible_config_init(&cfg);
    cfg.positions = AIM_AUDIBLE_AT_INTERVAL;
    cfg.interval_s = 1.0;
    CHECK_INT(aim_audible_inserter_new(&cfg, &h), AIM_ERR_INVALID_ARG);
    aim_audible_config_init(&cfg);
    float v[4] = {0};
    cfg.voice = v; /* voice PCM with kind RHYTHM */
    cfg.voice_frames = 4;
    cfg.voice_rate = 16000;
    CHECK_INT(aim_audible_inserter_new(&cfg, &h), AIM_ERR_INVALID_ARG);
    cfg.kind = AIM_AUDIBLE_VOICE; /* silent voice */
    CHECK_INT(aim_audible_inserter_new(&cfg, &h), AIM_ERR_INVALID_ARG);
    aim_audible_config_init(&cfg);
    cfg.lookahead_s = NAN;
    CHECK_INT(aim_audible_inserter_new(&cfg, &h), AIM_ERR_INVALID_ARG);

    aim_audible_config_init(&cfg);
    cfg.lookahead_s = 0.0;
    CHECK_INT(aim_audible_inserter_new(&cfg, &h), AIM_OK);
    float in[100] = {0}, out[100];
    size_t w = 7;
    /* The start prompt needs its room: refused, nothing consumed. */
    CHECK_INT(aim_audible_inserter_process(h, in, 100, out, 100, &w), AIM_ERR_BUFFER_TOO_SMALL);
    CHECK_INT(w, 0);
    CHECK_INT(aim_audible_inserter_process(h, NULL, 5, out, 100, &w), AIM_ERR_INVALID_ARG);
    size_t need = aim_audible_inserter_max_out(h, 100);
    float *big = malloc(need * sizeof *big);
    CHECK_INT(aim_audible_inserter_process(h, in, 100, big, need, &w), AIM_OK);
    CHECK_INT(w, 100 + aim_audible_inserter_prompt_frames(h));
    CHECK_INT(aim_audible_inserter_flush(h, big, need, &w), AIM_OK);
    CHECK_INT(aim_audible_inserter_process(h, in, 100, big, need, &w), AIM_ERR_BAD_STATE);
    CHECK_INT(aim_audible_inserter_flush(h, big, need, &w), AIM_ERR_BAD_STATE);
    CHECK_INT(aim_audible_inserter_begin_turn(h), AIM_ERR_BAD_STATE);
    aim_audible_inserter_free(h);
    free(big);
    CHECK_INT(aim_audible_inserter_begin_turn(NULL), AIM_ERR_INVALID_ARG);
    CHECK_INT(aim_audible_inserter_max_out(NULL, 5), 0);
    aim_audible_inserter_free(NULL);
}

static void t_mix_ducks_content(void)
{
    /* DC content: inside the prompt's first gap it is exactly ducked. */
    int rate = 16000;
    size_t n = 3 * (size_t)rate;
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = 0.5f;
    aim_audible_config cfg;
    aim_audible_config_init(&cfg);
    cfg.sample_rate = rate;
    cfg.mode = AIM_AUDIBLE_MIX;
    cfg.mix_duck_db = -20.0f;
    size_t m;
    float *y = run_inserter(&cfg, x, n, 999, &m, NULL);
    CHECK_INT(m, n);
    CHECK(fabsf(y[(size_t)(0.15 * rate)] - 0.05f) < 1e-6f); /* first gap */
    CHECK(y[(size_t)(1.2 * rate)] == 0.5f);                 /* after it */
    CHECK(max_jump(y, m, 1) < 0.15f); /* the tone: 2 pi 1000 / 16000 x 0.354 */
    free(y);
    free(x);
}

/* ---- the detector -------------------------------------------------------- */

static size_t detect(const float *x, size_t n, int rate, int ch, aim_audible_hit *hits,
                     size_t cap)
{
    aim_audible_detect_config dc;
    aim_audible_detect_config_init(&dc);
    dc.sample_rate = rate;
    dc.channels = ch;
    aim_audible_detector *d = NULL;
    if (aim_audible_detector_new(&dc, &d) != AIM_OK)
        return (size_t)-1;
    for (size_t i = 0; i < n; i += 3000)
        aim_audible_detector_feed(d, x + i * (size_t)ch, n - i < 3000 ? n - i : 3000);
    aim_audible_detector_finish(d);
    size_t k = 0;
    const aim_audible_hit *h = aim_audible_detector_hits(d, &k);
    for (size_t i = 0; i < k && i < cap; i++)
        hits[i] = h[i];
    aim_audible_detector_free(d);
    return k;
}

/* Speech with prompts inserted at start and every 10 s; the true onsets. */
static float *labelled_speech(int rate, size_t *m, double *onsets)
{
    size_t n;
    float *x = make_speech(rate, 25.0, 5, &n);
    aim_audible_config cfg;
    aim_audible_config_init(&cfg);
    cfg.sample_rate = rate;
    cfg.positions = AIM_AUDIBLE_AT_START | AIM_AUDIBLE_AT_INTERVAL;
    cfg.interval_s = 10.0;
    float *y = run_inserter(&cfg, x, n, 2048, m, NULL);
    double seg = 1.1 + 0.5;
    for (int k = 0; k < 3; k++)
        onsets[k] = 0.25 + k * (10.0 + seg);
    free(x);
    return y;
}

static void check_hits(const aim_audible_hit *h, size_t k, const double *onsets, double tol)
{
    CHECK_INT(k, 3);
    for (size_t i = 0; i < k && i < 3; i++) {
        CHECK(fabs(h[i].start_s - onsets[i]) < tol);
        CHECK(fabs(h[i].end_s - h[i].start_s - 1.1) < 1e-9);
    }
}

static void t_detect_clean_and_noisy(void)
{
    size_t m;
    double on[3];
    float *y = labelled_speech(44100, &m, on);
    aim_audible_hit h[8];
    size_t k = detect(y, m, 44100, 1, h, 8);
    check_hits(h, k, on, 0.012);
    CHECK(k < 1 || (h[0].tone_hz == 1000.0f && h[0].contrast_db > 30.0f));
    /* White noise at 10 dB SNR below the speech. */
    double p = 0.0;
    for (size_t i = 0; i < m; i++)
        p += (double)y[i] * y[i];
    double sigma = sqrt(p / m / 10.0);
    rng_state = 99;
    for (size_t i = 0; i < m; i++)
        y[i] += (float)(sigma * grand());
    k = detect(y, m, 44100, 1, h, 8);
    check_hits(h, k, on, 0.015);
    free(y);
}

static void t_detect_after_resample_to_8k(void)
{
    size_t m;
    double on[3];
    float *y = labelled_speech(32000, &m, on);
    dsp_resampler *rs = dsp_resampler_new(32000, 8000, 4096);
    float *z = malloc((m / 4 + 4096) * sizeof *z);
    size_t zn = 0;
    for (size_t i = 0; i < m; i += 4096) {
        dsp_resampler_push(rs, y + i, m - i < 4096 ? m - i : 4096);
        zn += dsp_resampler_pull(rs, z + zn, m / 4 + 4096 - zn);
    }
    dsp_resampler_free(rs);
    /* As stereo, to exercise the downmix. */
    float *st = malloc(zn * 2 * sizeof *st);
    for (size_t i = 0; i < zn; i++)
        st[2 * i] = st[2 * i + 1] = z[i];
    aim_audible_hit h[8];
    size_t k = detect(st, zn, 8000, 2, h, 8);
    check_hits(h, k, on, 0.015);
    free(st);
    free(z);
    free(y);
}

static void t_detect_mixed_prompts(void)
{
    /* Prompts mixed (not inserted) into speech at 0 and 10 s. */
    size_t n;
    float *x = make_speech(16000, 15.0, 21, &n);
    aim_audible_config cfg;
    aim_audible_config_init(&cfg);
    cfg.sample_rate = 16000;
    cfg.mode = AIM_AUDIBLE_MIX;
    cfg.positions = AIM_AUDIBLE_AT_START | AIM_AUDIBLE_AT_INTERVAL;
    cfg.interval_s = 10.0;
    size_t m;
    float *y = run_inserter(&cfg, x, n, 4096, &m, NULL);
    aim_audible_hit h[8];
    size_t k = detect(y, m, 16000, 1, h, 8);
    CHECK_INT(k, 2);
    CHECK(k < 1 || fabs(h[0].start_s - 0.0) < 0.025);
    CHECK(k < 2 || fabs(h[1].start_s - 10.0) < 0.012);
    free(x);
    free(y);
}

static void t_no_false_alarms(void)
{
    aim_audible_hit h[8];
    for (uint32_t seed = 1; seed <= 3; seed++) {
        size_t n;
        float *x = make_speech(16000, 60.0, seed, &n);
        CHECK_INT(detect(x, n, 16000, 1, h, 8), 0);
        free(x);
        x = make_music(16000, 60.0, seed, &n);
        CHECK_INT(detect(x, n, 16000, 1, h, 8), 0);
        free(x);
    }
}

static void t_detector_misuse(void)
{
    aim_audible_detect_config dc;
    aim_audible_detect_config_init(&dc);
    aim_audible_detector *d = NULL;
    CHECK_INT(aim_audible_detector_new(NULL, &d), AIM_ERR_INVALID_ARG);
    dc.min_tonality = 1.5f;
    CHECK_INT(aim_audible_detector_new(&dc, &d), AIM_ERR_INVALID_ARG);
    aim_audible_detect_config_init(&dc);
    dc.channels = 0;
    CHECK_INT(aim_audible_detector_new(&dc, &d), AIM_ERR_INVALID_ARG);
    aim_audible_detect_config_init(&dc);
    CHECK_INT(aim_audible_detector_new(&dc, &d), AIM_OK);
    CHECK_INT(aim_audible_detector_feed(d, NULL, 10), AIM_ERR_INVALID_ARG);
    CHECK_INT(aim_audible_detector_feed(d, NULL, 0), AIM_OK);
    CHECK_INT(aim_audible_detector_finish(d), AIM_OK);
    float z[10] = {0};
    CHECK_INT(aim_audible_detector_feed(d, z, 10), AIM_ERR_BAD_STATE);
    size_t n = 9;
    aim_audible_detector_hits(d, &n);
    CHECK_INT(n, 0);
    aim_audible_detector_reset(d);
    CHECK_INT(aim_audible_detector_feed(d, z, 10), AIM_OK);
    aim_audible_detector_free(d);
    aim_audible_detector_free(NULL);
    CHECK(aim_audible_detector_hits(NULL, &n) == NULL && n == 0);
}

/* Loudness of sparse content: under 1 s of gated audio never sets the
 * prompt below the fallback level; genuinely quiet content keeps its level. */
static void t_loudness_sparse(void)
{
    enum { R = 16000, N = 3 * R };
    float *x = calloc(N, sizeof *x);
    CHECK(x != NULL);
    if (!x)
        return;
    /* two 100 ms blocks of a tone at -50 dBFS RMS in 3 s of silence */
    for (size_t i = R; i < R + R / 5; i++)
        x[i] = 0.00447f * (float)sin(0.3 * (double)i);
    double l = audible_loudness_dbfs(x, N, R, -23.0);
    CHECK(fabs(l + 23.0) < 1e-9);
    /* 2 s of the same tone: measured as it is */
    for (size_t i = 0; i < 2 * R; i++)
        x[i] = 0.00447f * (float)sin(0.3 * (double)i);
    l = audible_loudness_dbfs(x, N, R, -23.0);
    CHECK(fabs(l + 50.0) < 0.5);
    free(x);
}

TEST_MAIN(t_loudness_sparse, t_rhythm_timing, t_rhythm_rates, t_voice_builtin, t_insert_length_and_content,
          t_block_size_independent, t_no_clicks_at_splices, t_level_follows_content,
          t_mix_turns, t_mix_ducks_content, t_voice_insert, t_inserter_misuse, t_detect_clean_and_noisy,
          t_detect_after_resample_to_8k, t_detect_mixed_prompts, t_no_false_alarms, t_detector_misuse)
