/*
 * Vorbis comment blocks, the tag format shared by FLAC (VORBIS_COMMENT
 * metadata block) and Ogg Vorbis/Opus (comment header packet):
 *
 *   le32 vendor_len, vendor[vendor_len],
 *   le32 count, count x (le32 len, "KEY=value"[len])
 *
 * Every length is checked against the bytes left; the comment count is
 * capped by the bytes left (each comment needs at least its 4-byte length)
 * and by AIM_MAX_ITEMS.
 */
#include "container/vorbis_comment.h"

#include <string.h>

#include "core/bytes.h"

#define VC_KEY "AIGC"
#define VC_KEY_LEN 4
#define VC_VENDOR "aimark"

/* Parsed view of a block: where the comments start and how many there are. */
typedef struct vc_view {
    const uint8_t *vendor;
    uint32_t vendor_len;
    uint32_t count;
    size_t list_off; /* offset of the first comment */
} vc_view;

static int vc_parse_head(const uint8_t *p, size_t n, vc_view *v, aim_diag *diag)
{
    if (n < 4)
        return diag_fail(diag, AIM_ERR_TRUNCATED, "vorbis-comment: vendor length truncated");
    v->vendor_len = rd_le32(p);
    if (v->vendor_len > n - 4)
        return diag_fail(diag, AIM_ERR_TRUNCATED,
                         "vorbis-comment: vendor string of %u bytes overruns the block",
                         (unsigned)v->vendor_len);
    v->vendor = p + 4;
    size_t pos = 4 + (size_t)v->vendor_len;
    if (n - pos < 4)
        return diag_fail(diag, AIM_ERR_TRUNCATED, "vorbis-comment: comment count truncated");
    v->count = rd_le32(p + pos);
    pos += 4;
    /* Each comment takes at least 4 bytes: a count above that is a lie. */
    if (v->count > (n - pos) / 4 || v->count > AIM_MAX_ITEMS)
        return diag_fail(diag, AIM_ERR_CORRUPT,
                         "vorbis-comment: %u comments cannot fit in %zu bytes",
                         (unsigned)v->count, n - pos);
    v->list_off = pos;
    return AIM_OK;
}

/* Is the comment c[0..len) "AIGC=..." (key case-insensitive)? */
static int vc_is_label(const uint8_t *c, size_t len)
{
    if (len < VC_KEY_LEN + 1 || c[VC_KEY_LEN] != '=')
        return 0;
    for (size_t i = 0; i < VC_KEY_LEN; i++) {
        uint8_t ch = c[i];
        if (ch >= 'a' && ch <= 'z')
            ch = (uint8_t)(ch - 'a' + 'A');
        if (ch != (uint8_t)VC_KEY[i])
            return 0;
    }
    return 1;
}

/*
 * Walk the comments: calls `fn` for each one with its bytes. Stops at the
 * first error. `*end` gets the offset just past the last comment.
 */
typedef int (*vc_visit)(void *ctx, const uint8_t *c, size_t len);

static int vc_walk(const uint8_t *p, size_t n, const vc_view *v, vc_visit fn, void *ctx,
                   size_t *end, aim_diag *diag)
{
    size_t pos = v->list_off;
    for (uint32_t i = 0; i < v->count; i++) {
        if (n - pos < 4)
            return diag_fail(diag, AIM_ERR_TRUNCATED, "vorbis-comment: comment %u truncated",
                             (unsigned)i);
        uint32_t len = rd_le32(p + pos);
        pos += 4;
        if (len > n - pos)
            return diag_fail(diag, AIM_ERR_TRUNCATED,
                             "vorbis-comment: comment %u of %u bytes overruns the block",
                             (unsigned)i, (unsigned)len);
        int rc = fn(ctx, p + pos, len);
        if (rc)
            return rc;
        pos += len;
    }
    *end = pos;
    return AIM_OK;
}

