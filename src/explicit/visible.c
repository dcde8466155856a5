/*
 * Visible labels: options, layout of the label on a picture, compositing,
 * and the public entry points that run decode -> draw -> encode -> implicit
 * label -> atomic rename.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aimark/aimark.h"
#include "aimark/visible.h"
#include "core/atomic.h"
#include "core/diag.h"
#include "explicit/visible_internal.h"

/* Largest encoded image we produce. */
#define VIS_MAX_OUT_BYTES ((size_t)1024u * 1024u * 1024u)

static const char DEFAULT_TEXT[] = "AI\xe7\x94\x9f\xe6\x88\x90"; /* "AI生成" */

void aim_visible_opts_init(aim_visible_opts *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->text = NULL;
    o->place = AIM_VIS_BOTTOM_RIGHT;
    o->style = AIM_VIS_STYLE_BOX;
    o->text_height = 0.07;
    o->margin = 0.02;
    o->min_text_px = 14;
    o->text_color = 0xFFFFFFFFu;
    o->back_color = 0x000000D8u;
    o->font_path = NULL;
    o->font_face = -1;
    o->jpeg_quality = 0;
    o->webp_quality = 0;
    o->max_pixels = 64u * 1024u * 1024u;
    o->video_head_s = 2.0;
    o->video_tail_s = 0.0;
    o->video_crf = 20;
}

static const char *const PLACE_NAMES[] = {"br", "bl", "tr", "tl", "top", "bottom"};

int aim_vis_place_parse(const char *s, aim_vis_place *out)
{
    if (!s || !out)
        return AIM_ERR_INVALID_ARG;
    for (unsigned i = 0; i < sizeof PLACE_NAMES / sizeof PLACE_NAMES[0]; i++)
        if (strcmp(s, PLACE_NAMES[i]) == 0) {
            *out = (aim_vis_place)i;
            return AIM_OK;
        }
    return AIM_ERR_INVALID_ARG;
}

const char *aim_vis_place_name(aim_vis_place p)
{
    return (unsigned)p < sizeof PLACE_NAMES / sizeof PLACE_NAMES[0] ? PLACE_NAMES[p] : "?";
}

int vis_opts_resolve(const aim_visible_opts *o, aim_visible_opts *r, aim_diag *d)
{
    aim_visible_opts_init(r);
    if (o) {
        /* An older, shorter struct keeps the defaults for fields it lacks. */
        size_t n = o->struct_size;
        if (n < offsetof(aim_visible_opts, place) || n > sizeof *r)
            return diag_fail(d, AIM_ERR_INVALID_ARG, "visible: options not initialised (struct_size)");
        memcpy(r, o, n);
        r->struct_size = sizeof *r;
    }
    if (!r->text)
        r->text = DEFAULT_TEXT;
    if ((unsigned)r->place > AIM_VIS_BOTTOM || (unsigned)r->style > AIM_VIS_STYLE_OUTLINE)
        return diag_fail(d, AIM_ERR_INVALID_ARG, "visible: bad place or style");
    if (!(r->text_height >= 0.05 && r->text_height <= 0.5))
        return diag_fail(d, AIM_ERR_INVALID_ARG,
                         "visible: text_height must be 0.05..0.5 of the shortest side");
    if (!(r->margin >= 0.0 && r->margin <= 0.25))
        return diag_fail(d, AIM_ERR_INVALID_ARG, "visible: margin must be 0..0.25");
    if (r->min_text_px > 4096)
        return diag_fail(d, AIM_ERR_INVALID_ARG, "visible: min_text_px too large");
    if (r->jpeg_quality < 0 || r->jpeg_quality > 100 || r->webp_quality < 0 || r->webp_quality > 100)
        return diag_fail(d, AIM_ERR_INVALID_ARG, "visible: quality must be 0..100");
    if (r->max_pixels == 0)
        return diag_fail(d, AIM_ERR_INVALID_ARG, "visible: max_pixels must be > 0");
    if (!(r->video_head_s >= 0.0 && r->video_head_s <= 3600.0) ||
        !(r->video_tail_s >= 0.0 && r->video_tail_s <= 3600.0))
        return diag_fail(d, AIM_ERR_INVALID_ARG, "visible: video_head_s/tail_s must be 0..3600");
    if (r->video_crf < 0 || r->video_crf > 51)
        return diag_fail(d, AIM_ERR_INVALID_ARG, "visible: video_crf must be 0..51");
    if (r->font_face < -1 || r->font_face > 1023)
        return diag_fail(d, AIM_ERR_INVALID_ARG, "visible: bad font_face");
    return AIM_OK;
}

