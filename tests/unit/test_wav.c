/*
 * WAV handler: read, write, replace, preservation, RF64/BW64, damaged and
 * hostile files. Files are built in memory chunk by chunk.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aimark/aimark.h"
#include "container/handler.h"
#include "core/buf.h"
#include "core/bytes.h"
#include "test.h"

#define PRODUCER "001191110102MACQD9K64010000"

static aim_label *mk_label(const char *id)
{
    aim_label *l = aim_label_new();
    aim_label_set(l, AIM_FIELD_LABEL, "1");
    aim_label_set(l, AIM_FIELD_CONTENT_PRODUCER, PRODUCER);
    aim_label_set(l, AIM_FIELD_PRODUCE_ID, id);
    return l;
}

static char *label_json(const aim_label *l, size_t *n)
{
    aim_label_to_json(l, AIM_FORM_BARE, NULL, 0, n);
    char *s = malloc(*n + 1);
    aim_label_to_json(l, AIM_FORM_BARE, s, *n + 1, n);
    return s;
}

/* ---- building files ---------------------------------------------------- */

static void chunk(aim_buf *b, const char *id, const void *p, uint32_t n, uint8_t pad)
{
    buf_put(b, id, 4);
    buf_le32(b, n);
    buf_put(b, p, n);
    if (n & 1)
        buf_putc(b, pad);
}

static void begin(aim_buf *b, const char *magic)
{
    buf_put(b, magic, 4);
    buf_le32(b, 0);
    buf_put(b, "WAVE", 4);
}

static void fix_size(aim_buf *b) { wr_le32(b->p + 4, (uint32_t)(b->len - 8)); }

static const uint8_t FMT[16] = {1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0x80, 0x3e, 0, 0, 2, 0, 16, 0};
static uint8_t AUDIO[200];

static void audio_init(void)
{
    for (size_t i = 0; i < sizeof AUDIO; i++)
        AUDIO[i] = (uint8_t)(i * 7 + 3);
}

/* fmt, LIST(odd, pad 0), data, id3 (odd, pad 0x55) */
static void basic_wav(aim_buf *b)
{
    audio_init();
    begin(b, "RIFF");
    chunk(b, "fmt ", FMT, sizeof FMT, 0);
    chunk(b, "LIST", "INFOINAM\x05\0\0\0titl", 17, 0);
    chunk(b, "data", AUDIO, sizeof AUDIO, 0);
    chunk(b, "id3 ", "ID3tag", 5, 0x55);
    fix_size(b);
}

/* Find the n-th (0-based) chunk with `id` in a RIFF image; offset of its header or 0. */
static size_t find_chunk(const uint8_t *p, size_t n, const char *id, int nth)
{
    size_t pos = 12;
    while (pos + 8 <= n) {
        uint32_t sz = rd_le32(p + pos + 4);
        if (memcmp(p + pos, id, 4) == 0 && nth-- == 0)
            return pos;
        if (sz == UINT32_MAX)
            return 0;
        pos += 8 + (size_t)sz + (sz & 1);
    }
    return 0;
}

static void chunk_order(const uint8_t *p, size_t n, char *out, size_t cap)
{
    size_t pos = 12, o = 0;
    while (pos + 8 <= n && o + 6 < cap) {
        uint64_t sz = rd_le32(p + pos + 4);
        memcpy(out + o, p + pos, 4);
        o += 4;
        out[o++] = ',';
        if (sz == UINT32_MAX && memcmp(p + pos, "data", 4) == 0)
            sz = rd_le64(p + 20 + 8); /* RF64 dataSize */
        pos += 8 + sz + (sz & 1);
    }
    out[o] = 0;
}

static int read_mem(const void *p, size_t n, aim_meta **m)
{
    aim_diag d;
    return aim_meta_read_mem(p, n, m, &d);
}

static int write_mem(const void *p, size_t n, const aim_label *l, uint8_t **out, size_t *out_n)
{
    aim_diag d;
    void *o = NULL;
    int rc = aim_meta_write_mem(p, n, l, NULL, &o, out_n, &d);
    *out = o;
    if (rc)
        fprintf(stderr, "  (write: %d %s)\n", rc, d.message);
    return rc;
}

/* ---- tests ------------------------------------------------------------- */

