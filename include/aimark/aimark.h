/*
 * aimark — label, verify and detect AI-generated audio and images.
 *
 * Umbrella header: include this one. It pulls in the public headers of the
 * library's core (labels, metadata, watermark, explicit labels, detector);
 * the file-level layers built on them, aimark/audio.h (decode, re-encode,
 * one-pass labelling) and aimark/eval.h (detector evaluation), are included
 * on their own. Everything public is prefixed `aim_` / `AIM_`.
 *
 * Conventions that hold across the whole API:
 *  - Functions that can fail return `int`: AIM_OK (0) or a negative aim_err.
 *  - Objects are opaque handles created by `aim_X_new`/`aim_X_read_*` and
 *    released by `aim_X_free` (which accepts NULL).
 *  - Strings returned as `const char *` are owned by the object they came
 *    from and stay valid until that object is changed or freed.
 *  - No function prints, exits or aborts. Handles are not shared between
 *    threads unless a function says otherwise; distinct handles may be used
 *    from distinct threads at the same time (the library has no globals).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef AIMARK_AIMARK_H
#define AIMARK_AIMARK_H

#include <stddef.h>

#if defined(_WIN32)
#define AIM_EXPORT __declspec(dllexport)
#elif defined(__GNUC__)
#define AIM_EXPORT __attribute__((visibility("default")))
#else
#define AIM_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define AIM_VERSION_MAJOR 0
#define AIM_VERSION_MINOR 1
#define AIM_VERSION_PATCH 0
#define AIM_VERSION_STRING "0.1.0"

/** Version of the library actually linked, e.g. "0.1.0". Static string. */
AIM_EXPORT const char *aim_version(void);

/**
 * The single error enum of the library. 0 is success, errors are negative.
 * Values are part of the ABI: they are never renumbered, only appended.
 */
typedef enum aim_err {
    AIM_OK = 0,
    AIM_ERR_INVALID_ARG = -1,    /**< a NULL or out-of-range argument */
    AIM_ERR_NOMEM = -2,          /**< allocation failed */
    AIM_ERR_IO = -3,             /**< read/write/open/rename failed (see errno) */
    AIM_ERR_UNKNOWN_FORMAT = -4, /**< content is not a format aimark handles */
    AIM_ERR_CORRUPT = -5,        /**< the file's structure is malformed */
    AIM_ERR_TRUNCATED = -6,      /**< a structure runs past the end of the data */
    AIM_ERR_LIMIT = -7,          /**< a size/count/depth exceeds a safety limit */
    AIM_ERR_UNSUPPORTED = -8,    /**< valid but not (yet) handled, e.g. fragmented MP4 */
    AIM_ERR_LABEL_INVALID = -9,  /**< a label field breaks GB 45438 Annex E rules */
    AIM_ERR_JSON = -10,          /**< label text is not the expected JSON */
    AIM_ERR_TOO_LARGE = -11,     /**< the result would not fit the format (e.g. 4 GiB RIFF) */
    AIM_ERR_BAD_STATE = -12,     /**< the handle refused the call (earlier fatal error) */
    AIM_ERR_NOT_FOUND = -13,     /**< the requested item is absent */
    AIM_ERR_BUFFER_TOO_SMALL = -14 /**< caller's buffer too small; size reported */
} aim_err;

/** A short English description of an aim_err code. Never NULL; static string. */
AIM_EXPORT const char *aim_strerror(int err);

/**
 * Optional detail for a failed call: which format was recognised and a
 * human-readable message ("mp4: stco entry 3 overflows 32 bits"). Functions
 * that take an `aim_diag *` accept NULL. Plain struct, caller-allocated.
 */
typedef struct aim_diag {
    int format;       /**< an aim_format value, AIM_FORMAT_UNKNOWN if not reached */
    char message[240]; /**< NUL-terminated; empty when nothing to add */
} aim_diag;

/** Free memory that the library allocated and handed to the caller. */
AIM_EXPORT void aim_free(void *p);

#ifdef __cplusplus
}
#endif

#include "aimark/label.h"
#include "aimark/meta.h"
#include "aimark/wm.h"
#include "aimark/audible.h"
#include "aimark/detect.h"
#include "aimark/visible.h"

#endif
