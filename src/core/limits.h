/*
 * Safety limits on everything a hostile file controls. Going over one is an
 * AIM_ERR_LIMIT error, never a crash or an unbounded allocation.
 */
#ifndef AIM_CORE_LIMITS_H
#define AIM_CORE_LIMITS_H

/* Largest single metadata structure loaded into memory (an MP4 moov box,
 * an ID3v2 tag, an Ogg comment packet, an XMP packet). */
#define AIM_MAX_META_BYTES (64u * 1024u * 1024u)
/* Largest single allocation FFmpeg may make (av_max_alloc, process-wide;
 * FFmpeg's own default is 2 GiB): a hostile WAV LIST chunk behind an ID3
 * tag made its demuxer allocate and clear 1.2 GB (fuzz_audio). An 8K video
 * frame is ~50 MB. */
#define AIM_MAX_CODEC_ALLOC (256u * 1024u * 1024u)
/* Largest label text accepted from a file. */
#define AIM_MAX_LABEL_TEXT (1024u * 1024u)
/* Chunks/boxes/frames/segments/pages walked in one file before giving up. */
#define AIM_MAX_ITEMS 1000000u
/* Nesting depth of boxes or JSON/XML elements. */
#define AIM_MAX_DEPTH 32

#endif