static void t_probe(void)
{
    CHECK_INT(aim_format_probe("RIFF\0\0\0\0WAVE", 12), AIM_FORMAT_WAV);
    CHECK_INT(aim_format_probe("RF64\xff\xff\xff\xffWAVE", 12), AIM_FORMAT_WAV);
    CHECK_INT(aim_format_probe("BW64\xff\xff\xff\xffWAVE", 12), AIM_FORMAT_WAV);
    CHECK(wav_handler.probe((const uint8_t *)"RIFF\0\0\0\0AVI ", 12) == 0);
    CHECK(wav_handler.probe((const uint8_t *)"RIFF\0\0\0\0WEBP", 12) == 0);
    CHECK(wav_handler.probe((const uint8_t *)"RIFF\0\0\0\0WAV", 11) == 0);
}

static void t_read_unlabelled(void)
{
    aim_buf b = AIM_BUF_INIT;
    basic_wav(&b);
    aim_meta *m = NULL;
    CHECK_INT(read_mem(b.p, b.len, &m), AIM_OK);
    CHECK_INT(aim_meta_format(m), AIM_FORMAT_WAV);
    CHECK(aim_meta_label(m) == NULL);
    CHECK_INT(aim_meta_label_count(m), 0);
    aim_meta_free(m);
    buf_free(&b);
}

static void t_read_hand_made(void)
{
    /* an AIGC chunk appended after data by another tool, wrapped form, odd size */
    const char *js = "{\"AIGC\":{\"Label\":\"2\",\"ContentProducer\":\"x\",\"ProduceID\":\"y1\"}}";
    aim_buf b = AIM_BUF_INIT;
    basic_wav(&b);
    chunk(&b, "AIGC", js, (uint32_t)strlen(js), 0);
    fix_size(&b);
    aim_meta *m = NULL;
    CHECK_INT(read_mem(b.p, b.len, &m), AIM_OK);
    CHECK_STR(aim_meta_location(m), "riff:AIGC");
    CHECK_STR(aim_meta_raw(m), js);
    CHECK_INT(aim_meta_form(m), AIM_FORM_WRAPPED);
    CHECK_INT(aim_meta_label_count(m), 1);
    CHECK_STR(aim_label_get(aim_meta_label(m), AIM_FIELD_LABEL), "2");
    CHECK_STR(aim_label_get(aim_meta_label(m), AIM_FIELD_PRODUCE_ID), "y1");
    aim_meta_free(m);
    buf_free(&b);
}

static void t_write_layout(void)
{
    aim_buf b = AIM_BUF_INIT;
    basic_wav(&b);
    aim_label *l = mk_label("id-0001");
    size_t jn;
    char *js = label_json(l, &jn);
    uint8_t *o = NULL;
    size_t on = 0;
    CHECK_INT(write_mem(b.p, b.len, l, &o, &on), AIM_OK);
    if (o) {
        char order[128];
        chunk_order(o, on, order, sizeof order);
        CHECK_STR(order, "fmt ,LIST,AIGC,data,id3 ,");
        CHECK_INT(on, b.len + 8 + jn + (jn & 1));
        CHECK_INT(rd_le32(o + 4), on - 8);
        /* everything before data is byte-exact, then AIGC, then the rest */
        size_t d_in = find_chunk(b.p, b.len, "data", 0);
        size_t a = find_chunk(o, on, "AIGC", 0);
        CHECK_INT(a, d_in);
        CHECK(memcmp(o + 8, b.p + 8, d_in - 8) == 0);
        CHECK_INT(rd_le32(o + a + 4), jn);
        CHECK(memcmp(o + a + 8, js, jn) == 0);
        size_t after = a + 8 + jn + (jn & 1);
        CHECK_INT(on - after, b.len - d_in);
        CHECK(memcmp(o + after, b.p + d_in, b.len - d_in) == 0);
        CHECK_INT(o[on - 1], 0x55); /* id3's pad byte kept as is */
        aim_meta *m = NULL;
        CHECK_INT(read_mem(o, on, &m), AIM_OK);
        CHECK_STR(aim_meta_location(m), "riff:AIGC");
        CHECK_INT(aim_meta_label_count(m), 1);
        CHECK_INT(aim_meta_form(m), AIM_FORM_BARE);
        CHECK_STR(aim_label_get(aim_meta_label(m), AIM_FIELD_CONTENT_PRODUCER), PRODUCER);
        CHECK_STR(aim_label_get(aim_meta_label(m), AIM_FIELD_PRODUCE_ID), "id-0001");
        aim_meta_free(m);
    }
    free(js);
    aim_free(o);
    aim_label_free(l);
    buf_free(&b);
}

