/*
 * Audio I/O layer: encoder/decoder round trips per family, hostile input,
 * key files, the payload derivation, one-pass labelling (original untouched
 * on failure) and file-level watermark detection.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aimark/aimark.h"
#include "aimark/audio.h"
#include "test.h"

#define PI 3.14159265358979323846

static char tmpdir[256];

static const char *tmp(const char *name)
{
    static char p[4][512];
    static int k;
    k = (k + 1) & 3;
    snprintf(p[k], sizeof p[k], "%s/%s", tmpdir, name);
    return p[k];
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static double urand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

/* Chords of harmonic tones changing every 0.4 s plus decaying noise hits:
 * broadband enough for the watermark, deterministic. Channel c is a
 * slightly different mix. */
static float *music(size_t n, int rate, int ch)
{
    float *x = malloc(n * (size_t)ch * sizeof *x);
    double f[3] = {220, 277, 330}, ph[3][5] = {{0}}, hit = 0;
    rng_state = 0x1234567ull;
    for (size_t i = 0; i < n; i++) {
        if (i % (size_t)(rate * 2 / 5) == 0) {
            double root = 110 * pow(2, floor(urand() * 12) / 12);
            f[0] = root * 2, f[1] = root * 2.52, f[2] = root * 3;
            hit = 1;
        }
        double s = 0;
        for (int v = 0; v < 3; v++)
            for (int h = 0; h < 5; h++) {
                ph[v][h] += f[v] * (h + 1) / rate;
                ph[v][h] -= floor(ph[v][h]);
                s += sin(2 * PI * ph[v][h]) / (h + 1);
            }
        s += hit * (urand() - 0.5) * 1.5;
        hit *= 0.9996;
        for (int c = 0; c < ch; c++)
            x[i * (size_t)ch + (size_t)c] = (float)(0.1 * s * (c ? 0.8 : 1.0));
    }
    return x;
}

static int write_file(const char *path, const aim_audio_writer_config *c, const float *x, size_t n)
{
    aim_audio_writer *w = NULL;
    aim_diag d;
    memset(&d, 0, sizeof d);
    int rc = aim_audio_writer_open(path, c, &w, &d);
    if (rc == AIM_OK)
        rc = aim_audio_writer_write(w, x, n, &d);
    if (rc == AIM_OK)
        rc = aim_audio_writer_finish(w, &d);
    if (rc)
        fprintf(stderr, "  write %s: %s (%s)\n", path, aim_strerror(rc), d.message);
    aim_audio_writer_free(w);
    return rc;
}

/* Read a whole (small) file; *n frames. */
static float *read_file(const char *path, aim_audio_info *info, size_t *n, int *err)
{
    aim_audio_reader *r = NULL;
    aim_diag d;
    *n = 0;
    *err = aim_audio_reader_open(path, &r, info, &d);
    if (*err)
        return NULL;
    size_t cap = 1 << 16, ch = (size_t)info->channels;
    float *x = malloc(cap * ch * sizeof *x);
    for (;;) {
        if (*n + 1000 > cap) {
            cap *= 2;
            x = realloc(x, cap * ch * sizeof *x);
        }
        size_t got = 0;
        *err = aim_audio_reader_read(r, x + *n * ch, 1000, &got, &d);
        if (*err || got == 0)
            break;
        *n += got;
    }
    aim_audio_reader_free(r);
    return x;
}

/* Best normalised correlation of channel c of y with x over lags
 * 0..maxlag (either direction), on a 0.5 s stretch from 0.5 s on. */
static double best_corr(const float *x, const float *y, size_t ny, int ch, int c, int rate, int maxlag)
{
    size_t a = (size_t)rate / 2, len = (size_t)rate / 2;
    double best = -1;
    for (int lag = -maxlag; lag <= maxlag; lag++) {
        if ((long)a + lag < 0 || a + len + (size_t)(maxlag + 1) > ny)
            continue;
        double sxy = 0, sxx = 0, syy = 0;
        for (size_t i = 0; i < len; i++) {
            double u = x[(a + i) * (size_t)ch + (size_t)c];
            double v = y[(size_t)((long)(a + i) + lag) * (size_t)ch + (size_t)c];
            sxy += u * v, sxx += u * u, syy += v * v;
        }
        double r = sxy / sqrt(sxx * syy + 1e-30);
        if (r > best)
            best = r;
    }
    return best;
}

typedef struct rt_case {
    const char *name;
    aim_format format;
    aim_sample_kind kind;
    int bits, rate, bitrate;
    double max_err; /* lossless: max abs error; 0 for lossy */
} rt_case;

