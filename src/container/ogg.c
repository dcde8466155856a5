/*
 * Ogg Vorbis and Ogg Opus (RFC 3533 pages, Vorbis I spec, RFC 7845).
 *
 * A page: "OggS", u8 version 0, u8 flags (1 continued, 2 BOS, 4 EOS),
 * le64 granule, le32 serial, le32 sequence, le32 CRC, u8 nseg, nseg lacing
 * values, body. Packets are split into 255-byte segments; a lacing value
 * below 255 ends a packet.
 *
 * The label is the comment AIGC=<json> in the second packet of the first
 * logical stream (Vorbis: "\x03vorbis" + comments + framing bit; Opus:
 * "OpusTags" + comments + optional binary data). Reading assembles that
 * packet and stops. Writing rebuilds it, re-paginates it together with the
 * header packets that follow it (the Vorbis setup header, byte-exact), and
 * copies the rest: later pages of the stream get their sequence numbers
 * shifted by the change in header page count and a new CRC; pages of other
 * streams are copied unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include "container/handler.h"
#include "container/vorbis_comment.h"
#include "core/bytes.h"

#define OGG_HDR 27
#define OGG_MAX_BODY (255u * 255u)
#define OGG_MAX_PAGE (OGG_HDR + 255u + OGG_MAX_BODY)
#define OGG_CONT 0x01
#define OGG_BOS 0x02
#define OGG_EOS 0x04

enum { CODEC_OTHER, CODEC_VORBIS, CODEC_OPUS };

static int probe(const uint8_t *h, size_t n) { return n >= 4 && memcmp(h, "OggS", 4) == 0; }

/* ---- CRC-32 of Ogg: polynomial 0x04C11DB7, MSB first, init 0, no final xor */

typedef struct ogg_crc {
    uint32_t t[256];
} ogg_crc;

static void crc_init(ogg_crc *c)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t r = i << 24;
        for (int k = 0; k < 8; k++)
            r = (r & 0x80000000u) ? (r << 1) ^ 0x04C11DB7u : r << 1;
        c->t[i] = r;
    }
}

static uint32_t crc_update(const ogg_crc *c, uint32_t crc, const uint8_t *p, size_t n)
{
    while (n--)
        crc = (crc << 8) ^ c->t[((crc >> 24) ^ *p++) & 0xFF];
    return crc;
}

/* ---- pages --------------------------------------------------------------- */

typedef struct ogg_page {
    uint64_t off;
    uint8_t hdr[OGG_HDR + 255];
    size_t hdr_len; /* 27 + nseg */
    uint32_t body_len;
    uint8_t flags;
    uint32_t serial, seq;
    uint8_t nseg;
} ogg_page;

static uint64_t page_size(const ogg_page *pg) { return pg->hdr_len + pg->body_len; }

/*
 * Parse the page header at off (off <= size). AIM_ERR_CORRUPT when there is
 * no page there, AIM_ERR_TRUNCATED when the page runs past the end.
 */
static int page_at(const aim_src *src, uint64_t off, ogg_page *pg)
{
    uint64_t left = src->size - off;
    if (left < OGG_HDR)
        return AIM_ERR_TRUNCATED;
    int rc = src_read(src, off, pg->hdr, OGG_HDR);
    if (rc)
        return rc;
    if (memcmp(pg->hdr, "OggS", 4) != 0 || pg->hdr[4] != 0)
        return AIM_ERR_CORRUPT;
    pg->off = off;
    pg->flags = pg->hdr[5];
    pg->serial = rd_le32(pg->hdr + 14);
    pg->seq = rd_le32(pg->hdr + 18);
    pg->nseg = pg->hdr[26];
    pg->hdr_len = OGG_HDR + (size_t)pg->nseg;
    if (left < pg->hdr_len)
        return AIM_ERR_TRUNCATED;
    rc = src_read(src, off + OGG_HDR, pg->hdr + OGG_HDR, pg->nseg);
    if (rc)
        return rc;
    pg->body_len = 0;
    for (unsigned i = 0; i < pg->nseg; i++)
        pg->body_len += pg->hdr[OGG_HDR + i];
    if (left - pg->hdr_len < pg->body_len)
        return AIM_ERR_TRUNCATED;
    return AIM_OK;
}

static int page_fail(aim_diag *diag, int rc, uint64_t off)
{
    if (rc == AIM_ERR_CORRUPT)
        return diag_fail(diag, rc, "ogg: no valid page at offset %llu", (unsigned long long)off);
    if (rc == AIM_ERR_TRUNCATED)
        return diag_fail(diag, rc, "ogg: page at offset %llu is truncated", (unsigned long long)off);
    return diag_fail(diag, rc, "ogg: cannot read the page at offset %llu", (unsigned long long)off);
}

