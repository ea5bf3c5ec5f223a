/*
 * core/tmpl.h - the one way kernels are written once for float and double.
 *
 * A template is a file named family/name_tmpl.h whose code uses
 *     T               the element type (float or double)
 *     FC_T(name)      name_f32 or name_f64: every function, type and variable a
 *                     template defines is named through it, so that both builds coexist
 *     FC_T_IS_FLOAT   1 for float, 0 for double (type-specific code: #if FC_T_IS_FLOAT)
 * and a .c file (or a header, for declarations) instantiates it for both types with
 *     #define FC_TMPL "family/name_tmpl.h"
 *     #include "core/tmpl.h"
 * This file has no include guard on purpose: each inclusion instantiates FC_TMPL for
 * float, then for double, and undefines FC_TMPL. A template may include other templates
 * (they are then instantiated with it).
 */
#ifndef FC_TMPL
#error "core/tmpl.h: define FC_TMPL as the template to instantiate"
#endif

#include "core/internal.h" /* FC_CAT */

#define FC_T(name) FC_CAT(name, _f32)
#define T float
#define FC_T_IS_FLOAT 1
#include FC_TMPL
#undef FC_T
#undef T
#undef FC_T_IS_FLOAT

#define FC_T(name) FC_CAT(name, _f64)
#define T double
#define FC_T_IS_FLOAT 0
#include FC_TMPL
#undef FC_T
#undef T
#undef FC_T_IS_FLOAT

#undef FC_TMPL
