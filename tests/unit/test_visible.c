/*
 * Visible labels: layout (size >= 5% of the shortest side, placement),
 * pixels outside the label unchanged, metadata kept, implicit label added,
 * bad input refused cleanly with the original untouched.
 *
 * With arguments it is also the helper tests/interop/test_visible.sh uses:
 *   test_visible --label IN OUT [--text T] [--place br] [--style box|outline]
 *                [--head S] [--tail S] [--fg RRGGBBAA] [--bg RRGGBBAA] [--scale F]
 *   test_visible --measure W H [outline]   (prints the box: x y w h text_px)
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>
#include <webp/decode.h>
#include <webp/encode.h>
#include <webp/mux.h>

#include "aimark/aimark.h"
#include "aimark/visible.h"
#include "test.h"

#define PRODUCER "001191110102MACQD9K64010000"

static aim_label *make_label(void)
{
    aim_label *l = aim_label_new();
    aim_label_set(l, AIM_FIELD_LABEL, "1");
    aim_label_set(l, AIM_FIELD_CONTENT_PRODUCER, PRODUCER);
    aim_label_set(l, AIM_FIELD_PRODUCE_ID, "vis-1");
    return l;
}

/* A busy test pattern: gradients plus a checkerboard. */
static uint8_t *pattern(unsigned w, unsigned h, int ch)
{
    uint8_t *p = malloc((size_t)w * h * ch);
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            uint8_t *q = p + ((size_t)y * w + x) * ch;
            int chk = ((x / 8) ^ (y / 8)) & 1;
            for (int c = 0; c < ch; c++)
                q[c] = (uint8_t)((x * 255 / w + y * 100 / h + c * 60 + chk * 90) & 255);
            if (ch == 4 || ch == 2)
                q[ch - 1] = (uint8_t)(128 + (x & 127));
        }
    return p;
}

/* ---- PNG helpers ------------------------------------------------------------- */

typedef struct membuf {
    uint8_t *p;
    size_t n, cap;
} membuf;

static void mb_put(membuf *b, const void *d, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void png_wr(png_structp png, png_bytep d, size_t n) { mb_put(png_get_io_ptr(png), d, n); }
static void png_fl(png_structp png) { (void)png; }

/* Encode w x h pixels (depth 8 or 16 big-endian) with some metadata chunks. */
static membuf make_png(const uint8_t *px, unsigned w, unsigned h, int ctype, int depth, int bpp)
{
    membuf b = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    png_set_write_fn(png, &b, png_wr, png_fl);
    png_set_IHDR(png, info, w, h, depth, ctype, PNG_INTERLACE_NONE, 0, 0);
    png_set_gAMA_fixed(png, info, 45455);
    png_set_pHYs(png, info, 2835, 2835, PNG_RESOLUTION_METER);
    png_text t[2];
    memset(t, 0, sizeof t);
    t[0].compression = PNG_TEXT_COMPRESSION_NONE;
    t[0].key = "Comment";
    t[0].text = "keep me";
    t[1].compression = PNG_ITXT_COMPRESSION_NONE;
    t[1].key = "Title";
    t[1].text = "\xe6\xa0\x87\xe9\xa2\x98";
    png_set_text(png, info, t, 2);
    if (ctype == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[256];
        for (int i = 0; i < 256; i++)
            pal[i].red = (png_byte)i, pal[i].green = (png_byte)(255 - i), pal[i].blue = (png_byte)(i * 7);
        png_set_PLTE(png, info, pal, 256);
    }
    png_write_info(png, info);
    for (unsigned y = 0; y < h; y++)
        png_write_row(png, (png_bytep)px + (size_t)y * w * bpp);
    png_text t2 = {0};
    t2.compression = PNG_TEXT_COMPRESSION_zTXt;
    t2.key = "Software";
    t2.text = "after the image data";
    png_set_text(png, info, &t2, 1);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return b;
}

typedef struct rd {
    const uint8_t *p;
    size_t n, pos;
} rd;

static void png_rd(png_structp png, png_bytep d, size_t n)
{
    rd *r = png_get_io_ptr(png);
    if (n > r->n - r->pos)
        png_error(png, "eof");
    memcpy(d, r->p + r->pos, n);
    r->pos += n;
}

/* Decode to raw rows (no transforms); ct and depth report the format. */
static uint8_t *read_png(const uint8_t *p, size_t n, unsigned *w, unsigned *h, int *ct, int *depth,
                         size_t *rowbytes)
{
    rd r = {p, n, 0};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        return NULL;
    }
    png_set_read_fn(png, &r, png_rd);
    png_read_info(png, info);
    *w = png_get_image_width(png, info);
    *h = png_get_image_height(png, info);
    *ct = png_get_color_type(png, info);
    *depth = png_get_bit_depth(png, info);
    *rowbytes = png_get_rowbytes(png, info);
    uint8_t *px = malloc(*rowbytes * *h);
    for (unsigned y = 0; y < *h; y++)
        png_read_row(png, px + (size_t)y * *rowbytes, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    return px;
}

static int has_bytes(const uint8_t *hay, size_t n, const void *needle, size_t k)
{
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(hay + i, needle, k))
            return 1;
    return 0;
}

