/* Vorbis comment block reader/writer (container/vorbis_comment.c). */
#include <stdlib.h>
#include <string.h>

#include "container/vorbis_comment.h"
#include "core/bytes.h"
#include "test.h"

/* Build a block: vendor, then the comments; `trail` extra bytes appended. */
static void make_block(aim_buf *b, const char *vendor, const char *const *c, int n, const char *trail)
{
    buf_le32(b, (uint32_t)strlen(vendor));
    buf_puts(b, vendor);
    buf_le32(b, (uint32_t)n);
    for (int i = 0; i < n; i++) {
        buf_le32(b, (uint32_t)strlen(c[i]));
        buf_puts(b, c[i]);
    }
    if (trail)
        buf_puts(b, trail);
}

/* Comment i of a well-formed block, copied into out (NUL-terminated). */
static int comment_at(const uint8_t *p, size_t n, uint32_t want, char *out, size_t cap, uint32_t *count)
{
    size_t pos = 4 + rd_le32(p);
    *count = rd_le32(p + pos);
    pos += 4;
    for (uint32_t i = 0; i < *count; i++) {
        uint32_t len = rd_le32(p + pos);
        pos += 4;
        if (pos + len > n)
            return -1;
        if (i == want) {
            if (len >= cap)
                return -1;
            memcpy(out, p + pos, len);
            out[len] = 0;
            return 0;
        }
        pos += len;
    }
    return -1;
}

static meta_write_req req_for(const char *json)
{
    meta_write_req r;
    memset(&r, 0, sizeof r);
    r.json = json;
    r.json_len = strlen(json);
    return r;
}

static void t_read_finds_labels_case_insensitively(void)
{
    const char *c[] = {"TITLE=x", "aigc={\"a\":1}", "ARTIST=y", "AIGC=second", "AIGCX=no", "AIG=no", "AIGC"};
    aim_buf b = AIM_BUF_INIT;
    make_block(&b, "vendor", c, 7, NULL);
    meta_found f;
    memset(&f, 0, sizeof f);
    CHECK_INT(vc_read(b.p, b.len, "x:AIGC", &f, NULL), AIM_OK);
    CHECK_INT(f.count, 2);
    CHECK_STR(f.text, "{\"a\":1}");
    CHECK_INT(f.text_len, 7);
    CHECK_STR(f.location, "x:AIGC");
    found_clear(&f);
    buf_free(&b);
}

static void t_read_empty_value(void)
{
    const char *c[] = {"AIGC="};
    aim_buf b = AIM_BUF_INIT;
    make_block(&b, "", c, 1, NULL);
    meta_found f;
    memset(&f, 0, sizeof f);
    CHECK_INT(vc_read(b.p, b.len, "l", &f, NULL), AIM_OK);
    CHECK_INT(f.count, 1);
    CHECK_INT(f.text_len, 0);
    found_clear(&f);
    buf_free(&b);
}

static void t_write_replaces_in_place_and_keeps_others(void)
{
    const char *c[] = {"TITLE=x", "aigc=old", "ARTIST=y", "AIGC=old2"};
    aim_buf b = AIM_BUF_INIT, out = AIM_BUF_INIT;
    make_block(&b, "libVorbis", c, 4, "\x01tail");
    meta_write_req r = req_for("{\"Label\":\"1\"}");
    size_t consumed = 0;
    CHECK_INT(vc_write(b.p, b.len, &consumed, &r, &out, NULL), AIM_OK);
    CHECK_INT(consumed, b.len - 5);
    char s[64];
    uint32_t count = 0;
    CHECK_INT(rd_le32(out.p), 9);
    CHECK(memcmp(out.p + 4, "libVorbis", 9) == 0);
    CHECK_INT(comment_at(out.p, out.len, 0, s, sizeof s, &count), 0);
    CHECK_INT(count, 3);
    CHECK_STR(s, "TITLE=x");
    CHECK_INT(comment_at(out.p, out.len, 1, s, sizeof s, &count), 0);
    CHECK_STR(s, "AIGC={\"Label\":\"1\"}");
    CHECK_INT(comment_at(out.p, out.len, 2, s, sizeof s, &count), 0);
    CHECK_STR(s, "ARTIST=y");
    meta_found f;
    memset(&f, 0, sizeof f);
    CHECK_INT(vc_read(out.p, out.len, "l", &f, NULL), AIM_OK);
    CHECK_INT(f.count, 1);
    CHECK_STR(f.text, "{\"Label\":\"1\"}");
    found_clear(&f);
    buf_free(&b);
    buf_free(&out);
}

