/*
 * tesseract (and its image library, leptonica), loaded at first use.
 *
 * tesseract is C++ and brings ~55 shared objects (leptonica's image codecs,
 * libarchive, libcurl, libstdc++): ~10 ms of start-up for every process
 * that links it. Only reading visible labels (OCR) uses it, so it is
 * opened with dlopen() when the first visible-label reader is made; see
 * ffmpeg.h for the pattern.
 *
 * Use: include this instead of <tesseract/capi.h> and
 * <leptonica/allheaders.h>, call aim_ocr_load() before the first call.
 */
#ifndef AIM_DEPS_OCR_H
#define AIM_DEPS_OCR_H

#include <leptonica/allheaders.h>
#include <tesseract/capi.h>
#include <tesseract/version.h> /* TESSERACT_MAJOR_VERSION: the soname */

#include "aimark/aimark.h"

/* X(library, name): leptonica's names resolve through tesseract's handle
 * (dlsym also searches a library's dependencies). */
#define AIM_OCR_SYMS(X)                                                                           \
    X(tesseract, TessBaseAPIClear)                                                                \
    X(tesseract, TessBaseAPICreate)                                                               \
    X(tesseract, TessBaseAPIDelete)                                                               \
    X(tesseract, TessBaseAPIEnd)                                                                  \
    X(tesseract, TessBaseAPIGetIterator)                                                          \
    X(tesseract, TessBaseAPIInit3)                                                                \
    X(tesseract, TessBaseAPIRecognize)                                                            \
    X(tesseract, TessBaseAPISetImage)                                                             \
    X(tesseract, TessBaseAPISetPageSegMode)                                                       \
    X(tesseract, TessBaseAPISetSourceResolution)                                                  \
    X(tesseract, TessBaseAPISetVariable)                                                          \
    X(tesseract, TessDeleteText)                                                                  \
    X(tesseract, TessMonitorCreate)                                                               \
    X(tesseract, TessMonitorDelete)                                                               \
    X(tesseract, TessMonitorSetDeadlineMSecs)                                                     \
    X(tesseract, TessPageIteratorBoundingBox)                                                     \
    X(tesseract, TessPageIteratorIsAtBeginningOf)                                                 \
    X(tesseract, TessResultIteratorDelete)                                                        \
    X(tesseract, TessResultIteratorGetPageIteratorConst)                                          \
    X(tesseract, TessResultIteratorGetUTF8Text)                                                   \
    X(tesseract, TessResultIteratorNext)                                                          \
    X(tesseract, setMsgSeverity)

#define AIM_OCR_DECLARE(lib, name) extern __typeof__(name) *aim_dl_##name;
AIM_OCR_SYMS(AIM_OCR_DECLARE)
#undef AIM_OCR_DECLARE

/* Once per process (thread-safe): AIM_OK, or AIM_ERR_UNSUPPORTED with the
 * loader's reason in d. */
int aim_ocr_load(aim_diag *d);

#ifndef AIM_DEPS_OCR_IMPL
#define TessBaseAPIClear (*aim_dl_TessBaseAPIClear)
#define TessBaseAPICreate (*aim_dl_TessBaseAPICreate)
#define TessBaseAPIDelete (*aim_dl_TessBaseAPIDelete)
#define TessBaseAPIEnd (*aim_dl_TessBaseAPIEnd)
#define TessBaseAPIGetIterator (*aim_dl_TessBaseAPIGetIterator)
#define TessBaseAPIInit3 (*aim_dl_TessBaseAPIInit3)
#define TessBaseAPIRecognize (*aim_dl_TessBaseAPIRecognize)
#define TessBaseAPISetImage (*aim_dl_TessBaseAPISetImage)
#define TessBaseAPISetPageSegMode (*aim_dl_TessBaseAPISetPageSegMode)
#define TessBaseAPISetSourceResolution (*aim_dl_TessBaseAPISetSourceResolution)
#define TessBaseAPISetVariable (*aim_dl_TessBaseAPISetVariable)
#define TessDeleteText (*aim_dl_TessDeleteText)
#define TessMonitorCreate (*aim_dl_TessMonitorCreate)
#define TessMonitorDelete (*aim_dl_TessMonitorDelete)
#define TessMonitorSetDeadlineMSecs (*aim_dl_TessMonitorSetDeadlineMSecs)
#define TessPageIteratorBoundingBox (*aim_dl_TessPageIteratorBoundingBox)
#define TessPageIteratorIsAtBeginningOf (*aim_dl_TessPageIteratorIsAtBeginningOf)
#define TessResultIteratorDelete (*aim_dl_TessResultIteratorDelete)
#define TessResultIteratorGetPageIteratorConst (*aim_dl_TessResultIteratorGetPageIteratorConst)
#define TessResultIteratorGetUTF8Text (*aim_dl_TessResultIteratorGetUTF8Text)
#define TessResultIteratorNext (*aim_dl_TessResultIteratorNext)
#define setMsgSeverity (*aim_dl_setMsgSeverity)
#endif

#endif