/* ---- layout ------------------------------------------------------------------ */

void vis_overlay_free(vis_overlay *ov)
{
    free(ov->text);
    free(ov->back);
    memset(ov, 0, sizeof *ov);
}

static void rgba_bytes(uint32_t c, uint8_t out[4])
{
    out[0] = (uint8_t)(c >> 24), out[1] = (uint8_t)(c >> 16);
    out[2] = (uint8_t)(c >> 8), out[3] = (uint8_t)c;
}

/* Halo for the outline style: max of the text coverage over a disc. */
static void dilate(const uint8_t *src, uint8_t *dst, unsigned w, unsigned h, int r)
{
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            unsigned m = 0;
            for (int dy = -r; dy <= r && m < 255; dy++) {
                long yy = (long)y + dy;
                if (yy < 0 || yy >= (long)h)
                    continue;
                for (int dx = -r; dx <= r; dx++) {
                    long xx = (long)x + dx;
                    if (xx < 0 || xx >= (long)w || dx * dx + dy * dy > r * r + r)
                        continue;
                    unsigned v = src[(size_t)yy * w + (size_t)xx];
                    if (v > m)
                        m = v;
                }
            }
            dst[(size_t)y * w + x] = (uint8_t)m;
        }
}

int vis_overlay_make(unsigned w, unsigned h, const aim_visible_opts *r, vis_overlay *ov,
                     aim_diag *d)
{
    memset(ov, 0, sizeof *ov);
    if (w == 0 || h == 0 || w > VIS_MAX_DIM || h > VIS_MAX_DIM)
        return diag_fail(d, AIM_ERR_LIMIT, "visible: picture size %ux%u out of range", w, h);
    uint32_t cp[VIS_MAX_CODEPOINTS];
    size_t ncp;
    int rc = font_decode_utf8(r->text, cp, VIS_MAX_CODEPOINTS, &ncp, d);
    if (rc)
        return rc;
    unsigned shortest = w < h ? w : h;
    unsigned t = (unsigned)ceil(r->text_height * shortest);
    unsigned floor_px = r->min_text_px < shortest / 4 ? r->min_text_px : shortest / 4;
    if (t < floor_px)
        t = floor_px;
    if (t < 1)
        t = 1;

    vis_font *f;
    if ((rc = font_open(r, &f, d)) != AIM_OK)
        return rc;
    vis_mask m;
    rc = font_render(f, cp, ncp, t, &m, d);
    font_close(f);
    if (rc)
        return rc;

    unsigned padx, pady;
    int halo = 0;
    if (r->style == AIM_VIS_STYLE_BOX) {
        padx = (unsigned)lround(0.35 * t);
        pady = (unsigned)lround(0.25 * t);
        if (padx < 2) padx = 2;
        if (pady < 2) pady = 2;
    } else {
        halo = (int)lround(t / 9.0);
        if (halo < 1) halo = 1;
        padx = pady = (unsigned)halo;
    }
    unsigned bw = m.w + 2 * padx, bh = m.h + 2 * pady;
    unsigned margin = (unsigned)lround(r->margin * shortest);
    if ((unsigned long)bw + 2ul * margin > w || (unsigned long)bh + 2ul * margin > h) {
        vis_mask_free(&m);
        return diag_fail(d, AIM_ERR_TOO_LARGE,
                         "visible: a %ux%u label does not fit a %ux%u picture (shorter text?)",
                         bw, bh, w, h);
    }
    size_t area = (size_t)bw * bh;
    ov->text = calloc(area, 1);
    ov->back = calloc(area, 1);
    if (!ov->text || !ov->back) {
        vis_mask_free(&m);
        vis_overlay_free(ov);
        return AIM_ERR_NOMEM;
    }
    for (unsigned y = 0; y < m.h; y++)
        memcpy(ov->text + (size_t)(y + pady) * bw + padx, m.cov + (size_t)y * m.w, m.w);
    vis_mask_free(&m);
    if (r->style == AIM_VIS_STYLE_BOX)
        memset(ov->back, 255, area);
    else
        dilate(ov->text, ov->back, bw, bh, halo);

    unsigned x, y;
    switch (r->place) {
    case AIM_VIS_TOP_LEFT: x = margin, y = margin; break;
    case AIM_VIS_TOP_RIGHT: x = w - margin - bw, y = margin; break;
    case AIM_VIS_BOTTOM_LEFT: x = margin, y = h - margin - bh; break;
    case AIM_VIS_TOP: x = (w - bw) / 2, y = margin; break;
    case AIM_VIS_BOTTOM: x = (w - bw) / 2, y = h - margin - bh; break;
    default: x = w - margin - bw, y = h - margin - bh; break;
    }
    ov->box.x = x, ov->box.y = y, ov->box.w = bw, ov->box.h = bh;
    ov->box.text_px = 0;
    /* Report the ink height actually drawn, not the one asked for. */
    unsigned top = bh, bottom = 0;
    for (unsigned yy = 0; yy < bh; yy++)
        for (unsigned xx = 0; xx < bw; xx++)
            if (ov->text[(size_t)yy * bw + xx]) {
                if (yy < top) top = yy;
                if (yy + 1 > bottom) bottom = yy + 1;
                break;
            }
    ov->box.text_px = bottom > top ? bottom - top : 0;
    rgba_bytes(r->text_color, ov->fg);
    rgba_bytes(r->back_color, ov->bg);
    return AIM_OK;
}

