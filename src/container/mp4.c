/*
 * MP4 / M4A / MOV (ISO BMFF and QuickTime).
 *
 * The label lives in moov/udta/meta (handler 'mdta'): the key "AIGC"
 * (namespace 'mdta') in `keys`, and its value in the `ilst` item whose type
 * is the key's 1-based index, as a `data` box of type 1 (UTF-8), locale 0.
 * That is exactly what `ffmpeg -metadata AIGC=... -movflags
 * use_metadata_tags` writes.
 *
 * Reading also reports, each as its own carrier: AIGC keys in moov/meta
 * (where ExifTool's -Keys:AIGC writes, as "com.apple.quicktime.AIGC"), and
 * TC260:AIGC in XMP (top-level uuid box BE7ACFCB-... or moov/udta/XMP_).
 *
 * Writing rebuilds only moov in memory (bounded by AIM_MAX_META_BYTES) and
 * streams every other top-level box unchanged with sink_copy():
 *  - the first udta gets the label in its first 'mdta' meta (created when
 *    absent, next to any other meta such as an iTunes 'mdir' one, which is
 *    kept byte-exact); AIGC keys anywhere else in moov are removed, with
 *    the remaining ilst items renumbered; an XMP_ box carrying a TC260
 *    label is dropped and a top-level XMP uuid box carrying one becomes a
 *    `free` box of the same size (no offsets move);
 *  - if moov grows or shrinks and media follow it, a `free`/`skip` box
 *    right after moov absorbs the change when it can (or a new `free` pads
 *    a shrink); otherwise every stco/co64 entry pointing past moov is
 *    shifted. Fragmented files and files with an iloc whose data would
 *    move are refused rather than broken.
 */
#include <stdlib.h>
#include <string.h>

#include "container/handler.h"
#include "container/xmp.h"
#include "core/bytes.h"

#define LOC_UDTA "mp4:udta/meta/keys:AIGC"
#define LOC_MOOV "mp4:meta/keys:AIGC"
#define LOC_XMP "mp4:xmp:TC260:AIGC"

static const uint8_t XMP_UUID[16] = {0xBE, 0x7A, 0xCF, 0xCB, 0x97, 0xA9, 0x42, 0xE8,
                                     0x9C, 0x71, 0x99, 0x94, 0x91, 0xE3, 0xAF, 0xAC};

typedef struct mp4_box {
    uint64_t off;  /* header position: in the file, or in a memory buffer */
    uint64_t size; /* whole box, header included */
    uint32_t hdr;  /* header bytes: 8, or 16 with a 64-bit size */
    char type[5];  /* printable copy for messages and comparisons */
} mp4_box;

static void set_type(mp4_box *b, const uint8_t *t)
{
    for (int i = 0; i < 4; i++)
        b->type[i] = (t[i] >= 0x20 && t[i] < 0x7f) ? (char)t[i] : '?';
    b->type[4] = 0;
}

static int is_type(const mp4_box *b, const char *t) { return memcmp(b->type, t, 4) == 0; }

/* ---- walking boxes in memory --------------------------------------------- */

typedef struct kids {
    const uint8_t *p;
    size_t pos, end;
    unsigned n;
    const char *parent; /* for messages */
} kids;

static void kids_init(kids *k, const uint8_t *p, size_t start, size_t end, const char *parent)
{
    k->p = p;
    k->pos = start;
    k->end = end;
    k->n = 0;
    k->parent = parent;
}

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/*
 * Next child box: 1 and *b filled, 0 at the end (fewer than 8 bytes left,
 * or only zero bytes: QuickTime's 32-bit 0 terminator / padding; those bytes
 * stay at k->pos..k->end), or a negative error.
 */
static int kids_next(kids *k, mp4_box *b, aim_diag *diag)
{
    size_t left = k->end - k->pos;
    const uint8_t *h = k->p + k->pos;
    if (left < 8 || (rd_be32(h) == 0 && all_zero(h, left)))
        return 0;
    if (++k->n > AIM_MAX_ITEMS)
        return diag_fail(diag, AIM_ERR_LIMIT, "mp4: more than %u boxes in %s", AIM_MAX_ITEMS,
                         k->parent);
    set_type(b, h + 4);
    uint64_t size = rd_be32(h);
    uint32_t hdr = 8;
    if (size == 1) {
        if (left < 16)
            return diag_fail(diag, AIM_ERR_CORRUPT, "mp4: box '%s' in %s: 64-bit size cut off",
                             b->type, k->parent);
        size = rd_be64(h + 8);
        hdr = 16;
    } else if (size == 0) {
        return diag_fail(diag, AIM_ERR_CORRUPT,
                         "mp4: box '%s' in %s has size 0 (to end of file), only allowed at top level",
                         b->type, k->parent);
    }
    if (size < hdr)
        return diag_fail(diag, AIM_ERR_CORRUPT, "mp4: box '%s' in %s has impossible size %llu",
                         b->type, k->parent, (unsigned long long)size);
    if (size > left)
        return diag_fail(diag, AIM_ERR_CORRUPT,
                         "mp4: box '%s' in %s claims %llu bytes, only %zu left in its parent",
                         b->type, k->parent, (unsigned long long)size, left);
    b->off = k->pos;
    b->size = size;
    b->hdr = hdr;
    k->pos += (size_t)size;
    return 1;
}

