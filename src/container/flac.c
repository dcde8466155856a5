/*
 * Native FLAC: optional ID3v2 tag, "fLaC", metadata blocks (u8 last-flag |
 * 7-bit type, be24 length, body), then audio frames.
 *
 * The label is the comment AIGC=<json> in the VORBIS_COMMENT block (type 4).
 * Writing rebuilds only the metadata: every block other than
 * VORBIS_COMMENT and PADDING is copied byte-exact and in order; when the
 * file has PADDING that can absorb the size change, the metadata keeps its
 * total size so the audio frames stay at the same offset; otherwise a
 * fresh 4096-byte PADDING block is written. Audio is copied with
 * sink_copy() and never decoded.
 */
#include <stdlib.h>
#include <string.h>

#include "container/handler.h"
#include "container/vorbis_comment.h"
#include "core/bytes.h"

#define FLAC_STREAMINFO 0
#define FLAC_PADDING 1
#define FLAC_VORBIS_COMMENT 4
#define FLAC_INVALID 127
#define FLAC_MAX_BLOCK 0xFFFFFFu
#define FLAC_FRESH_PADDING 4096u
/* ID3v2 tags skipped before "fLaC" (some taggers stack several). */
#define FLAC_MAX_ID3 16

/* Size of an ID3v2 tag at h[0..n) (header + body + footer), 0 if none. */
static uint64_t id3_size(const uint8_t *h, size_t n)
{
    if (n < 10 || memcmp(h, "ID3", 3) != 0 || h[3] == 0xFF || h[4] == 0xFF)
        return 0;
    if ((h[6] | h[7] | h[8] | h[9]) & 0x80)
        return 0;
    uint64_t size = ((uint64_t)h[6] << 21) | ((uint64_t)h[7] << 14) | ((uint64_t)h[8] << 7) | h[9];
    return 10 + size + ((h[5] & 0x10) ? 10 : 0);
}

static int probe(const uint8_t *h, size_t n)
{
    size_t off = 0;
    for (int i = 0; i < FLAC_MAX_ID3; i++) {
        uint64_t s = id3_size(h + off, n - off);
        if (s == 0)
            break;
        if (s > n - off)
            return 0;
        off += (size_t)s;
    }
    return n - off >= 4 && memcmp(h + off, "fLaC", 4) == 0;
}

/* Offset of "fLaC" past any ID3v2 tags. */
static int find_start(const aim_src *src, uint64_t *start, aim_diag *diag)
{
    uint64_t off = 0;
    for (int i = 0; i < FLAC_MAX_ID3; i++) {
        uint8_t h[10];
        if (src->size - off < sizeof h)
            break;
        int rc = src_read(src, off, h, sizeof h);
        if (rc)
            return diag_fail(diag, rc, "flac: cannot read the header");
        uint64_t s = id3_size(h, sizeof h);
        if (s == 0)
            break;
        if (s > src->size - off)
            return diag_fail(diag, AIM_ERR_TRUNCATED, "flac: ID3v2 tag overruns the file");
        off += s;
    }
    uint8_t magic[4];
    if (src->size - off < 4 || src_read(src, off, magic, 4) != AIM_OK || memcmp(magic, "fLaC", 4) != 0)
        return diag_fail(diag, AIM_ERR_CORRUPT, "flac: no fLaC signature");
    *start = off;
    return AIM_OK;
}

typedef struct flac_block {
    uint64_t off; /* offset of the 4-byte block header */
    uint8_t type;
    int last;
    uint32_t len;
} flac_block;

