# Cython declarations of csrc/include/fastconv/rnn.h (semantics: see that header).
from libc.stdint cimport int64_t
from fastconv._c_core cimport fc_dtype

cdef extern from "fastconv/rnn.h" nogil:
    ctypedef enum fc_rnn_mode:
        FC_RNN_TANH
        FC_RNN_RELU
        FC_RNN_LSTM
        FC_RNN_GRU

    int64_t fc_rnn_gates(fc_rnn_mode mode)
    int64_t fc_rnn_workspace_size(fc_rnn_mode mode, int64_t seq_len, int64_t batch,
                                  int64_t hidden)
    int fc_rnn_forward(fc_dtype dt, fc_rnn_mode mode, int reverse, int64_t seq_len,
                       int64_t batch, int64_t input_size, int64_t hidden, const void *x,
                       const void *w_ih, const void *w_hh, const void *b_ih,
                       const void *b_hh, const void *h0, const void *c0,
                       const int64_t *lengths, void *y, int64_t y_stride, void *hn,
                       void *cn, void *ws, int nthreads)
    int fc_rnn_backward(fc_dtype dt, fc_rnn_mode mode, int reverse, int64_t seq_len,
                        int64_t batch, int64_t input_size, int64_t hidden, const void *x,
                        const void *w_ih, const void *w_hh, const int64_t *lengths,
                        const void *ws, const void *dy, int64_t dy_stride,
                        const void *dhn, const void *dcn, void *dx, int dx_accumulate,
                        void *dw_ih, void *dw_hh, void *db_ih, void *db_hh, void *dh0,
                        void *dc0, int nthreads)
    const char *fc_rnn_cells_isa()
