/*
 * PNG: decode with libpng, draw the label, encode IHDR/IDAT/IEND with libpng
 * and splice the source's ancillary chunks back in byte for byte (text,
 * EXIF, ICC, gamma, pHYs, ...), before or after the image data as in the
 * source. libpng never sees those chunks, so it never inflates a zTXt/iCCP.
 */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "core/bytes.h"
#include "core/diag.h"
#include "core/limits.h"
#include "explicit/visible_internal.h"

static const uint8_t PNG_SIG[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

typedef struct chunk_ref {
    size_t off, len; /* whole chunk: length, type, data, CRC */
    int after_idat;
} chunk_ref;

typedef struct png_ctx {
    const uint8_t *in;
    size_t n, pos;
    int truncated;
    aim_buf *out;
    char msg[128];
} png_ctx;

static void on_error(png_structp png, png_const_charp msg)
{
    png_ctx *c = png_get_error_ptr(png);
    if (c && c->msg[0] == 0)
        snprintf(c->msg, sizeof c->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png, (void)msg; /* a library never prints */
}

static void read_mem(png_structp png, png_bytep dst, size_t len)
{
    png_ctx *c = png_get_io_ptr(png);
    if (len > c->n - c->pos) {
        c->truncated = 1;
        png_error(png, "truncated");
    }
    memcpy(dst, c->in + c->pos, len);
    c->pos += len;
}

static void write_mem(png_structp png, png_bytep src, size_t len)
{
    png_ctx *c = png_get_io_ptr(png);
    if (buf_put(c->out, src, len) != AIM_OK)
        png_error(png, "output too large");
}

static void flush_mem(png_structp png) { (void)png; }

/* Chunks whose meaning depends on the pixel encoding we may change. */
static int depends_on_encoding(const uint8_t *type)
{
    return !memcmp(type, "tRNS", 4) || !memcmp(type, "bKGD", 4) || !memcmp(type, "sBIT", 4) ||
           !memcmp(type, "hIST", 4);
}

/* Colour and description chunks that stay true for the same pixels,
 * although their names mark them unsafe to copy for unknown editors. */
static int known_keep(const uint8_t *type)
{
    static const char *const KEEP[] = {"gAMA", "cHRM", "iCCP", "sRGB", "cICP", "mDCv", "cLLi",
                                       "pHYs", "sCAL", "pCAL", "oFFs", "sTER", "eXIf", "tIME",
                                       "tEXt", "zTXt", "iTXt", "sPLT"};
    for (size_t i = 0; i < sizeof KEEP / sizeof KEEP[0]; i++)
        if (!memcmp(type, KEEP[i], 4))
            return 1;
    return 0;
}

/* Walk the chunk list: check lengths, find IHDR, collect the chunks to keep. */
static int scan(const uint8_t *in, size_t n, chunk_ref **refs, size_t *nrefs, uint32_t *w,
                uint32_t *h, int *same_encoding, aim_diag *d)
{
    *refs = NULL;
    *nrefs = 0;
    if (n < 8 || memcmp(in, PNG_SIG, 8) != 0)
        return diag_fail(d, AIM_ERR_CORRUPT, "png: bad signature");
    size_t pos = 8, cap = 0, count = 0;
    int seen_idat = 0, seen_iend = 0;
    int keep_encoding = 1; /* decided after IHDR */
    while (pos < n && !seen_iend) {
        if (n - pos < 12) {
            free(*refs);
            return diag_fail(d, AIM_ERR_TRUNCATED, "png: chunk header at %zu truncated", pos);
        }
        uint32_t len = rd_be32(in + pos);
        const uint8_t *type = in + pos + 4;
        if (len > 0x7FFFFFFFu || len > n - pos - 12) {
            free(*refs);
            return diag_fail(d, AIM_ERR_TRUNCATED, "png: chunk %.4s at %zu runs past the end",
                             (const char *)type, pos);
        }
        if (++count > AIM_MAX_ITEMS) {
            free(*refs);
            return diag_fail(d, AIM_ERR_LIMIT, "png: too many chunks");
        }
        if (count == 1) {
            if (memcmp(type, "IHDR", 4) != 0 || len != 13) {
                free(*refs);
                return diag_fail(d, AIM_ERR_CORRUPT, "png: IHDR missing");
            }
            *w = rd_be32(in + pos + 8);
            *h = rd_be32(in + pos + 12);
            uint8_t depth = in[pos + 16], ctype = in[pos + 17];
            keep_encoding = ctype != 3 && depth >= 8;
        } else if (!memcmp(type, "IDAT", 4)) {
            seen_idat = 1;
        } else if (!memcmp(type, "IEND", 4)) {
            seen_iend = 1;
        } else if (!memcmp(type, "acTL", 4) || !memcmp(type, "fcTL", 4) || !memcmp(type, "fdAT", 4)) {
            free(*refs);
            return diag_fail(d, AIM_ERR_UNSUPPORTED, "png: animated PNG (APNG) is not supported");
        } else if (!(type[0] & 0x20)) {
            /* other critical chunks (PLTE) are re-made by the encoder */
        } else if (!memcmp(type, "tRNS", 4)) {
            keep_encoding = 0; /* expanded to an alpha channel */
        } else if ((known_keep(type) || (type[3] & 0x20)) && !depends_on_encoding(type)) {
            if (*nrefs == cap) {
                size_t nc = cap ? cap * 2 : 16;
                chunk_ref *r = realloc(*refs, nc * sizeof *r);
                if (!r) {
                    free(*refs);
                    return AIM_ERR_NOMEM;
                }
                *refs = r, cap = nc;
            }
            (*refs)[(*nrefs)++] = (chunk_ref){pos, (size_t)len + 12, seen_idat};
        }
        pos += (size_t)len + 12;
    }
    if (!seen_idat || !seen_iend) {
        free(*refs);
        *refs = NULL;
        return diag_fail(d, AIM_ERR_TRUNCATED, "png: %s missing", seen_idat ? "IEND" : "IDAT");
    }
    *same_encoding = keep_encoding;
    return AIM_OK;
}

/* Kept only for encoding-dependent chunks we can still copy (bKGD etc.
 * when the pixels keep their encoding). */
static int scan_encoding_chunks(const uint8_t *in, size_t n, chunk_ref **refs, size_t *nrefs)
{
    size_t pos = 8, cap = *nrefs;
    int seen_idat = 0;
    while (n - pos >= 12) {
        uint32_t len = rd_be32(in + pos);
        const uint8_t *type = in + pos + 4;
        if (!memcmp(type, "IEND", 4))
            break;
        if (!memcmp(type, "IDAT", 4))
            seen_idat = 1;
        else if (!memcmp(type, "bKGD", 4) || !memcmp(type, "sBIT", 4)) {
            chunk_ref *r = realloc(*refs, (cap + 1) * sizeof *r);
            if (!r)
                return AIM_ERR_NOMEM;
            *refs = r;
            r[cap++] = (chunk_ref){pos, (size_t)len + 12, seen_idat};
        }
        pos += (size_t)len + 12;
    }
    *nrefs = cap;
    return AIM_OK;
}

/* Decode into a canvas (8- or 16-bit big-endian, grey/GA/RGB/RGBA). */
static int decode(png_ctx *c, const aim_visible_opts *r, vis_canvas *cv, aim_diag *d)
{
    memset(cv, 0, sizeof *cv);
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, c, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return AIM_ERR_NOMEM;
    }
    png_bytep *volatile rows = NULL;
    uint8_t *volatile px = NULL;
    if (setjmp(png_jmpbuf(png))) {
        free(rows);
        free(px);
        png_destroy_read_struct(&png, &info, NULL);
        return diag_fail(d, c->truncated ? AIM_ERR_TRUNCATED : AIM_ERR_CORRUPT, "png: %s", c->msg);
    }
    png_set_read_fn(png, c, read_mem);
    /* Metadata is copied as raw chunks; libpng must not parse or inflate it. */
    static const png_byte SKIP[] = "tEXt\0zTXt\0iTXt\0iCCP\0eXIf\0sPLT\0";
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, 0);
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, SKIP, 6);
    png_set_user_limits(png, VIS_MAX_DIM, VIS_MAX_DIM);
    png_set_chunk_malloc_max(png, 8u << 20);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int ctype = png_get_color_type(png, info);
    png_set_expand(png); /* palette -> RGB, grey < 8 bits -> 8, tRNS -> alpha */
    (void)png_set_interlace_handling(png);
    png_read_update_info(png, info);
    ctype = png_get_color_type(png, info);
    int depth = png_get_bit_depth(png, info);
    int ch = png_get_channels(png, info);
    if ((depth != 8 && depth != 16) || ch < 1 || ch > 4) {
        png_destroy_read_struct(&png, &info, NULL);
        return diag_fail(d, AIM_ERR_UNSUPPORTED, "png: unexpected pixel layout");
    }
    (void)ctype;
    size_t rowbytes = png_get_rowbytes(png, info);
    if (rowbytes == 0 || rowbytes / w < (size_t)ch * (size_t)depth / 8 || h > SIZE_MAX / rowbytes) {
        png_destroy_read_struct(&png, &info, NULL);
        return diag_fail(d, AIM_ERR_LIMIT, "png: image too large");
    }
    px = malloc(rowbytes * h);
    rows = malloc(sizeof(png_bytep) * h);
    if (!px || !rows) {
        free(rows);
        free(px);
        png_destroy_read_struct(&png, &info, NULL);
        return diag_fail(d, AIM_ERR_NOMEM, "png: out of memory for %ux%u pixels", (unsigned)w, (unsigned)h);
    }
    for (png_uint_32 y = 0; y < h; y++)
        rows[y] = px + (size_t)y * rowbytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    (void)r;
    cv->px = px;
    cv->w = w;
    cv->h = h;
    cv->stride = rowbytes;
    cv->ch = ch;
    cv->depth = depth;
    return AIM_OK;
}