/* Read and check the block header at off. */
static int block_at(const aim_src *src, uint64_t off, flac_block *b, aim_diag *diag)
{
    *b = (flac_block){0}; /* defined on every path (gcc -O3 cannot tell) */
    uint8_t h[4];
    if (src->size - off < 4)
        return diag_fail(diag, AIM_ERR_TRUNCATED, "flac: metadata block header at %llu truncated",
                         (unsigned long long)off);
    int rc = src_read(src, off, h, 4);
    if (rc)
        return diag_fail(diag, rc, "flac: cannot read a metadata block header");
    b->off = off;
    b->type = h[0] & 0x7F;
    b->last = (h[0] & 0x80) != 0;
    b->len = rd_be24(h + 1);
    if (b->type == FLAC_INVALID)
        return diag_fail(diag, AIM_ERR_CORRUPT, "flac: invalid metadata block type 127 at %llu",
                         (unsigned long long)off);
    if (b->len > src->size - off - 4)
        return diag_fail(diag, AIM_ERR_TRUNCATED,
                         "flac: metadata block of %u bytes at %llu overruns the file",
                         (unsigned)b->len, (unsigned long long)off);
    return AIM_OK;
}

static int flac_read(const aim_src *src, meta_found *found, aim_diag *diag)
{
    uint64_t start;
    int rc = find_start(src, &start, diag);
    if (rc)
        return rc;
    uint64_t off = start + 4;
    for (uint32_t i = 0;; i++) {
        if (i >= AIM_MAX_ITEMS)
            return diag_fail(diag, AIM_ERR_LIMIT, "flac: too many metadata blocks");
        flac_block b;
        rc = block_at(src, off, &b, diag);
        if (rc)
            return rc;
        if (b.type == FLAC_VORBIS_COMMENT) {
            uint8_t *body;
            rc = src_dup(src, off + 4, b.len, AIM_MAX_META_BYTES, &body);
            if (rc)
                return diag_fail(diag, rc, "flac: cannot load the VORBIS_COMMENT block");
            rc = vc_read(body, b.len, "flac:vorbis-comment:AIGC", found, diag);
            free(body);
            if (rc)
                return rc;
        }
        off += 4 + (uint64_t)b.len;
        if (b.last)
            return AIM_OK;
    }
}

/*
 * Blocks are emitted through a one-block delay so that the last one can be
 * given the last-block flag once we know nothing follows it.
 */
typedef struct emitter {
    aim_sink *out;
    const aim_src *src;
    int have;
    uint8_t type;
    uint32_t len;
    uint64_t src_off;    /* body in the source ... */
    const uint8_t *mem;  /* ... or in memory */
    int zero;            /* ... or zeros (PADDING) */
} emitter;

static int emit_flush(emitter *e, int last)
{
    if (!e->have)
        return AIM_OK;
    uint8_t h[4] = {(uint8_t)(e->type | (last ? 0x80 : 0)), (uint8_t)(e->len >> 16),
                    (uint8_t)(e->len >> 8), (uint8_t)e->len};
    int rc = sink_write(e->out, h, 4);
    if (rc == AIM_OK) {
        if (e->mem) {
            rc = sink_write(e->out, e->mem, e->len);
        } else if (e->zero) {
            static const uint8_t zeros[1024];
            for (uint32_t left = e->len; rc == AIM_OK && left > 0;) {
                uint32_t k = left < sizeof zeros ? left : (uint32_t)sizeof zeros;
                rc = sink_write(e->out, zeros, k);
                left -= k;
            }
        } else {
            rc = sink_copy(e->out, e->src, e->src_off, e->len);
        }
    }
    e->have = 0;
    return rc;
}

static int emit(emitter *e, uint8_t type, uint32_t len, uint64_t src_off, const uint8_t *mem,
                int zero)
{
    int rc = emit_flush(e, 0);
    e->have = 1;
    e->type = type;
    e->len = len;
    e->src_off = src_off;
    e->mem = mem;
    e->zero = zero;
    return rc;
}