/* ---- compositing ------------------------------------------------------------- */

static float get_ch(const vis_canvas *c, const uint8_t *p, int i)
{
    if (c->depth == 16) /* big-endian, as PNG stores it */
        return (float)((p[2 * i] << 8) | p[2 * i + 1]) / 65535.0f;
    return p[i] / 255.0f;
}

static void put_ch(const vis_canvas *c, uint8_t *p, int i, float v)
{
    if (v < 0.0f) v = 0.0f;
    if (v > 1.0f) v = 1.0f;
    if (c->depth == 16) {
        unsigned u = (unsigned)lrintf(v * 65535.0f);
        p[2 * i] = (uint8_t)(u >> 8);
        p[2 * i + 1] = (uint8_t)u;
    } else {
        p[i] = (uint8_t)lrintf(v * 255.0f);
    }
}

/* Porter-Duff "over" of a colour with coverage a (0..1) onto one pixel. */
static void over(const vis_canvas *c, uint8_t *p, const float col[3], float a)
{
    if (a <= 0.0f)
        return;
    int colour = c->ch >= 3 ? 3 : 1;
    int has_alpha = c->ch == 2 || c->ch == 4;
    float src[3];
    if (colour == 3)
        src[0] = col[0], src[1] = col[1], src[2] = col[2];
    else
        src[0] = 0.299f * col[0] + 0.587f * col[1] + 0.114f * col[2];
    if (!has_alpha) {
        for (int i = 0; i < colour; i++) {
            float v = get_ch(c, p, i);
            put_ch(c, p, i, v + (src[i] - v) * a);
        }
        return;
    }
    float ad = get_ch(c, p, colour);
    float ao = a + ad * (1.0f - a);
    for (int i = 0; i < colour; i++) {
        float v = get_ch(c, p, i);
        put_ch(c, p, i, ao > 0.0f ? (src[i] * a + v * ad * (1.0f - a)) / ao : 0.0f);
    }
    put_ch(c, p, colour, ao);
}

void vis_composite(const vis_overlay *ov, vis_canvas *c)
{
    float fg[3] = {ov->fg[0] / 255.0f, ov->fg[1] / 255.0f, ov->fg[2] / 255.0f};
    float bg[3] = {ov->bg[0] / 255.0f, ov->bg[1] / 255.0f, ov->bg[2] / 255.0f};
    float fa = ov->fg[3] / 255.0f, ba = ov->bg[3] / 255.0f;
    size_t px_bytes = (size_t)c->ch * (size_t)(c->depth / 8);
    for (unsigned y = 0; y < ov->box.h; y++) {
        uint8_t *row = c->px + (size_t)(ov->box.y + y) * c->stride + (size_t)ov->box.x * px_bytes;
        const uint8_t *tm = ov->text + (size_t)y * ov->box.w, *bm = ov->back + (size_t)y * ov->box.w;
        for (unsigned x = 0; x < ov->box.w; x++) {
            uint8_t *p = row + (size_t)x * px_bytes;
            over(c, p, bg, ba * (bm[x] / 255.0f));
            over(c, p, fg, fa * (tm[x] / 255.0f));
        }
    }
}

