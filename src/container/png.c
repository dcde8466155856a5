/*
 * PNG: signature, then chunks (BE32 length, type, data, CRC-32 over type +
 * data) up to IEND. The label lives in the XMP packet of an iTXt chunk with
 * keyword "XML:com.adobe.xmp"; a tEXt/zTXt/iTXt chunk with keyword "AIGC"
 * (seen in the wild) is read too and removed on write, so the file keeps a
 * single label. Everything else, IDAT included, is copied byte for byte.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "container/handler.h"
#include "container/xmp.h"
#include "core/bytes.h"

#define PNG_SIG "\x89PNG\r\n\x1a\n"
#define PNG_XMP_KEY "XML:com.adobe.xmp"
#define PNG_MAX_CHUNK 0x7FFFFFFFu
#define LOC_XMP "xmp:TC260:AIGC"

typedef struct png_chunk {
    uint64_t off; /* of the length field */
    uint32_t len;
    uint8_t type[4];
} png_chunk;

enum { C_OTHER, C_XMP, C_AIGC };

static int probe(const uint8_t *h, size_t n) { return n >= 8 && memcmp(h, PNG_SIG, 8) == 0; }

/* The chunk header at off (off + 12 + len within the file). */
static int chunk_at(const aim_src *src, uint64_t off, png_chunk *c, aim_diag *diag)
{
    uint8_t h[8];
    if (src->size - off < 12)
        return diag_fail(diag, AIM_ERR_TRUNCATED, "png: chunk header at %llu runs past the end (no IEND)",
                         (unsigned long long)off);
    int rc = src_read(src, off, h, 8);
    if (rc)
        return diag_fail(diag, rc, "png: cannot read chunk header at %llu", (unsigned long long)off);
    c->off = off;
    c->len = rd_be32(h);
    memcpy(c->type, h + 4, 4);
    if (c->len > PNG_MAX_CHUNK)
        return diag_fail(diag, AIM_ERR_CORRUPT, "png: chunk length %lu at %llu over 2^31-1",
                         (unsigned long)c->len, (unsigned long long)off);
    for (int i = 0; i < 4; i++) {
        uint8_t t = c->type[i];
        if (!((t >= 'A' && t <= 'Z') || (t >= 'a' && t <= 'z')))
            return diag_fail(diag, AIM_ERR_CORRUPT, "png: bad chunk type at %llu",
                             (unsigned long long)off);
    }
    if (src->size - off - 12 < c->len)
        return diag_fail(diag, AIM_ERR_TRUNCATED, "png: %.4s chunk at %llu runs past the end",
                         (const char *)c->type, (unsigned long long)off);
    return AIM_OK;
}

/* Which text chunk this is, from its keyword (cheap: reads 80 bytes at most). */
static int classify(const aim_src *src, const png_chunk *c, int *kind, aim_diag *diag)
{
    *kind = C_OTHER;
    int text = fourcc_is(c->type, "tEXt") || fourcc_is(c->type, "zTXt");
    int itxt = fourcc_is(c->type, "iTXt");
    if (!text && !itxt)
        return AIM_OK;
    uint8_t k[80];
    size_t n = c->len < sizeof k ? c->len : sizeof k;
    int rc = src_read(src, c->off + 8, k, n);
    if (rc)
        return diag_fail(diag, rc, "png: cannot read %.4s keyword", (const char *)c->type);
    const uint8_t *z = memchr(k, 0, n);
    if (!z)
        return AIM_OK; /* not a keyword we know; the chunk is copied as is */
    size_t kl = (size_t)(z - k);
    if (kl == 4 && memcmp(k, "AIGC", 4) == 0)
        *kind = C_AIGC;
    else if (itxt && kl == strlen(PNG_XMP_KEY) && memcmp(k, PNG_XMP_KEY, kl) == 0)
        *kind = C_XMP;
    return AIM_OK;
}

/* The chunk's data, CRC-checked. */
static int load(const aim_src *src, const png_chunk *c, uint8_t **data, aim_diag *diag)
{
    int rc = src_dup(src, c->off + 8, c->len, AIM_MAX_META_BYTES, data);
    if (rc)
        return diag_fail(diag, rc, "png: cannot load the %.4s chunk at %llu", (const char *)c->type,
                         (unsigned long long)c->off);
    uint8_t crc[4];
    rc = src_read(src, c->off + 8 + c->len, crc, 4);
    uLong want = crc32(0L, c->type, 4);
    want = crc32(want, *data, (uInt)c->len);
    if (rc == AIM_OK && (uint32_t)want != rd_be32(crc))
        rc = diag_fail(diag, AIM_ERR_CORRUPT, "png: CRC mismatch in the %.4s chunk at %llu",
                       (const char *)c->type, (unsigned long long)c->off);
    if (rc) {
        free(*data);
        *data = NULL;
    }
    return rc;
}

