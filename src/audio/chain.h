/*
 * The PCM transform chain of aim_audio_label_file: decoded blocks are
 * pushed into the first stage; each stage pushes its output (any length:
 * a stage may hold audio back, or add audio, e.g. an audible prompt) into
 * the next; the last stage is the encoder. Rate and channel count are the
 * same through the chain.
 *
 * Adding a transform: write a constructor returning an aud_stage and add
 * it in aud_chain_build() (chain.c), the one place that reads the options.
 */
#ifndef AIM_AUDIO_CHAIN_H
#define AIM_AUDIO_CHAIN_H

#include "aimark/audio.h"

typedef struct aud_stage aud_stage;
struct aud_stage {
    /* Take `frames` interleaved frames; push whatever is ready downstream. */
    int (*push)(aud_stage *s, const float *in, size_t frames, aim_diag *d);
    /* End of input: push what is held back, then finish `next`. */
    int (*finish)(aud_stage *s, aim_diag *d);
    void (*destroy)(aud_stage *s);
    aud_stage *next;
};

/* The encoder at the end of every chain (does not own the writer). */
int aud_stage_writer(aim_audio_writer *w, aud_stage **out);

/* The watermark embedder (latency absorbed: output length = input). */
int aud_stage_wm(const aim_wm_key *key, uint64_t payload, float snr_db, int rate, int channels,
                 aud_stage **out);

/* 1 when the options ask for any PCM transform (else a label-only write
 * needs no re-encoding). */
/* The audible prompt inserter (include/aimark/audible.h) as a stage. */
int aud_stage_audible(const aim_audible_config *cfg, aud_stage **out);

int aud_chain_needed(const aim_audio_label_opts *o);

/* Build the stages the options ask for in front of `sink`. On success
 * *head is the first stage (== sink when none); the chain owns sink. */
int aud_chain_build(const aim_audio_label_opts *o, const aim_audio_info *info, aud_stage *sink,
                    aud_stage **head, aim_diag *d);

/* Free every stage from head on. */
void aud_chain_free(aud_stage *head);

#endif