static void t_replace(void)
{
    /* two old labels (one before fmt, one odd-sized at the end): one new label */
    aim_buf b = AIM_BUF_INIT;
    audio_init();
    begin(&b, "RIFF");
    chunk(&b, "AIGC", "{\"Label\":\"3\"}", 13, 0);
    chunk(&b, "fmt ", FMT, sizeof FMT, 0);
    chunk(&b, "data", AUDIO, sizeof AUDIO, 0);
    chunk(&b, "AIGC", "{\"Label\":\"2\",\"x\":1}", 19, 0);
    fix_size(&b);
    aim_meta *m = NULL;
    CHECK_INT(read_mem(b.p, b.len, &m), AIM_OK);
    CHECK_INT(aim_meta_label_count(m), 2);
    CHECK_STR(aim_meta_raw(m), "{\"Label\":\"3\"}");
    aim_meta_free(m);

    aim_label *l1 = mk_label("first"), *l2 = mk_label("second-longer-id");
    uint8_t *o1 = NULL, *o2 = NULL;
    size_t n1 = 0, n2 = 0;
    CHECK_INT(write_mem(b.p, b.len, l1, &o1, &n1), AIM_OK);
    if (o1) {
        char order[128];
        chunk_order(o1, n1, order, sizeof order);
        CHECK_STR(order, "fmt ,AIGC,data,");
        CHECK_INT(write_mem(o1, n1, l2, &o2, &n2), AIM_OK);
    }
    if (o2) {
        char order[128];
        chunk_order(o2, n2, order, sizeof order);
        CHECK_STR(order, "fmt ,AIGC,data,");
        CHECK_INT(rd_le32(o2 + 4), n2 - 8);
        CHECK_INT(read_mem(o2, n2, &m), AIM_OK);
        CHECK_INT(aim_meta_label_count(m), 1);
        CHECK_STR(aim_label_get(aim_meta_label(m), AIM_FIELD_PRODUCE_ID), "second-longer-id");
        aim_meta_free(m);
        /* the audio is untouched */
        size_t d = find_chunk(o2, n2, "data", 0);
        CHECK(d != 0 && memcmp(o2 + d + 8, AUDIO, sizeof AUDIO) == 0);
    }
    aim_free(o1);
    aim_free(o2);
    aim_label_free(l1);
    aim_label_free(l2);
    buf_free(&b);
}

static void build_rf64(aim_buf *b, const char *magic, int table)
{
    audio_init();
    begin(b, magic);
    wr_le32(b->p + 4, UINT32_MAX);
    uint8_t ds[28 + 12] = {0};
    wr_le64(ds + 8, sizeof AUDIO); /* dataSize */
    wr_le64(ds + 16, sizeof AUDIO / 4);
    if (table) {
        wr_le32(ds + 24, 1);
        memcpy(ds + 28, "junk", 4);
        wr_le64(ds + 32, 6);
    }
    chunk(b, "ds64", ds, table ? 40 : 28, 0);
    chunk(b, "fmt ", FMT, sizeof FMT, 0);
    if (table) {
        buf_put(b, "junk\xff\xff\xff\xff" "abcdef", 14);
    }
    buf_put(b, "data\xff\xff\xff\xff", 8);
    buf_put(b, AUDIO, sizeof AUDIO);
    chunk(b, "LIST", "INFOICMT\x03\0\0\0abc", 15, 0x00);
    wr_le64(b->p + 20, b->len - 8);
}