/* zlib-inflate p[0..n) into a new block of at most cap bytes. */
static int inflate_cap(const uint8_t *p, size_t n, size_t cap, uint8_t **out, size_t *out_n,
                       aim_diag *diag)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK)
        return AIM_ERR_NOMEM;
    size_t have = 0, size = n < cap / 4 ? n * 4 + 64 : cap;
    if (size > cap)
        size = cap;
    uint8_t *b = malloc(size + 1);
    int rc = b ? AIM_OK : AIM_ERR_NOMEM;
    z.next_in = (Bytef *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    while (rc == AIM_OK) {
        if (have == size) {
            if (size >= cap) {
                rc = diag_fail(diag, AIM_ERR_LIMIT, "png: compressed text inflates past %zu bytes", cap);
                break;
            }
            size_t ns = size > cap / 2 ? cap : size * 2;
            uint8_t *nb = realloc(b, ns + 1);
            if (!nb) {
                rc = AIM_ERR_NOMEM;
                break;
            }
            b = nb;
            size = ns;
        }
        z.next_out = b + have;
        z.avail_out = (uInt)(size - have);
        int zr = inflate(&z, Z_NO_FLUSH);
        have = size - z.avail_out;
        if (zr == Z_STREAM_END)
            break;
        if (zr != Z_OK && !(zr == Z_BUF_ERROR && have == size))
            rc = diag_fail(diag, AIM_ERR_CORRUPT, "png: bad compressed text");
    }
    inflateEnd(&z);
    if (rc) {
        free(b);
        return rc;
    }
    b[have] = 0;
    *out = b;
    *out_n = have;
    return AIM_OK;
}

/*
 * The text of a tEXt/zTXt/iTXt chunk's data d[0..n): *text points into d or
 * into *owned (inflated), which the caller frees.
 */
static int chunk_text(const uint8_t *type, const uint8_t *d, size_t n, size_t cap,
                      const uint8_t **text, size_t *tn, uint8_t **owned, aim_diag *diag)
{
    *owned = NULL;
    const uint8_t *z = memchr(d, 0, n);
    if (!z)
        return diag_fail(diag, AIM_ERR_CORRUPT, "png: %.4s chunk without a keyword", (const char *)type);
    size_t p = (size_t)(z - d) + 1;
    int compressed = 0;
    if (fourcc_is(type, "tEXt")) {
        *text = d + p;
        *tn = n - p;
        return AIM_OK;
    }
    if (fourcc_is(type, "zTXt")) {
        if (n - p < 1 || d[p] != 0)
            return diag_fail(diag, AIM_ERR_CORRUPT, "png: bad zTXt compression method");
        p++;
        compressed = 1;
    } else { /* iTXt */
        if (n - p < 2 || d[p] > 1 || d[p + 1] != 0)
            return diag_fail(diag, AIM_ERR_CORRUPT, "png: bad iTXt compression fields");
        compressed = d[p];
        p += 2;
        for (int k = 0; k < 2; k++) { /* language tag, translated keyword */
            const uint8_t *e = memchr(d + p, 0, n - p);
            if (!e)
                return diag_fail(diag, AIM_ERR_CORRUPT, "png: truncated iTXt header");
            p = (size_t)(e - d) + 1;
        }
    }
    if (!compressed) {
        *text = d + p;
        *tn = n - p;
        return AIM_OK;
    }
    int rc = inflate_cap(d + p, n - p, cap, owned, tn, diag);
    if (rc)
        return rc;
    *text = *owned;
    return AIM_OK;
}

/* Report the label(s) a text chunk carries. */
static int read_text_chunk(const aim_src *src, const png_chunk *c, int kind, meta_found *f,
                           aim_diag *diag)
{
    uint8_t *d = NULL, *owned = NULL;
    const uint8_t *t;
    size_t tn;
    int rc = load(src, c, &d, diag);
    if (!rc)
        rc = chunk_text(c->type, d, c->len, kind == C_XMP ? AIM_MAX_META_BYTES : AIM_MAX_LABEL_TEXT,
                        &t, &tn, &owned, diag);
    if (!rc) {
        if (kind == C_XMP) {
            rc = xmp_read((const char *)t, tn, LOC_XMP, f, diag);
        } else {
            char loc[20];
            memcpy(loc, "png:", 4);
            memcpy(loc + 4, c->type, 4);
            memcpy(loc + 8, ":AIGC", 6);
            rc = found_label(f, loc, t, tn);
        }
    }
    free(owned);
    free(d);
    return rc;
}

static int check_start(const aim_src *src, aim_diag *diag)
{
    uint8_t h[8];
    if (src->size < 8 || src_read(src, 0, h, 8) || memcmp(h, PNG_SIG, 8) != 0)
        return diag_fail(diag, AIM_ERR_CORRUPT, "png: bad signature");
    png_chunk c;
    int rc = chunk_at(src, 8, &c, diag);
    if (rc)
        return rc;
    if (!fourcc_is(c.type, "IHDR"))
        return diag_fail(diag, AIM_ERR_CORRUPT, "png: first chunk is not IHDR");
    return AIM_OK;
}