/* ---- walking top-level boxes in the file --------------------------------- */

/*
 * Top-level box at *off: 1 and *b filled (off advanced), 0 when fewer than
 * 8 bytes are left (trailing bytes are tolerated and kept), or an error.
 */
static int top_next(const aim_src *src, uint64_t *off, unsigned *n, mp4_box *b, aim_diag *diag)
{
    uint64_t left = src->size - *off;
    if (left < 8)
        return 0;
    if (++*n > AIM_MAX_ITEMS)
        return diag_fail(diag, AIM_ERR_LIMIT, "mp4: more than %u top-level boxes", AIM_MAX_ITEMS);
    uint8_t h[16];
    int rc = src_read(src, *off, h, left < 16 ? (size_t)left : 16);
    if (rc)
        return diag_fail(diag, rc, "mp4: cannot read box header at %llu", (unsigned long long)*off);
    set_type(b, h + 4);
    uint64_t size = rd_be32(h);
    uint32_t hdr = 8;
    if (size == 1) {
        if (left < 16)
            return diag_fail(diag, AIM_ERR_TRUNCATED, "mp4: box '%s' at %llu: 64-bit size cut off",
                             b->type, (unsigned long long)*off);
        size = rd_be64(h + 8);
        hdr = 16;
    } else if (size == 0) {
        size = left; /* extends to the end of the file: necessarily the last box */
    }
    if (size < hdr)
        return diag_fail(diag, AIM_ERR_CORRUPT, "mp4: box '%s' at %llu has impossible size %llu",
                         b->type, (unsigned long long)*off, (unsigned long long)size);
    if (size > left)
        return diag_fail(diag, AIM_ERR_TRUNCATED,
                         "mp4: box '%s' at %llu claims %llu bytes, only %llu left in the file",
                         b->type, (unsigned long long)*off, (unsigned long long)size,
                         (unsigned long long)left);
    b->off = *off;
    b->size = size;
    b->hdr = hdr;
    *off += size;
    return 1;
}

/* ---- meta / keys / ilst -------------------------------------------------- */

typedef struct meta_view {
    size_t body, end; /* children, absolute offsets in the buffer */
    int full;         /* ISO FullBox: 4 bytes version/flags before the children */
    int has_hdlr, has_keys, has_ilst;
    uint8_t handler[4];
    mp4_box keys, ilst; /* absolute offsets */
} meta_view;

/*
 * `meta` is a FullBox in ISO files but a plain container in QuickTime ones:
 * tell them apart by where the first child's type ('hdlr') sits, else by a
 * zero first word (a plain container's first word is a child size, never 0).
 */
static int meta_parse(const uint8_t *p, const mp4_box *m, meta_view *v, aim_diag *diag)
{
    memset(v, 0, sizeof *v);
    const uint8_t *pl = p + m->off + m->hdr;
    size_t len = (size_t)(m->size - m->hdr);
    if (len >= 8 && memcmp(pl + 4, "hdlr", 4) == 0)
        v->full = 0;
    else if (len >= 12 && memcmp(pl + 8, "hdlr", 4) == 0)
        v->full = 1;
    else
        v->full = len >= 4 && rd_be32(pl) == 0;
    v->body = (size_t)(m->off + m->hdr) + (v->full ? 4 : 0);
    v->end = (size_t)(m->off + m->size);
    kids k;
    kids_init(&k, p, v->body, v->end, "meta");
    mp4_box b;
    int rc;
    while ((rc = kids_next(&k, &b, diag)) == 1) {
        if (is_type(&b, "hdlr") && !v->has_hdlr) {
            if (b.size - b.hdr >= 12) {
                memcpy(v->handler, p + b.off + b.hdr + 8, 4);
                v->has_hdlr = 1;
            }
        } else if (is_type(&b, "keys")) {
            if (v->has_keys)
                return diag_fail(diag, AIM_ERR_CORRUPT, "mp4: meta holds more than one keys box");
            v->keys = b;
            v->has_keys = 1;
        } else if (is_type(&b, "ilst")) {
            if (v->has_ilst)
                return diag_fail(diag, AIM_ERR_CORRUPT, "mp4: meta holds more than one ilst box");
            v->ilst = b;
            v->has_ilst = 1;
        }
    }
    return rc;
}

typedef struct key_ent {
    size_t off;    /* entry start (its size field), absolute */
    uint32_t size; /* whole entry */
    int aigc;
} key_ent;

static int is_aigc_key(const uint8_t *ns, const uint8_t *name, size_t n)
{
    static const char apple[] = "com.apple.quicktime.AIGC";
    if (memcmp(ns, "mdta", 4) != 0)
        return 0;
    return (n == 4 && memcmp(name, "AIGC", 4) == 0) ||
           (n == sizeof apple - 1 && memcmp(name, apple, n) == 0);
}

