/*
 * Ogg handler: Vorbis and Opus comment headers, re-pagination, page
 * renumbering, multiplexed and chained streams, hostile input. Files are
 * built here with an independent page writer and a bit-by-bit CRC.
 */
#include <stdlib.h>
#include <string.h>

#include "aimark/aimark.h"
#include "core/buf.h"
#include "core/bytes.h"
#include "test.h"

#define N_AUDIO 6

static uint32_t crc_bitwise(const uint8_t *p, size_t n)
{
    uint32_t crc = 0;
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint32_t)p[i] << 24;
        for (int k = 0; k < 8; k++)
            crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
    }
    return crc;
}

typedef struct pkt {
    const uint8_t *p;
    size_t n;
} pkt;

/*
 * Lay packets out on pages of at most max_segs segments, starting a fresh
 * page and finishing the last one. flags0 goes on the first page, eos on
 * the last.
 */
static void lay(aim_buf *b, uint32_t serial, uint32_t *seq, const pkt *pk, int n, int max_segs,
                uint8_t flags0, uint64_t granule, int eos)
{
    int p = 0, first = 1, cont = 0;
    size_t pos = 0;
    while (p < n) {
        uint8_t lace[255];
        aim_buf body = AIM_BUF_INIT;
        int nseg = 0;
        while (p < n && nseg < max_segs) {
            size_t left = pk[p].n - pos;
            size_t k = left >= 255 ? 255 : left;
            lace[nseg++] = (uint8_t)k;
            buf_put(&body, pk[p].p + pos, k);
            pos += k;
            if (k < 255) {
                p++;
                pos = 0;
            }
        }
        uint8_t h[27];
        memcpy(h, "OggS", 4);
        h[4] = 0;
        h[5] = (uint8_t)((first ? flags0 : 0) | (cont ? 1 : 0) | (eos && p == n ? 4 : 0));
        wr_le64(h + 6, granule);
        wr_le32(h + 14, serial);
        wr_le32(h + 18, (*seq)++);
        wr_le32(h + 22, 0);
        h[26] = (uint8_t)nseg;
        size_t start = b->len;
        buf_put(b, h, 27);
        buf_put(b, lace, (size_t)nseg);
        buf_put(b, body.p, body.len);
        wr_le32(b->p + start + 22, crc_bitwise(b->p + start, b->len - start));
        buf_free(&body);
        cont = pos != 0;
        first = 0;
    }
}

typedef struct spec {
    int opus;
    int hdr_segs;        /* max segments per header page (255 = normal) */
    size_t setup_len;    /* Vorbis setup header size */
    int foreign_bos;     /* another stream's BOS page after our first page */
    int foreign_inside;  /* another stream's page between our header pages */
    int chained;         /* a second stream after ours */
    const char *label;   /* an AIGC comment already there, or NULL */
    const char *tail;    /* Opus: bytes after the comments */
    size_t tail_n;
} spec;

static uint8_t g_setup[100000];
static uint8_t g_audio[N_AUDIO][2][700];

