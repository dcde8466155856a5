/*
 * XMP packets (shared by PNG, JPEG, WebP, and read from MP4 uuid boxes).
 *
 * The label lives in one simple property, TC260:AIGC, namespace
 * http://www.tc260.org.cn/ns/AIGC/1.0/ (element or attribute form), next
 * to Iptc4xmpExt:DigitalSourceType. Namespaces are matched by URI, not by
 * prefix. Updating keeps everything else in the packet.
 */
#ifndef AIM_CONTAINER_XMP_H
#define AIM_CONTAINER_XMP_H

#include "container/handler.h"

#define XMP_NS_TC260 "http://www.tc260.org.cn/ns/AIGC/1.0/"
#define XMP_NS_IPTC_EXT "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"

/*
 * Scan an XMP packet: every TC260:AIGC value (XML-unescaped) is reported
 * with found_label(f, location, ...); the first DigitalSourceType with
 * found_source_type(). A packet that is not well-formed enough to scan is
 * AIM_ERR_CORRUPT.
 */
int xmp_read(const char *xmp, size_t n, const char *location, meta_found *f, aim_diag *diag);

/*
 * Produce a new packet: `old` (NULL/0 for none) with TC260:AIGC set to
 * req->json and, if req->source_type is set, DigitalSourceType set too;
 * every other property kept. The result (a complete
 * <?xpacket ...?> ... <?xpacket end="w"?> packet, UTF-8) is appended to out.
 */
int xmp_write(const char *old, size_t old_n, const meta_write_req *req, aim_buf *out,
              aim_diag *diag);

#endif
