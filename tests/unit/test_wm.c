/*
 * Audio watermark: round trips on synthetic speech-like and music-like
 * signals, in-memory attacks (noise, gain, polarity, cuts, lowpass,
 * resampling, quantisation), quality (SNR), no false detections on
 * unmarked audio or with a wrong key, streaming equivalence, API misuse.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aimark/wm.h"
#include "dsp/fft.h"
#include "dsp/masking.h"
#include "test.h"
#include "wm/wm_core.h"

static const double PI = 3.14159265358979323846;
static const uint64_t PAYLOAD = 0x0123456789ABCDEFULL;

/* ---- signals -------------------------------------------------------------- */

typedef struct rng {
    uint64_t s;
} rng;

static double urand(rng *r)
{
    r->s = r->s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(r->s >> 11) / 9007199254740992.0;
}

static double nrand(rng *r)
{
    double u = urand(r) + 1e-12, v = urand(r);
    return sqrt(-2.0 * log(u)) * cos(2 * PI * v);
}

/* Two-pole resonator y = x + a1 y1 + a2 y2 at centre f, bandwidth bw. */
typedef struct reso {
    double y1, y2;
} reso;

static double reso_step(reso *s, double x, double f, double bw, int rate)
{
    double r = exp(-PI * bw / rate), a1 = 2 * r * cos(2 * PI * f / rate), a2 = -r * r;
    double y = (1 - r) * x + a1 * s->y1 + a2 * s->y2;
    s->y2 = s->y1;
    s->y1 = y;
    return y;
}

/* Speech-like: glottal pulses with intonation and vibrato through three
 * moving formants, syllable envelope with pauses, some fricative noise. */
static float *make_speech(size_t n, int rate, uint64_t seed)
{
    float *x = malloc(n * sizeof *x);
    rng r = {seed * 7919 + 1};
    reso f1 = {0, 0}, f2 = {0, 0}, f3 = {0, 0};
    double ph = 0, f0 = 110 + 60 * urand(&r);
    double syl = 0, sylrate = 3.5 + 2 * urand(&r);
    double fa = 500, fb = 1500, ta = 500, tb = 1500;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rate;
        double f = f0 * (1 + 0.15 * sin(2 * PI * 0.3 * t) + 0.01 * sin(2 * PI * 5 * t));
        ph += f / rate;
        double src = 0;
        if (ph >= 1) {
            ph -= 1;
            src = 1;
        }
        syl += sylrate / rate;
        if (syl >= 1) {
            syl -= 1;
            ta = 300 + 600 * urand(&r);
            tb = 900 + 1600 * urand(&r);
        }
        fa += (ta - fa) * 0.002;
        fb += (tb - fb) * 0.002;
        double env = sin(PI * syl);
        env = env * env;
        if (fmod(t, 2.7) > 2.3)
            env *= 0.02; /* pause */
        double v = reso_step(&f1, src, fa, 80, rate) * 1.0 + reso_step(&f2, src, fb, 120, rate) * 0.5 +
                   reso_step(&f3, src, 2600, 200, rate) * 0.25;
        double fric = (syl > 0.8 ? 0.02 : 0.002) * nrand(&r);
        x[i] = (float)(0.8 * env * v + fric);
    }
    /* normalise to peak 0.5 */
    float m = 1e-9f;
    for (size_t i = 0; i < n; i++)
        m = fabsf(x[i]) > m ? fabsf(x[i]) : m;
    for (size_t i = 0; i < n; i++)
        x[i] *= 0.5f / m;
    return x;
}

/* Music-like: chords of harmonic notes with vibrato and tremolo, a bass
 * line, noise hits; channels get slightly different mixes. */
static float *make_music(size_t n, int rate, int ch, uint64_t seed)
{
    float *x = calloc(n * (size_t)ch, sizeof *x);
    rng r = {seed * 104729 + 3};
    double notes[4] = {220, 277, 330, 110}, ph[4][6] = {{0}};
    double hit = 0;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rate;
        if (i % (size_t)(rate / 2) == 0) {
            double root = 110 * pow(2, floor(urand(&r) * 12) / 12);
            notes[0] = root * 2;
            notes[1] = root * 2 * 1.26;
            notes[2] = root * 3;
            notes[3] = root / 2 * (urand(&r) < 0.5 ? 1 : 1.5);
            hit = 1;
        }
        double s = 0;
        for (int v = 0; v < 4; v++) {
            double f = notes[v] * (1 + 0.004 * sin(2 * PI * 5.5 * t + v));
            for (int h = 0; h < 6; h++) {
                ph[v][h] += f * (h + 1) / rate;
                ph[v][h] -= floor(ph[v][h]);
                s += sin(2 * PI * ph[v][h]) / (h + 1) / (v == 3 ? 1.0 : 2.0);
            }
        }
        s *= 0.7 + 0.3 * sin(2 * PI * 3 * t);
        s += hit * nrand(&r) * 0.8;
        hit *= 0.9995;
        for (int c = 0; c < ch; c++)
            x[i * (size_t)ch + (size_t)c] = (float)(0.08 * s * (c ? 0.9 : 1.0));
    }
    return x;
}

/* ---- embedding / detection helpers --------------------------------------- */

static float *embed(const float *x, size_t n, int rate, int ch, const aim_wm_key *key,
                    uint64_t payload, size_t block)
{
    aim_wm_embed_config cfg;
    aim_wm_embed_config_init(&cfg);
    cfg.sample_rate = rate;
    cfg.channels = ch;
    aim_wm_embedder *e = NULL;
    if (aim_wm_embedder_new(&cfg, key, payload, &e) != AIM_OK)
        return NULL;
    size_t c = (size_t)ch;
    float *y = malloc((n + aim_wm_embedder_latency(e)) * c * sizeof *y);
    size_t got = 0;
    rng r = {block};
    for (size_t pos = 0; pos < n;) {
        size_t b = block ? block : 1 + (size_t)(urand(&r) * 3000);
        if (b > n - pos)
            b = n - pos;
        size_t w = 0;
        CHECK_INT(aim_wm_embedder_process(e, x + pos * c, b, y + got * c, &w), AIM_OK);
        CHECK(w <= b);
        got += w;
        pos += b;
    }
    size_t w = 0;
    CHECK_INT(aim_wm_embedder_flush(e, y + got * c, aim_wm_embedder_latency(e), &w), AIM_OK);
    got += w;
    CHECK_INT(got, n);
    aim_wm_embedder_free(e);
    return y;
}

