/*
 * WebP: decode with libwebp, draw the label, re-encode (lossless stays
 * lossless; lossy at webp_quality) and re-assemble with libwebpmux, copying
 * every non-image chunk of the source (ICCP, EXIF, XMP, unknown ones).
 */
#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>
#include <webp/encode.h>
#include <webp/mux.h>

#include "core/bytes.h"
#include "core/diag.h"
#include "core/limits.h"
#include "explicit/visible_internal.h"

static int is_image_chunk(const uint8_t *id)
{
    static const char *const IMG[] = {"VP8 ", "VP8L", "VP8X", "ALPH", "ANIM", "ANMF"};
    for (size_t i = 0; i < sizeof IMG / sizeof IMG[0]; i++)
        if (!memcmp(id, IMG[i], 4))
            return 1;
    return 0;
}

/* Check the RIFF framing before libwebp sees it, so a short file is
 * reported as truncated rather than corrupt. */
static int check_riff(const uint8_t *in, size_t n, size_t *end, aim_diag *d)
{
    if (n < 12 || memcmp(in, "RIFF", 4) || memcmp(in + 8, "WEBP", 4))
        return diag_fail(d, AIM_ERR_CORRUPT, "webp: not a RIFF/WEBP file");
    uint32_t riff = rd_le32(in + 4);
    if (riff < 4 || riff > n - 8)
        return diag_fail(d, AIM_ERR_TRUNCATED, "webp: RIFF size %u runs past the end",
                         (unsigned)riff);
    *end = (size_t)riff + 8;
    return AIM_OK;
}

static int copy_chunks(const uint8_t *in, size_t end, WebPMux *mux, aim_diag *d)
{
    size_t pos = 12, count = 0;
    while (end - pos >= 8) {
        const uint8_t *id = in + pos;
        uint32_t len = rd_le32(in + pos + 4);
        if (len > end - pos - 8)
            return diag_fail(d, AIM_ERR_TRUNCATED, "webp: chunk %.4s runs past the end",
                             (const char *)id);
        if (++count > AIM_MAX_ITEMS)
            return diag_fail(d, AIM_ERR_LIMIT, "webp: too many chunks");
        if (!is_image_chunk(id)) {
            char fourcc[5] = {(char)id[0], (char)id[1], (char)id[2], (char)id[3], 0};
            WebPData data = {in + pos + 8, len};
            if (WebPMuxSetChunk(mux, fourcc, &data, 1) != WEBP_MUX_OK)
                return diag_fail(d, AIM_ERR_CORRUPT, "webp: cannot copy chunk %s", fourcc);
        }
        size_t step = 8 + (size_t)len + (len & 1);
        if (step > end - pos)
            break;
        pos += step;
    }
    return AIM_OK;
}

/* RIFF framing, features and size checks shared by the labeller and the
 * reader: the end of the RIFF data and the bitstream features. */
static int check_image(const uint8_t *in, size_t n, uint64_t max_pixels, size_t *end,
                       WebPBitstreamFeatures *f, aim_diag *d)
{
    int rc = check_riff(in, n, end, d);
    if (rc)
        return rc;
    VP8StatusCode st = WebPGetFeatures(in, *end, f);
    if (st == VP8_STATUS_NOT_ENOUGH_DATA)
        return diag_fail(d, AIM_ERR_TRUNCATED, "webp: truncated");
    if (st != VP8_STATUS_OK)
        return diag_fail(d, AIM_ERR_CORRUPT, "webp: bad bitstream header (status %d)", (int)st);
    if (f->has_animation)
        return diag_fail(d, AIM_ERR_UNSUPPORTED, "webp: animated WebP is not supported");
    unsigned w = (unsigned)f->width, h = (unsigned)f->height;
    if (f->width <= 0 || f->height <= 0 || w > VIS_MAX_DIM || h > VIS_MAX_DIM ||
        (uint64_t)w * h > max_pixels)
        return diag_fail(d, AIM_ERR_LIMIT, "webp: %ux%u is over the pixel limit", w, h);
    return AIM_OK;
}

