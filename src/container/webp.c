/*
 * WebP: the label lives in XMP (TC260:AIGC) in the `XMP ` chunk, handled
 * by the shared XMP module. A raw `AIGC` chunk holding the JSON is read too
 * (location "riff:AIGC") and removed on rewrite.
 *
 * Writing follows the WebP container spec: a simple file (first chunk
 * `VP8 `/`VP8L`) becomes an extended one by adding a `VP8X` chunk first,
 * with the canvas size taken from the bitstream header; an extended file
 * gets the XMP flag set in its VP8X. An existing `XMP ` chunk is replaced in
 * place by the merged packet (other properties kept); otherwise a new one
 * goes right after the last chunk the spec orders (VP8X, ICCP, ANIM, image
 * data, EXIF), so unknown chunks keep their place. A later, extra `XMP `
 * chunk is kept unless it carries a label or cannot be parsed (one label
 * per file). Everything else is copied byte-exact.
 */
#include <stdlib.h>
#include <string.h>

#include "container/handler.h"
#include "container/riff.h"
#include "container/xmp.h"
#include "core/bytes.h"

#define WEBP_XMP_LOCATION "xmp:TC260:AIGC"
#define WEBP_RAW_LOCATION "riff:AIGC"

/* VP8X flags */
#define VP8X_ICC 0x20u
#define VP8X_ALPHA 0x10u
#define VP8X_EXIF 0x08u
#define VP8X_XMP 0x04u

static int probe(const uint8_t *h, size_t n)
{
    return n >= 12 && fourcc_is(h, "RIFF") && fourcc_is(h + 8, "WEBP");
}

static int webp_walk_init(const aim_src *src, riff_walk *w, aim_diag *diag)
{
    uint8_t h[12];
    int rc = src_read(src, 0, h, sizeof h);
    if (rc)
        return diag_fail(diag, rc, "webp: file shorter than the 12-byte RIFF header");
    uint32_t riff_size = rd_le32(h + 4);
    if (riff_size < 4)
        return diag_fail(diag, AIM_ERR_CORRUPT, "webp: RIFF size %u is too small", riff_size);
    riff_walk_init(w, src, "webp", 12, 8 + (uint64_t)riff_size);
    return AIM_OK;
}

/* Load an XMP chunk's packet (NUL-terminated copy). */
static int load_chunk(const aim_src *src, const riff_chunk *c, uint8_t **out, aim_diag *diag)
{
    int rc = src_dup(src, c->off + 8, c->size, AIM_MAX_META_BYTES, out);
    if (rc)
        return diag_fail(diag, rc, "webp: '%.4s' chunk of %llu bytes is too large",
                         (const char *)c->id, (unsigned long long)c->size);
    return AIM_OK;
}

static int webp_read(const aim_src *src, meta_found *found, aim_diag *diag)
{
    riff_walk w;
    riff_chunk c;
    int rc = webp_walk_init(src, &w, diag);
    while (rc == AIM_OK && (rc = riff_next(&w, &c, diag)) == 1) {
        rc = AIM_OK;
        int xmp = fourcc_is(c.id, "XMP ");
        if (!xmp && !fourcc_is(c.id, "AIGC"))
            continue;
        if (!xmp && found->text) {
            rc = found_label(found, WEBP_RAW_LOCATION, "", 0);
            continue;
        }
        uint8_t *p = NULL;
        rc = xmp ? load_chunk(src, &c, &p, diag)
                 : src_dup(src, c.off + 8, c.size, AIM_MAX_LABEL_TEXT, &p);
        if (rc) {
            if (!xmp)
                rc = diag_fail(diag, rc, "webp: AIGC chunk of %llu bytes is too large",
                               (unsigned long long)c.size);
            break;
        }
        if (xmp)
            rc = xmp_read((const char *)p, (size_t)c.size, WEBP_XMP_LOCATION, found, diag);
        else
            rc = found_label(found, WEBP_RAW_LOCATION, p, (size_t)c.size);
        free(p);
    }
    return rc < 0 ? rc : AIM_OK;
}

/* ---- writing ------------------------------------------------------------ */

typedef struct webp_plan {
    const aim_src *src;
    int simple;              /* first chunk is VP8/VP8L: a VP8X must be added */
    uint8_t vp8x[10];        /* the VP8X payload to add (simple files) */
    unsigned long long last_known; /* ordinal of the last spec-ordered chunk */
    int has_xmp;
    unsigned long long first_xmp;  /* ordinal of the first XMP chunk */
    aim_buf packet;          /* the new XMP packet */
} webp_plan;

static int is_known(const uint8_t id[4])
{
    static const char *const ids[] = {"VP8X", "ICCP", "ANIM", "ALPH", "VP8 ",
                                      "VP8L", "ANMF", "EXIF", "XMP "};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (fourcc_is(id, ids[i]))
            return 1;
    return 0;
}

