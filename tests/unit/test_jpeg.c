/* JPEG handler: XMP APP1 read/write, placement, preservation, limits and
 * hostile files. */
#include <stdlib.h>
#include <string.h>

#include "aimark/aimark.h"
#include "container/handler.h"
#include "core/bytes.h"
#include "test.h"

#define PRODUCER "001191110102MACQD9K64010000"
#define XMP_SIG "http://ns.adobe.com/xap/1.0/"
#define RDF_OPEN "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
#define RDF_CLOSE "</rdf:RDF></x:xmpmeta>"

static void seg(aim_buf *b, uint8_t m, const void *data, size_t n)
{
    buf_putc(b, 0xFF);
    buf_putc(b, m);
    buf_be16(b, (uint16_t)(n + 2));
    buf_put(b, data, n);
}

static void xmp_seg(aim_buf *b, const char *packet)
{
    aim_buf d = AIM_BUF_INIT;
    buf_put(&d, XMP_SIG, 29);
    buf_puts(&d, packet);
    seg(b, 0xE1, d.p, d.len);
    buf_free(&d);
}

/* Scan data with stuffed bytes and a restart marker, then EOI and trailer. */
static const uint8_t SCAN[] = {0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00,
                               0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xD9, 't', 'r'};

typedef void (*adder)(aim_buf *b);
static void make_jpeg(aim_buf *b, adder after_exif, adder late)
{
    buf_clear(b);
    buf_put(b, "\xFF\xD8", 2);
    seg(b, 0xE0, "JFIF\0\1\1\0\0\1\0\1\0\0", 14);
    seg(b, 0xE1, "Exif\0\0MM\0\x2a\0\0\0\x08\0\0", 16);
    if (after_exif)
        after_exif(b);
    seg(b, 0xFE, "comment", 7);
    buf_put(b, "\xFF\xFF\xFF", 3); /* fill bytes before a marker */
    seg(b, 0xDB, "\0" "0123456789012345678901234567890123456789012345678901234567890123", 65);
    if (late)
        late(b);
    seg(b, 0xC0, "\x08\0\x01\0\x01\x01\x01\x11\0", 9);
    buf_put(b, SCAN, sizeof SCAN);
}

static aim_label *label(const char *id)
{
    aim_label *l = aim_label_new();
    aim_label_set(l, AIM_FIELD_LABEL, "1");
    aim_label_set(l, AIM_FIELD_CONTENT_PRODUCER, PRODUCER);
    aim_label_set(l, AIM_FIELD_PRODUCE_ID, id);
    return l;
}

static uint8_t *write_jpeg(const uint8_t *p, size_t n, const char *id, size_t *out_n, int *rc)
{
    aim_label *l = label(id);
    void *out = NULL;
    *out_n = 0;
    *rc = aim_meta_write_mem(p, n, l, NULL, &out, out_n, NULL);
    aim_label_free(l);
    return out;
}

static void expect_label(const uint8_t *p, size_t n, const char *id, unsigned count)
{
    aim_meta *m = NULL;
    CHECK_INT(aim_meta_read_mem(p, n, &m, NULL), 0);
    CHECK_INT(aim_meta_format(m), AIM_FORMAT_JPEG);
    CHECK_INT(aim_meta_label_count(m), count);
    if (id) {
        CHECK_STR(aim_meta_location(m), "xmp:TC260:AIGC");
        CHECK_STR(aim_label_get(aim_meta_label(m), AIM_FIELD_PRODUCE_ID), id);
    } else {
        CHECK(aim_meta_label(m) == NULL);
    }
    aim_meta_free(m);
}

/* Markers of the header segments, as "E0 E1 ..." up to and including DA. */
static void markers(const uint8_t *p, size_t n, char *dst, size_t cap)
{
    size_t off = 2, k = 0;
    dst[0] = 0;
    while (off + 4 <= n && k + 4 < cap) {
        while (off < n && p[off] == 0xFF && p[off + 1] == 0xFF)
            off++;
        uint8_t m = p[off + 1];
        k += (size_t)snprintf(dst + k, cap - k, "%s%02X", k ? " " : "", m);
        if (m == 0xDA)
            break;
        off += 2 + rd_be16(p + off + 2);
    }
}

static const uint8_t *find_bytes(const uint8_t *p, size_t n, const void *needle, size_t k)
{
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(p + i, needle, k) == 0)
            return p + i;
    return NULL;
}