static void make_ogg(aim_buf *b, const spec *s)
{
    uint32_t seq = 0, fseq = 0;
    const uint32_t S = 0x1234, F = 0x777;
    uint8_t ident[30];
    if (s->opus) {
        memcpy(ident, "OpusHead\x01\x02\x38\x01\x80\xbb\0\0\0\0\0", 19);
    } else {
        memcpy(ident, "\x01vorbis", 7);
        for (int i = 7; i < 30; i++)
            ident[i] = (uint8_t)i;
    }
    pkt p0 = {ident, s->opus ? 19 : 30};
    lay(b, S, &seq, &p0, 1, 255, 2, 0, 0);
    if (s->foreign_bos) {
        pkt fp = {(const uint8_t *)"fishead\0other", 13};
        lay(b, F, &fseq, &fp, 1, 255, 2, 0, 0);
    }
    aim_buf c = AIM_BUF_INIT;
    buf_put(&c, s->opus ? "OpusTags" : "\x03vorbis", s->opus ? 8 : 7);
    buf_le32(&c, 8);
    buf_puts(&c, "enc 1.0!");
    buf_le32(&c, s->label ? 3 : 2);
    buf_le32(&c, 10);
    buf_puts(&c, "TITLE=song");
    if (s->label) {
        buf_le32(&c, (uint32_t)(5 + strlen(s->label)));
        buf_puts(&c, "AIGC=");
        buf_puts(&c, s->label);
    }
    buf_le32(&c, 12);
    buf_puts(&c, "ARTIST=robot");
    if (s->opus)
        buf_put(&c, s->tail, s->tail_n);
    else
        buf_putc(&c, 1);
    for (size_t i = 0; i < s->setup_len; i++)
        g_setup[i] = (uint8_t)(i * 13 + 5);
    g_setup[0] = 5;
    pkt hp[2] = {{c.p, c.len}, {g_setup, s->setup_len}};
    int nh = s->opus ? 1 : 2;
    if (s->foreign_inside) {
        /* The comment packet on its own pages, a foreign page, then setup. */
        lay(b, S, &seq, &hp[0], 1, s->hdr_segs, 0, 0, 0);
        pkt fp = {(const uint8_t *)"x", 1};
        lay(b, F, &fseq, &fp, 1, 255, 0, 0, 0);
        if (nh == 2)
            lay(b, S, &seq, &hp[1], 1, s->hdr_segs, 0, 0, 0);
    } else {
        lay(b, S, &seq, hp, nh, s->hdr_segs, 0, 0, 0);
    }
    buf_free(&c);
    for (int i = 0; i < N_AUDIO; i++) {
        for (int k = 0; k < 2; k++)
            for (int j = 0; j < 700; j++)
                g_audio[i][k][j] = (uint8_t)(i * 31 + k * 7 + j);
        pkt ap[2] = {{g_audio[i][0], 300 + 50 * (size_t)i}, {g_audio[i][1], 100}};
        lay(b, S, &seq, ap, 2, 255, 0, 960u * (i + 1), i == N_AUDIO - 1);
        if (s->foreign_bos && i == 2) {
            pkt fp = {(const uint8_t *)"foreign data", 12};
            lay(b, F, &fseq, &fp, 1, 255, 0, 77, 0);
        }
    }
    if (s->chained) {
        uint32_t cseq = 0;
        pkt cp[3] = {{ident, p0.n}, {(const uint8_t *)"\x03vorbis\0\0\0\0\0\0\0\0\1", 16}, {g_setup, 10}};
        lay(b, 0x999, &cseq, cp, 1, 255, 2, 0, 0);
        lay(b, 0x999, &cseq, cp + 1, 2, 255, 0, 0, 0);
        lay(b, 0x999, &cseq, &(pkt){g_audio[0][0], 50}, 1, 255, 0, 100, 1);
    }
}

/* ---- checking output ----------------------------------------------------- */

typedef struct opage {
    uint8_t flags;
    uint64_t granule;
    uint32_t serial, seq;
    size_t off, len;
} opage;

/* Split into pages; -1 if any page is malformed or has a bad CRC. */
static int pages_of(const uint8_t *p, size_t n, opage *pg, int cap)
{
    size_t off = 0;
    int k = 0;
    while (off < n) {
        if (k >= cap || n - off < 27 || memcmp(p + off, "OggS", 4) != 0 || p[off + 4] != 0)
            return -1;
        size_t nseg = p[off + 26], body = 0;
        if (n - off < 27 + nseg)
            return -1;
        for (size_t i = 0; i < nseg; i++)
            body += p[off + 27 + i];
        size_t len = 27 + nseg + body;
        if (n - off < len)
            return -1;
        uint8_t *copy = malloc(len);
        memcpy(copy, p + off, len);
        wr_le32(copy + 22, 0);
        uint32_t crc = crc_bitwise(copy, len);
        free(copy);
        if (crc != rd_le32(p + off + 22))
            return -1;
        pg[k].flags = p[off + 5];
        pg[k].granule = rd_le64(p + off + 6);
        pg[k].serial = rd_le32(p + off + 14);
        pg[k].seq = rd_le32(p + off + 18);
        pg[k].off = off;
        pg[k].len = len;
        off += len;
        k++;
    }
    return k;
}

/* Reassemble the packets of one stream. Returns the packet count. */
static int packets_of(const uint8_t *p, const opage *pg, int npg, uint32_t serial, aim_buf *pk, int cap)
{
    int k = 0;
    for (int i = 0; i < npg; i++) {
        if (pg[i].serial != serial)
            continue;
        const uint8_t *h = p + pg[i].off;
        size_t nseg = h[26], pos = 27 + nseg;
        for (size_t s = 0; s < nseg && k < cap; s++) {
            buf_put(&pk[k], h + pos, h[27 + s]);
            pos += h[27 + s];
            if (h[27 + s] < 255)
                k++;
        }
    }
    return k;
}

