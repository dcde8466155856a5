/*
 * Reading visible labels: find "AI生成" (and the variants of the matching
 * rule) in the top and bottom strips of an image, or of a few frames from
 * the opening seconds of a video, with tesseract OCR.
 *
 * Why strips and top-hats: GB 45438 §5.2 puts the label at an edge or a
 * corner, so only two strips of ~22% of the shortest side are read, each
 * scaled to STRIP_PX rows (text of 5%..15% of the shortest side is then
 * 30..90 px, a size tesseract reads well). A label is usually light text on
 * a dark box (aimark's style) or dark text on a light picture; tesseract's
 * page layout takes a dark box on a light picture for an image region and
 * reads nothing in it. A morphological top-hat (the strip minus its
 * opening, or its closing minus the strip) keeps only strokes thinner than
 * the structuring element: the box, flat areas and large shapes vanish,
 * and the text comes out as dark ink on white, whatever the background.
 * Each polarity is read in sparse-text mode; every text line is matched by
 * aim_visible_text_matches().
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#include "core/limits.h"
#include "aimark/aimark.h"
#include "aimark/visible.h"
#include "core/diag.h"
#include "deps/ffmpeg.h"
#include "deps/ocr.h"
#include "explicit/visible_internal.h"

/* Rows of a strip after scaling, and the top-hat's structuring element
 * (a square of 2 * TOPHAT_R + 1): wider than the strokes of text up to
 * ~15% of the shortest side, narrower than a label's box. */
#define STRIP_PX 128u
#define TOPHAT_R 7
/* Ink map: top-hat values below the floor are background texture. */
#define INK_FLOOR 16
#define INK_GAIN 3
/* Widest scaled strip (very wide panoramas are read at a smaller scale). */
#define STRIP_MAX_W 6144u
/* Tesseract's resolution hint for the scaled strips. */
#define STRIP_PPI 150
/* Video: decoded frames and packets read before giving up. */
/* Wall-clock bound on one OCR pass: a safety limit for pictures full of
 * texture (normal ones take 20..500 ms a pass), not a tuning knob. */
#define OCR_DEADLINE_MS 10000
#define VID_MAX_FRAMES 4096
#define VID_MAX_PACKETS 20000
/* Words kept from one OCR pass, and the longest run of words matched. */
#define OCR_WORDS_MAX 512
#define OCR_RUN_MAX 6

static const char DEFAULT_LANG[] = "chi_sim";
static const char *const TESSDATA_DIRS[] = {"/usr/share/tesseract-ocr/5/tessdata",
                                            "/usr/share/tesseract-ocr/4.00/tessdata"};

struct aim_visible_reader {
    TessBaseAPI *api;
    ETEXT_DESC *monitor; /* carries the per-pass deadline */
    aim_visible_read_opts o;
    char *lang;
    int bad; /* OCR failed once: refuse further calls */
    /* Work buffers, grown as needed and reused across calls. */
    uint8_t *grey;              /* a strip at full size */
    uint8_t *scaled, *tmp, *open, *ink; /* scaled strip and its maps */
    size_t grey_cap, work_cap;
    float *rowf;
    size_t rowf_cap;
};

void aim_visible_read_opts_init(aim_visible_read_opts *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->tessdata = NULL;
    o->lang = NULL;
    o->strip = 0.22;
    o->max_pixels = 64u * 1024u * 1024u;
    o->video_frames = 3;
    o->video_head_s = 2.0;
}

static const char *const REGION_NAMES[] = {"bottom-right", "bottom-left", "top-right",
                                           "top-left",     "top",         "bottom"};

const char *aim_vis_region_name(aim_vis_place p)
{
    return (unsigned)p < sizeof REGION_NAMES / sizeof REGION_NAMES[0] ? REGION_NAMES[p] : "?";
}

/* ---- the matching rule ------------------------------------------------------ */

/* Next code point of UTF-8 at *s (advanced); invalid bytes give 0xFFFD. */
static uint32_t next_cp(const unsigned char **s)
{
    const unsigned char *p = *s;
    uint32_t c = p[0];
    int n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
    if (n < 0) {
        *s = p + 1;
        return 0xFFFD;
    }
    c = n == 0 ? c : n == 1 ? (c & 0x1F) : n == 2 ? (c & 0x0F) : (c & 0x07);
    for (int i = 1; i <= n; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            *s = p + i;
            return 0xFFFD;
        }
        c = (c << 6) | (p[i] & 0x3F);
    }
    *s = p + n + 1;
    return c;
}

/* Characters dropped before matching: spaces, punctuation (ASCII and CJK),
 * quotes and dashes. '|' and '!' are kept for the "A" + I rule. */
static int dropped(uint32_t c)
{
    if (c <= 0x20 || c == 0x7F || c == 0xA0 || c == 0x3000 || c == 0xFFFD)
        return 1;
    if (c < 0x80)
        return c != '|' && c != '!' && !(c >= '0' && c <= '9') && !(c >= 'A' && c <= 'Z');
    return c == 0xB7 || (c >= 0x2010 && c <= 0x2027) || (c >= 0x3001 && c <= 0x3003) ||
           (c >= 0x3008 && c <= 0x3011) || (c >= 0x3014 && c <= 0x301F);
}

