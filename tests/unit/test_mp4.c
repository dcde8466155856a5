/* MP4/MOV handler: synthetic files built here, read/write/replace, chunk
 * offset fixing, preservation of other boxes, and hostile inputs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aimark/aimark.h"
#include "test.h"

/* ---- a tiny box builder ---------------------------------------------------- */

typedef struct B {
    uint8_t p[1 << 16];
    size_t n;
    size_t st[2100];
    int sp;
} B;

static B *bnew(void) { return calloc(1, sizeof(B)); }
static void put(B *b, const void *d, size_t n) { memcpy(b->p + b->n, d, n); b->n += n; }
static void be32(B *b, uint32_t v)
{
    uint8_t t[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(b, t, 4);
}
static void be64(B *b, uint64_t v) { be32(b, (uint32_t)(v >> 32)); be32(b, (uint32_t)v); }
static void open_(B *b, const char *type)
{
    b->st[b->sp++] = b->n;
    be32(b, 0);
    put(b, type, 4);
}
static void close_(B *b)
{
    size_t at = b->st[--b->sp];
    uint32_t len = (uint32_t)(b->n - at);
    b->p[at] = (uint8_t)(len >> 24); b->p[at + 1] = (uint8_t)(len >> 16);
    b->p[at + 2] = (uint8_t)(len >> 8); b->p[at + 3] = (uint8_t)len;
}
static void zeros(B *b, size_t n) { memset(b->p + b->n, 0, n); b->n += n; }
static uint32_t rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static uint64_t rd64(const uint8_t *p) { return ((uint64_t)rd32(p) << 32) | rd32(p + 4); }

static uint8_t pat(size_t i) { return (uint8_t)(i * 7 + 3); }

#define MDAT_PAYLOAD 64
static const uint32_t STCO_REL[4] = {0, 16, 32, 48};
static const uint32_t CO64_REL[2] = {8, 40};

typedef struct spec {
    int faststart;        /* moov before mdat */
    uint32_t free_after;  /* size of a free box right after moov (0: none) */
    int mvex, moof;       /* fragmented */
    int udta_name;        /* udta/(c)nam */
    int mdir_meta;        /* udta/meta(mdir)/ilst/(c)too */
    int qt_meta;          /* udta meta as a plain QuickTime container */
    int no_udta;
    const char *keys[4], *vals[4]; /* udta/meta (mdta) keys */
    const char *moov_key, *moov_val; /* moov/meta keys (ExifTool style) */
    uint32_t stco_bias;   /* nonzero: stco entries are stco_bias + offset */
    int big_moov;         /* moov with a 64-bit size */
    int mdat_size0;       /* last mdat with size 0 */
} spec;

static void mdta_meta(B *b, int full, const char *const *keys, const char *const *vals, int n)
{
    open_(b, "meta");
    if (full)
        be32(b, 0);
    open_(b, "hdlr");
    be32(b, 0);
    be32(b, 0);
    put(b, "mdta", 4);
    zeros(b, 13);
    close_(b);
    open_(b, "keys");
    be32(b, 0);
    be32(b, (uint32_t)n);
    for (int i = 0; i < n; i++) {
        be32(b, (uint32_t)(8 + strlen(keys[i])));
        put(b, "mdta", 4);
        put(b, keys[i], strlen(keys[i]));
    }
    close_(b);
    open_(b, "ilst");
    for (int i = 0; i < n; i++) {
        b->st[b->sp++] = b->n;
        be32(b, 0);
        be32(b, (uint32_t)(i + 1));
        open_(b, "data");
        be32(b, 1);
        be32(b, 0);
        put(b, vals[i], strlen(vals[i]));
        close_(b);
        close_(b);
    }
    close_(b);
    close_(b);
}

static void trak(B *b, int co64, uint64_t data_off, uint32_t bias)
{
    open_(b, "trak");
    open_(b, "tkhd"); zeros(b, 84); close_(b);
    open_(b, "mdia");
    open_(b, "mdhd"); zeros(b, 24); close_(b);
    open_(b, "minf");
    open_(b, "stbl");
    open_(b, "stsd"); be32(b, 0); be32(b, 0); close_(b);
    if (co64) {
        open_(b, "co64"); be32(b, 0); be32(b, 2);
        for (int i = 0; i < 2; i++)
            be64(b, data_off + CO64_REL[i]);
        close_(b);
    } else {
        open_(b, "stco"); be32(b, 0); be32(b, 4);
        for (int i = 0; i < 4; i++)
            be32(b, bias ? bias + STCO_REL[i] : (uint32_t)(data_off + STCO_REL[i]));
        close_(b);
    }
    close_(b); close_(b); close_(b); close_(b);
}

static void moov(B *b, const spec *s, uint64_t data_off)
{
    size_t at = b->n;
    if (s->big_moov) {
        be32(b, 1); put(b, "moov", 4); be64(b, 0);
    } else {
        open_(b, "moov");
    }
    open_(b, "mvhd"); zeros(b, 100); close_(b);
    trak(b, 0, data_off, s->stco_bias);
    trak(b, 1, data_off, 0);
    if (s->mvex) { open_(b, "mvex"); open_(b, "trex"); zeros(b, 24); close_(b); close_(b); }
    if (!s->no_udta) {
        open_(b, "udta");
        if (s->udta_name) {
            open_(b, "\xa9nam"); be32(b, 0x00050000); put(b, "hello", 5); close_(b);
        }
        if (s->mdir_meta) {
            open_(b, "meta"); be32(b, 0);
            open_(b, "hdlr"); be32(b, 0); be32(b, 0); put(b, "mdir", 4); put(b, "appl", 4); zeros(b, 9); close_(b);
            open_(b, "ilst"); open_(b, "\xa9too"); open_(b, "data"); be32(b, 1); be32(b, 0); put(b, "enc", 3);
            close_(b); close_(b); close_(b); close_(b);
        }
        int n = 0;
        while (n < 4 && s->keys[n])
            n++;
        if (n)
            mdta_meta(b, !s->qt_meta, s->keys, s->vals, n);
        close_(b);
    }
    if (s->moov_key) {
        const char *k[1] = {s->moov_key}, *v[1] = {s->moov_val};
        mdta_meta(b, 1, k, v, 1);
    }
    if (s->big_moov) {
        uint64_t len = b->n - at;
        for (int i = 0; i < 8; i++)
            b->p[at + 8 + i] = (uint8_t)(len >> (56 - 8 * i));
    } else {
        close_(b);
    }
}

/* Build a whole file; returns it (caller frees) and its size. */
static B *build(const spec *s)
{
    B *m = bnew(), *f = bnew();
    moov(m, s, 0); /* size only */
    size_t ftyp = 24, moof = s->moof ? 24 : 0;
    uint64_t data_off;
    if (s->faststart)
        data_off = ftyp + m->n + s->free_after + moof + 8;
    else
        data_off = ftyp + moof + 8;
    m->n = 0;
    moov(m, s, data_off);
    open_(f, "ftyp"); put(f, "isom", 4); be32(f, 0x200); put(f, "isom", 4); put(f, "mp41", 4); close_(f);
    if (s->faststart) {
        put(f, m->p, m->n);
        if (s->free_after) { open_(f, "free"); zeros(f, s->free_after - 8); close_(f); }
    }
    if (s->moof) { open_(f, "moof"); open_(f, "mfhd"); zeros(f, 8); close_(f); close_(f); }
    size_t md = f->n;
    open_(f, "mdat");
    for (size_t i = 0; i < MDAT_PAYLOAD; i++)
        f->p[f->n++] = pat(i);
    close_(f);
    if (!s->faststart) {
        put(f, m->p, m->n);
        if (s->free_after) { open_(f, "free"); zeros(f, s->free_after - 8); close_(f); }
    }
    if (s->mdat_size0 && s->faststart) {
        f->p[md] = f->p[md + 1] = f->p[md + 2] = f->p[md + 3] = 0;
    }
    free(m);
    return f;
}

/* ---- an independent little reader for checks ------------------------------- */

/* Find a box by type among the children of [start,end); returns offset or 0. */
static size_t child(const uint8_t *p, size_t start, size_t end, const char *type, size_t *size)
{
    size_t o = start;
    while (o + 8 <= end) {
        uint64_t s = rd32(p + o);
        size_t h = 8;
        if (s == 1) { s = rd64(p + o + 8); h = 16; }
        if (s == 0) s = end - o;
        if (s < h || s > end - o) return 0;
        if (memcmp(p + o + 4, type, 4) == 0) { *size = (size_t)s; return o; }
        o += (size_t)s;
    }
    return 0;
}

static size_t hdrlen(const uint8_t *p, size_t o) { return rd32(p + o) == 1 ? 16 : 8; }

/* All chunk offsets of the output point at the same mdat bytes as before. */
static int chunks_ok(const uint8_t *f, size_t n)
{
    size_t ms, mo = child(f, 0, n, "moov", &ms);
    if (!mo) return 0;
    size_t pos = mo + hdrlen(f, mo), end = mo + ms, good = 0;
    for (int t = 0; t < 2; t++) {
        size_t ts, to = child(f, pos, end, "trak", &ts);
        if (!to) return 0;
        size_t s1, o1 = child(f, to + 8, to + ts, "mdia", &s1);
        size_t s2, o2 = o1 ? child(f, o1 + 8, o1 + s1, "minf", &s2) : 0;
        size_t s3, o3 = o2 ? child(f, o2 + 8, o2 + s2, "stbl", &s3) : 0;
        size_t s4, o4 = o3 ? child(f, o3 + 8, o3 + s3, t ? "co64" : "stco", &s4) : 0;
        if (!o4) return 0;
        uint32_t cnt = rd32(f + o4 + 12);
        for (uint32_t i = 0; i < cnt; i++) {
            uint64_t v = t ? rd64(f + o4 + 16 + 8 * i) : rd32(f + o4 + 16 + 4 * i);
            uint32_t rel = t ? CO64_REL[i] : STCO_REL[i];
            if (v + 4 > n) return 0;
            for (int k = 0; k < 4; k++)
                if (f[v + k] != pat(rel + k)) return 0;
            good++;
        }
        pos = to + ts;
    }
    return good == 6;
}

/* Value of an mdta key in udta/meta (in_udta) or moov/meta; 1 if found. */
static int key_value(const uint8_t *f, size_t n, int in_udta, const char *key, char *val, size_t cap)
{
    size_t ms, mo = child(f, 0, n, "moov", &ms);
    if (!mo) return 0;
    size_t ps = mo + hdrlen(f, mo), pe = mo + ms;
    if (in_udta) {
        size_t us, uo = child(f, ps, pe, "udta", &us);
        if (!uo) return 0;
        ps = uo + 8;
        pe = uo + us;
    }
    /* every meta among the children */
    size_t o = ps;
    while (o + 8 <= pe) {
        size_t s = rd32(f + o);
        if (s < 8 || s > pe - o) return 0;
        if (memcmp(f + o + 4, "meta", 4) == 0) {
            size_t b = o + 8 + (memcmp(f + o + 12, "hdlr", 4) == 0 ? 0 : 4);
            size_t ks, ko = child(f, b, o + s, "keys", &ks), ls, lo = child(f, b, o + s, "ilst", &ls);
            if (ko && lo) {
                uint32_t cnt = rd32(f + ko + 12), idx = 0;
                size_t e = ko + 16;
                for (uint32_t i = 0; i < cnt; i++) {
                    uint32_t es = rd32(f + e);
                    if (es - 8 == strlen(key) && memcmp(f + e + 8, key, es - 8) == 0) idx = i + 1;
                    e += es;
                }
                size_t io = lo + 8;
                while (idx && io + 8 <= lo + ls) {
                    size_t is = rd32(f + io);
                    if (rd32(f + io + 4) == idx) {
                        size_t dl = rd32(f + io + 8) - 16;
                        if (dl >= cap) return 0;
                        memcpy(val, f + io + 24, dl);
                        val[dl] = 0;
                        return 1;
                    }
                    io += is;
                }
            }
        }
        o += s;
    }
    return 0;
}

static void *memmem_(const void *h, size_t hn, const void *nd, size_t nn)
{
    for (size_t i = 0; i + nn <= hn; i++)
        if (memcmp((const uint8_t *)h + i, nd, nn) == 0)
            return (uint8_t *)h + i;
    return NULL;
}

/* ---- label helpers ------------------------------------------------------- */

static aim_label *mk_label(const char *id)
{
    aim_label *l = aim_label_new();
    aim_label_set(l, AIM_FIELD_LABEL, "1");
    aim_label_set(l, AIM_FIELD_CONTENT_PRODUCER, "001191110102MACQD9K64010000");
    aim_label_set(l, AIM_FIELD_PRODUCE_ID, id);
    return l;
}

static char *json_of(const aim_label *l)
{
    size_t len;
    aim_label_to_json(l, AIM_FORM_BARE, NULL, 0, &len);
    char *j = malloc(len + 1);
    aim_label_to_json(l, AIM_FORM_BARE, j, len + 1, &len);
    return j;
}

/* Write label `id` into in; returns the rc, output in *out (size *on). */
static int write_id(const uint8_t *in, size_t n, const char *id, uint8_t **out, size_t *on,
                    aim_diag *d)
{
    aim_label *l = mk_label(id);
    void *o = NULL;
    int rc = aim_meta_write_mem(in, n, l, NULL, &o, on, d);
    aim_label_free(l);
    *out = o;
    return rc;
}

/* Read and check: count, location, ProduceID. */
static void expect_label(const uint8_t *f, size_t n, unsigned count, const char *loc, const char *id)
{
    aim_meta *m = NULL;
    aim_diag d;
    CHECK_INT(aim_meta_read_mem(f, n, &m, &d), AIM_OK);
    if (!m) return;
    CHECK_INT(aim_meta_format(m), AIM_FORMAT_MP4);
    CHECK_INT(aim_meta_label_count(m), count);
    if (loc) {
        CHECK_STR(aim_meta_location(m), loc);
        CHECK(aim_meta_label(m) != NULL);
        CHECK_STR(aim_label_get(aim_meta_label(m), AIM_FIELD_PRODUCE_ID), id);
    } else {
        CHECK(aim_meta_label(m) == NULL);
    }
    aim_meta_free(m);
}

/* ---- tests ----------------------------------------------------------------- */

static void t_probe(void)
{
    spec s = {0};
    B *f = build(&s);
    CHECK_INT(aim_format_probe(f->p, f->n), AIM_FORMAT_MP4);
    static const uint8_t qt[] = {0, 0, 0, 8, 'w', 'i', 'd', 'e', 0, 0, 0, 8, 'm', 'd', 'a', 't'};
    CHECK_INT(aim_format_probe(qt, sizeof qt), AIM_FORMAT_MP4);
    static const uint8_t bad[] = {0, 0, 0, 4, 'f', 't', 'y', 'p', 0, 0, 0, 0};
    CHECK(aim_format_probe(bad, sizeof bad) != AIM_FORMAT_MP4);
    static const uint8_t other[] = {0, 0, 0, 16, 'a', 'b', 'c', 'd', 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK(aim_format_probe(other, sizeof other) != AIM_FORMAT_MP4);
    expect_label(f->p, f->n, 0, NULL, NULL);
    free(f);
}

static void t_write_moov_last(void)
{
    spec s = {0};
    s.udta_name = 1;
    B *f = build(&s);
    uint8_t *o;
    size_t on;
    aim_diag d;
    CHECK_INT(write_id(f->p, f->n, "moovlast", &o, &on, &d), AIM_OK);
    if (!o) { free(f); return; }
    expect_label(o, on, 1, "mp4:udta/meta/keys:AIGC", "moovlast");
    /* everything before moov (ftyp, mdat) is byte-identical, offsets too */
    size_t ms, mo = child(f->p, 0, f->n, "moov", &ms);
    CHECK(memcmp(o, f->p, mo) == 0);
    CHECK(chunks_ok(o, on));
    CHECK(on > f->n);
    /* the (c)nam box survives byte for byte */
    static const uint8_t nam[] = {0, 0, 0, 17, 0xa9, 'n', 'a', 'm', 0, 5, 0, 0, 'h', 'e', 'l', 'l', 'o'};
    CHECK(memmem_(o, on, nam, sizeof nam) != NULL);
    char v[512];
    CHECK(key_value(o, on, 1, "AIGC", v, sizeof v));
    aim_label *l = mk_label("moovlast");
    char *j = json_of(l);
    CHECK_STR(v, j);
    free(j);
    aim_label_free(l);
    /* ffmpeg's exact layout: hdlr mdta, key "mdtaAIGC", data type 1 */
    static const uint8_t key[] = {0, 0, 0, 12, 'm', 'd', 't', 'a', 'A', 'I', 'G', 'C'};
    CHECK(memmem_(o, on, key, sizeof key) != NULL);
    CHECK(memmem_(o, on, "data\0\0\0\1\0\0\0\0{\"Label\"", 19) != NULL);
    free(o);
    free(f);
}

static void t_write_faststart_shift(void)
{
    spec s = {0};
    s.faststart = 1;
    B *f = build(&s);
    CHECK(chunks_ok(f->p, f->n));
    uint8_t *o;
    size_t on;
    aim_diag d;
    CHECK_INT(write_id(f->p, f->n, "fast", &o, &on, &d), AIM_OK);
    if (!o) { free(f); return; }
    expect_label(o, on, 1, "mp4:udta/meta/keys:AIGC", "fast");
    CHECK(chunks_ok(o, on));
    /* media moved: the mdat payload is identical, later in the file */
    size_t ms, mo = child(f->p, 0, f->n, "mdat", &ms), ns, no = child(o, 0, on, "mdat", &ns);
    CHECK(mo && no && no > mo && ms == ns && memcmp(f->p + mo, o + no, ms) == 0);
    /* re-write: shifts again (now shrinking/growing by a little) */
    uint8_t *o2;
    size_t on2;
    CHECK_INT(write_id(o, on, "fast-again-with-a-longer-id", &o2, &on2, &d), AIM_OK);
    if (o2) {
        expect_label(o2, on2, 1, "mp4:udta/meta/keys:AIGC", "fast-again-with-a-longer-id");
        CHECK(chunks_ok(o2, on2));
        uint8_t *o3;
        size_t on3;
        CHECK_INT(write_id(o2, on2, "x", &o3, &on3, &d), AIM_OK);
        if (o3) {
            expect_label(o3, on3, 1, "mp4:udta/meta/keys:AIGC", "x");
            CHECK(chunks_ok(o3, on3));
            free(o3);
        }
        free(o2);
    }
    free(o);
    free(f);
}

static void t_free_absorbs(void)
{
    spec s = {0};
    s.faststart = 1;
    s.free_after = 1024;
    B *f = build(&s);
    uint8_t *o;
    size_t on;
    aim_diag d;
    CHECK_INT(write_id(f->p, f->n, "absorbed", &o, &on, &d), AIM_OK);
    if (!o) { free(f); return; }
    expect_label(o, on, 1, "mp4:udta/meta/keys:AIGC", "absorbed");
    CHECK_INT(on, f->n); /* same size: the free box shrank */
    size_t ms, mo = child(f->p, 0, f->n, "mdat", &ms), ns, no = child(o, 0, on, "mdat", &ns);
    CHECK_INT(no, mo);
    CHECK(chunks_ok(o, on));
    size_t fs, fo = child(o, 0, on, "free", &fs);
    CHECK(fo && fs < 1024);
    /* a shorter label next: the free box grows back, nothing moves */
    uint8_t *o2;
    size_t on2;
    CHECK_INT(write_id(o, on, "s", &o2, &on2, &d), AIM_OK);
    if (o2) {
        CHECK_INT(on2, f->n);
        CHECK(chunks_ok(o2, on2));
        expect_label(o2, on2, 1, "mp4:udta/meta/keys:AIGC", "s");
        free(o2);
    }
    free(o);
    free(f);
}

static void t_replace_renumbers(void)
{
    spec s = {0};
    s.faststart = 1;
    s.keys[0] = "title"; s.vals[0] = "hello";
    s.keys[1] = "AIGC"; s.vals[1] = "{\"Label\":\"1\",\"ContentProducer\":\"old\",\"ProduceID\":\"old\"}";
    s.keys[2] = "artist"; s.vals[2] = "bob";
    B *f = build(&s);
    expect_label(f->p, f->n, 1, "mp4:udta/meta/keys:AIGC", "old");
    uint8_t *o;
    size_t on;
    aim_diag d;
    CHECK_INT(write_id(f->p, f->n, "new", &o, &on, &d), AIM_OK);
    if (!o) { free(f); return; }
    expect_label(o, on, 1, "mp4:udta/meta/keys:AIGC", "new");
    char v[512];
    CHECK(key_value(o, on, 1, "title", v, sizeof v));
    CHECK_STR(v, "hello");
    CHECK(key_value(o, on, 1, "artist", v, sizeof v));
    CHECK_STR(v, "bob");
    CHECK(chunks_ok(o, on));
    /* exactly one keys box with 3 keys, AIGC last */
    const uint8_t *kp = memmem_(o, on, "keys", 4);
    CHECK(kp && rd32(kp + 8) == 3);
    CHECK(memmem_(o, on, "old", 3) == NULL);
    free(o);
    free(f);
}

static void t_keeps_mdir_meta(void)
{
    spec s = {0};
    s.mdir_meta = 1;
    s.udta_name = 1;
    B *f = build(&s);
    /* the mdir meta as built: find its bytes */
    const uint8_t *mm = memmem_(f->p, f->n, "mdir", 4);
    CHECK(mm != NULL);
    const uint8_t *meta = mm - 28; /* meta hdr 8, v/f 4, hdlr hdr 8, v/f 4, pre_defined 4 */
    size_t meta_len = rd32(meta);
    uint8_t *o;
    size_t on;
    aim_diag d;
    CHECK_INT(write_id(f->p, f->n, "mdir", &o, &on, &d), AIM_OK);
    if (!o) { free(f); return; }
    expect_label(o, on, 1, "mp4:udta/meta/keys:AIGC", "mdir");
    CHECK(memmem_(o, on, meta, meta_len) != NULL);
    CHECK(chunks_ok(o, on));
    free(o);
    free(f);
}

static void t_quicktime_meta(void)
{
    spec s = {0};
    s.qt_meta = 1;
    s.keys[0] = "AIGC"; s.vals[0] = "{\"Label\":\"1\",\"ContentProducer\":\"qt\",\"ProduceID\":\"qt\"}";
    B *f = build(&s);
    expect_label(f->p, f->n, 1, "mp4:udta/meta/keys:AIGC", "qt");
    uint8_t *o;
    size_t on;
    aim_diag d;
    CHECK_INT(write_id(f->p, f->n, "qt2", &o, &on, &d), AIM_OK);
    if (!o) { free(f); return; }
    expect_label(o, on, 1, "mp4:udta/meta/keys:AIGC", "qt2");
    /* still a plain container: 'hdlr' right after the meta header */
    const uint8_t *m = memmem_(o, on, "meta", 4);
    CHECK(m && memcmp(m + 8, "hdlr", 4) == 0);
    free(o);
    free(f);
}

static void t_moov_meta_label(void)
{
    spec s = {0};
    s.moov_key = "com.apple.quicktime.AIGC";
    s.moov_val = "{\"Label\":\"1\",\"ContentProducer\":\"et\",\"ProduceID\":\"exif\"}";
    B *f = build(&s);
    expect_label(f->p, f->n, 1, "mp4:meta/keys:AIGC", "exif");
    /* both places: udta first in reading order, count 2 */
    s.keys[0] = "AIGC"; s.vals[0] = "{\"Label\":\"1\",\"ContentProducer\":\"ff\",\"ProduceID\":\"ff\"}";
    B *g = build(&s);
    expect_label(g->p, g->n, 2, "mp4:udta/meta/keys:AIGC", "ff");
    uint8_t *o;
    size_t on;
    aim_diag d;
    CHECK_INT(write_id(g->p, g->n, "one", &o, &on, &d), AIM_OK);
    if (o) {
        expect_label(o, on, 1, "mp4:udta/meta/keys:AIGC", "one");
        CHECK(memmem_(o, on, "com.apple.quicktime.AIGC", 24) == NULL);
        CHECK(chunks_ok(o, on));
        free(o);
    }
    free(f);
    free(g);
}

static void t_no_udta(void)
{
    spec s = {0};
    s.no_udta = 1;
    s.faststart = 1;
    B *f = build(&s);
    uint8_t *o;
    size_t on;
    aim_diag d;
    CHECK_INT(write_id(f->p, f->n, "noudta", &o, &on, &d), AIM_OK);
    if (o) {
        expect_label(o, on, 1, "mp4:udta/meta/keys:AIGC", "noudta");
        CHECK(chunks_ok(o, on));
        free(o);
    }
    free(f);
}

static void t_big_moov_and_size0_mdat(void)
{
    spec s = {0};
    s.big_moov = 1;
    s.faststart = 1;
    s.mdat_size0 = 1;
    B *f = build(&s);
    expect_label(f->p, f->n, 0, NULL, NULL);
    uint8_t *o;
    size_t on;
    aim_diag d;
    CHECK_INT(write_id(f->p, f->n, "big", &o, &on, &d), AIM_OK);
    if (o) {
        expect_label(o, on, 1, "mp4:udta/meta/keys:AIGC", "big");
        CHECK(chunks_ok(o, on));
        free(o);
    }
    free(f);
}

static void t_fragmented(void)
{
    spec s = {0};
    s.faststart = 1;
    s.mvex = 1;
    s.moof = 1;
    B *f = build(&s);
    uint8_t *o;
    size_t on;
    aim_diag d;
    CHECK_INT(write_id(f->p, f->n, "frag", &o, &on, &d), AIM_ERR_UNSUPPORTED);
    CHECK(strstr(d.message, "fragmented") != NULL);
    CHECK(o == NULL);
    /* with room in a free box after moov nothing moves: accepted */
    s.free_after = 2048;
    B *g = build(&s);
    CHECK_INT(write_id(g->p, g->n, "frag", &o, &on, &d), AIM_OK);
    if (o) {
        CHECK_INT(on, g->n);
        expect_label(o, on, 1, "mp4:udta/meta/keys:AIGC", "frag");
        free(o);
    }
    /* moov at the end: accepted */
    s.free_after = 0;
    s.faststart = 0;
    B *h = build(&s);
    CHECK_INT(write_id(h->p, h->n, "fragend", &o, &on, &d), AIM_OK);
    free(o);
    free(f);
    free(g);
    free(h);
}

static void t_stco_overflow(void)
{
    spec s = {0};
    s.faststart = 1;
    s.stco_bias = 0xFFFFFFFFu - 100;
    B *f = build(&s);
    uint8_t *o;
    size_t on;
    aim_diag d;
    CHECK_INT(write_id(f->p, f->n, "ovf", &o, &on, &d), AIM_ERR_UNSUPPORTED);
    CHECK(strstr(d.message, "stco") != NULL);
    free(o);
    free(f);
}

static void t_truncations(void)
{
    spec s = {0};
    s.faststart = 1;
    s.keys[0] = "AIGC"; s.vals[0] = "{\"Label\":\"1\",\"ContentProducer\":\"t\",\"ProduceID\":\"t\"}";
    B *f = build(&s);
    size_t ms, mo = child(f->p, 0, f->n, "moov", &ms);
    int bad_ok = 0;
    for (size_t n = 0; n < f->n; n++) {
        aim_meta *m = NULL;
        aim_diag d;
        int rc = aim_meta_read_mem(f->p, n, &m, &d);
        /* cut inside moov: the moov box runs past the end */
        if (n >= mo + 8 && n < mo + ms && rc == AIM_OK)
            bad_ok++;
        aim_meta_free(m);
        uint8_t *o;
        size_t on;
        rc = write_id(f->p, n, "trunc", &o, &on, &d);
        if (n >= mo + 8 && n < mo + ms && rc == AIM_OK)
            bad_ok++;
        free(o);
    }
    CHECK_INT(bad_ok, 0);
    free(f);
}

static void t_lying_sizes(void)
{
    spec s = {0};
    s.keys[0] = "AIGC"; s.vals[0] = "{\"Label\":\"1\",\"ContentProducer\":\"t\",\"ProduceID\":\"t\"}";
    B *f = build(&s);
    size_t ms, mo = child(f->p, 0, f->n, "moov", &ms);
    uint8_t *c = malloc(f->n);
    aim_meta *m = NULL;
    aim_diag d;
    /* mvhd larger than moov */
    memcpy(c, f->p, f->n);
    c[mo + 8] = 0x7f;
    CHECK_INT(aim_meta_read_mem(c, f->n, &m, &d), AIM_ERR_CORRUPT);
    CHECK(strstr(d.message, "mvhd") != NULL);
    /* size 0 inside moov */
    memcpy(c, f->p, f->n);
    memset(c + mo + 8, 0, 4);
    CHECK_INT(aim_meta_read_mem(c, f->n, &m, &d), AIM_ERR_CORRUPT);
    /* 64-bit size smaller than its header */
    memcpy(c, f->p, f->n);
    c[mo + 8] = 0; c[mo + 9] = 0; c[mo + 10] = 0; c[mo + 11] = 1;
    memset(c + mo + 16, 0, 8);
    c[mo + 23] = 9;
    CHECK_INT(aim_meta_read_mem(c, f->n, &m, &d), AIM_ERR_CORRUPT);
    /* moov claims more than the file */
    memcpy(c, f->p, f->n);
    c[mo] = 0x10;
    CHECK_INT(aim_meta_read_mem(c, f->n, &m, &d), AIM_ERR_TRUNCATED);
    /* keys lists a huge number of entries */
    memcpy(c, f->p, f->n);
    uint8_t *k = memmem_(c, f->n, "keys", 4);
    if (k) {
        k[8] = 0x7f;
        CHECK(aim_meta_read_mem(c, f->n, &m, &d) < 0);
        k[8] = 0; k[11] = 2; /* 2 entries, room for 1 */
        CHECK_INT(aim_meta_read_mem(c, f->n, &m, &d), AIM_ERR_CORRUPT);
    }
    /* keys entry size lies */
    memcpy(c, f->p, f->n);
    k = memmem_(c, f->n, "keys", 4);
    if (k) {
        k[12] = 0x40;
        CHECK_INT(aim_meta_read_mem(c, f->n, &m, &d), AIM_ERR_CORRUPT);
    }
    /* data box size lies: past its item */
    memcpy(c, f->p, f->n);
    uint8_t *db = memmem_(c, f->n, "data", 4);
    if (db) {
        db[-2] = 0x7f;
        CHECK_INT(aim_meta_read_mem(c, f->n, &m, &d), AIM_ERR_CORRUPT);
    }
    CHECK(m == NULL);
    free(c);
    free(f);
}

static void t_stco_count_lies(void)
{
    spec s = {0};
    s.faststart = 1;
    B *f = build(&s);
    uint8_t *st = memmem_(f->p, f->n, "stco", 4);
    CHECK(st != NULL);
    if (st) {
        st[8] = 0x00; st[9] = 0x00; st[10] = 0xff; st[11] = 0xff; /* 65535 entries in 16 bytes */
        uint8_t *o;
        size_t on;
        aim_diag d;
        CHECK_INT(write_id(f->p, f->n, "lie", &o, &on, &d), AIM_ERR_CORRUPT);
        st[8] = 0xff;
        CHECK(write_id(f->p, f->n, "lie", &o, &on, &d) < 0);
        free(o);
    }
    free(f);
}

static void t_deep_and_many(void)
{
    /* 2000 nested udta boxes inside moov/udta, then 20000 tiny top-level boxes */
    B *f = bnew();
    open_(f, "ftyp"); put(f, "isom", 4); be32(f, 0); close_(f);
    open_(f, "moov");
    for (int i = 0; i < 2000; i++)
        open_(f, "udta");
    for (int i = 0; i < 2000; i++)
        close_(f);
    close_(f);
    for (int i = 0; i < 2000; i++) { be32(f, 8); put(f, "free", 4); }
    expect_label(f->p, f->n, 0, NULL, NULL);
    uint8_t *o;
    size_t on;
    aim_diag d;
    CHECK_INT(write_id(f->p, f->n, "deep", &o, &on, &d), AIM_OK);
    if (o) {
        expect_label(o, on, 1, "mp4:udta/meta/keys:AIGC", "deep");
        free(o);
    }
    free(f);
}

static void t_no_moov(void)
{
    B *f = bnew();
    open_(f, "ftyp"); put(f, "isom", 4); be32(f, 0); close_(f);
    open_(f, "mdat"); zeros(f, 16); close_(f);
    expect_label(f->p, f->n, 0, NULL, NULL);
    uint8_t *o;
    size_t on;
    aim_diag d;
    CHECK_INT(write_id(f->p, f->n, "x", &o, &on, &d), AIM_ERR_CORRUPT);
    CHECK(strstr(d.message, "no moov") != NULL);
    free(o);
    /* two moov boxes */
    spec s = {0};
    B *g = build(&s);
    size_t ms, mo = child(g->p, 0, g->n, "moov", &ms);
    put(g, g->p + mo, ms);
    aim_meta *m;
    CHECK_INT(aim_meta_read_mem(g->p, g->n, &m, &d), AIM_ERR_CORRUPT);
    free(f);
    free(g);
}

TEST_MAIN(t_probe, t_write_moov_last, t_write_faststart_shift, t_free_absorbs,
          t_replace_renumbers, t_keeps_mdir_meta, t_quicktime_meta, t_moov_meta_label, t_no_udta,
          t_big_moov_and_size0_mdat, t_fragmented, t_stco_overflow, t_truncations, t_lying_sizes,
          t_stco_count_lies, t_deep_and_many, t_no_moov)
