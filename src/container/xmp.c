/* PLACEHOLDER: being written. */
#include "container/xmp.h"
int xmp_read(const char *x, size_t n, const char *l, meta_found *f, aim_diag *d) { (void)x; (void)n; (void)l; (void)f; (void)d; return AIM_ERR_UNSUPPORTED; }
int xmp_write(const char *o, size_t n, const meta_write_req *r, aim_buf *b, aim_diag *d) { (void)o; (void)n; (void)r; (void)b; (void)d; return AIM_ERR_UNSUPPORTED; }
