/*
 * FFmpeg's container and codec libraries (libavformat, libavcodec,
 * libswresample, libswscale), loaded at first use.
 *
 * Debian's builds of them pull in ~130 shared objects (x264, x265, aom,
 * libbluray, gnutls, ...), which cost every process that merely links them
 * ~25 ms of start-up before main(): more than the watermark needs to mark a
 * minute of audio. Only MP3/Ogg/MP4 audio I/O and MP4 video use them, so
 * they are opened with dlopen() by the first call that does (by soname, the
 * ABI these headers describe) and a process working on WAV, FLAC or images
 * never maps them. libavutil (the FFT, frames, dictionaries) stays linked.
 *
 * Use: include this instead of the four FFmpeg headers, and call
 * aim_ffmpeg_load() on every entry path before the first FFmpeg call. The
 * FFmpeg names below then call through pointers filled by the loader.
 */
#ifndef AIM_DEPS_FFMPEG_H
#define AIM_DEPS_FFMPEG_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>

#include "aimark/aimark.h"

/* Every function used from the four libraries: X(library, name). */
#define AIM_FFMPEG_SYMS(X)                                                                        \
    X(avformat, av_find_best_stream)                                                              \
    X(avformat, av_find_input_format)                                                             \
    X(avformat, av_guess_frame_rate)                                                              \
    X(avformat, av_interleaved_write_frame)                                                       \
    X(avformat, av_read_frame)                                                                    \
    X(avformat, av_write_trailer)                                                                 \
    X(avformat, avformat_alloc_output_context2)                                                   \
    X(avformat, avformat_close_input)                                                             \
    X(avformat, avformat_find_stream_info)                                                        \
    X(avformat, avformat_free_context)                                                            \
    X(avformat, avformat_new_stream)                                                              \
    X(avformat, avformat_open_input)                                                              \
    X(avformat, avformat_query_codec)                                                             \
    X(avformat, avformat_write_header)                                                            \
    X(avformat, avio_closep)                                                                      \
    X(avformat, avio_open)                                                                        \
    X(avcodec, av_packet_alloc)                                                                   \
    X(avcodec, av_packet_free)                                                                    \
    X(avcodec, av_packet_rescale_ts)                                                              \
    X(avcodec, av_packet_unref)                                                                   \
    X(avcodec, avcodec_alloc_context3)                                                            \
    X(avcodec, avcodec_descriptor_get)                                                            \
    X(avcodec, avcodec_find_encoder)                                                              \
    X(avcodec, avcodec_find_encoder_by_name)                                                      \
    X(avcodec, avcodec_free_context)                                                              \
    X(avcodec, avcodec_get_name)                                                                  \
    X(avcodec, avcodec_open2)                                                                     \
    X(avcodec, avcodec_parameters_copy)                                                           \
    X(avcodec, avcodec_parameters_from_context)                                                   \
    X(avcodec, avcodec_parameters_to_context)                                                     \
    X(avcodec, avcodec_receive_frame)                                                             \
    X(avcodec, avcodec_receive_packet)                                                            \
    X(avcodec, avcodec_send_frame)                                                                \
    X(avcodec, avcodec_send_packet)                                                               \
    X(swresample, swr_alloc_set_opts2)                                                            \
    X(swresample, swr_convert)                                                                    \
    X(swresample, swr_free)                                                                       \
    X(swresample, swr_get_out_samples)                                                            \
    X(swresample, swr_init)                                                                       \
    X(swscale, sws_freeContext)                                                                   \
    X(swscale, sws_getCachedContext)                                                              \
    X(swscale, sws_scale)

#define AIM_FFMPEG_DECLARE(lib, name) extern __typeof__(name) *aim_dl_##name;
AIM_FFMPEG_SYMS(AIM_FFMPEG_DECLARE)
#undef AIM_FFMPEG_DECLARE

/* Opens the four libraries and resolves every name, once per process
 * (thread-safe). AIM_OK, or AIM_ERR_UNSUPPORTED with the loader's reason in
 * d when a library or a name is missing (FFmpeg not installed, or another
 * major version than the one aimark was built against). */
int aim_ffmpeg_load(aim_diag *d);

#ifndef AIM_DEPS_FFMPEG_IMPL
#define av_find_best_stream (*aim_dl_av_find_best_stream)
#define av_find_input_format (*aim_dl_av_find_input_format)
#define av_guess_frame_rate (*aim_dl_av_guess_frame_rate)
#define av_interleaved_write_frame (*aim_dl_av_interleaved_write_frame)
#define av_read_frame (*aim_dl_av_read_frame)
#define av_write_trailer (*aim_dl_av_write_trailer)
#define avformat_alloc_output_context2 (*aim_dl_avformat_alloc_output_context2)
#define avformat_close_input (*aim_dl_avformat_close_input)
#define avformat_find_stream_info (*aim_dl_avformat_find_stream_info)
#define avformat_free_context (*aim_dl_avformat_free_context)
#define avformat_new_stream (*aim_dl_avformat_new_stream)
#define avformat_open_input (*aim_dl_avformat_open_input)
#define avformat_query_codec (*aim_dl_avformat_query_codec)
#define avformat_write_header (*aim_dl_avformat_write_header)
#define avio_closep (*aim_dl_avio_closep)
#define avio_open (*aim_dl_avio_open)
#define av_packet_alloc (*aim_dl_av_packet_alloc)
#define av_packet_free (*aim_dl_av_packet_free)
#define av_packet_rescale_ts (*aim_dl_av_packet_rescale_ts)
#define av_packet_unref (*aim_dl_av_packet_unref)
#define avcodec_alloc_context3 (*aim_dl_avcodec_alloc_context3)
#define avcodec_descriptor_get (*aim_dl_avcodec_descriptor_get)
#define avcodec_find_encoder (*aim_dl_avcodec_find_encoder)
#define avcodec_find_encoder_by_name (*aim_dl_avcodec_find_encoder_by_name)
#define avcodec_free_context (*aim_dl_avcodec_free_context)
#define avcodec_get_name (*aim_dl_avcodec_get_name)
#define avcodec_open2 (*aim_dl_avcodec_open2)
#define avcodec_parameters_copy (*aim_dl_avcodec_parameters_copy)
#define avcodec_parameters_from_context (*aim_dl_avcodec_parameters_from_context)
#define avcodec_parameters_to_context (*aim_dl_avcodec_parameters_to_context)
#define avcodec_receive_frame (*aim_dl_avcodec_receive_frame)
#define avcodec_receive_packet (*aim_dl_avcodec_receive_packet)
#define avcodec_send_frame (*aim_dl_avcodec_send_frame)
#define avcodec_send_packet (*aim_dl_avcodec_send_packet)
#define swr_alloc_set_opts2 (*aim_dl_swr_alloc_set_opts2)
#define swr_convert (*aim_dl_swr_convert)
#define swr_free (*aim_dl_swr_free)
#define swr_get_out_samples (*aim_dl_swr_get_out_samples)
#define swr_init (*aim_dl_swr_init)
#define sws_freeContext (*aim_dl_sws_freeContext)
#define sws_getCachedContext (*aim_dl_sws_getCachedContext)
#define sws_scale (*aim_dl_sws_scale)
#endif

#endif