static aim_wm_result detect(const float *x, size_t n, int rate, int ch, const aim_wm_key *key)
{
    aim_wm_result res;
    memset(&res, 0, sizeof res);
    aim_wm_detect_config cfg;
    aim_wm_detect_config_init(&cfg);
    cfg.sample_rate = rate;
    cfg.channels = ch;
    aim_wm_detector *d = NULL;
    CHECK_INT(aim_wm_detector_new(&cfg, key, &d), AIM_OK);
    if (!d)
        return res;
    CHECK_INT(aim_wm_detector_feed(d, x, n), AIM_OK);
    CHECK_INT(aim_wm_detector_run(d, &res), AIM_OK);
    aim_wm_detector_free(d);
    return res;
}

/* Presence of PAYLOAD's mark (payload known, default bound 1e-12) in
 * mono x at `rate`, with `key`. */
static aim_wm_presence presence_known(const float *x, size_t n, int rate, const aim_wm_key *key)
{
    aim_wm_presence p;
    memset(&p, 0, sizeof p);
    aim_wm_detect_config cfg;
    aim_wm_detect_config_init(&cfg);
    cfg.sample_rate = rate;
    aim_wm_detector *d = NULL;
    CHECK_INT(aim_wm_detector_new(&cfg, key, &d), AIM_OK);
    if (!d)
        return p;
    CHECK_INT(aim_wm_detector_feed(d, x, n), AIM_OK);
    aim_wm_presence_config pc;
    aim_wm_presence_config_init(&pc);
    CHECK(pc.max_pfa == 1e-12);
    pc.payload_known = 1;
    pc.payload = PAYLOAD;
    CHECK_INT(aim_wm_detector_presence(d, &pc, &p), AIM_OK);
    aim_wm_detector_free(d);
    return p;
}

static double snr_db(const float *x, const float *y, size_t n)
{
    double s = 0, e = 0;
    for (size_t i = 0; i < n; i++) {
        s += (double)x[i] * x[i];
        e += (double)(y[i] - x[i]) * (y[i] - x[i]);
    }
    return 10 * log10(s / (e + 1e-30));
}

/* ---- attacks -------------------------------------------------------------- */

static void add_noise(float *x, size_t n, double snr, uint64_t seed)
{
    double p = 0;
    for (size_t i = 0; i < n; i++)
        p += (double)x[i] * x[i];
    double sd = sqrt(p / (double)n / pow(10, snr / 10));
    rng r = {seed};
    for (size_t i = 0; i < n; i++)
        x[i] += (float)(sd * nrand(&r));
}

/* Windowed-sinc FIR lowpass, 129 taps (Hamming). */
static void lowpass(float *x, size_t n, int rate, double fc)
{
    enum { T = 129 };
    double h[T];
    for (int i = 0; i < T; i++) {
        double m = i - (T - 1) / 2.0, c = 2 * fc / rate;
        h[i] = (m == 0 ? c : sin(PI * c * m) / (PI * m)) * (0.54 - 0.46 * cos(2 * PI * i / (T - 1)));
    }
    float *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (int k = 0; k < T; k++) {
            long j = (long)i + k - (T - 1) / 2;
            if (j >= 0 && (size_t)j < n)
                s += h[k] * x[j];
        }
        y[i] = (float)s;
    }
    memcpy(x, y, n * sizeof *y);
    free(y);
}

/* Direct windowed-sinc resampling (independent of src/dsp). */
static float *resample(const float *x, size_t n, int fin, int fout, size_t *outn)
{
    size_t m = (size_t)((double)n * fout / fin);
    float *y = malloc(m * sizeof *y);
    double c = fout < fin ? (double)fout / fin : 1.0, half = 16 / c;
    for (size_t j = 0; j < m; j++) {
        double t = (double)j * fin / fout, s = 0;
        long a = (long)ceil(t - half), b = (long)floor(t + half);
        for (long i = a; i <= b; i++) {
            if (i < 0 || (size_t)i >= n)
                continue;
            double d = i - t, u = c * d;
            double k = fabs(u) < 1e-9 ? 1 : sin(PI * u) / (PI * u);
            s += x[i] * c * k * (0.5 + 0.5 * cos(PI * d / half));
        }
        y[j] = (float)s;
    }
    *outn = m;
    return y;
}

/* ---- tests ---------------------------------------------------------------- */

static void check_found(const aim_wm_result *r, const char *what)
{
    if (!r->found || r->payload != PAYLOAD)
        fprintf(stderr, "  %s: found=%d payload=%016llx score=%.2f\n", what, r->found,
                (unsigned long long)r->payload, r->sync_score);
    CHECK(r->found == 1);
    CHECK(r->payload == PAYLOAD);
}

/* 10 s clips at 44.1 kHz: the attacks that pass at 10 s. */
static void t_roundtrip_attacks(void)
{
    aim_wm_key key;
    CHECK_INT(aim_wm_key_from_seed(&key, 42), AIM_OK);
    for (int sig = 0; sig < 2; sig++) {
        const int rate = 44100;
        size_t n = (size_t)rate * 10;
        float *x = sig ? make_music(n, rate, 1, 5) : make_speech(n, rate, 5);
        float *y = embed(x, n, rate, 1, &key, PAYLOAD, 0);
        CHECK(y != NULL);
        if (!y)
            return;
        double snr = snr_db(x, y, n);
        fprintf(stderr, "  %s44: SNR %.1f dB\n", sig ? "music" : "speech", snr);
        CHECK(snr >= 30.0);
        /* the budget is used, not wasted: on a signal of steady level
         * the SNR is the requested one; the level rule leaves speech's
         * loud frames under their share (by Jensen), ~32.7 dB here */
        CHECK(snr < 33.0);
        aim_wm_result r = detect(y, n, rate, 1, &key);
        check_found(&r, "clean");
        CHECK(r.n_segments >= 1);
        if (r.n_segments >= 1) { /* the whole clip is marked */
            CHECK(r.segments[0].start_s < 1.0);
            CHECK(r.segments[r.n_segments - 1].end_s > 9.0);
        }

        float *a = malloc(n * sizeof *a);
        for (size_t i = 0; i < n; i++)
            a[i] = -0.5f * y[i];
        r = detect(a, n, rate, 1, &key);
        check_found(&r, "gain -0.5 (polarity)");

        memcpy(a, y, n * sizeof *a);
        lowpass(a, n, rate, 4000);
        r = detect(a, n, rate, 1, &key);
        check_found(&r, "lowpass 4k");

        size_t m1, m2;
        float *lo = resample(y, n, rate, 16000, &m1);
        float *back = resample(lo, m1, 16000, rate, &m2);
        r = detect(back, m2, rate, 1, &key);
        check_found(&r, "resample 44.1-16-44.1");
        r = detect(lo, m1, 16000, 1, &key);
        check_found(&r, "resample 44.1-16");
        free(lo);
        free(back);
        free(a);
        free(x);
        free(y);
    }
}