static void t_round_trips(void)
{
    static const rt_case cases[] = {
        {"rt16.wav", AIM_FORMAT_WAV, AIM_SAMPLE_INT, 16, 44100, 0, 1.0 / 32768 * 1.01},
        {"rt24.wav", AIM_FORMAT_WAV, AIM_SAMPLE_INT, 24, 48000, 0, 1.0 / 8388608 * 1.01},
        {"rtf.wav", AIM_FORMAT_WAV, AIM_SAMPLE_FLOAT, 32, 22050, 0, 1e-7},
        {"rt16.flac", AIM_FORMAT_FLAC, AIM_SAMPLE_INT, 16, 44100, 0, 1.0 / 32768 * 1.01},
        {"rt24.flac", AIM_FORMAT_FLAC, AIM_SAMPLE_INT, 24, 96000, 0, 1.0 / 8388608 * 1.01},
        {"rt.mp3", AIM_FORMAT_MP3, AIM_SAMPLE_LOSSY, 0, 44100, 128000, 0},
        {"rt.ogg", AIM_FORMAT_OGG_VORBIS, AIM_SAMPLE_LOSSY, 0, 44100, 0, 0},
        {"rt.opus", AIM_FORMAT_OGG_OPUS, AIM_SAMPLE_LOSSY, 0, 48000, 96000, 0},
        {"rt.m4a", AIM_FORMAT_MP4, AIM_SAMPLE_LOSSY, 0, 44100, 128000, 0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        const rt_case *t = &cases[k];
        size_t n = (size_t)t->rate * 2;
        float *x = music(n, t->rate, 2);
        aim_audio_writer_config c;
        memset(&c, 0, sizeof c);
        c.format = t->format;
        c.sample_rate = t->rate;
        c.channels = 2;
        c.kind = t->kind;
        c.bits = t->bits;
        c.bitrate = t->bitrate;
        c.vorbis_quality = 6;
        const char *path = tmp(t->name);
        int rc = write_file(path, &c, x, n);
        CHECK_INT(rc, AIM_OK);
        aim_audio_info info;
        size_t ny = 0;
        int err = 0;
        float *y = read_file(path, &info, &ny, &err);
        CHECK_INT(err, AIM_OK);
        if (!y) {
            fprintf(stderr, "  %s: not readable\n", t->name);
            free(x);
            continue;
        }
        CHECK_INT(info.format, t->format);
        CHECK_INT(info.sample_rate, t->rate);
        CHECK_INT(info.channels, 2);
        CHECK_INT(info.kind, t->kind);
        if (t->max_err > 0) {
            CHECK_INT(info.bits, t->bits);
            CHECK_INT(ny, n);
            double m = 0;
            for (size_t i = 0; i < n * 2 && ny == n; i++)
                m = fmax(m, fabs((double)x[i] - y[i]));
            if (!(m <= t->max_err))
                fprintf(stderr, "  %s: max error %g\n", t->name, m);
            CHECK(m <= t->max_err);
        } else {
            /* Lossy: length within codec padding, content still the music. */
            CHECK(ny + 4096 >= n && ny <= n + 4096);
            double c0 = best_corr(x, y, ny, 2, 0, t->rate, 3000);
            double c1 = best_corr(x, y, ny, 2, 1, t->rate, 3000);
            if (c0 < 0.9 || c1 < 0.9)
                fprintf(stderr, "  %s: correlation %.3f %.3f\n", t->name, c0, c1);
            CHECK(c0 > 0.9 && c1 > 0.9);
        }
        free(x);
        free(y);
    }
}

static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(p, 1, n, f);
    fclose(f);
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)len + 1);
    *n = fread(p, 1, (size_t)len, f);
    fclose(f);
    return p;
}

