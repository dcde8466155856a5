/*
 * Explicit visible labels (GB 45438-2025 §5.2 images, §5.4 video): draw a
 * text prompt such as "AI生成" at an edge or corner of an image or of the
 * opening seconds of a video, and write the implicit metadata label in the
 * same pass.
 *
 * Images: PNG, JPEG and WebP are decoded, the label is composited onto the
 * pixels, and the image is re-encoded with its metadata kept (PNG ancillary
 * chunks, JPEG APPn/COM markers, WebP ICCP/EXIF/XMP chunks). Pixels outside
 * the label's box are unchanged in lossless formats.
 * Video: MP4/MOV; the video track is decoded, the label drawn on the first
 * `video_head_s` seconds (and optionally the last `video_tail_s`), the track
 * re-encoded (H.264), every other stream copied untouched.
 *
 * Text is rendered with FreeType from a CJK font file (default: Noto Sans
 * CJK Bold from Debian's fonts-noto-cjk; see aim_visible_font_candidate).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef AIMARK_VISIBLE_H
#define AIMARK_VISIBLE_H

#include <stddef.h>
#include <stdint.h>

#include "aimark/aimark.h"
#include "aimark/label.h"
#include "aimark/meta.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Where the label goes: a corner, or the centre of the top/bottom edge. */
typedef enum aim_vis_place {
    AIM_VIS_BOTTOM_RIGHT = 0, /**< "br" (default; GB 45438 Annex C.2 example) */
    AIM_VIS_BOTTOM_LEFT = 1,  /**< "bl" */
    AIM_VIS_TOP_RIGHT = 2,    /**< "tr" */
    AIM_VIS_TOP_LEFT = 3,     /**< "tl" */
    AIM_VIS_TOP = 4,          /**< "top": centre of the top edge */
    AIM_VIS_BOTTOM = 5        /**< "bottom": centre of the bottom edge */
} aim_vis_place;

/** Parse "br", "bl", "tr", "tl", "top" or "bottom". AIM_ERR_INVALID_ARG otherwise. */
AIM_EXPORT int aim_vis_place_parse(const char *s, aim_vis_place *out);
/** Short name of a place ("br", ...); "?" when out of range. Static string. */
AIM_EXPORT const char *aim_vis_place_name(aim_vis_place p);

/** How the text is kept legible on any background. */
typedef enum aim_vis_style {
    AIM_VIS_STYLE_BOX = 0,    /**< semi-opaque box behind the text (default) */
    AIM_VIS_STYLE_OUTLINE = 1 /**< a halo of back_color around each glyph, no box */
} aim_vis_style;

/** Longest label text accepted, in bytes of UTF-8. */
#define AIM_VIS_MAX_TEXT 256

/** Options. Fill with aim_visible_opts_init() first, then change fields. */
typedef struct aim_visible_opts {
    size_t struct_size;    /**< set by init; lets the struct grow compatibly */
    const char *text;      /**< UTF-8 label text; NULL = "AI生成". Not retained. */
    aim_vis_place place;   /**< default AIM_VIS_BOTTOM_RIGHT */
    aim_vis_style style;   /**< default AIM_VIS_STYLE_BOX */
    double text_height;    /**< ink height of the text as a fraction of the shortest
                                side; default 0.07, at least 0.05 (GB 45438 §5.2) */
    double margin;         /**< gap from the edges, fraction of the shortest side;
                                default 0.02 */
    unsigned min_text_px;  /**< floor on the text height in pixels for small images
                                (applied while it fits); default 14 */
    uint32_t text_color;   /**< 0xRRGGBBAA; default 0xFFFFFFFF (white) */
    uint32_t back_color;   /**< box or halo colour, 0xRRGGBBAA; default 0x000000D8 (85%) */
    const char *font_path; /**< font file (TTF/OTF/TTC); NULL = first existing
                                aim_visible_font_candidate(). Not retained. */
    int font_face;         /**< face index in a collection; -1 (default) = the
                                Simplified Chinese face if the file names one, else 0 */
    int jpeg_quality;      /**< 1..100; 0 (default) = estimate the source's quality
                                from its quantisation tables (92 if unknown) */
    int webp_quality;      /**< lossy WebP 1..100; 0 (default) = 90. A lossless
                                source is written lossless. */
    uint64_t max_pixels;   /**< refuse larger images/frames (decompression bombs);
                                default 64 Mpixel */
    double video_head_s;   /**< seconds labelled at the start; default 2.0 (§5.4
                                asks for at least 2 s) */
    double video_tail_s;   /**< seconds labelled at the end; default 0 (off) */
    int video_crf;         /**< H.264 constant-rate factor 0..51; default 20 */
} aim_visible_opts;

