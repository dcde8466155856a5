/*
 * Watermark benchmark driver: embeds and detects on raw mono float32 PCM
 * files (written and read by sox in bench/wm/bench_wm.sh), so the benchmark
 * depends only on the library, not on the CLI's file I/O.
 *
 *   wm_bench embed    RATE KEYSEED PAYLOADHEX IN.f32 OUT.f32
 *   wm_bench detect   RATE KEYSEED PAYLOADHEX IN.f32
 *   wm_bench quality  RATE ORIG.f32 MARKED.f32
 *   wm_bench noise    SNR_DB SEED IN.f32 OUT.f32
 *
 * embed prints `snr_db= nmr_db= nmr_over_pct= s= cpu=` (wall and CPU time
 * of the embedding calls alone; the script times the whole process);
 * detect prints `found=0|1 payload=HEX biterr=K s= cpu= speed= pitch= segs=` and
 * the presence decisions (sync only; payload known), where K counts the
 * wrong bits among the 64 payload bits decoded from the best candidate
 * (after the list decoder), compared with PAYLOADHEX.
 *
 * Perceptual measure: noise-to-mask ratio (NMR) of the mark against a basic
 * simultaneous-masking model (see nmr() below): mean over frames of the
 * band-averaged NMR in dB (below 0 dB = under the estimated masking
 * threshold), and the share of frames whose worst band exceeds 0 dB.
 *
 * With WM_BENCH_SPEED set in the environment, embed skips the quality
 * measures and detect skips presence (whole-process timing runs).
 *
 * Links the static library (reaches src/ internals for the bit count).
 * SPDX-License-Identifier: Apache-2.0
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aimark/wm.h"
#include "dsp/fft.h"
#include "wm/wm_core.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu(void) { return (double)clock() / CLOCKS_PER_SEC; }

static float *read_f32(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (sz < 0) {
        fclose(f);
        return NULL;
    }
    *n = (size_t)sz / sizeof(float);
    float *x = malloc(*n * sizeof *x + 1);
    if (x && fread(x, sizeof *x, *n, f) != *n) {
        free(x);
        x = NULL;
    }
    fclose(f);
    return x;
}

static int write_f32(const char *path, const float *x, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(x, sizeof *x, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static double snr_db(const float *x, const float *y, size_t n)
{
    double s = 0, e = 0;
    for (size_t i = 0; i < n; i++) {
        s += (double)x[i] * x[i];
        e += ((double)y[i] - x[i]) * ((double)y[i] - x[i]);
    }
    return 10 * log10(s / (e + 1e-30));
}

/*
 * Noise-to-mask ratio with a basic simultaneous-masking model (after
 * Johnston 1988 / ISO 11172-3 model 1, simplified): ~46 ms Hann frames,
 * hop 1/2; host power grouped into 1-Bark bands; spread over neighbouring
 * bands with the Schroeder spreading function; lowered by the (conservative,
 * tone-masking-noise) offset 14.5 + z dB; floored by the threshold in quiet
 * (Terhardt) with full scale = 96 dB SPL. The noise (marked - original) in
 * each band is divided by that threshold. Frames whose host is silent
 * (below the threshold in quiet everywhere) are still counted.
 */
