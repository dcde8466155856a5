/*
 * RIFF chunk walking and output shared by wav.c and webp.c (see riff.h).
 */
#include "container/riff.h"

#include <string.h>

#include "core/bytes.h"

void riff_walk_init(riff_walk *w, const aim_src *src, const char *fmt, uint64_t pos,
                    uint64_t end)
{
    memset(w, 0, sizeof *w);
    w->src = src;
    w->fmt = fmt;
    w->pos = pos;
    w->file_end = src->size;
    w->end = end < src->size ? end : src->size;
}

int riff_next(riff_walk *w, riff_chunk *c, aim_diag *diag)
{
    memset(c, 0, sizeof *c);
    if (w->pos >= w->end || w->end - w->pos < 8)
        return 0;
    if (++w->items > AIM_MAX_ITEMS)
        return diag_fail(diag, AIM_ERR_LIMIT, "%s: more than %u chunks", w->fmt, AIM_MAX_ITEMS);
    uint8_t h[8];
    int rc = src_read(w->src, w->pos, h, sizeof h);
    if (rc)
        return diag_fail(diag, rc, "%s: cannot read the chunk header at offset %llu", w->fmt,
                         (unsigned long long)w->pos);
    memcpy(c->id, h, 4);
    c->off = w->pos;
    c->size32 = rd_le32(h + 4);
    c->size = w->size_of ? w->size_of(w->ctx, c->id, c->size32) : c->size32;
    uint64_t body = c->off + 8; /* <= w->end, checked above */
    int clip_ok = w->clip_id && fourcc_is(c->id, w->clip_id);
    uint64_t limit = clip_ok ? w->file_end : w->end;
    if (c->size > limit - body) {
        if (!clip_ok)
            return diag_fail(diag, AIM_ERR_CORRUPT,
                             "%s: chunk '%.4s' at offset %llu declares %llu bytes, only %llu left",
                             w->fmt, (const char *)c->id, (unsigned long long)c->off,
                             (unsigned long long)c->size, (unsigned long long)(w->end - body));
        c->clipped = 1;
        c->avail = limit - body;
        c->next = limit;
    } else {
        c->avail = c->size;
        c->next = body + c->size;
        if (c->size & 1) {
            if (c->next < limit)
                c->next++;
            else
                c->pad_missing = 1;
        }
    }
    if (c->next > w->end)
        w->end = c->next; /* a clip_id chunk reaching past the RIFF size */
    w->pos = c->next;
    return 1;
}

static int flush_pad(riff_out *o)
{
    if (!o->pad_pending)
        return AIM_OK;
    o->pad_pending = 0;
    uint8_t z = 0;
    o->len++;
    return o->sink ? sink_write(o->sink, &z, 1) : AIM_OK;
}

int riff_out_bytes(riff_out *o, const void *p, size_t n)
{
    if (n == 0)
        return AIM_OK;
    int rc = flush_pad(o);
    if (rc)
        return rc;
    o->len += n;
    return o->sink ? sink_write(o->sink, p, n) : AIM_OK;
}

int riff_out_copy(riff_out *o, const aim_src *src, uint64_t off, uint64_t n)
{
    if (n == 0)
        return AIM_OK;
    int rc = flush_pad(o);
    if (rc)
        return rc;
    o->len += n;
    return o->sink ? sink_copy(o->sink, src, off, n) : AIM_OK;
}

int riff_out_chunk(riff_out *o, const char *id, const void *payload, size_t n)
{
    if (n > UINT32_MAX)
        return AIM_ERR_TOO_LARGE;
    uint8_t h[8];
    memcpy(h, id, 4);
    wr_le32(h + 4, (uint32_t)n);
    int rc = riff_out_bytes(o, h, sizeof h);
    if (rc == AIM_OK)
        rc = riff_out_bytes(o, payload, n);
    if (rc == AIM_OK && (n & 1)) {
        uint8_t z = 0;
        rc = riff_out_bytes(o, &z, 1);
    }
    return rc;
}

int riff_out_copy_chunk(riff_out *o, const aim_src *src, const riff_chunk *c)
{
    int rc = riff_out_copy(o, src, c->off, c->next - c->off);
    if (rc == AIM_OK && c->pad_missing)
        o->pad_pending = 1;
    return rc;
}
