/* FLAC handler: read/write the AIGC Vorbis comment, PADDING, hostile input. */
#include <stdlib.h>
#include <string.h>

#include "aimark/aimark.h"
#include "container/handler.h"
#include "core/buf.h"
#include "core/bytes.h"
#include "test.h"

#define AUDIO_LEN 3000

/* What goes into a synthetic FLAC file. */
typedef struct spec {
    const char *const *comments; /* NULL: no VORBIS_COMMENT block */
    int ncomments;
    long padding;                /* < 0: no PADDING block */
    int application;             /* add an APPLICATION block before the comments */
    int picture;                 /* add a PICTURE block after the comments */
    int id3;                     /* prefix an ID3v2 tag */
} spec;

static void block(aim_buf *b, int type, int last, const void *body, uint32_t len)
{
    buf_putc(b, (uint8_t)(type | (last ? 0x80 : 0)));
    buf_putc(b, (uint8_t)(len >> 16));
    buf_putc(b, (uint8_t)(len >> 8));
    buf_putc(b, (uint8_t)len);
    if (body)
        buf_put(b, body, len);
    else
        buf_zero(b, len);
}

static void make_flac(aim_buf *b, const spec *s)
{
    if (s->id3) {
        static const uint8_t id3[] = {'I', 'D', '3', 4, 0, 0, 0, 0, 0, 12,
                                      'T', 'I', 'T', '2', 0, 0, 0, 2, 0, 0, 3, 'x'};
        buf_put(b, id3, sizeof id3);
    }
    buf_puts(b, "fLaC");
    uint8_t si[34];
    for (int i = 0; i < 34; i++)
        si[i] = (uint8_t)(0x10 + i);
    int has_vc = s->comments != NULL, has_pad = s->padding >= 0;
    block(b, 0, !has_vc && !has_pad && !s->application && !s->picture, si, 34);
    if (s->application)
        block(b, 2, !has_vc && !has_pad && !s->picture, "TEST0123456789", 14);
    if (has_vc) {
        aim_buf vc = AIM_BUF_INIT;
        buf_le32(&vc, 3);
        buf_puts(&vc, "ref");
        buf_le32(&vc, (uint32_t)s->ncomments);
        for (int i = 0; i < s->ncomments; i++) {
            buf_le32(&vc, (uint32_t)strlen(s->comments[i]));
            buf_puts(&vc, s->comments[i]);
        }
        block(b, 4, !has_pad && !s->picture, vc.p, (uint32_t)vc.len);
        buf_free(&vc);
    }
    if (s->picture) {
        uint8_t pic[200];
        for (int i = 0; i < 200; i++)
            pic[i] = (uint8_t)(i * 7);
        block(b, 6, !has_pad, pic, sizeof pic);
    }
    if (has_pad)
        block(b, 1, 1, NULL, (uint32_t)s->padding);
    for (int i = 0; i < AUDIO_LEN; i++)
        buf_putc(b, (uint8_t)(i == 0 ? 0xFF : i == 1 ? 0xF8 : (i * 31) & 0xFF));
}

static aim_label *mk_label(const char *id)
{
    aim_label *l = aim_label_new();
    aim_label_set(l, AIM_FIELD_LABEL, "1");
    aim_label_set(l, AIM_FIELD_CONTENT_PRODUCER, "001191110102MACQD9K64010000");
    aim_label_set(l, AIM_FIELD_PRODUCE_ID, id);
    return l;
}

static int write_label(const uint8_t *in, size_t n, const char *id, uint8_t **out, size_t *out_n)
{
    aim_label *l = mk_label(id);
    void *o = NULL;
    aim_diag d;
    int rc = aim_meta_write_mem(in, n, l, NULL, &o, out_n, &d);
    aim_label_free(l);
    *out = o;
    if (rc)
        fprintf(stderr, "  write: %d %s\n", rc, d.message);
    return rc;
}

/* Walk the blocks of a FLAC file; returns number of blocks, -1 if broken. */
typedef struct blk {
    int type, last;
    size_t off, len; /* body */
} blk;