/* Is `c` what OCR makes of the "I" after an "A"? */
static int looks_like_i(uint32_t c)
{
    return c == 'I' || c == 'L' || c == '1' || c == '|' || c == '!' || c == 0x4E28 /* 丨 */;
}

int aim_visible_text_matches(const char *utf8)
{
    if (!utf8)
        return 0;
    enum { CAP = 512 };
    uint32_t t[CAP];
    size_t n = 0;
    const unsigned char *s = (const unsigned char *)utf8;
    while (*s && n < CAP) {
        uint32_t c = next_cp(&s);
        if (c >= 0xFF01 && c <= 0xFF5E) /* full-width ASCII */
            c -= 0xFEE0;
        if (c >= 'a' && c <= 'z')
            c -= 'a' - 'A';
        if (!dropped(c))
            t[n++] = c;
    }
    /* "A" + an I look-alike is "AI"; other '|' and '!' go. */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] == 'A' && i + 1 < n && looks_like_i(t[i + 1])) {
            t[m++] = 'A';
            t[m++] = 'I';
            i++;
        } else if (t[i] != '|' && t[i] != '!') {
            t[m++] = t[i];
        }
    }
    n = m;
    static const uint32_t AI_ZH[4] = {0x4EBA, 0x5DE5, 0x667A, 0x80FD}; /* 人工智能 */
    for (size_t i = 0; i < n; i++) {
        size_t after;
        if (t[i] == 'A' && i + 1 < n && t[i + 1] == 'I')
            after = i + 2;
        else if (i + 4 <= n && !memcmp(t + i, AI_ZH, sizeof AI_ZH))
            after = i + 4;
        else
            continue;
        for (size_t k = after; k <= after + 2 && k + 1 < n; k++) {
            /* 生成 or 合成 */
            if ((t[k] == 0x751F || t[k] == 0x5408) && t[k + 1] == 0x6210)
                return 1;
        }
    }
    return 0;
}

/* ---- reader ---------------------------------------------------------------- */

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Does `dir` hold <lang>.traineddata for every language of "a+b+c"? The
 * first missing one goes to `missing`. */
static int has_langs(const char *dir, const char *langs, char *missing, size_t cap)
{
    const char *p = langs;
    while (*p) {
        size_t len = strcspn(p, "+");
        char path[4096];
        int k = snprintf(path, sizeof path, "%s/%.*s.traineddata", dir, (int)len, p);
        if (k < 0 || (size_t)k >= sizeof path || !file_exists(path)) {
            snprintf(missing, cap, "%.*s", (int)len, p);
            return 0;
        }
        p += len;
        if (*p == '+')
            p++;
    }
    return 1;
}

static int valid_lang(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || s[0] == '+' || s[n - 1] == '+')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '+' || c == '-'))
            return 0;
        if (c == '+' && s[i + 1] == '+')
            return 0;
    }
    return 1;
}

static int resolve_opts(const aim_visible_read_opts *o, aim_visible_read_opts *r, aim_diag *d)
{
    aim_visible_read_opts_init(r);
    if (o) {
        size_t n = o->struct_size;
        if (n < offsetof(aim_visible_read_opts, lang) || n > sizeof *r)
            return diag_fail(d, AIM_ERR_INVALID_ARG,
                             "visible read: options not initialised (struct_size)");
        memcpy(r, o, n);
        r->struct_size = sizeof *r;
    }
    if (!r->lang)
        r->lang = DEFAULT_LANG;
    if (!valid_lang(r->lang))
        return diag_fail(d, AIM_ERR_INVALID_ARG, "visible read: bad language list \"%.40s\"",
                         r->lang);
    if (!(r->strip >= 0.1 && r->strip <= 0.5))
        return diag_fail(d, AIM_ERR_INVALID_ARG, "visible read: strip must be 0.1..0.5");
    if (r->max_pixels == 0)
        return diag_fail(d, AIM_ERR_INVALID_ARG, "visible read: max_pixels must be > 0");
    if (r->video_frames < 1 || r->video_frames > 16)
        return diag_fail(d, AIM_ERR_INVALID_ARG, "visible read: video_frames must be 1..16");
    if (!(r->video_head_s > 0.0 && r->video_head_s <= 3600.0))
        return diag_fail(d, AIM_ERR_INVALID_ARG, "visible read: video_head_s must be 0..3600");
    return AIM_OK;
}

/* Leptonica (tesseract's image library) prints to stderr by default; a
 * library never prints. Process-wide, set once. */
static pthread_once_t lept_once = PTHREAD_ONCE_INIT;
static void lept_quiet(void) { setMsgSeverity(L_SEVERITY_NONE); }