/* Canvas size of a simple file from its VP8 or VP8L bitstream header. */
static int simple_canvas(const aim_src *src, const riff_chunk *c, uint32_t *w, uint32_t *h,
                         int *alpha, aim_diag *diag)
{
    uint8_t b[10];
    *alpha = 0;
    if (fourcc_is(c->id, "VP8 ")) {
        /* 3-byte frame tag, start code 9d 01 2a, 14-bit width, 14-bit height */
        if (c->size < 10 || src_read(src, c->off + 8, b, 10) != AIM_OK || b[3] != 0x9d ||
            b[4] != 0x01 || b[5] != 0x2a || (b[0] & 1) != 0)
            return diag_fail(diag, AIM_ERR_CORRUPT, "webp: VP8 chunk has no key frame header");
        *w = rd_le16(b + 6) & 0x3fffu;
        *h = rd_le16(b + 8) & 0x3fffu;
    } else {
        /* signature 0x2f, then 14 bits width-1, 14 bits height-1, alpha, version */
        if (c->size < 5 || src_read(src, c->off + 8, b, 5) != AIM_OK || b[0] != 0x2f)
            return diag_fail(diag, AIM_ERR_CORRUPT, "webp: VP8L chunk has no valid header");
        uint32_t bits = rd_le32(b + 1);
        *w = (bits & 0x3fffu) + 1;
        *h = ((bits >> 14) & 0x3fffu) + 1;
        *alpha = (bits >> 28) & 1u;
    }
    if (*w == 0 || *h == 0)
        return diag_fail(diag, AIM_ERR_CORRUPT, "webp: image of size 0");
    return AIM_OK;
}

static int plan_write(const aim_src *src, const meta_write_req *req, webp_plan *pl,
                      aim_diag *diag)
{
    riff_walk w;
    riff_chunk c;
    unsigned flags = VP8X_XMP;
    uint32_t cw = 0, chh = 0;
    int alpha = 0, image = 0;
    unsigned long long i = 0;
    riff_chunk xmp_c;
    int rc = webp_walk_init(src, &w, diag);
    while (rc == AIM_OK && (rc = riff_next(&w, &c, diag)) == 1) {
        rc = AIM_OK;
        if (i == 0) {
            if (fourcc_is(c.id, "VP8 ") || fourcc_is(c.id, "VP8L")) {
                pl->simple = 1;
                rc = simple_canvas(src, &c, &cw, &chh, &alpha, diag);
            } else if (fourcc_is(c.id, "VP8X")) {
                if (c.size < 10)
                    rc = diag_fail(diag, AIM_ERR_CORRUPT,
                                   "webp: VP8X chunk of %llu bytes is too short",
                                   (unsigned long long)c.size);
            } else {
                rc = diag_fail(diag, AIM_ERR_CORRUPT,
                               "webp: first chunk is '%.4s', not VP8, VP8L or VP8X",
                               (const char *)c.id);
            }
        }
        if (fourcc_is(c.id, "VP8 ") || fourcc_is(c.id, "VP8L") || fourcc_is(c.id, "ANMF"))
            image = 1;
        if (fourcc_is(c.id, "ALPH"))
            alpha = 1;
        if (fourcc_is(c.id, "ICCP"))
            flags |= VP8X_ICC;
        if (fourcc_is(c.id, "EXIF"))
            flags |= VP8X_EXIF;
        if (is_known(c.id))
            pl->last_known = i;
        if (fourcc_is(c.id, "XMP ") && !pl->has_xmp) {
            pl->has_xmp = 1;
            pl->first_xmp = i;
            xmp_c = c;
        }
        i++;
    }
    if (rc < 0)
        return rc;
    if (!image)
        return diag_fail(diag, AIM_ERR_CORRUPT, "webp: no image data chunk");
    if (pl->simple) {
        if (alpha)
            flags |= VP8X_ALPHA;
        memset(pl->vp8x, 0, sizeof pl->vp8x);
        pl->vp8x[0] = (uint8_t)flags;
        pl->vp8x[4] = (uint8_t)(cw - 1);
        pl->vp8x[5] = (uint8_t)((cw - 1) >> 8);
        pl->vp8x[6] = (uint8_t)((cw - 1) >> 16);
        pl->vp8x[7] = (uint8_t)(chh - 1);
        pl->vp8x[8] = (uint8_t)((chh - 1) >> 8);
        pl->vp8x[9] = (uint8_t)((chh - 1) >> 16);
    }
    uint8_t *old = NULL;
    if (pl->has_xmp) {
        rc = load_chunk(src, &xmp_c, &old, diag);
        if (rc)
            return rc;
    }
    rc = xmp_write((const char *)old, old ? (size_t)xmp_c.size : 0, req, &pl->packet, diag);
    free(old);
    if (rc == AIM_OK && pl->packet.err)
        rc = pl->packet.err;
    return rc;
}