/* Noise and quantisation need more audio at the default strength: 20 s. */
static void t_noise_quant_20s(void)
{
    aim_wm_key key;
    CHECK_INT(aim_wm_key_from_seed(&key, 43), AIM_OK);
    for (int sig = 0; sig < 2; sig++) {
        const int rate = 16000;
        size_t n = (size_t)rate * 20;
        float *x = sig ? make_music(n, rate, 1, 11) : make_speech(n, rate, 11);
        float *y = embed(x, n, rate, 1, &key, PAYLOAD, 4096);
        CHECK(snr_db(x, y, n) >= 30.0);
        float *a = malloc(n * sizeof *a);
        memcpy(a, y, n * sizeof *a);
        add_noise(a, n, 20, 99);
        aim_wm_result r = detect(a, n, rate, 1, &key);
        check_found(&r, "noise 20 dB (20 s)");
        for (size_t i = 0; i < n; i++)
            a[i] = roundf(y[i] * 127.0f) / 127.0f;
        r = detect(a, n, rate, 1, &key);
        check_found(&r, "8-bit (20 s)");
        free(a);
        free(x);
        free(y);
    }
}

/* A 10 s clip cut at a random offset from a 25 s marked stream. */
static void t_cut(void)
{
    aim_wm_key key;
    CHECK_INT(aim_wm_key_from_seed(&key, 44), AIM_OK);
    const int rate = 22050;
    size_t n = (size_t)rate * 25;
    for (int sig = 0; sig < 2; sig++) {
        float *x = sig ? make_music(n, rate, 1, 21) : make_speech(n, rate, 21);
        float *y = embed(x, n, rate, 1, &key, PAYLOAD, 0);
        rng r0 = {77 + (uint64_t)sig};
        size_t off = (size_t)(urand(&r0) * (double)(n - (size_t)rate * 10));
        aim_wm_result r = detect(y + off, (size_t)rate * 10, rate, 1, &key);
        check_found(&r, "cut");
        free(x);
        free(y);
    }
}

/* Speed change by resampling (pitch and tempo together), 0.96 and 1.04:
 * a 10 s clip of a 25 s marked stream is found, the speed is estimated. */
static void t_speed_change(void)
{
    aim_wm_key key;
    CHECK_INT(aim_wm_key_from_seed(&key, 50), AIM_OK);
    const int rate = 16000;
    size_t n = (size_t)rate * 25;
    for (int sig = 0; sig < 2; sig++) {
        float *x = sig ? make_music(n, rate, 1, 71) : make_speech(n, rate, 71);
        float *y = embed(x, n, rate, 1, &key, PAYLOAD, 0);
        const size_t off = (size_t)rate * 7 + 1234, len = (size_t)rate * 10;
        /* speed a: resample 16000 -> 16000 / a and play at 16000 */
        static const int outr[2] = {16667, 15385};
        static const double speed[2] = {0.96, 1.04};
        for (int k = 0; k < 2; k++) {
            size_t m;
            float *z = resample(y + off, len, rate, outr[k], &m);
            aim_wm_result r = detect(z, m, rate, 1, &key);
            check_found(&r, sig ? "music speed" : "speech speed");
            fprintf(stderr, "  speed %.3f: estimated %.4f\n", speed[k], r.speed);
            CHECK(fabs(r.speed - 16000.0 / outr[k]) < 0.0025);
            free(z);
        }
        /* the whole 25 s stream at speed 1.04: decoded from one 10 s window,
         * the speed is then refined on the whole clip and the marked range
         * covers it (a grid-step error would drift by ~2 slots) */
        size_t m;
        float *z = resample(y, n, rate, 15385, &m);
        aim_wm_result r = detect(z, m, rate, 1, &key);
        check_found(&r, sig ? "music speed 25 s" : "speech speed 25 s");
        CHECK(fabs(r.speed - 16000.0 / 15385) < 0.0008);
        CHECK(r.n_segments >= 1);
        if (r.n_segments >= 1) {
            double cover = 0;
            for (size_t i = 0; i < r.n_segments; i++)
                cover += r.segments[i].end_s - r.segments[i].start_s;
            fprintf(stderr, "  speed 1.04, 25 s: %.4f, %zu segment(s), %.1f of %.1f s\n",
                    r.speed, r.n_segments, cover, (double)m / rate);
            CHECK(cover > 0.85 * (double)m / rate);
        }
        free(z);
        free(x);
        free(y);
    }
}

/* Tempo change with the pitch kept, as sox tempo does it (WSOLA): grains of
 * 1024 samples (periodic Hann, 50 % overlap) are read at `factor` times
 * the output position, each moved by up to +-160 samples to where it best
 * matches the natural continuation of the previous grain. factor > 1 is
 * faster (shorter). */
static float *tempo_change(const float *x, size_t n, double factor, size_t *outn)
{
    enum { N = 1024, H = N / 2, D = 160 };
    size_t m = (size_t)((double)n / factor);
    float *y = calloc(m, sizeof *y);
    float w[N];
    for (size_t i = 0; i < N; i++)
        w[i] = (float)(0.5 - 0.5 * cos(2 * PI * (double)i / N));
    long prev = 0;
    for (size_t g = 0; g * H + N <= m; g++) {
        long best = lround((double)(g * H) * factor);
        if (g > 0 && (size_t)prev + N <= n) {
            const float *ref = x + prev + H; /* where the previous grain would go on */
            double bc = -1e300;
            long target = best;
            for (long dl = -D; dl <= D; dl++) {
                long q = target + dl;
                if (q < 0 || (size_t)q + N > n)
                    continue;
                double c = 0;
                for (size_t i = 0; i < H; i++)
                    c += (double)ref[i] * x[(size_t)q + i];
                if (c > bc) {
                    bc = c;
                    best = q;
                }
            }
        }
        if (best < 0)
            best = 0;
        if ((size_t)best + N > n)
            best = (long)(n - N);
        for (size_t i = 0; i < N; i++)
            y[g * H + i] += w[i] * x[(size_t)best + i];
        prev = best;
    }
    *outn = m;
    return y;
}