int aim_visible_reader_new(const aim_visible_read_opts *o, aim_visible_reader **out,
                           aim_diag *diag)
{
    if (diag)
        memset(diag, 0, sizeof *diag);
    if (!out)
        return AIM_ERR_INVALID_ARG;
    *out = NULL;
    aim_visible_read_opts r;
    int rc = resolve_opts(o, &r, diag);
    if (rc)
        return rc;
    /* Where the language data is: the caller's folder, TESSDATA_PREFIX
     * (tesseract's own convention: the tessdata folder itself), Debian's. */
    char missing[80] = "";
    const char *dir = NULL;
    const char *env = getenv("TESSDATA_PREFIX");
    if (r.tessdata) {
        if (has_langs(r.tessdata, r.lang, missing, sizeof missing))
            dir = r.tessdata;
    } else if (env && *env) {
        if (has_langs(env, r.lang, missing, sizeof missing))
            dir = env;
    } else {
        for (size_t i = 0; i < sizeof TESSDATA_DIRS / sizeof TESSDATA_DIRS[0] && !dir; i++)
            if (has_langs(TESSDATA_DIRS[i], r.lang, missing, sizeof missing))
                dir = TESSDATA_DIRS[i];
    }
    if (!dir)
        return diag_fail(diag, AIM_ERR_NOT_FOUND,
                         "visible read: no tesseract data for \"%s\" in %s (install "
                         "tesseract-ocr-chi-sim or set TESSDATA_PREFIX)",
                         missing, r.tessdata ? r.tessdata : env && *env ? env : TESSDATA_DIRS[0]);

    rc = aim_ocr_load(diag);
    if (rc)
        return rc;
    aim_visible_reader *h = calloc(1, sizeof *h);
    if (!h)
        return AIM_ERR_NOMEM;
    h->o = r;
    h->lang = strdup(r.lang);
    h->o.tessdata = NULL; /* not retained */
    h->o.lang = h->lang;
    pthread_once(&lept_once, lept_quiet);
    h->api = h->lang ? TessBaseAPICreate() : NULL;
    h->monitor = h->api ? TessMonitorCreate() : NULL;
    if (!h->monitor) {
        aim_visible_reader_free(h);
        return AIM_ERR_NOMEM;
    }
    /* A library never prints: tesseract's messages go nowhere. */
    TessBaseAPISetVariable(h->api, "debug_file", "/dev/null");
    if (TessBaseAPIInit3(h->api, dir, h->lang) != 0) {
        aim_visible_reader_free(h);
        return diag_fail(diag, AIM_ERR_NOT_FOUND, "visible read: tesseract cannot load \"%s\" from %s",
                         r.lang, dir);
    }
    TessBaseAPISetVariable(h->api, "debug_file", "/dev/null");
    TessBaseAPISetPageSegMode(h->api, PSM_SPARSE_TEXT);
    *out = h;
    return AIM_OK;
}

void aim_visible_reader_free(aim_visible_reader *r)
{
    if (!r)
        return;
    if (r->api) {
        TessBaseAPIEnd(r->api);
        TessBaseAPIDelete(r->api);
    }
    if (r->monitor)
        TessMonitorDelete(r->monitor);
    free(r->lang);
    free(r->grey);
    free(r->scaled);
    free(r->tmp);
    free(r->open);
    free(r->ink);
    free(r->rowf);
    free(r);
}

/* ---- image processing on one strip ----------------------------------------- */

static int grow(uint8_t **p, size_t *cap, size_t n)
{
    if (n <= *cap)
        return AIM_OK;
    uint8_t *q = realloc(*p, n);
    if (!q)
        return AIM_ERR_NOMEM;
    *p = q;
    *cap = n;
    return AIM_OK;
}

/* Room for n pixels in each of the scaled-strip buffers. */
static int grow_work(aim_visible_reader *r, size_t n)
{
    if (n <= r->work_cap)
        return AIM_OK;
    uint8_t **bufs[4] = {&r->scaled, &r->tmp, &r->open, &r->ink};
    for (int i = 0; i < 4; i++) {
        uint8_t *q = realloc(*bufs[i], n);
        if (!q)
            return AIM_ERR_NOMEM; /* the grown ones stay valid; work_cap unchanged */
        *bufs[i] = q;
    }
    r->work_cap = n;
    return AIM_OK;
}

/* Grey value of one canvas pixel, alpha composited over white. */
static unsigned canvas_grey(const vis_canvas *c, const uint8_t *p)
{
    unsigned v[4] = {0, 0, 0, 0};
    for (int i = 0; i < c->ch; i++)
        v[i] = c->depth == 16 ? p[2 * i] : p[i]; /* 16-bit: the high byte */
    unsigned y, a = 255;
    if (c->ch >= 3)
        y = (299u * v[0] + 587u * v[1] + 114u * v[2] + 500u) / 1000u;
    else
        y = v[0];
    if (c->ch == 2 || c->ch == 4)
        a = v[c->ch - 1];
    return (y * a + 255u * (255u - a) + 127u) / 255u;
}