static void t_rf64(void)
{
    const char *magics[] = {"RF64", "BW64"};
    for (int k = 0; k < 2; k++) {
        aim_buf b = AIM_BUF_INIT;
        build_rf64(&b, magics[k], k);
        aim_meta *m = NULL;
        CHECK_INT(read_mem(b.p, b.len, &m), AIM_OK);
        CHECK_INT(aim_meta_label_count(m), 0);
        aim_meta_free(m);
        aim_label *l = mk_label("rf64");
        size_t jn;
        char *js = label_json(l, &jn);
        uint8_t *o = NULL;
        size_t on = 0;
        CHECK_INT(write_mem(b.p, b.len, l, &o, &on), AIM_OK);
        if (o) {
            CHECK(memcmp(o, magics[k], 4) == 0);
            CHECK_INT(rd_le32(o + 4), UINT32_MAX);
            CHECK_INT(rd_le64(o + 20), on - 8);         /* ds64 riffSize */
            CHECK_INT(rd_le64(o + 28), sizeof AUDIO);   /* dataSize unchanged */
            CHECK_INT(on, b.len + 8 + jn + (jn & 1));
            /* everything after riffSize up to data is unchanged */
            size_t a = 12 + 8 + (k ? 40 : 28) + 8 + 16 + (k ? 14 : 0);
            CHECK(memcmp(o + a, "AIGC", 4) == 0);
            CHECK(memcmp(o + 28, b.p + 28, a - 28) == 0);
            size_t after = a + 8 + jn + (jn & 1);
            CHECK(memcmp(o + after, b.p + a, b.len - a) == 0);
            CHECK_INT(read_mem(o, on, &m), AIM_OK);
            CHECK_INT(aim_meta_label_count(m), 1);
            CHECK_STR(aim_label_get(aim_meta_label(m), AIM_FIELD_PRODUCE_ID), "rf64");
            aim_meta_free(m);
        }
        free(js);
        aim_free(o);
        aim_label_free(l);
        buf_free(&b);
    }
}

static void t_truncated_data(void)
{
    /* data declares 1000 bytes, 200 are present (a cut recording) */
    aim_buf b = AIM_BUF_INIT;
    audio_init();
    begin(&b, "RIFF");
    chunk(&b, "fmt ", FMT, sizeof FMT, 0);
    buf_put(&b, "data", 4);
    buf_le32(&b, 1000);
    buf_put(&b, AUDIO, sizeof AUDIO - 1); /* 199: odd, no pad */
    wr_le32(b.p + 4, 4 + 24 + 8 + 1000);
    aim_meta *m = NULL;
    CHECK_INT(read_mem(b.p, b.len, &m), AIM_OK);
    aim_meta_free(m);
    aim_label *l = mk_label("cut");
    size_t jn;
    char *js = label_json(l, &jn);
    uint8_t *o = NULL;
    size_t on = 0;
    CHECK_INT(write_mem(b.p, b.len, l, &o, &on), AIM_OK);
    if (o) {
        size_t d = find_chunk(o, on, "data", 0);
        CHECK(d != 0);
        CHECK_INT(rd_le32(o + d + 4), sizeof AUDIO - 1); /* the size present */
        CHECK_INT(on, d + 8 + sizeof AUDIO - 1);
        CHECK(memcmp(o + d + 8, AUDIO, sizeof AUDIO - 1) == 0);
        CHECK_INT(rd_le32(o + 4), on - 8);
        CHECK_INT(read_mem(o, on, &m), AIM_OK);
        CHECK_INT(aim_meta_label_count(m), 1);
        aim_meta_free(m);
    }
    aim_free(o);

    /* RF64 with dataSize past the end: ds64 dataSize becomes the size present */
    buf_clear(&b);
    build_rf64(&b, "RF64", 0);
    wr_le64(b.p + 28, 5000);
    b.len = 12 + 36 + 24 + 8 + 100; /* cut inside the audio */
    CHECK_INT(write_mem(b.p, b.len, l, &o, &on), AIM_OK);
    if (o) {
        CHECK_INT(rd_le64(o + 28), 100);
        CHECK_INT(rd_le64(o + 20), on - 8);
        CHECK_INT(on, b.len + 8 + jn + (jn & 1));
    }
    aim_free(o);

    /* RF64 with a second data chunk also sized by ds64 (0xFFFFFFFF) and cut
     * by the end of the file (fuzz_wav): ds64's dataSize still sizes the
     * first, so the second gets its size present in its own header; the
     * output reads back and can be labelled again (it could not) */
    buf_clear(&b);
    build_rf64(&b, "RF64", 0); /* ..., data (200, ds64-sized), LIST */
    buf_put(&b, "data\xff\xff\xff\xff", 8);
    buf_put(&b, AUDIO, 60); /* ds64 says 200: 140 missing */
    wr_le64(b.p + 20, UINT64_MAX - 1); /* riffSize past the end */
    CHECK_INT(write_mem(b.p, b.len, l, &o, &on), AIM_OK);
    if (o) {
        CHECK_INT(rd_le64(o + 28), sizeof AUDIO); /* dataSize of the first */
        size_t d2 = on - 8 - 60;
        CHECK(memcmp(o + d2, "data", 4) == 0);
        CHECK_INT(rd_le32(o + d2 + 4), 60);
        CHECK(memcmp(o + d2 + 8, AUDIO, 60) == 0);
        CHECK_INT(read_mem(o, on, &m), AIM_OK);
        CHECK_INT(aim_meta_label_count(m), 1);
        aim_meta_free(m);
        aim_label *l2 = mk_label("again");
        uint8_t *o2 = NULL;
        size_t on2 = 0;
        CHECK_INT(write_mem(o, on, l2, &o2, &on2), AIM_OK);
        if (o2) {
            CHECK_INT(read_mem(o2, on2, &m), AIM_OK);
            CHECK_STR(aim_label_get(aim_meta_label(m), AIM_FIELD_PRODUCE_ID), "again");
            aim_meta_free(m);
        }
        aim_free(o2);
        aim_label_free(l2);
    }
    aim_free(o);
    free(js);
    aim_label_free(l);
    buf_free(&b);
}