/* Parse a keys box into a new array of *count entries (NULL when 0). */
static int keys_parse(const uint8_t *p, const mp4_box *kb, key_ent **out, uint32_t *count,
                      aim_diag *diag)
{
    *out = NULL;
    *count = 0;
    size_t pos = (size_t)(kb->off + kb->hdr), end = (size_t)(kb->off + kb->size);
    if (end - pos < 8)
        return diag_fail(diag, AIM_ERR_CORRUPT, "mp4: keys box too short");
    uint32_t n = rd_be32(p + pos + 4);
    pos += 8;
    if (n > AIM_MAX_ITEMS)
        return diag_fail(diag, AIM_ERR_LIMIT, "mp4: keys box lists %u keys", n);
    if ((uint64_t)n * 8 > end - pos)
        return diag_fail(diag, AIM_ERR_CORRUPT,
                         "mp4: keys box lists %u keys but holds only %zu bytes", n, end - pos);
    if (n == 0)
        return AIM_OK;
    key_ent *e = calloc(n, sizeof *e);
    if (!e)
        return AIM_ERR_NOMEM;
    for (uint32_t i = 0; i < n; i++) {
        if (end - pos < 8) {
            free(e);
            return diag_fail(diag, AIM_ERR_CORRUPT, "mp4: keys entry %u cut off", i + 1);
        }
        uint32_t sz = rd_be32(p + pos);
        if (sz < 8 || sz > end - pos) {
            free(e);
            return diag_fail(diag, AIM_ERR_CORRUPT, "mp4: keys entry %u has bad size %u", i + 1, sz);
        }
        e[i].off = pos;
        e[i].size = sz;
        e[i].aigc = is_aigc_key(p + pos + 4, p + pos + 8, sz - 8);
        pos += sz;
    }
    *out = e;
    *count = n;
    return AIM_OK;
}

/* The first `data` box of a text type in an ilst item: payload after type+locale. */
static int item_text(const uint8_t *p, const mp4_box *item, size_t *off, size_t *len, aim_diag *diag)
{
    kids k;
    kids_init(&k, p, (size_t)(item->off + item->hdr), (size_t)(item->off + item->size), "ilst item");
    mp4_box d;
    int rc;
    while ((rc = kids_next(&k, &d, diag)) == 1) {
        if (!is_type(&d, "data") || d.size - d.hdr < 8)
            continue;
        const uint8_t *pl = p + d.off + d.hdr;
        uint32_t t = rd_be32(pl);
        if (t == 0 || t == 1) { /* implicit / UTF-8 */
            *off = (size_t)(d.off + d.hdr + 8);
            *len = (size_t)(d.size - d.hdr - 8);
            return 1;
        }
    }
    return rc;
}

/* Number of AIGC keys in a meta box (0 when it has no keys). */
static int meta_aigc_keys(const uint8_t *p, const meta_view *v, unsigned *n, aim_diag *diag)
{
    *n = 0;
    if (!v->has_keys)
        return AIM_OK;
    key_ent *e;
    uint32_t cnt;
    int rc = keys_parse(p, &v->keys, &e, &cnt, diag);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < cnt; i++)
        *n += e[i].aigc != 0;
    free(e);
    return AIM_OK;
}

/* Report every AIGC value of a meta box's keys/ilst. */
static int meta_report(const uint8_t *p, const mp4_box *m, const char *loc, meta_found *f,
                       aim_diag *diag)
{
    meta_view v;
    int rc = meta_parse(p, m, &v, diag);
    if (rc || !v.has_keys || !v.has_ilst)
        return rc;
    key_ent *e;
    uint32_t cnt;
    rc = keys_parse(p, &v.keys, &e, &cnt, diag);
    if (rc || cnt == 0)
        return rc;
    kids k;
    kids_init(&k, p, (size_t)(v.ilst.off + v.ilst.hdr), (size_t)(v.ilst.off + v.ilst.size), "ilst");
    mp4_box it;
    while ((rc = kids_next(&k, &it, diag)) == 1) {
        uint32_t idx = rd_be32(p + it.off + 4);
        if (idx == 0 || idx > cnt || !e[idx - 1].aigc)
            continue;
        size_t off, len;
        rc = item_text(p, &it, &off, &len, diag);
        if (rc < 0)
            break;
        if (rc == 1) {
            rc = found_label(f, loc, p + off, len);
            if (rc) {
                rc = diag_fail(diag, rc, "mp4: AIGC value of %zu bytes is too large", len);
                break;
            }
        }
    }
    free(e);
    return rc < 0 ? rc : AIM_OK;
}

/*
 * Scan an XMP packet for TC260:AIGC. The XMP module's verdict on a broken
 * packet is not this format's business: only out-of-memory is fatal.
 */