/* Rows [y0, y0 + rows) of the canvas as 8-bit grey into r->grey. */
static int strip_grey(aim_visible_reader *r, const vis_canvas *c, unsigned y0, unsigned rows)
{
    size_t n = (size_t)c->w * rows;
    if (grow(&r->grey, &r->grey_cap, n))
        return AIM_ERR_NOMEM;
    size_t px = (size_t)c->ch * (size_t)(c->depth / 8);
    for (unsigned y = 0; y < rows; y++) {
        const uint8_t *src = c->px + (size_t)(y0 + y) * c->stride;
        uint8_t *dst = r->grey + (size_t)y * c->w;
        if (c->ch == 1 && c->depth == 8)
            memcpy(dst, src, c->w);
        else
            for (unsigned x = 0; x < c->w; x++)
                dst[x] = (uint8_t)canvas_grey(c, src + (size_t)x * px);
    }
    return AIM_OK;
}

/* One output sample x of a line of n input samples (step i apart, read as
 * bytes from u8 or as floats from f32, whichever is not NULL), scale f =
 * n / outputs: area average when shrinking (no aliasing of thin strokes),
 * linear when enlarging. */
static double resample_at(const uint8_t *u8, const float *f32, size_t step, unsigned n, double f,
                          unsigned x)
{
#define AT(k) (u8 ? (double)u8[(size_t)(k) * step] : (double)f32[(size_t)(k) * step])
    if (f > 1.0) {
        double a = x * f, b = a + f, acc = 0.0;
        for (unsigned k = (unsigned)a; k < n && k < b; k++) {
            double lo = k > a ? k : a, hi = k + 1 < b ? k + 1 : b;
            acc += AT(k) * (hi - lo);
        }
        return acc / f;
    }
    double p = (x + 0.5) * f - 0.5;
    if (p < 0)
        p = 0;
    unsigned k = (unsigned)p;
    double t = p - k;
    unsigned k1 = k + 1 < n ? k + 1 : n - 1;
    return AT(k) * (1.0 - t) + AT(k1) * t;
#undef AT
}

/* Resample a sw x sh grey image to dw x dh, separably (resample_at). */
static int resample(aim_visible_reader *r, const uint8_t *src, unsigned sw, unsigned sh,
                    uint8_t *dst, unsigned dw, unsigned dh)
{
    size_t need = (size_t)dw * sh * sizeof(float);
    if (need > r->rowf_cap) {
        float *q = realloc(r->rowf, need);
        if (!q)
            return AIM_ERR_NOMEM;
        r->rowf = q;
        r->rowf_cap = need;
    }
    float *mid = r->rowf; /* dw x sh */
    double fx = (double)sw / dw, fy = (double)sh / dh;
    for (unsigned y = 0; y < sh; y++)
        for (unsigned x = 0; x < dw; x++)
            mid[(size_t)y * dw + x] = (float)resample_at(src + (size_t)y * sw, NULL, 1, sw, fx, x);
    for (unsigned x = 0; x < dw; x++)
        for (unsigned y = 0; y < dh; y++) {
            double v = resample_at(NULL, mid + x, dw, sh, fy, y);
            dst[(size_t)y * dw + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lround(v));
        }
    return AIM_OK;
}

/* 1-D running min or max over a window of 2*rad+1, with edges clamped. */
static void minmax_line(const uint8_t *in, uint8_t *out, unsigned n, size_t step, int rad, int want_max)
{
    for (unsigned i = 0; i < n; i++) {
        unsigned a = i > (unsigned)rad ? i - (unsigned)rad : 0;
        unsigned b = i + (unsigned)rad < n ? i + (unsigned)rad : n - 1;
        uint8_t m = in[a * step];
        for (unsigned j = a + 1; j <= b; j++) {
            uint8_t v = in[j * step];
            if (want_max ? v > m : v < m)
                m = v;
        }
        out[i * step] = m;
    }
}

/* Square min (erode) or max (dilate) filter, separable; tmp is w*h. */
static void minmax2d(const uint8_t *in, uint8_t *out, uint8_t *tmp, unsigned w, unsigned h,
                     int want_max)
{
    for (unsigned y = 0; y < h; y++)
        minmax_line(in + (size_t)y * w, tmp + (size_t)y * w, w, 1, TOPHAT_R, want_max);
    for (unsigned x = 0; x < w; x++)
        minmax_line(tmp + x, out + x, h, w, TOPHAT_R, want_max);
}

/* Ink map of light (light = 1) or dark strokes: dark ink on white. */
static void ink_map(aim_visible_reader *r, unsigned w, unsigned h, int light)
{
    size_t n = (size_t)w * h;
    uint8_t *s = r->scaled;
    /* opening = dilate(erode(s)) for light strokes; closing for dark. */
    minmax2d(s, r->ink, r->tmp, w, h, !light);
    minmax2d(r->ink, r->open, r->tmp, w, h, light);
    for (size_t i = 0; i < n; i++) {
        int v = light ? (int)s[i] - (int)r->open[i] : (int)r->open[i] - (int)s[i];
        v = (v - INK_FLOOR) * INK_GAIN;
        r->ink[i] = (uint8_t)(255 - (v < 0 ? 0 : v > 255 ? 255 : v));
    }
}