static int flac_write(const aim_src *src, const meta_write_req *req, aim_sink *out,
                      aim_diag *diag)
{
    uint64_t start;
    int rc = find_start(src, &start, diag);
    if (rc)
        return rc;

    /* Pass 1: find the end of the metadata, the first VORBIS_COMMENT and
     * the sizes that decide whether PADDING can absorb the change. */
    uint64_t off = start + 4;
    uint64_t kept = 0;       /* bytes of blocks copied as they are */
    uint64_t padding = 0;    /* number of PADDING blocks */
    uint64_t vc_off = 0;     /* first VORBIS_COMMENT body, 0 if none */
    uint32_t vc_len = 0;
    for (uint32_t i = 0;; i++) {
        if (i >= AIM_MAX_ITEMS)
            return diag_fail(diag, AIM_ERR_LIMIT, "flac: too many metadata blocks");
        flac_block b;
        rc = block_at(src, off, &b, diag);
        if (rc)
            return rc;
        if (i == 0 && b.type != FLAC_STREAMINFO)
            return diag_fail(diag, AIM_ERR_CORRUPT, "flac: first metadata block is not STREAMINFO");
        if (b.type == FLAC_PADDING)
            padding++;
        else if (b.type == FLAC_VORBIS_COMMENT && vc_off == 0) {
            vc_off = off + 4;
            vc_len = b.len;
        } else if (b.type != FLAC_VORBIS_COMMENT)
            kept += 4 + (uint64_t)b.len;
        off += 4 + (uint64_t)b.len;
        if (b.last)
            break;
    }
    uint64_t audio = off;

    /* The new VORBIS_COMMENT body, from the old one or from scratch. */
    uint8_t *old = NULL;
    if (vc_off) {
        rc = src_dup(src, vc_off, vc_len, AIM_MAX_META_BYTES, &old);
        if (rc)
            return diag_fail(diag, rc, "flac: cannot load the VORBIS_COMMENT block");
    }
    aim_buf vc = AIM_BUF_INIT;
    size_t consumed;
    rc = vc_write(old, vc_len, &consumed, req, &vc, diag);
    free(old);
    if (rc == AIM_OK && vc.len > FLAC_MAX_BLOCK)
        rc = diag_fail(diag, AIM_ERR_TOO_LARGE,
                       "flac: a VORBIS_COMMENT block of %zu bytes exceeds 16 MiB", vc.len);
    if (rc) {
        buf_free(&vc);
        return rc;
    }

    /* Metadata size with no PADDING at all, versus the space there was. */
    uint64_t need = kept + 4 + vc.len;
    uint64_t space = audio - (start + 4);
    uint32_t pad_len = FLAC_FRESH_PADDING;
    int pad = 1;
    if (padding && need <= space) {
        uint64_t gap = space - need;
        if (gap == 0) {
            pad = 0;
        } else if (gap >= 4 && gap - 4 <= FLAC_MAX_BLOCK) {
            pad_len = (uint32_t)(gap - 4);
        }
    }

    /* Pass 2: stream the new file. */
    rc = sink_copy(out, src, 0, start + 4);
    emitter e = {out, src, 0, 0, 0, 0, NULL, 0};
    off = start + 4;
    int vc_done = 0;
    for (uint32_t i = 0; rc == AIM_OK; i++) {
        flac_block b;
        rc = block_at(src, off, &b, diag);
        if (rc)
            break;
        if (b.type == FLAC_VORBIS_COMMENT) {
            if (!vc_done)
                rc = emit(&e, FLAC_VORBIS_COMMENT, (uint32_t)vc.len, 0, vc.p, 0);
            vc_done = 1;
        } else if (b.type != FLAC_PADDING) {
            rc = emit(&e, b.type, b.len, off + 4, NULL, 0);
            /* No VORBIS_COMMENT in the file: add it right after STREAMINFO. */
            if (rc == AIM_OK && i == 0 && !vc_off) {
                rc = emit(&e, FLAC_VORBIS_COMMENT, (uint32_t)vc.len, 0, vc.p, 0);
                vc_done = 1;
            }
        }
        off += 4 + (uint64_t)b.len;
        if (b.last)
            break;
    }
    if (rc == AIM_OK && pad)
        rc = emit(&e, FLAC_PADDING, pad_len, 0, NULL, 1);
    if (rc == AIM_OK)
        rc = emit_flush(&e, 1);
    if (rc == AIM_OK)
        rc = sink_copy(out, src, audio, src->size - audio);
    buf_free(&vc);
    if (rc)
        return diag_fail(diag, rc, "flac: cannot write the output");
    return AIM_OK;
}

const container_handler flac_handler = {AIM_FORMAT_FLAC, probe, flac_read, flac_write};
