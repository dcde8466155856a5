/*
 * The GB 45438-2025 implicit label (Annex E): seven elements carried as a
 * JSON object under the key `AIGC`. This module knows nothing about files.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef AIMARK_LABEL_H
#define AIMARK_LABEL_H

#include "aimark/aimark.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The seven elements, in the order the standard lists (and aimark writes) them. */
typedef enum aim_field {
    AIM_FIELD_LABEL = 0,          /**< "1" AI-generated, "2" possibly, "3" suspected */
    AIM_FIELD_CONTENT_PRODUCER,   /**< generating service provider's name or code */
    AIM_FIELD_PRODUCE_ID,         /**< provider's unique ID for this content */
    AIM_FIELD_RESERVED_CODE1,     /**< optional producer integrity data */
    AIM_FIELD_CONTENT_PROPAGATOR, /**< distributing platform's name or code */
    AIM_FIELD_PROPAGATE_ID,       /**< platform's unique ID for this content */
    AIM_FIELD_RESERVED_CODE2,     /**< optional platform integrity data */
    AIM_FIELD_COUNT
} aim_field;

/** JSON key of a field ("Label", "ContentProducer", ...). NULL if out of range. */
AIM_EXPORT const char *aim_field_name(aim_field f);

/** Longest value accepted for a field by aim_label_set(), in bytes. */
#define AIM_LABEL_MAX_VALUE 2048
/** Longest value accepted for ReservedCode1/2 (they may carry signatures). */
#define AIM_LABEL_MAX_RESERVED 16384

/** How the label object is laid out in the file. */
typedef enum aim_label_form {
    AIM_FORM_BARE = 0,   /**< {"Label":...} stored as the value of an AIGC field (TC260 guides) */
    AIM_FORM_WRAPPED = 1 /**< {"AIGC":{"Label":...}} (GB 45438 Annex E example) */
} aim_label_form;

/** Name of a form: "bare" or "wrapped". */
AIM_EXPORT const char *aim_form_name(aim_label_form form);

/** Platform classes of Labeling Measures Art. 6. */
typedef enum aim_class {
    AIM_CLASS_NONE = 0,      /**< no AI indication */
    AIM_CLASS_CONFIRMED = 1, /**< implicit label says AI-generated (Label "1") */
    AIM_CLASS_POSSIBLE = 2,  /**< user declared AI content (Label "2") */
    AIM_CLASS_SUSPECTED = 3  /**< detected traces (Label "3") */
} aim_class;

/** "none", "confirmed", "possible" or "suspected". */
AIM_EXPORT const char *aim_class_name(aim_class c);

typedef struct aim_label aim_label;

/** New empty label (all fields unset). NULL on out-of-memory. */
AIM_EXPORT aim_label *aim_label_new(void);
/** Deep copy; NULL on out-of-memory or if `l` is NULL. */
AIM_EXPORT aim_label *aim_label_dup(const aim_label *l);
AIM_EXPORT void aim_label_free(aim_label *l);

/**
 * Set a field, validating it: Label must be "1", "2" or "3"; other values
 * must be 1..AIM_LABEL_MAX_VALUE (AIM_LABEL_MAX_RESERVED for reserved codes)
 * characters from GB 45438 Annex E's set: printable ASCII 0x21-0x7E except
 * the backslash (a `"` is allowed; it is escaped as \" in JSON). `value`
 * NULL or "" clears the field. Returns AIM_ERR_LABEL_INVALID and leaves the
 * field unchanged if the value is not allowed.
 */
AIM_EXPORT int aim_label_set(aim_label *l, aim_field f, const char *value);

/** The field's value, or NULL when unset. Valid until the field is changed. */
AIM_EXPORT const char *aim_label_get(const aim_label *l, aim_field f);

/**
 * Check a whole label (e.g. one read from a file, which is parsed leniently).
 * Returns AIM_OK, or AIM_ERR_LABEL_INVALID with the first problem written to
 * `why` (may be NULL) as a NUL-terminated message of at most `why_cap` bytes.
 * A valid label has Label set and every set field passing aim_label_set's rules.
 */
AIM_EXPORT int aim_label_validate(const aim_label *l, char *why, size_t why_cap);

/**
 * Serialise as compact JSON in the given form, fields in standard order,
 * unset fields written as "". Size-then-fill: `*len_out` receives the
 * length without the NUL; if `buf` is NULL or `cap` <= length, nothing is
 * written and AIM_ERR_BUFFER_TOO_SMALL is returned (with *len_out set).
 */
AIM_EXPORT int aim_label_to_json(const aim_label *l, aim_label_form form, char *buf,
                                 size_t cap, size_t *len_out);

/**
 * Parse label JSON leniently: the bare object or the {"AIGC":{...}} wrapper
 * (reported in `*form_out`, may be NULL). Unknown keys are ignored, numbers
 * are accepted for Label, values are kept even when they break the
 * character rules (use aim_label_validate to judge). On success `*out` is a
 * new label the caller frees.
 */
AIM_EXPORT int aim_label_parse(const char *json, size_t len, aim_label **out,
                               aim_label_form *form_out);

/** Art. 6 class implied by the Label element alone (NONE if unset/unknown). */
AIM_EXPORT aim_class aim_label_class(const aim_label *l);

#ifdef __cplusplus
}
#endif
#endif