static void t_streamed_and_trailing(void)
{
    /* RIFF size 0xFFFFFFFF (streamed): up to the end of the file */
    aim_buf b = AIM_BUF_INIT;
    basic_wav(&b);
    wr_le32(b.p + 4, UINT32_MAX);
    aim_label *l = mk_label("s");
    uint8_t *o = NULL;
    size_t on = 0;
    CHECK_INT(write_mem(b.p, b.len, l, &o, &on), AIM_OK);
    if (o)
        CHECK_INT(rd_le32(o + 4), on - 8);
    aim_free(o);

    /* junk after the RIFF area is kept after it, outside the RIFF size */
    buf_clear(&b);
    basic_wav(&b);
    size_t riff_len = b.len;
    buf_put(&b, "JUNKJUNKJU", 10);
    CHECK_INT(write_mem(b.p, b.len, l, &o, &on), AIM_OK);
    if (o) {
        CHECK_INT(rd_le32(o + 4), on - 10 - 8);
        CHECK(memcmp(o + on - 10, "JUNKJUNKJU", 10) == 0);
        CHECK_INT(on, b.len + (on - 10 - riff_len));
    }
    aim_free(o);

    /* a 3-byte tail inside the RIFF area and no data chunk: AIGC goes last, tail kept */
    buf_clear(&b);
    begin(&b, "RIFF");
    chunk(&b, "fmt ", FMT, sizeof FMT, 0);
    buf_put(&b, "xyz", 3);
    fix_size(&b);
    CHECK_INT(write_mem(b.p, b.len, l, &o, &on), AIM_OK);
    if (o) {
        char order[64];
        chunk_order(o, on, order, sizeof order);
        CHECK_STR(order, "fmt ,AIGC,");
        CHECK(memcmp(o + on - 3, "xyz", 3) == 0);
        CHECK_INT(rd_le32(o + 4), on - 8);
    }
    aim_free(o);

    /* last chunk odd without its pad byte, no data chunk: a pad is added before AIGC */
    buf_clear(&b);
    begin(&b, "RIFF");
    chunk(&b, "fmt ", FMT, sizeof FMT, 0);
    buf_put(&b, "LIST\x03\0\0\0abc", 11);
    fix_size(&b);
    CHECK_INT(write_mem(b.p, b.len, l, &o, &on), AIM_OK);
    if (o) {
        char order[64];
        chunk_order(o, on, order, sizeof order);
        CHECK_STR(order, "fmt ,LIST,AIGC,");
        CHECK_INT(o[b.len], 0);
    }
    aim_free(o);
    aim_label_free(l);
    buf_free(&b);
}