/* Offset of the first chunk of a type, or 0. */
static size_t png_chunk(const uint8_t *p, size_t n, const char *type)
{
    size_t pos = 8;
    while (pos + 12 <= n) {
        uint32_t len = (uint32_t)p[pos] << 24 | (uint32_t)p[pos + 1] << 16 | (uint32_t)p[pos + 2] << 8 | p[pos + 3];
        if (!memcmp(p + pos + 4, type, 4))
            return pos;
        pos += (size_t)len + 12;
    }
    return 0;
}

static void check_label_in(const void *p, size_t n)
{
    aim_meta *m = NULL;
    CHECK_INT(aim_meta_read_mem(p, n, &m, NULL), AIM_OK);
    const aim_label *l = m ? aim_meta_label(m) : NULL;
    CHECK(l != NULL);
    if (l) {
        CHECK_STR(aim_label_get(l, AIM_FIELD_CONTENT_PRODUCER), PRODUCER);
        CHECK_STR(aim_label_get(l, AIM_FIELD_PRODUCE_ID), "vis-1");
    }
    CHECK_INT(m ? aim_meta_label_count(m) : 0, 1);
    aim_meta_free(m);
}

/* ---- tests ----------------------------------------------------------------- */

static void t_options(void)
{
    aim_visible_opts o;
    aim_visible_opts_init(&o);
    CHECK_INT(o.struct_size, sizeof o);
    CHECK_INT(o.place, AIM_VIS_BOTTOM_RIGHT);
    CHECK(o.text_height >= 0.05);
    aim_vis_place p;
    CHECK_INT(aim_vis_place_parse("tl", &p), AIM_OK);
    CHECK_INT(p, AIM_VIS_TOP_LEFT);
    CHECK_INT(aim_vis_place_parse("bottom", &p), AIM_OK);
    CHECK_INT(p, AIM_VIS_BOTTOM);
    CHECK_INT(aim_vis_place_parse("middle", &p), AIM_ERR_INVALID_ARG);
    CHECK_STR(aim_vis_place_name(AIM_VIS_TOP_RIGHT), "tr");
    CHECK(aim_visible_font_candidate(0) != NULL);

    aim_vis_box b;
    aim_diag d;
    o.text_height = 0.04; /* under the standard's 5% */
    CHECK_INT(aim_visible_measure(640, 480, &o, &b, &d), AIM_ERR_INVALID_ARG);
    aim_visible_opts_init(&o);
    const char *bad[] = {"", "AI\xff", "AI\xe7\x94", "\xc0\xaf", "AI\n", "\xed\xa0\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        o.text = bad[i];
        CHECK_INT(aim_visible_measure(640, 480, &o, &b, &d), AIM_ERR_INVALID_ARG);
    }
    char longtext[AIM_VIS_MAX_TEXT + 2];
    memset(longtext, 'A', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = 0;
    o.text = longtext;
    CHECK_INT(aim_visible_measure(640, 480, &o, &b, &d), AIM_ERR_INVALID_ARG);
    o.text = "\xf0\x9f\x98\x80\xf0\x9f\x98\x80"; /* emoji: not in the CJK font */
    CHECK_INT(aim_visible_measure(640, 480, &o, &b, &d), AIM_ERR_UNSUPPORTED);
    o.text = NULL;
    o.font_path = "/nonexistent/font.ttc";
    CHECK_INT(aim_visible_measure(640, 480, &o, &b, &d), AIM_ERR_NOT_FOUND);
    aim_visible_opts_init(&o);
    o.text = "AI\xe7\x94\x9f\xe6\x88\x90 AI\xe7\x94\x9f\xe6\x88\x90 AI\xe7\x94\x9f\xe6\x88\x90";
    CHECK_INT(aim_visible_measure(120, 400, &o, &b, &d), AIM_ERR_TOO_LARGE);
}

static void t_layout(void)
{
    static const unsigned SIZES[][2] = {{640, 480}, {1920, 1080}, {300, 1000}, {100, 100}, {4000, 3000}};
    static const aim_vis_place PLACES[] = {AIM_VIS_BOTTOM_RIGHT, AIM_VIS_BOTTOM_LEFT, AIM_VIS_TOP_RIGHT,
                                           AIM_VIS_TOP_LEFT, AIM_VIS_TOP, AIM_VIS_BOTTOM};
    for (size_t s = 0; s < sizeof SIZES / sizeof SIZES[0]; s++)
        for (size_t k = 0; k < sizeof PLACES / sizeof PLACES[0]; k++) {
            unsigned w = SIZES[s][0], h = SIZES[s][1], sh = w < h ? w : h;
            aim_visible_opts o;
            aim_visible_opts_init(&o);
            o.place = PLACES[k];
            aim_vis_box b;
            CHECK_INT(aim_visible_measure(w, h, &o, &b, NULL), AIM_OK);
            /* GB 45438 §5.2: text at least 5% of the shortest side. */
            CHECK(b.text_px * 100 >= 5 * sh);
            CHECK(b.text_px * 100 <= 9 * sh || b.text_px <= o.min_text_px + 1);
            CHECK(b.x + b.w <= w && b.y + b.h <= h);
            unsigned margin = (unsigned)(0.02 * sh + 0.5);
            switch (PLACES[k]) {
            case AIM_VIS_BOTTOM_RIGHT: CHECK_INT(b.x + b.w, w - margin); CHECK_INT(b.y + b.h, h - margin); break;
            case AIM_VIS_BOTTOM_LEFT: CHECK_INT(b.x, margin); CHECK_INT(b.y + b.h, h - margin); break;
            case AIM_VIS_TOP_RIGHT: CHECK_INT(b.x + b.w, w - margin); CHECK_INT(b.y, margin); break;
            case AIM_VIS_TOP_LEFT: CHECK_INT(b.x, margin); CHECK_INT(b.y, margin); break;
            case AIM_VIS_TOP: CHECK_INT(b.x, (w - b.w) / 2); CHECK_INT(b.y, margin); break;
            case AIM_VIS_BOTTOM: CHECK_INT(b.x, (w - b.w) / 2); CHECK_INT(b.y + b.h, h - margin); break;
            }
        }
    /* A larger scale gives a larger label. */
    aim_visible_opts o;
    aim_visible_opts_init(&o);
    aim_vis_box a, b;
    o.text_height = 0.05;
    CHECK_INT(aim_visible_measure(1000, 1000, &o, &a, NULL), AIM_OK);
    o.text_height = 0.10;
    CHECK_INT(aim_visible_measure(1000, 1000, &o, &b, NULL), AIM_OK);
    CHECK(a.text_px >= 50 && a.text_px <= 53);
    CHECK(b.text_px >= 100 && b.text_px <= 104);
}

/* Only the box changes, and it does change. */
static void t_draw_rgba(void)
{
    unsigned w = 320, h = 200;
    uint8_t *p = pattern(w, h, 4), *orig = malloc((size_t)w * h * 4);
    memcpy(orig, p, (size_t)w * h * 4);
    aim_vis_box b;
    CHECK_INT(aim_visible_draw_rgba(p, w, h, (size_t)w * 4, NULL, &b, NULL), AIM_OK);
    size_t outside_diff = 0, inside_diff = 0;
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            int in = x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h;
            int diff = memcmp(p + ((size_t)y * w + x) * 4, orig + ((size_t)y * w + x) * 4, 4) != 0;
            if (in)
                inside_diff += diff;
            else
                outside_diff += diff;
        }
    CHECK_INT(outside_diff, 0);
    CHECK(inside_diff > (size_t)b.w * b.h / 2);
    free(p);
    free(orig);
}

