/*
 * rnn/rnn_internal.h - what the recurrent-layer drivers (rnn.c) and the gate kernels
 * (cells.c) share: one table of row functions per element type, filled for the
 * instruction set this CPU runs (chosen once per process).
 */
#ifndef FC_RNN_INTERNAL_H
#define FC_RNN_INTERNAL_H

#include <stdint.h>

#define RNN_CAT2_(a, b) a##_##b
#define RNN_CAT2(a, b) RNN_CAT2_(a, b)
#define RNN_CAT3_(a, b, c) a##_##b##_##c
#define RNN_CAT3(a, b, c) RNN_CAT3_(a, b, c)

/* Row functions of one element type (semantics: cells_tmpl.h). */
#define FC_DECLARE_RNN_CELLS(T, SFX)                                                      \
    typedef struct {                                                                     \
        void (*act_fwd)(int64_t H, int relu, T *g, const T *bias, T *h, T *y);           \
        void (*act_bwd)(int64_t H, int relu, const T *g, const T *dh, const T *dy,       \
                        T *dg);                                                          \
        void (*lstm_fwd)(int64_t H, T *g, const T *bias, const T *c, T *c_new, T *h,    \
                         T *y);                                                          \
        void (*lstm_bwd)(int64_t H, const T *g, const T *c, const T *c_new, const T *dh, \
                         const T *dy, T *dc, T *dg);                                     \
        void (*gru_fwd)(int64_t H, T *g, const T *gh, const T *bi, const T *bh,          \
                        const T *h, T *h_new, T *y);                                     \
        void (*gru_bwd)(int64_t H, const T *g, const T *h, const T *dh, const T *dy,     \
                        T *dgi, T *dgh, T *direct);                                      \
    } rnn_cells_##SFX;                                                                   \
    /* The table for this CPU's best instruction set (FASTCONV_GEMM_KERNEL caps it). */ \
    const rnn_cells_##SFX *rnn_cells_get_##SFX(void);

FC_DECLARE_RNN_CELLS(float, f32)
FC_DECLARE_RNN_CELLS(double, f64)

#endif /* FC_RNN_INTERNAL_H */
