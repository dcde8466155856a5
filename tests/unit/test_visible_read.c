/*
 * Reading visible labels: the matching rule (OCR confusions, variants,
 * non-labels), options and tessdata errors, labels drawn by
 * aim_visible_draw_rgba at every place on light, dark, busy and gradient
 * pictures found in the right region, the same pictures without a label or
 * with other text (Latin, Chinese, "生成" alone) not found, and hostile
 * files refused with an error.
 *
 * With arguments it is a measuring tool:
 *   test_visible_read --read FILE...   one line per file:
 *   "<found 0|1> <region> <x> <y> <w> <h> <time_s> <ms> <text>" or "error <code> <message>"
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aimark/aimark.h"
#include "aimark/visible.h"
#include "test.h"

static aim_visible_reader *reader(void)
{
    static aim_visible_reader *r;
    if (!r) {
        aim_diag d;
        int rc = aim_visible_reader_new(NULL, &r, &d);
        if (rc)
            fprintf(stderr, "reader: %s %s\n", aim_strerror(rc), d.message);
    }
    return r;
}

static void t_rule(void)
{
    static const char *const yes[] = {
        "AI生成", "Al生成", "A1生成", "AL 生成", "A|生成", "ai生成", "\xef\xbc\xa1\xef\xbc\xa9生成" /* ＡＩ */,
        "由AI生成", "本内容由AI生成", "AI合成", "人工智能生成", "人工智能合成", "AI辅助生成",
        "“AI生成”", "- AI 生 成 -", "xx Al生成 yy", "AI-生成"};
    static const char *const no[] = {
        "", "HELLO", "生成", "AI", "人工生成", "AIR TO 生成 x", "生成AI", "A生成", "你好世界",
        "AI is great 生成", "人工智能", "合成", "A B生成", "\xff\xfe\xc3", "AI\xe7\x94"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (!aim_visible_text_matches(yes[i])) {
            fprintf(stderr, "should match: [%s]\n", yes[i]);
            CHECK(0);
        }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (aim_visible_text_matches(no[i])) {
            fprintf(stderr, "should not match: [%s]\n", no[i]);
            CHECK(0);
        }
    CHECK_INT(aim_visible_text_matches(NULL), 0);
    CHECK_STR(aim_vis_region_name(AIM_VIS_BOTTOM_RIGHT), "bottom-right");
    CHECK_STR(aim_vis_region_name(AIM_VIS_TOP_LEFT), "top-left");
    CHECK_STR(aim_vis_region_name(AIM_VIS_BOTTOM), "bottom");
    CHECK_STR(aim_vis_region_name((aim_vis_place)17), "?");
}

static void t_options(void)
{
    aim_visible_reader *r = (aim_visible_reader *)1;
    aim_diag d;
    CHECK_INT(aim_visible_reader_new(NULL, NULL, &d), AIM_ERR_INVALID_ARG);
    aim_visible_read_opts o;
    aim_visible_read_opts_init(&o);
    CHECK(o.strip > 0.2 && o.strip < 0.25);
    CHECK_INT(o.video_frames, 3);
    o.strip = 0.05;
    CHECK_INT(aim_visible_reader_new(&o, &r, &d), AIM_ERR_INVALID_ARG);
    CHECK(r == NULL);
    aim_visible_read_opts_init(&o);
    o.video_frames = 0;
    CHECK_INT(aim_visible_reader_new(&o, &r, &d), AIM_ERR_INVALID_ARG);
    aim_visible_read_opts_init(&o);
    o.lang = "../../etc/passwd";
    CHECK_INT(aim_visible_reader_new(&o, &r, &d), AIM_ERR_INVALID_ARG);
    aim_visible_read_opts_init(&o);
    o.tessdata = "/nonexistent/tessdata";
    CHECK_INT(aim_visible_reader_new(&o, &r, &d), AIM_ERR_NOT_FOUND);
    CHECK(strstr(d.message, "chi_sim") != NULL);
    CHECK(strstr(d.message, "/nonexistent/tessdata") != NULL);
    aim_visible_read_opts_init(&o);
    o.lang = "xx_none";
    CHECK_INT(aim_visible_reader_new(&o, &r, &d), AIM_ERR_NOT_FOUND);
    CHECK(strstr(d.message, "xx_none") != NULL);
    o.struct_size = 3;
    CHECK_INT(aim_visible_reader_new(&o, &r, &d), AIM_ERR_INVALID_ARG);
    aim_visible_reader_free(NULL);
    /* Misuse of the read calls. */
    aim_visible_found f;
    uint8_t px[16] = {0};
    CHECK_INT(aim_visible_read_file(NULL, "x.png", &f, &d), AIM_ERR_INVALID_ARG);
    CHECK(reader() != NULL);
    if (!reader())
        return;
    CHECK_INT(aim_visible_read_file(reader(), NULL, &f, &d), AIM_ERR_INVALID_ARG);
    CHECK_INT(aim_visible_read_file(reader(), "x.png", NULL, &d), AIM_ERR_INVALID_ARG);
    CHECK_INT(aim_visible_read_rgba(reader(), NULL, 2, 2, 8, &f, &d), AIM_ERR_INVALID_ARG);
    CHECK_INT(aim_visible_read_rgba(reader(), px, 2, 2, 4, &f, &d), AIM_ERR_INVALID_ARG);
    CHECK_INT(aim_visible_read_rgba(reader(), px, 0, 2, 8, &f, &d), AIM_ERR_INVALID_ARG);
    CHECK_INT(aim_visible_read_rgba(reader(), px, 70000, 1, 280000, &f, &d), AIM_ERR_LIMIT);
    /* Too small to hold text: read, nothing found. */
    CHECK_INT(aim_visible_read_rgba(reader(), px, 2, 2, 8, &f, &d), AIM_OK);
    CHECK_INT(f.found, 0);
}