static void nmr(const float *x, const float *y, size_t n, int rate, double *mean_db,
                double *over_pct)
{
    size_t N = rate >= 32000 ? 2048 : rate >= 16000 ? 1024 : 512;
    dsp_fft *fft = dsp_fft_new(N);
    float *w = malloc(N * sizeof *w), *fa = malloc(N * sizeof *fa), *fb = malloc(N * sizeof *fb);
    float *sa = malloc((N + 2) * sizeof *sa), *sb = malloc((N + 2) * sizeof *sb);
    int *band = malloc((N / 2 + 1) * sizeof *band);
    double ath[32];
    int nb = 0;
    dsp_hann(w, N);
    double wsum = 0;
    for (size_t i = 0; i < N; i++)
        wsum += (double)w[i] * w[i];
    for (size_t k = 0; k <= N / 2; k++) {
        double f = (double)k * rate / (double)N;
        double z = 13 * atan(0.00076 * f) + 3.5 * atan((f / 7500) * (f / 7500));
        band[k] = (int)z;
        if (band[k] + 1 > nb)
            nb = band[k] + 1;
    }
    for (int b = 0; b < nb; b++) { /* threshold in quiet at the band's low edge, dB SPL */
        double f = 0;
        for (size_t k = 1; k <= N / 2; k++)
            if (band[k] == b) {
                f = (double)k * rate / (double)N;
                break;
            }
        if (f < 20)
            f = 20;
        double fk = f / 1000;
        ath[b] = 3.64 * pow(fk, -0.8) - 6.5 * exp(-0.6 * (fk - 3.3) * (fk - 3.3)) +
                 1e-3 * pow(fk, 4);
    }
    double sum = 0;
    size_t frames = 0, over = 0;
    for (size_t p = 0; p + N <= n; p += N / 2) {
        for (size_t i = 0; i < N; i++) {
            fa[i] = x[p + i] * w[i];
            fb[i] = (y[p + i] - x[p + i]) * w[i];
        }
        dsp_fft_forward(fft, fa, sa);
        dsp_fft_forward(fft, fb, sb);
        double E[32] = {0}, Nz[32] = {0};
        for (size_t k = 1; k <= N / 2; k++) {
            E[band[k]] += sa[2 * k] * sa[2 * k] + sa[2 * k + 1] * sa[2 * k + 1];
            Nz[band[k]] += sb[2 * k] * sb[2 * k] + sb[2 * k + 1] * sb[2 * k + 1];
        }
        double fr = 0, worst = -1e9;
        for (int b = 0; b < nb; b++) {
            double m = 0;
            for (int j = 0; j < nb; j++) {
                double dz = (double)(b - j) + 0.474;
                double sf = 15.81 + 7.5 * dz - 17.5 * sqrt(1 + dz * dz);
                m += E[j] * pow(10, sf / 10);
            }
            m *= pow(10, -(14.5 + b) / 10);
            /* to dB SPL: a full-scale sine (power N^2/4 * wsum/N ... ) ~ 96 dB;
             * normalise by the window energy so levels do not depend on N */
            double scale = 1.0 / (wsum * (double)N / 2);
            double m_spl = 10 * log10(m * scale + 1e-30) + 96;
            if (m_spl < ath[b])
                m_spl = ath[b];
            double n_spl = 10 * log10(Nz[b] * scale + 1e-30) + 96;
            double r = n_spl - m_spl;
            fr += pow(10, r / 10);
            if (r > worst)
                worst = r;
        }
        sum += 10 * log10(fr / nb + 1e-30);
        frames++;
        if (worst > 0)
            over++;
    }
    *mean_db = frames ? sum / (double)frames : 0;
    *over_pct = frames ? 100.0 * (double)over / (double)frames : 0;
    dsp_fft_free(fft);
    free(w);
    free(fa);
    free(fb);
    free(sa);
    free(sb);
    free(band);
}

