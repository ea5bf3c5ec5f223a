"""Array-generic recurrent layers: the oracle of csrc/rnn (same geometry, same workspace).

One loop over time steps (each step whole-batch array math, no loop over elements),
the same equations, masks and workspace layout as csrc/include/fastconv/rnn.h: the
gates of every step (after their activations), then the states in time order, then
(LSTM) the cell states. Padded steps (t >= lengths[b]) carry the state over and give
0 outputs; their gradients are 0.
"""
from ._common import _xp

_GATES = (1, 1, 4, 3)


def _layout(geom, ws, xp):
    mode, reverse, S, B, _, H, _, _ = geom
    cols = 4 * H if mode >= 2 else H
    n_g, n_s = S * B * cols, (S + 1) * B * H
    gates = ws[:n_g].reshape(S, B, cols)
    hs = ws[n_g:n_g + n_s].reshape(S + 1, B, H)
    cs = ws[n_g + n_s:n_g + 2 * n_s].reshape(S + 1, B, H) if mode == 2 else None
    return gates, hs, cs


def _blocks(reverse, t):
    """(block of the state before step t, block of the state after it) in hs/cs."""
    return (t + 1, t) if reverse else (t, t + 1)


def _active(lengths, S, B, xp):
    """(S, B, 1) bool: step t of sequence b is real."""
    if lengths is None:
        return xp.ones((S, B, 1), dtype=bool)
    lengths = xp.asarray(lengths)
    return (xp.arange(S)[:, None] < lengths[None, :])[:, :, None]


def _sigmoid(xp, v):
    e = xp.exp(-xp.abs(v))   # never overflows
    return xp.where(v >= 0, 1 / (1 + e), e / (1 + e))


def _zeros_or(b, n, dtype, xp):
    return xp.zeros(n, dtype=dtype) if b is None else b


def rnn_forward(geom, x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, y, hn, cn, ws,
                nthreads=1):
    """One direction of a layer over all steps: y's columns, hn, cn (LSTM) and ws."""
    mode, reverse, S, B, I, H, ys, yo = geom
    xp = _xp(x)
    G = _GATES[mode]
    gates, hs, cs = _layout(geom, ws, xp)
    yv = y.reshape(S, B, ys)
    bi = _zeros_or(b_ih, G * H, x.dtype, xp)
    bh = _zeros_or(b_hh, G * H, x.dtype, xp)
    proj = (x.reshape(S * B, I) @ w_ih.T).reshape(S, B, G * H)
    active = _active(lengths, S, B, xp)
    first, last = (S, 0) if reverse else (0, S)
    hs[first] = h0.reshape(B, H)
    if mode == 2:
        cs[first] = c0.reshape(B, H)
    for t in (range(S - 1, -1, -1) if reverse else range(S)):
        pb, nb = _blocks(reverse, t)
        hp, gh = hs[pb], hs[pb] @ w_hh.T
        gi = proj[t]
        if mode == 3:
            r = _sigmoid(xp, (gi[:, :H] + bi[:H]) + (gh[:, :H] + bh[:H]))
            z = _sigmoid(xp, (gi[:, H:2 * H] + bi[H:2 * H]) + (gh[:, H:2 * H] + bh[H:2 * H]))
            ghn = gh[:, 2 * H:] + bh[2 * H:]
            n = xp.tanh((gi[:, 2 * H:] + bi[2 * H:]) + r * ghn)
            h = (hp - n) * z + n
            gates[t] = xp.concatenate([r, z, n, ghn], axis=1)
        else:
            pre = (gi + gh) + (bi + bh)
            if mode == 2:
                i, f = _sigmoid(xp, pre[:, :H]), _sigmoid(xp, pre[:, H:2 * H])
                g, o = xp.tanh(pre[:, 2 * H:3 * H]), _sigmoid(xp, pre[:, 3 * H:])
                c = f * cs[pb] + i * g
                h = o * xp.tanh(c)
                gates[t] = xp.concatenate([i, f, g, o], axis=1)
                cs[nb] = xp.where(active[t], c, cs[pb])
            else:
                h = xp.where(pre > 0, pre, 0) if mode == 1 else xp.tanh(pre)
                gates[t] = h
        hs[nb] = xp.where(active[t], h, hp)
        yv[t, :, yo:yo + H] = xp.where(active[t], h, 0)
    hn[...] = hs[last]
    if mode == 2:
        cn[...] = cs[last]
    return y


