/*
 * Detector models and their blob format (docs/DETECTOR.md has the table).
 *
 * Blob, little-endian:
 *   0  magic "AIMDETM\0"        8  u32 format version (1)
 *   12 u32 model type (1 GMM, 2 NN)   16 u32 tensor count (1..64)
 *   20 u32 total size in bytes  24 char name[32] (NUL-terminated, printable)
 *   56 u32 model version        60 f32 calib_a, calib_b, threshold
 *   72 u32 front-end (0: LFCC of the 16 kHz input; 1: the input is first
 *      conditioned, detect/cond.h)   76 u32 reserved (0)
 *   80 tensor table, 52 bytes per tensor:
 *      char name[16]; u32 dtype (0 f32, 1 i32); u32 ndim (1..4);
 *      u32 dims[4] (unused = 1); u32 offset; u32 nbytes; u32 crc32
 *   tensor data (4-aligned, in table order, no overlap), then
 *   u32 crc32 of every byte before it.
 * calibrated score = calib_a * raw + calib_b (an LLR).
 *
 * Per frame a model turns the 60 LFCC values into an embedding of emb_dim
 * floats; per window it pools the embeddings of the voiced frames into one
 * raw score (higher = more likely synthetic):
 *   GMM: embedding = log p(x|spoof) - log p(x|bona) (diagonal GMMs); window
 *        raw = mean over voiced frames.
 *   NN:  features normalised by (x - mean) * istd, then L causal dilated
 *        1-D convolutions, each followed by max-feature-map (MFM: the max
 *        of the two halves of the channels): embedding = last layer's
 *        output. Window: mean and standard deviation over voiced frames ->
 *        linear -> MFM -> linear -> raw score.
 */
#ifndef AIM_DETECT_MODEL_H
#define AIM_DETECT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "aimark/detect.h"
#include "detect/lfcc.h"

#define DET_MAGIC "AIMDETM"
#define DET_FORMAT_VERSION 1
#define DET_TYPE_GMM 1
#define DET_TYPE_NN 2
#define DET_FRONTEND_RAW 0
#define DET_FRONTEND_COND 1 /* band 150-3800 Hz + -75 dBFS floor (cond.h) */
#define DET_HEADER_BYTES 80
#define DET_TENSOR_BYTES 52
#define DET_MAX_TENSORS 64
#define DET_MAX_DIM 65536u
#define DET_MAX_ELEMS (4u * 1024u * 1024u)
#define DET_MAX_GMM_COMP 2048
#define DET_MAX_LAYERS 8
#define DET_MAX_KERNEL 9
#define DET_MAX_DILATION 32
#define DET_MAX_CHANNELS 512
#define DET_MAX_HEAD 512

typedef struct det_conv {
    int k, dil, in, out; /* out = channels after MFM; weights produce 2*out */
    const float *w;      /* [k][in][2*out], tap j applies to frame t - j*dil */
    const float *b;      /* [2*out] */
} det_conv;

struct aim_detect_model {
    unsigned char *blob; /* owned copy; tensors point into it */
    size_t blob_len;
    int type;
    int frontend; /* DET_FRONTEND_* */
    char name[48]; /* "name version" */
    float calib_a, calib_b, threshold;
    int emb_dim;
    /* GMM */
    int ncomp;
    float *gconst[2]; /* per component: log w + 0.5 sum log ivar - 30 log 2pi */
    const float *mu[2], *ivar[2]; /* [ncomp][60]; 0 = bona, 1 = spoof */
    /* NN */
    const float *norm_mean, *norm_istd;
    int n_layers;
    det_conv conv[DET_MAX_LAYERS];
    int head; /* hidden size after MFM */
    const float *h1w, *h1b; /* [2*emb][2*head], [2*head] */
    const float *h2w, *h2b; /* [head], [1] */
};

/* Parse and validate a blob (copied). Returns AIM_OK or an error with diag. */
int det_model_parse(const void *data, size_t n, aim_detect_model **out, aim_diag *diag);

/* Per-frame state of a model (conv history rings). */
typedef struct det_frame_state det_frame_state;
det_frame_state *det_frame_state_new(const aim_detect_model *m);
void det_frame_state_free(det_frame_state *s);
void det_frame_state_reset(det_frame_state *s);
/* One frame: feat[60] -> emb[m->emb_dim]. */
void det_frame(const aim_detect_model *m, det_frame_state *s, const float *feat, float *emb);
/* Raw score of a window of n frames read from rings of cap frames starting
 * at index start (wrapping): emb holds emb_dim floats per frame, voiced one
 * flag per frame saying which take part (at least one must). scratch:
 * det_scratch_floats(m) floats. */
double det_window_raw(const aim_detect_model *m, const float *emb, const unsigned char *voiced,
                      size_t cap, size_t start, size_t n, float *scratch);
size_t det_scratch_floats(const aim_detect_model *m);

/* The default model compiled into the library (generated at build time). */
extern const unsigned char det_default_blob[];
extern const size_t det_default_blob_len;

#endif
