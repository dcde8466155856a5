/* PNG handler: XMP iTXt read/write, tEXt/zTXt/iTXt AIGC chunks, chunk
 * preservation, CRC checks and hostile files. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "aimark/aimark.h"
#include "container/handler.h"
#include "core/bytes.h"
#include "test.h"

#define PRODUCER "001191110102MACQD9K64010000"
#define DST_URI "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
#define OLD_JSON "{\"Label\":\"1\",\"ContentProducer\":\"old\",\"ProduceID\":\"o\"}"

static void chunk(aim_buf *b, const char *type, const void *data, size_t n)
{
    buf_be32(b, (uint32_t)n);
    buf_put(b, type, 4);
    buf_put(b, data, n);
    uLong c = crc32(0L, (const Bytef *)type, 4);
    c = crc32(c, data, (uInt)n);
    buf_be32(b, (uint32_t)c);
}

/* A 1x1 grey PNG; `extra` (may be NULL) is called after IHDR, `late` after IDAT. */
typedef void (*adder)(aim_buf *b);
static void make_png(aim_buf *b, adder extra, adder late)
{
    buf_clear(b);
    buf_put(b, "\x89PNG\r\n\x1a\n", 8);
    static const uint8_t ihdr[13] = {0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0};
    chunk(b, "IHDR", ihdr, 13);
    if (extra)
        extra(b);
    chunk(b, "tIME", "\x07\xea\x01\x02\x03\x04\x05", 7);
    uint8_t raw[2] = {0, 0x80}, z[64];
    uLongf zn = sizeof z;
    compress(z, &zn, raw, 2);
    chunk(b, "IDAT", z, zn);
    if (late)
        late(b);
    chunk(b, "IEND", "", 0);
}

static aim_label *label(const char *id)
{
    aim_label *l = aim_label_new();
    aim_label_set(l, AIM_FIELD_LABEL, "1");
    aim_label_set(l, AIM_FIELD_CONTENT_PRODUCER, PRODUCER);
    aim_label_set(l, AIM_FIELD_PRODUCE_ID, id);
    return l;
}

/* Write label `id` into p[0..n); returns the new file (free with aim_free). */
static uint8_t *write_png(const uint8_t *p, size_t n, const char *id, size_t *out_n, int *rc)
{
    aim_label *l = label(id);
    void *out = NULL;
    aim_diag d;
    *rc = aim_meta_write_mem(p, n, l, NULL, &out, out_n, &d);
    if (*rc)
        fprintf(stderr, "write: %s\n", d.message);
    aim_label_free(l);
    return out;
}

/* The chunk types of a PNG, as one string ("IHDR iTXt ..."). */
static void chunk_list(const uint8_t *p, size_t n, char *dst, size_t cap)
{
    size_t off = 8, k = 0;
    dst[0] = 0;
    while (off + 12 <= n && k + 6 < cap) {
        uint32_t len = rd_be32(p + off);
        memcpy(dst + k, p + off + 4, 4);
        dst[k + 4] = ' ';
        k += 5;
        dst[k] = 0;
        off += 12 + (size_t)len;
    }
    if (k)
        dst[k - 1] = 0;
}

static void expect_label(const uint8_t *p, size_t n, const char *id, const char *loc, unsigned count)
{
    aim_meta *m = NULL;
    aim_diag d;
    CHECK_INT(aim_meta_read_mem(p, n, &m, &d), 0);
    CHECK_INT(aim_meta_format(m), AIM_FORMAT_PNG);
    CHECK_INT(aim_meta_label_count(m), count);
    if (id) {
        CHECK_STR(aim_meta_location(m), loc);
        CHECK_STR(aim_label_get(aim_meta_label(m), AIM_FIELD_PRODUCE_ID), id);
    } else {
        CHECK(aim_meta_label(m) == NULL);
    }
    aim_meta_free(m);
}

