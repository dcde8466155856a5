/*
 * MP3: MPEG audio with ID3v2 tags at the start of the file.
 *
 * The label is an ID3v2 user text frame: `TXXX` (v2.3/v2.4) or `TXX`
 * (v2.2) whose description is "AIGC" and whose value is the label JSON,
 * the way ffmpeg's `-metadata AIGC=...` stores it (encoding 0, "AIGC\0",
 * then the JSON without a terminator).
 *
 * Reading walks the frame headers of each leading ID3v2 tag in the file
 * and loads only user text frames, so cover art is skipped (a v2.2/v2.3
 * tag with whole-tag unsynchronisation is loaded whole, bounded by
 * AIM_MAX_META_BYTES, to undo it); the MPEG audio is never read. Writing rebuilds the first
 * tag with every other frame kept byte for byte, drops all AIGC frames
 * from every tag, adds one new frame, and streams the audio (including any
 * ID3v1/APE tag at the end) unchanged with sink_copy().
 *
 * ID3v2 references: id3v2.2.0, id3v2.3.0, id3v2.4.0-structure and
 * id3v2.4.0-frames (id3.org informal standards).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container/handler.h"
#include "core/bytes.h"

#define ID3_HEADER 10
#define ID3_FOOTER 10
/* Largest size a syncsafe 28-bit field can hold. */
#define ID3_MAX_SIZE 0x0FFFFFFFu
/* Padding added when a tag has to grow (or is created). */
#define ID3_GROW_PADDING 1024u

/* Tag header flags. */
#define ID3_F_UNSYNC 0x80
#define ID3_F_EXTHDR 0x40 /* v2.3/v2.4; in v2.2 this bit means compression */
#define ID3_F_FOOTER 0x10 /* v2.4 */

/* v2.3 frame format flags (second flag byte). */
#define V3_F_COMPRESS 0x80
#define V3_F_ENCRYPT 0x40
#define V3_F_GROUP 0x20
/* v2.4 frame format flags. */
#define V4_F_GROUP 0x40
#define V4_F_COMPRESS 0x08
#define V4_F_ENCRYPT 0x04
#define V4_F_UNSYNC 0x02
#define V4_F_DLI 0x01

/* ---- MPEG audio frame headers ------------------------------------------- */

/* kbit/s by [MPEG-1 ? 0 : 1][layer I,II,III][index 1..14]. */
static const uint16_t BITRATES[2][3][15] = {
    {{0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448},
     {0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384},
     {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320}},
    {{0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256},
     {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
     {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160}},
};
/* Hz by [version bits: 0 = MPEG-2.5, 2 = MPEG-2, 3 = MPEG-1][index]. */
static const uint32_t SAMPLERATES[4][3] = {
    {11025, 12000, 8000}, {0, 0, 0}, {22050, 24000, 16000}, {44100, 48000, 32000}};

/*
 * Length in bytes of the MPEG audio frame whose 4-byte header is at p, or 0
 * if p is not a usable header. Free-format (bitrate index 0) frames have no
 * computable length and are not accepted; layer bits 00 are AAC ADTS.
 */
static uint32_t mpeg_frame_len(const uint8_t *p)
{
    if (p[0] != 0xFF || (p[1] & 0xE0) != 0xE0)
        return 0;
    unsigned ver = (p[1] >> 3) & 3, layer_bits = (p[1] >> 1) & 3;
    unsigned br_idx = p[2] >> 4, sr_idx = (p[2] >> 2) & 3, pad = (p[2] >> 1) & 1;
    if (ver == 1 || layer_bits == 0 || br_idx == 0 || br_idx == 15 || sr_idx == 3 ||
        (p[3] & 3) == 2)
        return 0;
    unsigned layer = 4 - layer_bits; /* 1, 2 or 3 */
    uint32_t bitrate = BITRATES[ver == 3 ? 0 : 1][layer - 1][br_idx] * 1000u;
    uint32_t rate = SAMPLERATES[ver][sr_idx];
    if (layer == 1)
        return (12u * bitrate / rate + pad) * 4u;
    if (layer == 3 && ver != 3)
        return 72u * bitrate / rate + pad;
    return 144u * bitrate / rate + pad;
}

/* ---- ID3v2 tags ----------------------------------------------------------- */

static int syncsafe_ok(const uint8_t *p) { return ((p[0] | p[1] | p[2] | p[3]) & 0x80) == 0; }

static uint32_t rd_syncsafe(const uint8_t *p)
{
    return ((uint32_t)(p[0] & 0x7F) << 21) | ((uint32_t)(p[1] & 0x7F) << 14) |
           ((uint32_t)(p[2] & 0x7F) << 7) | (p[3] & 0x7F);
}

static void wr_syncsafe(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)((v >> 21) & 0x7F);
    p[1] = (uint8_t)((v >> 14) & 0x7F);
    p[2] = (uint8_t)((v >> 7) & 0x7F);
    p[3] = (uint8_t)(v & 0x7F);
}