/* ---- header packets ------------------------------------------------------ */

/* The header packets of the first logical stream and the pages they use. */
typedef struct ogg_head {
    uint32_t serial;
    int codec;
    aim_buf pk[3];         /* header packets 0..got-1 */
    unsigned got;          /* complete packets */
    uint64_t region_off;   /* page where packet 1 (comments) starts */
    uint64_t region_end;   /* end of the page where the last header packet ends */
    uint32_t region_pages; /* pages of the stream in [region_off, region_end) */
    uint32_t region_seq;   /* sequence number of the region's first page */
    int region_foreign;    /* another stream's page lies inside the region */
    int clean_start;       /* packet 1 starts at the beginning of its page */
    int clean_end;         /* the last header packet ends its page */
    int eos;               /* the region's last page has the EOS flag */
} ogg_head;

static void head_free(ogg_head *h)
{
    for (int i = 0; i < 3; i++)
        buf_free(&h->pk[i]);
}

static int codec_of(const aim_buf *pk0)
{
    if (pk0->len >= 7 && pk0->p[0] == 1 && memcmp(pk0->p + 1, "vorbis", 6) == 0)
        return CODEC_VORBIS;
    if (pk0->len >= 8 && memcmp(pk0->p, "OpusHead", 8) == 0)
        return CODEC_OPUS;
    return CODEC_OTHER;
}

/*
 * Walk pages from the start until the header packets are assembled: two
 * (identification, comments) for reading; for writing every header packet
 * (Vorbis 3, Opus 2). Stops early, with got == 1, for other codecs.
 */
static int scan_headers(const aim_src *src, int for_write, ogg_head *h, uint8_t *body,
                        aim_diag *diag)
{
    memset(h, 0, sizeof *h);
    for (int i = 0; i < 3; i++)
        h->pk[i].limit = AIM_MAX_META_BYTES;
    unsigned want = 2;
    int partial = 0;
    uint64_t off = 0;
    for (uint32_t i = 0;; i++) {
        if (i >= AIM_MAX_ITEMS)
            return diag_fail(diag, AIM_ERR_LIMIT, "ogg: too many pages before the comment header");
        if (off >= src->size)
            return diag_fail(diag, AIM_ERR_TRUNCATED, "ogg: the file ends inside the header packets");
        ogg_page pg;
        int rc = page_at(src, off, &pg);
        if (rc)
            return page_fail(diag, rc, off);
        if (i == 0) {
            if (!(pg.flags & OGG_BOS))
                return diag_fail(diag, AIM_ERR_CORRUPT, "ogg: the first page is not a stream start");
            h->serial = pg.serial;
        }
        if (pg.serial != h->serial) {
            if (h->region_off)
                h->region_foreign = 1;
            off += page_size(&pg);
            continue;
        }
        if (((pg.flags & OGG_CONT) != 0) != partial)
            return diag_fail(diag, AIM_ERR_CORRUPT,
                             "ogg: page %u's continuation flag contradicts its packets",
                             (unsigned)pg.seq);
        rc = src_read(src, off + pg.hdr_len, body, pg.body_len);
        if (rc)
            return page_fail(diag, rc, off);
        size_t pos = 0;
        for (unsigned s = 0; s < pg.nseg; s++) {
            uint8_t lace = pg.hdr[OGG_HDR + s];
            if (h->got == 1 && !partial && !h->region_off) {
                h->region_off = pg.off;
                h->region_seq = pg.seq;
                h->clean_start = s == 0;
            }
            if (buf_put(&h->pk[h->got], body + pos, lace) != AIM_OK)
                return diag_fail(diag, h->pk[h->got].err, "ogg: header packet %u is too large",
                                 h->got);
            pos += lace;
            partial = lace == 255;
            if (partial)
                continue;
            h->got++;
            if (h->got == 1) {
                h->codec = codec_of(&h->pk[0]);
                if (h->codec == CODEC_OTHER)
                    return for_write ? diag_fail(diag, AIM_ERR_UNSUPPORTED,
                                                 "ogg: only Vorbis and Opus streams are supported")
                                     : AIM_OK;
                if (for_write && h->codec == CODEC_VORBIS)
                    want = 3;
            }
            if (h->got == want) {
                h->clean_end = s + 1u == pg.nseg;
                h->region_end = off + page_size(&pg);
                h->region_pages++;
                h->eos = (pg.flags & OGG_EOS) != 0;
                return AIM_OK;
            }
        }
        if (h->region_off)
            h->region_pages++;
        if (pg.flags & OGG_EOS)
            return diag_fail(diag, AIM_ERR_CORRUPT, "ogg: the stream ends inside its header packets");
        off += page_size(&pg);
    }
}