int vis_webp_decode(const uint8_t *in, size_t n, uint64_t max_pixels, vis_canvas *cv, aim_diag *d)
{
    memset(cv, 0, sizeof *cv);
    size_t end = 0;
    WebPBitstreamFeatures f;
    int rc = check_image(in, n, max_pixels, &end, &f, d);
    if (rc)
        return rc;
    unsigned w = (unsigned)f.width, h = (unsigned)f.height;
    int ch = f.has_alpha ? 4 : 3;
    size_t stride = (size_t)w * (size_t)ch;
    uint8_t *px = malloc(stride * h);
    if (!px)
        return diag_fail(d, AIM_ERR_NOMEM, "webp: out of memory for %ux%u pixels", w, h);
    uint8_t *ok = f.has_alpha ? WebPDecodeRGBAInto(in, end, px, stride * h, (int)stride)
                              : WebPDecodeRGBInto(in, end, px, stride * h, (int)stride);
    if (!ok) {
        free(px);
        return diag_fail(d, AIM_ERR_CORRUPT, "webp: the image data does not decode");
    }
    *cv = (vis_canvas){px, w, h, stride, ch, 8};
    return AIM_OK;
}

int vis_webp(const uint8_t *in, size_t n, const aim_visible_opts *r, aim_buf *out, aim_diag *d)
{
    size_t end = 0;
    WebPBitstreamFeatures f;
    int rc = check_image(in, n, r->max_pixels, &end, &f, d);
    if (rc)
        return rc;
    unsigned w = (unsigned)f.width, h = (unsigned)f.height;

    vis_overlay ov;
    if ((rc = vis_overlay_make(w, h, r, &ov, d)) != AIM_OK)
        return rc;
    vis_canvas cv;
    if ((rc = vis_webp_decode(in, n, r->max_pixels, &cv, d)) != AIM_OK) {
        vis_overlay_free(&ov);
        return rc;
    }
    uint8_t *px = cv.px;
    size_t stride = cv.stride;
    vis_composite(&ov, &cv);
    vis_overlay_free(&ov);

    uint8_t *enc = NULL;
    size_t enc_n;
    float q = r->webp_quality ? (float)r->webp_quality : 90.0f;
    if (f.format == 2) /* lossless source: keep it lossless */
        enc_n = f.has_alpha ? WebPEncodeLosslessRGBA(px, (int)w, (int)h, (int)stride, &enc)
                            : WebPEncodeLosslessRGB(px, (int)w, (int)h, (int)stride, &enc);
    else
        enc_n = f.has_alpha ? WebPEncodeRGBA(px, (int)w, (int)h, (int)stride, q, &enc)
                            : WebPEncodeRGB(px, (int)w, (int)h, (int)stride, q, &enc);
    free(px);
    if (enc_n == 0) {
        WebPFree(enc);
        return diag_fail(d, AIM_ERR_NOMEM, "webp: encoding failed");
    }
    WebPMux *mux = WebPMuxNew();
    if (!mux) {
        WebPFree(enc);
        return AIM_ERR_NOMEM;
    }
    WebPData image = {enc, enc_n};
    if (WebPMuxSetImage(mux, &image, 1) != WEBP_MUX_OK) {
        WebPMuxDelete(mux);
        WebPFree(enc);
        return diag_fail(d, AIM_ERR_NOMEM, "webp: cannot assemble the output");
    }
    WebPFree(enc);
    if ((rc = copy_chunks(in, end, mux, d)) != AIM_OK) {
        WebPMuxDelete(mux);
        return rc;
    }
    WebPData assembled;
    WebPDataInit(&assembled);
    if (WebPMuxAssemble(mux, &assembled) != WEBP_MUX_OK) {
        WebPMuxDelete(mux);
        return diag_fail(d, AIM_ERR_CORRUPT, "webp: cannot assemble the output");
    }
    WebPMuxDelete(mux);
    buf_put(out, assembled.bytes, assembled.size);
    WebPDataClear(&assembled);
    return out->err ? diag_fail(d, out->err, "webp: output too large") : AIM_OK;
}
