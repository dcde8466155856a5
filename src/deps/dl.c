/* dlopen/dlsym behind the tables of ffmpeg.h and ocr.h (see dl.h). */
#include "deps/dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define AIM_DEPS_FFMPEG_IMPL
#define AIM_DEPS_OCR_IMPL
#include "core/diag.h"
#include "deps/ffmpeg.h"
#include "deps/ocr.h"

#define DL_MAX_LIBS 8

int dl_load(const char *const *sonames, size_t nlib, const dl_sym *syms, size_t nsym, char *err,
            size_t errcap)
{
    void *h[DL_MAX_LIBS];
    if (nlib > DL_MAX_LIBS) {
        snprintf(err, errcap, "too many libraries");
        return -1;
    }
    for (size_t i = 0; i < nlib; i++) {
        h[i] = dlopen(sonames[i], RTLD_NOW | RTLD_LOCAL);
        if (!h[i]) {
            const char *why = dlerror();
            snprintf(err, errcap, "cannot load %s (%s)", sonames[i], why ? why : "unknown error");
            return -1;
        }
    }
    for (size_t i = 0; i < nsym; i++) {
        if (syms[i].lib >= nlib) {
            snprintf(err, errcap, "bad table entry for %s", syms[i].name);
            return -1;
        }
        dlerror();
        void *p = dlsym(h[syms[i].lib], syms[i].name);
        if (!p) {
            snprintf(err, errcap, "%s has no %s (another version than aimark was built for?)",
                     sonames[syms[i].lib], syms[i].name);
            return -1;
        }
        /* POSIX guarantees function pointers survive the trip through void *. */
        memcpy(syms[i].slot, &p, sizeof p);
    }
    return 0;
}

/* ---- the two tables ------------------------------------------------------- */

#define DL_STR2(x) #x
#define DL_STR(x) DL_STR2(x)
#if !defined(LIBAVCODEC_VERSION_MAJOR) || !defined(LIBAVFORMAT_VERSION_MAJOR) || \
    !defined(LIBSWRESAMPLE_VERSION_MAJOR) || !defined(LIBSWSCALE_VERSION_MAJOR) || \
    !defined(TESSERACT_MAJOR_VERSION)
#error "the sonames come from the libraries' version macros"
#endif

/* The sonames of the ABI the headers describe. */
enum { LIB_avcodec, LIB_avformat, LIB_swresample, LIB_swscale, LIB_FFMPEG_N };
static const char *const ffmpeg_libs[LIB_FFMPEG_N] = {
    "libavcodec.so." DL_STR(LIBAVCODEC_VERSION_MAJOR),
    "libavformat.so." DL_STR(LIBAVFORMAT_VERSION_MAJOR),
    "libswresample.so." DL_STR(LIBSWRESAMPLE_VERSION_MAJOR),
    "libswscale.so." DL_STR(LIBSWSCALE_VERSION_MAJOR),
};
enum { LIB_tesseract, LIB_OCR_N };
static const char *const ocr_libs[LIB_OCR_N] = {
    "libtesseract.so." DL_STR(TESSERACT_MAJOR_VERSION),
};

#define DL_DEFINE(lib, name) __typeof__(name) *aim_dl_##name;
AIM_FFMPEG_SYMS(DL_DEFINE)
AIM_OCR_SYMS(DL_DEFINE)
#undef DL_DEFINE

#define DL_ENTRY(lib, name) {LIB_##lib, #name, &aim_dl_##name},
static const dl_sym ffmpeg_syms[] = {AIM_FFMPEG_SYMS(DL_ENTRY)};
static const dl_sym ocr_syms[] = {AIM_OCR_SYMS(DL_ENTRY)};
#undef DL_ENTRY

typedef struct dl_once {
    pthread_once_t once;
    int rc;
    char err[256];
} dl_once;

static dl_once ffmpeg_state = {PTHREAD_ONCE_INIT, 0, ""};
static dl_once ocr_state = {PTHREAD_ONCE_INIT, 0, ""};

static void ffmpeg_init(void)
{
    ffmpeg_state.rc = dl_load(ffmpeg_libs, LIB_FFMPEG_N, ffmpeg_syms,
                              sizeof ffmpeg_syms / sizeof ffmpeg_syms[0], ffmpeg_state.err,
                              sizeof ffmpeg_state.err);
}

static void ocr_init(void)
{
    ocr_state.rc = dl_load(ocr_libs, LIB_OCR_N, ocr_syms, sizeof ocr_syms / sizeof ocr_syms[0],
                           ocr_state.err, sizeof ocr_state.err);
}

int aim_ffmpeg_load(aim_diag *d)
{
    pthread_once(&ffmpeg_state.once, ffmpeg_init);
    return ffmpeg_state.rc ? diag_fail(d, AIM_ERR_UNSUPPORTED, "FFmpeg: %s", ffmpeg_state.err)
                           : AIM_OK;
}

int aim_ocr_load(aim_diag *d)
{
    pthread_once(&ocr_state.once, ocr_init);
    return ocr_state.rc ? diag_fail(d, AIM_ERR_UNSUPPORTED, "tesseract: %s", ocr_state.err)
                        : AIM_OK;
}