static void t_write_appends_when_absent(void)
{
    const char *c[] = {"TITLE=x"};
    aim_buf b = AIM_BUF_INIT, out = AIM_BUF_INIT;
    make_block(&b, "v", c, 1, NULL);
    meta_write_req r = req_for("J");
    size_t consumed = 0;
    CHECK_INT(vc_write(b.p, b.len, &consumed, &r, &out, NULL), AIM_OK);
    CHECK_INT(consumed, b.len);
    char s[64];
    uint32_t count = 0;
    CHECK_INT(comment_at(out.p, out.len, 1, s, sizeof s, &count), 0);
    CHECK_INT(count, 2);
    CHECK_STR(s, "AIGC=J");
    CHECK_INT(out.len, b.len + 4 + 6);
    buf_free(&b);
    buf_free(&out);
}

static void t_write_new_block(void)
{
    aim_buf out = AIM_BUF_INIT;
    meta_write_req r = req_for("J");
    size_t consumed = 99;
    CHECK_INT(vc_write(NULL, 0, &consumed, &r, &out, NULL), AIM_OK);
    CHECK_INT(consumed, 0);
    static const uint8_t want[] = {6, 0, 0, 0, 'a', 'i', 'm', 'a', 'r', 'k', 1, 0, 0, 0,
                                   6, 0, 0, 0, 'A', 'I', 'G', 'C', '=', 'J'};
    CHECK_INT(out.len, sizeof want);
    CHECK(out.len == sizeof want && memcmp(out.p, want, sizeof want) == 0);
    buf_free(&out);
}

static void t_hostile_truncations_and_lies(void)
{
    const char *c[] = {"TITLE=x", "AIGC=y"};
    aim_buf b = AIM_BUF_INIT;
    make_block(&b, "vendor", c, 2, NULL);
    meta_write_req r = req_for("J");
    for (size_t n = 0; n < b.len; n++) {
        uint8_t *p = malloc(n ? n : 1);
        memcpy(p, b.p, n);
        meta_found f;
        memset(&f, 0, sizeof f);
        aim_diag d;
        memset(&d, 0, sizeof d);
        CHECK(vc_read(p, n, "l", &f, &d) < 0);
        CHECK(strncmp(d.message, "vorbis-comment: ", 16) == 0);
        found_clear(&f);
        aim_buf out = AIM_BUF_INIT;
        size_t consumed;
        CHECK(vc_write(p, n, &consumed, &r, &out, NULL) < 0);
        buf_free(&out);
        free(p);
    }
    /* Lying vendor length, comment count and comment length. */
    uint8_t *p = b.p;
    wr_le32(p, 0xFFFFFFFFu);
    meta_found f;
    memset(&f, 0, sizeof f);
    CHECK_INT(vc_read(p, b.len, "l", &f, NULL), AIM_ERR_TRUNCATED);
    wr_le32(p, 6);
    wr_le32(p + 10, 0xFFFFFFFFu);
    CHECK_INT(vc_read(p, b.len, "l", &f, NULL), AIM_ERR_CORRUPT);
    wr_le32(p + 10, 3); /* 3 x 4 bytes still fits, the third comment does not */
    CHECK_INT(vc_read(p, b.len, "l", &f, NULL), AIM_ERR_TRUNCATED);
    CHECK_INT(f.count, 1); /* the second was seen before the error */
    found_clear(&f);
    wr_le32(p + 10, 2);
    wr_le32(p + 14, 0x7FFFFFFFu);
    CHECK_INT(vc_read(p, b.len, "l", &f, NULL), AIM_ERR_TRUNCATED);
    CHECK_INT(f.count, 0);
    found_clear(&f);
    buf_free(&b);
}

TEST_MAIN(t_read_finds_labels_case_insensitively, t_read_empty_value,
          t_write_replaces_in_place_and_keeps_others, t_write_appends_when_absent,
          t_write_new_block, t_hostile_truncations_and_lies)