/* ---- public entry points ------------------------------------------------------ */

int aim_visible_measure(unsigned width, unsigned height, const aim_visible_opts *o,
                        aim_vis_box *box, aim_diag *diag)
{
    if (diag)
        memset(diag, 0, sizeof *diag);
    if (!box)
        return AIM_ERR_INVALID_ARG;
    aim_visible_opts r;
    int rc = vis_opts_resolve(o, &r, diag);
    if (rc)
        return rc;
    vis_overlay ov;
    if ((rc = vis_overlay_make(width, height, &r, &ov, diag)) != AIM_OK)
        return rc;
    *box = ov.box;
    vis_overlay_free(&ov);
    return AIM_OK;
}

int aim_visible_draw_rgba(uint8_t *rgba, unsigned width, unsigned height, size_t stride,
                          const aim_visible_opts *o, aim_vis_box *box, aim_diag *diag)
{
    if (diag)
        memset(diag, 0, sizeof *diag);
    if (!rgba || width == 0 || stride / 4 < width)
        return AIM_ERR_INVALID_ARG;
    aim_visible_opts r;
    int rc = vis_opts_resolve(o, &r, diag);
    if (rc)
        return rc;
    if ((uint64_t)width * height > r.max_pixels)
        return diag_fail(diag, AIM_ERR_LIMIT, "visible: %ux%u is over max_pixels", width, height);
    vis_overlay ov;
    if ((rc = vis_overlay_make(width, height, &r, &ov, diag)) != AIM_OK)
        return rc;
    vis_canvas c = {rgba, width, height, stride, 4, 8};
    vis_composite(&ov, &c);
    if (box)
        *box = ov.box;
    vis_overlay_free(&ov);
    return AIM_OK;
}

static int label_image(const uint8_t *in, size_t n, const aim_visible_opts *r,
                       const aim_label *label, const aim_write_opts *wopts, void **out,
                       size_t *out_n, aim_diag *diag)
{
    aim_buf enc = AIM_BUF_INIT;
    enc.limit = VIS_MAX_OUT_BYTES;
    int rc;
    switch (aim_format_probe(in, n)) {
    case AIM_FORMAT_PNG: rc = vis_png(in, n, r, &enc, diag); break;
    case AIM_FORMAT_JPEG: rc = vis_jpeg(in, n, r, &enc, diag); break;
    case AIM_FORMAT_WEBP: rc = vis_webp(in, n, r, &enc, diag); break;
    case AIM_FORMAT_MP4:
        return diag_fail(diag, AIM_ERR_UNSUPPORTED, "visible: video is labelled from a file only");
    default:
        return diag_fail(diag, AIM_ERR_UNKNOWN_FORMAT,
                         "visible: not a PNG, JPEG, WebP or MP4 file");
    }
    if (rc == AIM_OK && enc.err)
        rc = diag_fail(diag, enc.err, "visible: encoded image too large");
    if (rc) {
        buf_free(&enc);
        return rc;
    }
    aim_diag inner = {0};
    rc = aim_meta_write_mem(enc.p, enc.len, label, wopts, out, out_n, &inner);
    buf_free(&enc);
    if (rc)
        return diag_fail(diag, rc, "visible: implicit label: %s", inner.message);
    return AIM_OK;
}

int aim_visible_label_mem(const void *in, size_t n, const aim_visible_opts *vopts,
                          const aim_label *label, const aim_write_opts *wopts, void **out,
                          size_t *out_n, aim_diag *diag)
{
    if (diag)
        memset(diag, 0, sizeof *diag);
    if (!out || !out_n)
        return AIM_ERR_INVALID_ARG;
    *out = NULL;
    *out_n = 0;
    if (!in || !label)
        return AIM_ERR_INVALID_ARG;
    aim_visible_opts r;
    int rc = vis_opts_resolve(vopts, &r, diag);
    if (rc)
        return rc;
    if (aim_label_validate(label, NULL, 0) != AIM_OK)
        return diag_fail(diag, AIM_ERR_LABEL_INVALID, "visible: the implicit label is not valid");
    return label_image(in, n, &r, label, wopts, out, out_n, diag);
}

int vis_read_whole(int fd, size_t size, uint8_t **out)
{
    uint8_t *p = malloc(size ? size : 1);
    if (!p)
        return AIM_ERR_NOMEM;
    size_t got = 0;
    while (got < size) {
        ssize_t k = read(fd, p + got, size - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            free(p);
            return AIM_ERR_IO;
        }
        got += (size_t)k;
    }
    *out = p;
    return AIM_OK;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return AIM_ERR_IO;
        p += k;
        n -= (size_t)k;
    }
    return AIM_OK;
}