static int xmp_scan(const uint8_t *x, size_t n, meta_found *f)
{
    int rc = xmp_read((const char *)x, n, LOC_XMP, f, NULL);
    return rc == AIM_ERR_NOMEM ? rc : AIM_OK;
}

/* 1 if the XMP packet carries a TC260 label, 0 if not, or an error. */
static int xmp_has_label(const uint8_t *x, size_t n)
{
    meta_found tmp;
    memset(&tmp, 0, sizeof tmp);
    int rc = xmp_scan(x, n, &tmp);
    unsigned c = tmp.count;
    found_clear(&tmp);
    return rc ? rc : c > 0;
}

/* A top-level uuid box holding XMP: 1 with its packet in *x (caller frees), else 0. */
static int uuid_xmp(const aim_src *src, const mp4_box *b, uint8_t **x, size_t *n, aim_diag *diag)
{
    *x = NULL;
    if (!is_type(b, "uuid") || b->size - b->hdr < 16)
        return 0;
    uint8_t id[16];
    int rc = src_read(src, b->off + b->hdr, id, 16);
    if (rc)
        return diag_fail(diag, rc, "mp4: cannot read uuid box");
    if (memcmp(id, XMP_UUID, 16) != 0)
        return 0;
    uint64_t len = b->size - b->hdr - 16;
    rc = src_dup(src, b->off + b->hdr + 16, len, AIM_MAX_META_BYTES, x);
    if (rc)
        return diag_fail(diag, rc, "mp4: cannot load XMP uuid box of %llu bytes",
                         (unsigned long long)len);
    *n = (size_t)len;
    return 1;
}

/* ---- probe and read ------------------------------------------------------ */

static int mp4_probe(const uint8_t *h, size_t n)
{
    if (n < 8)
        return 0;
    uint32_t size = rd_be32(h);
    const uint8_t *t = h + 4;
    if (fourcc_is(t, "ftyp"))
        return size >= 16 && size <= 4096;
    static const char *const plain[] = {"moov", "mdat", "free", "skip", "wide", "pnot"};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (fourcc_is(t, plain[i]))
            return size == 0 || size == 1 || size >= 8;
    return 0;
}

/* Load the payload of moov (header included) into memory. */
static int moov_load(const aim_src *src, const mp4_box *moov, uint8_t **p, aim_diag *diag)
{
    int rc = src_dup(src, moov->off, moov->size, AIM_MAX_META_BYTES, p);
    if (rc)
        return diag_fail(diag, rc, "mp4: cannot load moov box of %llu bytes",
                         (unsigned long long)moov->size);
    return AIM_OK;
}

static int moov_read(const uint8_t *p, const mp4_box *moov, meta_found *f, aim_diag *diag)
{
    /* Reading order: udta/meta (the TC260 place), moov/meta, udta/XMP_. */
    for (int pass = 0; pass < 3; pass++) {
        kids k;
        kids_init(&k, p, moov->hdr, (size_t)moov->size, "moov");
        mp4_box b;
        int rc;
        while ((rc = kids_next(&k, &b, diag)) == 1) {
            if (pass == 1 && is_type(&b, "meta")) {
                rc = meta_report(p, &b, LOC_MOOV, f, diag);
            } else if (pass != 1 && is_type(&b, "udta")) {
                kids u;
                kids_init(&u, p, (size_t)(b.off + b.hdr), (size_t)(b.off + b.size), "udta");
                mp4_box c;
                while ((rc = kids_next(&u, &c, diag)) == 1) {
                    if (pass == 0 && is_type(&c, "meta"))
                        rc = meta_report(p, &c, LOC_UDTA, f, diag);
                    else if (pass == 2 && is_type(&c, "XMP_"))
                        rc = xmp_scan(p + c.off + c.hdr, (size_t)(c.size - c.hdr), f);
                    if (rc < 0)
                        return rc;
                }
            }
            if (rc < 0)
                return rc;
        }
        if (rc < 0)
            return rc;
    }
    return AIM_OK;
}

static int mp4_read(const aim_src *src, meta_found *f, aim_diag *diag)
{
    f->format = AIM_FORMAT_MP4;
    uint64_t off = 0;
    unsigned n = 0;
    mp4_box b, moov;
    int rc, have_moov = 0;
    while ((rc = top_next(src, &off, &n, &b, diag)) == 1) {
        if (is_type(&b, "moov")) {
            if (have_moov)
                return diag_fail(diag, AIM_ERR_CORRUPT, "mp4: more than one moov box");
            moov = b;
            have_moov = 1;
        }
    }
    if (rc < 0)
        return rc;
    if (have_moov) {
        uint8_t *p;
        rc = moov_load(src, &moov, &p, diag);
        if (rc)
            return rc;
        mp4_box m = moov;
        m.off = 0;
        rc = moov_read(p, &m, f, diag);
        free(p);
        if (rc)
            return rc;
    }
    /* Top-level XMP comes last in reading order. */
    off = 0;
    n = 0;
    while ((rc = top_next(src, &off, &n, &b, diag)) == 1) {
        uint8_t *x;
        size_t xn;
        int u = uuid_xmp(src, &b, &x, &xn, diag);
        if (u < 0)
            return u;
        if (u == 1) {
            rc = xmp_scan(x, xn, f);
            free(x);
            if (rc)
                return rc;
        }
    }
    return rc;
}