static aim_label *mk_label(const char *id)
{
    aim_label *l = aim_label_new();
    aim_label_set(l, AIM_FIELD_LABEL, "1");
    aim_label_set(l, AIM_FIELD_CONTENT_PRODUCER, "001191110102MACQD9K64010000");
    aim_label_set(l, AIM_FIELD_PRODUCE_ID, id);
    return l;
}

static int write_label(const uint8_t *in, size_t n, const char *id, uint8_t **out, size_t *on)
{
    aim_label *l = mk_label(id);
    void *o = NULL;
    aim_diag d;
    int rc = aim_meta_write_mem(in, n, l, NULL, &o, on, &d);
    aim_label_free(l);
    *out = o;
    if (rc)
        fprintf(stderr, "  write: %d %s\n", rc, d.message);
    return rc;
}

static void check_label(const uint8_t *p, size_t n, int opus, const char *id, unsigned count)
{
    aim_meta *m = NULL;
    CHECK_INT(aim_meta_read_mem(p, n, &m, NULL), AIM_OK);
    if (!m)
        return;
    CHECK_INT(aim_meta_format(m), opus ? AIM_FORMAT_OGG_OPUS : AIM_FORMAT_OGG_VORBIS);
    CHECK_INT(aim_meta_label_count(m), count);
    if (id) {
        CHECK_STR(aim_meta_location(m), opus ? "ogg:opus-tags:AIGC" : "ogg:vorbis-comment:AIGC");
        CHECK_STR(aim_label_get(aim_meta_label(m), AIM_FIELD_PRODUCE_ID), id);
    }
    aim_meta_free(m);
}

static int contains(const aim_buf *b, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i + n <= b->len; i++)
        if (memcmp(b->p + i, s, n) == 0)
            return 1;
    return 0;
}

#define MAXPG 4000

/*
 * Write a label into the file made from `s` and check the result against
 * the input: valid CRCs, contiguous sequence numbers, unchanged granules,
 * header and audio packets byte-identical, other streams' pages unchanged.
 */