AIM_EXPORT void aim_visible_opts_init(aim_visible_opts *o);

/**
 * The i-th built-in font path tried when font_path is NULL (i from 0; NULL
 * past the end). Static strings. The first that exists is used.
 */
AIM_EXPORT const char *aim_visible_font_candidate(size_t i);

/** Where the label lands on a width x height picture. */
typedef struct aim_vis_box {
    unsigned x, y, w, h;  /**< the box (style BOX) or the text's halo bounds */
    unsigned text_px;     /**< ink height of the rendered text in pixels */
} aim_vis_box;

/**
 * Lay the label out for a width x height picture without drawing: loads the
 * font, checks the text, and reports the box. Errors: AIM_ERR_INVALID_ARG
 * (bad options or text not valid UTF-8), AIM_ERR_NOT_FOUND (no font),
 * AIM_ERR_UNSUPPORTED (the font lacks a character), AIM_ERR_TOO_LARGE (the
 * label does not fit the picture at >= 5% height). Thread-safe.
 */
AIM_EXPORT int aim_visible_measure(unsigned width, unsigned height, const aim_visible_opts *o,
                                   aim_vis_box *box, aim_diag *diag);

/**
 * Draw the label onto 8-bit RGBA pixels in memory (row `stride` bytes,
 * straight alpha): for generators that label before encoding. Only pixels
 * inside the reported box change. `box` may be NULL. Thread-safe.
 */
AIM_EXPORT int aim_visible_draw_rgba(uint8_t *rgba, unsigned width, unsigned height,
                                     size_t stride, const aim_visible_opts *o, aim_vis_box *box,
                                     aim_diag *diag);

/**
 * Label the file at `in_path` (PNG, JPEG, WebP or MP4/MOV, recognised from
 * the content) visibly and implicitly, storing the result at `out_path`
 * (NULL or the same path: replace `in_path`). `label` (required) is written
 * as with aim_meta_write_file(); `wopts` may be NULL for defaults; `vopts`
 * may be NULL for defaults. The output is written to a temporary file
 * beside the destination and renamed over it, so on any failure the
 * destination (and the input) is untouched. Thread-safe for distinct files.
 * Errors as aim_visible_measure, plus AIM_ERR_UNKNOWN_FORMAT (not one of
 * the four formats), AIM_ERR_CORRUPT/AIM_ERR_TRUNCATED (undecodable input),
 * AIM_ERR_LIMIT (over max_pixels or another limit), AIM_ERR_UNSUPPORTED
 * (e.g. animated WebP, CMYK JPEG, no H.264 encoder), AIM_ERR_IO.
 */
AIM_EXPORT int aim_visible_label_file(const char *in_path, const char *out_path,
                                      const aim_visible_opts *vopts, const aim_label *label,
                                      const aim_write_opts *wopts, aim_diag *diag);

/**
 * Same for an image (PNG, JPEG, WebP) in memory: `*out` (free with
 * aim_free) of `*out_n` bytes. Video is file-only.
 */
AIM_EXPORT int aim_visible_label_mem(const void *in, size_t n, const aim_visible_opts *vopts,
                                     const aim_label *label, const aim_write_opts *wopts,
                                     void **out, size_t *out_n, aim_diag *diag);

#ifdef __cplusplus
}
#endif
#endif
