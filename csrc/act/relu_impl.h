/*
 * relu_impl.h - ReLU kernels written once for one element type.
 * Included by relu.c with T (the element type) and SUFFIX (f32 / f64) defined.
 */

/* y = x where x > 0 or x is NaN, else +0: `!(v <= 0)` holds for positives and NaN. */
static void RELU_CAT(fc_relu_forward_, SUFFIX)(int64_t size, const T *x, T *y, int nthreads)
{
    (void)nthreads;
    #pragma omp parallel for num_threads(nthreads) if(nthreads > 1 && size >= RELU_PAR_MIN) schedule(static)
    for (int64_t i = 0; i < size; i++) {
        T v = x[i];
        y[i] = (v <= (T)0) ? (T)0 : v;
    }
}

/* dx = dy where the forward output y > 0, else 0 (dx may alias dy). */
static void RELU_CAT(fc_relu_backward_, SUFFIX)(int64_t size, const T *dy, const T *y, T *dx,
                                         int nthreads)
{
    (void)nthreads;
    #pragma omp parallel for num_threads(nthreads) if(nthreads > 1 && size >= RELU_PAR_MIN) schedule(static)
    for (int64_t i = 0; i < size; i++) {
        T g = dy[i];  /* loaded unconditionally so the select vectorises */
        dx[i] = (y[i] > (T)0) ? g : (T)0;
    }
}