static void t_every_truncation(void)
{
    aim_buf b = AIM_BUF_INIT;
    basic_wav(&b);
    aim_label *l = mk_label("trunc");
    uint8_t *full = NULL;
    size_t fn = 0;
    CHECK_INT(write_mem(b.p, b.len, l, &full, &fn), AIM_OK);
    size_t a = full ? find_chunk(full, fn, "AIGC", 0) : 0;
    size_t a_end = a + 8 + rd_le32(full + a + 4);
    size_t id3 = full ? find_chunk(full, fn, "id3 ", 0) : 0;
    for (size_t n = 0; full && n < fn; n++) {
        uint8_t *cut = malloc(n ? n : 1);
        memcpy(cut, full, n);
        aim_meta *m = NULL;
        int rc = read_mem(cut, n, &m);
        if (n < 12) {
            CHECK_INT(rc, AIM_ERR_UNKNOWN_FORMAT);
        } else if (n >= id3 + 8 && n < fn - 1) { /* fn - 1: only the pad byte is missing */
            CHECK_INT(rc, AIM_ERR_CORRUPT); /* only data may be cut short */
        } else if (n >= a_end) {
            /* the label is whole; a cut data chunk is tolerated */
            CHECK_INT(rc, AIM_OK);
            CHECK_INT(aim_meta_label_count(m), 1);
            CHECK_STR(aim_label_get(aim_meta_label(m), AIM_FIELD_PRODUCE_ID), "trunc");
        } else if (n >= a + 8) {
            CHECK_INT(rc, AIM_ERR_CORRUPT); /* the AIGC chunk itself is cut */
        } else {
            CHECK(rc == AIM_OK || rc == AIM_ERR_CORRUPT);
            if (rc == AIM_OK)
                CHECK_INT(aim_meta_label_count(m), 0);
        }
        aim_meta_free(m);
        uint8_t *o = NULL;
        size_t on = 0;
        aim_diag d;
        rc = aim_meta_write_mem(cut, n, l, NULL, (void **)&o, &on, &d);
        CHECK(rc == AIM_OK || rc == AIM_ERR_CORRUPT || rc == AIM_ERR_UNKNOWN_FORMAT);
        if (rc == AIM_OK) {
            CHECK_INT(read_mem(o, on, &m), AIM_OK);
            CHECK_INT(aim_meta_label_count(m), 1);
            aim_meta_free(m);
        }
        aim_free(o);
        free(cut);
    }
    aim_free(full);
    aim_label_free(l);
    buf_free(&b);
}

static int rc_of(const aim_buf *b)
{
    aim_meta *m = NULL;
    int rc = read_mem(b->p, b->len, &m);
    aim_meta_free(m);
    return rc;
}

static void t_hostile(void)
{
    aim_buf b = AIM_BUF_INIT;
    /* a chunk (not data) claiming 2 GiB */
    begin(&b, "RIFF");
    buf_put(&b, "fmt \xff\xff\xff\x7f", 8);
    buf_put(&b, FMT, sizeof FMT);
    fix_size(&b);
    CHECK_INT(rc_of(&b), AIM_ERR_CORRUPT);
    /* an AIGC chunk claiming more than is there */
    buf_clear(&b);
    begin(&b, "RIFF");
    buf_put(&b, "AIGC\x40\0\0\0{}", 10);
    fix_size(&b);
    CHECK_INT(rc_of(&b), AIM_ERR_CORRUPT);
    /* RIFF size too small */
    buf_clear(&b);
    basic_wav(&b);
    wr_le32(b.p + 4, 2);
    CHECK_INT(rc_of(&b), AIM_ERR_CORRUPT);
    /* RF64 without ds64 first, ds64 too short, ds64 huge */
    buf_clear(&b);
    begin(&b, "RF64");
    chunk(&b, "fmt ", FMT, sizeof FMT, 0);
    CHECK_INT(rc_of(&b), AIM_ERR_CORRUPT);
    buf_clear(&b);
    begin(&b, "RF64");
    chunk(&b, "ds64", FMT, 16, 0);
    CHECK_INT(rc_of(&b), AIM_ERR_CORRUPT);
    buf_clear(&b);
    begin(&b, "BW64");
    buf_put(&b, "ds64\xf0\xff\xff\xff", 8);
    buf_zero(&b, 64);
    CHECK(rc_of(&b) < 0);
    /* ds64 table claiming 2^32-1 entries: only the one it holds is looked at */
    buf_clear(&b);
    build_rf64(&b, "RF64", 1);
    wr_le32(b.p + 20 + 24, UINT32_MAX);
    CHECK_INT(rc_of(&b), AIM_OK);
    /* a table without the entry: the 0xFFFFFFFF size stays and runs past the end */
    memcpy(b.p + 20 + 28, "abcd", 4);
    CHECK_INT(rc_of(&b), AIM_ERR_CORRUPT);
    /* ds64 riffSize of 2^64-1 and dataSize of 2^64-1: read to the end of the file */
    buf_clear(&b);
    build_rf64(&b, "RF64", 0);
    wr_le64(b.p + 20, UINT64_MAX);
    wr_le64(b.p + 28, UINT64_MAX);
    CHECK_INT(rc_of(&b), AIM_OK);
    /* ds64 riffSize below 4 (the error path must free ds64: the fuzzer found a leak) */
    buf_clear(&b);
    build_rf64(&b, "RF64", 0);
    wr_le64(b.p + 20, 2);
    CHECK_INT(rc_of(&b), AIM_ERR_CORRUPT);
    {
        aim_label *l = aim_label_new();
        aim_label_set(l, AIM_FIELD_LABEL, "1");
        void *o = NULL;
        size_t on = 0;
        aim_diag d;
        CHECK_INT(aim_meta_write_mem(b.p, b.len, l, NULL, &o, &on, &d), AIM_ERR_CORRUPT);
        CHECK(o == NULL);
        aim_label_free(l);
    }
    /* a label bigger than the limit */
    buf_clear(&b);
    begin(&b, "RIFF");
    buf_put(&b, "AIGC", 4);
    buf_le32(&b, 2u * 1024u * 1024u);
    buf_zero(&b, 2u * 1024u * 1024u);
    fix_size(&b);
    CHECK_INT(rc_of(&b), AIM_ERR_LIMIT);
    buf_free(&b);
}

