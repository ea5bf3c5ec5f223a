"""Shared geometry lists for the op tests: the odd, small and awkward shapes every op
family must get right (batch 1, one channel, odd sizes, stride > kernel, dilation,
padding, ceil mode), declared once."""

# pooling: (input shape, kernel_size, stride, padding, dilation, ceil_mode)
POOL2D = [
    ((1, 1, 4, 4), 2, None, 0, 1, False),
    ((2, 3, 7, 6), 3, 2, 1, 1, False),                 # overlapping windows, padding
    ((2, 2, 7, 7), 2, None, 0, 1, True),               # ceil_mode adds a partial window
    ((1, 2, 8, 9), (3, 2), (2, 3), (1, 1), (1, 2), True),
    ((2, 1, 9, 9), 3, 1, 1, 2, False),                 # dilation
    ((1, 2, 5, 5), 2, 4, 0, 1, False),                 # stride > kernel
    ((1, 2, 6, 5), (2, 3), 1, (1, 1), 1, True),
]

# the same without dilation (average pooling has none)
POOL2D_NO_DILATION = [g for g in POOL2D if g[4] == 1]

# convolution: (input shape, weight shape, stride, padding, dilation, groups)
CONV2D = [
    ((1, 1, 5, 5), (1, 1, 3, 3), 1, 0, 1, 1),
    ((2, 3, 8, 7), (4, 3, 3, 3), 1, 1, 1, 1),
    ((2, 4, 9, 9), (6, 2, 3, 3), 2, 1, 1, 2),          # groups, stride 2
    ((1, 2, 9, 8), (3, 2, 2, 3), (2, 1), (1, 0), (2, 1), 1),
    ((2, 3, 6, 6), (2, 3, 1, 1), 3, 0, 1, 1),          # stride > kernel
    ((1, 2, 7, 7), (4, 2, 5, 5), 1, 2, 1, 1),
]

# average pooling windows: (input shape, kernel_size, stride). The tests sweep each over
# padding x ceil_mode x count_include_pad x divisor_override (AVG_POOL2D_OPTIONS).
AVG_POOL2D_WINDOWS = [
    ((2, 3, 7, 6), 3, 2),            # overlapping windows; ceil mode adds a clipped one
    ((1, 2, 8, 9), (3, 2), (2, 3)),  # rectangular windows, stride > kernel across
    ((2, 2, 5, 5), 2, None),         # stride defaults to the kernel; odd size
    ((1, 2, 6, 5), (2, 3), 1),       # stride 1
    ((1, 1, 1, 7), 2, 2),            # a window longer than the padded input (ceil mode)
]
# (padding, ceil_mode, count_include_pad, divisor_override); a divisor_override makes
# count_include_pad moot, so it is swept once (with count_include_pad=False)
AVG_POOL2D_OPTIONS = [(p, ceil, cip, div) for p in (0, 1) for ceil in (False, True)
                      for cip, div in ((False, None), (True, None), (False, 3))]

# larger inputs that reach the multi-threaded kernels and their fast paths (no gradcheck):
# (input shape, kernel_size, stride, padding)
AVG_POOL2D_LARGE = [
    ((4, 16, 32, 32), 3, 2, 1),      # ResNet-style 3x3 s2 p1
    ((4, 16, 32, 30), 2, None, 0),   # 2x2
    ((4, 16, 16, 16), 16, None, 0),  # the whole plane (global average)
    ((4, 16, 31, 29), (4, 5), (3, 1), (2, 1)),   # generic window widths
]

# adaptive pooling: (input shape, output_size). Sizes that do and do not divide the input,
# None entries (keep the input's size), outputs larger than the input, global pooling.
ADAPTIVE_POOL2D = [
    ((2, 3, 6, 8), (3, 4)),          # divides: plain windows
    ((2, 3, 7, 6), (3, 4)),          # does not divide: overlapping windows of two sizes
    ((1, 2, 5, 9), (None, 4)),       # None keeps the input's height
    ((2, 2, 3, 4), (5, 7)),          # larger than the input: repeated inputs
    ((2, 3, 6, 5), 1),               # global pooling
    ((1, 2, 8, 9), (2, None)),
]
# larger inputs that reach the multi-threaded kernels and their fast paths (no gradcheck)
ADAPTIVE_POOL2D_LARGE = [
    ((8, 16, 16, 16), 1),            # global (ResNet's head)
    ((4, 16, 32, 32), 7),            # does not divide
    ((4, 16, 28, 28), (7, 4)),       # divides
]