/* The comment packet's magic and where its comment block starts. */
static int comment_prefix(const ogg_head *h, size_t *plen, aim_diag *diag)
{
    const aim_buf *pk = &h->pk[1];
    if (h->codec == CODEC_VORBIS) {
        if (pk->len < 7 || pk->p[0] != 3 || memcmp(pk->p + 1, "vorbis", 6) != 0)
            return diag_fail(diag, AIM_ERR_CORRUPT, "ogg: the second Vorbis packet is not a comment header");
        *plen = 7;
    } else {
        if (pk->len < 8 || memcmp(pk->p, "OpusTags", 8) != 0)
            return diag_fail(diag, AIM_ERR_CORRUPT, "ogg: the second Opus packet is not OpusTags");
        *plen = 8;
    }
    return AIM_OK;
}

static int ogg_read(const aim_src *src, meta_found *found, aim_diag *diag)
{
    uint8_t *body = malloc(OGG_MAX_BODY);
    if (!body)
        return AIM_ERR_NOMEM;
    ogg_head h;
    int rc = scan_headers(src, 0, &h, body, diag);
    free(body);
    if (rc == AIM_OK && h.codec != CODEC_OTHER) {
        found->format = h.codec == CODEC_OPUS ? AIM_FORMAT_OGG_OPUS : AIM_FORMAT_OGG_VORBIS;
        size_t plen;
        rc = comment_prefix(&h, &plen, diag);
        if (rc == AIM_OK)
            rc = vc_read(h.pk[1].p + plen, h.pk[1].len - plen,
                         h.codec == CODEC_OPUS ? "ogg:opus-tags:AIGC" : "ogg:vorbis-comment:AIGC",
                         found, diag);
    }
    head_free(&h);
    return rc;
}

/* ---- writing ------------------------------------------------------------- */

/*
 * Lay packets pk[0..npk) out on pages of up to 255 segments, the first one
 * starting a fresh page, with granule 0 and sequence numbers from seq.
 * `eos` puts the EOS flag on the last page. `*pages` gets the page count.
 */
static int paginate(aim_sink *out, const ogg_crc *crc, uint32_t serial, uint32_t seq,
                    const aim_buf *const *pk, int npk, int eos, uint32_t *pages)
{
    uint8_t hdr[OGG_HDR + 255];
    int p = 0, cont = 0;
    size_t pos = 0;
    uint32_t n = 0;
    while (p < npk) {
        int sp = p;
        size_t spos = pos, body = 0;
        unsigned nseg = 0;
        while (p < npk && nseg < 255) {
            size_t left = pk[p]->len - pos;
            uint8_t lace = left >= 255 ? 255 : (uint8_t)left;
            hdr[OGG_HDR + nseg++] = lace;
            body += lace;
            pos += lace;
            if (lace < 255) {
                p++;
                pos = 0;
            }
        }
        memcpy(hdr, "OggS", 4);
        hdr[4] = 0;
        hdr[5] = (uint8_t)((cont ? OGG_CONT : 0) | (eos && p == npk ? OGG_EOS : 0));
        wr_le64(hdr + 6, 0);
        wr_le32(hdr + 14, serial);
        wr_le32(hdr + 18, seq + n);
        wr_le32(hdr + 22, 0);
        hdr[26] = (uint8_t)nseg;
        cont = pos != 0;
        /* CRC over the header (CRC field zero) and the body pieces. */
        uint32_t c = crc_update(crc, 0, hdr, OGG_HDR + nseg);
        int q = sp;
        size_t qpos = spos, left = body;
        while (left > 0) {
            size_t k = pk[q]->len - qpos;
            if (k > left)
                k = left;
            c = crc_update(crc, c, pk[q]->p + qpos, k);
            left -= k;
            q++;
            qpos = 0;
        }
        wr_le32(hdr + 22, c);
        int rc = sink_write(out, hdr, OGG_HDR + nseg);
        q = sp;
        qpos = spos;
        left = body;
        while (rc == AIM_OK && left > 0) {
            size_t k = pk[q]->len - qpos;
            if (k > left)
                k = left;
            rc = sink_write(out, pk[q]->p + qpos, k);
            left -= k;
            q++;
            qpos = 0;
        }
        if (rc)
            return rc;
        n++;
    }
    *pages = n;
    return AIM_OK;
}