static void t_plain_write_read(void)
{
    aim_buf b = AIM_BUF_INIT;
    make_jpeg(&b, NULL, NULL);
    expect_label(b.p, b.len, NULL, 0);
    size_t n;
    int rc;
    uint8_t *o = write_jpeg(b.p, b.len, "id-1", &n, &rc);
    CHECK_INT(rc, 0);
    expect_label(o, n, "id-1", 1);
    char list[200];
    markers(o, n, list, sizeof list);
    CHECK_STR(list, "E0 E1 E1 FE DB C0 DA"); /* after APP0 and Exif */
    /* everything but the new segment is byte-identical, scan and trailer included */
    size_t head = 2 + 18 + 20;
    CHECK(memcmp(o, b.p, head) == 0);
    CHECK(memcmp(o + head + 4, XMP_SIG, 29) == 0);
    size_t seglen = 2 + rd_be16(o + head + 2);
    CHECK_INT(n, b.len + seglen);
    CHECK(memcmp(o + head + seglen, b.p + head, b.len - head) == 0);
    aim_meta *m = NULL;
    CHECK_INT(aim_meta_read_mem(o, n, &m, NULL), 0);
    CHECK_STR(aim_meta_source_type(m), "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia");
    aim_meta_free(m);
    /* re-write: still one label, same layout */
    size_t n2;
    uint8_t *o2 = write_jpeg(o, n, "id-2", &n2, &rc);
    CHECK_INT(rc, 0);
    expect_label(o2, n2, "id-2", 1);
    markers(o2, n2, list, sizeof list);
    CHECK_STR(list, "E0 E1 E1 FE DB C0 DA");
    CHECK_INT(n2, n);
    aim_free(o2);
    aim_free(o);
    /* without APP0/Exif the segment goes right after SOI */
    static const uint8_t bare[] = {0xFF, 0xD8, 0xFF, 0xFE, 0x00, 0x03, 'c', 0xFF, 0xDA, 0x00, 0x02, 0x00, 0xFF, 0xD9};
    o = write_jpeg(bare, sizeof bare, "b", &n, &rc);
    CHECK_INT(rc, 0);
    markers(o, n, list, sizeof list);
    CHECK_STR(list, "E1 FE DA");
    expect_label(o, n, "b", 1);
    aim_free(o);
    buf_free(&b);
}

static void add_late_xmp(aim_buf *b)
{
    xmp_seg(b, "<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?>" RDF_OPEN
               "<rdf:Description rdf:about='' xmlns:dc='http://purl.org/dc/elements/1.1/' "
               "xmlns:TC260='http://www.tc260.org.cn/ns/AIGC/1.0/' TC260:AIGC='{&quot;Label&quot;:&quot;1&quot;,&quot;ProduceID&quot;:&quot;old&quot;}'>"
               "<dc:title><rdf:Alt><rdf:li xml:lang='x-default'>Keep me</rdf:li></rdf:Alt></dc:title>"
               "</rdf:Description>" RDF_CLOSE "<?xpacket end='w'?>");
    /* an Extended XMP segment, kept untouched */
    seg(b, 0xE1, "http://ns.adobe.com/xmp/extension/\0GUIDGUIDGUIDGUIDGUIDGUIDGUIDGUID\0\0\0\x05\0\0\0\0<TC2", 79);
}

static void t_merge_existing(void)
{
    aim_buf b = AIM_BUF_INIT;
    make_jpeg(&b, NULL, add_late_xmp);
    expect_label(b.p, b.len, "old", 1);
    size_t n;
    int rc;
    uint8_t *o = write_jpeg(b.p, b.len, "new", &n, &rc);
    CHECK_INT(rc, 0);
    expect_label(o, n, "new", 1);
    char list[200];
    markers(o, n, list, sizeof list);
    CHECK_STR(list, "E0 E1 FE DB E1 E1 C0 DA"); /* in place */
    CHECK(find_bytes(o, n, "Keep me", 7) != NULL);
    CHECK(find_bytes(o, n, "http://ns.adobe.com/xmp/extension/\0GUIDGUID", 43) != NULL);
    CHECK(find_bytes(o, n, "TC260:AIGC='{&quot;Label&quot;:&quot;1&quot;,&quot;ContentProducer&quot;", 64) != NULL);
    aim_free(o);
    buf_free(&b);
}

static void add_big_xmp(aim_buf *b)
{
    aim_buf x = AIM_BUF_INIT;
    buf_puts(&x, RDF_OPEN "<rdf:Description xmlns:dc='http://purl.org/dc/elements/1.1/'><dc:source>");
    while (x.len < 65400)
        buf_putc(&x, 'a');
    buf_puts(&x, "</dc:source></rdf:Description>" RDF_CLOSE);
    buf_putc(&x, 0);
    xmp_seg(b, (const char *)x.p);
    buf_free(&x);
}

