/* MP3 / ID3v2 label handler: files are built in memory byte by byte. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aimark/aimark.h"
#include "container/handler.h"
#include "core/buf.h"
#include "core/bytes.h"
#include "test.h"

/* ---- builders ----------------------------------------------------------- */

static void ss32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)((v >> 21) & 0x7F);
    p[1] = (uint8_t)((v >> 14) & 0x7F);
    p[2] = (uint8_t)((v >> 7) & 0x7F);
    p[3] = (uint8_t)(v & 0x7F);
}

/* A frame of an ID3v2.`ver` tag: header (with `fmt` as the format flags
 * byte) and data. */
static void put_frame(aim_buf *b, int ver, const char *id, uint8_t fmt, const void *data, size_t n)
{
    uint8_t h[10] = {0};
    if (ver == 2) {
        memcpy(h, id, 3);
        h[3] = (uint8_t)(n >> 16);
        h[4] = (uint8_t)(n >> 8);
        h[5] = (uint8_t)n;
        buf_put(b, h, 6);
    } else {
        memcpy(h, id, 4);
        if (ver == 3)
            wr_be32(h + 4, (uint32_t)n);
        else
            ss32(h + 4, (uint32_t)n);
        h[9] = fmt;
        buf_put(b, h, 10);
    }
    buf_put(b, data, n);
}

/* Data of a user text frame: encoding, description, terminator, value. */
static void txxx_data(aim_buf *d, int enc, const void *desc, size_t dlen, const void *val, size_t vlen)
{
    buf_putc(d, (uint8_t)enc);
    buf_put(d, desc, dlen);
    buf_putc(d, 0);
    if (enc == 1 || enc == 2)
        buf_putc(d, 0);
    buf_put(d, val, vlen);
}

static void put_txxx(aim_buf *b, int ver, const char *desc, const char *val)
{
    aim_buf d = AIM_BUF_INIT;
    txxx_data(&d, 0, desc, strlen(desc), val, strlen(val));
    put_frame(b, ver, ver == 2 ? "TXX" : "TXXX", 0, d.p, d.len);
    buf_free(&d);
}

static void put_text(aim_buf *b, int ver, const char *id, const char *s)
{
    aim_buf d = AIM_BUF_INIT;
    buf_putc(&d, 0);
    buf_puts(&d, s);
    put_frame(b, ver, id, 0, d.p, d.len);
    buf_free(&d);
}

/* A tag: header, `body` bytes, `pad` zero bytes. */
static void put_tag(aim_buf *b, int ver, uint8_t flags, const void *body, size_t n, size_t pad)
{
    uint8_t h[10] = {'I', 'D', '3', (uint8_t)ver, 0, flags};
    ss32(h + 6, (uint32_t)(n + pad));
    buf_put(b, h, 10);
    buf_put(b, body, n);
    buf_zero(b, pad);
}

/* MPEG-1 layer III, 128 kbit/s, 44.1 kHz frames of 417 bytes. */
#define AFRAME 417
static void put_audio(aim_buf *b, int frames)
{
    for (int f = 0; f < frames; f++) {
        static const uint8_t h[4] = {0xFF, 0xFB, 0x90, 0x00};
        buf_put(b, h, 4);
        for (int i = 4; i < AFRAME; i++)
            buf_putc(b, (uint8_t)(i * 37 + f * 11));
    }
}

/* ID3v1 tag at the end. */
static void put_id3v1(aim_buf *b)
{
    uint8_t t[128];
    memset(t, 0, sizeof t);
    memcpy(t, "TAGv1 title", 11);
    buf_put(b, t, sizeof t);
}

/* Unsynchronise: insert 00 after every FF followed by 00, >= E0, or the end. */
static void unsync(const uint8_t *p, size_t n, aim_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        buf_putc(out, p[i]);
        if (p[i] == 0xFF && (i + 1 == n || p[i + 1] == 0 || p[i + 1] >= 0xE0))
            buf_putc(out, 0);
    }
}

static aim_label *mk_label(const char *id)
{
    aim_label *l = aim_label_new();
    aim_label_set(l, AIM_FIELD_LABEL, "1");
    aim_label_set(l, AIM_FIELD_CONTENT_PRODUCER, "001191110102MACQD9K64010000");
    aim_label_set(l, AIM_FIELD_PRODUCE_ID, id);
    return l;
}

/* JSON of mk_label(id) (static buffer). */
static const char *json_of(const char *id)
{
    static char s[512];
    aim_label *l = mk_label(id);
    size_t n;
    aim_label_to_json(l, AIM_FORM_BARE, s, sizeof s, &n);
    aim_label_free(l);
    return s;
}

static const uint8_t *find(const uint8_t *h, size_t hn, const void *needle, size_t nn)
{
    if (nn == 0 || nn > hn)
        return NULL;
    for (size_t i = 0; i + nn <= hn; i++)
        if (memcmp(h + i, needle, nn) == 0)
            return h + i;
    return NULL;
}

static size_t count_of(const uint8_t *h, size_t hn, const void *needle, size_t nn)
{
    size_t c = 0;
    const uint8_t *p = h;
    while ((p = find(p, hn - (size_t)(p - h), needle, nn)) != NULL) {
        c++;
        p++;
    }
    return c;
}

typedef struct result {
    int rc;
    unsigned count;
    char loc[64];
    char raw[1024];
    int format;
} result;