/* ---- building boxes ------------------------------------------------------ */

/* Start a box with a 32-bit size patched by box_end(); returns its position. */
static size_t box_begin(aim_buf *o, const char *type)
{
    size_t at = o->len;
    buf_be32(o, 0);
    buf_put(o, type, 4);
    return at;
}

static void box_end(aim_buf *o, size_t at)
{
    if (o->err)
        return;
    size_t len = o->len - at;
    if (len > UINT32_MAX) { /* cannot happen under AIM_MAX_META_BYTES; be safe */
        o->err = AIM_ERR_LIMIT;
        return;
    }
    wr_be32(o->p + at, (uint32_t)len);
}

static void put_item(aim_buf *o, uint32_t index, const meta_write_req *req)
{
    uint8_t type[4];
    wr_be32(type, index);
    size_t it = o->len;
    buf_be32(o, 0);
    buf_put(o, type, 4);
    size_t d = box_begin(o, "data");
    buf_be32(o, 1); /* well-known type 1: UTF-8 */
    buf_be32(o, 0); /* locale: default */
    buf_put(o, req->json, req->json_len);
    box_end(o, d);
    box_end(o, it);
}

static void put_aigc_key(aim_buf *o)
{
    buf_be32(o, 12);
    buf_put(o, "mdtaAIGC", 8);
}

/* A fresh ISO meta box (handler 'mdta') holding only the label. */
static void put_new_meta(aim_buf *o, const meta_write_req *req)
{
    size_t m = box_begin(o, "meta");
    buf_be32(o, 0); /* version/flags */
    size_t h = box_begin(o, "hdlr");
    buf_be32(o, 0); /* version/flags */
    buf_be32(o, 0); /* pre_defined */
    buf_put(o, "mdta", 4);
    buf_zero(o, 12); /* reserved */
    buf_putc(o, 0);  /* empty name */
    box_end(o, h);
    size_t k = box_begin(o, "keys");
    buf_be32(o, 0);
    buf_be32(o, 1);
    put_aigc_key(o);
    box_end(o, k);
    size_t l = box_begin(o, "ilst");
    put_item(o, 1, req);
    box_end(o, l);
    box_end(o, m);
}

/* Copy a child box byte for byte. */
static void put_verbatim(aim_buf *o, const uint8_t *p, const mp4_box *b)
{
    buf_put(o, p + b->off, (size_t)b->size);
}

/*
 * Re-emit a meta box without its AIGC keys (remaining ilst items are
 * renumbered; items naming no key are dropped) and, when `req` is set,
 * with the label added as the last key. Other children stay byte-exact.
 */
static int meta_rebuild(const uint8_t *p, const mp4_box *m, const meta_view *v,
                        const meta_write_req *req, aim_buf *o, aim_diag *diag)
{
    key_ent *e = NULL;
    uint32_t cnt = 0, kept = 0;
    int rc = AIM_OK;
    if (v->has_keys && (rc = keys_parse(p, &v->keys, &e, &cnt, diag)) != AIM_OK)
        return rc;
    uint32_t *map = calloc((size_t)cnt + 1, sizeof *map);
    if (!map) {
        free(e);
        return AIM_ERR_NOMEM;
    }
    for (uint32_t i = 0; i < cnt; i++)
        map[i + 1] = e[i].aigc ? 0 : ++kept;
    uint32_t label_index = kept + 1;

    size_t at = box_begin(o, "meta");
    if (v->full)
        buf_put(o, p + m->off + m->hdr, 4);
    int keys_done = 0, ilst_done = 0;
    kids k;
    kids_init(&k, p, v->body, v->end, "meta");
    mp4_box b;
    while ((rc = kids_next(&k, &b, diag)) == 1) {
        int is_keys = is_type(&b, "keys"), is_ilst = is_type(&b, "ilst");
        if ((is_keys || is_ilst) && !keys_done) {
            size_t kb = box_begin(o, "keys");
            if (v->has_keys)
                buf_put(o, p + v->keys.off + v->keys.hdr, 4); /* version/flags */
            else
                buf_be32(o, 0);
            buf_be32(o, kept + (req ? 1 : 0));
            for (uint32_t i = 0; i < cnt; i++)
                if (!e[i].aigc)
                    buf_put(o, p + e[i].off, e[i].size);
            if (req)
                put_aigc_key(o);
            box_end(o, kb);
            keys_done = 1;
        }
        if (is_ilst) {
            size_t lb = box_begin(o, "ilst");
            kids it;
            kids_init(&it, p, (size_t)(b.off + b.hdr), (size_t)(b.off + b.size), "ilst");
            mp4_box item;
            while ((rc = kids_next(&it, &item, diag)) == 1) {
                uint32_t idx = rd_be32(p + item.off + 4);
                if (idx == 0 || idx > cnt || map[idx] == 0)
                    continue;
                buf_be32(o, (uint32_t)(item.size - item.hdr + 8));
                buf_be32(o, map[idx]);
                buf_put(o, p + item.off + item.hdr, (size_t)(item.size - item.hdr));
            }
            if (rc < 0)
                break;
            if (req)
                put_item(o, label_index, req);
            box_end(o, lb);
            ilst_done = 1;
        } else if (!is_keys) {
            put_verbatim(o, p, &b);
        }
    }
    if (rc >= 0 && req) {
        if (!keys_done) {
            size_t kb = box_begin(o, "keys");
            buf_be32(o, 0);
            buf_be32(o, 1);
            put_aigc_key(o);
            box_end(o, kb);
        }
        if (!ilst_done) {
            size_t lb = box_begin(o, "ilst");
            put_item(o, label_index, req);
            box_end(o, lb);
        }
    }
    if (rc >= 0)
        buf_put(o, p + k.pos, k.end - k.pos); /* QuickTime terminator, if any */
    box_end(o, at);
    free(map);
    free(e);
    return rc < 0 ? rc : o->err;
}

