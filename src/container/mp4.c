/* PLACEHOLDER: being written. */
#include "container/handler.h"
static int probe(const uint8_t *h, size_t n) { (void)h; (void)n; return 0; }
static int rd(const aim_src *s, meta_found *f, aim_diag *d) { (void)s; (void)f; (void)d; return AIM_ERR_UNSUPPORTED; }
static int wr(const aim_src *s, const meta_write_req *r, aim_sink *o, aim_diag *d) { (void)s; (void)r; (void)o; (void)d; return AIM_ERR_UNSUPPORTED; }
const container_handler mp4_handler = {AIM_FORMAT_UNKNOWN, probe, rd, wr};