static void png_case(int ctype, int depth, int ch)
{
    unsigned w = 400, h = 300;
    int bpp = ch * depth / 8;
    uint8_t *px = pattern(w, h, bpp);
    if (ctype == PNG_COLOR_TYPE_PALETTE)
        bpp = 1;
    membuf src = make_png(px, w, h, ctype, depth, bpp);
    aim_label *l = make_label();
    void *out = NULL;
    size_t on = 0;
    aim_diag d;
    CHECK_INT(aim_visible_label_mem(src.p, src.n, NULL, l, NULL, &out, &on, &d), AIM_OK);
    if (!out) {
        fprintf(stderr, "png ctype %d: %s\n", ctype, d.message);
        goto done;
    }
    check_label_in(out, on);
    /* Metadata chunks kept byte for byte, in place relative to IDAT. */
    const char *kept[] = {"gAMA", "pHYs", "tEXt", "iTXt", "zTXt"};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
        size_t a = png_chunk(src.p, src.n, kept[i]);
        CHECK(a != 0);
        if (a) {
            uint32_t len = (uint32_t)src.p[a + 2] << 8 | src.p[a + 3];
            CHECK(has_bytes(out, on, src.p + a, len + 12)); /* whole chunk, CRC included */
        }
    }
    CHECK(png_chunk(out, on, "zTXt") > png_chunk(out, on, "IDAT"));
    CHECK(png_chunk(out, on, "pHYs") < png_chunk(out, on, "IDAT"));
    CHECK(has_bytes(out, on, "keep me", 7));

    aim_vis_box b;
    CHECK_INT(aim_visible_measure(w, h, NULL, &b, NULL), AIM_OK);
    unsigned ow, oh, sw, shh;
    int oct, odepth, sct, sdepth;
    size_t orb, srb;
    uint8_t *o = read_png(out, on, &ow, &oh, &oct, &odepth, &orb);
    uint8_t *s = read_png(src.p, src.n, &sw, &shh, &sct, &sdepth, &srb);
    CHECK(o && s);
    CHECK_INT(ow, w);
    CHECK_INT(oh, h);
    if (ctype == PNG_COLOR_TYPE_PALETTE) {
        CHECK_INT(oct, PNG_COLOR_TYPE_RGB); /* expanded */
        CHECK_INT(odepth, 8);
    } else {
        CHECK_INT(oct, ctype);
        CHECK_INT(odepth, depth);
    }
    if (o && s) {
        size_t outside = 0, inside = 0, obpp = orb / w;
        for (unsigned y = 0; y < h; y++)
            for (unsigned x = 0; x < w; x++) {
                const uint8_t *op = o + y * orb + x * obpp;
                int diff;
                if (ctype == PNG_COLOR_TYPE_PALETTE) {
                    uint8_t i = s[y * srb + x];
                    uint8_t rgb[3] = {i, (uint8_t)(255 - i), (uint8_t)(i * 7)};
                    diff = memcmp(op, rgb, 3) != 0;
                } else {
                    diff = memcmp(op, s + y * srb + x * obpp, obpp) != 0;
                }
                if (x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h)
                    inside += diff;
                else
                    outside += diff;
            }
        CHECK_INT(outside, 0);
        CHECK(inside > (size_t)b.w * b.h / 2);
    }
    free(o);
    free(s);