static void t_plain_write_read(void)
{
    aim_buf b = AIM_BUF_INIT;
    make_png(&b, NULL, NULL);
    buf_put(&b, "trailing", 8); /* bytes after IEND are kept */
    expect_label(b.p, b.len, NULL, NULL, 0);
    size_t n;
    int rc;
    uint8_t *o = write_png(b.p, b.len, "id-1", &n, &rc);
    CHECK_INT(rc, 0);
    expect_label(o, n, "id-1", "xmp:TC260:AIGC", 1);
    char list[200];
    chunk_list(o, n, list, sizeof list);
    CHECK_STR(list, "IHDR iTXt tIME IDAT IEND");
    CHECK(memcmp(o + n - 8, "trailing", 8) == 0);
    /* the original chunks are byte-identical: IHDR before, tIME..end after */
    CHECK(memcmp(o, b.p, 33) == 0);
    size_t tail = b.len - 33;
    CHECK(memcmp(o + n - tail, b.p + 33, tail) == 0);
    /* the XMP has the source type and ExifTool's keyword */
    CHECK(memcmp(o + 37, "iTXtXML:com.adobe.xmp\0\0\0\0\0<?xpacket", 35) == 0);
    aim_meta *m = NULL;
    CHECK_INT(aim_meta_read_mem(o, n, &m, NULL), 0);
    CHECK_STR(aim_meta_source_type(m), DST_URI);
    aim_meta_free(m);
    /* re-writing replaces, no second carrier, same layout */
    size_t n2;
    uint8_t *o2 = write_png(o, n, "id-2", &n2, &rc);
    CHECK_INT(rc, 0);
    expect_label(o2, n2, "id-2", "xmp:TC260:AIGC", 1);
    chunk_list(o2, n2, list, sizeof list);
    CHECK_STR(list, "IHDR iTXt tIME IDAT IEND");
    CHECK_INT(n2, n);
    aim_free(o2);
    aim_free(o);
    buf_free(&b);
}

static void add_xmp_compressed(aim_buf *b)
{
    const char *x = "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
                    "<rdf:Description rdf:about='' xmlns:dc='http://purl.org/dc/elements/1.1/'><dc:title><rdf:Alt>"
                    "<rdf:li xml:lang='x-default'>Keep me</rdf:li></rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta>";
    uint8_t z[1024];
    uLongf zn = sizeof z;
    compress(z, &zn, (const Bytef *)x, strlen(x));
    aim_buf d = AIM_BUF_INIT;
    buf_put(&d, "XML:com.adobe.xmp\0\1\0en\0\0", 24);
    buf_put(&d, z, zn);
    chunk(b, "iTXt", d.p, d.len);
    buf_free(&d);
}

static void t_merge_existing_xmp(void)
{
    aim_buf b = AIM_BUF_INIT;
    make_png(&b, NULL, add_xmp_compressed);
    expect_label(b.p, b.len, NULL, NULL, 0);
    size_t n;
    int rc;
    uint8_t *o = write_png(b.p, b.len, "merged", &n, &rc);
    CHECK_INT(rc, 0);
    expect_label(o, n, "merged", "xmp:TC260:AIGC", 1);
    char list[200];
    chunk_list(o, n, list, sizeof list);
    CHECK_STR(list, "IHDR tIME IDAT iTXt IEND"); /* in place of the old one */
    /* rewritten uncompressed, dc:title kept */
    aim_buf s = AIM_BUF_INIT;
    buf_put(&s, o, n);
    buf_putc(&s, 0);
    int found = 0;
    for (size_t i = 0; i + 7 < n; i++)
        if (memcmp(o + i, "Keep me", 7) == 0)
            found = 1;
    CHECK(found);
    buf_free(&s);
    aim_free(o);
    buf_free(&b);
}

static void add_text_aigc(aim_buf *b)
{
    aim_buf d = AIM_BUF_INIT;
    buf_put(&d, "AIGC\0", 5);
    buf_puts(&d, OLD_JSON);
    chunk(b, "tEXt", d.p, d.len);
    buf_free(&d);
}

static void add_ztxt_aigc(aim_buf *b)
{
    uint8_t z[256];
    uLongf zn = sizeof z;
    compress(z, &zn, (const Bytef *)OLD_JSON, strlen(OLD_JSON));
    aim_buf d = AIM_BUF_INIT;
    buf_put(&d, "AIGC\0\0", 6);
    buf_put(&d, z, zn);
    chunk(b, "zTXt", d.p, d.len);
    buf_free(&d);
}

static void add_itxt_aigc(aim_buf *b)
{
    aim_buf d = AIM_BUF_INIT;
    buf_put(&d, "AIGC\0\0\0\0\0", 9);
    buf_puts(&d, OLD_JSON);
    chunk(b, "iTXt", d.p, d.len);
    buf_free(&d);
}

