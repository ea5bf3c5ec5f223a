# Recurrent layers (csrc/include/fastconv/rnn.h). Included by _cpu.pyx.
#
# geom = (mode, reverse, seq_len, batch, input_size, hidden_size, y_stride, y_offset):
# mode 0 tanh, 1 relu, 2 LSTM, 3 GRU; reverse 0/1; y (and dy) are (seq_len, batch,
# y_stride) arrays of which this direction owns columns y_offset .. y_offset+hidden.
cimport fastconv._c_rnn as crnn


def rnn_cells_isa() -> str:
    """The instruction set of the recurrent layers' gate kernels on this CPU."""
    return crnn.fc_rnn_cells_isa().decode()


cdef tuple _rnn_geom(tuple geom):
    """The checked geometry: (mode, reverse, S, B, I, H, y_stride, y_offset, gates)."""
    if len(geom) != 8:
        raise ValueError("fastconv._cpu: rnn geometry must have 8 values, got %d"
                         % len(geom))
    mode, reverse, S, B, I, H, ys, yo = [operator.index(v) for v in geom]
    cdef int imode = mode if 0 <= mode <= 3 else -1
    cdef int64_t gates = crnn.fc_rnn_gates(<crnn.fc_rnn_mode> imode) if imode >= 0 else 0
    if gates == 0:
        raise ValueError("fastconv._cpu: rnn mode must be 0..3, got %r" % (mode,))
    if reverse not in (0, 1) or S < 1 or B < 1 or I < 1 or H < 1 or yo < 0 or yo + H > ys:
        raise ValueError("fastconv._cpu: bad rnn geometry %r" % (geom,))
    _check_ranges(geom, (S * B * max(I, ys, 4 * H), gates * H * max(I, H),
                         (S + 1) * B * H * 6), "rnn")
    return (int(mode), int(reverse), int(S), int(B), int(I), int(H), int(ys), int(yo),
            gates)


cdef const int64_t *_rnn_lengths(object lengths, int64_t batch) except? NULL:
    if lengths is None:
        return NULL
    return <const int64_t*> _int_buf(lengths, cnp.NPY_INT64, batch, False, "lengths",
                                     "a C-contiguous int64 array of %d" % batch)


cdef void *_opt(cnp.ndarray a, int code, int64_t size, str name, bint write) except? NULL:
    """Data pointer of an optional array (NULL for None)."""
    if a is None:
        return NULL
    return _out(a, code, size, name) if write else _buf(a, code, size, name)


def rnn_forward(tuple geom, cnp.ndarray x not None, cnp.ndarray w_ih not None,
                cnp.ndarray w_hh not None, cnp.ndarray b_ih, cnp.ndarray b_hh,
                cnp.ndarray h0 not None, cnp.ndarray c0, object lengths,
                cnp.ndarray y not None, cnp.ndarray hn not None, cnp.ndarray cn,
                cnp.ndarray ws not None, int nthreads=1):
    """One direction of a recurrent layer over all steps: writes y's columns, hn, cn
    (LSTM) and the workspace ws that rnn_backward reads. Returns y."""
    mode, reverse, S, B, I, H, ys, yo, G = _rnn_geom(geom)
    cdef int dt = _dtype_code(x)
    cdef bint lstm = mode == 2
    cdef int64_t wsize = crnn.fc_rnn_workspace_size(<crnn.fc_rnn_mode> mode, S, B, H)
    cdef void *px = _buf(x, dt, S * B * I, "x")
    cdef void *pwi = _buf(w_ih, dt, G * H * I, "w_ih")
    cdef void *pwh = _buf(w_hh, dt, G * H * H, "w_hh")
    cdef void *pbi = _opt(b_ih, dt, G * H, "b_ih", False)
    cdef void *pbh = _opt(b_hh, dt, G * H, "b_hh", False)
    cdef void *ph0 = _buf(h0, dt, B * H, "h0")
    cdef void *pc0 = NULL
    cdef void *pcn = NULL
    if lstm:
        if c0 is None or cn is None:
            raise ValueError("fastconv._cpu: an LSTM needs c0 and cn")
        pc0 = _buf(c0, dt, B * H, "c0")
        pcn = _out(cn, dt, B * H, "cn")
    cdef const int64_t *plen = _rnn_lengths(lengths, B)
    cdef char *py = <char*> _out(y, dt, S * B * ys, "y")
    cdef void *phn = _out(hn, dt, B * H, "hn")
    cdef void *pws = _out(ws, dt, wsize, "ws")
    py += yo * cnp.PyArray_ITEMSIZE(y)
    cdef int rc, nt = _threads(nthreads)
    cdef int imode = mode, irev = reverse
    cdef int64_t s = S, b = B, i = I, h = H, st = ys
    with nogil:
        rc = crnn.fc_rnn_forward(<core.fc_dtype> dt, <crnn.fc_rnn_mode> imode, irev, s, b, i,
                                 h, px, pwi, pwh, pbi, pbh, ph0, pc0, plen, py, st, phn, pcn,
                                 pws, nt)
    _check_rc(rc)
    return y


