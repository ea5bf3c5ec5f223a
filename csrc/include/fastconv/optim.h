/*
 * fastconv/optim.h - optimizer updates (conventions: see fastconv.h).
 */
#ifndef FASTCONV_OPTIM_H
#define FASTCONV_OPTIM_H

#include "fastconv/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* SGD step of one parameter p (size elements) with gradient g: with a momentum buffer
 * buf, buf = g on the first step (first != 0) else buf * momentum + g, then
 * p -= buf * lr; with buf NULL, p -= g * lr. Each operation rounded to the type; large
 * updates split over nthreads (elementwise: the same bits for any count). */
void fc_sgd_update(fc_dtype dt, int64_t size, void *p, const void *g, void *buf, double lr,
                   double momentum, int first, int nthreads);

#ifdef __cplusplus
}
#endif
#endif /* FASTCONV_OPTIM_H */
