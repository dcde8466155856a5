/*
 * Vorbis comment blocks (shared by FLAC and Ogg Vorbis/Opus):
 *   le32 vendor_len, vendor, le32 count, count x (le32 len, "KEY=value").
 * The label is the comment AIGC=<json> (key compared case-insensitively).
 */
#ifndef AIM_CONTAINER_VORBIS_COMMENT_H
#define AIM_CONTAINER_VORBIS_COMMENT_H

#include "container/handler.h"

/* Report every AIGC= comment of the block p[0..n) as `location`. */
int vc_read(const uint8_t *p, size_t n, const char *location, meta_found *f, aim_diag *diag);

/*
 * Append to `out` a copy of the block p[0..n) (p NULL: a new block with
 * vendor "aimark") where every AIGC comment is replaced by one carrying
 * req->json (placed where the first one was, else last). `*consumed` gets
 * the length of the block parsed from p, so callers can keep trailing bytes
 * (Vorbis framing bit, Opus binary data).
 */
int vc_write(const uint8_t *p, size_t n, size_t *consumed, const meta_write_req *req,
             aim_buf *out, aim_diag *diag);

#endif