static int walk(const uint8_t *p, size_t n, size_t start, blk *out, int cap, size_t *audio)
{
    size_t off = start + 4;
    for (int i = 0; i < cap; i++) {
        if (off + 4 > n)
            return -1;
        out[i].type = p[off] & 0x7F;
        out[i].last = p[off] >> 7;
        out[i].len = rd_be24(p + off + 1);
        out[i].off = off + 4;
        off += 4 + out[i].len;
        if (off > n)
            return -1;
        if (out[i].last) {
            *audio = off;
            return i + 1;
        }
    }
    return -1;
}

static void check_label(const uint8_t *p, size_t n, const char *id, unsigned count)
{
    aim_meta *m = NULL;
    CHECK_INT(aim_meta_read_mem(p, n, &m, NULL), AIM_OK);
    if (!m)
        return;
    CHECK_INT(aim_meta_format(m), AIM_FORMAT_FLAC);
    CHECK_INT(aim_meta_label_count(m), count);
    if (id) {
        CHECK_STR(aim_meta_location(m), "flac:vorbis-comment:AIGC");
        CHECK_STR(aim_label_get(aim_meta_label(m), AIM_FIELD_PRODUCE_ID), id);
    }
    aim_meta_free(m);
}

/* The comment strings of the VORBIS_COMMENT body at p. */
static int has_comment(const uint8_t *p, size_t n, const char *want)
{
    size_t pos = 4 + rd_le32(p);
    uint32_t count = rd_le32(p + pos);
    pos += 4;
    for (uint32_t i = 0; i < count && pos + 4 <= n; i++) {
        uint32_t len = rd_le32(p + pos);
        pos += 4;
        if (len == strlen(want) && memcmp(p + pos, want, len) == 0)
            return 1;
        pos += len;
    }
    return 0;
}

static void t_read_without_and_with_label(void)
{
    const char *c[] = {"TITLE=song", "aigc={\"Label\":\"1\",\"ProduceID\":\"p1\"}"};
    spec s = {c, 1, 100, 0, 0, 0};
    aim_buf b = AIM_BUF_INIT;
    make_flac(&b, &s);
    check_label(b.p, b.len, NULL, 0);
    buf_free(&b);
    s.ncomments = 2;
    make_flac(&b, &s);
    aim_meta *m = NULL;
    CHECK_INT(aim_meta_read_mem(b.p, b.len, &m, NULL), AIM_OK);
    CHECK_INT(aim_meta_label_count(m), 1);
    CHECK_STR(aim_meta_raw(m), "{\"Label\":\"1\",\"ProduceID\":\"p1\"}");
    aim_meta_free(m);
    buf_free(&b);
}

static void t_write_padding_keeps_audio_offset(void)
{
    const char *c[] = {"TITLE=song", "ARTIST=me"};
    spec s = {c, 2, 8192, 1, 1, 0};
    aim_buf b = AIM_BUF_INIT;
    make_flac(&b, &s);
    blk in[8], ob[8];
    size_t in_audio = 0, out_audio = 0;
    CHECK_INT(walk(b.p, b.len, 0, in, 8, &in_audio), 5);
    uint8_t *o = NULL;
    size_t on = 0;
    CHECK_INT(write_label(b.p, b.len, "id-1", &o, &on), AIM_OK);
    CHECK_INT(on, b.len);
    CHECK_INT(walk(o, on, 0, ob, 8, &out_audio), 5);
    CHECK_INT(out_audio, in_audio);
    CHECK(memcmp(o + out_audio, b.p + in_audio, AUDIO_LEN) == 0);
    /* STREAMINFO, APPLICATION, PICTURE byte-exact and in order; PADDING last. */
    int types[5] = {0, 2, 4, 6, 1};
    for (int i = 0; i < 5; i++) {
        CHECK_INT(ob[i].type, types[i]);
        CHECK_INT(ob[i].last, i == 4);
    }
    for (int i = 0; i < 4; i++)
        if (ob[i].type != 4)
            CHECK(ob[i].len == in[i].len && memcmp(o + ob[i].off, b.p + in[i].off, in[i].len) == 0);
    CHECK(has_comment(o + ob[2].off, ob[2].len, "TITLE=song"));
    CHECK(has_comment(o + ob[2].off, ob[2].len, "ARTIST=me"));
    CHECK_INT(memcmp(o + ob[2].off, "\x03\0\0\0ref", 7), 0);
    check_label(o, on, "id-1", 1);

    /* Re-write: the label is replaced, still one, audio still in place. */
    uint8_t *o2 = NULL;
    size_t on2 = 0;
    CHECK_INT(write_label(o, on, "id-second", &o2, &on2), AIM_OK);
    CHECK_INT(on2, b.len);
    check_label(o2, on2, "id-second", 1);
    CHECK(memcmp(o2 + in_audio, b.p + in_audio, AUDIO_LEN) == 0);
    aim_free(o);
    aim_free(o2);
    buf_free(&b);
}