static int png_read(const aim_src *src, meta_found *f, aim_diag *diag)
{
    int rc = check_start(src, diag);
    if (rc)
        return rc;
    uint64_t off = 8;
    for (unsigned items = 0;; items++) {
        if (items >= AIM_MAX_ITEMS)
            return diag_fail(diag, AIM_ERR_LIMIT, "png: more than %u chunks", AIM_MAX_ITEMS);
        png_chunk c;
        if ((rc = chunk_at(src, off, &c, diag)))
            return rc;
        if (fourcc_is(c.type, "IEND"))
            return AIM_OK;
        int kind;
        if ((rc = classify(src, &c, &kind, diag)))
            return rc;
        if (kind != C_OTHER && (rc = read_text_chunk(src, &c, kind, f, diag)))
            return rc;
        off += 12 + (uint64_t)c.len;
    }
}

/* Append an uncompressed iTXt XMP chunk holding xmp[0..n). */
static int put_xmp_chunk(aim_sink *out, const uint8_t *xmp, size_t n, aim_diag *diag)
{
    /* type, keyword NUL, flag 0, method 0, empty language NUL, empty translated
     * keyword NUL (the literal's own terminator) */
    static const uint8_t head[] = "iTXt" PNG_XMP_KEY "\0\0\0\0";
    size_t hn = sizeof head;
    if (n > PNG_MAX_CHUNK - (hn - 4))
        return diag_fail(diag, AIM_ERR_TOO_LARGE, "png: XMP packet too large for a chunk");
    uint8_t len[4], crc[4];
    wr_be32(len, (uint32_t)(hn - 4 + n));
    uLong c = crc32(0L, head, (uInt)hn);
    c = crc32(c, xmp, (uInt)n);
    wr_be32(crc, (uint32_t)c);
    sink_write(out, len, 4);
    sink_write(out, head, hn);
    sink_write(out, xmp, n);
    return sink_write(out, crc, 4);
}

static int png_write(const aim_src *src, const meta_write_req *req, aim_sink *out, aim_diag *diag)
{
    int rc = check_start(src, diag);
    if (rc)
        return rc;
    /* pass 1: find the XMP chunk and build the new packet */
    uint64_t off = 8, xmp_off = 0, end = 0;
    uint8_t *old = NULL, *owned = NULL;
    const uint8_t *t = NULL;
    size_t tn = 0;
    for (unsigned items = 0;; items++) {
        png_chunk c;
        if (items >= AIM_MAX_ITEMS)
            rc = diag_fail(diag, AIM_ERR_LIMIT, "png: more than %u chunks", AIM_MAX_ITEMS);
        else
            rc = chunk_at(src, off, &c, diag);
        if (rc)
            goto done;
        int kind;
        if ((rc = classify(src, &c, &kind, diag)))
            goto done;
        if (kind == C_XMP && !xmp_off) {
            xmp_off = off;
            if ((rc = load(src, &c, &old, diag)) ||
                (rc = chunk_text(c.type, old, c.len, AIM_MAX_META_BYTES, &t, &tn, &owned, diag)))
                goto done;
        }
        off += 12 + (uint64_t)c.len;
        if (fourcc_is(c.type, "IEND")) {
            end = off;
            break;
        }
    }
    aim_buf x = AIM_BUF_INIT;
    x.limit = AIM_MAX_META_BYTES;
    rc = xmp_write((const char *)t, tn, req, &x, diag);
    free(owned);
    free(old);
    owned = old = NULL;
    if (rc) {
        buf_free(&x);
        goto done;
    }
    /* pass 2: stream the file */
    sink_write(out, PNG_SIG, 8);
    off = 8;
    while (off < end && !rc) {
        png_chunk c;
        int kind;
        if ((rc = chunk_at(src, off, &c, diag)) || (rc = classify(src, &c, &kind, diag)))
            break;
        uint64_t next = off + 12 + (uint64_t)c.len;
        if (off == xmp_off) {
            rc = put_xmp_chunk(out, x.p, x.len, diag);
        } else if (kind == C_AIGC) {
            /* dropped: the label now lives in XMP only */
        } else if (kind == C_XMP) {
            /* a second XMP packet: keep it unless it carries a label too */
            meta_found f;
            memset(&f, 0, sizeof f);
            rc = read_text_chunk(src, &c, kind, &f, diag);
            if (!rc && f.count)
                rc = diag_fail(diag, AIM_ERR_UNSUPPORTED, "png: a second XMP chunk carries a label");
            found_clear(&f);
            if (!rc)
                rc = sink_copy(out, src, off, next - off);
        } else {
            rc = sink_copy(out, src, off, next - off);
            if (!rc && !xmp_off && off == 8) /* right after IHDR */
                rc = put_xmp_chunk(out, x.p, x.len, diag);
        }
        off = next;
    }
    if (!rc && end < src->size) /* bytes after IEND are kept */
        rc = sink_copy(out, src, end, src->size - end);
    buf_free(&x);
done:
    free(owned);
    free(old);
    return rc;
}

const container_handler png_handler = {AIM_FORMAT_PNG, probe, png_read, png_write};