done:
    aim_free(out);
    aim_label_free(l);
    free(src.p);
    free(px);
}

static void t_png(void)
{
    png_case(PNG_COLOR_TYPE_RGB, 8, 3);
    png_case(PNG_COLOR_TYPE_RGB_ALPHA, 8, 4);
    png_case(PNG_COLOR_TYPE_GRAY, 8, 1);
    png_case(PNG_COLOR_TYPE_RGB, 16, 3);
    png_case(PNG_COLOR_TYPE_PALETTE, 8, 1);
}

/* ---- JPEG ------------------------------------------------------------------- */

static membuf make_jpeg(unsigned w, unsigned h, int quality)
{
    uint8_t *px = pattern(w, h, 3);
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    unsigned char *ob = NULL;
    unsigned long on = 0;
    jpeg_mem_dest(&c, &ob, &on);
    c.image_width = w, c.image_height = h, c.input_components = 3, c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    jpeg_start_compress(&c, TRUE);
    static const uint8_t exif[] = "Exif\0\0MM\0\x2a\0\0\0\x08\0\0";
    jpeg_write_marker(&c, JPEG_APP0 + 1, exif, sizeof exif - 1);
    static const char icc[] = "ICC_PROFILE\0\x01\x01not-a-real-profile";
    jpeg_write_marker(&c, JPEG_APP0 + 2, (const JOCTET *)icc, sizeof icc - 1);
    jpeg_write_marker(&c, JPEG_COM, (const JOCTET *)"a comment kept", 14);
    while (c.next_scanline < h) {
        JSAMPROW row = px + (size_t)c.next_scanline * w * 3;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(px);
    membuf b = {0};
    mb_put(&b, ob, on);
    free(ob);
    return b;
}

/* The first luminance quantiser entries of a JPEG. */
static unsigned jpeg_q0(const void *p, size_t n)
{
    struct jpeg_decompress_struct dc;
    struct jpeg_error_mgr e;
    dc.err = jpeg_std_error(&e);
    jpeg_create_decompress(&dc);
    jpeg_mem_src(&dc, p, (unsigned long)n);
    jpeg_read_header(&dc, TRUE);
    unsigned q = dc.quant_tbl_ptrs[0] ? dc.quant_tbl_ptrs[0]->quantval[0] * 1000u + dc.quant_tbl_ptrs[0]->quantval[63] : 0;
    jpeg_destroy_decompress(&dc);
    return q;
}

static void t_jpeg(void)
{
    membuf src = make_jpeg(480, 360, 75);
    aim_label *l = make_label();
    void *out = NULL;
    size_t on = 0;
    aim_diag d;
    CHECK_INT(aim_visible_label_mem(src.p, src.n, NULL, l, NULL, &out, &on, &d), AIM_OK);
    if (out) {
        check_label_in(out, on);
        CHECK(has_bytes(out, on, "Exif\0\0MM", 8));
        CHECK(has_bytes(out, on, "ICC_PROFILE\0\x01\x01not-a-real-profile", 32));
        CHECK(has_bytes(out, on, "a comment kept", 14));
        /* Same quality as the source: identical quantisers. */
        CHECK_INT(jpeg_q0(out, on), jpeg_q0(src.p, src.n));
    }
    aim_free(out);
    aim_visible_opts o;
    aim_visible_opts_init(&o);
    o.jpeg_quality = 95;
    membuf ref = make_jpeg(16, 16, 95);
    CHECK_INT(aim_visible_label_mem(src.p, src.n, &o, l, NULL, &out, &on, NULL), AIM_OK);
    if (out)
        CHECK_INT(jpeg_q0(out, on), jpeg_q0(ref.p, ref.n));
    aim_free(out);
    free(ref.p);
    free(src.p);
    aim_label_free(l);
}

/* ---- WebP ------------------------------------------------------------------- */

static membuf make_webp(unsigned w, unsigned h, int lossless)
{
    uint8_t *px = pattern(w, h, 4), *enc = NULL;
    size_t n = lossless ? WebPEncodeLosslessRGBA(px, (int)w, (int)h, (int)w * 4, &enc)
                        : WebPEncodeRGBA(px, (int)w, (int)h, (int)w * 4, 80, &enc);
    WebPMux *mux = WebPMuxNew();
    WebPData img = {enc, n};
    WebPMuxSetImage(mux, &img, 1);
    static const uint8_t exif[] = "MM\0\x2a\0\0\0\x08\0\0";
    WebPData e = {exif, sizeof exif - 1};
    WebPMuxSetChunk(mux, "EXIF", &e, 1);
    static const char icc[] = "fake-icc-profile";
    WebPData ic = {(const uint8_t *)icc, sizeof icc - 1};
    WebPMuxSetChunk(mux, "ICCP", &ic, 1);
    WebPData out;
    WebPDataInit(&out);
    WebPMuxAssemble(mux, &out);
    membuf b = {0};
    mb_put(&b, out.bytes, out.size);
    WebPDataClear(&out);
    WebPMuxDelete(mux);
    WebPFree(enc);
    free(px);
    return b;
}

static void t_webp(void)
{
    for (int lossless = 0; lossless <= 1; lossless++) {
        unsigned w = 360, h = 240;
        membuf src = make_webp(w, h, lossless);
        aim_label *l = make_label();
        void *out = NULL;
        size_t on = 0;
        aim_diag d;
        CHECK_INT(aim_visible_label_mem(src.p, src.n, NULL, l, NULL, &out, &on, &d), AIM_OK);
        if (out) {
            check_label_in(out, on);
            CHECK(has_bytes(out, on, "EXIF", 4) && has_bytes(out, on, "MM\0\x2a\0\0\0\x08", 8));
            CHECK(has_bytes(out, on, "fake-icc-profile", 16));
            CHECK_INT(has_bytes(out, on, "VP8L", 4), lossless);
            int ow, oh;
            uint8_t *o = WebPDecodeRGBA(out, on, &ow, &oh);
            uint8_t *s = WebPDecodeRGBA(src.p, src.n, &ow, &oh);
            aim_vis_box b;
            CHECK_INT(aim_visible_measure(w, h, NULL, &b, NULL), AIM_OK);
            size_t outside = 0;
            long maxdiff = 0;
            for (unsigned y = 0; y < h; y++)
                for (unsigned x = 0; x < w; x++) {
                    if (x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h)
                        continue;
                    for (int c = 0; c < 4; c++) {
                        long dd = labs((long)o[(y * w + x) * 4 + c] - s[(y * w + x) * 4 + c]);
                        if (dd)
                            outside++;
                        if (dd > maxdiff)
                            maxdiff = dd;
                    }
                }
            if (lossless)
                CHECK_INT(outside, 0);
            else
                CHECK(maxdiff < 128); /* lossy re-encode: close, not exact */
            WebPFree(o);
            WebPFree(s);
        }
        aim_free(out);
        aim_label_free(l);
        free(src.p);
    }
}

/* ---- bad input -------------------------------------------------------------- */

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(p, 1, n, f);
    fclose(f);
}

