/*
 * JPEG: SOI, then marker segments (0xFF, optional 0xFF fill bytes, marker,
 * BE16 length counting itself) up to SOS; from SOS on (entropy-coded data
 * and any trailing markers) the file is copied verbatim. The label lives in
 * the standard XMP APP1 segment ("http://ns.adobe.com/xap/1.0/\0" + packet).
 * Extended XMP segments are left untouched.
 */
#include <stdlib.h>
#include <string.h>

#include "container/handler.h"
#include "container/xmp.h"
#include "core/bytes.h"

#define XMP_SIG "http://ns.adobe.com/xap/1.0/"
#define XMP_SIG_LEN 29 /* with its NUL */
#define EXIF_SIG "Exif\0\0"
/* Largest packet in one APP1: 65535 - 2 (length) - 29 (signature), less 2
 * as Adobe's XMP specification part 3 says (65502). */
#define XMP_MAX_PACKET 65502u
#define LOC_XMP "xmp:TC260:AIGC"

typedef struct jseg {
    uint64_t start; /* first byte, fill bytes included */
    uint8_t m;      /* marker */
    uint64_t data;  /* first data byte (after the length) */
    uint32_t dlen;  /* data bytes */
    uint64_t end;   /* just past the segment */
} jseg;

enum { S_OTHER, S_XMP, S_EXIF };

static int probe(const uint8_t *h, size_t n) { return n >= 3 && h[0] == 0xFF && h[1] == 0xD8 && h[2] == 0xFF; }

static int is_standalone(uint8_t m) { return m == 0x01 || (m >= 0xD0 && m <= 0xD7); }

static int next_seg(const aim_src *src, uint64_t off, jseg *s, aim_diag *diag)
{
    s->start = off;
    uint8_t blk[256];
    uint64_t p = off;
    /* the 0xFF and any fill bytes */
    for (;;) {
        if (p >= src->size)
            return diag_fail(diag, AIM_ERR_TRUNCATED, "jpeg: file ends before the image data (no SOS)");
        size_t n = src->size - p < sizeof blk ? (size_t)(src->size - p) : sizeof blk;
        int rc = src_read(src, p, blk, n);
        if (rc)
            return diag_fail(diag, rc, "jpeg: cannot read at %llu", (unsigned long long)p);
        if (p == off && blk[0] != 0xFF)
            return diag_fail(diag, AIM_ERR_CORRUPT, "jpeg: expected a marker at %llu, found 0x%02X",
                             (unsigned long long)off, blk[0]);
        size_t k = 0;
        while (k < n && blk[k] == 0xFF)
            k++;
        p += k;
        if (k < n)
            break;
    }
    int rc = src_read(src, p, &s->m, 1);
    if (rc)
        return rc;
    if (s->m == 0x00)
        return diag_fail(diag, AIM_ERR_CORRUPT, "jpeg: stray 0xFF00 at %llu", (unsigned long long)p);
    if (s->m == 0xD8)
        return diag_fail(diag, AIM_ERR_CORRUPT, "jpeg: second SOI at %llu", (unsigned long long)p);
    if (is_standalone(s->m) || s->m == 0xD9) {
        s->data = s->end = p + 1;
        s->dlen = 0;
        return AIM_OK;
    }
    uint8_t l[2];
    if (src->size - p < 3)
        return diag_fail(diag, AIM_ERR_TRUNCATED, "jpeg: segment header at %llu runs past the end",
                         (unsigned long long)p);
    if ((rc = src_read(src, p + 1, l, 2)))
        return rc;
    uint32_t len = rd_be16(l);
    if (len < 2)
        return diag_fail(diag, AIM_ERR_CORRUPT, "jpeg: segment length %lu at %llu is below 2",
                         (unsigned long)len, (unsigned long long)p);
    s->data = p + 3;
    s->dlen = len - 2;
    if (src->size - s->data < s->dlen)
        return diag_fail(diag, AIM_ERR_TRUNCATED, "jpeg: segment 0x%02X at %llu runs past the end",
                         s->m, (unsigned long long)p);
    s->end = s->data + s->dlen;
    return AIM_OK;
}

static int kind_of(const aim_src *src, const jseg *s, int *kind)
{
    *kind = S_OTHER;
    if (s->m != 0xE1)
        return AIM_OK;
    uint8_t h[XMP_SIG_LEN];
    size_t n = s->dlen < XMP_SIG_LEN ? s->dlen : XMP_SIG_LEN;
    int rc = src_read(src, s->data, h, n);
    if (rc)
        return rc;
    if (n == XMP_SIG_LEN && memcmp(h, XMP_SIG, XMP_SIG_LEN) == 0)
        *kind = S_XMP;
    else if (n >= 6 && memcmp(h, EXIF_SIG, 6) == 0)
        *kind = S_EXIF;
    return AIM_OK;
}

static int load_packet(const aim_src *src, const jseg *s, uint8_t **p, aim_diag *diag)
{
    int rc = src_dup(src, s->data + XMP_SIG_LEN, s->dlen - XMP_SIG_LEN, AIM_MAX_META_BYTES, p);
    if (rc)
        return diag_fail(diag, rc, "jpeg: cannot load the XMP segment");
    return AIM_OK;
}

