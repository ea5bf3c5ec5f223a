/*
 * conv/conv_gemm.c - conv2d on the GEMM engine of gemm/gemm_internal.h, float and double:
 * the implicit-GEMM forward (forward_gemm_tmpl.h), the data gradient (data_gemm_tmpl.h:
 * the rotated-weight forward at stride 1, GEMM and col2im above) and the weight gradient
 * (wgrad_gemm_tmpl.h), on the operands of im2col_tmpl.h and wgrad_pack_tmpl.h.
 *
 * Everything is a GEMM on fc_gemm_serial inside one OpenMP region per call, with work
 * split into tasks whose results never depend on the thread count (see each plan).
 * Scratch comes from fc_scratch_get (one block reused between calls).
 */
#pragma STDC FP_CONTRACT OFF

#include <stdlib.h>
#include <string.h>

#include "conv/conv_internal.h"
#include "core/internal.h"
#include "gemm/gemm_internal.h"
#include "gemm/transpose.h"

#define FC_TMPL "gemm/transpose_tmpl.h"
#include "core/tmpl.h"
#define FC_TMPL "conv/im2col_tmpl.h"
#include "core/tmpl.h"
#define FC_TMPL "conv/wgrad_pack_tmpl.h"
#include "core/tmpl.h"
#define FC_TMPL "conv/forward_gemm_tmpl.h"
#include "core/tmpl.h"
#define FC_TMPL "conv/data_gemm_tmpl.h"
#include "core/tmpl.h"
#define FC_TMPL "conv/wgrad_gemm_tmpl.h"
#include "core/tmpl.h"