static int same_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    uint8_t *q = malloc(n + 1);
    size_t got = fread(q, 1, n + 1, f);
    fclose(f);
    int same = got == n && memcmp(p, q, n) == 0;
    free(q);
    return same;
}

static void t_bad_input(void)
{
    aim_label *l = make_label();
    void *out = NULL;
    size_t on = 0;
    aim_diag d;
    unsigned char *px = pattern(200, 150, 3);
    membuf png = make_png(px, 200, 150, PNG_COLOR_TYPE_RGB, 8, 3);
    membuf jpg = make_jpeg(200, 150, 80);
    membuf webp = make_webp(200, 150, 0);
    /* Truncated: every cut is refused, never crashes. */
    const membuf *all[] = {&png, &jpg, &webp};
    for (int k = 0; k < 3; k++) {
        size_t cuts[] = {all[k]->n / 2, all[k]->n - 1, 40};
        for (int c = 0; c < 3; c++) {
            int rc = aim_visible_label_mem(all[k]->p, cuts[c], NULL, l, NULL, &out, &on, &d);
            CHECK(rc == AIM_ERR_TRUNCATED || rc == AIM_ERR_CORRUPT);
            CHECK(out == NULL);
            if (rc == AIM_OK)
                aim_free(out);
        }
    }
    /* Huge dimensions in the header: refused before any allocation. */
    uint8_t big[sizeof(uint8_t) * 4096];
    memcpy(big, png.p, png.n < sizeof big ? png.n : sizeof big);
    size_t ihdr = png_chunk(png.p, png.n, "IHDR");
    big[ihdr + 8] = 0, big[ihdr + 9] = 0, big[ihdr + 10] = 0xEA, big[ihdr + 11] = 0x60; /* 60000 */
    big[ihdr + 12] = 0, big[ihdr + 13] = 0, big[ihdr + 14] = 0xEA, big[ihdr + 15] = 0x60;
    CHECK_INT(aim_visible_label_mem(big, png.n < sizeof big ? png.n : sizeof big, NULL, l, NULL, &out, &on, &d),
              AIM_ERR_LIMIT);
    aim_visible_opts o;
    aim_visible_opts_init(&o);
    o.max_pixels = 1000;
    CHECK_INT(aim_visible_label_mem(jpg.p, jpg.n, &o, l, NULL, &out, &on, &d), AIM_ERR_LIMIT);
    CHECK_INT(aim_visible_label_mem(webp.p, webp.n, &o, l, NULL, &out, &on, &d), AIM_ERR_LIMIT);
    CHECK_INT(aim_visible_label_mem("hello world, not an image", 25, NULL, l, NULL, &out, &on, &d),
              AIM_ERR_UNKNOWN_FORMAT);
    CHECK_INT(aim_visible_label_mem(png.p, png.n, NULL, NULL, NULL, &out, &on, &d), AIM_ERR_INVALID_ARG);
    aim_label *empty = aim_label_new();
    CHECK_INT(aim_visible_label_mem(png.p, png.n, NULL, empty, NULL, &out, &on, &d), AIM_ERR_LABEL_INVALID);
    aim_label_free(empty);

    /* Files: a failed label leaves the original byte for byte and no temp file. */
    const char *dir = "tmp-test_visible";
    mkdir(dir, 0755);
    char in[256], outp[256];
    snprintf(in, sizeof in, "%s/cut.png", dir);
    snprintf(outp, sizeof outp, "%s/cut-out.png", dir);
    unlink(outp);
    write_file(in, png.p, png.n / 2);
    CHECK(aim_visible_label_file(in, NULL, NULL, l, NULL, &d) < 0);
    CHECK(same_file(in, png.p, png.n / 2));
    CHECK(aim_visible_label_file(in, outp, NULL, l, NULL, &d) < 0);
    CHECK(access(outp, F_OK) != 0);
    CHECK_INT(aim_visible_label_file("tmp-test_visible/none.png", outp, NULL, l, NULL, &d), AIM_ERR_IO);
    /* In place on a good file: replaced, mode kept, label readable. */
    snprintf(in, sizeof in, "%s/good.jpg", dir);
    write_file(in, jpg.p, jpg.n);
    chmod(in, 0640);
    CHECK_INT(aim_visible_label_file(in, NULL, NULL, l, NULL, &d), AIM_OK);
    struct stat st;
    CHECK(stat(in, &st) == 0 && (st.st_mode & 0777) == 0640);
    aim_meta *m = NULL;
    CHECK_INT(aim_meta_read_file(in, &m, NULL), AIM_OK);
    CHECK(m && aim_meta_label(m) != NULL);
    aim_meta_free(m);
    CHECK(!same_file(in, jpg.p, jpg.n));

    free(png.p);
    free(jpg.p);
    free(webp.p);
    free(px);
    aim_label_free(l);
}