static void t_hostile(void)
{
    aim_audio_reader *r = NULL;
    aim_diag d;
    CHECK_INT(aim_audio_reader_open(tmp("does-not-exist.wav"), &r, NULL, &d), AIM_ERR_IO);
    CHECK(r == NULL);
    unsigned char junk[3000];
    rng_state = 77;
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)(urand() * 256);
    write_bytes(tmp("junk.bin"), junk, sizeof junk);
    int rc = aim_audio_reader_open(tmp("junk.bin"), &r, NULL, &d);
    CHECK(rc == AIM_ERR_UNKNOWN_FORMAT || rc == AIM_ERR_UNSUPPORTED);
    CHECK(d.message[0] != 0);
    aim_audio_reader_free(r);
    write_bytes(tmp("empty.wav"), "", 0);
    r = NULL;
    CHECK(aim_audio_reader_open(tmp("empty.wav"), &r, NULL, &d) != AIM_OK);
    aim_audio_reader_free(r);

    /* Truncated files of every family: open may fail or decode fewer
     * frames; never more, never a crash (ASan run). */
    const char *names[] = {"rt16.wav", "rt24.flac", "rt.mp3", "rt.ogg", "rt.opus", "rt.m4a"};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        size_t n = 0;
        unsigned char *p = slurp(tmp(names[k]), &n);
        CHECK(p != NULL && n > 1000);
        if (!p)
            continue;
        for (int cut = 0; cut < 3; cut++) {
            size_t keep = cut == 0 ? 40 : cut == 1 ? n / 3 : n - 7;
            write_bytes(tmp("cut.bin"), p, keep);
            aim_audio_info info;
            size_t ny = 0;
            int err = 0;
            float *y = read_file(tmp("cut.bin"), &info, &ny, &err);
            if (y) /* decodable part only: less than the whole */
                CHECK(ny < (size_t)info.sample_rate * 2 + 4096);
            if (cut == 0)
                CHECK(err != AIM_OK || ny == 0);
            free(y);
            /* Garbage after a valid head: corrupt the middle. */
            memcpy(p + n / 2, junk, n / 2 - 8 < sizeof junk ? n / 2 - 8 : sizeof junk);
        }
        write_bytes(tmp("cut.bin"), p, n);
        aim_audio_info info;
        size_t ny = 0;
        int err = 0;
        free(read_file(tmp("cut.bin"), &info, &ny, &err));
        free(p);
    }
    /* Writer misuse. */
    aim_audio_writer_config c;
    memset(&c, 0, sizeof c);
    aim_audio_writer *w = NULL;
    c.format = AIM_FORMAT_PNG;
    c.sample_rate = 44100;
    c.channels = 1;
    CHECK_INT(aim_audio_writer_open(tmp("x.png"), &c, &w, &d), AIM_ERR_UNSUPPORTED);
    c.format = AIM_FORMAT_WAV;
    c.channels = 0;
    CHECK_INT(aim_audio_writer_open(tmp("x.wav"), &c, &w, &d), AIM_ERR_INVALID_ARG);
    CHECK(w == NULL);
    aim_audio_info src;
    memset(&src, 0, sizeof src);
    src.format = AIM_FORMAT_UNKNOWN;
    CHECK_INT(aim_audio_writer_config_like(&c, &src), AIM_ERR_UNSUPPORTED);
    src.format = AIM_FORMAT_MP3;
    src.sample_rate = 44100;
    src.channels = 2;
    CHECK_INT(aim_audio_writer_config_like(&c, &src), AIM_OK);
    CHECK_INT(c.bitrate, 192000);
    src.format = AIM_FORMAT_OGG_OPUS;
    src.bitrate = 32000;
    CHECK_INT(aim_audio_writer_config_like(&c, &src), AIM_OK);
    CHECK_INT(c.bitrate, 96000);
    src.format = AIM_FORMAT_MP4;
    src.bitrate = 256000;
    CHECK_INT(aim_audio_writer_config_like(&c, &src), AIM_OK);
    CHECK_INT(c.bitrate, 256000);
}

static void t_keys(void)
{
    aim_diag d;
    const char *p = tmp("k1.key");
    unlink(p);
    CHECK_INT(aim_audio_key_generate(p, 0, &d), AIM_OK);
    struct stat st;
    CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_INT(st.st_size, 17 + 64 + 1);
    aim_wm_key k1, k2;
    CHECK_INT(aim_audio_key_read(p, &k1, &d), AIM_OK);
    CHECK_INT(aim_audio_key_generate(p, 0, &d), AIM_ERR_IO); /* refuses to overwrite */
    CHECK(strstr(d.message, "exists") != NULL);
    CHECK_INT(aim_audio_key_read(p, &k2, &d), AIM_OK);
    CHECK(memcmp(&k1, &k2, sizeof k1) == 0);
    CHECK_INT(aim_audio_key_generate(p, 1, &d), AIM_OK); /* --force */
    CHECK_INT(aim_audio_key_read(p, &k2, &d), AIM_OK);
    CHECK(memcmp(&k1, &k2, sizeof k1) != 0);
    CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600);
    /* Raw 32-byte form and broken forms. */
    write_bytes(tmp("raw.key"), k1.bytes, 32);
    CHECK_INT(aim_audio_key_read(tmp("raw.key"), &k2, &d), AIM_OK);
    CHECK(memcmp(&k1, &k2, sizeof k1) == 0);
    write_bytes(tmp("bad.key"), "aimark-wm-key-v1 00112233", 25);
    CHECK_INT(aim_audio_key_read(tmp("bad.key"), &k2, &d), AIM_ERR_CORRUPT);
    char text[100];
    snprintf(text, sizeof text, "aimark-wm-key-v1 %064d\nX", 0);
    write_bytes(tmp("bad.key"), text, strlen(text));
    CHECK_INT(aim_audio_key_read(tmp("bad.key"), &k2, &d), AIM_ERR_CORRUPT);
    snprintf(text, sizeof text, "aimark-wm-key-v1 %063dg\n", 0);
    write_bytes(tmp("bad.key"), text, strlen(text));
    CHECK_INT(aim_audio_key_read(tmp("bad.key"), &k2, &d), AIM_ERR_CORRUPT);
    CHECK_INT(aim_audio_key_read(tmp("nokey"), &k2, &d), AIM_ERR_IO);

    /* SHA-256("abc") = ba7816bf8f01cfea 414140de5dae2223 ... */
    uint64_t v = 0;
    CHECK_INT(aim_audio_payload_from_id("abc", &v), AIM_OK);
    CHECK(v == 0xba7816bf8f01cfeaull);
    CHECK_INT(aim_audio_payload_from_id(NULL, &v), AIM_ERR_INVALID_ARG);
}

