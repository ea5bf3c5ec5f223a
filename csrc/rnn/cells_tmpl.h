/*
 * rnn/cells_tmpl.h - the gate nonlinearities of one batch row at one step, forward and
 * backward, for one element type (a template: see core/tmpl.h) and one instruction set:
 * cells.c instantiates it with RNN_ISA (the names' suffix: _generic, _avx2, _avx512) and
 * RNN_TARGET (a target attribute, empty for generic) defined. Each loop runs over the
 * H hidden units of the row, unit-stride, and vectorises; the equations are those of
 * fastconv/rnn.h.
 *
 * Conventions: g is the row of the workspace's gates (pre-activations on entry to a
 * forward, activations after), bias the gates' bias (b_ih + b_hh; zeros without bias),
 * dh the gradient carried from later steps and dy the output's, summed here.
 */
#define CN_(name) FC_CAT(FC_T(name), RNN_ISA)
#define SIG_ FC_T(rnn_sigmoid)
#define TANH_ FC_T(rnn_tanh)
#define SEL_ FC_T(rnn_select)

/* tanh/relu: h' = act(g + bias), kept in g, h and y. */
RNN_TARGET static void CN_(act_fwd)(int64_t H, int relu, T *restrict g,
                                    const T *restrict bias, T *restrict h, T *restrict y)
{
    if (relu) {
        for (int64_t j = 0; j < H; j++) {
            T v = g[j] + bias[j];
            v = v <= (T)0 ? (T)0 : v; /* NaN passes through */
            g[j] = v;
            h[j] = v;
            y[j] = v;
        }
    } else {
        for (int64_t j = 0; j < H; j++) {
            T v = TANH_(g[j] + bias[j]);
            g[j] = v;
            h[j] = v;
            y[j] = v;
        }
    }
}

/* dg = (dh + dy) * act'(a), a = g the forward output. */
RNN_TARGET static void CN_(act_bwd)(int64_t H, int relu, const T *restrict g,
                                    const T *restrict dh, const T *restrict dy,
                                    T *restrict dg)
{
    if (relu) {
        for (int64_t j = 0; j < H; j++) {
            T d = dh[j] + dy[j];
            dg[j] = SEL_(g[j] > (T)0, d, (T)0);
        }
    } else {
        for (int64_t j = 0; j < H; j++) {
            T d = dh[j] + dy[j];
            dg[j] = d * ((T)1 - g[j] * g[j]);
        }
    }
}

/* LSTM: g (4H) = i f g o pre-activations -> activations; c' = f c + i g, h' = o tanh(c'). */
RNN_TARGET static void CN_(lstm_fwd)(int64_t H, T *restrict g, const T *restrict bias,
                                     const T *restrict c, T *restrict c_new,
                                     T *restrict h, T *restrict y)
{
    T *restrict gi = g, *restrict gf = g + H, *restrict gg = g + 2 * H,
      *restrict go = g + 3 * H;
    for (int64_t j = 0; j < H; j++) {
        T i = SIG_(gi[j] + bias[j]);
        T f = SIG_(gf[j] + bias[H + j]);
        T u = TANH_(gg[j] + bias[2 * H + j]);
        T o = SIG_(go[j] + bias[3 * H + j]);
        T cn = f * c[j] + i * u;
        T hv = o * TANH_(cn);
        gi[j] = i;
        gf[j] = f;
        gg[j] = u;
        go[j] = o;
        c_new[j] = cn;
        h[j] = hv;
        y[j] = hv;
    }
}

/* LSTM backward: dc carries d(c') in and d(c) out; dg (4H) = the pre-activation grads. */
RNN_TARGET static void CN_(lstm_bwd)(int64_t H, const T *restrict g, const T *restrict c,
                                     const T *restrict c_new, const T *restrict dh,
                                     const T *restrict dy, T *restrict dc, T *restrict dg)
{
    const T *restrict gi = g, *restrict gf = g + H, *restrict gg = g + 2 * H,
            *restrict go = g + 3 * H;
    for (int64_t j = 0; j < H; j++) {
        T i = gi[j], f = gf[j], u = gg[j], o = go[j];
        T tc = TANH_(c_new[j]);
        T d = dh[j] + dy[j];
        T dcv = dc[j] + d * o * ((T)1 - tc * tc);
        dc[j] = dcv * f;
        dg[j] = dcv * u * i * ((T)1 - i);
        dg[H + j] = dcv * c[j] * f * ((T)1 - f);
        dg[2 * H + j] = dcv * i * ((T)1 - u * u);
        dg[3 * H + j] = d * tc * o * ((T)1 - o);
    }
}

/* GRU: g holds W_ih x (3H) on entry, gh = W_hh h (3H); bi, bh the two biases.
 * Stores r z n and W_hn h + b_hn in g (4H). */
RNN_TARGET static void CN_(gru_fwd)(int64_t H, T *restrict g, const T *restrict gh,
                                    const T *restrict bi, const T *restrict bh,
                                    const T *restrict h, T *restrict h_new, T *restrict y)
{
    for (int64_t j = 0; j < H; j++) {
        T r = SIG_((g[j] + bi[j]) + (gh[j] + bh[j]));
        T z = SIG_((g[H + j] + bi[H + j]) + (gh[H + j] + bh[H + j]));
        T hn = gh[2 * H + j] + bh[2 * H + j];
        T n = TANH_((g[2 * H + j] + bi[2 * H + j]) + r * hn);
        T hv = (h[j] - n) * z + n;
        g[j] = r;
        g[H + j] = z;
        g[2 * H + j] = n;
        g[3 * H + j] = hn;
        h_new[j] = hv;
        y[j] = hv;
    }
}

/* GRU backward: dgi (3H) the grads of W_ih x + b_ih, dgh (3H) those of W_hh h + b_hh,
 * direct = dh' * z (the part of d(h) that bypasses W_hh). */
RNN_TARGET static void CN_(gru_bwd)(int64_t H, const T *restrict g, const T *restrict h,
                                    const T *restrict dh, const T *restrict dy,
                                    T *restrict dgi, T *restrict dgh, T *restrict direct)
{
    for (int64_t j = 0; j < H; j++) {
        T r = g[j], z = g[H + j], n = g[2 * H + j], hn = g[3 * H + j];
        T d = dh[j] + dy[j];
        T dnp = d * ((T)1 - z) * ((T)1 - n * n);
        T drp = dnp * hn * r * ((T)1 - r);
        T dzp = d * (h[j] - n) * z * ((T)1 - z);
        direct[j] = d * z;
        dgi[j] = drp;
        dgi[H + j] = dzp;
        dgi[2 * H + j] = dnp;
        dgh[j] = drp;
        dgh[H + j] = dzp;
        dgh[2 * H + j] = dnp * r;
    }
}

static const FC_T(rnn_cells) CN_(rnn_cells) = {
    CN_(act_fwd), CN_(act_bwd), CN_(lstm_fwd), CN_(lstm_bwd), CN_(gru_fwd), CN_(gru_bwd)};

#undef CN_
#undef SIG_
#undef TANH_
#undef SEL_
