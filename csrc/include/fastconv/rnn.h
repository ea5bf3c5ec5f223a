/*
 * fastconv/rnn.h - recurrent layers: a whole layer (one direction) over all time steps
 * per call, forward and backward (conventions: see fastconv.h).
 *
 * Modes and gates (PyTorch's equations, weights and gate order):
 *   FC_RNN_TANH, FC_RNN_RELU  h' = act(W_ih x + b_ih + W_hh h + b_hh)          G = 1
 *   FC_RNN_LSTM  i, f, g, o = sig, sig, tanh, sig of (W_ih x + b_ih + W_hh h + b_hh)
 *                c' = f c + i g,  h' = o tanh(c')                               G = 4
 *   FC_RNN_GRU   r, z = sig(W_i{r,z} x + b_i{r,z} + W_h{r,z} h + b_h{r,z})
 *                n = tanh(W_in x + b_in + r (W_hn h + b_hn)),  h' = (h - n) z + n  G = 3
 * with W_ih (G*H, I), W_hh (G*H, H), b_ih and b_hh (G*H) or NULL (no bias).
 *
 * Shapes: x (T, B, I) time-major; h0, c0, hn, cn, dh0, dc0, dhn, dcn (B, H). The output
 * y holds h' of step t, sequence b at y[(t*B + b)*y_stride + j] (j < H): pass y offset
 * by the direction's column block to write the two halves of a bidirectional output.
 * dy is read with the same layout and dy_stride.
 *
 * Lengths: lengths (B) int64 or NULL (every sequence has T steps). Step t of sequence b
 * is real when t < lengths[b]. A padded step changes nothing: the state carries over,
 * y is 0 there, and in backward dy there is ignored and no gradient flows through it.
 * So hn holds each sequence's state after its own last step, and the reverse direction
 * (reverse != 0: t = T-1 down to 0) starts from h0 at each sequence's last real step.
 *
 * Workspace ws (fc_rnn_workspace_size elements), written by forward, read by backward:
 *   gates  (T*B, WS)     after the activations: tanh/relu H: h'; LSTM 4H: i f g o;
 *                        GRU 4H: r z n and W_hn h + b_hn
 *   hs     ((T+1)*B, H)  states in time order: block 0 is h0 (forward) or the final
 *                        state (reverse), block t+1 the state after step t (forward)
 *   cs     ((T+1)*B, H)  LSTM only: the cell states, in the same order
 *
 * Threads: the time loop runs each thread on its own slice of the batch with no barrier
 * (a step's GEMM of [x_t h] with [W_ih W_hh]^T, then the gate nonlinearities on its
 * rows; GRU: the input projection of all steps first, one GEMM split over its rows).
 * Backward runs the time loop the same way (d(h_prev) and the step's dx in one GEMM;
 * GRU: dx as one GEMM at the end), then the weight gradients as GEMMs over all T*B rows
 * at once (each split over its output columns). No sum is ever split between threads,
 * so results do not depend on nthreads.
 */
#ifndef FASTCONV_RNN_H
#define FASTCONV_RNN_H

#include "fastconv/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { FC_RNN_TANH = 0, FC_RNN_RELU = 1, FC_RNN_LSTM = 2, FC_RNN_GRU = 3 } fc_rnn_mode;

/* Gates per hidden unit: 1, 1, 4, 3 (W_ih has gates*hidden rows); 0 for a bad mode. */
int64_t fc_rnn_gates(fc_rnn_mode mode);

/* Elements of the workspace of one layer direction (see above); -1 for a bad mode. */
int64_t fc_rnn_workspace_size(fc_rnn_mode mode, int64_t seq_len, int64_t batch,
                              int64_t hidden);

/*
 * One direction of one layer, all steps. Writes y (its H columns of each row), hn, cn
 * (LSTM; NULL otherwise) and ws. c0 is read for LSTM only. h0/c0 must not alias outputs.
 * Returns FC_OK or FC_ENOMEM.
 */
int fc_rnn_forward(fc_dtype dt, fc_rnn_mode mode, int reverse, int64_t seq_len,
                   int64_t batch, int64_t input_size, int64_t hidden, const void *x,
                   const void *w_ih, const void *w_hh, const void *b_ih, const void *b_hh,
                   const void *h0, const void *c0, const int64_t *lengths, void *y,
                   int64_t y_stride, void *hn, void *cn, void *ws, int nthreads);

/*
 * Backward of fc_rnn_forward given its ws: dy (T, B, dy_stride as y), dhn and dcn (NULL:
 * zero). Writes every output that is not NULL: dx (T, B, I; dx_accumulate != 0 adds to
 * it), dw_ih, dw_hh, db_ih, db_hh (overwritten), dh0, dc0 (LSTM). Returns FC_OK or
 * FC_ENOMEM.
 */
int fc_rnn_backward(fc_dtype dt, fc_rnn_mode mode, int reverse, int64_t seq_len,
                    int64_t batch, int64_t input_size, int64_t hidden, const void *x,
                    const void *w_ih, const void *w_hh, const int64_t *lengths,
                    const void *ws, const void *dy, int64_t dy_stride, const void *dhn,
                    const void *dcn, void *dx, int dx_accumulate, void *dw_ih, void *dw_hh,
                    void *db_ih, void *db_hh, void *dh0, void *dc0, int nthreads);

/* The instruction set the gate kernels use now (fc_isa_name of the capability record's:
 * "generic", "avx2" or "avx512"). */
const char *fc_rnn_cells_isa(void);

#ifdef __cplusplus
}
#endif
#endif /* FASTCONV_RNN_H */
