/*
 * WebP handler: simple -> extended conversion, VP8X flags and canvas, XMP
 * replace/insert order, raw AIGC chunks, damaged and hostile files. Files
 * are built in memory. The label itself goes through the shared XMP module,
 * so these tests check what the WebP layer owns: chunk layout, flags, sizes,
 * and that the label reads back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aimark/aimark.h"
#include "container/handler.h"
#include "core/buf.h"
#include "core/bytes.h"
#include "test.h"

#define PRODUCER "001191110102MACQD9K64010000"
#define TC260_NS "http://www.tc260.org.cn/ns/AIGC/1.0/"

static const char OLD_XMP[] =
    "<?xpacket begin=\"\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>"
    "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF "
    "xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
    "<rdf:Description rdf:about=\"\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\">"
    "<xmp:CreatorTool>KeepMeTool</xmp:CreatorTool></rdf:Description>"
    "</rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>";

static const char LABEL_XMP[] =
    "<?xpacket begin=\"\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>"
    "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF "
    "xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
    "<rdf:Description rdf:about=\"\" xmlns:TC260=\"" TC260_NS "\">"
    "<TC260:AIGC>{&quot;Label&quot;:&quot;3&quot;}</TC260:AIGC></rdf:Description>"
    "</rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>";

static aim_label *mk_label(const char *id)
{
    aim_label *l = aim_label_new();
    aim_label_set(l, AIM_FIELD_LABEL, "1");
    aim_label_set(l, AIM_FIELD_CONTENT_PRODUCER, PRODUCER);
    aim_label_set(l, AIM_FIELD_PRODUCE_ID, id);
    return l;
}

/* ---- building files ---------------------------------------------------- */

static void chunk(aim_buf *b, const char *id, const void *p, uint32_t n)
{
    buf_put(b, id, 4);
    buf_le32(b, n);
    buf_put(b, p, n);
    if (n & 1)
        buf_putc(b, 0);
}

static void begin(aim_buf *b)
{
    buf_put(b, "RIFF\0\0\0\0WEBP", 12);
}

static void fix_size(aim_buf *b) { wr_le32(b->p + 4, (uint32_t)(b->len - 8)); }

/* A VP8 key frame header for w x h plus filler (odd length: 31). */
static void vp8_chunk(aim_buf *b, unsigned w, unsigned h)
{
    uint8_t p[31];
    for (size_t i = 0; i < sizeof p; i++)
        p[i] = (uint8_t)(0x40 + i);
    p[0] = 0x50; /* key frame (bit 0 clear), version 0, show frame */
    p[1] = 0x02;
    p[2] = 0x00;
    p[3] = 0x9d;
    p[4] = 0x01;
    p[5] = 0x2a;
    wr_le16(p + 6, (uint16_t)w);
    wr_le16(p + 8, (uint16_t)h);
    chunk(b, "VP8 ", p, sizeof p);
}

static void vp8l_chunk(aim_buf *b, unsigned w, unsigned h, int alpha)
{
    uint8_t p[20];
    for (size_t i = 0; i < sizeof p; i++)
        p[i] = (uint8_t)(0x11 * i);
    p[0] = 0x2f;
    wr_le32(p + 1, (uint32_t)((w - 1) | ((h - 1) << 14) | ((unsigned)alpha << 28)));
    chunk(b, "VP8L", p, sizeof p);
}

static void vp8x_chunk(aim_buf *b, uint8_t flags, unsigned w, unsigned h)
{
    uint8_t p[10] = {flags, 0, 0, 0};
    p[4] = (uint8_t)(w - 1);
    p[5] = (uint8_t)((w - 1) >> 8);
    p[6] = (uint8_t)((w - 1) >> 16);
    p[7] = (uint8_t)(h - 1);
    p[8] = (uint8_t)((h - 1) >> 8);
    p[9] = (uint8_t)((h - 1) >> 16);
    chunk(b, "VP8X", p, sizeof p);
}

