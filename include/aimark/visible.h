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
 * Reading (aim_visible_reader): find such a label in an image or in the
 * opening seconds of a video with OCR (tesseract), for platforms.
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


/* ---- reading: does a picture or video carry a visible label? ------------- */

/*
 * The reading direction, for platforms (Labeling Measures Art. 6: a platform
 * that detects an explicit label treats the content as at least suspected).
 * The top and bottom strips of the picture (where GB 45438 §5.2 puts the
 * label: an edge or a corner) are cut out, scaled so that text 5%..15% of
 * the shortest side tall is a size tesseract reads well, turned into ink
 * maps for light text and for dark text (morphological top-hat: boxes,
 * plain areas and large shapes drop out, strokes stay) and read by
 * tesseract 5 (Debian's libtesseract, Apache-2.0) with Simplified Chinese
 * data. Each text line read is normalised and matched by
 * aim_visible_text_matches(). Method, regions, rule and measured rates:
 * docs/VISIBLE.md "Reading visible labels".
 */

/** Reader options. Fill with aim_visible_read_opts_init() first. */
typedef struct aim_visible_read_opts {
    size_t struct_size;    /**< set by init; lets the struct grow compatibly */
    const char *tessdata;  /**< folder holding <lang>.traineddata; NULL = the
                                TESSDATA_PREFIX environment variable if set, else
                                /usr/share/tesseract-ocr/5/tessdata (Debian 12),
                                else /usr/share/tesseract-ocr/4.00/tessdata.
                                Copied by _new. */
    const char *lang;      /**< tesseract language(s); NULL = "chi_sim" (it reads
                                Latin letters too). "chi_sim+eng" is slower. Copied. */
    double strip;          /**< height of the top/bottom strip searched, fraction
                                of the shortest side, 0.1..0.5; default 0.22 */
    uint64_t max_pixels;   /**< refuse larger images/frames; default 64 Mpixel */
    unsigned video_frames; /**< frames read from a video's opening, 1..16; default 3 */
    double video_head_s;   /**< the opening searched, seconds; default 2.0 (§5.4) */
} aim_visible_read_opts;

AIM_EXPORT void aim_visible_read_opts_init(aim_visible_read_opts *o);

/** A reader: one tesseract instance with its language data loaded. */
typedef struct aim_visible_reader aim_visible_reader;

/**
 * Create a reader (loads the language data, ~0.1 s and ~30 MB for chi_sim).
 * `o` may be NULL for defaults. Returns AIM_OK and *out, or
 * AIM_ERR_INVALID_ARG (bad options), AIM_ERR_NOT_FOUND (no
 * <lang>.traineddata in the tessdata folder: install tesseract-ocr-chi-sim
 * or set TESSDATA_PREFIX; diag says where it looked), AIM_ERR_NOMEM.
 * Thread-safety: a reader is used by one thread at a time; make one per
 * thread (tesseract instances share nothing). The first call also sets
 * Leptonica's message level to none, process-wide (it prints otherwise).
 * Debian's tesseract runs OpenMP threads inside each call: a program with
 * its own worker threads should run with OMP_THREAD_LIMIT=1 in its
 * environment (read when libgomp loads), as aimark check does. Free with
 * aim_visible_reader_free (NULL accepted).
 */
AIM_EXPORT int aim_visible_reader_new(const aim_visible_read_opts *o, aim_visible_reader **out,
                                      aim_diag *diag);
AIM_EXPORT void aim_visible_reader_free(aim_visible_reader *r);

/** What a read found. Plain caller-allocated struct; no pointers. */
typedef struct aim_visible_found {
    int found;             /**< 1: a line matching the label rule was read */
    char text[AIM_VIS_MAX_TEXT]; /**< that line as OCR read it (UTF-8, spaces
                                kept, cut at a character boundary); "" if none */
    aim_vis_place region;  /**< where it is: a corner, or the top/bottom centre */
    unsigned x, y, w, h;   /**< its bounding box in the picture's pixels */
    double time_s;         /**< video: time of the frame from the first frame;
                                images: 0 */
    unsigned frames;       /**< pictures read: 1 for an image, up to video_frames */
} aim_visible_found;

/**
 * Look for a visible label in the file at `path`: PNG, JPEG or WebP (the
 * decoders the labeller uses), or MP4/MOV (up to video_frames frames spread
 * over the first video_head_s seconds, read in turn until one has the
 * label). Returns AIM_OK with *res filled whether or not a label was found,
 * or AIM_ERR_IO, AIM_ERR_UNKNOWN_FORMAT (not one of these formats),
 * AIM_ERR_UNSUPPORTED (an MP4 without a video track, animated PNG/WebP,
 * CMYK JPEG), AIM_ERR_CORRUPT / AIM_ERR_TRUNCATED (undecodable),
 * AIM_ERR_LIMIT (over max_pixels), AIM_ERR_NOMEM (also the call on which
 * tesseract fails), AIM_ERR_BAD_STATE (the reader failed before; free it
 * and make another). Each OCR pass stops after 10 s (nothing found in it).
 * diag->format is set when the format was recognised.
 */
AIM_EXPORT int aim_visible_read_file(aim_visible_reader *r, const char *path,
                                     aim_visible_found *res, aim_diag *diag);

/**
 * The same for 8-bit RGBA pixels in memory (row `stride` bytes, straight
 * alpha, composited over white): e.g. a frame a platform already decoded,
 * or a generator checking its own output. Errors: AIM_ERR_INVALID_ARG,
 * AIM_ERR_LIMIT, AIM_ERR_NOMEM, AIM_ERR_BAD_STATE.
 */
AIM_EXPORT int aim_visible_read_rgba(aim_visible_reader *r, const uint8_t *rgba, unsigned width,
                                     unsigned height, size_t stride, aim_visible_found *res,
                                     aim_diag *diag);

/**
 * The matching rule, on one line of UTF-8 text: 1 when it reads as an AI
 * label, else 0 (also for NULL). The text is normalised first: spaces and
 * punctuation dropped, full-width Latin made ASCII, letters upper-cased,
 * and an "A" followed by I, L, 1, |, ! or 丨 taken as "AI" (OCR reads the
 * sans-serif I as l, 1 or |). It then matches when an AI element ("AI" or
 * "人工智能") is followed, with at most 2 characters between, by a
 * generation element ("生成" or "合成"): "AI生成", "由AI生成", "AI合成",
 * "人工智能生成", "AI辅助生成", "Al生成". Pure function, thread-safe.
 */
AIM_EXPORT int aim_visible_text_matches(const char *utf8);

/** Long name of a region for reports: "bottom-right", "bottom-left",
 *  "top-right", "top-left", "top", "bottom"; "?" when out of range. */
AIM_EXPORT const char *aim_vis_region_name(aim_vis_place p);

#ifdef __cplusplus
}
#endif
#endif