/* 1 if an extra XMP chunk must go: it carries a label or cannot be parsed. */
static int extra_xmp_goes(const aim_src *src, const riff_chunk *c, int *err)
{
    uint8_t *p = NULL;
    *err = AIM_OK;
    int rc = src_dup(src, c->off + 8, c->size, AIM_MAX_META_BYTES, &p);
    if (rc == AIM_ERR_NOMEM) {
        *err = rc;
        return 1;
    }
    if (rc)
        return 1;
    meta_found f;
    memset(&f, 0, sizeof f);
    rc = xmp_read((const char *)p, (size_t)c->size, WEBP_XMP_LOCATION, &f, NULL);
    free(p);
    int goes = rc != AIM_OK || f.count > 0;
    if (rc == AIM_ERR_NOMEM)
        *err = rc;
    found_clear(&f);
    return goes;
}

static int webp_emit(const webp_plan *pl, riff_out *o, uint64_t riff_size, aim_diag *diag)
{
    const aim_src *src = pl->src;
    uint8_t h[12];
    memcpy(h, "RIFF", 4);
    wr_le32(h + 4, (uint32_t)riff_size);
    memcpy(h + 8, "WEBP", 4);
    int rc = riff_out_bytes(o, h, sizeof h);
    if (rc == AIM_OK && pl->simple)
        rc = riff_out_chunk(o, "VP8X", pl->vp8x, sizeof pl->vp8x);
    riff_walk w;
    riff_chunk c;
    unsigned long long i = 0;
    int inserted = pl->has_xmp;
    if (rc == AIM_OK)
        rc = webp_walk_init(src, &w, diag);
    for (; rc == AIM_OK && (rc = riff_next(&w, &c, diag)) == 1; i++) {
        rc = AIM_OK;
        if (fourcc_is(c.id, "AIGC")) {
            /* removed */
        } else if (fourcc_is(c.id, "VP8X") && i == 0) {
            uint8_t hb[9];
            rc = src_read(src, c.off, hb, sizeof hb);
            hb[8] |= VP8X_XMP;
            if (rc == AIM_OK)
                rc = riff_out_bytes(o, hb, sizeof hb);
            if (rc == AIM_OK)
                rc = riff_out_copy(o, src, c.off + 9, c.next - c.off - 9);
            if (c.pad_missing)
                o->pad_pending = 1;
        } else if (fourcc_is(c.id, "XMP ") && pl->has_xmp && i == pl->first_xmp) {
            rc = riff_out_chunk(o, "XMP ", pl->packet.p, pl->packet.len);
        } else if (fourcc_is(c.id, "XMP ") && extra_xmp_goes(src, &c, &rc)) {
            /* an extra packet with a label: removed */
        } else if (rc == AIM_OK) {
            rc = riff_out_copy_chunk(o, src, &c);
        }
        if (rc == AIM_OK && !inserted && i == pl->last_known) {
            rc = riff_out_chunk(o, "XMP ", pl->packet.p, pl->packet.len);
            inserted = 1;
        }
    }
    if (rc < 0)
        return rc;
    if (!inserted)
        rc = riff_out_chunk(o, "XMP ", pl->packet.p, pl->packet.len);
    if (rc == AIM_OK) /* fewer than 8 unparsed bytes at the end of the area */
        rc = riff_out_copy(o, src, w.pos, w.end - w.pos);
    if (rc == AIM_OK && o->sink && w.end < src->size) /* bytes after the RIFF area */
        rc = sink_copy(o->sink, src, w.end, src->size - w.end);
    return rc;
}

static int webp_write(const aim_src *src, const meta_write_req *req, aim_sink *out,
                      aim_diag *diag)
{
    webp_plan pl;
    memset(&pl, 0, sizeof pl);
    pl.src = src;
    pl.packet.limit = AIM_MAX_META_BYTES;
    int rc = plan_write(src, req, &pl, diag);
    riff_out count = {NULL, 0, 0};
    if (rc == AIM_OK)
        rc = webp_emit(&pl, &count, 0, diag);
    if (rc == AIM_OK) {
        uint64_t riff_size = count.len - 8;
        if (riff_size >= UINT32_MAX) {
            rc = diag_fail(diag, AIM_ERR_TOO_LARGE, "webp: the labelled file would exceed 4 GiB");
        } else {
            riff_out o = {out, 0, 0};
            rc = webp_emit(&pl, &o, riff_size, diag);
            if (rc == AIM_OK && o.len != count.len)
                rc = diag_fail(diag, AIM_ERR_IO, "webp: the file changed while it was rewritten");
        }
    }
    buf_free(&pl.packet);
    return rc;
}

const container_handler webp_handler = {AIM_FORMAT_WEBP, probe, webp_read, webp_write};