/* Tempo change (pitch kept) by 0.96 and 1.04, and pitch shift (tempo kept)
 * by -40 and +40 cents: WSOLA, then for the pitch a resampling that undoes
 * the duration change. Searched on their own lines (time factor only,
 * frequency factor only); both factors are reported. */
static void t_tempo_pitch(void)
{
    aim_wm_key key;
    CHECK_INT(aim_wm_key_from_seed(&key, 53), AIM_OK);
    const int rate = 16000;
    size_t n = (size_t)rate * 25;
    for (int sig = 0; sig < 2; sig++) {
        float *x = sig ? make_music(n, rate, 1, 91) : make_speech(n, rate, 91);
        float *y = embed(x, n, rate, 1, &key, PAYLOAD, 0);
        const size_t off = (size_t)rate * 6 + 321, len = (size_t)rate * 11;
        for (int k = 0; k < 4; k++) {
            size_t m, m2;
            double want_t = 1.0, want_f = 1.0;
            float *z;
            if (k < 2) { /* tempo */
                want_t = k ? 1.04 : 0.96;
                z = tempo_change(y + off, len, want_t, &m);
            } else { /* pitch: stretch by p, then play p times faster */
                int outr = k == 3 ? 15635 : 16373; /* +-40 cents: p = 1.02337, 0.97722 */
                want_f = 16000.0 / outr;
                float *st = tempo_change(y + off, len, 1.0 / want_f, &m2);
                z = resample(st, m2, rate, outr, &m);
                free(st);
            }
            aim_wm_result r = detect(z, m, rate, 1, &key);
            char what[64];
            snprintf(what, sizeof what, "%s %s %.4f", sig ? "music" : "speech", k < 2 ? "tempo" : "pitch",
                     k < 2 ? want_t : want_f);
            check_found(&r, what);
            fprintf(stderr, "  %s: speed %.4f pitch %.4f\n", what, r.speed, r.pitch);
            CHECK(fabs(r.speed - want_t) < 0.0025);
            CHECK(fabs(r.pitch - want_f) < 0.0025);
            if (k == 1 || k == 3) { /* presence from 3 s of it, payload known */
                aim_wm_presence p = presence_known(z + rate, (size_t)rate * 3, rate, &key);
                fprintf(stderr, "  %s, 3 s: present %d z %.2f pfa %.1e speed %.4f pitch %.4f\n",
                        what, p.present, p.z, p.pfa, p.speed, p.pitch);
                CHECK_INT(p.present, 1);
                CHECK(fabs(p.speed - want_t) < 0.005 && fabs(p.pitch - want_f) < 0.005);
            }
            free(z);
        }
        free(x);
        free(y);
    }
}

/* Presence from 3 s: with the payload known, at the default 1e-12 bound;
 * never on unmarked audio or with another key (derived pfa stays high). */
static void t_presence_3s(void)
{
    aim_wm_key key, other;
    CHECK_INT(aim_wm_key_from_seed(&key, 51), AIM_OK);
    CHECK_INT(aim_wm_key_from_seed(&other, 52), AIM_OK);
    const int rate = 16000;
    size_t n = (size_t)rate * 12, len = (size_t)rate * 3;
    for (int sig = 0; sig < 2; sig++) {
        float *x = sig ? make_music(n, rate, 1, 81) : make_speech(n, rate, 81);
        float *y = embed(x, n, rate, 1, &key, PAYLOAD, 0);
        for (int k = 0; k < 3; k++) {
            size_t off = (size_t)rate * (1 + 3 * (size_t)k) + 777;
            for (int which = 0; which < 3; which++) {
                aim_wm_presence p = presence_known((which == 1 ? x : y) + off, len, rate,
                                                   which == 2 ? &other : &key);
                if (which == 0) {
                    if (!p.present)
                        fprintf(stderr, "  presence %s@%zu: z=%.2f pfa=%.1e\n",
                                sig ? "music" : "speech", off, p.z, p.pfa);
                    CHECK_INT(p.present, 1);
                    CHECK(p.pfa <= 1e-12 && p.z > 8.5);
                    CHECK(fabs(p.speed - 1.0) < 0.005);
                } else {
                    CHECK_INT(p.present, 0);
                    CHECK(p.z < 6.0 && p.pfa > 1e-3);
                }
                CHECK(p.hypotheses > 10000);
            }
        }
        free(x);
        free(y);
    }
    aim_wm_presence_config pc;
    aim_wm_presence p;
    aim_wm_presence_config_init(&pc);
    aim_wm_presence_config_init(NULL);
    CHECK_INT(aim_wm_detector_presence(NULL, &pc, &p), AIM_ERR_INVALID_ARG);
    pc.max_pfa = 0;
    aim_wm_detect_config cfg;
    aim_wm_detect_config_init(&cfg);
    aim_wm_detector *d = NULL;
    CHECK_INT(aim_wm_detector_new(&cfg, &key, &d), AIM_OK);
    CHECK_INT(aim_wm_detector_presence(d, &pc, &p), AIM_ERR_INVALID_ARG);
    pc.max_pfa = 1e-12;
    CHECK_INT(aim_wm_detector_presence(d, NULL, &p), AIM_ERR_INVALID_ARG);
    CHECK_INT(aim_wm_detector_presence(d, &pc, NULL), AIM_ERR_INVALID_ARG);
    CHECK_INT(aim_wm_detector_presence(d, &pc, &p), AIM_OK); /* nothing fed */
    CHECK_INT(p.present, 0);
    aim_wm_detector_free(d);
}