static void t_too_large(void)
{
    aim_buf b = AIM_BUF_INIT;
    make_jpeg(&b, add_big_xmp, NULL);
    expect_label(b.p, b.len, NULL, 0);
    size_t n;
    int rc;
    uint8_t *o = write_jpeg(b.p, b.len, "x", &n, &rc);
    CHECK_INT(rc, AIM_ERR_TOO_LARGE);
    CHECK(o == NULL);
    buf_free(&b);
}

static int raw_read(const uint8_t *p, size_t n)
{
    aim_src src = {-1, p, n};
    meta_found f;
    memset(&f, 0, sizeof f);
    int rc = jpeg_handler.read(&src, &f, NULL);
    found_clear(&f);
    return rc;
}

static void t_hostile(void)
{
    CHECK_INT(raw_read((const uint8_t *)"\xFF\xD9", 2), AIM_ERR_CORRUPT);                   /* no SOI */
    CHECK_INT(raw_read((const uint8_t *)"\xFF\xD8\xFF\xFE\x00\x01", 6), AIM_ERR_CORRUPT);   /* length < 2 */
    CHECK_INT(raw_read((const uint8_t *)"\xFF\xD8\xFF\xFE\x00\x09xx", 8), AIM_ERR_TRUNCATED);
    CHECK_INT(raw_read((const uint8_t *)"\xFF\xD8\xFF\xFE\x00\x02", 6), AIM_ERR_TRUNCATED); /* no SOS */
    CHECK_INT(raw_read((const uint8_t *)"\xFF\xD8\x00\xFF\xDA", 5), AIM_ERR_CORRUPT);       /* not a marker */
    CHECK_INT(raw_read((const uint8_t *)"\xFF\xD8\xFF\x00", 4), AIM_ERR_CORRUPT);
    CHECK_INT(raw_read((const uint8_t *)"\xFF\xD8\xFF\xD8", 4), AIM_ERR_CORRUPT);
    CHECK_INT(raw_read((const uint8_t *)"\xFF\xD8\xFF\xD0\xFF\x01\xFF\xD9", 8), AIM_OK);    /* standalone */
    /* lots of fill bytes are fine; a file of nothing but fill is truncated */
    aim_buf b = AIM_BUF_INIT;
    buf_put(&b, "\xFF\xD8", 2);
    for (int i = 0; i < 100000; i++)
        buf_putc(&b, 0xFF);
    CHECK_INT(raw_read(b.p, b.len), AIM_ERR_TRUNCATED);
    buf_put(&b, "\xDA\x00\x02", 3);
    CHECK_INT(raw_read(b.p, b.len), AIM_OK);
    /* a broken XMP packet is an error, not silently ignored */
    make_jpeg(&b, NULL, NULL);
    b.len -= sizeof SCAN;
    xmp_seg(&b, RDF_OPEN "<rdf:Description>" RDF_CLOSE);
    buf_put(&b, SCAN, sizeof SCAN);
    CHECK_INT(raw_read(b.p, b.len), AIM_ERR_CORRUPT);
    size_t n;
    int rc;
    uint8_t *o = write_jpeg(b.p, b.len, "x", &n, &rc);
    CHECK_INT(rc, AIM_ERR_CORRUPT);
    aim_free(o);
    buf_free(&b);
}

static void t_truncations(void)
{
    aim_buf b = AIM_BUF_INIT;
    make_jpeg(&b, NULL, add_late_xmp);
    size_t n;
    int rc;
    uint8_t *o = write_jpeg(b.p, b.len, "t", &n, &rc);
    CHECK_INT(rc, 0);
    /* cuts before the end of the SOS header fail cleanly; cuts in the scan still read */
    const uint8_t *sos = find_bytes(o, n, SCAN, 2);
    size_t sos_off = (size_t)(sos - o) + 9; /* last byte of the SOS header */
    for (size_t k = 0; k < n; k++) {
        rc = raw_read(o, k);
        if (k <= sos_off)
            CHECK(rc == AIM_ERR_TRUNCATED || rc == AIM_ERR_CORRUPT);
        else
            CHECK_INT(rc, 0);
        size_t n2;
        uint8_t *o2 = write_jpeg(o, k, "u", &n2, &rc);
        if (k <= sos_off)
            CHECK(rc != AIM_OK);
        aim_free(o2);
    }
    aim_free(o);
    buf_free(&b);
}

TEST_MAIN(t_plain_write_read, t_merge_existing, t_too_large, t_hostile, t_truncations)
