/*
 * RIFF chunk walking shared by the WAV and WebP handlers.
 *
 * A RIFF file is "RIFF" <size32 LE> <form type> followed by chunks, each
 * <id[4]> <size32 LE> <payload> and a pad byte when the size is odd. The
 * walker reads only chunk headers (src_read at offsets), so media payloads
 * are never loaded.
 */
#ifndef AIM_CONTAINER_RIFF_H
#define AIM_CONTAINER_RIFF_H

#include <stdint.h>

#include "container/handler.h"

/* One chunk as found in the file. */
typedef struct riff_chunk {
    uint8_t id[4];
    uint64_t off;   /* offset of the 8-byte header */
    uint64_t size;  /* payload size as declared (possibly 64-bit, see riff_walk.size_of) */
    uint64_t avail; /* payload bytes present; < size only for a clipped chunk */
    uint64_t next;  /* offset just past the payload and its pad byte */
    uint32_t size32; /* the raw 32-bit size field */
    int clipped;    /* declared payload runs past the end of the file */
    int pad_missing; /* odd payload whose pad byte is absent (at the end of the area) */
} riff_chunk;

/*
 * Iterator over the chunks in [pos, end). `file_end` is the size of the
 * file; `end` the end of the RIFF area (8 + the RIFF size, clamped to the
 * file). A chunk whose id equals `clip_id` (e.g. "data") may run past `end`:
 * it is then taken up to min(declared end, file_end) and marks `clipped` if
 * the file ends first; `end` grows to cover it. Any other chunk running past
 * `end` is AIM_ERR_CORRUPT. `size_of`, when set, may replace a chunk's
 * 32-bit size (RF64/BW64 take 0xFFFFFFFF sizes from ds64).
 */
typedef struct riff_walk {
    const aim_src *src;
    const char *fmt;      /* "wav" / "webp": prefix of error messages */
    uint64_t pos, end, file_end;
    const char *clip_id;  /* NULL: no chunk may be clipped */
    uint64_t (*size_of)(void *ctx, const uint8_t id[4], uint32_t size32);
    void *ctx;
    unsigned items;
} riff_walk;

void riff_walk_init(riff_walk *w, const aim_src *src, const char *fmt, uint64_t pos,
                    uint64_t end);

/*
 * Next chunk. Returns 1 with *c filled, 0 at the end of the area (fewer than
 * 8 bytes left; they stay in [w->pos, w->end) as an unparsed tail), or a
 * negative aim_err (reported to diag) for a corrupt layout or more than
 * AIM_MAX_ITEMS chunks.
 */
int riff_next(riff_walk *w, riff_chunk *c, aim_diag *diag);

/*
 * Output helper for rewrites: counts bytes and, when `sink` is set, writes
 * them. A chunk copied without its pad byte leaves a pending pad that is
 * written as 0 only if more chunk data follows.
 */
typedef struct riff_out {
    aim_sink *sink;      /* NULL: only count */
    uint64_t len;        /* bytes emitted so far */
    int pad_pending;
} riff_out;

int riff_out_bytes(riff_out *o, const void *p, size_t n);
/* Copy [off, off+n) of src verbatim. */
int riff_out_copy(riff_out *o, const aim_src *src, uint64_t off, uint64_t n);
/* A whole chunk with new id/payload from memory, padded to even length. */
int riff_out_chunk(riff_out *o, const char *id, const void *payload, size_t n);
/* Copy a chunk of the source verbatim (header, payload, pad byte). Not for a
 * clipped chunk: its header must be rewritten with the size present. */
int riff_out_copy_chunk(riff_out *o, const aim_src *src, const riff_chunk *c);

#endif
