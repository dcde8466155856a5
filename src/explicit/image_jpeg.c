/*
 * JPEG: decode with libjpeg(-turbo), draw the label, re-encode at the
 * source's estimated quality with its chroma subsampling, and copy every
 * APPn and COM marker (EXIF, XMP, ICC, IPTC, ...) in source order.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "core/diag.h"
#include "explicit/visible_internal.h"

/* Progressive files can hold any number of scans; each costs a pass over
 * the coefficients, so a hostile file could spin for a long time. */
#define JPEG_MAX_SCANS 1000
#define JPEG_MAX_MEMORY (1024L * 1024L * 1024L)

typedef struct jerr {
    struct jpeg_error_mgr mgr;
    jmp_buf jmp;
    int eof;       /* the data ended early (libjpeg pads and warns) */
    char msg[JMSG_LENGTH_MAX];
    unsigned char *ob; /* encoder output (jpeg_mem_dest mallocs it) */
    unsigned long osize;
} jerr;

static void on_error_exit(j_common_ptr cinfo)
{
    jerr *e = (jerr *)cinfo->err;
    cinfo->err->format_message(cinfo, e->msg);
    longjmp(e->jmp, 1);
}

static void on_emit(j_common_ptr cinfo, int level)
{
    jerr *e = (jerr *)cinfo->err;
    if (level < 0) {
        cinfo->err->num_warnings++;
        if (cinfo->err->msg_code == JWRN_JPEG_EOF)
            e->eof = 1;
    }
}

static void on_output(j_common_ptr cinfo) { (void)cinfo; /* a library never prints */ }

static void on_progress(j_common_ptr cinfo)
{
    if (cinfo->is_decompressor) {
        j_decompress_ptr d = (j_decompress_ptr)cinfo;
        if (d->input_scan_number > JPEG_MAX_SCANS) {
            jerr *e = (jerr *)cinfo->err;
            snprintf(e->msg, sizeof e->msg, "more than %d scans", JPEG_MAX_SCANS);
            longjmp(e->jmp, 2);
        }
    }
}

static void err_init(jerr *e)
{
    memset(e, 0, sizeof *e);
    jpeg_std_error(&e->mgr);
    e->mgr.error_exit = on_error_exit;
    e->mgr.emit_message = on_emit;
    e->mgr.output_message = on_output;
}

/* The example luminance table of ITU T.81 Annex K (natural order). */
static const unsigned STD_LUMA[64] = {
    16, 11, 10, 16, 24,  40,  51,  61,  12, 12, 14, 19, 26,  58,  60,  55,
    14, 13, 16, 24, 40,  57,  69,  56,  14, 17, 22, 29, 51,  87,  80,  62,
    18, 22, 37, 56, 68,  109, 103, 77,  24, 35, 55, 64, 81,  104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99};

/* The IJG quality whose scaled luminance table is closest to the file's;
 * 92 when the file has no table 0 (cannot happen for a decodable file). */
static int estimate_quality(j_decompress_ptr cinfo)
{
    const JQUANT_TBL *t = cinfo->quant_tbl_ptrs[0];
    if (!t)
        return 92;
    int best = 92;
    unsigned long best_err = (unsigned long)-1;
    for (int q = 1; q <= 100; q++) {
        long scale = q < 50 ? 5000 / q : 200 - 2 * q;
        unsigned long err = 0;
        for (int i = 0; i < 64; i++) {
            long v = ((long)STD_LUMA[i] * scale + 50) / 100;
            if (v < 1) v = 1;
            if (v > 255) v = 255;
            long diff = v - (long)t->quantval[i];
            err += (unsigned long)(diff < 0 ? -diff : diff);
        }
        if (err <= best_err) { /* ties: the higher quality */
            best_err = err;
            best = q;
        }
    }
    return best;
}

typedef struct src_info {
    int quality;
    int progressive;
    int ncomp;
    int hs[3], vs[3];
    int saw_jfif;
    UINT8 density_unit;
    UINT16 xd, yd;
} src_info;

/* Copy of the saved markers, made before the decompressor is destroyed. */
typedef struct saved_marker {
    int code;
    unsigned len;
    uint8_t *data;
} saved_marker;

static void free_markers(saved_marker *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(m[i].data);
    free(m);
}

/* What decoding hands to encoding; lives in the caller's memory so it
 * survives a longjmp. */