static size_t find_chunk(const uint8_t *p, size_t n, const char *id)
{
    size_t pos = 12;
    while (pos + 8 <= n) {
        uint32_t sz = rd_le32(p + pos + 4);
        if (memcmp(p + pos, id, 4) == 0)
            return pos;
        pos += 8 + (size_t)sz + (sz & 1);
    }
    return 0;
}

static void chunk_order(const uint8_t *p, size_t n, char *out, size_t cap)
{
    size_t pos = 12, o = 0;
    while (pos + 8 <= n && o + 6 < cap) {
        uint32_t sz = rd_le32(p + pos + 4);
        memcpy(out + o, p + pos, 4);
        o += 4;
        out[o++] = ',';
        pos += 8 + (size_t)sz + (sz & 1);
    }
    out[o] = 0;
}

/* 1 if the chunk `id` is byte-identical (header, payload, pad) in both files */
static int same_chunk(const uint8_t *a, size_t an, const uint8_t *b, size_t bn, const char *id)
{
    size_t x = find_chunk(a, an, id), y = find_chunk(b, bn, id);
    if (!x || !y)
        return 0;
    uint32_t sz = rd_le32(a + x + 4);
    size_t len = 8 + (size_t)sz + (sz & 1);
    return rd_le32(b + y + 4) == sz && x + len <= an && y + len <= bn &&
           memcmp(a + x, b + y, len) == 0;
}

static int contains(const uint8_t *p, size_t n, const char *s)
{
    size_t k = strlen(s);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(p + i, s, k) == 0)
            return 1;
    return 0;
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

/* The written file holds exactly one label, ours, in XMP. */
static void check_label(const uint8_t *o, size_t on, const char *id)
{
    aim_meta *m = NULL;
    CHECK_INT(read_mem(o, on, &m), AIM_OK);
    CHECK_INT(aim_meta_format(m), AIM_FORMAT_WEBP);
    CHECK_STR(aim_meta_location(m), "xmp:TC260:AIGC");
    CHECK_INT(aim_meta_label_count(m), 1);
    CHECK_STR(aim_label_get(aim_meta_label(m), AIM_FIELD_PRODUCE_ID), id);
    CHECK_INT(rd_le32(o + 4), on - 8);
    size_t x = find_chunk(o, on, "XMP ");
    CHECK(x != 0 && contains(o + x, on - x, TC260_NS));
    aim_meta_free(m);
}

/* ---- tests ------------------------------------------------------------- */

static void t_probe(void)
{
    CHECK_INT(aim_format_probe("RIFF\0\0\0\0WEBPVP8 ", 16), AIM_FORMAT_WEBP);
    CHECK(webp_handler.probe((const uint8_t *)"RIFF\0\0\0\0WAVE", 12) == 0);
    CHECK(webp_handler.probe((const uint8_t *)"RIFX\0\0\0\0WEBP", 12) == 0);
    CHECK(webp_handler.probe((const uint8_t *)"RIFF\0\0\0\0WEB", 11) == 0);
}

static void t_read_plain_and_raw(void)
{
    aim_buf b = AIM_BUF_INIT;
    begin(&b);
    vp8_chunk(&b, 320, 240);
    fix_size(&b);
    aim_meta *m = NULL;
    CHECK_INT(read_mem(b.p, b.len, &m), AIM_OK);
    CHECK_INT(aim_meta_format(m), AIM_FORMAT_WEBP);
    CHECK(aim_meta_label(m) == NULL);
    CHECK_INT(aim_meta_label_count(m), 0);
    aim_meta_free(m);
    /* a raw AIGC chunk (no XMP) is read as riff:AIGC, two of them counted */
    const char *js = "{\"Label\":\"2\",\"ContentProducer\":\"p\",\"ProduceID\":\"raw\"}";
    chunk(&b, "AIGC", js, (uint32_t)strlen(js));
    chunk(&b, "AIGC", "{}", 2);
    fix_size(&b);
    CHECK_INT(read_mem(b.p, b.len, &m), AIM_OK);
    CHECK_STR(aim_meta_location(m), "riff:AIGC");
    CHECK_STR(aim_meta_raw(m), js);
    CHECK_INT(aim_meta_label_count(m), 2);
    CHECK_STR(aim_label_get(aim_meta_label(m), AIM_FIELD_PRODUCE_ID), "raw");
    aim_meta_free(m);
    buf_free(&b);
}

