#!/usr/bin/env bash
# run.sh: run every libFuzzer target of a fuzzing build for a while on a copy of its seed corpus.
#
#   tests/fuzz/run.sh [BUILD_DIR [SECONDS]]     defaults: build/fuzz, 20 s per target (CI's short run)
#   tests/fuzz/run.sh -n RUNS [-t SECONDS] [-o TARGET[,TARGET...]] [BUILD_DIR]
#                                               the deep run: each target until RUNS executions
#                                               (libFuzzer -runs), cut at SECONDS when given
#
# -o runs only the named targets (e.g. -o fuzz_role_hss,fuzz_dns), in that order.
# Builds nothing (configure with CC=clang --enable-fuzzing and `make fuzz-targets` first).
# Targets run one at a time. Prints one line per target: PASS/FAIL, executions, executions per
# second, wall time, coverage (edges and features); with -n, a target cut by -t before RUNS says
# so. Exits non-zero when any target crashed, leaked, timed out or could not run. Crash inputs
# and logs are kept in the work directory named on the FAIL line; the source corpus is never
# written. docs/fuzzing.md says how the figures of a deep run are recorded.
set -uo pipefail

usage() { echo "usage: $0 [-n RUNS [-t SECONDS]] [-o TARGET[,TARGET...]] [BUILD_DIR [SECONDS]]" >&2; exit 2; }

runs=0
cap=0
only=""
while getopts "n:t:o:h" opt; do
    case "$opt" in
        n) runs=$OPTARG ;;
        t) cap=$OPTARG ;;
        o) only=$OPTARG ;;
        *) usage ;;
    esac
done
shift $((OPTIND - 1))
case "$runs$cap" in *[!0-9]*) usage ;; esac

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build/fuzz}
secs=${2:-20}
corpus_src="$top/tests/fuzz/corpus"
build=$(cd "$build" 2>/dev/null && pwd) || { echo "run.sh: no build directory ${1:-build/fuzz}" >&2; exit 2; }

targets=()
if [ -n "$only" ]; then
    for name in ${only//,/ }; do
        [ -x "$build/tests/fuzz/$name" ] || { echo "run.sh: no program $build/tests/fuzz/$name" >&2; exit 2; }
        targets+=("$build/tests/fuzz/$name")
    done
else
    for t in "$build"/tests/fuzz/fuzz_*; do
        case "$t" in *.o|*.log|*.c|*.h) continue ;; esac
        [ -x "$t" ] && [ -f "$t" ] && targets+=("$t")
    done
fi
if [ ${#targets[@]} -eq 0 ]; then
    echo "run.sh: no fuzz_* programs in $build/tests/fuzz (configure CC=clang --enable-fuzzing; make fuzz-targets)" >&2
    exit 2
fi

# how long: a time (the short run), or a number of executions with an optional time cap
if [ "$runs" -gt 0 ]; then
    limit=(-runs="$runs" -max_total_time="$cap")
else
    limit=(-max_total_time="$secs")
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/pw-fuzz-run-XXXXXX")
failed=0
for t in "${targets[@]}"; do
    name=$(basename "$t")
    dir="$work/$name"
    mkdir -p "$dir/corpus" "$dir/artifacts"
    [ -d "$corpus_src/$name" ] && cp -R "$corpus_src/$name/." "$dir/corpus/"
    rc=0
    start=$(date +%s.%N)
    (cd "$dir" && ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
        UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
        "$t" "${limit[@]}" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -close_fd_mask=1 -artifact_prefix="$dir/artifacts/" \
        "$dir/corpus" >"$dir/log" 2>&1) || rc=$?
    wall=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -n 1)
    cov=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE|INITED)' "$dir/log" | tail -n 1 |
        sed -n 's/.*cov: \([0-9]*\).*ft: \([0-9]*\).*/\1 edges, \2 features/p')
    short=""
    [ "$runs" -gt 0 ] && [ $rc -eq 0 ] && [ "${execs:-0}" -lt "$runs" ] && short="  (cut at ${cap} s before $runs)"
    line=$(printf '%-22s %10s execs  %6s exec/s  %6s s  %s' "$name" "${execs:-?}" "${rate:-?}" \
        "$wall" "${cov:-cov ?}")
    if [ $rc -eq 0 ]; then
        echo "PASS $line$short"
    else
        failed=$((failed + 1))
        echo "FAIL $line  (exit $rc; log and inputs in $dir)"
        grep -E -m 3 'ERROR: |SUMMARY: |runtime error' "$dir/log" | sed 's/^/    /'
    fi
done

if [ $failed -eq 0 ]; then
    rm -rf "$work"
    exit 0
fi
exit 1
