/*
 * Internals of the visible-label layer: the font renderer (font.c), the
 * overlay (a coverage mask placed on a picture, visible.c) and one codec
 * module per format (image_png.c, image_jpeg.c, image_webp.c, video_mp4.c);
 * the reader (visible_read.c) uses the image decoders.
 */
#ifndef AIM_EXPLICIT_VISIBLE_INTERNAL_H
#define AIM_EXPLICIT_VISIBLE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "aimark/visible.h"
#include "core/buf.h"

/* Hard caps whatever the options say. */
#define VIS_MAX_DIM 65535u       /* any side of an image or frame */
#define VIS_MAX_CODEPOINTS 64u   /* characters in the label text */

/* ---- font.c ---------------------------------------------------------------- */

typedef struct vis_font vis_font;

/* Decode and check label text: valid UTF-8, no controls, 1..VIS_MAX_CODEPOINTS
 * characters, at most AIM_VIS_MAX_TEXT bytes. */
int font_decode_utf8(const char *s, uint32_t *cp, size_t cap, size_t *n, aim_diag *d);
/* Open the font named by the options (or the first existing candidate). */
int font_open(const aim_visible_opts *o, vis_font **out, aim_diag *d);
void font_close(vis_font *f);

/* A coverage mask (0..255), w*h bytes, row stride w. */
typedef struct vis_mask {
    unsigned w, h;
    uint8_t *cov;
} vis_mask;

/* Render `n` code points so that the union of their ink is `ink_px` tall
 * (or a pixel taller). The mask is cropped to the ink. Fails with
 * AIM_ERR_UNSUPPORTED when the font lacks a character. */
int font_render(vis_font *f, const uint32_t *cp, size_t n, unsigned ink_px, vis_mask *m,
                aim_diag *d);
void vis_mask_free(vis_mask *m);

/* ---- visible.c: the overlay ----------------------------------------------- */

/* Everything drawn on one picture: two coverage masks over the same rect. */
typedef struct vis_overlay {
    aim_vis_box box;   /* rect on the picture, text height */
    uint8_t *text;     /* box.w*box.h text coverage */
    uint8_t *back;     /* box.w*box.h box/halo coverage */
    uint8_t fg[4], bg[4]; /* RGBA colours */
} vis_overlay;

/* Options resolved against defaults and checked (o may be NULL). */
int vis_opts_resolve(const aim_visible_opts *o, aim_visible_opts *r, aim_diag *d);
int vis_overlay_make(unsigned w, unsigned h, const aim_visible_opts *r, vis_overlay *ov,
                     aim_diag *d);
void vis_overlay_free(vis_overlay *ov);

/* A picture in memory: `ch` interleaved channels (1 grey, 2 grey+alpha,
 * 3 RGB, 4 RGBA) of 8 or 16 bits (16-bit big-endian, as in PNG). */
typedef struct vis_canvas {
    uint8_t *px;
    unsigned w, h;
    size_t stride;
    int ch;
    int depth;
} vis_canvas;

/* Composite the overlay onto the canvas ("over"; alpha kept consistent). */
void vis_composite(const vis_overlay *ov, vis_canvas *c);

/* ---- codecs: decode, draw, re-encode with metadata kept ------------------- */

/* Each takes the whole input file and appends the labelled image to `out`
 * (without the implicit label: visible.c adds that through the meta API). */
int vis_png(const uint8_t *in, size_t n, const aim_visible_opts *r, aim_buf *out, aim_diag *d);
int vis_jpeg(const uint8_t *in, size_t n, const aim_visible_opts *r, aim_buf *out, aim_diag *d);
int vis_webp(const uint8_t *in, size_t n, const aim_visible_opts *r, aim_buf *out, aim_diag *d);
/* Video: read in_path, write the labelled MP4/MOV to tmp_path. */
int vis_video(const char *in_path, const char *tmp_path, const aim_visible_opts *r, aim_diag *d);

/* Decode only, for the reader (visible_read.c): the same decoders and
 * checks, the pixels into a canvas (cv->px from malloc; the caller frees
 * it). The size is checked against max_pixels before any pixel buffer. */
int vis_png_decode(const uint8_t *in, size_t n, uint64_t max_pixels, vis_canvas *cv, aim_diag *d);
int vis_jpeg_decode(const uint8_t *in, size_t n, uint64_t max_pixels, vis_canvas *cv, aim_diag *d);
int vis_webp_decode(const uint8_t *in, size_t n, uint64_t max_pixels, vis_canvas *cv, aim_diag *d);

/* Largest image file read into memory. */
#define VIS_MAX_FILE_BYTES (512u * 1024u * 1024u)
/* Read `size` bytes from fd into a new buffer (visible.c). */
int vis_read_whole(int fd, size_t size, uint8_t **out);

#endif