/* 1 if the 10 bytes at h are an ID3v2 tag header this handler understands. */
static int id3_header_ok(const uint8_t *h)
{
    return h[0] == 'I' && h[1] == 'D' && h[2] == '3' && h[3] >= 2 && h[3] <= 4 &&
           h[4] != 0xFF && syncsafe_ok(h + 6);
}

typedef struct id3_tag {
    uint64_t off;      /* file offset of the tag header */
    uint64_t total;    /* header + body (+ footer): bytes the tag occupies */
    uint32_t size;     /* the header's size field (body bytes in the file) */
    uint8_t ver, rev, flags;
    const aim_src *src;
    uint8_t *body;     /* body, whole-tag unsynchronisation undone (owned);
                        * NULL when frames are read from src one by one */
    size_t body_len;
    size_t frames_off; /* start of the frames in body (after the extended header) */
    int parseable;     /* 0: frames cannot be read (v2.2 compressed tag) */
} id3_tag;

static void tag_free(id3_tag *t)
{
    free(t->body);
    t->body = NULL;
}

/* Undo unsynchronisation in place (every FF 00 becomes FF); new length. */
static size_t unsync_undo(uint8_t *p, size_t n)
{
    size_t w = 0;
    for (size_t r = 0; r < n; r++) {
        p[w++] = p[r];
        if (p[r] == 0xFF && r + 1 < n && p[r + 1] == 0x00)
            r++;
    }
    return w;
}

/*
 * Look for a tag at `off`. Returns 1 with *t filled when a tag is there, 0
 * when there is none, or a negative error. A broken header at the start of
 * the file is an error; after the first tag, anything that is not a
 * complete valid tag is taken as the start of the audio. With `lazy`, the
 * body is left in the file where it can be (no whole-tag unsync), so that
 * reading skips cover art and other large frames.
 */