static void t_write_no_padding_adds_fresh_padding(void)
{
    const char *c[] = {"TITLE=song"};
    spec s = {c, 1, -1, 0, 0, 0};
    aim_buf b = AIM_BUF_INIT;
    make_flac(&b, &s);
    blk in[8], ob[8];
    size_t in_audio = 0, out_audio = 0;
    CHECK_INT(walk(b.p, b.len, 0, in, 8, &in_audio), 2);
    uint8_t *o = NULL;
    size_t on = 0;
    CHECK_INT(write_label(b.p, b.len, "np", &o, &on), AIM_OK);
    CHECK_INT(walk(o, on, 0, ob, 8, &out_audio), 3);
    CHECK_INT(ob[0].type, 0);
    CHECK_INT(ob[1].type, 4);
    CHECK_INT(ob[2].type, 1);
    CHECK_INT(ob[2].len, 4096);
    CHECK_INT(ob[2].last, 1);
    CHECK_INT(ob[1].last, 0);
    CHECK_INT(on - out_audio, AUDIO_LEN);
    CHECK(memcmp(o + out_audio, b.p + in_audio, AUDIO_LEN) == 0);
    CHECK(has_comment(o + ob[1].off, ob[1].len, "TITLE=song"));
    check_label(o, on, "np", 1);
    aim_free(o);
    buf_free(&b);
}

static void t_write_no_comment_block(void)
{
    /* No VORBIS_COMMENT: one is added right after STREAMINFO. */
    spec s = {NULL, 0, 4000, 1, 0, 0};
    aim_buf b = AIM_BUF_INIT;
    make_flac(&b, &s);
    uint8_t *o = NULL;
    size_t on = 0;
    CHECK_INT(write_label(b.p, b.len, "nc", &o, &on), AIM_OK);
    blk ob[8] = {{0}};
    size_t audio = 0;
    CHECK_INT(walk(o, on, 0, ob, 8, &audio), 4);
    CHECK_INT(ob[1].type, 4);
    CHECK_INT(ob[2].type, 2);
    CHECK_INT(ob[3].type, 1);
    CHECK_INT(on, b.len); /* 4000 bytes of padding absorb it */
    CHECK_INT(memcmp(o + ob[1].off, "\x06\0\0\0aimark", 10), 0);
    check_label(o, on, "nc", 1);
    aim_free(o);
    buf_free(&b);

    /* Only STREAMINFO, which was the last block. */
    spec s2 = {NULL, 0, -1, 0, 0, 0};
    make_flac(&b, &s2);
    CHECK_INT(write_label(b.p, b.len, "only", &o, &on), AIM_OK);
    CHECK_INT(walk(o, on, 0, ob, 8, &audio), 3);
    CHECK_INT(ob[0].last, 0);
    check_label(o, on, "only", 1);
    aim_free(o);
    buf_free(&b);
}

static void t_write_insufficient_padding(void)
{
    const char *c[] = {"TITLE=song"};
    for (long pad = 0; pad < 300; pad += 37) {
        spec s = {c, 1, pad, 0, 0, 0};
        aim_buf b = AIM_BUF_INIT;
        make_flac(&b, &s);
        uint8_t *o = NULL;
        size_t on = 0;
        CHECK_INT(write_label(b.p, b.len, "small-pad", &o, &on), AIM_OK);
        blk ob[8] = {{0}};
        size_t audio = 0;
        CHECK_INT(walk(o, on, 0, ob, 8, &audio), 3);
        /* The label adds ~170 bytes: padding below that is replaced by 4096. */
        if (on != b.len)
            CHECK_INT(ob[2].len, 4096);
        CHECK(memcmp(o + audio, b.p + b.len - AUDIO_LEN, AUDIO_LEN) == 0);
        check_label(o, on, "small-pad", 1);
        aim_free(o);
        buf_free(&b);
    }
}