static void t_chunk_count_limit(void)
{
    /* AIM_MAX_ITEMS + 1 empty chunks: refused, not walked forever */
    aim_buf b = AIM_BUF_INIT;
    b.limit = 16u * 1024u * 1024u;
    begin(&b, "RIFF");
    size_t n = (size_t)AIM_MAX_ITEMS + 1;
    buf_reserve(&b, n * 8);
    for (size_t i = 0; i < n; i++)
        buf_put(&b, "JUNK\0\0\0\0", 8);
    fix_size(&b);
    CHECK_INT(b.err, 0);
    CHECK_INT(rc_of(&b), AIM_ERR_LIMIT);
    b.len -= 16; /* exactly at the limit is fine */
    fix_size(&b);
    CHECK_INT(rc_of(&b), AIM_OK);
    buf_free(&b);
}

static void t_too_large(void)
{
    /* a sparse 4 GiB - 16 file: adding the label would pass the 4 GiB RIFF limit */
    char path[] = "/tmp/aim_wav_bigXXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    unlink(path);
    uint64_t size = UINT32_MAX - 16ull;
    aim_buf h = AIM_BUF_INIT;
    begin(&h, "RIFF");
    chunk(&h, "fmt ", FMT, sizeof FMT, 0);
    buf_put(&h, "data", 4);
    buf_le32(&h, (uint32_t)(size - h.len - 4));
    wr_le32(h.p + 4, (uint32_t)(size - 8));
    int ok = pwrite(fd, h.p, h.len, 0) == (ssize_t)h.len && ftruncate(fd, (off_t)size) == 0;
    CHECK(ok);
    if (ok) {
        aim_src src = {fd, NULL, size};
        aim_label *l = mk_label("big");
        size_t jn;
        char *js = label_json(l, &jn);
        meta_write_req req = {l, js, jn, NULL};
        aim_buf ob = AIM_BUF_INIT;
        aim_sink sink;
        sink_init_mem(&sink, &ob);
        aim_diag d;
        memset(&d, 0, sizeof d);
        CHECK_INT(wav_handler.write(&src, &req, &sink, &d), AIM_ERR_TOO_LARGE);
        CHECK_INT(ob.len, 0); /* refused before writing anything */
        sink_finish(&sink);
        /* reading it is cheap and fine */
        meta_found f;
        memset(&f, 0, sizeof f);
        CHECK_INT(wav_handler.read(&src, &f, &d), AIM_OK);
        CHECK_INT(f.count, 0);
        found_clear(&f);
        buf_free(&ob);
        free(js);
        aim_label_free(l);
    }
    buf_free(&h);
    close(fd);
}

TEST_MAIN(t_probe, t_read_unlabelled, t_read_hand_made, t_write_layout, t_replace, t_rf64,
          t_truncated_data, t_streamed_and_trailing, t_every_truncation, t_hostile,
          t_chunk_count_limit, t_too_large)