static void t_text_chunks(void)
{
    static const struct {
        adder add;
        const char *loc;
    } cases[] = {{add_text_aigc, "png:tEXt:AIGC"}, {add_ztxt_aigc, "png:zTXt:AIGC"}, {add_itxt_aigc, "png:iTXt:AIGC"}};
    for (size_t i = 0; i < 3; i++) {
        aim_buf b = AIM_BUF_INIT;
        make_png(&b, cases[i].add, NULL);
        expect_label(b.p, b.len, "o", cases[i].loc, 1);
        size_t n;
        int rc;
        uint8_t *o = write_png(b.p, b.len, "new", &n, &rc);
        CHECK_INT(rc, 0);
        expect_label(o, n, "new", "xmp:TC260:AIGC", 1);
        char list[200];
        chunk_list(o, n, list, sizeof list);
        CHECK_STR(list, "IHDR iTXt tIME IDAT IEND");
        aim_free(o);
        buf_free(&b);
    }
    /* tEXt + XMP: both counted */
    aim_buf b = AIM_BUF_INIT;
    size_t n;
    int rc;
    make_png(&b, NULL, NULL);
    uint8_t *o = write_png(b.p, b.len, "x", &n, &rc);
    buf_clear(&b);
    buf_put(&b, o, n - 12);
    add_text_aigc(&b);
    chunk(&b, "IEND", "", 0);
    expect_label(b.p, b.len, "x", "xmp:TC260:AIGC", 2);
    aim_free(o);
    buf_free(&b);
}

static void t_crc_and_lies(void)
{
    aim_buf b = AIM_BUF_INIT;
    make_png(&b, add_text_aigc, NULL);
    aim_meta *m = NULL;
    /* flip a byte of the tEXt data: the CRC no longer matches */
    b.p[33 + 8 + 6] ^= 1;
    CHECK_INT(aim_meta_read_mem(b.p, b.len, &m, NULL), AIM_ERR_CORRUPT);
    /* a bad CRC on IDAT is not our business */
    make_png(&b, NULL, NULL);
    b.p[b.len - 12 - 1] ^= 1;
    CHECK_INT(aim_meta_read_mem(b.p, b.len, &m, NULL), 0);
    aim_meta_free(m);
    /* lengths that lie */
    make_png(&b, NULL, NULL);
    wr_be32(b.p + 33, 0x7FFFFFFF);
    CHECK_INT(aim_meta_read_mem(b.p, b.len, &m, NULL), AIM_ERR_TRUNCATED);
    wr_be32(b.p + 33, 0x80000000u);
    CHECK_INT(aim_meta_read_mem(b.p, b.len, &m, NULL), AIM_ERR_CORRUPT);
    /* no IEND */
    make_png(&b, NULL, NULL);
    CHECK_INT(aim_meta_read_mem(b.p, b.len - 12, &m, NULL), AIM_ERR_TRUNCATED);
    /* first chunk not IHDR */
    make_png(&b, NULL, NULL);
    memcpy(b.p + 12, "IHDX", 4);
    CHECK_INT(aim_meta_read_mem(b.p, b.len, &m, NULL), AIM_ERR_CORRUPT);
    /* a zTXt bomb: 8 MB of zeros stops at the label limit */
    buf_clear(&b);
    size_t big = 8u << 20;
    uint8_t *zeros = calloc(1, big);
    uLongf zn = compressBound(big);
    uint8_t *z = malloc(zn);
    compress(z, &zn, zeros, big);
    make_png(&b, NULL, NULL);
    b.len -= 12;
    aim_buf d = AIM_BUF_INIT;
    buf_put(&d, "AIGC\0\0", 6);
    buf_put(&d, z, zn);
    chunk(&b, "zTXt", d.p, d.len);
    chunk(&b, "IEND", "", 0);
    CHECK_INT(aim_meta_read_mem(b.p, b.len, &m, NULL), AIM_ERR_LIMIT);
    free(zeros);
    free(z);
    buf_free(&d);
    buf_free(&b);
}

static void t_truncations(void)
{
    aim_buf b = AIM_BUF_INIT;
    make_png(&b, add_xmp_compressed, add_text_aigc);
    size_t n;
    int rc;
    uint8_t *o = write_png(b.p, b.len, "t", &n, &rc);
    CHECK_INT(rc, 0);
    for (size_t k = 0; k < n; k++) {
        aim_meta *m = NULL;
        rc = aim_meta_read_mem(o, k, &m, NULL);
        CHECK(k < 8 ? rc == AIM_ERR_UNKNOWN_FORMAT : rc == AIM_ERR_TRUNCATED || rc == AIM_ERR_CORRUPT);
        aim_meta_free(m);
        size_t n2;
        uint8_t *o2 = write_png(o, k, "u", &n2, &rc);
        CHECK(rc != AIM_OK);
        aim_free(o2);
    }
    aim_free(o);
    buf_free(&b);
}

TEST_MAIN(t_plain_write_read, t_merge_existing_xmp, t_text_chunks, t_crc_and_lies, t_truncations)