/* Re-emit a meta box without AIGC keys, or verbatim when it has none. */
static int meta_strip(const uint8_t *p, const mp4_box *m, aim_buf *o, aim_diag *diag)
{
    meta_view v;
    unsigned n;
    int rc = meta_parse(p, m, &v, diag);
    if (rc == AIM_OK)
        rc = meta_aigc_keys(p, &v, &n, diag);
    if (rc)
        return rc;
    if (n == 0) {
        put_verbatim(o, p, m);
        return o->err;
    }
    return meta_rebuild(p, m, &v, NULL, o, diag);
}

/* Re-emit udta: AIGC removed everywhere; with `req`, the label added. */
static int udta_rebuild(const uint8_t *p, const mp4_box *u, const meta_write_req *req, aim_buf *o,
                        aim_diag *diag)
{
    size_t at = box_begin(o, "udta");
    int added = 0;
    kids k;
    kids_init(&k, p, (size_t)(u->off + u->hdr), (size_t)(u->off + u->size), "udta");
    mp4_box b;
    int rc;
    while ((rc = kids_next(&k, &b, diag)) == 1) {
        if (is_type(&b, "meta")) {
            meta_view v;
            if ((rc = meta_parse(p, &b, &v, diag)) != AIM_OK)
                return rc;
            if (req && !added && v.has_hdlr && memcmp(v.handler, "mdta", 4) == 0) {
                rc = meta_rebuild(p, &b, &v, req, o, diag);
                added = 1;
            } else {
                rc = meta_strip(p, &b, o, diag);
            }
        } else if (is_type(&b, "XMP_")) {
            rc = xmp_has_label(p + b.off + b.hdr, (size_t)(b.size - b.hdr));
            if (rc == 0)
                put_verbatim(o, p, &b);
        } else {
            put_verbatim(o, p, &b);
            rc = 0;
        }
        if (rc < 0)
            return rc;
    }
    if (rc < 0)
        return rc;
    if (req && !added)
        put_new_meta(o, req);
    buf_put(o, p + k.pos, k.end - k.pos);
    box_end(o, at);
    return o->err;
}

/* Build the new moov from the old one (p, whole box at offset 0). */
static int moov_rebuild(const uint8_t *p, const mp4_box *moov, const meta_write_req *req,
                        aim_buf *o, int *fragmented, int *has_iloc, aim_diag *diag)
{
    size_t at = box_begin(o, "moov");
    int have_udta = 0;
    kids k;
    kids_init(&k, p, moov->hdr, (size_t)moov->size, "moov");
    mp4_box b;
    int rc;
    while ((rc = kids_next(&k, &b, diag)) == 1) {
        if (is_type(&b, "udta")) {
            rc = udta_rebuild(p, &b, have_udta ? NULL : req, o, diag);
            have_udta = 1;
        } else if (is_type(&b, "meta")) {
            meta_view v;
            rc = meta_parse(p, &b, &v, diag);
            if (rc == AIM_OK) {
                kids c;
                kids_init(&c, p, v.body, v.end, "meta");
                mp4_box cb;
                while ((rc = kids_next(&c, &cb, diag)) == 1)
                    if (is_type(&cb, "iloc"))
                        *has_iloc = 1;
            }
            if (rc >= 0)
                rc = meta_strip(p, &b, o, diag);
        } else {
            if (is_type(&b, "mvex"))
                *fragmented = 1;
            put_verbatim(o, p, &b);
            rc = o->err;
        }
        if (rc < 0)
            return rc;
    }
    if (rc < 0)
        return rc;
    if (!have_udta) {
        size_t u = box_begin(o, "udta");
        put_new_meta(o, req);
        box_end(o, u);
    }
    buf_put(o, p + k.pos, k.end - k.pos);
    box_end(o, at);
    return o->err;
}