static int read_xmp(const aim_src *src, const jseg *s, meta_found *f, aim_diag *diag)
{
    uint8_t *p = NULL;
    int rc = load_packet(src, s, &p, diag);
    if (!rc)
        rc = xmp_read((const char *)p, s->dlen - XMP_SIG_LEN, LOC_XMP, f, diag);
    free(p);
    return rc;
}

static int check_soi(const aim_src *src, aim_diag *diag)
{
    uint8_t h[2];
    if (src->size < 2 || src_read(src, 0, h, 2) || h[0] != 0xFF || h[1] != 0xD8)
        return diag_fail(diag, AIM_ERR_CORRUPT, "jpeg: no SOI marker");
    return AIM_OK;
}

static int jpeg_read(const aim_src *src, meta_found *f, aim_diag *diag)
{
    int rc = check_soi(src, diag);
    uint64_t off = 2;
    for (unsigned items = 0; !rc; items++) {
        jseg s;
        int kind;
        if (items >= AIM_MAX_ITEMS)
            return diag_fail(diag, AIM_ERR_LIMIT, "jpeg: more than %u segments", AIM_MAX_ITEMS);
        if ((rc = next_seg(src, off, &s, diag)) || (rc = kind_of(src, &s, &kind)))
            break;
        if (s.m == 0xDA || s.m == 0xD9)
            return AIM_OK;
        if (kind == S_XMP)
            rc = read_xmp(src, &s, f, diag);
        off = s.end;
    }
    return rc;
}

static int put_app1(aim_sink *out, const uint8_t *x, size_t n)
{
    uint8_t h[4] = {0xFF, 0xE1, 0, 0};
    wr_be16(h + 2, (uint16_t)(2 + XMP_SIG_LEN + n));
    sink_write(out, h, 4);
    sink_write(out, XMP_SIG, XMP_SIG_LEN);
    return sink_write(out, x, n);
}

static int jpeg_write(const aim_src *src, const meta_write_req *req, aim_sink *out, aim_diag *diag)
{
    int rc = check_soi(src, diag);
    if (rc)
        return rc;
    /* pass 1: the XMP segment, and where a new one would go */
    uint64_t off = 2, xmp_at = 0, ins = 0;
    int have_ins = 0;
    uint8_t *old = NULL;
    size_t old_n = 0;
    for (unsigned items = 0;; items++) {
        jseg s;
        int kind;
        if (items >= AIM_MAX_ITEMS)
            rc = diag_fail(diag, AIM_ERR_LIMIT, "jpeg: more than %u segments", AIM_MAX_ITEMS);
        if (rc || (rc = next_seg(src, off, &s, diag)) || (rc = kind_of(src, &s, &kind))) {
            free(old);
            return rc;
        }
        if (!have_ins && s.m != 0xE0 && kind != S_EXIF) {
            ins = s.start;
            have_ins = 1;
        }
        if (s.m == 0xDA || s.m == 0xD9)
            break;
        if (kind == S_XMP && !xmp_at) {
            xmp_at = s.start;
            if ((rc = load_packet(src, &s, &old, diag)))
                return rc;
            old_n = s.dlen - XMP_SIG_LEN;
        }
        off = s.end;
    }
    aim_buf x = AIM_BUF_INIT;
    x.limit = AIM_MAX_META_BYTES;
    rc = xmp_write((const char *)old, old_n, req, &x, diag);
    free(old);
    if (!rc && x.len > XMP_MAX_PACKET)
        rc = diag_fail(diag, AIM_ERR_TOO_LARGE, "jpeg: the XMP packet (%zu bytes) does not fit one APP1 segment",
                       x.len);
    /* pass 2: stream */
    if (!rc)
        rc = sink_write(out, "\xFF\xD8", 2);
    off = 2;
    while (!rc) {
        jseg s;
        int kind;
        if ((rc = next_seg(src, off, &s, diag)) || (rc = kind_of(src, &s, &kind)))
            break;
        if (!xmp_at && s.start == ins && (rc = put_app1(out, x.p, x.len)))
            break;
        if (s.m == 0xDA || s.m == 0xD9) {
            rc = sink_copy(out, src, s.start, src->size - s.start);
            break;
        }
        if (s.start == xmp_at) {
            rc = put_app1(out, x.p, x.len);
        } else if (kind == S_XMP) {
            /* a second standard XMP segment: keep it unless it holds a label */
            meta_found f;
            memset(&f, 0, sizeof f);
            rc = read_xmp(src, &s, &f, diag);
            if (!rc && f.count)
                rc = diag_fail(diag, AIM_ERR_UNSUPPORTED, "jpeg: a second XMP segment carries a label");
            found_clear(&f);
            if (!rc)
                rc = sink_copy(out, src, s.start, s.end - s.start);
        } else {
            rc = sink_copy(out, src, s.start, s.end - s.start);
        }
        off = s.end;
    }
    buf_free(&x);
    return rc;
}

const container_handler jpeg_handler = {AIM_FORMAT_JPEG, probe, jpeg_read, jpeg_write};