static void roundtrip(const spec *s, const char *id)
{
    aim_buf in = AIM_BUF_INIT;
    make_ogg(&in, s);
    static opage ip[MAXPG], op[MAXPG];
    int nin = pages_of(in.p, in.len, ip, MAXPG);
    CHECK(nin > 0);
    uint8_t *o = NULL;
    size_t on = 0;
    CHECK_INT(write_label(in.p, in.len, id, &o, &on), AIM_OK);
    if (!o) {
        buf_free(&in);
        return;
    }
    int nout = pages_of(o, on, op, MAXPG);
    CHECK(nout > 0);
    check_label(o, on, s->opus, id, 1);

    /* Sequence numbers contiguous per stream; headers at granule 0. */
    uint32_t next[3] = {0, 0, 0};
    const uint32_t serials[3] = {0x1234, 0x777, 0x999};
    for (int i = 0; i < nout; i++)
        for (int k = 0; k < 3; k++)
            if (op[i].serial == serials[k]) {
                CHECK_INT(op[i].seq, next[k]);
                next[k] = op[i].seq + 1;
            }
    /* Granules of the first stream's audio pages unchanged, in order. */
    uint64_t gin[64], gout[64];
    int ngi = 0, ngo = 0;
    for (int i = 0; i < nin && ngi < 64; i++)
        if (ip[i].serial == 0x1234 && ip[i].granule != 0)
            gin[ngi++] = ip[i].granule;
    for (int i = 0; i < nout && ngo < 64; i++)
        if (op[i].serial == 0x1234 && op[i].granule != 0)
            gout[ngo++] = op[i].granule;
    CHECK_INT(ngo, ngi);
    CHECK_INT(ngi, N_AUDIO);
    for (int i = 0; i < ngi && i < ngo; i++)
        CHECK(gin[i] == gout[i]);
    /* Exactly one BOS and one EOS page for our stream, first and last. */
    int bos = 0, eos = 0;
    for (int i = 0; i < nout; i++)
        if (op[i].serial == 0x1234) {
            bos += (op[i].flags & 2) != 0;
            eos += (op[i].flags & 4) != 0;
        }
    CHECK_INT(bos, 1);
    CHECK_INT(eos, 1);

    /* Packets: all but the comment header byte-identical. */
    aim_buf pi[32], po[32];
    memset(pi, 0, sizeof pi);
    memset(po, 0, sizeof po);
    int npi = packets_of(in.p, ip, nin, 0x1234, pi, 32);
    int npo = packets_of(o, op, nout, 0x1234, po, 32);
    CHECK_INT(npo, npi);
    for (int i = 0; i < npi && i < npo; i++)
        if (i != 1)
            CHECK(pi[i].len == po[i].len && memcmp(pi[i].p, po[i].p, pi[i].len) == 0);
    CHECK(contains(&po[1], "TITLE=song"));
    CHECK(contains(&po[1], "ARTIST=robot"));
    CHECK(contains(&po[1], "enc 1.0!"));
    if (!s->opus)
        CHECK(po[1].len > 0 && po[1].p[po[1].len - 1] == 1);
    if (s->opus && s->tail_n && (s->tail[0] & 1))
        CHECK(po[1].len > s->tail_n && memcmp(po[1].p + po[1].len - s->tail_n, s->tail, s->tail_n) == 0);
    if (s->opus && s->tail_n && !(s->tail[0] & 1))
        CHECK(po[1].len > 0 && po[1].p[po[1].len - 1] == '}');
    for (int i = 0; i < 32; i++) {
        buf_free(&pi[i]);
        buf_free(&po[i]);
    }
    /* Other streams' pages byte-identical and in the same order. */
    int j = 0;
    for (int i = 0; i < nin; i++) {
        if (ip[i].serial == 0x1234)
            continue;
        while (j < nout && op[j].serial == 0x1234)
            j++;
        CHECK(j < nout && op[j].len == ip[i].len && memcmp(o + op[j].off, in.p + ip[i].off, ip[i].len) == 0);
        j++;
    }

    /* Re-write replaces the label. */
    uint8_t *o2 = NULL;
    size_t on2 = 0;
    CHECK_INT(write_label(o, on, "second-id", &o2, &on2), AIM_OK);
    if (o2) {
        check_label(o2, on2, s->opus, "second-id", 1);
        CHECK(pages_of(o2, on2, op, MAXPG) > 0);
    }
    aim_free(o2);
    aim_free(o);
    buf_free(&in);
}

static void t_vorbis_read_no_label_and_label(void)
{
    spec s = {0, 255, 3000, 0, 0, 0, NULL, NULL, 0};
    aim_buf b = AIM_BUF_INIT;
    make_ogg(&b, &s);
    check_label(b.p, b.len, 0, NULL, 0);
    buf_free(&b);
    s.label = "{\"Label\":\"1\",\"ContentProducer\":\"p\",\"ProduceID\":\"pre\"}";
    make_ogg(&b, &s);
    check_label(b.p, b.len, 0, "pre", 1);
    buf_free(&b);
}

static void t_vorbis_write_single_header_page(void) { roundtrip(&(spec){0, 255, 3000, 0, 0, 0, NULL, NULL, 0}, "v1"); }

static void t_vorbis_write_replaces_label(void)
{
    roundtrip(&(spec){0, 255, 3000, 0, 0, 0, "{\"Label\":\"1\",\"ProduceID\":\"old\"}", NULL, 0}, "v2");
}

static void t_vorbis_large_setup_spans_pages(void)
{
    /* 100000-byte setup: more than one full page; page count may change. */
    roundtrip(&(spec){0, 255, 100000, 0, 0, 0, NULL, NULL, 0}, "big-setup");
}

static void t_vorbis_many_small_header_pages(void)
{
    /* Headers spread on 3-segment pages: the rewrite uses far fewer pages,
     * so every later page is renumbered. */
    roundtrip(&(spec){0, 3, 3000, 0, 0, 0, NULL, NULL, 0}, "shrink");
}

static void t_vorbis_setup_multiple_of_255(void)
{
    roundtrip(&(spec){0, 255, 510, 0, 0, 0, NULL, NULL, 0}, "m255");
}