/* ---- the helper mode for the shell test --------------------------------------- */

static int tool(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "--measure")) { /* prints x y w h text_px */
        aim_vis_box b;
        aim_diag d;
        aim_visible_opts o;
        aim_visible_opts_init(&o);
        if (argc > 4 && !strcmp(argv[4], "outline"))
            o.style = AIM_VIS_STYLE_OUTLINE;
        int rc = aim_visible_measure((unsigned)atoi(argv[2]), (unsigned)atoi(argv[3]), &o, &b, &d);
        if (rc) {
            fprintf(stderr, "error: %s: %s\n", aim_strerror(rc), d.message);
            return 1;
        }
        printf("%u %u %u %u %u\n", b.x, b.y, b.w, b.h, b.text_px);
        return 0;
    }
    if (argc < 4 || strcmp(argv[1], "--label") != 0) {
        fprintf(stderr, "usage: test_visible --label IN OUT [options]\n");
        return 2;
    }
    aim_visible_opts o;
    aim_visible_opts_init(&o);
    for (int i = 4; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--text"))
            o.text = v;
        else if (!strcmp(k, "--place") && aim_vis_place_parse(v, &o.place) == AIM_OK)
            ;
        else if (!strcmp(k, "--style"))
            o.style = !strcmp(v, "outline") ? AIM_VIS_STYLE_OUTLINE : AIM_VIS_STYLE_BOX;
        else if (!strcmp(k, "--head"))
            o.video_head_s = atof(v);
        else if (!strcmp(k, "--tail"))
            o.video_tail_s = atof(v);
        else if (!strcmp(k, "--fg"))
            o.text_color = (uint32_t)strtoul(v, NULL, 16);
        else if (!strcmp(k, "--bg"))
            o.back_color = (uint32_t)strtoul(v, NULL, 16);
        else if (!strcmp(k, "--scale"))
            o.text_height = atof(v);
        else {
            fprintf(stderr, "bad option %s\n", k);
            return 2;
        }
    }
    aim_label *l = make_label();
    aim_diag d;
    int rc = aim_visible_label_file(argv[2], argv[3], &o, l, NULL, &d);
    aim_label_free(l);
    if (rc) {
        fprintf(stderr, "error: %s: %s\n", aim_strerror(rc), d.message);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return tool(argc, argv);
    test_fn_ fns[] = {t_options, t_layout, t_draw_rgba, t_png, t_jpeg, t_webp, t_bad_input};
    return test_run_("t_options, t_layout, t_draw_rgba, t_png, t_jpeg, t_webp, t_bad_input", fns,
                     (int)(sizeof fns / sizeof fns[0]));
}