static int tag_load(const aim_src *src, uint64_t off, id3_tag *t, int lazy, aim_diag *diag)
{
    memset(t, 0, sizeof *t);
    uint8_t h[ID3_HEADER];
    int first = off == 0;
    if (off > src->size || src->size - off < ID3_HEADER) {
        if (first && src->size >= 3 && src_read(src, 0, h, 3) == AIM_OK && memcmp(h, "ID3", 3) == 0)
            return diag_fail(diag, AIM_ERR_TRUNCATED, "mp3: ID3v2 header is cut short");
        return 0;
    }
    int rc = src_read(src, off, h, sizeof h);
    if (rc)
        return diag_fail(diag, rc, "mp3: cannot read at offset %llu", (unsigned long long)off);
    if (memcmp(h, "ID3", 3) != 0)
        return 0;
    if (!id3_header_ok(h)) {
        if (first)
            return diag_fail(diag, AIM_ERR_CORRUPT, "mp3: bad ID3v2 header (version %u.%u)",
                             h[3], h[4]);
        return 0;
    }
    t->off = off;
    t->ver = h[3];
    t->rev = h[4];
    t->flags = h[5];
    t->size = rd_syncsafe(h + 6);
    t->total = ID3_HEADER + (uint64_t)t->size;
    if (t->ver == 4 && (t->flags & ID3_F_FOOTER))
        t->total += ID3_FOOTER;
    if (t->total > src->size - off) {
        if (first)
            return diag_fail(diag, AIM_ERR_TRUNCATED,
                             "mp3: ID3v2 tag of %llu bytes runs past the end of the file",
                             (unsigned long long)t->total);
        return 0;
    }
    t->src = src;
    t->body_len = t->size;
    if (t->ver == 2 && (t->flags & 0x40))
        return 1; /* v2.2 compression: no scheme was ever defined; not parseable */
    t->parseable = 1;
    /* v2.2/v2.3 unsynchronise the whole tag (extended header included). In
     * v2.4 the flag means every frame is unsynchronised on its own. */
    int whole_unsync = t->ver < 4 && (t->flags & ID3_F_UNSYNC);
    if (!lazy || whole_unsync) {
        rc = src_dup(src, off + ID3_HEADER, t->size, AIM_MAX_META_BYTES, &t->body);
        if (rc)
            return diag_fail(diag, rc, "mp3: cannot load the ID3v2 tag at offset %llu (%u bytes)",
                             (unsigned long long)off, t->size);
        if (whole_unsync)
            t->body_len = unsync_undo(t->body, t->body_len);
    }
    if (t->ver >= 3 && (t->flags & ID3_F_EXTHDR)) {
        uint8_t e[4];
        if (t->body_len < 6) {
            tag_free(t);
            return diag_fail(diag, AIM_ERR_CORRUPT, "mp3: ID3v2 extended header is cut short");
        }
        if (t->body)
            memcpy(e, t->body, 4);
        else if ((rc = src_read(src, off + ID3_HEADER, e, 4)) != AIM_OK)
            return diag_fail(diag, rc, "mp3: cannot read the ID3v2 extended header");
        uint64_t ext = t->ver == 3 ? 4 + (uint64_t)rd_be32(e) : rd_syncsafe(e);
        if (ext < 6 || ext > t->body_len) {
            tag_free(t);
            return diag_fail(diag, AIM_ERR_CORRUPT,
                             "mp3: ID3v2 extended header size %llu does not fit the tag",
                             (unsigned long long)ext);
        }
        t->frames_off = (size_t)ext;
    }
    return 1;
}

/* One frame inside a tag body. */
typedef struct id3_frame {
    uint8_t hdr[10];    /* the frame header */
    const uint8_t *raw; /* header + data as stored, or NULL when the body is not loaded */
    uint64_t data_off;  /* file offset of the data */
    size_t raw_len;
    size_t hdr_len;     /* 6 (v2.2) or 10 */
    uint8_t fmt;        /* v2.3/v2.4 format flags byte; 0 for v2.2 */
} id3_frame;

typedef int (*frame_fn)(void *ctx, const id3_tag *t, const id3_frame *fr);

static int frame_id_ok(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9')))
            return 0;
    return 1;
}

/*
 * Call fn for each frame of t. Stops at padding (a zero byte where a frame
 * ID should be) or at bytes that are not a frame ID (junk padding). A frame
 * whose size runs past the end of the tag is an error: the tag is corrupt.
 */
static int walk_frames(const id3_tag *t, frame_fn fn, void *ctx, aim_diag *diag)
{
    if (!t->parseable)
        return AIM_OK;
    size_t idlen = t->ver == 2 ? 3 : 4, hlen = t->ver == 2 ? 6 : 10;
    size_t pos = t->frames_off;
    unsigned count = 0;
    while (t->body_len - pos >= hlen) {
        id3_frame fr;
        memset(&fr, 0, sizeof fr);
        const uint8_t *h = fr.hdr;
        if (t->body) {
            memcpy(fr.hdr, t->body + pos, hlen);
            fr.raw = t->body + pos;
        } else {
            int rc = src_read(t->src, t->off + ID3_HEADER + pos, fr.hdr, hlen);
            if (rc)
                return diag_fail(diag, rc, "mp3: cannot read an ID3v2 frame header");
        }
        if (h[0] == 0 || !frame_id_ok(h, idlen))
            break;
        if (++count > AIM_MAX_ITEMS)
            return diag_fail(diag, AIM_ERR_LIMIT, "mp3: more than %u ID3v2 frames", AIM_MAX_ITEMS);
        uint32_t size;
        if (t->ver == 2)
            size = rd_be24(h + 3);
        else if (t->ver == 3 || !syncsafe_ok(h + 4))
            size = rd_be32(h + 4); /* v2.4 with plain sizes: an old iTunes bug */
        else
            size = rd_syncsafe(h + 4);
        if (size > t->body_len - pos - hlen)
            return diag_fail(diag, AIM_ERR_CORRUPT,
                             "mp3: ID3v2 frame %.*s at tag offset %zu: size %u runs past the tag end",
                             (int)idlen, (const char *)h, pos, (unsigned)size);
        fr.data_off = t->off + ID3_HEADER + pos + hlen;
        fr.raw_len = hlen + size;
        fr.hdr_len = hlen;
        fr.fmt = t->ver == 2 ? 0 : h[9];
        int rc = fn(ctx, t, &fr);
        if (rc)
            return rc;
        pos += hlen + size;
    }
    return AIM_OK;
}