/*
 * Add `shift` to every chunk offset (stco/co64 in moov/trak/mdia/minf/stbl)
 * that points at or past `from` (the old end of moov: the data that moves).
 */
static int shift_offsets(uint8_t *p, size_t start, size_t end, int depth, uint64_t from,
                         int64_t shift, aim_diag *diag)
{
    static const char *const path[] = {"trak", "mdia", "minf", "stbl"};
    kids k;
    kids_init(&k, p, start, end, depth ? path[depth - 1] : "moov");
    mp4_box b;
    int rc;
    while ((rc = kids_next(&k, &b, diag)) == 1) {
        size_t pl = (size_t)(b.off + b.hdr), len = (size_t)(b.size - b.hdr);
        if (depth < 4 && is_type(&b, path[depth])) {
            rc = shift_offsets(p, pl, pl + len, depth + 1, from, shift, diag);
            if (rc)
                return rc;
            continue;
        }
        int is64 = is_type(&b, "co64");
        if (depth != 4 || !(is64 || is_type(&b, "stco")))
            continue;
        if (len < 8)
            return diag_fail(diag, AIM_ERR_CORRUPT, "mp4: %s box too short", b.type);
        uint32_t n = rd_be32(p + pl + 4);
        size_t w = is64 ? 8 : 4;
        if (n > AIM_MAX_ITEMS)
            return diag_fail(diag, AIM_ERR_LIMIT, "mp4: %s lists %u chunks", b.type, n);
        if ((uint64_t)n * w > len - 8)
            return diag_fail(diag, AIM_ERR_CORRUPT,
                             "mp4: %s lists %u chunks but holds only %zu bytes", b.type, n, len - 8);
        uint8_t *q = p + pl + 8;
        for (uint32_t i = 0; i < n; i++, q += w) {
            uint64_t v = is64 ? rd_be64(q) : rd_be32(q);
            if (v < from)
                continue;
            uint64_t nv = v + (uint64_t)shift; /* wraps as intended for a negative shift */
            if (shift > 0 && nv < v)
                return diag_fail(diag, AIM_ERR_UNSUPPORTED, "mp4: co64 entry %u overflows", i + 1);
            if (is64) {
                wr_be64(q, nv);
            } else {
                if (nv > UINT32_MAX)
                    return diag_fail(diag, AIM_ERR_UNSUPPORTED,
                                     "mp4: stco entry %u overflows 32 bits when media move by "
                                     "%lld bytes",
                                     i + 1, (long long)shift);
                wr_be32(q, (uint32_t)nv);
            }
        }
    }
    return rc < 0 ? rc : AIM_OK;
}

/* 1 if a top-level meta box holds an iloc (HEIF-style absolute offsets). */
static int top_meta_iloc(const aim_src *src, const mp4_box *b, aim_diag *diag)
{
    uint8_t *p;
    int rc = src_dup(src, b->off, b->size, AIM_MAX_META_BYTES, &p);
    if (rc)
        return diag_fail(diag, rc, "mp4: cannot load top-level meta box");
    mp4_box m = *b;
    m.off = 0;
    meta_view v;
    rc = meta_parse(p, &m, &v, diag);
    int found = 0;
    if (rc == AIM_OK) {
        kids k;
        kids_init(&k, p, v.body, v.end, "meta");
        mp4_box c;
        while ((rc = kids_next(&k, &c, diag)) == 1)
            found |= is_type(&c, "iloc");
    }
    free(p);
    return rc < 0 ? rc : found;
}

static void put_free_header(uint8_t h[16], uint64_t size, size_t *hn)
{
    if (size <= UINT32_MAX) {
        wr_be32(h, (uint32_t)size);
        memcpy(h + 4, "free", 4);
        *hn = 8;
    } else {
        wr_be32(h, 1);
        memcpy(h + 4, "free", 4);
        wr_be64(h + 8, size);
        *hn = 16;
    }
}

/* Write a `free` box of `size` bytes (size >= 8, or >= 16 above 4 GiB). */
static int sink_free(aim_sink *out, uint64_t size)
{
    uint8_t h[16], z[4096];
    size_t hn;
    put_free_header(h, size, &hn);
    int rc = sink_write(out, h, hn);
    memset(z, 0, sizeof z);
    for (uint64_t left = size - hn; rc == AIM_OK && left;) {
        size_t c = left < sizeof z ? (size_t)left : sizeof z;
        rc = sink_write(out, z, c);
        left -= c;
    }
    return rc;
}

typedef struct layout {
    mp4_box moov, after; /* moov, and the box right after it */
    int have_moov, have_after;
    int moof, iloc;       /* fragments; a top-level meta with iloc */
} layout;