static int same_file(const char *a, const unsigned char *bytes, size_t n)
{
    size_t m = 0;
    unsigned char *p = slurp(a, &m);
    int same = p && m == n && memcmp(p, bytes, n) == 0;
    free(p);
    return same;
}

static void t_label_and_detect(void)
{
    int rate = 44100;
    size_t n = (size_t)rate * 12;
    float *x = music(n, rate, 2);
    aim_audio_writer_config c;
    memset(&c, 0, sizeof c);
    c.format = AIM_FORMAT_WAV;
    c.sample_rate = rate;
    c.channels = 2;
    c.kind = AIM_SAMPLE_INT;
    c.bits = 16;
    CHECK_INT(write_file(tmp("src.wav"), &c, x, n), AIM_OK);
    free(x);
    chmod(tmp("src.wav"), 0640);
    size_t src_n = 0;
    unsigned char *src = slurp(tmp("src.wav"), &src_n);

    aim_label *l = aim_label_new();
    aim_label_set(l, AIM_FIELD_LABEL, "1");
    aim_label_set(l, AIM_FIELD_CONTENT_PRODUCER, "unit-test");
    aim_label_set(l, AIM_FIELD_PRODUCE_ID, "clip-42");
    aim_audio_label_opts o;
    aim_audio_label_opts_init(&o);
    o.label = l;
    o.watermark = 1;
    aim_wm_key_from_seed(&o.key, 7);
    CHECK_INT(aim_audio_payload_from_id("clip-42", &o.payload), AIM_OK);
    aim_diag d;
    int rc = aim_audio_label_file(tmp("src.wav"), tmp("out.wav"), &o, &d);
    if (rc)
        fprintf(stderr, "  label: %s (%s)\n", aim_strerror(rc), d.message);
    CHECK_INT(rc, AIM_OK);
    CHECK(same_file(tmp("src.wav"), src, src_n));
    struct stat st;
    CHECK(stat(tmp("out.wav"), &st) == 0 && (st.st_mode & 0777) == 0640);

    /* The metadata label is there ... */
    aim_meta *m = NULL;
    CHECK_INT(aim_meta_read_file(tmp("out.wav"), &m, &d), AIM_OK);
    CHECK(m && aim_meta_label(m));
    if (m && aim_meta_label(m))
        CHECK_STR(aim_label_get(aim_meta_label(m), AIM_FIELD_PRODUCE_ID), "clip-42");
    aim_meta_free(m);
    /* ... and so is the watermark, with the right key only. */
    aim_wm_key keys[2];
    aim_wm_key_from_seed(&keys[0], 8);
    aim_wm_key_from_seed(&keys[1], 7);
    aim_wm_result res[2];
    double dur = 0;
    rc = aim_audio_wm_detect_file(tmp("out.wav"), keys, 2, NULL, res, &dur, &d);
    CHECK_INT(rc, AIM_OK);
    CHECK_INT(res[0].found, 0);
    CHECK_INT(res[1].found, 1);
    CHECK(res[1].payload == o.payload);
    CHECK(fabs(dur - 12.0) < 1e-6);
    CHECK(res[1].n_segments >= 1);
    if (res[1].n_segments)
        CHECK(res[1].segments[0].start_s < 1.5 && res[1].segments[res[1].n_segments - 1].end_s > 10.5);
    /* The unmarked source: nothing. */
    rc = aim_audio_wm_detect_file(tmp("src.wav"), keys, 2, NULL, res, NULL, &d);
    CHECK_INT(rc, AIM_OK);
    CHECK(!res[0].found && !res[1].found);
    /* Long-file windows: a 12 s window (minimum) still finds it and the
     * segments cover the file in file time. */
    aim_audio_wm_opts wo;
    aim_audio_wm_opts_init(&wo);
    wo.window_s = 12;
    rc = aim_audio_wm_detect_file(tmp("out.wav"), &keys[1], 1, &wo, res, NULL, &d);
    CHECK(rc == AIM_OK && res[0].found && res[0].payload == o.payload);
    /* 36 s: three+ windows of 12 s; the mark must be reported from the
     * first second to the last (window edges and time offsets right). */
    {
        int r16 = 16000;
        size_t n36 = (size_t)r16 * 36;
        float *y = music(n36, r16, 1);
        c.sample_rate = r16;
        c.channels = 1;
        CHECK_INT(write_file(tmp("long.wav"), &c, y, n36), AIM_OK);
        free(y);
        aim_audio_label_opts o2 = o;
        o2.label = NULL;
        CHECK_INT(aim_audio_label_file(tmp("long.wav"), tmp("long-m.wav"), &o2, &d), AIM_OK);
        rc = aim_audio_wm_detect_file(tmp("long-m.wav"), &keys[1], 1, &wo, res, &dur, &d);
        CHECK(rc == AIM_OK && res[0].found && res[0].payload == o.payload);
        CHECK(fabs(dur - 36.0) < 1e-6);
        CHECK(res[0].n_segments >= 1);
        if (res[0].n_segments) {
            if (!(res[0].segments[0].start_s < 1.0 && res[0].segments[res[0].n_segments - 1].end_s > 35.0))
                fprintf(stderr, "  long: %zu segments %.2f..%.2f\n", res[0].n_segments, res[0].segments[0].start_s,
                        res[0].segments[res[0].n_segments - 1].end_s);
            CHECK(res[0].segments[0].start_s < 1.0 && res[0].segments[res[0].n_segments - 1].end_s > 35.0);
        }
    }
    wo.window_s = 5;
    CHECK_INT(aim_audio_wm_detect_file(tmp("out.wav"), &keys[1], 1, &wo, res, NULL, &d), AIM_ERR_INVALID_ARG);

    /* Failure leaves the input (and an existing output) untouched. */
    write_bytes(tmp("junk.wav"), "RIFF\x10\0\0\0WAVEjunkjunkjunk", 20);
    size_t jn = 0;
    unsigned char *junk = slurp(tmp("junk.wav"), &jn);
    rc = aim_audio_label_file(tmp("junk.wav"), NULL, &o, &d);
    CHECK(rc != AIM_OK);
    CHECK(same_file(tmp("junk.wav"), junk, jn));
    rc = aim_audio_label_file(tmp("junk.wav"), tmp("src.wav"), &o, &d);
    CHECK(rc != AIM_OK);
    CHECK(same_file(tmp("src.wav"), src, src_n));
    free(junk);
    /* An invalid label is refused before anything is written. */
    aim_label *bad = aim_label_new();
    o.label = bad;
    CHECK_INT(aim_audio_label_file(tmp("src.wav"), NULL, &o, &d), AIM_ERR_LABEL_INVALID);
    CHECK(same_file(tmp("src.wav"), src, src_n));
    aim_label_free(bad);
    /* No transform: a metadata-only rewrite (audio bytes kept). */
    o.label = l;
    o.watermark = 0;
    CHECK_INT(aim_audio_label_file(tmp("src.wav"), tmp("meta-only.wav"), &o, &d), AIM_OK);
    rc = aim_audio_wm_detect_file(tmp("meta-only.wav"), &keys[1], 1, NULL, res, NULL, &d);
    CHECK(rc == AIM_OK && !res[0].found);
    /* In place: stray temp files must not remain. */
    o.watermark = 1;
    CHECK_INT(aim_audio_label_file(tmp("out.wav"), NULL, &o, &d), AIM_OK);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls -a %s | grep -c aimark- > %s", tmpdir, tmp("count.txt"));
    CHECK(system(cmd) != -1);
    size_t cn = 0;
    unsigned char *cnt = slurp(tmp("count.txt"), &cn);
    CHECK(cnt && cn >= 1 && cnt[0] == '0');
    free(cnt);
    aim_label_free(l);
    free(src);
}

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "tmp-test_audio");
    mkdir(tmpdir, 0777);
}

static void t_setup(void) { setup(); }

TEST_MAIN(t_setup, t_round_trips, t_hostile, t_keys, t_label_and_detect)