static int encode(png_ctx *c, const vis_canvas *cv, aim_diag *d)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, c, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        return AIM_ERR_NOMEM;
    }
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        free(rows);
        png_destroy_write_struct(&png, &info);
        return diag_fail(d, c->out->err ? c->out->err : AIM_ERR_NOMEM, "png: encode: %s", c->msg);
    }
    static const int CTYPE[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                 PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    png_set_write_fn(png, c, write_mem, flush_mem);
    png_set_IHDR(png, info, cv->w, cv->h, cv->depth, CTYPE[cv->ch], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    rows = malloc(sizeof(png_bytep) * cv->h);
    if (!rows)
        png_error(png, "out of memory");
    for (unsigned y = 0; y < cv->h; y++)
        rows[y] = cv->px + (size_t)y * cv->stride;
    png_write_image(png, rows);
    png_write_end(png, NULL);
    free(rows);
    png_destroy_write_struct(&png, &info);
    return AIM_OK;
}

/* scan(), then the size limits: on success the caller owns *refs. */
static int scan_within(const uint8_t *in, size_t n, uint64_t max_pixels, chunk_ref **refs,
                       size_t *nrefs, uint32_t *w, uint32_t *h, int *same_enc, aim_diag *d)
{
    int rc = scan(in, n, refs, nrefs, w, h, same_enc, d);
    if (rc)
        return rc;
    if (*w == 0 || *h == 0 || *w > VIS_MAX_DIM || *h > VIS_MAX_DIM ||
        (uint64_t)*w * *h > max_pixels) {
        free(*refs);
        *refs = NULL;
        return diag_fail(d, AIM_ERR_LIMIT, "png: %ux%u is over the pixel limit", (unsigned)*w,
                         (unsigned)*h);
    }
    return AIM_OK;
}

int vis_png(const uint8_t *in, size_t n, const aim_visible_opts *r, aim_buf *out, aim_diag *d)
{
    chunk_ref *refs;
    size_t nrefs;
    uint32_t w = 0, h = 0;
    int same_enc = 0;
    int rc = scan_within(in, n, r->max_pixels, &refs, &nrefs, &w, &h, &same_enc, d);
    if (rc)
        return rc;
    if (same_enc && (rc = scan_encoding_chunks(in, n, &refs, &nrefs)) != AIM_OK) {
        free(refs);
        return rc;
    }
    vis_overlay ov;
    if ((rc = vis_overlay_make(w, h, r, &ov, d)) != AIM_OK) {
        free(refs);
        return rc;
    }
    png_ctx c = {in, n, 0, 0, NULL, {0}};
    vis_canvas cv;
    if ((rc = decode(&c, r, &cv, d)) != AIM_OK) {
        vis_overlay_free(&ov);
        free(refs);
        return rc;
    }
    vis_composite(&ov, &cv);
    vis_overlay_free(&ov);

    aim_buf enc = AIM_BUF_INIT;
    enc.limit = out->limit;
    c.out = &enc;
    rc = encode(&c, &cv, d);
    free(cv.px);
    if (rc) {
        buf_free(&enc);
        free(refs);
        return rc;
    }
    /* Splice: signature + IHDR, chunks that were before IDAT, the new IDATs,
     * chunks that were after IDAT, IEND. */
    size_t ihdr_end = 8 + 25, iend = enc.len - 12;
    buf_put(out, enc.p, ihdr_end);
    for (size_t i = 0; i < nrefs; i++)
        if (!refs[i].after_idat)
            buf_put(out, in + refs[i].off, refs[i].len);
    buf_put(out, enc.p + ihdr_end, iend - ihdr_end);
    for (size_t i = 0; i < nrefs; i++)
        if (refs[i].after_idat)
            buf_put(out, in + refs[i].off, refs[i].len);
    buf_put(out, enc.p + iend, 12);
    buf_free(&enc);
    free(refs);
    return out->err ? diag_fail(d, out->err, "png: output too large") : AIM_OK;
}

int vis_png_decode(const uint8_t *in, size_t n, uint64_t max_pixels, vis_canvas *cv, aim_diag *d)
{
    memset(cv, 0, sizeof *cv);
    chunk_ref *refs;
    size_t nrefs;
    uint32_t w = 0, h = 0;
    int same_enc = 0;
    int rc = scan_within(in, n, max_pixels, &refs, &nrefs, &w, &h, &same_enc, d);
    if (rc)
        return rc;
    free(refs);
    png_ctx c = {in, n, 0, 0, NULL, {0}};
    return decode(&c, NULL, cv, d);
}