typedef struct jimg {
    uint8_t *px;
    unsigned w, h;
    int ch;
    size_t stride;
    src_info si;
    saved_marker *marks;
    size_t nmarks;
} jimg;

static void jimg_free(jimg *g)
{
    free(g->px);
    free_markers(g->marks, g->nmarks);
    memset(g, 0, sizeof *g);
}

static int decode(const uint8_t *in, size_t n, const aim_visible_opts *r, jimg *g, aim_diag *d)
{
    struct jpeg_decompress_struct dc;
    jerr e;
    err_init(&e);
    dc.err = &e.mgr;
    struct jpeg_progress_mgr prog = {on_progress, 0, 0, 0, 0};
    int jr = setjmp(e.jmp);
    if (jr) {
        jpeg_destroy_decompress(&dc);
        jimg_free(g);
        if (jr == 2)
            return diag_fail(d, AIM_ERR_LIMIT, "jpeg: %s", e.msg);
        return diag_fail(d, AIM_ERR_CORRUPT, "jpeg: %s", e.msg);
    }
    jpeg_create_decompress(&dc);
    dc.progress = &prog;
    dc.mem->max_memory_to_use = JPEG_MAX_MEMORY;
    jpeg_save_markers(&dc, JPEG_COM, 0xFFFF);
    for (int m = 0; m < 16; m++)
        jpeg_save_markers(&dc, JPEG_APP0 + m, 0xFFFF);
    jpeg_mem_src(&dc, in, (unsigned long)n);
    if (jpeg_read_header(&dc, TRUE) != JPEG_HEADER_OK)
        longjmp(e.jmp, 1);
    if (e.eof) {
        jpeg_destroy_decompress(&dc);
        return diag_fail(d, AIM_ERR_TRUNCATED, "jpeg: the file ends inside the header");
    }
    g->w = dc.image_width, g->h = dc.image_height;
    if (g->w == 0 || g->h == 0 || g->w > VIS_MAX_DIM || g->h > VIS_MAX_DIM ||
        (uint64_t)g->w * g->h > r->max_pixels) {
        jpeg_destroy_decompress(&dc);
        return diag_fail(d, AIM_ERR_LIMIT, "jpeg: %ux%u is over the pixel limit", g->w, g->h);
    }
    if (dc.jpeg_color_space == JCS_GRAYSCALE) {
        dc.out_color_space = JCS_GRAYSCALE;
        g->ch = 1;
    } else if (dc.jpeg_color_space == JCS_YCbCr || dc.jpeg_color_space == JCS_RGB) {
        dc.out_color_space = JCS_RGB;
        g->ch = 3;
    } else {
        jpeg_destroy_decompress(&dc);
        return diag_fail(d, AIM_ERR_UNSUPPORTED, "jpeg: CMYK/YCCK images are not supported");
    }
    src_info *si = &g->si;
    si->quality = r->jpeg_quality ? r->jpeg_quality : estimate_quality(&dc);
    si->progressive = dc.progressive_mode;
    si->ncomp = dc.num_components;
    for (int i = 0; i < 3 && i < dc.num_components; i++) {
        si->hs[i] = dc.comp_info[i].h_samp_factor;
        si->vs[i] = dc.comp_info[i].v_samp_factor;
    }
    si->saw_jfif = dc.saw_JFIF_marker;
    si->density_unit = dc.density_unit;
    si->xd = dc.X_density;
    si->yd = dc.Y_density;
    /* Keep the markers: all APPn and COM, except those the encoder writes
     * itself (JFIF APP0, Adobe APP14 describing the colour transform). */
    size_t cnt = 0;
    for (jpeg_saved_marker_ptr m = dc.marker_list; m; m = m->next)
        cnt++;
    g->marks = calloc(cnt ? cnt : 1, sizeof *g->marks);
    if (!g->marks)
        longjmp(e.jmp, 1);
    for (jpeg_saved_marker_ptr m = dc.marker_list; m; m = m->next) {
        if (m->marker == JPEG_APP0 && m->data_length >= 5 && !memcmp(m->data, "JFIF\0", 5))
            continue;
        if (m->marker == JPEG_APP0 + 14 && m->data_length >= 5 && !memcmp(m->data, "Adobe", 5))
            continue;
        saved_marker *sm = &g->marks[g->nmarks];
        sm->code = m->marker;
        sm->len = m->data_length;
        sm->data = malloc(m->data_length ? m->data_length : 1);
        if (!sm->data)
            longjmp(e.jmp, 1);
        memcpy(sm->data, m->data, m->data_length);
        g->nmarks++;
    }
    jpeg_start_decompress(&dc);
    g->stride = (size_t)g->w * (size_t)g->ch;
    g->px = malloc(g->stride * g->h);
    if (!g->px)
        longjmp(e.jmp, 1);
    while (dc.output_scanline < dc.output_height) {
        JSAMPROW row = g->px + (size_t)dc.output_scanline * g->stride;
        if (jpeg_read_scanlines(&dc, &row, 1) != 1)
            break;
    }
    if (!e.eof)
        jpeg_finish_decompress(&dc);
    jpeg_destroy_decompress(&dc);
    if (e.eof) {
        jimg_free(g);
        return diag_fail(d, AIM_ERR_TRUNCATED, "jpeg: the image data ends early");
    }
    return AIM_OK;
}