static int mp4_write(const aim_src *src, const meta_write_req *req, aim_sink *out, aim_diag *diag)
{
    layout L;
    memset(&L, 0, sizeof L);
    uint64_t off = 0;
    unsigned n = 0;
    mp4_box b;
    int rc, prev_moov = 0;
    while ((rc = top_next(src, &off, &n, &b, diag)) == 1) {
        if (prev_moov) {
            L.after = b;
            L.have_after = 1;
        }
        prev_moov = 0;
        if (is_type(&b, "moov")) {
            if (L.have_moov)
                return diag_fail(diag, AIM_ERR_CORRUPT, "mp4: more than one moov box");
            L.moov = b;
            L.have_moov = prev_moov = 1;
        } else if (is_type(&b, "moof")) {
            L.moof = 1;
        } else if (is_type(&b, "meta")) {
            int r = top_meta_iloc(src, &b, diag);
            if (r < 0)
                return r;
            L.iloc |= r;
        }
    }
    if (rc < 0)
        return rc;
    if (!L.have_moov)
        return diag_fail(diag, AIM_ERR_CORRUPT, "mp4: no moov box");

    uint8_t *p;
    if ((rc = moov_load(src, &L.moov, &p, diag)) != AIM_OK)
        return rc;
    mp4_box m = L.moov;
    m.off = 0;
    aim_buf nm = AIM_BUF_INIT;
    nm.limit = (size_t)AIM_MAX_META_BYTES + req->json_len + 4096;
    int fragmented = L.moof, iloc = L.iloc;
    rc = moov_rebuild(p, &m, req, &nm, &fragmented, &iloc, diag);
    free(p);
    if (rc) {
        buf_free(&nm);
        if (rc == AIM_ERR_LIMIT || rc == AIM_ERR_NOMEM)
            return diag_fail(diag, rc, "mp4: new moov box too large");
        return rc;
    }

    /* How the size change is absorbed. */
    uint64_t old_end = L.moov.off + L.moov.size;
    int64_t delta = (int64_t)nm.len - (int64_t)L.moov.size;
    int media_after = old_end < src->size;
    int64_t shift = 0;
    int absorb = 0;     /* rewrite L.after (free/skip) with new_free bytes */
    uint64_t new_free = 0, pad = 0;
    if (delta != 0 && media_after) {
        if (L.have_after && (is_type(&L.after, "free") || is_type(&L.after, "skip"))) {
            int64_t nf = (int64_t)L.after.size - delta;
            if (nf == 0 || (nf >= 8 && (uint64_t)nf <= UINT32_MAX)) {
                absorb = 1;
                new_free = (uint64_t)nf;
            }
        }
        if (!absorb && delta <= -8)
            pad = (uint64_t)-delta;
        else if (!absorb)
            shift = delta;
    }
    if (shift != 0) {
        if (fragmented) {
            buf_free(&nm);
            return diag_fail(diag, AIM_ERR_UNSUPPORTED,
                             "mp4: fragmented file with moov before media; refusing to move fragments");
        }
        if (iloc) {
            buf_free(&nm);
            return diag_fail(diag, AIM_ERR_UNSUPPORTED,
                             "mp4: meta with iloc (item offsets) and media after moov; refusing "
                             "to move item data");
        }
        rc = shift_offsets(nm.p, 8, nm.len, 0, old_end, shift, diag);
        if (rc) {
            buf_free(&nm);
            return rc;
        }
    }

    /* Stream the new file. */
    off = 0;
    n = 0;
    uint64_t copy_from = 0;
    int more;
    rc = AIM_OK;
    while (rc == AIM_OK && (more = top_next(src, &off, &n, &b, diag)) != 0) {
        if (more < 0) {
            rc = more;
            break;
        }
        int is_moov = b.off == L.moov.off;
        int is_absorbed = absorb && L.have_after && b.off == L.after.off;
        uint8_t *x = NULL;
        size_t xn = 0;
        int xmp_label = 0;
        if (!is_moov && !is_absorbed) {
            int u = uuid_xmp(src, &b, &x, &xn, diag);
            if (u < 0) {
                rc = u;
                break;
            }
            if (u == 1) {
                xmp_label = xmp_has_label(x, xn);
                free(x);
                if (xmp_label < 0) {
                    rc = xmp_label;
                    break;
                }
            }
        }
        if (!is_moov && !is_absorbed && !xmp_label)
            continue; /* copied in one run with its neighbours */
        rc = sink_copy(out, src, copy_from, b.off - copy_from);
        copy_from = b.off + b.size;
        if (rc)
            break;
        if (is_moov) {
            rc = sink_write(out, nm.p, nm.len);
            if (rc == AIM_OK && pad)
                rc = sink_free(out, pad);
        } else if (is_absorbed) {
            if (new_free)
                rc = sink_free(out, new_free);
        } else {
            rc = sink_free(out, b.size); /* an XMP label removed in place */
        }
    }
    buf_free(&nm);
    if (rc < 0)
        return rc;
    rc = sink_copy(out, src, copy_from, src->size - copy_from);
    if (rc)
        return diag_fail(diag, rc, "mp4: cannot write the output");
    return AIM_OK;
}

const container_handler mp4_handler = {AIM_FORMAT_MP4, mp4_probe, mp4_read, mp4_write};