/* ---- text decoding --------------------------------------------------------- */

static void put_utf8(aim_buf *b, uint32_t cp)
{
    if (cp < 0x80) {
        buf_putc(b, (uint8_t)cp);
    } else if (cp < 0x800) {
        buf_putc(b, (uint8_t)(0xC0 | (cp >> 6)));
        buf_putc(b, (uint8_t)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        buf_putc(b, (uint8_t)(0xE0 | (cp >> 12)));
        buf_putc(b, (uint8_t)(0x80 | ((cp >> 6) & 0x3F)));
        buf_putc(b, (uint8_t)(0x80 | (cp & 0x3F)));
    } else {
        buf_putc(b, (uint8_t)(0xF0 | (cp >> 18)));
        buf_putc(b, (uint8_t)(0x80 | ((cp >> 12) & 0x3F)));
        buf_putc(b, (uint8_t)(0x80 | ((cp >> 6) & 0x3F)));
        buf_putc(b, (uint8_t)(0x80 | (cp & 0x3F)));
    }
}

/*
 * Append the ID3 text p[0..n) in encoding enc (0 Latin-1, 1 UTF-16 with
 * BOM, 2 UTF-16BE, 3 UTF-8) to b as UTF-8. Unpaired surrogates become
 * U+FFFD. Errors are left in b->err.
 */
static void decode_text(int enc, const uint8_t *p, size_t n, aim_buf *b)
{
    if (enc == 3) {
        buf_put(b, p, n);
        return;
    }
    if (enc == 0) {
        for (size_t i = 0; i < n && !b->err; i++)
            put_utf8(b, p[i]);
        return;
    }
    int le = 0; /* enc 2 is big-endian; enc 1 without a BOM: assume LE (Windows writers) */
    if (n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF))) {
        le = p[0] == 0xFF;
        p += 2;
        n -= 2;
    } else if (enc == 1) {
        le = 1;
    }
    for (size_t i = 0; i + 1 < n && !b->err; i += 2) {
        uint32_t u = le ? rd_le16(p + i) : rd_be16(p + i);
        if (u >= 0xD800 && u < 0xDC00 && i + 3 < n) {
            uint32_t lo = le ? rd_le16(p + i + 2) : rd_be16(p + i + 2);
            if (lo >= 0xDC00 && lo < 0xE000) {
                put_utf8(b, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
                i += 2;
                continue;
            }
        }
        put_utf8(b, (u >= 0xD800 && u < 0xE000) ? 0xFFFD : u);
    }
}

/* Length of the text at p before its terminator (1 or 2 zero bytes), or
 * SIZE_MAX when there is no terminator. */
static size_t text_len(int enc, const uint8_t *p, size_t n)
{
    if (enc == 1 || enc == 2) {
        for (size_t i = 0; i + 1 < n; i += 2)
            if (p[i] == 0 && p[i + 1] == 0)
                return i;
        return SIZE_MAX;
    }
    const uint8_t *z = memchr(p, 0, n);
    return z ? (size_t)(z - p) : SIZE_MAX;
}

/*
 * If fr is a user text frame described "AIGC" (any case), decode its value
 * to UTF-8 into `value` (when not NULL) and return 1; 0 if it is another
 * frame (or one that cannot be read: compressed, encrypted, malformed);
 * negative on error.
 */