static result rd(const void *p, size_t n)
{
    result r;
    memset(&r, 0, sizeof r);
    aim_meta *m = NULL;
    aim_diag d;
    r.rc = aim_meta_read_mem(p, n, &m, &d);
    if (m) {
        r.format = aim_meta_format(m);
        r.count = aim_meta_label_count(m);
        if (aim_meta_location(m))
            snprintf(r.loc, sizeof r.loc, "%s", aim_meta_location(m));
        if (aim_meta_raw(m))
            snprintf(r.raw, sizeof r.raw, "%s", aim_meta_raw(m));
    }
    aim_meta_free(m);
    return r;
}

/* Write label `id` into p; returns rc, output in *out (caller frees). */
static int wr(const void *p, size_t n, const char *id, uint8_t **out, size_t *out_n)
{
    aim_label *l = mk_label(id);
    aim_diag d;
    void *o = NULL;
    *out_n = 0;
    int rc = aim_meta_write_mem(p, n, l, NULL, &o, out_n, &d);
    aim_label_free(l);
    *out = o;
    return rc;
}

static uint32_t tag_size(const uint8_t *p)
{
    return ((uint32_t)p[6] << 21) | ((uint32_t)p[7] << 14) | ((uint32_t)p[8] << 7) | p[9];
}

/* ---- tests ------------------------------------------------------------------ */

static void t_probe(void)
{
    uint8_t id3[10] = {'I', 'D', '3', 3, 0, 0, 0, 0, 1, 0};
    CHECK_INT(aim_format_probe(id3, 10), AIM_FORMAT_MP3);
    id3[3] = 5;
    CHECK_INT(aim_format_probe(id3, 10), AIM_FORMAT_UNKNOWN);
    id3[3] = 4;
    id3[8] = 0x80; /* not syncsafe */
    CHECK_INT(aim_format_probe(id3, 10), AIM_FORMAT_UNKNOWN);

    aim_buf a = AIM_BUF_INIT;
    put_audio(&a, 3);
    CHECK_INT(aim_format_probe(a.p, a.len), AIM_FORMAT_MP3);
    CHECK_INT(aim_format_probe(a.p, 4), AIM_FORMAT_MP3); /* next frame not in view */
    a.p[AFRAME] = 0x00; /* second frame header broken */
    CHECK_INT(aim_format_probe(a.p, a.len), AIM_FORMAT_UNKNOWN);
    a.p[AFRAME] = 0xFF;
    a.p[2] = 0xF0; /* bitrate index 15 */
    CHECK_INT(aim_format_probe(a.p, a.len), AIM_FORMAT_UNKNOWN);
    a.p[2] = 0x90;
    a.p[1] = 0xF1; /* layer 00: AAC ADTS */
    CHECK_INT(aim_format_probe(a.p, a.len), AIM_FORMAT_UNKNOWN);
    buf_free(&a);

    /* MPEG-2 layer III 64 kbit/s 22.05 kHz: 72*64000/22050 = 208 bytes. */
    uint8_t m2[300];
    memset(m2, 0, sizeof m2);
    static const uint8_t h2[4] = {0xFF, 0xF3, 0x80, 0xC4};
    memcpy(m2, h2, 4);
    memcpy(m2 + 208, h2, 4);
    CHECK_INT(aim_format_probe(m2, sizeof m2), AIM_FORMAT_MP3);
    memset(m2 + 208, 0, 4);
    CHECK_INT(aim_format_probe(m2, sizeof m2), AIM_FORMAT_UNKNOWN);
    CHECK_INT(aim_format_probe("hello world", 11), AIM_FORMAT_UNKNOWN);
}

static void t_raw_mpeg(void)
{
    aim_buf f = AIM_BUF_INIT;
    put_audio(&f, 4);
    put_id3v1(&f);
    result r = rd(f.p, f.len);
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.format, AIM_FORMAT_MP3);
    CHECK_INT(r.count, 0);

    uint8_t *o;
    size_t on;
    CHECK_INT(wr(f.p, f.len, "raw1", &o, &on), 0);
    if (o) {
        CHECK(memcmp(o, "ID3\x03\x00\x00", 6) == 0);
        size_t frame = 10 + 1 + 5 + strlen(json_of("raw1"));
        CHECK_INT(tag_size(o), frame + 1024);
        CHECK_INT(on, 10 + frame + 1024 + f.len);
        CHECK(memcmp(o + on - f.len, f.p, f.len) == 0); /* audio + ID3v1 untouched */
        CHECK(memcmp(o + 10, "TXXX", 4) == 0);
        CHECK(memcmp(o + 20, "\0AIGC\0{", 7) == 0);
        r = rd(o, on);
        CHECK_INT(r.count, 1);
        CHECK_STR(r.loc, "id3v2.3:TXXX:AIGC");
        CHECK_STR(r.raw, json_of("raw1"));
    }
    free(o);
    buf_free(&f);
}