typedef struct read_ctx {
    const char *location;
    meta_found *f;
    aim_diag *diag;
} read_ctx;

static int read_one(void *vctx, const uint8_t *c, size_t len)
{
    read_ctx *ctx = vctx;
    if (!vc_is_label(c, len))
        return AIM_OK;
    int rc = found_label(ctx->f, ctx->location, c + VC_KEY_LEN + 1, len - VC_KEY_LEN - 1);
    if (rc)
        return diag_fail(ctx->diag, rc, "vorbis-comment: cannot keep a label of %zu bytes",
                         len - VC_KEY_LEN - 1);
    return AIM_OK;
}

int vc_read(const uint8_t *p, size_t n, const char *location, meta_found *f, aim_diag *diag)
{
    vc_view v;
    int rc = vc_parse_head(p, n, &v, diag);
    if (rc)
        return rc;
    read_ctx ctx = {location, f, diag};
    size_t end = 0;
    return vc_walk(p, n, &v, read_one, &ctx, &end, diag);
}

/* First pass of vc_write: count the comments that are labels. */
static int count_one(void *vctx, const uint8_t *c, size_t len)
{
    uint32_t *labels = vctx;
    if (vc_is_label(c, len))
        (*labels)++;
    return AIM_OK;
}

typedef struct write_ctx {
    const meta_write_req *req;
    aim_buf *out;
    int placed; /* the new label comment is written */
} write_ctx;

static void put_label(write_ctx *ctx)
{
    buf_le32(ctx->out, (uint32_t)(VC_KEY_LEN + 1 + ctx->req->json_len));
    buf_put(ctx->out, VC_KEY "=", VC_KEY_LEN + 1);
    buf_put(ctx->out, ctx->req->json, ctx->req->json_len);
    ctx->placed = 1;
}

static int copy_one(void *vctx, const uint8_t *c, size_t len)
{
    write_ctx *ctx = vctx;
    if (vc_is_label(c, len)) {
        if (!ctx->placed)
            put_label(ctx);
        return ctx->out->err;
    }
    buf_le32(ctx->out, (uint32_t)len);
    buf_put(ctx->out, c, len);
    return ctx->out->err;
}

int vc_write(const uint8_t *p, size_t n, size_t *consumed, const meta_write_req *req,
             aim_buf *out, aim_diag *diag)
{
    *consumed = 0;
    if ((uint64_t)req->json_len > (uint64_t)UINT32_MAX - (VC_KEY_LEN + 1))
        return diag_fail(diag, AIM_ERR_TOO_LARGE, "vorbis-comment: label too large");
    write_ctx ctx = {req, out, 0};
    if (!p) {
        buf_le32(out, (uint32_t)strlen(VC_VENDOR));
        buf_puts(out, VC_VENDOR);
        buf_le32(out, 1);
        put_label(&ctx);
        return out->err ? diag_fail(diag, out->err, "vorbis-comment: cannot build the block")
                        : AIM_OK;
    }
    vc_view v;
    int rc = vc_parse_head(p, n, &v, diag);
    if (rc)
        return rc;
    uint32_t labels = 0;
    size_t end = 0;
    rc = vc_walk(p, n, &v, count_one, &labels, &end, diag);
    if (rc)
        return rc;
    /* count - labels + 1 <= count + 1, and count <= AIM_MAX_ITEMS. */
    uint32_t count = v.count - labels + 1;
    buf_le32(out, v.vendor_len);
    buf_put(out, v.vendor, v.vendor_len);
    buf_le32(out, count);
    rc = vc_walk(p, n, &v, copy_one, &ctx, &end, diag);
    if (rc == AIM_OK && !ctx.placed)
        put_label(&ctx);
    if (out->err)
        rc = diag_fail(diag, out->err, "vorbis-comment: cannot build the block");
    if (rc)
        return rc;
    *consumed = end;
    return AIM_OK;
}
