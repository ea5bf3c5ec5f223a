/*
 * gemm/gemm_decl_tmpl.h - the GEMM engine's types and functions for one element type
 * (a template: see core/tmpl.h), declared by gemm_internal.h for float and double.
 */
/* Store step of the micro-kernel, applied to each element t of the tile:
 * t = alpha*t (if alpha != 1); t = t + beta*c (if beta != 0; c not read when 0);
 * t = t + bias[row] (if bias); t = max(0, t) (if relu; NaN passes through). */
typedef struct {
    T alpha, beta;
    const T *bias; /* bias of the tile's first row, or NULL */
    int relu;
} FC_T(fc_epilogue);

/* c[0:mr, 0:nr] (row stride ldc) = epilogue(sum_p a[p*mr + i] * b[boff[p] + j]):
 * row p of the B panel starts at b + boff[p] (any readable address for B read in
 * place, see fc_operand.rows), or with boff NULL at b + p*bs (a packed panel, or
 * evenly spaced rows: no table load and address dependency per step). */
typedef void (*FC_T(fc_ukernel))(int64_t k, const T *a, const T *b,
                                 const int64_t *boff, int64_t bs, T *c, int64_t ldc,
                                 const FC_T(fc_epilogue) *e);

typedef struct {
    const char *name;
    int64_t mr, nr;     /* micro-tile */
    int64_t mc, kc, nc; /* cache blocks: mc % mr == 0, nc % nr == 0 */
    FC_T(fc_ukernel) ukernel;
} FC_T(fc_gemm_kernel);

struct FC_T(fc_operand);
/* Pack a block of an operand into r-wide panels (zero-padded to a multiple of r).
 * For A: rows x0..x0+xn, depth k0..k0+kn; panel layout dst[panel][p][i] (r = mr).
 * For B: depth k0..k0+kn, columns x0..x0+xn; dst[panel][p][j] (r = nr). */
typedef void (*FC_T(fc_pack))(const struct FC_T(fc_operand) *op, int64_t x0,
                              int64_t xn, int64_t k0, int64_t kn, int64_t r,
                              T *dst);

/* B read in place, without packing: fill boff[0:kn] with the offsets of rows
 * k0..k0+kn and return the address of column x0 of row "offset 0"; row p, columns
 * x0..x0+round_up(xn, nr) must then be readable at ret + boff[p] + j. */
typedef const T *(*FC_T(fc_rows))(const struct FC_T(fc_operand) *op, int64_t x0,
                                  int64_t k0, int64_t kn, int64_t *boff);

typedef struct FC_T(fc_operand) {
    FC_T(fc_pack) pack;  /* NULL when `packed` (A) or `rows` (B) is given */
    const T *ptr;        /* strided matrix: element (row, col) = ptr[row*rs+col*cs] */
    int64_t rs, cs;
    const void *ctx;     /* private data of custom packers */
    int64_t off;         /* custom packers: offset of this operand's first column */
    const T *packed;     /* A prepacked by fc_gemm_prepack_a */
    FC_T(fc_rows) rows;  /* B read in place (no packing) */
} FC_T(fc_operand);

/* The micro-kernel for instruction set isa and C with m rows (tile height chosen
 * by m; for one isa the choice never changes results). */
const FC_T(fc_gemm_kernel) *FC_T(fc_gemm_select)(fc_isa isa, int64_t m);

/* Strided packers: A's element (i, p) is ptr[i*rs + p*cs]; B's (p, j) likewise. */
void FC_T(fc_pack_a_strided)(const FC_T(fc_operand) *op, int64_t x0, int64_t xn,
                             int64_t k0, int64_t kn, int64_t r, T *dst);
void FC_T(fc_pack_b_strided)(const FC_T(fc_operand) *op, int64_t x0, int64_t xn,
                             int64_t k0, int64_t kn, int64_t r, T *dst);

/* Elements of the packed form of an m x k A (for fc_gemm_prepack_a). */
int64_t FC_T(fc_gemm_packed_a_size)(const FC_T(fc_gemm_kernel) *kr, int64_t m,
                                    int64_t k);
/* Pack all of A (m x k) once, in the layout fc_gemm_serial reads through
 * operand.packed: for each KC block, for each MR panel, kc x mr values. */
void FC_T(fc_gemm_prepack_a)(const FC_T(fc_gemm_kernel) *kr, int64_t m, int64_t k,
                             const FC_T(fc_operand) *a, T *dst);
/* The MR panels of rows [i0, i0 + mn) of fc_gemm_prepack_a's result (i0 a multiple
 * of MR), written in place: threads may pack disjoint row ranges of one A. */
void FC_T(fc_gemm_prepack_a_rows)(const FC_T(fc_gemm_kernel) *kr, int64_t m,
                                  int64_t k, int64_t i0, int64_t mn,
                                  const FC_T(fc_operand) *a, T *dst);
/* Elements of the scratch fc_gemm_serial needs for n columns. */
int64_t FC_T(fc_gemm_work_size)(const FC_T(fc_gemm_kernel) *kr, int64_t n);

/* C (m x n, row stride ldc) = alpha * A @ B + beta * C, then + bias[row] and
 * ReLU when given. Runs serially on the calling thread; `work` has
 * fc_gemm_work_size(kr, n) elements, FC_ALIGN-aligned. beta == 0: C not read. */
void FC_T(fc_gemm_serial)(const FC_T(fc_gemm_kernel) *kr, int64_t m, int64_t n,
                          int64_t k, T alpha, const FC_T(fc_operand) *a,
                          const FC_T(fc_operand) *b, T beta, T *c, int64_t ldc,
                          const T *bias, int relu, T *work);

/* fc_gemm (fastconv/gemm.h) for one element type, under isa. */
int FC_T(fc_gemm)(fc_isa isa, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                  T alpha, const T *a, int64_t lda, const T *b, int64_t ldb, T beta, T *c,
                  int64_t ldc, int nthreads);