static void t_simple_lossy(void)
{
    aim_buf b = AIM_BUF_INIT;
    begin(&b);
    vp8_chunk(&b, 320, 240);
    chunk(&b, "AIGC", "{\"Label\":\"3\"}", 13); /* an old raw label goes */
    fix_size(&b);
    aim_label *l = mk_label("lossy");
    uint8_t *o = NULL;
    size_t on = 0;
    CHECK_INT(write_mem(b.p, b.len, l, &o, &on), AIM_OK);
    if (o) {
        char order[64];
        chunk_order(o, on, order, sizeof order);
        CHECK_STR(order, "VP8X,VP8 ,XMP ,");
        CHECK_INT(rd_le32(o + 16), 10);
        CHECK_INT(o[20], 0x04); /* XMP flag only */
        CHECK_INT(o[21] | o[22] | o[23], 0);
        CHECK_INT(o[24] | (o[25] << 8) | (o[26] << 16), 319);
        CHECK_INT(o[27] | (o[28] << 8) | (o[29] << 16), 239);
        CHECK(same_chunk(b.p, b.len, o, on, "VP8 "));
        CHECK_INT(find_chunk(o, on, "VP8 "), 30);
        check_label(o, on, "lossy");
    }
    aim_free(o);
    aim_label_free(l);
    buf_free(&b);
}

static void t_simple_lossless(void)
{
    for (int alpha = 0; alpha < 2; alpha++) {
        aim_buf b = AIM_BUF_INIT;
        begin(&b);
        vp8l_chunk(&b, 1000, 3, alpha);
        fix_size(&b);
        aim_label *l = mk_label("lossless");
        uint8_t *o = NULL;
        size_t on = 0;
        CHECK_INT(write_mem(b.p, b.len, l, &o, &on), AIM_OK);
        if (o) {
            char order[64];
            chunk_order(o, on, order, sizeof order);
            CHECK_STR(order, "VP8X,VP8L,XMP ,");
            CHECK_INT(o[20], alpha ? 0x14 : 0x04);
            CHECK_INT(o[24] | (o[25] << 8) | (o[26] << 16), 999);
            CHECK_INT(o[27] | (o[28] << 8) | (o[29] << 16), 2);
            CHECK(same_chunk(b.p, b.len, o, on, "VP8L"));
            check_label(o, on, "lossless");
        }
        aim_free(o);
        aim_label_free(l);
        buf_free(&b);
    }
}