static int encode(const jimg *g, aim_buf *out, aim_diag *d)
{
    struct jpeg_compress_struct cc;
    jerr ce;
    err_init(&ce);
    cc.err = &ce.mgr;
    if (setjmp(ce.jmp)) {
        jpeg_destroy_compress(&cc);
        free(ce.ob);
        return diag_fail(d, AIM_ERR_NOMEM, "jpeg: encode: %s", ce.msg);
    }
    jpeg_create_compress(&cc);
    jpeg_mem_dest(&cc, &ce.ob, &ce.osize);
    cc.image_width = g->w;
    cc.image_height = g->h;
    cc.input_components = g->ch;
    cc.in_color_space = g->ch == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cc);
    jpeg_set_quality(&cc, g->si.quality, TRUE);
    if (g->ch == 3 && g->si.ncomp == 3)
        for (int i = 0; i < 3; i++) {
            cc.comp_info[i].h_samp_factor = g->si.hs[i];
            cc.comp_info[i].v_samp_factor = g->si.vs[i];
        }
    if (g->si.saw_jfif) {
        cc.density_unit = g->si.density_unit;
        cc.X_density = g->si.xd;
        cc.Y_density = g->si.yd;
    }
    cc.optimize_coding = TRUE;
    if (g->si.progressive)
        jpeg_simple_progression(&cc);
    jpeg_start_compress(&cc, TRUE);
    for (size_t i = 0; i < g->nmarks; i++)
        jpeg_write_marker(&cc, g->marks[i].code, g->marks[i].data, g->marks[i].len);
    while (cc.next_scanline < cc.image_height) {
        JSAMPROW row = g->px + (size_t)cc.next_scanline * g->stride;
        jpeg_write_scanlines(&cc, &row, 1);
    }
    jpeg_finish_compress(&cc);
    jpeg_destroy_compress(&cc);
    buf_put(out, ce.ob, ce.osize);
    free(ce.ob);
    return out->err ? diag_fail(d, out->err, "jpeg: output too large") : AIM_OK;
}

int vis_jpeg(const uint8_t *in, size_t n, const aim_visible_opts *r, aim_buf *out, aim_diag *d)
{
    jimg g;
    memset(&g, 0, sizeof g);
    int rc = decode(in, n, r, &g, d);
    if (rc)
        return rc;
    vis_overlay ov;
    if ((rc = vis_overlay_make(g.w, g.h, r, &ov, d)) != AIM_OK) {
        jimg_free(&g);
        return rc;
    }
    vis_canvas cv = {g.px, g.w, g.h, g.stride, g.ch, 8};
    vis_composite(&ov, &cv);
    vis_overlay_free(&ov);
    rc = encode(&g, out, d);
    jimg_free(&g);
    return rc;
}

int vis_jpeg_decode(const uint8_t *in, size_t n, uint64_t max_pixels, vis_canvas *cv, aim_diag *d)
{
    memset(cv, 0, sizeof *cv);
    aim_visible_opts r;
    aim_visible_opts_init(&r);
    r.max_pixels = max_pixels;
    r.jpeg_quality = 92; /* not estimated: nothing is encoded */
    jimg g;
    memset(&g, 0, sizeof g);
    int rc = decode(in, n, &r, &g, d);
    if (rc)
        return rc;
    free_markers(g.marks, g.nmarks);
    *cv = (vis_canvas){g.px, g.w, g.h, g.stride, g.ch, 8};
    return AIM_OK;
}
