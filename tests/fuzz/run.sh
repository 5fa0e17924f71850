#!/usr/bin/env bash
# run.sh: run every libFuzzer target of a fuzzing build for a while on a copy of its seed corpus.
#
#   tests/fuzz/run.sh [BUILD_DIR [SECONDS]]     defaults: build/fuzz, 20 s per target
#
# Builds nothing (configure with CC=clang --enable-fuzzing and `make fuzz-targets` first).
# Prints one line per target (PASS/FAIL, executions, coverage); exits non-zero when any
# target crashed, leaked, timed out or could not run. Crash inputs and logs are kept in
# the work directory named on the FAIL line; the source corpus is never written.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build/fuzz}
secs=${2:-20}
corpus_src="$top/tests/fuzz/corpus"
build=$(cd "$build" 2>/dev/null && pwd) || { echo "run.sh: no build directory ${1:-build/fuzz}" >&2; exit 2; }

targets=()
for t in "$build"/tests/fuzz/fuzz_*; do
    case "$t" in *.o|*.log|*.c|*.h) continue ;; esac
    [ -x "$t" ] && [ -f "$t" ] && targets+=("$t")
done
if [ ${#targets[@]} -eq 0 ]; then
    echo "run.sh: no fuzz_* programs in $build/tests/fuzz (configure CC=clang --enable-fuzzing; make fuzz-targets)" >&2
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/pw-fuzz-run-XXXXXX")
failed=0
for t in "${targets[@]}"; do
    name=$(basename "$t")
    dir="$work/$name"
    mkdir -p "$dir/corpus" "$dir/artifacts"
    [ -d "$corpus_src/$name" ] && cp -R "$corpus_src/$name/." "$dir/corpus/"
    rc=0
    (cd "$dir" && ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
        UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
        "$t" -max_total_time="$secs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -close_fd_mask=1 -artifact_prefix="$dir/artifacts/" \
        "$dir/corpus" >"$dir/log" 2>&1) || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
    cov=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE|INITED)' "$dir/log" | tail -n 1 |
        sed -n 's/.*cov: \([0-9]*\).*ft: \([0-9]*\).*/\1 edges, \2 features/p')
    if [ $rc -eq 0 ]; then
        printf 'PASS %-22s %10s execs  %s\n' "$name" "${execs:-?}" "${cov:-cov ?}"
    else
        failed=$((failed + 1))
        printf 'FAIL %-22s %10s execs  %s  (exit %d; log and inputs in %s)\n' \
            "$name" "${execs:-?}" "${cov:-cov ?}" "$rc" "$dir"
        grep -E -m 3 'ERROR: |SUMMARY: |runtime error' "$dir/log" | sed 's/^/    /'
    fi
done

if [ $failed -eq 0 ]; then
    rm -rf "$work"
    exit 0
fi
exit 1
