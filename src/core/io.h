/*
 * Random-access input (a file descriptor or memory) and sequential output
 * (a temp file or memory) for container handlers.
 *
 * Handlers read with src_read() at explicit offsets, so they can skip media
 * data without reading it, and write with sink_write()/sink_copy(), so a
 * rewrite streams: memory use is bounded by the metadata, not the media.
 */
#ifndef AIM_CORE_IO_H
#define AIM_CORE_IO_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

typedef struct aim_src {
    int fd;             /* >= 0 when reading a file */
    const uint8_t *mem; /* else the bytes in memory */
    uint64_t size;      /* total size in bytes */
} aim_src;

/* Read exactly n bytes at off. AIM_ERR_TRUNCATED if off+n > size, AIM_ERR_IO. */
int src_read(const aim_src *s, uint64_t off, void *dst, size_t n);

/*
 * Read n bytes at off into a new heap block (NUL-terminated for
 * convenience, so *out has n+1 bytes). AIM_ERR_LIMIT if n > limit, which
 * keeps allocations sized by file fields bounded.
 */
int src_dup(const aim_src *s, uint64_t off, uint64_t n, uint64_t limit, uint8_t **out);

typedef struct aim_sink {
    int fd;        /* >= 0: write to this file */
    aim_buf *mem;  /* else append here */
    uint64_t off;  /* bytes written so far */
    uint8_t *cache; /* write-behind buffer for fd output */
    size_t cache_len, cache_cap;
    int err;       /* sticky first error */
} aim_sink;

void sink_init_fd(aim_sink *k, int fd);
void sink_init_mem(aim_sink *k, aim_buf *mem);
int sink_write(aim_sink *k, const void *data, size_t n);
/* Copy n bytes of the source starting at off (streams in blocks). */
int sink_copy(aim_sink *k, const aim_src *s, uint64_t off, uint64_t n);
/* Write out any cached bytes; returns the sticky error. Frees the cache. */
int sink_finish(aim_sink *k);

#endif