static int frame_aigc(const id3_tag *t, const id3_frame *fr, aim_buf *value)
{
    if (t->ver == 2 ? memcmp(fr->hdr, "TXX", 3) != 0 : memcmp(fr->hdr, "TXXX", 4) != 0)
        return 0;
    size_t skip = 0;
    int unsync = 0;
    if (t->ver == 3) {
        if (fr->fmt & (V3_F_COMPRESS | V3_F_ENCRYPT))
            return 0;
        skip = (fr->fmt & V3_F_GROUP) ? 1 : 0;
    } else if (t->ver == 4) {
        if (fr->fmt & (V4_F_COMPRESS | V4_F_ENCRYPT))
            return 0;
        skip = ((fr->fmt & V4_F_GROUP) ? 1u : 0u) + ((fr->fmt & V4_F_DLI) ? 4u : 0u);
        unsync = (fr->fmt & V4_F_UNSYNC) || (t->flags & ID3_F_UNSYNC);
    }
    size_t n = fr->raw_len - fr->hdr_len;
    if (n <= skip)
        return 0;
    uint8_t *loaded = NULL;
    const uint8_t *p;
    if (fr->raw) {
        p = fr->raw + fr->hdr_len;
    } else {
        /* Only user text frames are loaded; the walk bounded n by the tag. */
        int lrc = src_dup(t->src, fr->data_off, n, AIM_MAX_META_BYTES, &loaded);
        if (lrc)
            return lrc;
        p = loaded;
    }
    p += skip;
    n -= skip;

    /* Cheap test of the description before copying anything. Unsync can
     * only shorten text, so an undone description is never longer. */
    int enc = p[0];
    size_t dlen = enc > 3 ? SIZE_MAX : text_len(enc, p + 1, n - 1);
    if (dlen > 64) {
        free(loaded);
        return 0; /* not "AIGC", or no terminator: no value to report */
    }

    uint8_t *copy = NULL;
    if (unsync) {
        copy = malloc(n); /* n <= the tag body, already bounded by AIM_MAX_META_BYTES */
        if (!copy) {
            free(loaded);
            return AIM_ERR_NOMEM;
        }
        memcpy(copy, p, n);
        n = unsync_undo(copy, n);
        p = copy;
        dlen = text_len(enc, p + 1, n - 1);
        if (dlen == SIZE_MAX) {
            free(copy);
            free(loaded);
            return 0;
        }
    }
    int rc = 0;
    aim_buf desc = AIM_BUF_INIT;
    desc.limit = 256;
    decode_text(enc, p + 1, dlen, &desc);
    if (desc.err) {
        rc = desc.err == AIM_ERR_NOMEM ? AIM_ERR_NOMEM : 0;
    } else if (desc.len == 4 && (desc.p[0] | 0x20) == 'a' && (desc.p[1] | 0x20) == 'i' &&
               (desc.p[2] | 0x20) == 'g' && (desc.p[3] | 0x20) == 'c') {
        rc = 1;
        if (value) {
            size_t term = (enc == 1 || enc == 2) ? 2 : 1;
            size_t voff = 1 + dlen + term;
            size_t vlen = 0;
            if (voff < n) {
                vlen = n - voff;
                if (term == 2)
                    vlen &= ~(size_t)1;
                /* Strip one trailing terminator. */
                if (vlen >= term && p[voff + vlen - 1] == 0 && p[voff + vlen - term] == 0)
                    vlen -= term;
            }
            decode_text(enc, p + voff, vlen, value);
            if (value->err)
                rc = value->err;
        }
    }
    buf_free(&desc);
    free(copy);
    free(loaded);
    return rc;
}

static const char *tag_location(const id3_tag *t)
{
    switch (t->ver) {
    case 2:
        return "id3v2.2:TXX:AIGC";
    case 3:
        return "id3v2.3:TXXX:AIGC";
    default:
        return "id3v2.4:TXXX:AIGC";
    }
}

/* ---- probe ------------------------------------------------------------------ */

static int mp3_probe(const uint8_t *head, size_t n)
{
    if (n >= ID3_HEADER && id3_header_ok(head))
        return 1;
    if (n < 4)
        return 0;
    uint32_t len = mpeg_frame_len(head);
    if (len == 0)
        return 0;
    /* Confirm with the next frame header when the probe bytes hold it:
     * same version, layer and sample rate. */
    if (n >= (size_t)len + 4) {
        const uint8_t *q = head + len;
        if (mpeg_frame_len(q) == 0 || (q[1] & 0xFE) != (head[1] & 0xFE) ||
            (q[2] & 0x0C) != (head[2] & 0x0C))
            return 0;
    }
    return 1;
}