/* Copy the pages after the headers, renumbering the first stream's pages. */
static int copy_rest(const aim_src *src, const ogg_head *h, uint32_t shift, const ogg_crc *crc,
                     uint8_t *page, aim_sink *out, aim_diag *diag)
{
    uint64_t off = h->region_end;
    if (shift == 0 || h->eos)
        return sink_copy(out, src, off, src->size - off);
    for (uint32_t i = 0; off < src->size; i++) {
        if (i >= AIM_MAX_ITEMS)
            return diag_fail(diag, AIM_ERR_LIMIT, "ogg: too many pages");
        ogg_page pg;
        int rc = page_at(src, off, &pg);
        if (rc == AIM_ERR_TRUNCATED)
            break; /* a cut-off last page: keep the bytes as they are */
        if (rc)
            return page_fail(diag, rc, off);
        uint64_t size = page_size(&pg);
        if (pg.serial != h->serial) {
            rc = sink_copy(out, src, off, size);
        } else {
            rc = src_read(src, off, page, (size_t)size);
            if (rc == AIM_OK) {
                wr_le32(page + 18, pg.seq + shift);
                wr_le32(page + 22, 0);
                wr_le32(page + 22, crc_update(crc, 0, page, (size_t)size));
                rc = sink_write(out, page, (size_t)size);
            }
        }
        if (rc)
            return rc;
        off += size;
        if (pg.serial == h->serial && (pg.flags & OGG_EOS))
            break; /* chained streams after this one are copied unchanged */
    }
    return sink_copy(out, src, off, src->size - off);
}

static int ogg_write(const aim_src *src, const meta_write_req *req, aim_sink *out, aim_diag *diag)
{
    uint8_t *page = malloc(OGG_MAX_PAGE);
    if (!page)
        return AIM_ERR_NOMEM;
    ogg_head h;
    aim_buf np = AIM_BUF_INIT;
    np.limit = AIM_MAX_META_BYTES;
    int rc = scan_headers(src, 1, &h, page, diag);
    if (rc)
        goto done;
    if (h.region_foreign) {
        rc = diag_fail(diag, AIM_ERR_UNSUPPORTED,
                       "ogg: another stream's pages are interleaved with the header pages");
        goto done;
    }
    if (!h.clean_start || !h.clean_end) {
        rc = diag_fail(diag, AIM_ERR_UNSUPPORTED,
                       "ogg: the header packets share pages with other packets");
        goto done;
    }
    size_t plen;
    rc = comment_prefix(&h, &plen, diag);
    if (rc)
        goto done;

    /* The new comment packet: magic, comments, then the old tail. */
    const uint8_t *vc = h.pk[1].p + plen;
    size_t vc_n = h.pk[1].len - plen, consumed;
    buf_put(&np, h.pk[1].p, plen);
    rc = vc_write(vc, vc_n, &consumed, req, &np, diag);
    if (rc)
        goto done;
    const uint8_t *tail = vc + consumed;
    size_t tail_n = vc_n - consumed;
    if (h.codec == CODEC_VORBIS) {
        if (tail_n == 0)
            buf_putc(&np, 1); /* the framing bit */
        else
            buf_put(&np, tail, tail_n);
    } else if (tail_n > 0 && (tail[0] & 1)) {
        buf_put(&np, tail, tail_n); /* binary data to keep; else padding */
    }
    if (np.err) {
        rc = diag_fail(diag, np.err, "ogg: the comment packet is too large");
        goto done;
    }

    ogg_crc crc;
    crc_init(&crc);
    const aim_buf *pk[2] = {&np, &h.pk[2]};
    int npk = h.codec == CODEC_VORBIS ? 2 : 1;
    uint32_t pages = 0;
    rc = sink_copy(out, src, 0, h.region_off);
    if (rc == AIM_OK)
        rc = paginate(out, &crc, h.serial, h.region_seq, pk, npk, h.eos, &pages);
    if (rc == AIM_OK)
        rc = copy_rest(src, &h, pages - h.region_pages, &crc, page, out, diag);
    if (rc && diag && !diag->message[0])
        diag_fail(diag, rc, "ogg: cannot write the output");
done:
    buf_free(&np);
    head_free(&h);
    free(page);
    return rc;
}

const container_handler ogg_handler = {AIM_FORMAT_OGG_VORBIS, probe, ogg_read, ogg_write};
