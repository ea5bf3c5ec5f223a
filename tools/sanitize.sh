#!/usr/bin/env bash
# Build a copy of fastconv with AddressSanitizer + UBSan (FASTCONV_SANITIZE=1) and run the
# native-kernel tests against it on every instruction-set path this CPU has (generic,
# avx2, avx512 through the FASTCONV_ISA cap), with every report fatal.
#
#   tools/sanitize.sh [PYTHON] [pytest args...]     (default PYTHON: .venv/bin/python)
#
# The interpreter is not instrumented, so libasan is preloaded; leak checking is off
# (CPython's own allocations are not ours to judge).
set -euo pipefail

cd "$(dirname "$0")/.."
PY="${1:-.venv/bin/python}"
shift || true
case "$PY" in /*) ;; *) PY="$PWD/$PY" ;; esac   # absolute: the runs below cd into a copy
COPY="$(mktemp -d "${TMPDIR:-/tmp}/fastconv-sanitize.XXXXXX")"
trap 'rm -rf "$COPY"' EXIT

git ls-files -z | xargs -0 -I{} cp --parents {} "$COPY"
echo "== building an ASan+UBSan copy in $COPY"
(cd "$COPY" && FASTCONV_SANITIZE=1 "$PY" setup.py build_ext --inplace -j 2 -q \
    > build.log 2>&1) || { tail -30 "$COPY/build.log"; exit 1; }

LIBASAN="$(${CC:-gcc} -print-file-name=libasan.so)"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
CPU_ISA="$(cd "$COPY" && LD_PRELOAD="$LIBASAN" "$PY" -c \
    'import fastconv._cpu as c; print(c.capabilities()["cpu_isa"])')"
echo "== this CPU runs up to $CPU_ISA"
case "$CPU_ISA" in
    avx512) LEVELS="generic avx2 avx512" ;;
    avx2) LEVELS="generic avx2" ;;
    *) LEVELS="generic" ;;
esac
# the native kernels' tests: ops, functional and the layers built on them
TESTS="tests/ops tests/functional tests/nn/test_fusion_norm.py tests/backends"
status=0
for isa in $LEVELS; do
    echo "== sanitized tests, FASTCONV_ISA=$isa"
    (cd "$COPY" && FASTCONV_ISA="$isa" LD_PRELOAD="$LIBASAN" \
        "$PY" -m pytest $TESTS -q -x -p no:cacheprovider "$@") || status=$?
    [ "$status" -eq 0 ] || break
done
[ "$status" -eq 0 ] && echo "== sanitizers: no report on $LEVELS"
exit "$status"