/* A tag with the usual frames; every frame's bytes are kept in `frames`. */
static void common_frames(aim_buf *fr, int ver)
{
    put_text(fr, ver, "TIT2", "A title");
    put_text(fr, ver, "TPE1", "An artist");
    aim_buf apic = AIM_BUF_INIT;
    buf_putc(&apic, 0);
    buf_put(&apic, "image/png", 10);
    buf_putc(&apic, 3);
    buf_putc(&apic, 0);
    for (int i = 0; i < 600; i++)
        buf_putc(&apic, (uint8_t)(i % 3 == 0 ? 0xFF : i * 13)); /* FF 00, FF E0.. patterns */
    put_frame(fr, ver, "APIC", 0, apic.p, apic.len);
    buf_free(&apic);
    put_frame(fr, ver, "COMM", 0, "\0engdesc\0a comment", 18);
}

static void check_frames_kept(const uint8_t *o, size_t on, const aim_buf *fr, int ver)
{
    /* Walk the original frames and require each, byte-exact, in the output. */
    size_t pos = 0;
    while (pos + 10 <= fr->len) {
        const uint8_t *s = fr->p + pos + 4;
        uint32_t n = ver == 3 ? rd_be32(s)
                              : ((uint32_t)s[0] << 21) | ((uint32_t)s[1] << 14) |
                                    ((uint32_t)s[2] << 7) | s[3];
        CHECK(find(o, on, fr->p + pos, 10 + n) != NULL);
        pos += 10 + n;
    }
}

static void t_v23_keep_size(void)
{
    aim_buf fr = AIM_BUF_INIT, f = AIM_BUF_INIT;
    common_frames(&fr, 3);
    put_tag(&f, 3, 0, fr.p, fr.len, 2048);
    size_t tag_total = f.len;
    put_audio(&f, 3);
    put_id3v1(&f);

    uint8_t *o, *o2;
    size_t on, on2;
    CHECK_INT(wr(f.p, f.len, "first", &o, &on), 0);
    if (o) {
        CHECK_INT(on, f.len); /* fits the padding: same size, audio in place */
        CHECK_INT(tag_size(o), tag_size(f.p));
        CHECK(memcmp(o + tag_total, f.p + tag_total, f.len - tag_total) == 0);
        check_frames_kept(o, tag_total, &fr, 3);
        CHECK(memcmp(o + 10, fr.p, fr.len) == 0); /* frames first, in order */
        result r = rd(o, on);
        CHECK_INT(r.count, 1);
        CHECK_STR(r.loc, "id3v2.3:TXXX:AIGC");
        CHECK_STR(r.raw, json_of("first"));
        /* Re-write replaces the label. */
        CHECK_INT(wr(o, on, "second", &o2, &on2), 0);
        if (o2) {
            CHECK_INT(on2, f.len);
            r = rd(o2, on2);
            CHECK_INT(r.count, 1);
            CHECK_STR(r.raw, json_of("second"));
            CHECK_INT(count_of(o2, on2, "AIGC", 4), 1);
            check_frames_kept(o2, tag_total, &fr, 3);
            CHECK(memcmp(o2 + tag_total, f.p + tag_total, f.len - tag_total) == 0);
        }
        free(o2);
    }
    free(o);
    buf_free(&fr);
    buf_free(&f);
}

static void t_v24_grow(void)
{
    aim_buf fr = AIM_BUF_INIT, f = AIM_BUF_INIT;
    common_frames(&fr, 4);
    put_tag(&f, 4, 0, fr.p, fr.len, 10);
    size_t tag_total = f.len;
    put_audio(&f, 3);
    uint8_t *o;
    size_t on;
    CHECK_INT(wr(f.p, f.len, "grow", &o, &on), 0);
    if (o) {
        size_t nf = 10 + 1 + 5 + strlen(json_of("grow"));
        CHECK_INT(o[3], 4);
        CHECK_INT(tag_size(o), fr.len + nf + 1024);
        CHECK_INT(on, 10 + fr.len + nf + 1024 + (f.len - tag_total));
        CHECK(memcmp(o + on - (f.len - tag_total), f.p + tag_total, f.len - tag_total) == 0);
        CHECK(memcmp(o + 10, fr.p, fr.len) == 0);
        result r = rd(o, on);
        CHECK_INT(r.count, 1);
        CHECK_STR(r.loc, "id3v2.4:TXXX:AIGC");
        CHECK_STR(r.raw, json_of("grow"));
    }
    free(o);
    buf_free(&fr);
    buf_free(&f);
}

static void t_replace_many(void)
{
    aim_buf fr = AIM_BUF_INIT, f = AIM_BUF_INIT;
    put_txxx(&fr, 4, "AIGC", "{\"Label\":\"2\"}");
    put_text(&fr, 4, "TIT2", "t");
    put_txxx(&fr, 4, "aigc", "{\"Label\":\"3\"}");
    put_txxx(&fr, 4, "OTHER", "keep me");
    put_txxx(&fr, 4, "AIGCX", "not a label");
    put_tag(&f, 4, 0, fr.p, fr.len, 512);
    put_audio(&f, 2);
    result r = rd(f.p, f.len);
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.count, 2);
    CHECK_STR(r.raw, "{\"Label\":\"2\"}");
    uint8_t *o;
    size_t on;
    CHECK_INT(wr(f.p, f.len, "one", &o, &on), 0);
    if (o) {
        CHECK_INT(on, f.len);
        r = rd(o, on);
        CHECK_INT(r.count, 1);
        CHECK_STR(r.raw, json_of("one"));
        CHECK(find(o, on, "keep me", 7) != NULL);
        CHECK(find(o, on, "AIGCX\0not a label", 17) != NULL);
        CHECK(find(o, on, "Label\":\"3", 9) == NULL);
    }
    free(o);
    buf_free(&fr);
    buf_free(&f);
}