def rnn_backward(tuple geom, cnp.ndarray x not None, cnp.ndarray w_ih not None,
                 cnp.ndarray w_hh not None, object lengths, cnp.ndarray ws not None,
                 cnp.ndarray dy, cnp.ndarray dhn, cnp.ndarray dcn, cnp.ndarray dx,
                 cnp.ndarray dw_ih, cnp.ndarray dw_hh, cnp.ndarray db_ih, cnp.ndarray db_hh,
                 cnp.ndarray dh0, cnp.ndarray dc0, bint accumulate=False, int nthreads=1):
    """Backward of rnn_forward from its workspace: writes every gradient array given
    (None: not wanted); dy, dhn, dcn None count as zero; accumulate adds into dx."""
    mode, reverse, S, B, I, H, ys, yo, G = _rnn_geom(geom)
    cdef int dt = _dtype_code(x)
    cdef bint lstm = mode == 2
    cdef int64_t wsize = crnn.fc_rnn_workspace_size(<crnn.fc_rnn_mode> mode, S, B, H)
    cdef void *px = _buf(x, dt, S * B * I, "x")
    cdef void *pwi = _buf(w_ih, dt, G * H * I, "w_ih")
    cdef void *pwh = _buf(w_hh, dt, G * H * H, "w_hh")
    cdef void *pws = _buf(ws, dt, wsize, "ws")
    cdef const int64_t *plen = _rnn_lengths(lengths, B)
    cdef char *pdy = <char*> _opt(dy, dt, S * B * ys, "dy", False)
    if pdy != NULL:
        pdy += yo * cnp.PyArray_ITEMSIZE(dy)
    cdef void *pdhn = _opt(dhn, dt, B * H, "dhn", False)
    cdef void *pdcn = _opt(dcn, dt, B * H, "dcn", False) if lstm else NULL
    cdef void *pdx = _opt(dx, dt, S * B * I, "dx", True)
    cdef void *pdwi = _opt(dw_ih, dt, G * H * I, "dw_ih", True)
    cdef void *pdwh = _opt(dw_hh, dt, G * H * H, "dw_hh", True)
    cdef void *pdbi = _opt(db_ih, dt, G * H, "db_ih", True)
    cdef void *pdbh = _opt(db_hh, dt, G * H, "db_hh", True)
    cdef void *pdh0 = _opt(dh0, dt, B * H, "dh0", True)
    cdef void *pdc0 = _opt(dc0, dt, B * H, "dc0", True) if lstm else NULL
    cdef int rc, nt = _threads(nthreads)
    cdef int imode = mode, irev = reverse, acc = accumulate
    cdef int64_t s = S, b = B, i = I, h = H, st = ys
    with nogil:
        rc = crnn.fc_rnn_backward(<core.fc_dtype> dt, <crnn.fc_rnn_mode> imode, irev, s, b,
                                  i, h, px, pwi, pwh, plen, pws, pdy, st, pdhn, pdcn, pdx,
                                  acc, pdwi, pdwh, pdbi, pdbh, pdh0, pdc0, nt)
    _check_rc(rc)
    return dx