/* Stereo at 48 kHz, marked in blocks of 480 (10 ms, as a live engine). */
static void t_stereo_stream(void)
{
    aim_wm_key key;
    CHECK_INT(aim_wm_key_from_seed(&key, 45), AIM_OK);
    const int rate = 48000;
    size_t n = (size_t)rate * 10;
    float *x = make_music(n, rate, 2, 31);
    float *y = embed(x, n, rate, 2, &key, PAYLOAD, 480);
    CHECK(snr_db(x, y, 2 * n) >= 30.0);
    /* the detector is fed in uneven blocks too */
    aim_wm_detect_config cfg;
    aim_wm_detect_config_init(&cfg);
    cfg.sample_rate = rate;
    cfg.channels = 2;
    aim_wm_detector *d = NULL;
    CHECK_INT(aim_wm_detector_new(&cfg, &key, &d), AIM_OK);
    for (size_t pos = 0; pos < n;) {
        size_t b = 1 + (pos * 7919) % 5000;
        if (b > n - pos)
            b = n - pos;
        CHECK_INT(aim_wm_detector_feed(d, y + 2 * pos, b), AIM_OK);
        pos += b;
    }
    aim_wm_result r;
    CHECK_INT(aim_wm_detector_run(d, &r), AIM_OK);
    check_found(&r, "stereo 48k");
    aim_wm_detector_free(d);
    free(x);
    free(y);
}

/* Output does not depend on how the input is cut into blocks. */
static void t_block_invariance(void)
{
    aim_wm_key key;
    CHECK_INT(aim_wm_key_from_seed(&key, 46), AIM_OK);
    const int rate = 32000;
    size_t n = (size_t)rate * 3;
    float *x = make_speech(n, rate, 41);
    float *y1 = embed(x, n, rate, 1, &key, PAYLOAD, n);
    float *y2 = embed(x, n, rate, 1, &key, PAYLOAD, 0);
    float *y3 = embed(x, n, rate, 1, &key, PAYLOAD, 1);
    CHECK(memcmp(y1, y2, n * sizeof *y1) == 0);
    CHECK(memcmp(y1, y3, n * sizeof *y1) == 0);
    /* no click: the mark (y - x) has no sample-to-sample jump much larger
     * than the host's own */
    double maxd = 0, maxh = 0;
    for (size_t i = 1; i < n; i++) {
        double dm = fabs((y1[i] - x[i]) - (y1[i - 1] - x[i - 1]));
        double dh = fabs(x[i] - x[i - 1]);
        maxd = dm > maxd ? dm : maxd;
        maxh = dh > maxh ? dh : maxh;
    }
    CHECK(maxd < 0.2 * maxh);
    free(x);
    free(y1);
    free(y2);
    free(y3);
}

/* A marked stretch spliced after unmarked audio is localised. */
static void t_localise_splice(void)
{
    aim_wm_key key;
    CHECK_INT(aim_wm_key_from_seed(&key, 49), AIM_OK);
    const int rate = 16000;
    size_t n1 = (size_t)rate * 8, n2 = (size_t)rate * 12;
    float *x1 = make_music(n1, rate, 1, 61);
    float *x2 = make_music(n2, rate, 1, 62);
    float *y2 = embed(x2, n2, rate, 1, &key, PAYLOAD, 0);
    float *all = malloc((n1 + n2) * sizeof *all);
    memcpy(all, x1, n1 * sizeof *all);
    memcpy(all + n1, y2, n2 * sizeof *all);
    aim_wm_result r = detect(all, n1 + n2, rate, 1, &key);
    check_found(&r, "splice");
    CHECK(r.n_segments >= 1);
    if (r.n_segments >= 1) {
        fprintf(stderr, "  splice: %zu segment(s), first %.2f-%.2f s, last ends %.2f s\n",
                r.n_segments, r.segments[0].start_s, r.segments[0].end_s,
                r.segments[r.n_segments - 1].end_s);
        CHECK(r.segments[0].start_s > 7.0 && r.segments[0].start_s < 9.0);
        CHECK(r.segments[r.n_segments - 1].end_s > 19.0);
    }
    free(x1);
    free(x2);
    free(y2);
    free(all);
}

/* No detection on unmarked audio (30 clips; the bench sweeps more) nor
 * with a wrong key. */
static void t_no_false_positive(void)
{
    aim_wm_key key, other;
    CHECK_INT(aim_wm_key_from_seed(&key, 47), AIM_OK);
    CHECK_INT(aim_wm_key_from_seed(&other, 48), AIM_OK);
    const int rate = 16000;
    size_t n = (size_t)rate * 10;
    int hits = 0;
    for (int i = 0; i < 30; i++) {
        float *x = i % 3 == 2 ? make_music(n, rate, 1, (uint64_t)i + 100)
                              : make_speech(n, rate, (uint64_t)i + 100);
        if (i % 5 == 4)
            add_noise(x, n, 10, (uint64_t)i);
        aim_wm_result r = detect(x, n, rate, 1, &key);
        hits += r.found;
        free(x);
    }
    CHECK_INT(hits, 0);
    for (int sig = 0; sig < 2; sig++) {
        float *x = sig ? make_music(n, rate, 1, 200) : make_speech(n, rate, 200);
        float *y = embed(x, n, rate, 1, &key, PAYLOAD, 0);
        aim_wm_result r = detect(y, n, rate, 1, &other);
        CHECK_INT(r.found, 0);
        r = detect(y, n, rate, 1, &key);
        check_found(&r, "right key");
        free(x);
        free(y);
    }
}