static void t_comment_packet_length_multiple_of_255(void)
{
    /* Vary the label length so that the new comment packet hits every
     * residue mod 255, including 0 (which needs a terminating 0 lace). */
    spec s = {0, 255, 300, 0, 0, 0, NULL, NULL, 0};
    aim_buf in = AIM_BUF_INIT;
    make_ogg(&in, &s);
    char id[300];
    int hit = 0;
    static opage op[MAXPG];
    for (int k = 1; k <= 256; k++) {
        memset(id, 'a', (size_t)k);
        id[k] = 0;
        uint8_t *o = NULL;
        size_t on = 0;
        CHECK_INT(write_label(in.p, in.len, id, &o, &on), AIM_OK);
        int n = pages_of(o, on, op, MAXPG);
        CHECK(n > 0);
        aim_buf pk[16];
        memset(pk, 0, sizeof pk);
        CHECK_INT(packets_of(o, op, n, 0x1234, pk, 16), 3 + 2 * N_AUDIO);
        if (pk[1].len % 255 == 0)
            hit = 1;
        CHECK(pk[2].len == 300 && memcmp(pk[2].p, g_setup, 300) == 0);
        for (int i = 0; i < 16; i++)
            buf_free(&pk[i]);
        aim_free(o);
    }
    CHECK(hit);
    buf_free(&in);
}

static void t_opus_tail_kept_or_dropped(void)
{
    /* LSB set: binary data kept. */
    roundtrip(&(spec){1, 255, 0, 0, 0, 0, NULL, "\x01" "binary", 7}, "opus-keep");
    /* LSB clear: padding dropped (check: packet ends with the label's '"}'). */
    roundtrip(&(spec){1, 255, 0, 0, 0, 0, NULL, "\0\0\0\0\0\0\0\0", 8}, "opus-pad");
    roundtrip(&(spec){1, 255, 0, 0, 0, 0, "{\"Label\":\"1\"}", NULL, 0}, "opus-replace");
}

static void t_multiplexed_and_chained(void)
{
    roundtrip(&(spec){0, 3, 3000, 1, 0, 0, NULL, NULL, 0}, "mux");
    roundtrip(&(spec){0, 255, 3000, 0, 0, 1, NULL, NULL, 0}, "chain");
    roundtrip(&(spec){1, 2, 0, 1, 0, 1, NULL, NULL, 0}, "opus-mux-chain");
}

static void t_interleaved_header_pages_refused(void)
{
    spec s = {0, 255, 3000, 0, 1, 0, NULL, NULL, 0};
    aim_buf b = AIM_BUF_INIT;
    make_ogg(&b, &s);
    check_label(b.p, b.len, 0, NULL, 0); /* reading is fine */
    aim_label *l = mk_label("x");
    void *o = NULL;
    size_t on = 0;
    aim_diag d;
    CHECK_INT(aim_meta_write_mem(b.p, b.len, l, NULL, &o, &on, &d), AIM_ERR_UNSUPPORTED);
    CHECK(strncmp(d.message, "ogg: ", 5) == 0);
    aim_label_free(l);
    buf_free(&b);
}

static void t_other_codec(void)
{
    aim_buf b = AIM_BUF_INIT;
    uint32_t seq = 0;
    pkt p0 = {(const uint8_t *)"\x80theora-ish", 12};
    lay(&b, 5, &seq, &p0, 1, 255, 2, 0, 0);
    lay(&b, 5, &seq, &p0, 1, 255, 0, 0, 1);
    aim_meta *m = NULL;
    CHECK_INT(aim_meta_read_mem(b.p, b.len, &m, NULL), AIM_OK);
    CHECK_INT(aim_meta_label_count(m), 0);
    aim_meta_free(m);
    aim_label *l = mk_label("x");
    void *o = NULL;
    size_t on = 0;
    CHECK_INT(aim_meta_write_mem(b.p, b.len, l, NULL, &o, &on, NULL), AIM_ERR_UNSUPPORTED);
    aim_label_free(l);
    buf_free(&b);
}