/* One word tesseract read, with its box in the strip's pixels and the
 * text line it belongs to. */
typedef struct ocr_word {
    char *text;
    int line;
    int l, t, rgt, b;
} ocr_word;

/* Copy at most cap-1 bytes of s, cut at a UTF-8 boundary, newlines to spaces,
 * outer spaces trimmed. */
static void copy_text(char *dst, size_t cap, const char *s)
{
    while (*s == ' ' || *s == '\n')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n'))
        n--;
    if (n > cap - 1) {
        n = cap - 1;
        while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    for (size_t i = 0; i < n; i++)
        dst[i] = s[i] == '\n' ? ' ' : s[i];
    dst[n] = 0;
}

/* Words i..j joined by spaces into dst (cut to cap). */
static void join_words(const ocr_word *w, size_t i, size_t j, char *dst, size_t cap)
{
    size_t n = 0;
    dst[0] = 0;
    for (size_t k = i; k <= j && n + 1 < cap; k++) {
        int m = snprintf(dst + n, cap - n, "%s%s", k > i ? " " : "", w[k].text);
        if (m < 0)
            break;
        n += (size_t)m < cap - n ? (size_t)m : cap - n - 1;
    }
}

/* OCR the ink map; on a match fill res->text and box (strip pixels) with
 * the shortest run of words that matches, within one text line or across
 * two neighbouring ones ("AI" and "生成" read apart). 1 found, 0 not,
 * < 0 error. */
static int ocr_ink(aim_visible_reader *r, unsigned w, unsigned h, aim_visible_found *res, int box[4])
{
    TessBaseAPISetImage(r->api, r->ink, (int)w, (int)h, 1, (int)w);
    TessBaseAPISetSourceResolution(r->api, STRIP_PPI);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    TessMonitorSetDeadlineMSecs(r->monitor, OCR_DEADLINE_MS);
    if (TessBaseAPIRecognize(r->api, r->monitor) != 0) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
        TessBaseAPIClear(r->api);
        if (ms >= OCR_DEADLINE_MS - 50)
            return 0; /* out of time: this pass read nothing */
        r->bad = 1;
        return AIM_ERR_NOMEM;
    }
    TessResultIterator *it = TessBaseAPIGetIterator(r->api);
    if (!it) {
        TessBaseAPIClear(r->api);
        return 0; /* nothing on the page */
    }
    ocr_word words[OCR_WORDS_MAX];
    size_t nw = 0;
    int line = -1;
    do {
        const TessPageIterator *pi = TessResultIteratorGetPageIteratorConst(it);
        if (TessPageIteratorIsAtBeginningOf(pi, RIL_TEXTLINE))
            line++;
        char *t = TessResultIteratorGetUTF8Text(it, RIL_WORD);
        if (!t)
            continue;
        ocr_word *wd = &words[nw];
        if (!TessPageIteratorBoundingBox(pi, RIL_WORD, &wd->l, &wd->t, &wd->rgt, &wd->b)) {
            TessDeleteText(t);
            continue;
        }
        wd->text = t;
        wd->line = line < 0 ? 0 : line;
        nw++;
    } while (nw < OCR_WORDS_MAX && TessResultIteratorNext(it, RIL_WORD));
    TessResultIteratorDelete(it);

    int hit = 0;
    char run[2 * AIM_VIS_MAX_TEXT];
    for (size_t len = 1; len <= OCR_RUN_MAX && !hit; len++)
        for (size_t i = 0; i + len <= nw && !hit; i++) {
            size_t j = i + len - 1;
            if (words[j].line - words[i].line > 1)
                continue;
            join_words(words, i, j, run, sizeof run);
            if (!aim_visible_text_matches(run))
                continue;
            copy_text(res->text, sizeof res->text, run);
            box[0] = words[i].l, box[1] = words[i].t, box[2] = words[i].rgt, box[3] = words[i].b;
            for (size_t k = i + 1; k <= j; k++) {
                if (words[k].l < box[0]) box[0] = words[k].l;
                if (words[k].t < box[1]) box[1] = words[k].t;
                if (words[k].rgt > box[2]) box[2] = words[k].rgt;
                if (words[k].b > box[3]) box[3] = words[k].b;
            }
            hit = 1;
        }
    for (size_t i = 0; i < nw; i++)
        TessDeleteText(words[i].text);
    TessBaseAPIClear(r->api);
    return hit;
}