static int label_video(const char *in_path, const char *out_path, const aim_visible_opts *r,
                       const aim_label *label, const aim_write_opts *wopts, aim_diag *diag)
{
    /* The re-encoded video goes to a temp file beside the destination; the
     * meta writer then adds the implicit label and renames atomically. */
    atomic_file tmp;
    int rc = atomic_open(&tmp, out_path, in_path);
    if (rc)
        return diag_fail(diag, rc, "visible: cannot create a temporary file beside %s: %s",
                         out_path, strerror(errno));
    if (tmp.have_mode)
        (void)fchmod(tmp.fd, tmp.mode);
    rc = vis_video(in_path, tmp.tmp_path, r, diag);
    if (rc == AIM_OK) {
        aim_diag inner = {0};
        rc = aim_meta_write_file(tmp.tmp_path, out_path, label, wopts, &inner);
        if (rc)
            rc = diag_fail(diag, rc, "visible: implicit label: %s", inner.message);
    }
    atomic_abort(&tmp);
    return rc;
}

int aim_visible_label_file(const char *in_path, const char *out_path,
                           const aim_visible_opts *vopts, const aim_label *label,
                           const aim_write_opts *wopts, aim_diag *diag)
{
    if (diag)
        memset(diag, 0, sizeof *diag);
    if (!in_path || !label)
        return AIM_ERR_INVALID_ARG;
    if (!out_path)
        out_path = in_path;
    aim_visible_opts r;
    int rc = vis_opts_resolve(vopts, &r, diag);
    if (rc)
        return rc;
    if (aim_label_validate(label, NULL, 0) != AIM_OK)
        return diag_fail(diag, AIM_ERR_LABEL_INVALID, "visible: the implicit label is not valid");

    int fd = open(in_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return diag_fail(diag, AIM_ERR_IO, "cannot open %s: %s", in_path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return diag_fail(diag, AIM_ERR_IO, "%s is not a regular file", in_path);
    }
    uint8_t head[64];
    size_t hn = st.st_size < (off_t)sizeof head ? (size_t)st.st_size : sizeof head;
    if (pread(fd, head, hn, 0) != (ssize_t)hn) {
        close(fd);
        return diag_fail(diag, AIM_ERR_IO, "cannot read %s", in_path);
    }
    aim_format fmt = aim_format_probe(head, hn);
    if (diag)
        diag->format = fmt;
    if (fmt == AIM_FORMAT_MP4) {
        close(fd);
        return label_video(in_path, out_path, &r, label, wopts, diag);
    }
    if (fmt != AIM_FORMAT_PNG && fmt != AIM_FORMAT_JPEG && fmt != AIM_FORMAT_WEBP) {
        close(fd);
        return diag_fail(diag, AIM_ERR_UNKNOWN_FORMAT, "visible: not a PNG, JPEG, WebP or MP4 file");
    }
    if ((uint64_t)st.st_size > VIS_MAX_FILE_BYTES) {
        close(fd);
        return diag_fail(diag, AIM_ERR_LIMIT, "visible: image file over %u MiB",
                         VIS_MAX_FILE_BYTES >> 20);
    }
    uint8_t *in;
    rc = vis_read_whole(fd, (size_t)st.st_size, &in);
    close(fd);
    if (rc)
        return diag_fail(diag, rc, "cannot read %s", in_path);
    void *outp = NULL;
    size_t outn = 0;
    rc = label_image(in, (size_t)st.st_size, &r, label, wopts, &outp, &outn, diag);
    free(in);
    if (rc)
        return rc;
    atomic_file af;
    rc = atomic_open(&af, out_path, in_path);
    if (rc) {
        free(outp);
        return diag_fail(diag, rc, "cannot create a temporary file beside %s: %s", out_path,
                         strerror(errno));
    }
    rc = write_all(af.fd, outp, outn);
    free(outp);
    if (rc) {
        atomic_abort(&af);
        return diag_fail(diag, rc, "cannot write the output: %s", strerror(errno));
    }
    rc = atomic_commit(&af);
    if (rc)
        return diag_fail(diag, rc, "cannot replace %s: %s", out_path, strerror(errno));
    return AIM_OK;
}
