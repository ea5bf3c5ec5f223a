/*
 * act/relu_tmpl.h - ReLU kernels for one element type (a template: see core/tmpl.h),
 * instantiated by relu.c.
 */

/* y = x where x > 0 or x is NaN, else +0: `!(v <= 0)` holds for positives and NaN. */
static void FC_T(fc_relu_forward)(int64_t size, const T *x, T *y, int nthreads)
{
    (void)nthreads;
    #pragma omp parallel for num_threads(nthreads) if(nthreads > 1 && size >= RELU_PAR_MIN) schedule(static)
    for (int64_t i = 0; i < size; i++) {
        T v = x[i];
        y[i] = (v <= (T)0) ? (T)0 : v;
    }
}

/* y = relu(a + b) in one pass (a residual block's sum and ReLU); y may alias a or b. */
static void FC_T(fc_add_relu_forward)(int64_t size, const T *a, const T *b, T *y,
                                      int nthreads)
{
    (void)nthreads;
    #pragma omp parallel for num_threads(nthreads) if(nthreads > 1 && size >= RELU_PAR_MIN) schedule(static)
    for (int64_t i = 0; i < size; i++) {
        T v = a[i] + b[i];
        y[i] = (v <= (T)0) ? (T)0 : v;
    }
}

/* dx = dy where the forward output y > 0, else 0 (dx may alias dy). */
static void FC_T(fc_relu_backward)(int64_t size, const T *dy, const T *y, T *dx,
                                   int nthreads)
{
    (void)nthreads;
    #pragma omp parallel for num_threads(nthreads) if(nthreads > 1 && size >= RELU_PAR_MIN) schedule(static)
    for (int64_t i = 0; i < size; i++) {
        T g = dy[i];  /* loaded unconditionally so the select vectorises */
        dx[i] = (y[i] > (T)0) ? g : (T)0;
    }
}