static void t_write_exact_fit_drops_padding(void)
{
    /* Make the padding exactly as large as the growth minus its header. */
    const char *c[] = {"TITLE=song"};
    spec s = {c, 1, 0, 0, 0, 0};
    aim_buf b = AIM_BUF_INIT;
    make_flac(&b, &s);
    uint8_t *o = NULL;
    size_t on = 0;
    CHECK_INT(write_label(b.p, b.len, "fit", &o, &on), AIM_OK);
    blk ob[8] = {{0}};
    size_t audio = 0;
    CHECK_INT(walk(o, on, 0, ob, 8, &audio), 3);
    long growth = (long)ob[1].len - (long)(4 + 3 + 4 + 4 + 10);
    aim_free(o);
    buf_free(&b);
    s.padding = growth - 4; /* old padding block (4 + growth - 4) == growth */
    make_flac(&b, &s);
    CHECK_INT(write_label(b.p, b.len, "fit", &o, &on), AIM_OK);
    CHECK_INT(on, b.len);
    CHECK_INT(walk(o, on, 0, ob, 8, &audio), 2);
    CHECK_INT(ob[1].last, 1);
    check_label(o, on, "fit", 1);
    aim_free(o);
    buf_free(&b);
}

static void t_write_removes_every_old_label(void)
{
    const char *c[] = {"AIGC=old1", "TITLE=t", "Aigc=old2"};
    spec s = {c, 3, 1000, 0, 0, 0};
    aim_buf b = AIM_BUF_INIT;
    make_flac(&b, &s);
    check_label(b.p, b.len, NULL, 2);
    uint8_t *o = NULL;
    size_t on = 0;
    CHECK_INT(write_label(b.p, b.len, "one", &o, &on), AIM_OK);
    check_label(o, on, "one", 1);
    blk ob[8] = {{0}};
    size_t audio = 0;
    CHECK_INT(walk(o, on, 0, ob, 8, &audio), 3);
    CHECK(has_comment(o + ob[1].off, ob[1].len, "TITLE=t"));
    CHECK_INT(rd_le32(o + ob[1].off + 7), 2);
    aim_free(o);
    buf_free(&b);
}

static void t_id3_prefix_kept(void)
{
    const char *c[] = {"TITLE=song"};
    spec s = {c, 1, 500, 0, 0, 1};
    aim_buf b = AIM_BUF_INIT;
    make_flac(&b, &s);
    CHECK_INT(aim_format_probe(b.p, b.len), AIM_FORMAT_FLAC);
    uint8_t *o = NULL;
    size_t on = 0;
    CHECK_INT(write_label(b.p, b.len, "id3", &o, &on), AIM_OK);
    CHECK_INT(on, b.len);
    CHECK(memcmp(o, b.p, 26) == 0); /* ID3 tag + "fLaC" */
    check_label(o, on, "id3", 1);
    aim_free(o);
    buf_free(&b);
}

static void t_too_large_comment_block(void)
{
    /* A comment block just under 2^24-1: adding the label overflows it. */
    size_t big = 0xFFFFFFu - 50;
    aim_buf b = AIM_BUF_INIT;
    b.limit = 64u << 20;
    buf_puts(&b, "fLaC");
    uint8_t si[34] = {0};
    block(&b, 0, 0, si, 34);
    buf_putc(&b, 0x84);
    buf_putc(&b, (uint8_t)(big >> 16));
    buf_putc(&b, (uint8_t)(big >> 8));
    buf_putc(&b, (uint8_t)big);
    buf_le32(&b, 0);
    buf_le32(&b, 1);
    buf_le32(&b, (uint32_t)(big - 12));
    buf_puts(&b, "X=");
    buf_zero(&b, big - 14);
    buf_put(&b, "\xFF\xF8", 2);
    CHECK_INT(b.err, 0);
    check_label(b.p, b.len, NULL, 0);
    aim_label *l = mk_label("big");
    void *o = NULL;
    size_t on = 0;
    aim_diag d;
    CHECK_INT(aim_meta_write_mem(b.p, b.len, l, NULL, &o, &on, &d), AIM_ERR_TOO_LARGE);
    CHECK(o == NULL);
    CHECK(strncmp(d.message, "flac: ", 6) == 0);
    aim_label_free(l);
    buf_free(&b);
}

