/*
 * Text rendering for visible labels with FreeType: anti-aliased glyph
 * coverage, sized so that the ink of the whole string has a given height.
 * No globals: each vis_font owns its FT_Library, so calls are thread-safe.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ft2build.h>
#include FT_FREETYPE_H

#include "core/diag.h"
#include "explicit/visible_internal.h"

struct vis_font {
    FT_Library lib;
    FT_Face face;
};

/* Debian's fonts-noto-cjk first (SIL OFL), then other distributions' paths
 * for the same font, then other permissive CJK fonts. */
static const char *const FONT_CANDIDATES[] = {
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
};

const char *aim_visible_font_candidate(size_t i)
{
    return i < sizeof FONT_CANDIDATES / sizeof FONT_CANDIDATES[0] ? FONT_CANDIDATES[i] : NULL;
}

int font_decode_utf8(const char *s, uint32_t *cp, size_t cap, size_t *n, aim_diag *d)
{
    size_t len = strnlen(s, AIM_VIS_MAX_TEXT + 1);
    if (len == 0 || len > AIM_VIS_MAX_TEXT)
        return diag_fail(d, AIM_ERR_INVALID_ARG, "visible: text must be 1..%d bytes",
                         AIM_VIS_MAX_TEXT);
    const uint8_t *p = (const uint8_t *)s, *end = p + len;
    size_t k = 0;
    while (p < end) {
        uint32_t c = *p;
        unsigned more;
        uint32_t min;
        if (c < 0x80) {
            more = 0, min = 0;
        } else if ((c & 0xE0) == 0xC0) {
            more = 1, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            more = 2, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            more = 3, min = 0x10000, c &= 0x07;
        } else {
            return diag_fail(d, AIM_ERR_INVALID_ARG, "visible: text is not valid UTF-8");
        }
        if ((size_t)(end - p) <= more)
            return diag_fail(d, AIM_ERR_INVALID_ARG, "visible: text ends inside a UTF-8 sequence");
        for (unsigned i = 1; i <= more; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return diag_fail(d, AIM_ERR_INVALID_ARG, "visible: text is not valid UTF-8");
            c = (c << 6) | (p[i] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return diag_fail(d, AIM_ERR_INVALID_ARG, "visible: text is not valid UTF-8");
        if (c < 0x20 || (c >= 0x7F && c < 0xA0))
            return diag_fail(d, AIM_ERR_INVALID_ARG, "visible: text holds a control character");
        if (k >= cap)
            return diag_fail(d, AIM_ERR_INVALID_ARG, "visible: text longer than %zu characters", cap);
        cp[k++] = c;
        p += more + 1;
    }
    *n = k;
    return AIM_OK;
}

/* In a collection, prefer the Simplified Chinese face (Noto's TTC holds
 * JP, KR, SC, TC, HK faces with the same glyph set but regional forms). */
static int pick_face(FT_Library lib, const char *path, FT_Long *index)
{
    FT_Face f;
    if (FT_New_Face(lib, path, -1, &f) != 0)
        return AIM_ERR_UNSUPPORTED;
    FT_Long nf = f->num_faces;
    FT_Done_Face(f);
    *index = 0;
    for (FT_Long i = 0; i < nf && i < 64; i++) {
        if (FT_New_Face(lib, path, i, &f) != 0)
            continue;
        const char *fam = f->family_name ? f->family_name : "";
        int sc = strstr(fam, " SC") != NULL || strstr(fam, "SC ") != NULL;
        FT_Done_Face(f);
        if (sc) {
            *index = i;
            break;
        }
    }
    return AIM_OK;
}

int font_open(const aim_visible_opts *o, vis_font **out, aim_diag *d)
{
    *out = NULL;
    const char *path = o->font_path;
    if (!path) {
        for (size_t i = 0; (path = aim_visible_font_candidate(i)) != NULL; i++)
            if (access(path, R_OK) == 0)
                break;
        if (!path)
            return diag_fail(d, AIM_ERR_NOT_FOUND,
                             "visible: no CJK font found (install fonts-noto-cjk or set font_path)");
    } else if (access(path, R_OK) != 0) {
        return diag_fail(d, AIM_ERR_NOT_FOUND, "visible: cannot read font %s", path);
    }
    vis_font *f = calloc(1, sizeof *f);
    if (!f)
        return AIM_ERR_NOMEM;
    if (FT_Init_FreeType(&f->lib) != 0) {
        free(f);
        return diag_fail(d, AIM_ERR_NOMEM, "visible: FreeType init failed");
    }
    FT_Long index = o->font_face;
    if (index < 0 && pick_face(f->lib, path, &index) != AIM_OK) {
        font_close(f);
        return diag_fail(d, AIM_ERR_UNSUPPORTED, "visible: %s is not a font FreeType reads", path);
    }
    if (FT_New_Face(f->lib, path, index, &f->face) != 0) {
        font_close(f);
        return diag_fail(d, AIM_ERR_UNSUPPORTED, "visible: cannot open face %ld of %s",
                         (long)index, path);
    }
    if (!FT_IS_SCALABLE(f->face)) {
        font_close(f);
        return diag_fail(d, AIM_ERR_UNSUPPORTED, "visible: %s is not a scalable font", path);
    }
    *out = f;
    return AIM_OK;
}

void font_close(vis_font *f)
{
    if (!f)
        return;
    if (f->face)
        FT_Done_Face(f->face);
    FT_Done_FreeType(f->lib);
    free(f);
}

void vis_mask_free(vis_mask *m)
{
    free(m->cov);
    memset(m, 0, sizeof *m);
}

/* Ink extents of the string at the current size, in pixels relative to the
 * pen origin: x from x0 to x1, y (up) from y0 to y1. */
typedef struct ink {
    long x0, x1, y0, y1;
} ink;

static int measure(FT_Face face, const FT_UInt *gi, size_t n, ink *e)
{
    long pen = 0;
    e->x0 = LONG_MAX, e->x1 = LONG_MIN, e->y0 = LONG_MAX, e->y1 = LONG_MIN;
    for (size_t i = 0; i < n; i++) {
        if (FT_Load_Glyph(face, gi[i], FT_LOAD_RENDER) != 0)
            return AIM_ERR_UNSUPPORTED;
        FT_GlyphSlot g = face->glyph;
        if (g->bitmap.width > 0 && g->bitmap.rows > 0) {
            long gx0 = pen + g->bitmap_left, gy1 = g->bitmap_top;
            long gx1 = gx0 + (long)g->bitmap.width, gy0 = gy1 - (long)g->bitmap.rows;
            if (gx0 < e->x0) e->x0 = gx0;
            if (gx1 > e->x1) e->x1 = gx1;
            if (gy0 < e->y0) e->y0 = gy0;
            if (gy1 > e->y1) e->y1 = gy1;
        }
        pen += (g->advance.x + 32) >> 6;
    }
    if (e->x0 == LONG_MAX) /* only spaces */
        return AIM_ERR_INVALID_ARG;
    return AIM_OK;
}

int font_render(vis_font *f, const uint32_t *cp, size_t n, unsigned ink_px, vis_mask *m,
                aim_diag *d)
{
    memset(m, 0, sizeof *m);
    if (n == 0 || n > VIS_MAX_CODEPOINTS || ink_px == 0 || ink_px > VIS_MAX_DIM)
        return diag_fail(d, AIM_ERR_INVALID_ARG, "visible: bad text or size");
    FT_UInt gi[VIS_MAX_CODEPOINTS];
    for (size_t i = 0; i < n; i++) {
        gi[i] = FT_Get_Char_Index(f->face, cp[i]);
        if (gi[i] == 0 && cp[i] != ' ')
            return diag_fail(d, AIM_ERR_UNSUPPORTED, "visible: the font has no glyph for U+%04X",
                             (unsigned)cp[i]);
    }
    /* Hinting makes ink height a step function of the size: scale, then
     * step up until the ink is at least ink_px tall. */
    unsigned size = ink_px;
    ink e;
    int rc = AIM_OK;
    for (int pass = 0; pass < 2; pass++) {
        if (FT_Set_Pixel_Sizes(f->face, 0, size) != 0 || (rc = measure(f->face, gi, n, &e)) != AIM_OK)
            return diag_fail(d, rc ? rc : AIM_ERR_UNSUPPORTED, "visible: cannot render the text");
        long h = e.y1 - e.y0;
        if (h <= 0)
            return diag_fail(d, AIM_ERR_INVALID_ARG, "visible: text has no visible ink");
        unsigned s2 = (unsigned)(((unsigned long long)size * ink_px + (unsigned long)h - 1) / (unsigned long)h);
        if (s2 == size)
            break;
        size = s2;
    }
    for (int step = 0; step < 8 && e.y1 - e.y0 < (long)ink_px; step++) {
        size++;
        if (FT_Set_Pixel_Sizes(f->face, 0, size) != 0 || (rc = measure(f->face, gi, n, &e)) != AIM_OK)
            return diag_fail(d, rc ? rc : AIM_ERR_UNSUPPORTED, "visible: cannot render the text");
    }
    long w = e.x1 - e.x0, h = e.y1 - e.y0;
    if (w <= 0 || h <= 0 || w > (long)VIS_MAX_DIM || h > (long)VIS_MAX_DIM)
        return diag_fail(d, AIM_ERR_TOO_LARGE, "visible: rendered text too large");
    m->w = (unsigned)w;
    m->h = (unsigned)h;
    m->cov = calloc((size_t)w * (size_t)h, 1);
    if (!m->cov)
        return AIM_ERR_NOMEM;
    long pen = 0;
    for (size_t i = 0; i < n; i++) {
        if (FT_Load_Glyph(f->face, gi[i], FT_LOAD_RENDER) != 0) {
            vis_mask_free(m);
            return diag_fail(d, AIM_ERR_UNSUPPORTED, "visible: cannot render the text");
        }
        FT_GlyphSlot g = f->face->glyph;
        const FT_Bitmap *b = &g->bitmap;
        if (b->pixel_mode == FT_PIXEL_MODE_GRAY && b->num_grays == 256 && b->pitch > 0) {
            long ox = pen + g->bitmap_left - e.x0, oy = e.y1 - g->bitmap_top;
            for (unsigned r = 0; r < b->rows; r++) {
                long y = oy + (long)r;
                if (y < 0 || y >= h)
                    continue;
                const uint8_t *src = b->buffer + (ptrdiff_t)r * b->pitch;
                uint8_t *dst = m->cov + (size_t)y * m->w;
                for (unsigned c = 0; c < b->width; c++) {
                    long x = ox + (long)c;
                    if (x >= 0 && x < w && src[c] > dst[x])
                        dst[x] = src[c];
                }
            }
        }
        pen += (g->advance.x + 32) >> 6;
    }
    return AIM_OK;
}