static void t_unsync_v23(void)
{
    aim_buf fr = AIM_BUF_INIT, body = AIM_BUF_INIT, f = AIM_BUF_INIT;
    common_frames(&fr, 3);
    put_txxx(&fr, 3, "AIGC", "{\"Label\":\"1\"}");
    unsync(fr.p, fr.len, &body);
    CHECK(body.len > fr.len);
    put_tag(&f, 3, 0x80, body.p, body.len, 1500);
    size_t tag_total = f.len;
    put_audio(&f, 2);
    result r = rd(f.p, f.len);
    CHECK_INT(r.count, 1);
    CHECK_STR(r.raw, "{\"Label\":\"1\"}");
    uint8_t *o;
    size_t on;
    CHECK_INT(wr(f.p, f.len, "unsync", &o, &on), 0);
    if (o) {
        CHECK_INT(on, f.len);
        CHECK_INT(o[5], 0); /* unsync flag cleared */
        /* The frames are stored without unsynchronisation now. */
        size_t keep = fr.len - (10 + 1 + 5 + 13);
        CHECK(memcmp(o + 10, fr.p, keep) == 0);
        CHECK(memcmp(o + tag_total, f.p + tag_total, f.len - tag_total) == 0);
        r = rd(o, on);
        CHECK_INT(r.count, 1);
        CHECK_STR(r.raw, json_of("unsync"));
    }
    free(o);
    buf_free(&fr);
    buf_free(&body);
    buf_free(&f);
}

static void t_v24_frame_unsync(void)
{
    /* A TXXX with per-frame unsync + data length indicator; Latin-1 value
     * holding 0xFF bytes (unsynchronised as FF 00). */
    aim_buf d = AIM_BUF_INIT, u = AIM_BUF_INIT, data = AIM_BUF_INIT, fr = AIM_BUF_INIT;
    const uint8_t val[] = {'x', 0xFF, 0x00, 'y', 0xFF, 0xE0, 0xE9};
    txxx_data(&d, 0, "AIGC", 4, val, sizeof val);
    unsync(d.p, d.len, &u);
    uint8_t dli[4];
    ss32(dli, (uint32_t)d.len);
    buf_put(&data, dli, 4);
    buf_put(&data, u.p, u.len);
    put_frame(&fr, 4, "TXXX", 0x03, data.p, data.len);
    aim_buf f = AIM_BUF_INIT;
    put_tag(&f, 4, 0, fr.p, fr.len, 0);
    put_audio(&f, 1);
    result r = rd(f.p, f.len);
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.count, 1);
    /* x U+00FF U+0000 y U+00FF U+00E0 U+00E9 in UTF-8: the NUL inside the
     * value survives, so the C string stops after "x\xC3\xBF". */
    CHECK_STR(r.raw, "x\xC3\xBF");
    buf_free(&d);
    buf_free(&u);
    buf_free(&data);
    buf_free(&fr);
    buf_free(&f);

    /* Tag-level unsync flag in v2.4 applies to every frame. */
    aim_buf d2 = AIM_BUF_INIT, u2 = AIM_BUF_INIT, fr2 = AIM_BUF_INIT, f2 = AIM_BUF_INIT;
    const uint8_t v2[] = {'a', 0xFF, 'b'};
    txxx_data(&d2, 0, "AIGC", 4, v2, sizeof v2);
    unsync(d2.p, d2.len, &u2);
    put_frame(&fr2, 4, "TXXX", 0, u2.p, u2.len);
    put_tag(&f2, 4, 0x80, fr2.p, fr2.len, 4);
    put_audio(&f2, 1);
    r = rd(f2.p, f2.len);
    CHECK_INT(r.count, 1);
    CHECK_STR(r.raw, "a\xC3\xBF" "b");
    buf_free(&d2);
    buf_free(&u2);
    buf_free(&fr2);
    buf_free(&f2);
}

static void t_ext_header(void)
{
    for (int ver = 3; ver <= 4; ver++) {
        aim_buf body = AIM_BUF_INIT, f = AIM_BUF_INIT;
        if (ver == 3) {
            /* size 6 (excluding itself), flags, padding size */
            static const uint8_t ext[10] = {0, 0, 0, 6, 0, 0, 0, 0, 0, 0};
            buf_put(&body, ext, sizeof ext);
        } else {
            /* syncsafe size 6 (including itself), 1 flag byte, flags */
            static const uint8_t ext[6] = {0, 0, 0, 6, 1, 0};
            buf_put(&body, ext, sizeof ext);
        }
        size_t ext_len = body.len;
        put_text(&body, ver, "TIT2", "with ext");
        put_txxx(&body, ver, "AIGC", "{\"Label\":\"1\"}");
        put_tag(&f, ver, 0x40, body.p, body.len, 300);
        size_t tag_total = f.len;
        put_audio(&f, 2);
        result r = rd(f.p, f.len);
        CHECK_INT(r.rc, 0);
        CHECK_INT(r.count, 1);
        CHECK_STR(r.raw, "{\"Label\":\"1\"}");
        uint8_t *o;
        size_t on;
        CHECK_INT(wr(f.p, f.len, "ext", &o, &on), 0);
        if (o) {
            CHECK_INT(on, f.len);
            CHECK_INT(o[5], 0); /* extended header dropped */
            CHECK(memcmp(o + 10, body.p + ext_len, 10 + 1 + 8) == 0); /* TIT2 first */
            CHECK(memcmp(o + tag_total, f.p + tag_total, f.len - tag_total) == 0);
            r = rd(o, on);
            CHECK_INT(r.count, 1);
            CHECK_STR(r.raw, json_of("ext"));
        }
        free(o);
        /* Extended header size that lies. */
        f.p[10 + 1] = 0x7F;
        r = rd(f.p, f.len);
        CHECK_INT(r.rc, AIM_ERR_CORRUPT);
        buf_free(&body);
        buf_free(&f);
    }
}