/* Search one picture. 1 found (res filled), 0 not, < 0 error. */
static int read_canvas(aim_visible_reader *r, const vis_canvas *c, aim_visible_found *res)
{
    unsigned shortest = c->w < c->h ? c->w : c->h;
    unsigned rows = (unsigned)lround(r->o.strip * shortest);
    if (rows > c->h / 2)
        rows = c->h / 2;
    if (rows < 8)
        return 0; /* too small to hold legible text */
    double scale = (double)STRIP_PX / rows;
    unsigned sw = (unsigned)lround(c->w * scale);
    if (sw > STRIP_MAX_W)
        sw = STRIP_MAX_W;
    if (sw < 16)
        sw = 16;
    double sx = (double)sw / c->w; /* the horizontal scale actually used */
    if (grow_work(r, (size_t)sw * STRIP_PX))
        return AIM_ERR_NOMEM;

    /* Bottom first (the usual place), light text first (the usual style). */
    static const struct { int bottom, light; } PASSES[4] = {{1, 1}, {0, 1}, {1, 0}, {0, 0}};
    int cached = -1; /* which strip r->scaled holds */
    for (int k = 0; k < 4; k++) {
        int bottom = PASSES[k].bottom;
        unsigned y0 = bottom ? c->h - rows : 0;
        if (cached != bottom) {
            if (strip_grey(r, c, y0, rows) ||
                resample(r, r->grey, c->w, rows, r->scaled, sw, STRIP_PX))
                return AIM_ERR_NOMEM;
            cached = bottom;
        }
        ink_map(r, sw, STRIP_PX, PASSES[k].light);
        int box[4];
        int hit = ocr_ink(r, sw, STRIP_PX, res, box);
        if (hit < 0)
            return hit;
        if (!hit)
            continue;
        double x0 = box[0] / sx, x1 = box[2] / sx;
        double yt = box[1] / scale, yb = box[3] / scale;
        if (x0 < 0) x0 = 0;
        if (x1 > c->w) x1 = c->w;
        res->found = 1;
        res->x = (unsigned)lround(x0);
        res->w = x1 > x0 ? (unsigned)lround(x1 - x0) : 0;
        res->y = y0 + (unsigned)lround(yt);
        res->h = yb > yt ? (unsigned)lround(yb - yt) : 0;
        if (res->y + res->h > c->h)
            res->h = c->h - res->y;
        double cx = (x0 + x1) / 2.0;
        int col = cx < c->w / 3.0 ? 0 : cx > 2.0 * c->w / 3.0 ? 2 : 1;
        static const aim_vis_place TOP[3] = {AIM_VIS_TOP_LEFT, AIM_VIS_TOP, AIM_VIS_TOP_RIGHT};
        static const aim_vis_place BOT[3] = {AIM_VIS_BOTTOM_LEFT, AIM_VIS_BOTTOM, AIM_VIS_BOTTOM_RIGHT};
        res->region = bottom ? BOT[col] : TOP[col];
        return 1;
    }
    return 0;
}

static void found_clear(aim_visible_found *res)
{
    memset(res, 0, sizeof *res);
    res->region = AIM_VIS_BOTTOM_RIGHT;
}

int aim_visible_read_rgba(aim_visible_reader *r, const uint8_t *rgba, unsigned width,
                          unsigned height, size_t stride, aim_visible_found *res, aim_diag *diag)
{
    if (diag)
        memset(diag, 0, sizeof *diag);
    if (!r || !res)
        return AIM_ERR_INVALID_ARG;
    found_clear(res);
    if (r->bad)
        return diag_fail(diag, AIM_ERR_BAD_STATE, "visible read: the reader failed before");
    if (!rgba || width == 0 || height == 0 || stride / 4 < width)
        return AIM_ERR_INVALID_ARG;
    if (width > VIS_MAX_DIM || height > VIS_MAX_DIM || (uint64_t)width * height > r->o.max_pixels)
        return diag_fail(diag, AIM_ERR_LIMIT, "visible read: %ux%u is over the pixel limit", width,
                         height);
    vis_canvas c = {(uint8_t *)rgba, width, height, stride, 4, 8}; /* only read */
    res->frames = 1;
    int rc = read_canvas(r, &c, res);
    return rc < 0 ? diag_fail(diag, rc, "visible read: %s", aim_strerror(rc)) : AIM_OK;
}

/* ---- video ------------------------------------------------------------------ */

typedef struct vread {
    AVFormatContext *ic;
    AVCodecContext *dec;
    AVFrame *frame, *last;
    AVPacket *pkt;
    struct SwsContext *sws;
    uint8_t *grey;
    int gw, gh;
} vread;

static void vread_close(vread *v)
{
    avformat_close_input(&v->ic);
    avcodec_free_context(&v->dec);
    av_frame_free(&v->frame);
    av_frame_free(&v->last);
    av_packet_free(&v->pkt);
    sws_freeContext(v->sws);
    free(v->grey);
}

static int av_fail(aim_diag *d, int err, const char *what, int averr)
{
    char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
    av_strerror(averr, buf, sizeof buf);
    return diag_fail(d, err, "visible read: video: %s: %s", what, buf);
}