static void t_hostile_truncations(void)
{
    const char *c[] = {"TITLE=song", "AIGC={\"Label\":\"1\"}"};
    spec s = {c, 2, 1000, 1, 0, 0};
    aim_buf b = AIM_BUF_INIT;
    make_flac(&b, &s);
    blk in[8] = {{0}};
    size_t audio = 0;
    CHECK_INT(walk(b.p, b.len, 0, in, 8, &audio), 4);
    aim_label *l = mk_label("t");
    for (size_t n = 0; n <= b.len; n++) {
        uint8_t *p = malloc(n ? n : 1);
        memcpy(p, b.p, n);
        aim_meta *m = NULL;
        int rc = aim_meta_read_mem(p, n, &m, NULL);
        if (n < audio)
            CHECK(rc < 0 && m == NULL);
        else
            CHECK(rc == AIM_OK && aim_meta_label_count(m) == 1);
        aim_meta_free(m);
        void *o = NULL;
        size_t on = 0;
        rc = aim_meta_write_mem(p, n, l, NULL, &o, &on, NULL);
        if (n < audio)
            CHECK(rc < 0 && o == NULL);
        else
            CHECK(rc == AIM_OK && on == n);
        aim_free(o);
        free(p);
    }
    aim_label_free(l);
    buf_free(&b);
}

static void t_hostile_lies(void)
{
    const char *c[] = {"TITLE=song"};
    spec s = {c, 1, 64, 0, 0, 0};
    aim_buf b = AIM_BUF_INIT;
    make_flac(&b, &s);
    aim_meta *m = NULL;
    aim_diag d;
    /* Block length past the end. */
    b.p[4 + 4 + 34 + 1] = 0x7F;
    CHECK_INT(aim_meta_read_mem(b.p, b.len, &m, &d), AIM_ERR_TRUNCATED);
    CHECK(strncmp(d.message, "flac: ", 6) == 0);
    b.p[4 + 4 + 34 + 1] = 0;
    /* Type 127. */
    b.p[4 + 4 + 34] = 0x7F;
    CHECK_INT(aim_meta_read_mem(b.p, b.len, &m, &d), AIM_ERR_CORRUPT);
    b.p[4 + 4 + 34] = 4;
    /* Comment count lie inside the block. */
    wr_le32(b.p + 4 + 4 + 34 + 4 + 7, 0x40000000u);
    CHECK_INT(aim_meta_read_mem(b.p, b.len, &m, &d), AIM_ERR_CORRUPT);
    wr_le32(b.p + 4 + 4 + 34 + 4 + 7, 1);
    CHECK_INT(aim_meta_read_mem(b.p, b.len, &m, &d), AIM_OK);
    aim_meta_free(m);
    /* First block not STREAMINFO: refused for writing. */
    b.p[4] = 2;
    aim_label *l = mk_label("x");
    void *o = NULL;
    size_t on = 0;
    CHECK_INT(aim_meta_write_mem(b.p, b.len, l, NULL, &o, &on, &d), AIM_ERR_CORRUPT);
    aim_label_free(l);
    buf_free(&b);

    /* Many empty blocks without a last flag: bounded by the file size. */
    aim_buf z = AIM_BUF_INIT;
    buf_puts(&z, "fLaC");
    for (int i = 0; i < 20000; i++)
        buf_put(&z, "\x02\0\0\0", 4);
    m = NULL;
    CHECK_INT(aim_meta_read_mem(z.p, z.len, &m, NULL), AIM_ERR_TRUNCATED);
    buf_free(&z);

    /* ID3 tag whose size runs past the end: not FLAC at all, or truncated. */
    static const uint8_t id3[] = {'I', 'D', '3', 4, 0, 0, 0x7F, 0x7F, 0x7F, 0x7F, 'f', 'L', 'a', 'C'};
    CHECK(aim_format_probe(id3, sizeof id3) != AIM_FORMAT_FLAC);
}

TEST_MAIN(t_read_without_and_with_label, t_write_padding_keeps_audio_offset,
          t_write_no_padding_adds_fresh_padding, t_write_no_comment_block,
          t_write_insufficient_padding, t_write_exact_fit_drops_padding,
          t_write_removes_every_old_label, t_id3_prefix_kept, t_too_large_comment_block,
          t_hostile_truncations, t_hostile_lies)