static void t_encodings(void)
{
    const char *json = "{\"Label\":\"1\",\"ProduceID\":\"u16\"}";
    size_t jn = strlen(json);
    for (int enc = 1; enc <= 3; enc++) {
        aim_buf desc = AIM_BUF_INIT, val = AIM_BUF_INIT, d = AIM_BUF_INIT, fr = AIM_BUF_INIT,
                f = AIM_BUF_INIT;
        const char *ds = enc == 1 ? "aIgC" : "AIGC";
        if (enc == 1) {
            buf_putc(&desc, 0xFF), buf_putc(&desc, 0xFE);
            buf_putc(&val, 0xFF), buf_putc(&val, 0xFE);
        }
        for (size_t i = 0; i < 4; i++) {
            if (enc == 1)
                buf_putc(&desc, (uint8_t)ds[i]), buf_putc(&desc, 0);
            else if (enc == 2)
                buf_putc(&desc, 0), buf_putc(&desc, (uint8_t)ds[i]);
            else
                buf_putc(&desc, (uint8_t)ds[i]);
        }
        for (size_t i = 0; i < jn; i++) {
            if (enc == 1)
                buf_putc(&val, (uint8_t)json[i]), buf_putc(&val, 0);
            else if (enc == 2)
                buf_putc(&val, 0), buf_putc(&val, (uint8_t)json[i]);
            else
                buf_putc(&val, (uint8_t)json[i]);
        }
        buf_zero(&val, enc == 3 ? 1 : 2); /* one terminator: stripped */
        txxx_data(&d, enc, desc.p, desc.len, val.p, val.len);
        put_frame(&fr, 3, "TXXX", 0, d.p, d.len);
        put_tag(&f, 3, 0, fr.p, fr.len, 100);
        put_audio(&f, 1);
        result r = rd(f.p, f.len);
        CHECK_INT(r.rc, 0);
        CHECK_INT(r.count, 1);
        CHECK_STR(r.raw, json);
        uint8_t *o;
        size_t on;
        CHECK_INT(wr(f.p, f.len, "enc", &o, &on), 0);
        if (o) {
            r = rd(o, on);
            CHECK_INT(r.count, 1);
            CHECK_STR(r.raw, json_of("enc"));
        }
        free(o);
        buf_free(&desc);
        buf_free(&val);
        buf_free(&d);
        buf_free(&fr);
        buf_free(&f);
    }
    /* UTF-16 surrogate pair and Latin-1. */
    {
        aim_buf d = AIM_BUF_INIT, fr = AIM_BUF_INIT, f = AIM_BUF_INIT;
        static const uint8_t v[] = {0xD8, 0x3D, 0xDE, 0x00, 0x00, 'A'}; /* U+1F600, 'A' */
        static const uint8_t desc[] = {0, 'A', 0, 'I', 0, 'G', 0, 'C'};
        txxx_data(&d, 2, desc, sizeof desc, v, sizeof v);
        put_frame(&fr, 3, "TXXX", 0, d.p, d.len);
        put_tag(&f, 3, 0, fr.p, fr.len, 0);
        result r = rd(f.p, f.len);
        CHECK_STR(r.raw, "\xF0\x9F\x98\x80" "A");
        buf_free(&d);
        buf_free(&fr);
        buf_free(&f);
    }
}

static void t_v22(void)
{
    aim_buf fr = AIM_BUF_INIT, f = AIM_BUF_INIT;
    put_text(&fr, 2, "TT2", "old");
    put_txxx(&fr, 2, "AIGC", "{\"Label\":\"2\"}");
    put_tag(&f, 2, 0, fr.p, fr.len, 200);
    put_audio(&f, 2);
    result r = rd(f.p, f.len);
    CHECK_INT(r.count, 1);
    CHECK_STR(r.loc, "id3v2.2:TXX:AIGC");
    CHECK_STR(r.raw, "{\"Label\":\"2\"}");
    uint8_t *o;
    size_t on;
    CHECK_INT(wr(f.p, f.len, "v22", &o, &on), 0);
    if (o) {
        CHECK_INT(on, f.len);
        CHECK_INT(o[3], 2);
        CHECK(memcmp(o + 10, "TT2\0\0\x04\0old", 10) == 0);
        r = rd(o, on);
        CHECK_INT(r.count, 1);
        CHECK_STR(r.loc, "id3v2.2:TXX:AIGC");
        CHECK_STR(r.raw, json_of("v22"));
    }
    free(o);
    /* A compressed v2.2 tag cannot be read: left alone, a v2.3 tag goes first. */
    f.p[5] = 0x40;
    r = rd(f.p, f.len);
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.count, 0);
    CHECK_INT(wr(f.p, f.len, "v22c", &o, &on), 0);
    if (o) {
        CHECK_INT(o[3], 3);
        CHECK(memcmp(o + on - f.len, f.p, f.len) == 0);
        r = rd(o, on);
        CHECK_INT(r.count, 1);
        CHECK_STR(r.loc, "id3v2.3:TXXX:AIGC");
    }
    free(o);
    buf_free(&fr);
    buf_free(&f);
}