static void t_extended_replace(void)
{
    /* VP8X, ALPH, VP8, EXIF, XMP (old packet), AIGC, UNKN */
    aim_buf b = AIM_BUF_INIT;
    begin(&b);
    vp8x_chunk(&b, 0x10 | 0x08 | 0x04, 320, 240);
    chunk(&b, "ALPH", "alphadata", 9);
    vp8_chunk(&b, 320, 240);
    chunk(&b, "EXIF", "II*\0exif", 8);
    chunk(&b, "XMP ", OLD_XMP, (uint32_t)strlen(OLD_XMP));
    chunk(&b, "AIGC", "{\"Label\":\"3\"}", 13);
    chunk(&b, "UNKN", "keep", 4);
    fix_size(&b);
    aim_label *l = mk_label("ext"), *l2 = mk_label("ext-again");
    uint8_t *o = NULL, *o2 = NULL;
    size_t on = 0, on2 = 0;
    CHECK_INT(write_mem(b.p, b.len, l, &o, &on), AIM_OK);
    if (o) {
        char order[64];
        chunk_order(o, on, order, sizeof order);
        CHECK_STR(order, "VP8X,ALPH,VP8 ,EXIF,XMP ,UNKN,");
        CHECK_INT(o[20], 0x1c);
        CHECK(memcmp(o + 12, b.p + 12, 8) == 0 && memcmp(o + 21, b.p + 21, 9) == 0);
        CHECK(same_chunk(b.p, b.len, o, on, "ALPH"));
        CHECK(same_chunk(b.p, b.len, o, on, "VP8 "));
        CHECK(same_chunk(b.p, b.len, o, on, "EXIF"));
        CHECK(same_chunk(b.p, b.len, o, on, "UNKN"));
        size_t x = find_chunk(o, on, "XMP ");
        CHECK(x && contains(o + x, on - x, "KeepMeTool")); /* other properties kept */
        check_label(o, on, "ext");
        /* a second write replaces the label and keeps the layout */
        CHECK_INT(write_mem(o, on, l2, &o2, &on2), AIM_OK);
    }
    if (o2) {
        char order[64];
        chunk_order(o2, on2, order, sizeof order);
        CHECK_STR(order, "VP8X,ALPH,VP8 ,EXIF,XMP ,UNKN,");
        check_label(o2, on2, "ext-again");
    }
    aim_free(o);
    aim_free(o2);
    aim_label_free(l);
    aim_label_free(l2);
    buf_free(&b);
}

static void t_extended_insert(void)
{
    /* animated: VP8X, ICCP, ANIM, ANMF, ANMF, EXIF, ZZZZ -> XMP after EXIF */
    aim_buf b = AIM_BUF_INIT;
    begin(&b);
    vp8x_chunk(&b, 0x20 | 0x08 | 0x02, 64, 64);
    chunk(&b, "ICCP", "icc", 3);
    chunk(&b, "ANIM", "\0\0\0\0\0\0", 6);
    chunk(&b, "ANMF", "frame-one", 9);
    chunk(&b, "ANMF", "frame-two!", 10);
    chunk(&b, "EXIF", "II*\0", 4);
    chunk(&b, "ZZZZ", "unknown", 7);
    fix_size(&b);
    aim_label *l = mk_label("anim");
    uint8_t *o = NULL;
    size_t on = 0;
    CHECK_INT(write_mem(b.p, b.len, l, &o, &on), AIM_OK);
    if (o) {
        char order[80];
        chunk_order(o, on, order, sizeof order);
        CHECK_STR(order, "VP8X,ICCP,ANIM,ANMF,ANMF,EXIF,XMP ,ZZZZ,");
        CHECK_INT(o[20], 0x2e);
        size_t x = find_chunk(o, on, "XMP ");
        CHECK(memcmp(o + 21, b.p + 21, x - 21) == 0); /* all before XMP unchanged */
        CHECK(same_chunk(b.p, b.len, o, on, "ZZZZ"));
        check_label(o, on, "anim");
    }
    aim_free(o);

    /* unknown chunks in between keep their place: XMP after the image */
    buf_clear(&b);
    begin(&b);
    vp8x_chunk(&b, 0, 16, 16);
    chunk(&b, "UNK1", "a", 1);
    vp8l_chunk(&b, 16, 16, 0);
    chunk(&b, "UNK2", "bb", 2);
    fix_size(&b);
    CHECK_INT(write_mem(b.p, b.len, l, &o, &on), AIM_OK);
    if (o) {
        char order[80];
        chunk_order(o, on, order, sizeof order);
        CHECK_STR(order, "VP8X,UNK1,VP8L,XMP ,UNK2,");
        CHECK_INT(o[20], 0x04);
        check_label(o, on, "anim");
    }
    aim_free(o);
    aim_label_free(l);
    buf_free(&b);
}