/* ---- read ------------------------------------------------------------------- */

typedef struct read_ctx {
    meta_found *found;
    aim_diag *diag;
} read_ctx;

static int read_frame(void *vctx, const id3_tag *t, const id3_frame *fr)
{
    read_ctx *c = vctx;
    aim_buf v = AIM_BUF_INIT;
    v.limit = AIM_MAX_LABEL_TEXT;
    int rc = frame_aigc(t, fr, &v);
    if (rc == 1)
        rc = found_label(c->found, tag_location(t), v.p ? (const char *)v.p : "", v.len);
    buf_free(&v);
    if (rc < 0)
        return diag_fail(c->diag, rc, "mp3: cannot read the AIGC frame (%s)", aim_strerror(rc));
    return AIM_OK;
}

static int mp3_read(const aim_src *src, meta_found *found, aim_diag *diag)
{
    found->format = AIM_FORMAT_MP3;
    read_ctx c = {found, diag};
    uint64_t off = 0;
    for (unsigned i = 0; i < AIM_MAX_ITEMS; i++) {
        id3_tag t;
        int rc = tag_load(src, off, &t, 1, diag);
        if (rc <= 0)
            return rc;
        rc = walk_frames(&t, read_frame, &c, diag);
        off = t.off + t.total;
        tag_free(&t);
        if (rc)
            return rc;
    }
    return diag_fail(diag, AIM_ERR_LIMIT, "mp3: more than %u ID3v2 tags", AIM_MAX_ITEMS);
}

/* ---- write ------------------------------------------------------------------ */

typedef struct rebuild_ctx {
    aim_buf *frames; /* kept frames, then the new one */
    unsigned dropped;
} rebuild_ctx;

static int keep_frame(void *vctx, const id3_tag *t, const id3_frame *fr)
{
    rebuild_ctx *c = vctx;
    int rc = frame_aigc(t, fr, NULL);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        c->dropped++;
        return AIM_OK;
    }
    return buf_put(c->frames, fr->raw, fr->raw_len);
}

static int count_frame(void *vctx, const id3_tag *t, const id3_frame *fr)
{
    int rc = frame_aigc(t, fr, NULL);
    if (rc == 1)
        ++*(unsigned *)vctx;
    return rc < 0 ? rc : AIM_OK;
}

/* Append the new label frame for a tag of version ver. */
static void put_label_frame(aim_buf *b, int ver, const meta_write_req *req)
{
    uint32_t size = (uint32_t)(1 + 5 + req->json_len);
    uint8_t h[10];
    if (ver == 2) {
        memcpy(h, "TXX", 3);
        h[3] = (uint8_t)(size >> 16);
        h[4] = (uint8_t)(size >> 8);
        h[5] = (uint8_t)size;
        buf_put(b, h, 6);
    } else {
        memcpy(h, "TXXX", 4);
        if (ver == 3)
            wr_be32(h + 4, size);
        else
            wr_syncsafe(h + 4, size);
        h[8] = h[9] = 0;
        buf_put(b, h, 10);
    }
    buf_putc(b, 0); /* ISO-8859-1: the label is printable ASCII */
    buf_put(b, "AIGC", 5);
    buf_put(b, req->json, req->json_len);
}

/* Write the tag header and frames, padded to the old size when they fit. */
static int emit_tag(aim_sink *out, int ver, int rev, int flags, const aim_buf *frames,
                    uint64_t room, aim_diag *diag)
{
    uint64_t size = room;
    if (frames->len > room)
        size = (uint64_t)frames->len + ID3_GROW_PADDING;
    if (size > ID3_MAX_SIZE)
        return diag_fail(diag, AIM_ERR_TOO_LARGE, "mp3: the ID3v2 tag would exceed 256 MiB");
    uint8_t h[ID3_HEADER] = {'I', 'D', '3', (uint8_t)ver, (uint8_t)rev, (uint8_t)flags};
    wr_syncsafe(h + 6, (uint32_t)size);
    sink_write(out, h, sizeof h);
    sink_write(out, frames->p, frames->len);
    static const uint8_t zeros[1024];
    for (uint64_t pad = size - frames->len; pad > 0;) {
        size_t k = pad < sizeof zeros ? (size_t)pad : sizeof zeros;
        sink_write(out, zeros, k);
        pad -= k;
    }
    return out->err;
}

