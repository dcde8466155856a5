/*
 * Implicit metadata labels in files: find, read and write the `AIGC` label
 * in WAV, MP3, FLAC, Ogg Vorbis/Opus, MP4/M4A/MOV, PNG, JPEG and WebP. The
 * format is recognised from the content, never from the file name.
 *
 * Writing never changes the media (samples, pixels): only metadata
 * structures are added or replaced, every other chunk/frame/box is kept.
 * There is deliberately no call that removes a label (Labeling Measures
 * Art. 10 forbids providing tools that strip them).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef AIMARK_META_H
#define AIMARK_META_H

#include <stdint.h>
#include "aimark/aimark.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum aim_format {
    AIM_FORMAT_UNKNOWN = 0,
    AIM_FORMAT_WAV = 1,   /**< RIFF/WAVE, RF64, BW64 */
    AIM_FORMAT_MP3 = 2,   /**< MPEG audio with or without ID3v2 */
    AIM_FORMAT_FLAC = 3,  /**< native FLAC */
    AIM_FORMAT_OGG_VORBIS = 4,
    AIM_FORMAT_OGG_OPUS = 5,
    AIM_FORMAT_MP4 = 6,   /**< ISO BMFF / QuickTime: MP4, M4A, MOV */
    AIM_FORMAT_PNG = 7,
    AIM_FORMAT_JPEG = 8,
    AIM_FORMAT_WEBP = 9,
    AIM_FORMAT_COUNT
} aim_format;

/** Short lowercase name: "wav", "mp3", "flac", "ogg-vorbis", "ogg-opus",
 *  "mp4", "png", "jpeg", "webp"; "unknown". Static string. */
AIM_EXPORT const char *aim_format_name(aim_format f);

/**
 * Recognise a format from the first bytes of a file (64 bytes or more are
 * best; fewer may give AIM_FORMAT_UNKNOWN). Never reads past `n`.
 */
AIM_EXPORT aim_format aim_format_probe(const void *head, size_t n);

/** IPTC DigitalSourceType values aimark writes into XMP. */
typedef enum aim_source_type {
    AIM_SOURCE_NONE = 0,               /**< do not write DigitalSourceType */
    AIM_SOURCE_TRAINED_ALGORITHMIC = 1, /**< trainedAlgorithmicMedia (default) */
    AIM_SOURCE_COMPOSITE_TRAINED = 2    /**< compositeWithTrainedAlgorithmicMedia */
} aim_source_type;

/** Full IPTC URI for a source type, NULL for AIM_SOURCE_NONE. */
AIM_EXPORT const char *aim_source_type_uri(aim_source_type t);

/** What was found in one file. Opaque; read with the accessors below. */
typedef struct aim_meta aim_meta;

/**
 * Read the implicit label of the file at `path`. Reads only the structures it
 * needs (it seeks past media data), so cost does not grow with file size
 * for most formats. On success `*out` is a new aim_meta (free it with
 * aim_meta_free); a file without a label is a success with no label.
 * On failure `*out` is NULL and `diag` (may be NULL) says what and where.
 * Thread-safe: independent calls may run concurrently.
 */
AIM_EXPORT int aim_meta_read_file(const char *path, aim_meta **out, aim_diag *diag);

/** Same as aim_meta_read_file on bytes in memory (not retained). */
AIM_EXPORT int aim_meta_read_mem(const void *data, size_t n, aim_meta **out, aim_diag *diag);

AIM_EXPORT void aim_meta_free(aim_meta *m);

AIM_EXPORT aim_format aim_meta_format(const aim_meta *m);
/** The label found, or NULL when the file has none. Owned by `m`. */
AIM_EXPORT const aim_label *aim_meta_label(const aim_meta *m);
/** Where the label was found, e.g. "riff:AIGC", "id3v2.4:TXXX:AIGC",
 *  "vorbis-comment:AIGC", "mp4:udta/meta/keys:AIGC", "xmp:TC260:AIGC",
 *  "png:tEXt:AIGC". NULL when no label. Owned by `m`. */
AIM_EXPORT const char *aim_meta_location(const aim_meta *m);
/** The form of the label found (meaningless when there is none). */
AIM_EXPORT aim_label_form aim_meta_form(const aim_meta *m);
/** The label's raw text as stored in the file (JSON). NULL when none. */
AIM_EXPORT const char *aim_meta_raw(const aim_meta *m);
/** How many AIGC carriers the file holds. More than 1 breaks "one label per
 *  file"; the first in the format's reading order is reported. */
AIM_EXPORT unsigned aim_meta_label_count(const aim_meta *m);
/** IPTC DigitalSourceType URI found in XMP, or NULL. Owned by `m`. */
AIM_EXPORT const char *aim_meta_source_type(const aim_meta *m);
/** When a carrier was found but its text is not label JSON, the parse error
 *  (AIM_ERR_JSON), else AIM_OK. aim_meta_label() is then NULL and
 *  aim_meta_raw() holds the text. */
AIM_EXPORT int aim_meta_label_error(const aim_meta *m);

/** Options for writing. Fill with aim_write_opts_init() first. */
typedef struct aim_write_opts {
    size_t struct_size;          /**< set by init; lets the struct grow compatibly */
    aim_label_form form;         /**< AIM_FORM_BARE (default, TC260 guides) */
    aim_source_type source_type; /**< for XMP formats; default TRAINED_ALGORITHMIC */
} aim_write_opts;

AIM_EXPORT void aim_write_opts_init(aim_write_opts *o);

/**
 * Write `label` into the file `in_path`, replacing any label already there
 * (one label per file), and store the result at `out_path` (NULL or the
 * same path: replace `in_path`). The label must pass aim_label_validate.
 * The output is written to a temporary file beside the destination, synced
 * and renamed over it, so on any failure (or a kill mid-write) the
 * destination is untouched; when replacing, the file mode is kept.
 * Thread-safe for distinct files.
 */
AIM_EXPORT int aim_meta_write_file(const char *in_path, const char *out_path,
                                   const aim_label *label, const aim_write_opts *opts,
                                   aim_diag *diag);

/**
 * Same, from bytes in memory to a new buffer: `*out` (free with aim_free)
 * of `*out_n` bytes. Meant for tests, fuzzers and services.
 */
AIM_EXPORT int aim_meta_write_mem(const void *in, size_t n, const aim_label *label,
                                  const aim_write_opts *opts, void **out, size_t *out_n,
                                  aim_diag *diag);

#ifdef __cplusplus
}
#endif
#endif
