/* PLACEHOLDER: being written. */
#include "container/vorbis_comment.h"
int vc_read(const uint8_t *p, size_t n, const char *l, meta_found *f, aim_diag *d) { (void)p; (void)n; (void)l; (void)f; (void)d; return AIM_ERR_UNSUPPORTED; }
int vc_write(const uint8_t *p, size_t n, size_t *c, const meta_write_req *r, aim_buf *o, aim_diag *d) { (void)p; (void)n; (void)c; (void)r; (void)o; (void)d; return AIM_ERR_UNSUPPORTED; }
