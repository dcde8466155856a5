/* Detector input conditioning (front-end 1); see cond.h for why. */
#include "detect/cond.h"

#include <math.h>
#include <string.h>

#include "detect/lfcc.h"

/* b0 b1 b2 a0 a1 a2 per section: Butterworth(4, 150 Hz, high) then
 * ellip(10, 0.1 dB, 80 dB, 3800 Hz, low), fs = 16 kHz (scipy 1.10). */
static const double SOS[DET_COND_SECTIONS][6] = {
    {0.92591211974855669, -1.8518242394971134, 0.92591211974855669, 1, -1.89354234133656,
     0.89683218776432139},
    {1, -2, 1, 1, -1.9525426196393316, 0.95593497333644428},
    {0.0074183807889959064, 0.013746514021754879, 0.0074183807889959099, 1,
     -0.94878583923930326, 0.28305406418494816},
    {1, 1.1178634802031149, 0.99999999999999978, 1, -0.67078572535165693, 0.49702705614252701},
    {1, 0.54952804343931272, 0.99999999999999978, 1, -0.38294102163023419, 0.72270384645263774},
    {1, 0.26920317369374991, 1.0000000000000002, 1, -0.20731057787960411, 0.87177544037549026},
    {1, 0.16116751776327864, 1, 1, -0.13298611792728504, 0.96313378956594209},
};

#define COND_SEED 0x6c6663632d666c72ULL

void det_cond_reset(det_cond *c)
{
    memset(c, 0, sizeof *c);
    c->rng = COND_SEED;
}

static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Unit-variance noise: the sum of four 16-bit uniforms from one draw
 * (Irwin-Hall, close to Gaussian; only the floor's power spectrum matters
 * to the LFCC, and it is white either way). Box-Muller's log/sin/cos per
 * pair cost more than the whole model. */
static double noise(det_cond *c)
{
    uint64_t v = next_u64(&c->rng);
    double u = (double)(v & 0xffff) + (double)((v >> 16) & 0xffff) + (double)((v >> 32) & 0xffff) +
               (double)(v >> 48);
    /* mean 2 * 65535, variance 4 * (65536^2 - 1) / 12 */
    return (u - 2.0 * 65535.0) * (1.7320508075688772 / 65536.0);
}

void det_cond_run(det_cond *c, const float *in, float *out, size_t n)
{
    const double sigma = pow(10.0, DET_COND_FLOOR_DBFS / 20.0);
    for (size_t i = 0; i < n; i++) {
        double x = in[i];
        for (int s = 0; s < DET_COND_SECTIONS; s++) {
            const double *q = SOS[s];
            double y = q[0] * x + c->z[s][0];
            c->z[s][0] = q[1] * x - q[4] * y + c->z[s][1];
            c->z[s][1] = q[2] * x - q[5] * y;
            x = y;
        }
        out[i] = (float)(x + sigma * noise(c));
    }
}

double det_cond_response_db(double hz)
{
    const double pi = 3.14159265358979323846;
    double w = 2.0 * pi * hz / LFCC_RATE;
    double re = 1.0, im = 0.0; /* product of section responses */
    for (int s = 0; s < DET_COND_SECTIONS; s++) {
        const double *q = SOS[s];
        double nr = q[0] + q[1] * cos(w) + q[2] * cos(2 * w);
        double ni = -q[1] * sin(w) - q[2] * sin(2 * w);
        double dr = q[3] + q[4] * cos(w) + q[5] * cos(2 * w);
        double di = -q[4] * sin(w) - q[5] * sin(2 * w);
        double dd = dr * dr + di * di;
        double hr = (nr * dr + ni * di) / dd, hi = (ni * dr - nr * di) / dd;
        double tr = re * hr - im * hi;
        im = re * hi + im * hr;
        re = tr;
    }
    return 10.0 * log10(re * re + im * im + 1e-300);
}