/* The decoded frame to grey, then searched. */
static int read_frame(aim_visible_reader *r, vread *v, const AVFrame *f, aim_visible_found *res,
                      aim_diag *d)
{
    if (f->width <= 0 || f->height <= 0 || (unsigned)f->width > VIS_MAX_DIM ||
        (unsigned)f->height > VIS_MAX_DIM ||
        (uint64_t)f->width * (uint64_t)f->height > r->o.max_pixels)
        return diag_fail(d, AIM_ERR_LIMIT, "visible read: video frame %dx%d over the pixel limit",
                         f->width, f->height);
    if (!v->grey || v->gw != f->width || v->gh != f->height) {
        free(v->grey);
        v->grey = malloc((size_t)f->width * (size_t)f->height);
        if (!v->grey)
            return AIM_ERR_NOMEM;
        v->gw = f->width, v->gh = f->height;
    }
    v->sws = sws_getCachedContext(v->sws, f->width, f->height, f->format, f->width, f->height,
                                  AV_PIX_FMT_GRAY8, SWS_POINT, NULL, NULL, NULL);
    if (!v->sws)
        return diag_fail(d, AIM_ERR_UNSUPPORTED, "visible read: video: cannot convert its frames");
    uint8_t *dst[4] = {v->grey, NULL, NULL, NULL};
    int dls[4] = {f->width, 0, 0, 0};
    sws_scale(v->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, dls);
    vis_canvas c = {v->grey, (unsigned)f->width, (unsigned)f->height, (size_t)f->width, 1, 8};
    res->frames++;
    int rc = read_canvas(r, &c, res);
    return rc < 0 ? diag_fail(d, rc, "visible read: %s", aim_strerror(rc)) : rc;
}

static int read_video(aim_visible_reader *r, const char *path, aim_visible_found *res, aim_diag *d)
{
    int lrc = aim_ffmpeg_load(d);
    if (lrc)
        return lrc;
    av_log_set_level(AV_LOG_QUIET);
    av_max_alloc(AIM_MAX_CODEC_ALLOC); /* process-wide, as src/audio and video_mp4.c do */
    vread v;
    memset(&v, 0, sizeof v);
    int rc = avformat_open_input(&v.ic, path, av_find_input_format("mov"), NULL);
    if (rc < 0) {
        vread_close(&v);
        return av_fail(d, rc == AVERROR_EOF ? AIM_ERR_TRUNCATED : AIM_ERR_CORRUPT, "open", rc);
    }
    if ((rc = avformat_find_stream_info(v.ic, NULL)) < 0) {
        vread_close(&v);
        return av_fail(d, AIM_ERR_CORRUPT, "read stream info", rc);
    }
    const AVCodec *dec = NULL;
    int vidx = av_find_best_stream(v.ic, AVMEDIA_TYPE_VIDEO, -1, -1, &dec, 0);
    if (vidx < 0 || !dec) {
        vread_close(&v);
        return diag_fail(d, AIM_ERR_UNSUPPORTED, "visible read: no decodable video track");
    }
    AVStream *st = v.ic->streams[vidx];
    int w = st->codecpar->width, h = st->codecpar->height;
    if (w <= 0 || h <= 0 || (unsigned)w > VIS_MAX_DIM || (unsigned)h > VIS_MAX_DIM ||
        (uint64_t)w * (uint64_t)h > r->o.max_pixels) {
        vread_close(&v);
        return diag_fail(d, AIM_ERR_LIMIT, "visible read: video %dx%d over the pixel limit", w, h);
    }
    v.dec = avcodec_alloc_context3(dec);
    v.frame = av_frame_alloc();
    v.last = av_frame_alloc();
    v.pkt = av_packet_alloc();
    if (!v.dec || !v.frame || !v.last || !v.pkt || avcodec_parameters_to_context(v.dec, st->codecpar) < 0) {
        vread_close(&v);
        return AIM_ERR_NOMEM;
    }
    v.dec->pkt_timebase = st->time_base;
    v.dec->thread_count = 1; /* the caller parallelises across files */
    if ((rc = avcodec_open2(v.dec, dec, NULL)) < 0) {
        vread_close(&v);
        return av_fail(d, AIM_ERR_UNSUPPORTED, "open the decoder", rc);
    }
    /* Targets spread over the opening: head * (k + 0.5) / n. */
    unsigned next = 0, n = r->o.video_frames;
    int64_t first = AV_NOPTS_VALUE;
    long frames = 0, packets = 0;
    int found = 0, eof = 0, err = 0;
    double last_t = 0.0;
    while (!found && next < n && !err) {
        if (!eof) {
            rc = av_read_frame(v.ic, v.pkt);
            if (rc < 0) {
                eof = 1;
                rc = avcodec_send_packet(v.dec, NULL);
            } else {
                int mine = v.pkt->stream_index == vidx;
                if (mine)
                    rc = avcodec_send_packet(v.dec, v.pkt);
                av_packet_unref(v.pkt);
                if (++packets > VID_MAX_PACKETS)
                    break;
                if (!mine)
                    continue;
                if (rc < 0 && rc != AVERROR(EAGAIN))
                    continue; /* a damaged packet: later ones may decode */
            }
        }
        for (;;) {
            rc = avcodec_receive_frame(v.dec, v.frame);
            if (rc < 0)
                break;
            frames++;
            int64_t pts = v.frame->best_effort_timestamp;
            if (pts == AV_NOPTS_VALUE)
                pts = v.frame->pts;
            if (first == AV_NOPTS_VALUE && pts != AV_NOPTS_VALUE)
                first = pts;
            double t = pts == AV_NOPTS_VALUE || first == AV_NOPTS_VALUE
                           ? (double)(frames - 1) / 25.0
                           : (double)(pts - first) * av_q2d(st->time_base);
            if (res->frames == 0) { /* kept for a clip shorter than the first target */
                av_frame_unref(v.last);
                if (av_frame_ref(v.last, v.frame) == 0)
                    last_t = t;
            }
            double target = r->o.video_head_s * (next + 0.5) / n;
            if (next < n && t >= target) {
                while (next < n && t >= r->o.video_head_s * (next + 0.5) / n)
                    next++; /* one frame serves every target it passed */
                int hit = read_frame(r, &v, v.frame, res, d);
                if (hit < 0)
                    err = hit;
                else if (hit) {
                    found = 1;
                    res->time_s = t;
                }
            }
            av_frame_unref(v.frame);
            if (found || err || frames > VID_MAX_FRAMES)
                break;
        }
        if (frames > VID_MAX_FRAMES)
            break;
        if (eof && rc == AVERROR_EOF)
            break;
        if (eof && rc < 0 && rc != AVERROR(EAGAIN))
            break;
    }
    /* A clip shorter than the first target: read its last frame. */
    if (!found && !err && res->frames == 0 && v.last && v.last->data[0]) {
        int hit = read_frame(r, &v, v.last, res, d);
        if (hit < 0)
            err = hit;
        else if (hit) {
            found = 1;
            res->time_s = last_t;
        }
    }
    vread_close(&v);
    if (err)
        return err;
    if (frames == 0)
        return diag_fail(d, AIM_ERR_CORRUPT, "visible read: video: no frame decodes");
    return AIM_OK;
}