static void t_api_misuse(void)
{
    aim_wm_key key;
    unsigned char kb[AIM_WM_KEY_BYTES] = {1, 2, 3};
    CHECK_INT(aim_wm_key_from_bytes(&key, kb, sizeof kb), AIM_OK);
    CHECK_INT(aim_wm_key_from_bytes(&key, kb, 16), AIM_ERR_INVALID_ARG);
    CHECK_INT(aim_wm_key_from_bytes(NULL, kb, sizeof kb), AIM_ERR_INVALID_ARG);
    CHECK_INT(aim_wm_key_from_bytes(&key, NULL, sizeof kb), AIM_ERR_INVALID_ARG);
    CHECK_INT(aim_wm_key_from_seed(NULL, 1), AIM_ERR_INVALID_ARG);

    aim_wm_embed_config ec;
    aim_wm_embed_config_init(&ec);
    aim_wm_embed_config_init(NULL);
    aim_wm_embedder *e = (aim_wm_embedder *)&ec;
    CHECK_INT(aim_wm_embedder_new(NULL, &key, 1, &e), AIM_ERR_INVALID_ARG);
    CHECK(e == NULL);
    CHECK_INT(aim_wm_embedder_new(&ec, NULL, 1, &e), AIM_ERR_INVALID_ARG);
    CHECK_INT(aim_wm_embedder_new(&ec, &key, 1, NULL), AIM_ERR_INVALID_ARG);
    ec.sample_rate = 7999;
    CHECK_INT(aim_wm_embedder_new(&ec, &key, 1, &e), AIM_ERR_INVALID_ARG);
    ec.sample_rate = 96001;
    CHECK_INT(aim_wm_embedder_new(&ec, &key, 1, &e), AIM_ERR_INVALID_ARG);
    ec.sample_rate = 44100;
    ec.channels = 0;
    CHECK_INT(aim_wm_embedder_new(&ec, &key, 1, &e), AIM_ERR_INVALID_ARG);
    ec.channels = 1;
    ec.target_snr_db = 10.0f;
    CHECK_INT(aim_wm_embedder_new(&ec, &key, 1, &e), AIM_ERR_INVALID_ARG);
    ec.target_snr_db = 0.0f / 0.0f; /* NaN */
    CHECK_INT(aim_wm_embedder_new(&ec, &key, 1, &e), AIM_ERR_INVALID_ARG);
    ec.target_snr_db = 30.0f;
    ec.sample_rate = 8000;
    CHECK_INT(aim_wm_embedder_new(&ec, &key, 1, &e), AIM_OK);
    if (e) {
        float in[4] = {0}, out[4];
        size_t w = 99;
        CHECK(aim_wm_embedder_latency(e) > 0);
        CHECK(aim_wm_embedder_latency(e) < 8000 / 10); /* < 100 ms */
        CHECK_INT(aim_wm_embedder_process(e, NULL, 4, out, &w), AIM_ERR_INVALID_ARG);
        CHECK_INT(aim_wm_embedder_process(e, in, 4, NULL, &w), AIM_ERR_INVALID_ARG);
        CHECK_INT(aim_wm_embedder_process(e, in, 4, out, NULL), AIM_ERR_INVALID_ARG);
        CHECK_INT(aim_wm_embedder_process(e, in, 0, NULL, &w), AIM_OK);
        CHECK_INT(w, 0);
        CHECK_INT(aim_wm_embedder_process(e, in, 1, out, &w), AIM_OK); /* tiny block */
        CHECK_INT(aim_wm_embedder_flush(e, out, 0, &w), AIM_ERR_BUFFER_TOO_SMALL);
        float big[2048];
        CHECK_INT(aim_wm_embedder_flush(e, big, 2048, &w), AIM_OK);
        CHECK_INT(w, 1); /* one frame in, one out */
        CHECK_INT(aim_wm_embedder_process(e, in, 1, out, &w), AIM_ERR_BAD_STATE);
    }
    CHECK_INT(aim_wm_embedder_latency(NULL), 0);
    aim_wm_embedder_free(e);
    aim_wm_embedder_free(NULL);

    aim_wm_detect_config dc;
    aim_wm_detect_config_init(&dc);
    aim_wm_detect_config_init(NULL);
    aim_wm_detector *d = NULL;
    CHECK_INT(aim_wm_detector_new(NULL, &key, &d), AIM_ERR_INVALID_ARG);
    dc.max_seconds = 1.0;
    CHECK_INT(aim_wm_detector_new(&dc, &key, &d), AIM_ERR_INVALID_ARG);
    dc.max_seconds = 5.0;
    dc.channels = AIM_WM_MAX_CHANNELS + 1;
    CHECK_INT(aim_wm_detector_new(&dc, &key, &d), AIM_ERR_INVALID_ARG);
    dc.channels = 1;
    dc.sample_rate = 100;
    CHECK_INT(aim_wm_detector_new(&dc, &key, &d), AIM_ERR_INVALID_ARG);
    dc.sample_rate = 16000;
    CHECK_INT(aim_wm_detector_new(&dc, &key, &d), AIM_OK);
    if (d) {
        aim_wm_result r;
        float s[3] = {0.1f, -0.1f, 0.2f};
        CHECK_INT(aim_wm_detector_run(d, &r), AIM_OK); /* nothing fed */
        CHECK_INT(r.found, 0);
        CHECK_INT(aim_wm_detector_feed(d, NULL, 3), AIM_ERR_INVALID_ARG);
        CHECK_INT(aim_wm_detector_feed(d, s, 3), AIM_OK);
        CHECK_INT(aim_wm_detector_run(d, &r), AIM_OK); /* tiny input */
        CHECK_INT(r.found, 0);
        CHECK_INT(aim_wm_detector_run(d, NULL), AIM_ERR_INVALID_ARG);
        /* more than max_seconds: the window slides, no overflow */
        float *z = calloc(16000 * 12, sizeof *z);
        CHECK_INT(aim_wm_detector_feed(d, z, 16000 * 12), AIM_OK);
        CHECK_INT(aim_wm_detector_run(d, &r), AIM_OK);
        CHECK_INT(r.found, 0);
        free(z);
        aim_wm_detector_reset(d);
    }
    aim_wm_detector_free(d);
    aim_wm_detector_free(NULL);
    aim_wm_detector_reset(NULL);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The mark stays under the host's masking threshold (dsp/masking.h) in
 * the critical bands it occupies, measured at 16 kHz on the embedder's
 * own frame grid: median under 0 dB, 95th percentile under +3 dB (two
 * frames' marks overlap at every instant). On speech and this music the
 * SNR budget binds first; a held harmonic tone is where the envelope rule
 * alone would put the mark over the threshold (95th pct +6 dB without the
 * cap). */
static void t_masked(void)
{
    aim_wm_key key;
    CHECK_INT(aim_wm_key_from_seed(&key, 42), AIM_OK);
    const int rate = 16000;
    const size_t n = (size_t)rate * 10, N = 1024;
    for (int sig = 0; sig < 3; sig++) {
        float *x = sig == 1 ? make_music(n, rate, 1, 9) : make_speech(n, rate, 9);
        if (sig == 2 && x) /* a held harmonic tone: 220 Hz, 15 partials */
            for (size_t i = 0; i < n; i++) {
                double v = 0;
                for (int h = 1; h <= 15; h++)
                    v += 0.3 / h * sin(2 * 3.14159265358979 * 220.0 * h * (double)i / rate);
                x[i] = (float)v;
            }
        float *y = embed(x, n, rate, 1, &key, PAYLOAD, 0);
        dsp_fft *f = dsp_fft_new(N);
        dsp_masking *m = dsp_masking_new(rate, N);
        size_t cap = (n / 512) * DSP_MASKING_MAX_BANDS, cnt = 0;
        double *r = malloc(cap * sizeof *r);
        CHECK(x && y && f && m && r);
        if (!x || !y || !f || !m || !r)
            return;
        static float w[1024], fa[1024], fb[1024], sa[1026], sb[1026], pa[513], pb[513];
        float thr[DSP_MASKING_MAX_BANDS];
        const uint8_t *band = dsp_masking_band_of(m);
        dsp_hann(w, N);
        for (size_t p = 512; p + N <= n; p += 512) {
            double ex = 0;
            for (size_t i = 0; i < N; i++) {
                fa[i] = x[p + i] * w[i];
                fb[i] = (y[p + i] - x[p + i]) * w[i];
                ex += (double)x[p + i] * x[p + i];
            }
            if (ex < 1e-6 * (double)N) /* near-silent frame */
                continue;
            dsp_fft_forward(f, fa, sa);
            dsp_fft_forward(f, fb, sb);
            for (size_t k = 0; k <= N / 2; k++) {
                pa[k] = sa[2 * k] * sa[2 * k] + sa[2 * k + 1] * sa[2 * k + 1];
                pb[k] = sb[2 * k] * sb[2 * k] + sb[2 * k + 1] * sb[2 * k + 1];
            }
            dsp_masking_threshold(m, pa, thr);
            double mb[DSP_MASKING_MAX_BANDS] = {0};
            for (size_t k = 1; k <= N / 2; k++)
                mb[band[k]] += pb[k];
            /* bands wholly inside the marked 312-3625 Hz */
            for (size_t b = (size_t)band[20] + 1; b < band[231]; b++)
                r[cnt++] = 10 * log10(mb[b] / thr[b] + 1e-30);
        }
        qsort(r, cnt, sizeof *r, cmp_double);
        double med = r[cnt / 2], p95 = r[cnt * 95 / 100];
        fprintf(stderr, "  %s16: mark/threshold median %.1f dB, 95th pct %.1f dB (%zu)\n",
                sig == 2 ? "tone" : sig ? "music" : "speech", med, p95, cnt);
        CHECK(cnt > 1000);
        CHECK(med < 0.0);
        CHECK(p95 < 3.0);
        free(r);
        dsp_masking_free(m);
        dsp_fft_free(f);
        free(x);
        free(y);
    }
}

/* Non-finite input samples (a float WAV may hold NaN or inf): the embedder
 * passes them through but the mark stays finite everywhere else, and the
 * detector still finds the mark. */
static void t_nonfinite(void)
{
    aim_wm_key key;
    CHECK_INT(aim_wm_key_from_seed(&key, 42), AIM_OK);
    const int rate = 16000;
    const size_t n = (size_t)rate * 10;
    float *x = make_music(n, rate, 1, 11);
    CHECK(x != NULL);
    if (!x)
        return;
    const size_t bad[3] = {20000, 80001, 120002};
    x[bad[0]] = NAN;
    x[bad[1]] = INFINITY;
    x[bad[2]] = -INFINITY;
    float *y = embed(x, n, rate, 1, &key, PAYLOAD, 0);
    CHECK(y != NULL);
    if (y) {
        size_t nonfinite = 0;
        for (size_t i = 0; i < n; i++)
            nonfinite += !isfinite(y[i]);
        CHECK_INT(nonfinite, 3);
        aim_wm_result r = detect(y, n, rate, 1, &key);
        check_found(&r, "non-finite samples");
    }
    free(x);
    free(y);
}

/* The payload code alone (src/wm/wm_code.c): the polar table is what its
 * construction gives; clean, noisy and erased words decode to the exact
 * payload; noise alone is never accepted. Soft bits are built as in the
 * detector: a sum of cells, each +-a plus unit Gaussian noise. */
static void soft_word(const int8_t *coded, double a, size_t cells, double erase, rng *r,
                      float *soft)
{
    memset(soft, 0, WM_CODED * sizeof *soft);
    for (size_t c = 0; c < cells; c++) {
        size_t b = c % WM_CODED;
        soft[b] += (float)(a * coded[b] + nrand(r));
    }
    for (size_t b = 0; b < WM_CODED; b++)
        if (urand(r) < erase)
            soft[b] = 0.0f; /* an erased bit: no information */
}

static void t_payload_code(void)
{
    uint64_t info[WM_CODED / 64];
    wm_polar_design(WM_POLAR_DESIGN, info);
    const uint64_t *table = wm_polar_info();
    int ninfo = 0, same = 1;
    for (size_t w = 0; w < WM_CODED / 64; w++) {
        same &= info[w] == table[w];
        for (int b = 0; b < 64; b++)
            ninfo += (int)((table[w] >> b) & 1);
    }
    CHECK(same);
    CHECK_INT(ninfo, WM_MSG_BITS);
    aim_wm_key key;
    CHECK_INT(aim_wm_key_from_seed(&key, 7), AIM_OK);
    static wm_layout lay;
    wm_layout_init(&lay, &key);
    rng r = {99};
    int8_t coded[WM_CODED];
    float soft[WM_CODED];
    /* a 10 s clip holds ~4680 data cells; -10 dB per cell is 1.5 dB above
     * the code's measured threshold (bench/wm/code_sim.c) */
    const double a_ok = pow(10.0, -10.0 / 20.0);
    int clean = 0, noisy = 0, erased = 0, accepted_noise = 0;
    for (int t = 0; t < 40; t++) {
        uint64_t payload = (uint64_t)(urand(&r) * 18446744073709551615.0) ^ (uint64_t)t << 40;
        uint64_t got = 0, raw = 0;
        wm_encode(&lay, payload, coded);
        for (size_t b = 0; b < WM_CODED; b++)
            soft[b] = coded[b];
        clean += wm_decode(&lay, soft, &got, &raw) == 1 && got == payload && raw == payload;
        soft_word(coded, a_ok, 4680, 0.0, &r, soft);
        noisy += wm_decode(&lay, soft, &got, NULL) == 1 && got == payload;
        /* a quarter of the coded bits lost (say, a band cut away), the rest strong */
        soft_word(coded, 0.5, 4680, 0.25, &r, soft);
        erased += wm_decode(&lay, soft, &got, NULL) == 1 && got == payload;
        soft_word(coded, 0.0, 4680, 0.0, &r, soft);
        accepted_noise += wm_decode(&lay, soft, &got, NULL) != 0;
    }
    CHECK_INT(clean, 40);
    CHECK_INT(noisy, 40);
    CHECK_INT(erased, 40);
    CHECK_INT(accepted_noise, 0);
    /* a word made for another key's check mask is rejected */
    aim_wm_key other;
    CHECK_INT(aim_wm_key_from_seed(&other, 8), AIM_OK);
    static wm_layout lay2;
    wm_layout_init(&lay2, &other);
    wm_encode(&lay2, PAYLOAD, coded);
    for (size_t b = 0; b < WM_CODED; b++)
        soft[b] = coded[b];
    uint64_t got = 0;
    CHECK_INT(wm_decode(&lay, soft, &got, NULL), 0);
}

/* The level-dependent budget (wm_embed.c) gives quiet frames more than
 * their own share: on signals whose level jumps (a burst after silence,
 * loud and quiet seconds alternating, a slow fade) the whole file still
 * comes out at >= 30 dB SNR and no second under 30 - BOOST_DB (5) dB.
 * Seconds next to a 20 dB jump also carry part of the mark of the loud
 * frames that overlap them (64 ms frames): 24.2 dB there without the
 * level rule, 22.0 dB with it, 20.9 dB once the guard may also raise
 * budgets (up to +3 dB, so that the whole file comes to the requested
 * SNR rather than ~1.3 dB over it on speech); the bound there is 20.5 dB,
 * and every band of those frames stays under its masking threshold. */
/* The layout's chips: every chip (WM_CHIP slots of a group, aligned in
 * the period) carries one coded bit as +r -r +r -r, sync likewise; every
 * coded bit has at least one chip, none more than one above the rest. */
/* The detector's SSE2 and plain C frame kernels give the same bits. */
static void t_kernel_paths(void)
{
    for (uint64_t seed = 1; seed <= 200; seed++)
        CHECK(wm_frame_features_diff(seed) == 0.0f);
}

static void t_layout_chips(void)
{
    aim_wm_key key;
    aim_wm_key_from_seed(&key, 7);
    wm_layout lay;
    wm_layout_init(&lay, &key);
    unsigned chips[WM_CODED] = {0};
    int sync_bad = 0, data_bad = 0;
    for (size_t t = 0; t < WM_PERIOD; t += WM_CHIP) {
        for (size_t u = 1; u < WM_CHIP; u++)
            sync_bad += lay.sync[t + u] != (u % 2 ? -lay.sync[t] : lay.sync[t]);
        for (size_t g = 0; g < WM_DGROUPS; g++) {
            chips[lay.cell_bit[t][g]]++;
            for (size_t u = 1; u < WM_CHIP; u++) {
                data_bad += lay.cell_bit[t + u][g] != lay.cell_bit[t][g];
                data_bad += lay.cell_sign[t + u][g] !=
                            (u % 2 ? -lay.cell_sign[t][g] : lay.cell_sign[t][g]);
            }
        }
    }
    CHECK_INT(sync_bad, 0);
    CHECK_INT(data_bad, 0);
    unsigned lo = ~0u, hi = 0, pos = 0;
    for (size_t b = 0; b < WM_CODED; b++) {
        lo = chips[b] < lo ? chips[b] : lo;
        hi = chips[b] > hi ? chips[b] : hi;
        CHECK_INT(lay.bit_cells[b], chips[b] * WM_CHIP);
    }
    CHECK(lo >= 1 && hi <= lo + 1);
    /* the key signs are balanced (not a fixed pattern) */
    for (size_t t = 0; t < WM_PERIOD; t += WM_CHIP)
        pos += lay.sync[t] > 0;
    CHECK(pos > WM_CHIPS / 4 && pos < WM_CHIPS * 3 / 4);
}

static void t_snr_level_changes(void)
{
    aim_wm_key key;
    CHECK_INT(aim_wm_key_from_seed(&key, 5), AIM_OK);
    const int rate = 16000;
    const size_t n = (size_t)rate * 20;
    for (int kind = 0; kind < 3; kind++) {
        float *x = kind == 1 ? make_music(n, rate, 1, 21) : make_speech(n, rate, 22);
        CHECK(x != NULL);
        if (!x)
            return;
        for (size_t i = 0; i < n; i++) {
            double t = (double)i / rate, g = 1.0;
            if (kind == 0)
                g = t < 6.0 ? 0.0 : 1.0; /* silence, then speech */
            else if (kind == 1)
                g = ((int)t % 2) ? 0.1 : 1.0; /* -20 dB every other second */
            else
                g = pow(10.0, -2.0 * t / 20.0); /* fade by 2 dB a second */
            x[i] *= (float)g;
        }
        float *y = embed(x, n, rate, 1, &key, PAYLOAD, 0);
        CHECK(y != NULL);
        if (y) {
            double worst = 1e9;
            for (size_t s0 = 0; s0 + (size_t)rate <= n; s0 += (size_t)rate) {
                double hs = 0;
                for (size_t i = s0; i < s0 + (size_t)rate; i++)
                    hs += (double)x[i] * x[i];
                if (hs > 1e-6 * rate) /* not silence */
                    worst = fmin(worst, snr_db(x + s0, y + s0, (size_t)rate));
            }
            double all = snr_db(x, y, n);
            fprintf(stderr, "  level kind %d: SNR %.1f dB, worst second %.1f dB\n", kind, all, worst);
            CHECK(all >= 30.0);
            CHECK(worst >= (kind == 1 ? 20.5 : 24.9));
            CHECK(all < 31.0); /* the budget is used, not left ~1.3 dB under */
        }
        free(x);
        free(y);
    }
}

TEST_MAIN(t_payload_code, t_kernel_paths, t_layout_chips, t_snr_level_changes, t_roundtrip_attacks, t_masked, t_nonfinite, t_noise_quant_20s, t_cut, t_speed_change, t_tempo_pitch, t_presence_3s, t_stereo_stream, t_block_invariance,
          t_localise_splice, t_no_false_positive, t_api_misuse)