/*
 * Rewrite tag t without its AIGC frames, adding the new one when `req` is
 * not NULL. Other frames are kept byte for byte. The extended header is
 * dropped (its CRC and restrictions would describe the old frames), a v2.4
 * footer is dropped (it forbids padding; at the file start it serves no
 * purpose) and whole-tag unsynchronisation is not re-applied (the frames
 * are written as undone, so the flag is cleared). The tag keeps its total
 * size when the frames fit, so the audio stays where it was.
 */
static int rebuild_tag(const id3_tag *t, const meta_write_req *req, aim_sink *out, aim_diag *diag)
{
    aim_buf frames = AIM_BUF_INIT;
    frames.limit = (size_t)AIM_MAX_META_BYTES * 2;
    rebuild_ctx c = {&frames, 0};
    int rc = walk_frames(t, keep_frame, &c, diag);
    if (rc == AIM_OK && req)
        put_label_frame(&frames, t->ver, req);
    if (rc == AIM_OK && frames.err)
        rc = diag_fail(diag, frames.err, "mp3: cannot build the ID3v2 tag");
    if (rc == AIM_OK) {
        int flags = t->flags;
        if (t->ver < 4)
            flags &= ~ID3_F_UNSYNC;
        if (t->ver >= 3)
            flags &= ~ID3_F_EXTHDR;
        if (t->ver == 4)
            flags &= ~ID3_F_FOOTER;
        rc = emit_tag(out, t->ver, t->rev, flags, &frames, t->total - ID3_HEADER, diag);
    }
    buf_free(&frames);
    if (rc) /* keeps a more precise message set earlier */
        rc = diag_fail(diag, rc, "mp3: cannot rebuild the ID3v2 tag at offset %llu",
                       (unsigned long long)t->off);
    return rc;
}

static int mp3_write(const aim_src *src, const meta_write_req *req, aim_sink *out, aim_diag *diag)
{
    if (req->json_len > AIM_MAX_LABEL_TEXT)
        return diag_fail(diag, AIM_ERR_TOO_LARGE, "mp3: label too large");
    uint64_t off = 0;
    int placed = 0;
    for (unsigned i = 0;; i++) {
        if (i >= AIM_MAX_ITEMS)
            return diag_fail(diag, AIM_ERR_LIMIT, "mp3: more than %u ID3v2 tags", AIM_MAX_ITEMS);
        id3_tag t;
        int rc = tag_load(src, off, &t, 0, diag);
        if (rc < 0)
            return rc;
        if (i == 0 && (rc == 0 || !t.parseable)) {
            /* No tag that can take the label: put a new ID3v2.3 tag first. */
            aim_buf frames = AIM_BUF_INIT;
            put_label_frame(&frames, 3, req);
            int erc = frames.err ? frames.err : emit_tag(out, 3, 0, 0, &frames, 0, diag);
            buf_free(&frames);
            if (erc) {
                tag_free(&t);
                return erc;
            }
            placed = 1;
        }
        if (rc == 0)
            break;
        if (!placed && t.parseable) {
            rc = rebuild_tag(&t, req, out, diag);
            placed = 1;
        } else {
            unsigned n = 0;
            rc = walk_frames(&t, count_frame, &n, diag);
            if (rc == AIM_OK)
                rc = n ? rebuild_tag(&t, NULL, out, diag) : sink_copy(out, src, t.off, t.total);
        }
        off = t.off + t.total;
        tag_free(&t);
        if (rc)
            return rc;
    }
    /* The audio and anything after it (ID3v1, APE), unchanged. */
    sink_copy(out, src, off, src->size - off);
    if (out->err)
        return diag_fail(diag, out->err, "mp3: cannot write the output");
    return AIM_OK;
}

const container_handler mp3_handler = {AIM_FORMAT_MP3, mp3_probe, mp3_read, mp3_write};
