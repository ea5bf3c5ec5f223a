/*
 * rnn/rnn.c - recurrent layers over whole sequences (fastconv/rnn.h): the drivers that
 * run fastconv's GEMM engine (gemm/gemm_internal.h) for the input projection, the
 * recurrent product of each step and the weight gradients, around the gate kernels of
 * cells.c. The code for each element type is in rnn_tmpl.h, included once per type.
 */
#include <stdint.h>
#include <string.h>

#include "core/internal.h"
#include "fastconv/rnn.h"
#include "gemm/gemm_internal.h"
#include "gemm/transpose.h"
#include "rnn/rnn_internal.h"

int64_t fc_rnn_gates(fc_rnn_mode mode)
{
    switch (mode) {
    case FC_RNN_TANH:
    case FC_RNN_RELU:
        return 1;
    case FC_RNN_LSTM:
        return 4;
    case FC_RNN_GRU:
        return 3;
    }
    return 0;
}

/* Columns of a row of the workspace's gates: H, or 4H for LSTM (i f g o) and GRU
 * (r z n, W_hn h + b_hn). */
static int64_t rnn_ws_cols(fc_rnn_mode mode, int64_t hidden)
{
    return (mode == FC_RNN_LSTM || mode == FC_RNN_GRU) ? 4 * hidden : hidden;
}

int64_t fc_rnn_workspace_size(fc_rnn_mode mode, int64_t seq_len, int64_t batch,
                              int64_t hidden)
{
    if (fc_rnn_gates(mode) == 0)
        return -1;
    const int64_t states = (seq_len + 1) * batch * hidden;
    return seq_len * batch * rnn_ws_cols(mode, hidden) +
           states * (mode == FC_RNN_LSTM ? 2 : 1);
}

/* Below this many multiply-adds in a layer's GEMMs a call runs on one thread. */
#define RNN_PARALLEL_MIN ((int64_t)1 << 18)
/* Fewest batch rows a thread takes in the time loop (fewer make its GEMMs inefficient). */
#define RNN_MIN_ROWS 8

/* One past the last row of [b0, b1) whose sequence is still running at step t. */
static inline int64_t rnn_active_end(const int64_t *len, int64_t t, int64_t b0, int64_t b1)
{
    if (!len)
        return b1;
    int64_t e = b1;
    while (e > b0 && len[e - 1] <= t)
        e--;
    return e;
}

#define FC_TMPL "gemm/transpose_tmpl.h"
#include "core/tmpl.h"
#define FC_TMPL "rnn/rnn_tmpl.h"
#include "core/tmpl.h"

int fc_rnn_forward(fc_dtype dt, fc_rnn_mode mode, int reverse, int64_t seq_len,
                   int64_t batch, int64_t input_size, int64_t hidden, const void *x,
                   const void *w_ih, const void *w_hh, const void *b_ih, const void *b_hh,
                   const void *h0, const void *c0, const int64_t *lengths, void *y,
                   int64_t y_stride, void *hn, void *cn, void *ws, int nthreads)
{
    return FC_BY_DTYPE(dt, rnn_forward, fc_isa_now(), mode, reverse, seq_len, batch,
                       input_size, hidden, x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, y,
                       y_stride, hn, cn, ws, nthreads);
}

int fc_rnn_backward(fc_dtype dt, fc_rnn_mode mode, int reverse, int64_t seq_len,
                    int64_t batch, int64_t input_size, int64_t hidden, const void *x,
                    const void *w_ih, const void *w_hh, const int64_t *lengths,
                    const void *ws, const void *dy, int64_t dy_stride, const void *dhn,
                    const void *dcn, void *dx, int dx_accumulate, void *dw_ih, void *dw_hh,
                    void *db_ih, void *db_hh, void *dh0, void *dc0, int nthreads)
{
    return FC_BY_DTYPE(dt, rnn_backward, fc_isa_now(), mode, reverse, seq_len, batch,
                       input_size, hidden, x, w_ih, w_hh, lengths, ws, dy, dy_stride, dhn,
                       dcn, dx, dx_accumulate, dw_ih, dw_hh, db_ih, db_hh, dh0, dc0,
                       nthreads);
}