static void t_extra_xmp(void)
{
    /* a second XMP chunk with a label goes; one without a label stays */
    aim_buf b = AIM_BUF_INIT;
    begin(&b);
    vp8x_chunk(&b, 0x04, 8, 8);
    vp8_chunk(&b, 8, 8);
    chunk(&b, "XMP ", OLD_XMP, (uint32_t)strlen(OLD_XMP));
    chunk(&b, "XMP ", LABEL_XMP, (uint32_t)strlen(LABEL_XMP));
    fix_size(&b);
    aim_meta *m = NULL;
    CHECK_INT(read_mem(b.p, b.len, &m), AIM_OK);
    CHECK_INT(aim_meta_label_count(m), 1);
    CHECK_STR(aim_meta_raw(m), "{\"Label\":\"3\"}");
    aim_meta_free(m);
    aim_label *l = mk_label("extra");
    uint8_t *o = NULL;
    size_t on = 0;
    CHECK_INT(write_mem(b.p, b.len, l, &o, &on), AIM_OK);
    if (o) {
        char order[64];
        chunk_order(o, on, order, sizeof order);
        CHECK_STR(order, "VP8X,VP8 ,XMP ,");
        check_label(o, on, "extra");
    }
    aim_free(o);

    buf_clear(&b);
    begin(&b);
    vp8x_chunk(&b, 0x04, 8, 8);
    vp8_chunk(&b, 8, 8);
    chunk(&b, "XMP ", LABEL_XMP, (uint32_t)strlen(LABEL_XMP));
    chunk(&b, "XMP ", OLD_XMP, (uint32_t)strlen(OLD_XMP));
    fix_size(&b);
    CHECK_INT(write_mem(b.p, b.len, l, &o, &on), AIM_OK);
    if (o) {
        char order[64];
        chunk_order(o, on, order, sizeof order);
        CHECK_STR(order, "VP8X,VP8 ,XMP ,XMP ,");
        check_label(o, on, "extra");
    }
    aim_free(o);
    aim_label_free(l);
    buf_free(&b);
}

static void t_every_truncation(void)
{
    /* a small labelled-by-raw-chunk file cut at every offset */
    aim_buf b = AIM_BUF_INIT;
    begin(&b);
    vp8x_chunk(&b, 0, 8, 8);
    vp8_chunk(&b, 8, 8);
    const char *js = "{\"Label\":\"1\",\"ContentProducer\":\"p\",\"ProduceID\":\"cut\"}";
    chunk(&b, "AIGC", js, (uint32_t)strlen(js));
    fix_size(&b);
    size_t a = find_chunk(b.p, b.len, "AIGC");
    size_t ends[3] = {12 + 18, find_chunk(b.p, b.len, "VP8 ") + 8 + 32, b.len};
    aim_label *l = mk_label("trunc");
    for (size_t n = 0; n <= b.len; n++) {
        aim_meta *m = NULL;
        int rc = read_mem(b.p, n, &m);
        int boundary = n == 12 || n == ends[0] || n == ends[1] || n == ends[2] ||
                       n == ends[1] - 1 || n == ends[2] - 1; /* only a pad byte missing */
        int tail = (n > 12 && n < 20) || (n > ends[0] && n < ends[0] + 8) ||
                   (n > ends[1] && n < ends[1] + 8); /* < 8 bytes: an unparsed tail */
        if (n < 12)
            CHECK_INT(rc, AIM_ERR_UNKNOWN_FORMAT);
        else if (boundary || tail)
            CHECK_INT(rc, AIM_OK);
        else
            CHECK_INT(rc, AIM_ERR_CORRUPT);
        if (rc == AIM_OK)
            CHECK_INT(aim_meta_label_count(m), n >= a + 8 + strlen(js) ? 1 : 0);
        aim_meta_free(m);
        uint8_t *o = NULL;
        size_t on = 0;
        aim_diag d;
        rc = aim_meta_write_mem(b.p, n, l, NULL, (void **)&o, &on, &d);
        if (rc == AIM_OK) {
            CHECK(n >= ends[1] - 1); /* an image chunk is needed */
            CHECK_INT(read_mem(o, on, &m), AIM_OK);
            CHECK_INT(aim_meta_label_count(m), 1);
            aim_meta_free(m);
        } else {
            CHECK(rc == AIM_ERR_CORRUPT || rc == AIM_ERR_UNKNOWN_FORMAT ||
                  rc == AIM_ERR_UNSUPPORTED /* until the XMP module lands */);
        }
        aim_free(o);
    }
    aim_label_free(l);
    buf_free(&b);
}

