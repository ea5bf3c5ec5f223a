/*
 * rnn/cells_decl_tmpl.h - the table of gate kernels for one element type (a template:
 * see core/tmpl.h), declared by rnn_internal.h for float and double. Semantics of each
 * row function: cells_tmpl.h.
 */
typedef struct {
    void (*act_fwd)(int64_t H, int relu, T *g, const T *bias, T *h, T *y);
    void (*act_bwd)(int64_t H, int relu, const T *g, const T *dh, const T *dy, T *dg);
    void (*lstm_fwd)(int64_t H, T *g, const T *bias, const T *c, T *c_new, T *h, T *y);
    void (*lstm_bwd)(int64_t H, const T *g, const T *c, const T *c_new, const T *dh,
                     const T *dy, T *dc, T *dg);
    void (*gru_fwd)(int64_t H, T *g, const T *gh, const T *bi, const T *bh, const T *h,
                    T *h_new, T *y);
    void (*gru_bwd)(int64_t H, const T *g, const T *h, const T *dh, const T *dy, T *dgi,
                    T *dgh, T *direct);
} FC_T(rnn_cells);

/* The table built for instruction set isa (the same bits for every isa: only the vector
 * width differs). */
const FC_T(rnn_cells) *FC_T(rnn_cells_get)(fc_isa isa);