static void t_footer(void)
{
    aim_buf fr = AIM_BUF_INIT, f = AIM_BUF_INIT;
    put_text(&fr, 4, "TIT2", "footer");
    put_tag(&f, 4, 0x10, fr.p, fr.len, 200);
    uint8_t foot[10];
    memcpy(foot, f.p, 10);
    memcpy(foot, "3DI", 3);
    buf_put(&f, foot, 10);
    size_t tag_total = f.len;
    put_audio(&f, 2);
    result r = rd(f.p, f.len);
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.count, 0);
    uint8_t *o;
    size_t on;
    CHECK_INT(wr(f.p, f.len, "foot", &o, &on), 0);
    if (o) {
        CHECK_INT(on, f.len); /* footer space becomes padding */
        CHECK_INT(o[5], 0);
        CHECK_INT(tag_size(o), tag_total - 10);
        CHECK(memcmp(o + tag_total, f.p + tag_total, f.len - tag_total) == 0);
        CHECK_STR(rd(o, on).raw, json_of("foot"));
    }
    free(o);
    buf_free(&fr);
    buf_free(&f);
}

static void t_multiple_tags(void)
{
    aim_buf f1 = AIM_BUF_INIT, f2 = AIM_BUF_INIT, f = AIM_BUF_INIT;
    put_text(&f1, 3, "TIT2", "tag one");
    put_tag(&f, 3, 0, f1.p, f1.len, 0); /* no room: must grow */
    put_text(&f2, 4, "TPE1", "tag two");
    put_txxx(&f2, 4, "AIGC", "{\"Label\":\"3\"}");
    put_tag(&f, 4, 0, f2.p, f2.len, 0);
    size_t tags = f.len;
    put_audio(&f, 2);
    result r = rd(f.p, f.len);
    CHECK_INT(r.count, 1);
    CHECK_STR(r.loc, "id3v2.4:TXXX:AIGC");
    uint8_t *o;
    size_t on;
    CHECK_INT(wr(f.p, f.len, "multi", &o, &on), 0);
    if (o) {
        r = rd(o, on);
        CHECK_INT(r.count, 1);
        CHECK_STR(r.loc, "id3v2.3:TXXX:AIGC");
        CHECK_STR(r.raw, json_of("multi"));
        CHECK(find(o, on, f1.p, f1.len) != NULL);
        CHECK(find(o, on, f2.p, 10 + 1 + 7) != NULL); /* TPE1 kept */
        CHECK(memcmp(o + on - (f.len - tags), f.p + tags, f.len - tags) == 0);
        /* Second tag kept its size (AIGC frame became padding). */
        size_t t1 = 10 + tag_size(o);
        CHECK(memcmp(o + t1, "ID3\x04", 4) == 0);
        CHECK_INT(tag_size(o + t1), f2.len);
    }
    free(o);
    buf_free(&f1);
    buf_free(&f2);
    buf_free(&f);
}

static void t_compressed_frame(void)
{
    aim_buf fr = AIM_BUF_INIT, f = AIM_BUF_INIT, d = AIM_BUF_INIT;
    txxx_data(&d, 0, "AIGC", 4, "zzzz", 4);
    uint8_t dsize[4] = {0, 0, 0, 9};
    aim_buf data = AIM_BUF_INIT;
    buf_put(&data, dsize, 4);
    buf_put(&data, d.p, d.len);
    put_frame(&fr, 3, "TXXX", 0x80, data.p, data.len); /* "compressed" */
    put_frame(&fr, 3, "TXXX", 0x40, d.p, d.len);       /* "encrypted" (no method byte) */
    put_tag(&f, 3, 0, fr.p, fr.len, 500);
    put_audio(&f, 1);
    result r = rd(f.p, f.len);
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.count, 0);
    uint8_t *o;
    size_t on;
    CHECK_INT(wr(f.p, f.len, "comp", &o, &on), 0);
    if (o) {
        CHECK(memcmp(o + 10, fr.p, fr.len) == 0); /* unreadable frames kept as they are */
        r = rd(o, on);
        CHECK_INT(r.count, 1);
        CHECK_STR(r.raw, json_of("comp"));
    }
    free(o);
    buf_free(&fr);
    buf_free(&f);
    buf_free(&d);
    buf_free(&data);
}