/* ---- pictures ------------------------------------------------------------------ */

enum { W = 480, H = 320 };

/* 0 light, 1 dark, 2 busy (checkerboard + colour ramps + noise), 3 gradient. */
static uint8_t *background(int kind)
{
    uint8_t *p = malloc((size_t)W * H * 4);
    uint32_t seed = 12345;
    for (unsigned y = 0; y < H; y++)
        for (unsigned x = 0; x < W; x++) {
            uint8_t *q = p + ((size_t)y * W + x) * 4;
            seed = seed * 1103515245u + 12345u;
            int noise = (int)((seed >> 16) & 63) - 32;
            for (int c = 0; c < 3; c++) {
                int v;
                switch (kind) {
                case 0: v = 240 - c * 4; break;
                case 1: v = 16 + c * 4; break;
                case 2: v = (int)((x * 255 / W + y * 100 / H + c * 60 + ((x / 9 ^ y / 9) & 1) * 90) & 255) + noise; break;
                default: v = (int)(x * 200 / W + (c == 1 ? y * 55 / H : 0)) + (c == 2 ? 40 : 0); break;
                }
                q[c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
            q[3] = 255;
        }
    return p;
}

static const char *const BG_NAMES[] = {"light", "dark", "busy", "gradient"};

/* Draw `text` at `place` (style and colours as given) and read it back. */
static int draw_read(int bg, const char *text, aim_vis_place place, aim_vis_style style,
                     uint32_t fg, uint32_t back, aim_visible_found *f)
{
    uint8_t *px = background(bg);
    if (text) {
        aim_visible_opts o;
        aim_visible_opts_init(&o);
        o.text = text;
        o.place = place;
        o.style = style;
        o.text_color = fg;
        o.back_color = back;
        aim_diag d;
        int rc = aim_visible_draw_rgba(px, W, H, (size_t)W * 4, &o, NULL, &d);
        if (rc) {
            fprintf(stderr, "draw: %s %s\n", aim_strerror(rc), d.message);
            free(px);
            return rc;
        }
    }
    aim_diag d;
    int rc = aim_visible_read_rgba(reader(), px, W, H, (size_t)W * 4, f, &d);
    free(px);
    return rc;
}

static void t_found_everywhere(void)
{
    if (!reader())
        return;
    int found = 0, total = 0;
    for (int bg = 0; bg < 4; bg++)
        for (int p = AIM_VIS_BOTTOM_RIGHT; p <= AIM_VIS_BOTTOM; p++) {
            aim_visible_found f;
            CHECK_INT(draw_read(bg, "AI\xe7\x94\x9f\xe6\x88\x90",
                                (aim_vis_place)p, AIM_VIS_STYLE_BOX, 0xFFFFFFFFu, 0x000000D8u, &f),
                      AIM_OK);
            total++;
            if (f.found && f.region == (aim_vis_place)p) {
                found++;
                CHECK(strstr(f.text, "\xe7\x94\x9f\xe6\x88\x90") != NULL); /* 生成 */
                CHECK(f.w > 0 && f.h > 0 && f.x + f.w <= W && f.y + f.h <= H);
                /* ink >= 5% of the shortest side: the reported line is at least that tall */
                CHECK(f.h * 100 >= 5u * H);
            } else {
                fprintf(stderr, "%s %s: found %d region %s text [%s]\n", BG_NAMES[bg],
                        aim_vis_region_name((aim_vis_place)p), f.found,
                        aim_vis_region_name(f.region), f.text);
            }
        }
    printf("# box style: %d of %d found in the right region\n", found, total);
    CHECK_INT(found, total);
}

static void t_other_styles(void)
{
    if (!reader())
        return;
    aim_visible_found f;
    /* Dark text with a white halo on a light picture (the dark-ink pass). */
    CHECK_INT(draw_read(0, "AI\xe7\x94\x9f\xe6\x88\x90", AIM_VIS_TOP_LEFT, AIM_VIS_STYLE_OUTLINE,
                        0x000000FFu, 0xFFFFFFFFu, &f), AIM_OK);
    CHECK_INT(f.found, 1);
    CHECK_INT(f.region, AIM_VIS_TOP_LEFT);
    CHECK_INT(draw_read(3, "AI\xe7\x94\x9f\xe6\x88\x90", AIM_VIS_BOTTOM_LEFT, AIM_VIS_STYLE_OUTLINE,
                        0x000000FFu, 0xFFFFFFFFu, &f), AIM_OK);
    CHECK_INT(f.found, 1);
    CHECK_INT(f.region, AIM_VIS_BOTTOM_LEFT);
    /* Light text with a dark halo, no box. */
    CHECK_INT(draw_read(1, "\xe4\xba\xba\xe5\xb7\xa5\xe6\x99\xba\xe8\x83\xbd\xe7\x94\x9f\xe6\x88\x90",
                        AIM_VIS_BOTTOM, AIM_VIS_STYLE_OUTLINE, 0xFFFFFFFFu, 0x000000FFu, &f), AIM_OK);
    CHECK_INT(f.found, 1); /* 人工智能生成 */
    CHECK_INT(f.region, AIM_VIS_BOTTOM);
    /* A variant: 由AI生成 in a box at the top right. */
    CHECK_INT(draw_read(2, "\xe7\x94\xb1" "AI\xe7\x94\x9f\xe6\x88\x90", AIM_VIS_TOP_RIGHT,
                        AIM_VIS_STYLE_BOX, 0xFFFFFFFFu, 0x000000D8u, &f), AIM_OK);
    CHECK_INT(f.found, 1);
    CHECK_INT(f.region, AIM_VIS_TOP_RIGHT);
}

static void t_not_found(void)
{
    if (!reader())
        return;
    static const char *const texts[] = {NULL, "HELLO", "\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c" /* 你好世界 */,
                                        "\xe7\x94\x9f\xe6\x88\x90" /* 生成 */};
    int alarms = 0, total = 0;
    for (int bg = 0; bg < 4; bg++)
        for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
            aim_visible_found f;
            CHECK_INT(draw_read(bg, texts[k], AIM_VIS_BOTTOM_RIGHT, AIM_VIS_STYLE_BOX, 0xFFFFFFFFu,
                                0x000000D8u, &f), AIM_OK);
            total++;
            if (f.found) {
                alarms++;
                fprintf(stderr, "false alarm: %s with [%s]: read [%s]\n", BG_NAMES[bg],
                        texts[k] ? texts[k] : "(nothing)", f.text);
            }
        }
    printf("# false alarms: %d of %d\n", alarms, total);
    CHECK_INT(alarms, 0);
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    fwrite(p, 1, n, f);
    fclose(f);
}

static void t_hostile(void)
{
    if (!reader())
        return;
    aim_visible_found f;
    aim_diag d;
    static const uint8_t png_cut[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13,
                                      'I',  'H', 'D', 'R', 0, 0, 1, 0, 0, 0};
    write_file("vr-cut.png", png_cut, sizeof png_cut);
    int rc = aim_visible_read_file(reader(), "vr-cut.png", &f, &d);
    CHECK(rc == AIM_ERR_TRUNCATED || rc == AIM_ERR_CORRUPT);
    CHECK_INT(d.format, AIM_FORMAT_PNG);
    static const uint8_t jpg_cut[] = {0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1};
    write_file("vr-cut.jpg", jpg_cut, sizeof jpg_cut);
    rc = aim_visible_read_file(reader(), "vr-cut.jpg", &f, &d);
    CHECK(rc == AIM_ERR_TRUNCATED || rc == AIM_ERR_CORRUPT);
    static const uint8_t webp_cut[] = {'R', 'I', 'F', 'F', 100, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', ' '};
    write_file("vr-cut.webp", webp_cut, sizeof webp_cut);
    rc = aim_visible_read_file(reader(), "vr-cut.webp", &f, &d);
    CHECK(rc == AIM_ERR_TRUNCATED || rc == AIM_ERR_CORRUPT);
    static const uint8_t mp4_cut[] = {0, 0, 0, 24, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm', 0, 0, 2, 0,
                                      'i', 's', 'o', 'm', 'm', 'p', '4', '1', 0, 0, 1, 0, 'm', 'o', 'o', 'v'};
    write_file("vr-cut.mp4", mp4_cut, sizeof mp4_cut);
    rc = aim_visible_read_file(reader(), "vr-cut.mp4", &f, &d);
    CHECK(rc < 0);
    CHECK_INT(f.found, 0);
    write_file("vr-text.txt", "hello, not a picture\n", 21);
    CHECK_INT(aim_visible_read_file(reader(), "vr-text.txt", &f, &d), AIM_ERR_UNKNOWN_FORMAT);
    write_file("vr-empty.png", "", 0);
    CHECK_INT(aim_visible_read_file(reader(), "vr-empty.png", &f, &d), AIM_ERR_UNKNOWN_FORMAT);
    CHECK_INT(aim_visible_read_file(reader(), "vr-missing.png", &f, &d), AIM_ERR_IO);
    CHECK_INT(aim_visible_read_file(reader(), ".", &f, &d), AIM_ERR_IO);
    /* The reader still works after all that. */
    CHECK_INT(draw_read(1, "AI\xe7\x94\x9f\xe6\x88\x90", AIM_VIS_BOTTOM_RIGHT, AIM_VIS_STYLE_BOX,
                        0xFFFFFFFFu, 0x000000D8u, &f), AIM_OK);
    CHECK_INT(f.found, 1);
    remove("vr-cut.png"), remove("vr-cut.jpg"), remove("vr-cut.webp"), remove("vr-cut.mp4");
    remove("vr-text.txt"), remove("vr-empty.png");
}

static int tool(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[1], "--read") != 0) {
        fprintf(stderr, "usage: test_visible_read --read FILE...\n");
        return 2;
    }
    if (!reader())
        return 1;
    int status = 0;
    for (int i = 2; i < argc; i++) {
        aim_visible_found f;
        aim_diag d;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int rc = aim_visible_read_file(reader(), argv[i], &f, &d);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
        if (rc) {
            printf("error %d %s\n", rc, d.message);
            status = 1;
            continue;
        }
        printf("%d %s %u %u %u %u %.2f %.0f %s\n", f.found, f.found ? aim_vis_region_name(f.region) : "-",
               f.x, f.y, f.w, f.h, f.time_s, ms, f.text);
    }
    aim_visible_reader_free(reader());
    return status;
}

int main(int argc, char **argv)
{
    /* tesseract's OpenMP threads slow it several-fold on a shared machine;
     * libgomp reads the limit at load time (as aimark check does). */
    if (!getenv("OMP_THREAD_LIMIT")) {
        setenv("OMP_THREAD_LIMIT", "1", 1);
        execv("/proc/self/exe", argv);
    }
    if (argc > 1)
        return tool(argc, argv);
    test_fn_ fns[] = {t_rule, t_options, t_found_everywhere, t_other_styles, t_not_found, t_hostile};
    int rc = test_run_("t_rule, t_options, t_found_everywhere, t_other_styles, t_not_found, t_hostile",
                       fns, (int)(sizeof fns / sizeof fns[0]));
    aim_visible_reader_free(reader());
    return rc;
}
