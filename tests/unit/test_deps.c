/* src/deps: dlopen at first use. The loader's failure modes name what is
 * missing; the real tables resolve against the installed FFmpeg and
 * tesseract (the versions the headers describe). */
#include <math.h>
#include <string.h>

#include "deps/dl.h"
#include "deps/ffmpeg.h"
#include "deps/ocr.h"
#include "test.h"

static void t_dl_load(void)
{
    double (*my_cos)(double) = NULL;
    char err[256] = "";
    const char *libm[] = {"libm.so.6"};
    dl_sym ok_sym[] = {{0, "cos", &my_cos}};
    CHECK_INT(dl_load(libm, 1, ok_sym, 1, err, sizeof err), 0);
    CHECK(my_cos && fabs(my_cos(0.0) - 1.0) < 1e-12);

    const char *none[] = {"libaimark-no-such-library.so.9"};
    CHECK_INT(dl_load(none, 1, ok_sym, 1, err, sizeof err), -1);
    CHECK(strstr(err, "libaimark-no-such-library.so.9") != NULL);

    void (*nothing)(void) = NULL;
    dl_sym bad_sym[] = {{0, "aimark_no_such_symbol", &nothing}};
    CHECK_INT(dl_load(libm, 1, bad_sym, 1, err, sizeof err), -1);
    CHECK(strstr(err, "aimark_no_such_symbol") != NULL && strstr(err, "libm.so.6") != NULL);
    CHECK(nothing == NULL);

    dl_sym out_of_range[] = {{1, "cos", &my_cos}};
    CHECK_INT(dl_load(libm, 1, out_of_range, 1, err, sizeof err), -1);
}

static void t_tables_resolve(void)
{
    aim_diag d;
    memset(&d, 0, sizeof d);
    CHECK_INT(aim_ffmpeg_load(&d), AIM_OK);
    CHECK_INT(aim_ffmpeg_load(&d), AIM_OK); /* once per process, same answer */
    CHECK(aim_dl_avformat_open_input != NULL && aim_dl_sws_scale != NULL &&
          aim_dl_swr_convert != NULL && aim_dl_avcodec_open2 != NULL);
    CHECK(avcodec_find_encoder(AV_CODEC_ID_PCM_S16LE) != NULL); /* a call through the table */
    CHECK_INT(aim_ocr_load(&d), AIM_OK);
    CHECK(aim_dl_TessBaseAPICreate != NULL && aim_dl_setMsgSeverity != NULL);
}

TEST_MAIN(t_dl_load, t_tables_resolve)