static int usage(void)
{
    fprintf(stderr, "usage: wm_bench embed|detect|quality|noise ... (see source)\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    if (!strcmp(cmd, "noise") && argc == 6) {
        double snr = atof(argv[2]);
        uint64_t s = strtoull(argv[3], NULL, 0) * 0x9E3779B97F4A7C15ULL + 1;
        size_t n;
        float *x = read_f32(argv[4], &n);
        if (!x)
            return 1;
        double p = 0;
        for (size_t i = 0; i < n; i++)
            p += (double)x[i] * x[i];
        double sd = sqrt(p / (double)(n ? n : 1) / pow(10, snr / 10));
        for (size_t i = 0; i < n; i += 2) { /* Box-Muller, seeded LCG */
            double u, v;
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            u = ((double)(s >> 11) + 1) / 9007199254740993.0;
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            v = (double)(s >> 11) / 9007199254740992.0;
            double r = sqrt(-2 * log(u)) * sd;
            x[i] += (float)(r * cos(6.283185307179586 * v));
            if (i + 1 < n)
                x[i + 1] += (float)(r * sin(6.283185307179586 * v));
        }
        int rc = write_f32(argv[5], x, n);
        free(x);
        return rc ? 1 : 0;
    }
    if (!strcmp(cmd, "quality") && argc == 5) {
        size_t n, m;
        float *x = read_f32(argv[3], &n), *y = read_f32(argv[4], &m);
        if (!x || !y)
            return 1;
        if (m < n)
            n = m;
        double nm, ov;
        nmr(x, y, n, atoi(argv[2]), &nm, &ov);
        printf("snr_db=%.2f nmr_db=%.2f nmr_over_pct=%.1f\n", snr_db(x, y, n), nm, ov);
        return 0;
    }
    if (argc < 6)
        return usage();
    int rate = atoi(argv[2]);
    aim_wm_key key;
    aim_wm_key_from_seed(&key, strtoull(argv[3], NULL, 0));
    uint64_t payload = strtoull(argv[4], NULL, 16);
    size_t n;
    float *x = read_f32(argv[5], &n);
    if (!x) {
        fprintf(stderr, "cannot read %s\n", argv[5]);
        return 1;
    }
    if (!strcmp(cmd, "embed") && argc == 7) {
        aim_wm_embed_config cfg;
        aim_wm_embed_config_init(&cfg);
        cfg.sample_rate = rate;
        aim_wm_embedder *e;
        if (aim_wm_embedder_new(&cfg, &key, payload, &e) != AIM_OK)
            return 1;
        float *y = malloc((n + aim_wm_embedder_latency(e)) * sizeof *y + 1);
        size_t got = 0, tail = 0;
        double t0 = now(), c0 = cpu();
        int rc = aim_wm_embedder_process(e, x, n, y, &got);
        if (!rc)
            rc = aim_wm_embedder_flush(e, y + got, n - got, &tail);
        double dt = now() - t0, dc = cpu() - c0;
        aim_wm_embedder_free(e);
        if (rc || got + tail != n)
            return 1;
        if (getenv("WM_BENCH_SPEED")) /* timing runs: no quality measures */
            printf("s=%.4f cpu=%.4f\n", dt, dc);
        else {
            double nm, ov;
            nmr(x, y, n, rate, &nm, &ov);
            printf("snr_db=%.2f nmr_db=%.2f nmr_over_pct=%.1f s=%.4f cpu=%.4f xrt_cpu=%.0f\n",
                   snr_db(x, y, n), nm, ov, dt, dc, (double)n / rate / dc);
        }
        rc = write_f32(argv[6], y, n);
        free(x);
        free(y);
        return rc ? 1 : 0;
    }
    if (!strcmp(cmd, "detect") && argc == 6) {
        aim_wm_detect_config cfg;
        aim_wm_detect_config_init(&cfg);
        cfg.sample_rate = rate;
        cfg.max_seconds = (double)n / rate + 1 > 600 ? 600 : (double)n / rate + 1 < 4 ? 4 : (double)n / rate + 1;
        aim_wm_detector *d;
        if (aim_wm_detector_new(&cfg, &key, &d) != AIM_OK)
            return 1;
        aim_wm_result r;
        double t0 = now(), c0 = cpu();
        int rc = aim_wm_detector_feed(d, x, n);
        if (!rc)
            rc = aim_wm_detector_run(d, &r);
        double dt = now() - t0, dc = cpu() - c0;
        if (rc)
            return 1;
        uint64_t raw = r.found ? r.payload : wm_detector_raw_bits(d);
        int be = __builtin_popcountll(raw ^ payload);
        printf("found=%d payload=%016llx biterr=%d s=%.4f cpu=%.4f speed=%.4f pitch=%.4f segs=",
               r.found, (unsigned long long)raw, be, dt, dc, r.speed, r.pitch);
        for (size_t i = 0; i < r.n_segments; i++)
            printf("%s%.2f-%.2f", i ? "," : "", r.segments[i].start_s, r.segments[i].end_s);
        if (getenv("WM_BENCH_SPEED")) { /* timing runs: the decode only */
            printf("\n");
            aim_wm_detector_free(d);
            free(x);
            return 0;
        }
        aim_wm_presence_config pc;
        aim_wm_presence_config_init(&pc);
        aim_wm_presence pr, pk;
        aim_wm_detector_presence(d, &pc, &pr);
        pc.payload_known = 1;
        pc.payload = payload;
        aim_wm_detector_presence(d, &pc, &pk);
        printf(" presence_sync=%d z=%.2f pfa=%.1e presence_payload=%d z=%.2f pfa=%.1e\n",
               pr.present, pr.z, pr.pfa, pk.present, pk.z, pk.pfa);
        aim_wm_detector_free(d);
        free(x);
        return 0;
    }
    return usage();
}
