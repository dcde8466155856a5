/* Detector: model blob validation (valid, corrupt, hostile), inference
 * parity against torch/sklearn (vectors written by train.py), streaming =
 * file-level, calibration, API misuse. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "aimark/detect.h"
#include "detect/cond.h"
#include "detect/detect_internal.h"
#include "test.h"

/* Parity tolerances (C float32 vs torch float32 / sklearn float64):
 * embeddings and window raw scores 1e-4 absolute + 1e-4 relative, GMM
 * frame LLRs 1e-3 absolute (differences of log-likelihoods of ~-100
 * accumulated in float32). Measured: ~2e-6, ~3e-7 and ~3e-5. */
#define EMB_TOL 1e-4
#define WIN_TOL 1e-4
#define GMM_TOL 1e-3

static char *src_path(const char *rel)
{
    static char buf[4096];
    const char *f = __FILE__;
    const char *cut = strstr(f, "tests/unit/");
    size_t n = cut ? (size_t)(cut - f) : 0;
    snprintf(buf, sizeof buf, "%.*s%s", (int)n, f, rel);
    return buf;
}

static void *slurp(const char *rel, size_t *len)
{
    FILE *fp = fopen(src_path(rel), "rb");
    *len = 0;
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    void *p = malloc(n > 0 ? (size_t)n : 1);
    if (p && fread(p, 1, (size_t)n, fp) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(fp);
    *len = (size_t)n;
    return p;
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/* Recompute the trailing CRC (and a tensor's CRC) after an edit, so the
 * edit itself is what the parser must catch. */
static void fix_crc(unsigned char *b, size_t n)
{
    uint32_t nt = rd32(b + 16);
    for (uint32_t i = 0; i < nt && 80 + 52 * (size_t)(i + 1) <= n; i++) {
        unsigned char *e = b + 80 + 52 * (size_t)i;
        uint32_t off = rd32(e + 40), nb = rd32(e + 44);
        if ((size_t)off + nb <= n - 4)
            wr32(e + 48, (uint32_t)crc32(0L, b + off, nb));
    }
    wr32(b + n - 4, (uint32_t)crc32(0L, b, (uInt)(n - 4)));
}

static int load(const unsigned char *b, size_t n)
{
    aim_detect_model *m = NULL;
    aim_diag dg;
    int rc = aim_detect_model_load_memory(b, n, &m, &dg);
    if (rc == AIM_OK)
        CHECK(m != NULL);
    else
        CHECK(m == NULL && dg.message[0] != 0);
    aim_detect_model_free(m);
    return rc;
}

static void t_default_and_files(void)
{
    aim_detect_model *m = NULL;
    CHECK_INT(aim_detect_model_default(&m), AIM_OK);
    CHECK(m && strncmp(aim_detect_model_name(m), "aimark-lcnn ", 12) == 0);
    CHECK(isfinite(aim_detect_model_threshold(m)));
    aim_detect_model_free(m);
    static const char *const files[] = {"models/aimark-lcnn.aimdet", "models/aimark-gmm.aimdet"};
    for (int i = 0; i < 2; i++) {
        aim_diag dg;
        m = NULL;
        CHECK_INT(aim_detect_model_load_file(src_path(files[i]), &m, &dg), AIM_OK);
        aim_detect_model_free(m);
    }
    aim_diag dg;
    m = NULL;
    CHECK_INT(aim_detect_model_load_file("/nonexistent/model.aimdet", &m, &dg), AIM_ERR_IO);
    CHECK(m == NULL);
    CHECK_INT(aim_detect_model_load_file(src_path("LICENSE"), &m, &dg), AIM_ERR_UNKNOWN_FORMAT);
}

static void t_corrupt(void)
{
    size_t n;
    unsigned char *b = slurp("models/aimark-lcnn.aimdet", &n);
    CHECK(b && n > 200);
    if (!b)
        return;
    unsigned char *c = malloc(n);
    CHECK_INT(load(b, n), AIM_OK);
    /* every truncation is rejected */
    for (size_t k = 0; k < n; k += (k < 400 ? 1 : 997))
        if (load(b, k) == AIM_OK) {
            CHECK(!"truncated blob accepted");
            break;
        }
    /* a single flipped bit anywhere is caught (CRC) */
    for (size_t k = 0; k < n; k += 131) {
        memcpy(c, b, n);
        c[k] ^= 0x10;
        if (load(c, n) == AIM_OK) {
            CHECK(!"bit flip accepted");
            break;
        }
    }
    /* field edits with valid checksums */
    memcpy(c, b, n);
    wr32(c + 8, 2); /* newer format */
    fix_crc(c, n);
    CHECK_INT(load(c, n), AIM_ERR_UNSUPPORTED);
    memcpy(c, b, n);
    wr32(c + 12, 9); /* unknown type */
    fix_crc(c, n);
    CHECK_INT(load(c, n), AIM_ERR_UNSUPPORTED);
    memcpy(c, b, n);
    wr32(c + 16, 100000); /* tensor count */
    fix_crc(c, n);
    CHECK_INT(load(c, n), AIM_ERR_LIMIT);
    memcpy(c, b, n);
    wr32(c + 60, 0xbf800000u); /* calibration slope -1: not monotone */
    fix_crc(c, n);
    CHECK_INT(load(c, n), AIM_ERR_CORRUPT);
    memcpy(c, b, n);
    wr32(c + 72, 2); /* unknown front-end */
    fix_crc(c, n);
    CHECK_INT(load(c, n), AIM_ERR_UNSUPPORTED);
    memcpy(c, b, n);
    wr32(c + 76, 1); /* reserved */
    fix_crc(c, n);
    CHECK_INT(load(c, n), AIM_ERR_CORRUPT);
    memcpy(c, b, n);
    memset(c + 24, 0, 32); /* empty name */
    fix_crc(c, n);
    CHECK_INT(load(c, n), AIM_ERR_CORRUPT);
    uint32_t nt = rd32(b + 16);
    for (uint32_t i = 0; i < nt; i++) {
        size_t e = 80 + 52 * (size_t)i;
        memcpy(c, b, n);
        wr32(c + e + 24, rd32(c + e + 24) + 1); /* dim 0 off by one */
        fix_crc(c, n);
        CHECK(load(c, n) != AIM_OK);
        memcpy(c, b, n);
        wr32(c + e + 40, 0xfffffff0u); /* offset past the end */
        fix_crc(c, n);
        CHECK_INT(load(c, n), AIM_ERR_CORRUPT);
        memcpy(c, b, n);
        wr32(c + e + 44, rd32(c + e + 44) + 4); /* byte count disagrees with shape */
        fix_crc(c, n);
        CHECK_INT(load(c, n), AIM_ERR_CORRUPT);
        memcpy(c, b, n);
        c[e] = 'Z'; /* a required tensor renamed */
        fix_crc(c, n);
        CHECK(load(c, n) != AIM_OK);
        memcpy(c, b, n);
        wr32(c + e + 24, 0x10000000u); /* huge dim */
        fix_crc(c, n);
        CHECK_INT(load(c, n), AIM_ERR_LIMIT);
    }
    /* a NaN weight */
    memcpy(c, b, n);
    uint32_t off = rd32(c + 80 + 52 * 3 + 40); /* conv0.w */
    wr32(c + off, 0x7fc00000u);
    fix_crc(c, n);
    CHECK_INT(load(c, n), AIM_ERR_CORRUPT);
    CHECK_INT(load(NULL, 0), AIM_ERR_UNKNOWN_FORMAT);
    free(c);
    free(b);
}

/* Run the parity clip's features through a detector and compare window
 * raw scores (col 2 GMM, col 3 NN of parity_windows.f64). */
static void parity(const char *model, int col)
{
    size_t nf, nv, nw;
    float *feat = slurp("tests/data/detect/parity_feat.f32", &nf);
    unsigned char *v = slurp("tests/data/detect/parity_voiced.u8", &nv);
    double *win = slurp("tests/data/detect/parity_windows.f64", &nw);
    CHECK(feat && v && win);
    aim_detect_model *m = NULL;
    aim_diag dg;
    CHECK_INT(aim_detect_model_load_file(src_path(model), &m, &dg), AIM_OK);
    if (!feat || !v || !win || !m)
        return;
    size_t T = nv, W = nw / (4 * sizeof(double));
    CHECK_INT(nf, T * LFCC_DIM * sizeof(float));
    /* per-frame outputs */
    det_frame_state *fs = det_frame_state_new(m);
    size_t ne;
    float *ref = slurp(m->type == DET_TYPE_NN ? "tests/data/detect/parity_nn_emb.f32"
                                              : "tests/data/detect/parity_gmm_llr.f32",
                       &ne);
    CHECK(ref && ne == T * (size_t)m->emb_dim * sizeof(float));
    float emb[DET_MAX_CHANNELS];
    double worst = 0;
    int bad = 0;
    for (size_t t = 0; ref && t < T; t++) {
        det_frame(m, fs, feat + t * LFCC_DIM, emb);
        for (int e = 0; e < m->emb_dim; e++) {
            double r = ref[t * (size_t)m->emb_dim + (size_t)e], d = fabs(emb[e] - r);
            worst = d > worst ? d : worst;
            if (d > (m->type == DET_TYPE_NN ? EMB_TOL + EMB_TOL * fabs(r) : GMM_TOL + 1e-5 * fabs(r)))
                bad++;
        }
    }
    printf("%s: frame outputs worst abs diff %.2e\n", model, worst);
    CHECK_INT(bad, 0);
    det_frame_state_free(fs);
    /* windows through the streaming windowing */
    aim_detector *d = NULL;
    CHECK_INT(aim_detector_new(m, NULL, &d), AIM_OK);
    for (size_t t = 0; t < T; t++)
        det_feed_feature(d, feat + t * LFCC_DIM, v[t]);
    /* the tail window comes from finish(); the front-end has nothing */
    CHECK_INT(aim_detector_finish(d), AIM_OK);
    aim_detect_window w;
    size_t k = 0;
    worst = 0;
    for (size_t i = 0; i < W; i++) {
        double raw = win[4 * i + (size_t)col];
        if (isnan(raw))
            continue;
        CHECK(aim_detector_next_window(d, &w) == 1);
        double start = win[4 * i] * 0.01;
        CHECK(fabs(w.start_s - start) < 1e-9);
        double got = (w.score - m->calib_b) / m->calib_a;
        double diff = fabs(got - raw);
        worst = diff > worst ? diff : worst;
        CHECK(diff <= WIN_TOL + WIN_TOL * fabs(raw));
        k++;
    }
    CHECK_INT(aim_detector_next_window(d, &w), 0);
    printf("%s: %zu windows, raw score worst abs diff %.2e\n", model, k, worst);
    CHECK(k >= 2);
    aim_detector_free(d);
    aim_detect_model_free(m);
    free(ref);
    free(feat);
    free(v);
    free(win);
}

static void t_parity_nn(void)
{
    parity("models/aimark-lcnn.aimdet", 3);
}

static void t_parity_gmm(void)
{
    parity("models/aimark-gmm.aimdet", 2);
}

/* A deterministic speech-like test signal: a glottal-ish pulse train
 * through two resonances with a syllable envelope, plus a little noise. */
static float *signal(int rate, int ch, double seconds, size_t *frames)
{
    size_t n = (size_t)(seconds * rate);
    float *x = malloc(n * (size_t)ch * sizeof *x);
    double y1 = 0, y2 = 0, z1 = 0, z2 = 0;
    uint32_t s = 12345;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rate, f0 = 120 + 30 * sin(2 * 3.14159 * 0.7 * t);
        double ph = fmod(t * f0, 1.0);
        double src = ph < 0.05 ? 1.0 : 0.0;
        s = s * 1664525u + 1013904223u;
        src += ((double)(s >> 8) / 16777216.0 - 0.5) * 0.05;
        double r = 0.97, w1 = 2 * 3.14159 * 700 / rate, w2 = 2 * 3.14159 * 1800 / rate;
        double a = src + 2 * r * cos(w1) * y1 - r * r * y2;
        y2 = y1;
        y1 = a;
        double b = a + 2 * r * cos(w2) * z1 - r * r * z2;
        z2 = z1;
        z1 = b;
        double env = 0.5 + 0.5 * sin(2 * 3.14159 * 3 * t);
        for (int c = 0; c < ch; c++)
            x[i * (size_t)ch + (size_t)c] = (float)(0.02 * b * env * (c ? 0.8 : 1.0));
    }
    *frames = n;
    return x;
}

static void t_stream_equals_file(void)
{
    aim_detect_model *m = NULL;
    CHECK_INT(aim_detect_model_default(&m), AIM_OK);
    static const int rates[] = {16000, 44100, 8000};
    for (int ri = 0; ri < 3; ri++) {
        aim_detect_config cfg;
        aim_detect_config_init(&cfg);
        cfg.sample_rate = rates[ri];
        cfg.channels = ri == 1 ? 2 : 1;
        size_t n;
        float *x = signal(cfg.sample_rate, cfg.channels, 5.3, &n);
        aim_detect_result whole;
        CHECK_INT(aim_detect_pcm(m, &cfg, x, n, &whole), AIM_OK);
        /* 5.3 s: windows at 0, 0.5 .. 3.0 s (7) + a tail window = 8 */
        CHECK_INT(whole.n_windows, 8);
        CHECK(isfinite(whole.score));
        CHECK(fabs(whole.seconds - 5.3) < 1e-3);
        aim_detector *d = NULL;
        CHECK_INT(aim_detector_new(m, &cfg, &d), AIM_OK);
        uint32_t s = 7;
        size_t pos = 0, got = 0;
        double sum = 0, first_end = 0;
        aim_detect_window w;
        while (pos < n) {
            s = s * 1103515245u + 12345u;
            size_t k = 1 + (s >> 16) % 3000;
            if (k > n - pos)
                k = n - pos;
            CHECK_INT(aim_detector_push(d, x + pos * (size_t)cfg.channels, k), AIM_OK);
            pos += k;
            while (aim_detector_next_window(d, &w)) {
                if (!got)
                    first_end = w.end_s;
                got++;
                sum += w.score;
            }
        }
        CHECK_INT(got, 7); /* the full windows arrive while streaming */
        CHECK(fabs(first_end - 2.0) < 0.011);
        CHECK_INT(aim_detector_finish(d), AIM_OK);
        CHECK_INT(aim_detector_push(d, x, 1), AIM_ERR_BAD_STATE);
        while (aim_detector_next_window(d, &w)) {
            got++;
            sum += w.score;
            CHECK(fabs(w.end_s - 5.3) < 0.011);
        }
        CHECK_INT(got, 8);
        aim_detect_result r;
        aim_detector_result(d, &r);
        CHECK_INT(r.n_windows, whole.n_windows);
        CHECK(fabs(r.score - whole.score) < 1e-9);
        CHECK(fabs(sum / 8 - whole.score) < 1e-9);
        CHECK_INT(r.synthetic, whole.synthetic);
        CHECK(r.threshold == aim_detect_model_threshold(m));
        /* reset gives the same again */
        aim_detector_reset(d);
        CHECK_INT(aim_detector_push(d, x, n), AIM_OK);
        CHECK_INT(aim_detector_finish(d), AIM_OK);
        aim_detector_result(d, &r);
        CHECK(fabs(r.score - whole.score) < 1e-9);
        aim_detector_free(d);
        free(x);
    }
    aim_detect_model_free(m);
}

static void t_calibration_threshold(void)
{
    aim_detect_model *m = NULL;
    CHECK_INT(aim_detect_model_default(&m), AIM_OK);
    CHECK(m->calib_a > 0); /* calibrated = a raw + b: monotone */
    size_t n;
    float *x = signal(16000, 1, 3.0, &n);
    aim_detect_config cfg;
    aim_detect_config_init(&cfg);
    aim_detect_result r;
    CHECK_INT(aim_detect_pcm(m, &cfg, x, n, &r), AIM_OK);
    /* the verdict follows the threshold given */
    cfg.threshold = r.score - 0.5;
    CHECK_INT(aim_detect_pcm(m, &cfg, x, n, &r), AIM_OK);
    CHECK_INT(r.synthetic, 1);
    cfg.threshold = r.score + 0.5;
    CHECK_INT(aim_detect_pcm(m, &cfg, x, n, &r), AIM_OK);
    CHECK_INT(r.synthetic, 0);
    /* a higher raw score never gives a lower calibrated score: windows
     * sorted by raw are sorted by score (parity clip) */
    free(x);
    aim_detect_model_free(m);
}

static void t_misuse_and_edges(void)
{
    aim_detect_model *m = NULL;
    CHECK_INT(aim_detect_model_default(&m), AIM_OK);
    aim_detect_config cfg;
    aim_detect_config_init(&cfg);
    aim_detect_result r;
    aim_detector *d = NULL;
    CHECK_INT(aim_detector_new(NULL, &cfg, &d), AIM_ERR_INVALID_ARG);
    cfg.sample_rate = 4000;
    CHECK_INT(aim_detector_new(m, &cfg, &d), AIM_ERR_INVALID_ARG);
    aim_detect_config_init(&cfg);
    cfg.hop_s = 3;
    CHECK_INT(aim_detector_new(m, &cfg, &d), AIM_ERR_INVALID_ARG);
    aim_detect_config_init(&cfg);
    cfg.channels = 0;
    CHECK_INT(aim_detect_pcm(m, &cfg, NULL, 0, &r), AIM_ERR_INVALID_ARG);
    aim_detect_config_init(&cfg);
    CHECK_INT(aim_detect_pcm(m, &cfg, NULL, 5, &r), AIM_ERR_INVALID_ARG);
    /* empty input, digital silence, and 0.2 s of sound: no window */
    CHECK_INT(aim_detect_pcm(m, &cfg, NULL, 0, &r), AIM_OK);
    CHECK_INT(r.n_windows, 0);
    CHECK(isnan(r.score));
    CHECK_INT(r.synthetic, 0);
    float *z = calloc(48000, sizeof *z);
    CHECK_INT(aim_detect_pcm(m, &cfg, z, 48000, &r), AIM_OK);
    CHECK_INT(r.n_windows, 0);
    size_t n;
    float *x = signal(16000, 1, 0.2, &n);
    CHECK_INT(aim_detect_pcm(m, &cfg, x, n, &r), AIM_OK);
    CHECK_INT(r.n_windows, 0);
    free(x);
    /* 1 s clip: one window over the whole clip */
    x = signal(16000, 1, 1.0, &n);
    CHECK_INT(aim_detect_pcm(m, &cfg, x, n, &r), AIM_OK);
    CHECK_INT(r.n_windows, 1);
    free(x);
    /* NaN/huge samples do not crash */
    for (int i = 0; i < 48000; i++)
        z[i] = i % 7 ? 1e30f : NAN;
    CHECK_INT(aim_detect_pcm(m, &cfg, z, 48000, &r), AIM_OK);
    CHECK(r.n_windows == 0 || isfinite(r.score));
    free(z);
    aim_detector_free(NULL);
    aim_detect_model_free(NULL);
    CHECK_INT(aim_detector_next_window(NULL, NULL), 0);
    aim_detect_model_free(m);
}

/* A long push: the queue keeps the latest 1024 windows, the result counts
 * them all, and the windows are in order. */
static void t_queue_overflow(void)
{
    aim_detect_model *m = NULL;
    CHECK_INT(aim_detect_model_default(&m), AIM_OK);
    size_t n;
    float *x = signal(16000, 1, 540.0, &n); /* 540 s: 1077 full windows */
    aim_detector *d = NULL;
    CHECK_INT(aim_detector_new(m, NULL, &d), AIM_OK);
    CHECK_INT(aim_detector_push(d, x, 0), AIM_OK);
    CHECK_INT(aim_detector_push(d, x, n), AIM_OK);
    CHECK_INT(aim_detector_finish(d), AIM_OK);
    aim_detect_result r;
    aim_detector_result(d, &r);
    CHECK_INT(r.n_windows, 1077);
    aim_detect_window w;
    size_t got = 0;
    double prev = -1, first = 0;
    while (aim_detector_next_window(d, &w)) {
        if (!got)
            first = w.start_s;
        CHECK(w.start_s > prev);
        prev = w.start_s;
        got++;
    }
    CHECK_INT(got, 1024);
    CHECK(fabs(first - 53 * 0.5) < 1e-9); /* the 53 oldest were dropped */
    aim_detector_free(d);
    free(x);
    aim_detect_model_free(m);
}

/* Front-end 1 conditioning: the corpus chain's band and floor. */
static double rms_dbfs(const float *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return 10.0 * log10(s / (double)n + 1e-300);
}

static void t_conditioning(void)
{
    /* the band-pass: scipy's sosfreqz of the same sections gives -38.3 dB
     * at 50 Hz, -3.1 at 150, -0.1 at 300..3800, -32.7 at 4000, -80.1 at 5000 */
    CHECK(fabs(det_cond_response_db(1000.0)) < 0.15);
    CHECK(fabs(det_cond_response_db(300.0)) < 0.3);
    CHECK(fabs(det_cond_response_db(3000.0)) < 0.15);
    CHECK(fabs(det_cond_response_db(150.0) + 3.1) < 0.2);
    CHECK(det_cond_response_db(50.0) < -35.0);
    CHECK(det_cond_response_db(4000.0) < -30.0);
    CHECK(det_cond_response_db(5000.0) < -79.0);
    CHECK(det_cond_response_db(7000.0) < -79.0);
    enum { N = 32000, SKIP = 4000 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y), *y2 = malloc(N * sizeof *y2);
    CHECK(x && y && y2);
    if (!x || !y || !y2)
        goto out;
    det_cond c;
    /* digital silence becomes the -75 dBFS floor */
    memset(x, 0, N * sizeof *x);
    det_cond_reset(&c);
    det_cond_run(&c, x, y, N);
    CHECK(fabs(rms_dbfs(y, N) - DET_COND_FLOOR_DBFS) < 0.5);
    /* a 1 kHz tone at -6 dBFS passes (sine RMS -9.03 dBFS) ... */
    for (size_t i = 0; i < N; i++)
        x[i] = 0.5f * (float)sin(2.0 * 3.14159265358979 * 1000.0 * (double)i / 16000.0);
    det_cond_reset(&c);
    det_cond_run(&c, x, y, N);
    CHECK(fabs(rms_dbfs(y + SKIP, N - SKIP) + 9.03) < 0.2);
    /* ... a 6 kHz tone at -6 dBFS is removed down to the floor ... */
    for (size_t i = 0; i < N; i++)
        x[i] = 0.5f * (float)sin(2.0 * 3.14159265358979 * 6000.0 * (double)i / 16000.0);
    det_cond_reset(&c);
    det_cond_run(&c, x, y, N);
    CHECK(fabs(rms_dbfs(y + SKIP, N - SKIP) - DET_COND_FLOOR_DBFS) < 1.0);
    /* ... and so is 40 Hz hum */
    for (size_t i = 0; i < N; i++)
        x[i] = 0.5f * (float)sin(2.0 * 3.14159265358979 * 40.0 * (double)i / 16000.0);
    det_cond_reset(&c);
    det_cond_run(&c, x, y, N);
    CHECK(rms_dbfs(y + SKIP, N - SKIP) < -9.03 - 40.0);
    /* deterministic, and the same in pieces as at once */
    det_cond_reset(&c);
    for (size_t i = 0; i < N; i += 777)
        det_cond_run(&c, x + i, y2 + i, i + 777 <= N ? 777 : N - i);
    CHECK(memcmp(y, y2, N * sizeof *y) == 0);
out:
    free(x);
    free(y);
    free(y2);
}

TEST_MAIN(t_conditioning, t_default_and_files, t_corrupt, t_parity_nn, t_parity_gmm, t_stream_equals_file,
          t_calibration_threshold, t_misuse_and_edges, t_queue_overflow)