static int read_rc(const aim_buf *b)
{
    aim_meta *m = NULL;
    int rc = read_mem(b->p, b->len, &m);
    aim_meta_free(m);
    return rc;
}

static int write_rc(const aim_buf *b)
{
    aim_label *l = mk_label("h");
    void *o = NULL;
    size_t on = 0;
    aim_diag d;
    int rc = aim_meta_write_mem(b->p, b->len, l, NULL, &o, &on, &d);
    aim_free(o);
    aim_label_free(l);
    return rc;
}

static void t_hostile(void)
{
    aim_buf b = AIM_BUF_INIT;
    /* RIFF size below 4 */
    begin(&b);
    vp8_chunk(&b, 8, 8);
    wr_le32(b.p + 4, 3);
    CHECK_INT(read_rc(&b), AIM_ERR_CORRUPT);
    CHECK_INT(write_rc(&b), AIM_ERR_CORRUPT);
    /* a chunk claiming 4 GiB */
    buf_clear(&b);
    begin(&b);
    buf_put(&b, "VP8L\xff\xff\xff\xff\x2f\0\0\0\0", 13);
    fix_size(&b);
    CHECK_INT(read_rc(&b), AIM_ERR_CORRUPT);
    /* RIFF size larger than the file: chunks are checked against the file */
    buf_clear(&b);
    begin(&b);
    vp8_chunk(&b, 8, 8);
    wr_le32(b.p + 4, 0xfffffff0u);
    CHECK_INT(read_rc(&b), AIM_OK);
    /* unknown first chunk, short VP8X, VP8 without start code, VP8L bad signature */
    buf_clear(&b);
    begin(&b);
    chunk(&b, "ICCP", "icc", 3);
    vp8_chunk(&b, 8, 8);
    fix_size(&b);
    CHECK_INT(read_rc(&b), AIM_OK);
    CHECK_INT(write_rc(&b), AIM_ERR_CORRUPT);
    buf_clear(&b);
    begin(&b);
    chunk(&b, "VP8X", "\0\0\0\0", 4);
    fix_size(&b);
    CHECK_INT(write_rc(&b), AIM_ERR_CORRUPT);
    buf_clear(&b);
    begin(&b);
    chunk(&b, "VP8 ", "\0\0\0\0\0\0\0\0\0\0\0\0", 12);
    fix_size(&b);
    CHECK_INT(write_rc(&b), AIM_ERR_CORRUPT);
    buf_clear(&b);
    begin(&b);
    chunk(&b, "VP8L", "\x2e\0\0\0\0\0", 6);
    fix_size(&b);
    CHECK_INT(write_rc(&b), AIM_ERR_CORRUPT);
    /* an empty RIFF body */
    buf_clear(&b);
    begin(&b);
    fix_size(&b);
    CHECK_INT(read_rc(&b), AIM_OK);
    CHECK_INT(write_rc(&b), AIM_ERR_CORRUPT);
    /* a raw AIGC chunk over the label limit */
    buf_clear(&b);
    begin(&b);
    vp8_chunk(&b, 8, 8);
    buf_put(&b, "AIGC", 4);
    buf_le32(&b, 2u * 1024u * 1024u);
    buf_zero(&b, 2u * 1024u * 1024u);
    fix_size(&b);
    CHECK_INT(read_rc(&b), AIM_ERR_LIMIT);
    buf_free(&b);
}

TEST_MAIN(t_probe, t_read_plain_and_raw, t_simple_lossy, t_simple_lossless, t_extended_replace,
          t_extended_insert, t_extra_xmp, t_every_truncation, t_hostile)