static void t_hostile(void)
{
    uint8_t *o;
    size_t on;
    result r;
    /* Tag size larger than the file. */
    {
        aim_buf fr = AIM_BUF_INIT, f = AIM_BUF_INIT;
        put_txxx(&fr, 3, "AIGC", "{}");
        put_tag(&f, 3, 0, fr.p, fr.len, 0);
        ss32(f.p + 6, 0x0FFFFFFF);
        r = rd(f.p, f.len);
        CHECK_INT(r.rc, AIM_ERR_TRUNCATED);
        CHECK_INT(wr(f.p, f.len, "x", &o, &on), AIM_ERR_TRUNCATED);
        CHECK(o == NULL);
        /* Tag size smaller than its frames: the frame runs past the tag end. */
        ss32(f.p + 6, 12);
        put_audio(&f, 1);
        r = rd(f.p, f.len);
        CHECK_INT(r.rc, AIM_ERR_CORRUPT);
        CHECK_INT(wr(f.p, f.len, "x", &o, &on), AIM_ERR_CORRUPT);
        buf_free(&fr);
        buf_free(&f);
    }
    /* Frame size past the tag end (v2.4 syncsafe, v2.3 plain). */
    for (int ver = 3; ver <= 4; ver++) {
        aim_buf fr = AIM_BUF_INIT, f = AIM_BUF_INIT;
        put_text(&fr, ver, "TIT2", "abc");
        if (ver == 3)
            wr_be32(fr.p + 4, 0xFFFFFFF0u);
        else
            ss32(fr.p + 4, 0x0FFFFFF0u);
        put_tag(&f, ver, 0, fr.p, fr.len, 20);
        put_audio(&f, 1);
        r = rd(f.p, f.len);
        CHECK_INT(r.rc, AIM_ERR_CORRUPT);
        CHECK_INT(wr(f.p, f.len, "x", &o, &on), AIM_ERR_CORRUPT);
        buf_free(&fr);
        buf_free(&f);
    }
    /* Zero-size frames, junk after the frames, zero-size TXXX. */
    {
        aim_buf fr = AIM_BUF_INIT, f = AIM_BUF_INIT;
        for (int i = 0; i < 50; i++)
            put_frame(&fr, 3, "TXXX", 0, "", 0);
        put_frame(&fr, 3, "PRIV", 0, "", 0);
        put_txxx(&fr, 3, "AIGC", "{\"Label\":\"1\"}");
        buf_put(&fr, "junk!junk!junk!", 15);
        put_tag(&f, 3, 0, fr.p, fr.len, 0);
        put_audio(&f, 1);
        r = rd(f.p, f.len);
        CHECK_INT(r.rc, 0);
        CHECK_INT(r.count, 1);
        CHECK_STR(r.raw, "{\"Label\":\"1\"}");
        CHECK_INT(wr(f.p, f.len, "zero", &o, &on), 0);
        if (o) {
            CHECK_INT(on, f.len - 15 - 29 + 10 + 6 + strlen(json_of("zero")) + 1024);
            CHECK_INT(rd(o, on).count, 1);
        }
        free(o);
        buf_free(&fr);
        buf_free(&f);
    }
    /* TXXX bodies that are only an encoding byte / bad encoding / no terminator. */
    {
        aim_buf fr = AIM_BUF_INIT, f = AIM_BUF_INIT;
        put_frame(&fr, 4, "TXXX", 0, "\x01", 1);
        put_frame(&fr, 4, "TXXX", 0, "\x07" "AIGC\0{}", 8);
        put_frame(&fr, 4, "TXXX", 0, "\x00" "AIGC", 5);
        put_frame(&fr, 4, "TXXX", 0, "\x01\xFF\xFE" "A\0I\0G\0C\0\0", 12); /* odd: no full terminator */
        put_frame(&fr, 4, "TXXX", 0x41, "\x01", 1); /* group + DLI flags, too short */
        put_tag(&f, 4, 0, fr.p, fr.len, 0);
        r = rd(f.p, f.len);
        CHECK_INT(r.rc, 0);
        CHECK_INT(r.count, 0);
        buf_free(&fr);
        buf_free(&f);
    }
    /* Thousands of empty consecutive tags. */
    {
        aim_buf f = AIM_BUF_INIT;
        for (int i = 0; i < 5000; i++)
            put_tag(&f, 3, 0, NULL, 0, 0);
        put_audio(&f, 1);
        r = rd(f.p, f.len);
        CHECK_INT(r.rc, 0);
        CHECK_INT(r.count, 0);
        CHECK_INT(wr(f.p, f.len, "many", &o, &on), 0);
        if (o) {
            CHECK_INT(on, f.len - 10 + 10 + 10 + 6 + strlen(json_of("many")) + 1024);
            CHECK_INT(rd(o, on).count, 1);
        }
        free(o);
        buf_free(&f);
    }
    /* A second "tag" whose size runs past the end is audio, not an error. */
    {
        aim_buf f = AIM_BUF_INIT;
        put_tag(&f, 3, 0, NULL, 0, 4);
        put_tag(&f, 3, 0, NULL, 0, 0);
        ss32(f.p + 14 + 6, 5000);
        put_audio(&f, 1);
        r = rd(f.p, f.len);
        CHECK_INT(r.rc, 0);
        CHECK_INT(wr(f.p, f.len, "x", &o, &on), 0);
        if (o)
            CHECK(memcmp(o + on - (f.len - 14), f.p + 14, f.len - 14) == 0);
        free(o);
        buf_free(&f);
    }
    /* v2.4 frame with plain (non-syncsafe) size, as old iTunes wrote. */
    {
        aim_buf fr = AIM_BUF_INIT, f = AIM_BUF_INIT;
        aim_buf d = AIM_BUF_INIT;
        buf_putc(&d, 0);
        for (int i = 0; i < 200; i++)
            buf_putc(&d, 'a');
        put_frame(&fr, 4, "TIT2", 0, d.p, d.len);
        wr_be32(fr.p + 4, (uint32_t)d.len); /* 201 = 0x000000C9: high bit set */
        put_txxx(&fr, 4, "AIGC", "{\"Label\":\"1\"}");
        put_tag(&f, 4, 0, fr.p, fr.len, 0);
        r = rd(f.p, f.len);
        CHECK_INT(r.count, 1);
        buf_free(&d);
        buf_free(&fr);
        buf_free(&f);
    }
}

