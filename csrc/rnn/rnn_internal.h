/*
 * rnn/rnn_internal.h - what the recurrent-layer drivers (rnn.c) and the gate kernels
 * (cells.c) share: one table of row functions per element type and instruction set.
 */
#ifndef FC_RNN_INTERNAL_H
#define FC_RNN_INTERNAL_H

#include <stdint.h>

#include "core/internal.h"

#define FC_TMPL "rnn/cells_decl_tmpl.h"
#include "core/tmpl.h"

#endif /* FC_RNN_INTERNAL_H */