def rnn_backward(geom, x, w_ih, w_hh, lengths, ws, dy, dhn, dcn, dx, dw_ih, dw_hh, db_ih,
                 db_hh, dh0, dc0, accumulate=False, nthreads=1):
    """Gradients of rnn_forward from its workspace into the arrays given (None: skip)."""
    mode, reverse, S, B, I, H, ys, yo = geom
    xp = _xp(x)
    G = _GATES[mode]
    gates, hs, cs = _layout(geom, ws, xp)
    active = _active(lengths, S, B, xp)
    dyv = None if dy is None else dy.reshape(S, B, ys)[:, :, yo:yo + H]
    dh = xp.zeros((B, H), dtype=x.dtype) if dhn is None else dhn.reshape(B, H).copy()
    dc = None
    if mode == 2:
        dc = xp.zeros((B, H), dtype=x.dtype) if dcn is None else dcn.reshape(B, H).copy()
    dgi = xp.zeros((S, B, G * H), dtype=x.dtype)
    dgh = xp.zeros((S, B, G * H), dtype=x.dtype) if mode == 3 else dgi
    for t in (range(S) if reverse else range(S - 1, -1, -1)):
        pb, nb = _blocks(reverse, t)
        on = active[t]
        d = dh if dyv is None else dh + dyv[t]
        g = gates[t]
        direct = 0
        if mode == 2:
            i, f, u, o = g[:, :H], g[:, H:2 * H], g[:, 2 * H:3 * H], g[:, 3 * H:]
            tc = xp.tanh(cs[nb])
            dcv = dc + d * o * (1 - tc * tc)
            step = xp.concatenate([dcv * u * i * (1 - i), dcv * cs[pb] * f * (1 - f),
                                   dcv * i * (1 - u * u), d * tc * o * (1 - o)], axis=1)
            dc = xp.where(on, dcv * f, dc)
        elif mode == 3:
            r, z, n, ghn = g[:, :H], g[:, H:2 * H], g[:, 2 * H:3 * H], g[:, 3 * H:]
            dnp = d * (1 - z) * (1 - n * n)
            drp = dnp * ghn * r * (1 - r)
            dzp = d * (hs[pb] - n) * z * (1 - z)
            direct = d * z
            step = xp.concatenate([drp, dzp, dnp], axis=1)
            dgh[t] = xp.where(on, xp.concatenate([drp, dzp, dnp * r], axis=1), 0)
        else:
            step = xp.where(g > 0, d, 0) if mode == 1 else d * (1 - g * g)
        dgi[t] = xp.where(on, step, 0)
        dh = xp.where(on, direct + dgh[t] @ w_hh, dh)
    rows_i = dgi.reshape(S * B, G * H)
    rows_h = dgh.reshape(S * B, G * H)
    prev = hs[1:] if reverse else hs[:-1]
    if dw_ih is not None:
        dw_ih[...] = rows_i.T @ x.reshape(S * B, I)
    if dw_hh is not None:
        dw_hh[...] = rows_h.T @ prev.reshape(S * B, H)
    if db_ih is not None:
        db_ih[...] = rows_i.sum(axis=0)
    if db_hh is not None:
        db_hh[...] = rows_h.sum(axis=0)
    if dx is not None:
        grad = (rows_i @ w_ih).reshape(dx.shape)
        if accumulate:
            dx += grad
        else:
            dx[...] = grad
    if dh0 is not None:
        dh0[...] = dh
    if dc0 is not None and mode == 2:
        dc0[...] = dc
    return dx