static void t_truncations(void)
{
    aim_buf fr = AIM_BUF_INIT, f = AIM_BUF_INIT;
    put_text(&fr, 3, "TIT2", "cut");
    put_txxx(&fr, 3, "AIGC", "{\"Label\":\"1\"}");
    put_tag(&f, 3, 0, fr.p, fr.len, 160); /* room for the new label */
    size_t tag_total = f.len;
    put_audio(&f, 2);
    for (size_t cut = 0; cut <= f.len; cut++) {
        result r = rd(f.p, cut);
        uint8_t *o;
        size_t on;
        int wrc = wr(f.p, cut, "cut", &o, &on);
        if (cut < 10) {
            CHECK_INT(r.rc, AIM_ERR_UNKNOWN_FORMAT);
            CHECK_INT(wrc, AIM_ERR_UNKNOWN_FORMAT);
        } else if (cut < tag_total) {
            CHECK_INT(r.rc, AIM_ERR_TRUNCATED);
            CHECK_INT(wrc, AIM_ERR_TRUNCATED);
        } else {
            CHECK_INT(r.rc, 0);
            CHECK_INT(r.count, 1);
            CHECK_INT(wrc, 0);
            CHECK_INT(on, cut);
            if (o)
                CHECK_INT(rd(o, on).count, 1);
        }
        free(o);
    }
    /* Same for a raw MPEG stream: any prefix that probes is readable. */
    aim_buf a = AIM_BUF_INIT;
    put_audio(&a, 2);
    for (size_t cut = 0; cut <= a.len; cut++) {
        result r = rd(a.p, cut);
        CHECK_INT(r.rc, cut < 4 ? AIM_ERR_UNKNOWN_FORMAT : 0);
        CHECK_INT(r.count, 0);
    }
    buf_free(&a);
    buf_free(&fr);
    buf_free(&f);
}

/* Through files (pread path, frames walked in place): a large APIC before
 * the label, then an in-place write. */
static void t_files(void)
{
    aim_buf fr = AIM_BUF_INIT, f = AIM_BUF_INIT, apic = AIM_BUF_INIT;
    buf_put(&apic, "\0image/jpeg\0\x03\0", 14);
    for (int i = 0; i < 200000; i++)
        buf_putc(&apic, (uint8_t)(i * 7));
    put_frame(&fr, 4, "APIC", 0, apic.p, apic.len);
    put_txxx(&fr, 4, "AIGC", "{\"Label\":\"2\"}");
    put_tag(&f, 4, 0, fr.p, fr.len, 50);
    size_t tag_total = f.len;
    put_audio(&f, 5);
    char path[] = "/tmp/aimark-test-mp3-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    FILE *fp = fdopen(fd, "wb");
    CHECK(fp && fwrite(f.p, 1, f.len, fp) == f.len);
    if (fp)
        fclose(fp);
    aim_meta *m = NULL;
    CHECK_INT(aim_meta_read_file(path, &m, NULL), 0);
    CHECK_INT(aim_meta_label_count(m), 1);
    CHECK_STR(aim_meta_raw(m), "{\"Label\":\"2\"}");
    CHECK_STR(aim_meta_location(m), "id3v2.4:TXXX:AIGC");
    aim_meta_free(m);
    aim_label *l = mk_label("file");
    CHECK_INT(aim_meta_write_file(path, NULL, l, NULL, NULL), 0);
    aim_label_free(l);
    m = NULL;
    CHECK_INT(aim_meta_read_file(path, &m, NULL), 0);
    CHECK_INT(aim_meta_label_count(m), 1);
    CHECK_STR(aim_meta_raw(m), json_of("file"));
    aim_meta_free(m);
    /* The output: APIC first, byte-exact, the audio intact at the end. */
    FILE *in = fopen(path, "rb");
    CHECK(in != NULL);
    if (in) {
        uint8_t *o = malloc(f.len + 4096);
        size_t on = o ? fread(o, 1, f.len + 4096, in) : 0;
        fclose(in);
        CHECK(on > f.len);
        if (o && on > f.len) {
            CHECK(memcmp(o + 10, fr.p, 10 + apic.len) == 0);
            CHECK(memcmp(o + on - (f.len - tag_total), f.p + tag_total, f.len - tag_total) == 0);
        }
        free(o);
    }
    remove(path);
    buf_free(&fr);
    buf_free(&f);
    buf_free(&apic);
}

TEST_MAIN(t_probe, t_raw_mpeg, t_v23_keep_size, t_v24_grow, t_replace_many, t_unsync_v23,
          t_v24_frame_unsync, t_ext_header, t_encodings, t_v22, t_footer, t_multiple_tags,
          t_compressed_frame, t_hostile, t_truncations, t_files)
