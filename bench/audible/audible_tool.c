/*
 * Helper for bench_audible.sh: raw float32 PCM on stdin/stdout.
 *   audible_tool insert RATE CH MODE INTERVAL_S [voice] < in > out
 *        MODE insert|mix; prompts at the start and every INTERVAL_S;
 *        prints the true prompt onsets (s, output time) on stderr
 *   audible_tool detect RATE CH [search] < in    prints "start end hz contrast"
 *   audible_tool noise SNR_DB SEED < in > out   white noise at SNR (mono)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aimark/audible.h"

static float *slurp(size_t *n)
{
    size_t cap = 1 << 20, len = 0;
    float *x = malloc(cap * sizeof *x);
    size_t k;
    while (x && (k = fread(x + len, sizeof *x, cap - len, stdin)) > 0) {
        len += k;
        if (len == cap)
            x = realloc(x, (cap *= 2) * sizeof *x);
    }
    *n = len;
    return x;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    size_t n;
    float *x = slurp(&n);
    if (!x)
        return 1;
    if (!strcmp(argv[1], "noise") && argc >= 4) {
        double snr = atof(argv[2]), p = 0.0;
        unsigned s = (unsigned)atoi(argv[3]) * 2654435761u + 1u;
        for (size_t i = 0; i < n; i++)
            p += (double)x[i] * x[i];
        double sigma = sqrt(p / (double)(n ? n : 1) / pow(10.0, snr / 10.0));
        for (size_t i = 0; i < n; i++) {
            s = s * 1664525u + 1013904223u;
            double u = ((s >> 8) + 0.5) / 16777216.0;
            s = s * 1664525u + 1013904223u;
            double v = (s >> 8) / 16777216.0;
            x[i] += (float)(sigma * sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
        }
        fwrite(x, sizeof *x, n, stdout);
        return 0;
    }
    if (argc < 4)
        return 2;
    int rate = atoi(argv[2]), ch = atoi(argv[3]);
    size_t frames = n / (size_t)ch;
    if (!strcmp(argv[1], "insert") && argc >= 6) {
        aim_audible_config cfg;
        aim_audible_config_init(&cfg);
        cfg.sample_rate = rate;
        cfg.channels = ch;
        cfg.mode = !strcmp(argv[4], "mix") ? AIM_AUDIBLE_MIX : AIM_AUDIBLE_INSERT;
        cfg.positions = AIM_AUDIBLE_AT_START | AIM_AUDIBLE_AT_INTERVAL;
        cfg.interval_s = atof(argv[5]);
        if (argc >= 7 && !strcmp(argv[6], "voice"))
            cfg.kind = AIM_AUDIBLE_VOICE;
        aim_audible_inserter *h;
        int rc = aim_audible_inserter_new(&cfg, &h);
        if (rc != AIM_OK) {
            fprintf(stderr, "%s\n", aim_strerror(rc));
            return 1;
        }
        size_t cap = aim_audible_inserter_max_out(h, frames);
        float *y = malloc(cap * (size_t)ch * sizeof *y);
        size_t w = 0, w2 = 0;
        aim_audible_inserter_process(h, x, frames, y, cap, &w);
        aim_audible_inserter_flush(h, y + w * (size_t)ch, cap - w, &w2);
        fwrite(y, sizeof *y * (size_t)ch, w + w2, stdout);
        /* Onsets: INSERT puts prompt k after k*interval of content, each
         * adding a segment; MIX adds nothing. */
        size_t seg = aim_audible_inserter_prompt_frames(h);
        double pad = cfg.mode == AIM_AUDIBLE_INSERT ? cfg.pad_ms / 1000.0 : 0.0;
        size_t np = aim_audible_inserter_prompts(h);
        for (size_t k = 0; k < np; k++) {
            double t = k * cfg.interval_s + pad;
            if (cfg.mode == AIM_AUDIBLE_INSERT)
                t += (double)(k * seg) / rate;
            fprintf(stderr, "%.4f\n", t);
        }
        return 0;
    }
    if (!strcmp(argv[1], "detect")) {
        aim_audible_detect_config dc;
        aim_audible_detect_config_init(&dc);
        dc.sample_rate = rate;
        dc.channels = ch;
        dc.search_tones = argc >= 5 && !strcmp(argv[4], "search");
        aim_audible_detector *d;
        if (aim_audible_detector_new(&dc, &d) != AIM_OK)
            return 1;
        aim_audible_detector_feed(d, x, frames);
        aim_audible_detector_finish(d);
        size_t k;
        const aim_audible_hit *hit = aim_audible_detector_hits(d, &k);
        for (size_t i = 0; i < k; i++)
            printf("%.4f %.4f %.0f %.1f\n", hit[i].start_s, hit[i].end_s, hit[i].tone_hz,
                   hit[i].contrast_db);
        return 0;
    }
    return 2;
}
