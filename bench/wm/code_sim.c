/*
 * Frame error rate of the watermark's payload code (src/wm/wm_code.c) on
 * simulated cells: each of the data cells of a clip carries its coded bit
 * as +-A plus unit Gaussian noise (A in dB below), the soft bit is the sum
 * of its cells, as in the detector. A decode counts when the exact payload
 * passes the check.
 *
 *   code_sim CELLS TRIALS [SEED]    e.g. code_sim 4680 300   (a 10 s clip)
 *
 * Prints one line per amplitude: A_dB and the share decoded. Used to pick
 * the code (docs/WATERMARK.md); the detector's measured per-cell amplitude
 * after an attack says where on this curve a case sits.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "wm/wm_core.h"

static uint64_t rng = 88172645463325252ULL;

static uint64_t xorshift(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double gauss(void)
{
    double u = (double)(xorshift() >> 11) / 9007199254740992.0 + 1e-300;
    double v = (double)(xorshift() >> 11) / 9007199254740992.0;
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: code_sim CELLS TRIALS [SEED]\n");
        return 2;
    }
    long cells = atol(argv[1]), trials = atol(argv[2]);
    if (cells < WM_CODED || trials < 1)
        return 2;
    if (argc > 3)
        rng ^= strtoull(argv[3], NULL, 0) * 0x9E3779B97F4A7C15ULL;
    aim_wm_key key;
    aim_wm_key_from_seed(&key, 42);
    static wm_layout lay;
    wm_layout_init(&lay, &key);
    for (double adb = -16.0; adb <= -10.9; adb += 0.5) {
        double a = pow(10.0, adb / 20.0);
        long ok = 0;
        for (long t = 0; t < trials; t++) {
            uint64_t payload = xorshift(), got = 0;
            int8_t coded[WM_CODED];
            float soft[WM_CODED] = {0};
            wm_encode(&lay, payload, coded);
            for (long c = 0; c < cells; c++)
                soft[c % WM_CODED] += (float)(a * coded[c % WM_CODED] + gauss());
            if (wm_decode(&lay, soft, &got, NULL) == 1 && got == payload)
                ok++;
        }
        printf("A=%.1f dB decoded=%.3f\n", adb, (double)ok / (double)trials);
        fflush(stdout);
    }
    return 0;
}