static void t_hostile_truncations(void)
{
    spec s = {0, 255, 600, 0, 0, 0, "{\"Label\":\"1\"}", NULL, 0};
    aim_buf b = AIM_BUF_INIT;
    make_ogg(&b, &s);
    static opage ip[MAXPG];
    int n = pages_of(b.p, b.len, ip, MAXPG);
    CHECK_INT(n, 2 + N_AUDIO);
    size_t hdr_end = ip[2].off; /* first audio page */
    aim_label *l = mk_label("t");
    for (size_t k = 0; k <= b.len; k++) {
        uint8_t *p = malloc(k ? k : 1);
        memcpy(p, b.p, k);
        aim_meta *m = NULL;
        int rc = aim_meta_read_mem(p, k, &m, NULL);
        if (k < hdr_end)
            CHECK(rc < 0 && m == NULL);
        else
            CHECK(rc == AIM_OK && aim_meta_label_count(m) == 1);
        aim_meta_free(m);
        void *o = NULL;
        size_t on = 0;
        rc = aim_meta_write_mem(p, k, l, NULL, &o, &on, NULL);
        if (k < hdr_end)
            CHECK(rc < 0 && o == NULL);
        else
            CHECK(rc == AIM_OK);
        aim_free(o);
        free(p);
    }
    aim_label_free(l);
    buf_free(&b);
}

static void t_hostile_lies(void)
{
    spec s = {0, 255, 600, 0, 0, 0, NULL, NULL, 0};
    aim_buf b = AIM_BUF_INIT;
    make_ogg(&b, &s);
    aim_meta *m = NULL;
    aim_diag d;
    /* First page without BOS. */
    b.p[5] = 0;
    CHECK_INT(aim_meta_read_mem(b.p, b.len, &m, &d), AIM_ERR_CORRUPT);
    CHECK(strncmp(d.message, "ogg: ", 5) == 0);
    b.p[5] = 2;
    /* Version byte not 0 on the second page. */
    size_t p1 = 27 + 1 + 30;
    b.p[p1 + 4] = 1;
    CHECK_INT(aim_meta_read_mem(b.p, b.len, &m, &d), AIM_ERR_CORRUPT);
    b.p[p1 + 4] = 0;
    /* Continuation flag on a page that starts a packet. */
    b.p[p1 + 5] = 1;
    CHECK_INT(aim_meta_read_mem(b.p, b.len, &m, &d), AIM_ERR_CORRUPT);
    b.p[p1 + 5] = 0;
    /* Lacing that claims more body than the file has. */
    b.p[p1 + 26] = 255;
    CHECK_INT(aim_meta_read_mem(b.p, p1 + 27 + 255 + 10, &m, &d), AIM_ERR_TRUNCATED);
    buf_free(&b);

    /* A stream of pages that never finishes its first packet. */
    aim_buf z = AIM_BUF_INIT;
    uint32_t seq = 0;
    static uint8_t big[255 * 255];
    memset(big, 'v', sizeof big);
    big[0] = 1;
    for (int i = 0; i < 40; i++) {
        uint8_t h[27 + 255];
        memcpy(h, "OggS", 4);
        h[4] = 0;
        h[5] = i == 0 ? 2 : 1;
        memset(h + 6, 0, 8);
        wr_le32(h + 14, 1);
        wr_le32(h + 18, seq++);
        wr_le32(h + 22, 0);
        h[26] = 255;
        memset(h + 27, 255, 255);
        buf_put(&z, h, sizeof h);
        buf_put(&z, big, sizeof big);
    }
    CHECK_INT(aim_meta_read_mem(z.p, z.len, &m, NULL), AIM_ERR_TRUNCATED);
    buf_free(&z);

    /* Garbage between audio pages: refused when renumbering is needed. */
    spec s2 = {0, 3, 3000, 0, 0, 0, NULL, NULL, 0};
    make_ogg(&b, &s2);
    static opage ip[MAXPG];
    int n = pages_of(b.p, b.len, ip, MAXPG);
    CHECK(n > 4);
    b.p[ip[n - 2].off] = 'X';
    aim_label *l = mk_label("g");
    void *o = NULL;
    size_t on = 0;
    CHECK_INT(aim_meta_write_mem(b.p, b.len, l, NULL, &o, &on, &d), AIM_ERR_CORRUPT);
    aim_label_free(l);
    buf_free(&b);
}

TEST_MAIN(t_vorbis_read_no_label_and_label, t_vorbis_write_single_header_page,
          t_vorbis_write_replaces_label, t_vorbis_large_setup_spans_pages,
          t_vorbis_many_small_header_pages, t_vorbis_setup_multiple_of_255,
          t_comment_packet_length_multiple_of_255, t_opus_tail_kept_or_dropped,
          t_multiplexed_and_chained, t_interleaved_header_pages_refused, t_other_codec,
          t_hostile_truncations, t_hostile_lies)