/* ---- files ------------------------------------------------------------------ */

int aim_visible_read_file(aim_visible_reader *r, const char *path, aim_visible_found *res,
                          aim_diag *diag)
{
    if (diag)
        memset(diag, 0, sizeof *diag);
    if (!r || !path || !res)
        return AIM_ERR_INVALID_ARG;
    found_clear(res);
    if (r->bad)
        return diag_fail(diag, AIM_ERR_BAD_STATE, "visible read: the reader failed before");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return diag_fail(diag, AIM_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return diag_fail(diag, AIM_ERR_IO, "%s is not a regular file", path);
    }
    uint8_t head[64];
    size_t hn = st.st_size < (off_t)sizeof head ? (size_t)st.st_size : sizeof head;
    if (pread(fd, head, hn, 0) != (ssize_t)hn) {
        close(fd);
        return diag_fail(diag, AIM_ERR_IO, "cannot read %s", path);
    }
    aim_format fmt = aim_format_probe(head, hn);
    if (diag)
        diag->format = fmt;
    if (fmt == AIM_FORMAT_MP4) {
        close(fd);
        int rc = read_video(r, path, res, diag);
        if (diag)
            diag->format = fmt;
        return rc;
    }
    if (fmt != AIM_FORMAT_PNG && fmt != AIM_FORMAT_JPEG && fmt != AIM_FORMAT_WEBP) {
        close(fd);
        return diag_fail(diag, AIM_ERR_UNKNOWN_FORMAT,
                         "visible read: not a PNG, JPEG, WebP or MP4 file");
    }
    if ((uint64_t)st.st_size > VIS_MAX_FILE_BYTES) {
        close(fd);
        return diag_fail(diag, AIM_ERR_LIMIT, "visible read: image file over %u MiB",
                         VIS_MAX_FILE_BYTES >> 20);
    }
    uint8_t *in;
    int rc = vis_read_whole(fd, (size_t)st.st_size, &in);
    close(fd);
    if (rc)
        return diag_fail(diag, rc, "cannot read %s", path);
    vis_canvas c;
    size_t n = (size_t)st.st_size;
    switch (fmt) {
    case AIM_FORMAT_PNG: rc = vis_png_decode(in, n, r->o.max_pixels, &c, diag); break;
    case AIM_FORMAT_JPEG: rc = vis_jpeg_decode(in, n, r->o.max_pixels, &c, diag); break;
    default: rc = vis_webp_decode(in, n, r->o.max_pixels, &c, diag); break;
    }
    free(in);
    if (rc)
        return rc;
    res->frames = 1;
    rc = read_canvas(r, &c, res);
    free(c.px);
    if (rc < 0)
        return diag_fail(diag, rc, "visible read: %s", aim_strerror(rc));
    return AIM_OK;
}
