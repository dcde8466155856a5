/*
 * The contract between the format-independent core (meta.c) and one
 * container handler per format (wav.c, mp3.c, ...).
 *
 * A handler never interprets the label: it finds the bytes stored under
 * the AIGC key (read) or stores bytes it is given (write). Parsing and
 * validating the JSON is the label module's job.
 *
 * Rules for every handler:
 *  - every length read from the file is checked against the bytes left
 *    (src->size) before use; additions/multiplications are overflow-checked;
 *  - allocations sized by file fields go through src_dup() with a limit
 *    from core/limits.h; loops over items are capped by AIM_MAX_ITEMS;
 *  - errors are returned as negative aim_err codes via diag_fail() with a
 *    message starting with the format name ("mp4: ...");
 *  - write() streams the whole new file into `out`: untouched regions are
 *    copied with sink_copy(), so the media bytes are never decoded.
 */
#ifndef AIM_CONTAINER_HANDLER_H
#define AIM_CONTAINER_HANDLER_H

#include <stddef.h>
#include <stdint.h>

#include "aimark/aimark.h"
#include "core/buf.h"
#include "core/diag.h"
#include "core/io.h"
#include "core/limits.h"

/* What a handler's read() reports. */
typedef struct meta_found {
    aim_format format;    /* preset by the core from probe(); a handler may refine it */
    char *text;           /* first label text found (owned, NUL-terminated) */
    size_t text_len;
    char location[64];    /* where the first label was found */
    unsigned count;       /* number of AIGC carriers seen */
    char *source_type;    /* IPTC DigitalSourceType URI from XMP (owned) or NULL */
} meta_found;

/*
 * Record one label carrier: the first call keeps a copy of `text` and the
 * location; every call increments count. `text` need not be NUL-terminated.
 */
int found_label(meta_found *f, const char *location, const void *text, size_t len);
/* Record the DigitalSourceType URI (first one wins). */
int found_source_type(meta_found *f, const void *uri, size_t len);
void found_clear(meta_found *f);

/* What write() must store. */
typedef struct meta_write_req {
    const aim_label *label;  /* validated label */
    const char *json;        /* label serialised in the requested form */
    size_t json_len;
    const char *source_type; /* IPTC DigitalSourceType URI for XMP, or NULL */
} meta_write_req;

typedef struct container_handler {
    aim_format format;
    /* Nonzero if the first n bytes (n may be small) look like this format. */
    int (*probe)(const uint8_t *head, size_t n);
    int (*read)(const aim_src *src, meta_found *found, aim_diag *diag);
    int (*write)(const aim_src *src, const meta_write_req *req, aim_sink *out, aim_diag *diag);
} container_handler;

extern const container_handler wav_handler;
extern const container_handler mp3_handler;
extern const container_handler flac_handler;
extern const container_handler ogg_handler; /* Vorbis and Opus */
extern const container_handler mp4_handler;
extern const container_handler png_handler;
extern const container_handler jpeg_handler;
extern const container_handler webp_handler;

/* The handler whose probe() accepts `head`, or NULL. */
const container_handler *handler_for(const uint8_t *head, size_t n);

#endif
