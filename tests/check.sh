#!/usr/bin/env bash
# check.sh: install what is missing, build, and run the whole test suite (README's second command).
#
#   tests/check.sh            everything: unit + integration tests, the suite under valgrind,
#                             an ASan/UBSan build of the suite, and make distcheck
#   tests/check.sh --quick    unit + integration tests only
#
# Builds happen out of tree under build/ (build/plain, build/asan); nothing else is written.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
quick=0
[ "${1:-}" = "--quick" ] && quick=1
jobs=$(nproc 2>/dev/null || echo 2)

say() { printf '\n== %s\n' "$*"; }

say "installing Debian packages (if missing)"
"$top/tests/setup-debian.sh"

say "generating the build system"
(cd "$top" && ./autogen.sh >/dev/null 2>&1)

passed=0
failed=0
# count PASS/FAIL lines of an automake test-suite.log directory
count_results() {
    local dir=$1 p f
    p=$(grep -h '^:test-result: PASS' "$dir"/tests/*/*.trs 2>/dev/null | wc -l)
    f=$(grep -h -E '^:test-result: (FAIL|ERROR|XPASS)' "$dir"/tests/*/*.trs 2>/dev/null | wc -l)
    passed=$((passed + p))
    failed=$((failed + f))
}

run_suite() { # name, configure args...
    local name=$1; shift
    local dir="$top/build/$name"
    say "build $name ($*)"
    mkdir -p "$dir"
    (cd "$dir" && "$top/configure" -q "$@" && make -s -j"$jobs")
    say "test $name"
    local rc=0
    (cd "$dir" && make -s -j1 check) || rc=$?
    count_results "$dir"
    if [ $rc -ne 0 ]; then
        for log in "$dir"/tests/*/*.log; do
            grep -q -E '^(FAIL|ERROR)' "${log%.log}.trs" 2>/dev/null || grep -q -E ':test-result: (FAIL|ERROR)' "${log%.log}.trs" 2>/dev/null || continue
            echo "---- $log (last 60 lines)"; tail -n 60 "$log"
        done
    fi
    return $rc
}

status=0
run_suite plain || status=1

if [ $quick -eq 0 ]; then
    say "unit tests under valgrind"
    vg_fail=0
    for t in "$top"/build/plain/tests/unit/test_*; do
        case "$t" in *.o|*.log|*.trs|*.c) continue ;; esac
        [ -x "$t" ] || continue
        if valgrind -q --trace-children=yes --trace-children-skip='*/dnsmasq,*/prosody,*/lua*,*/openssl' --leak-check=full --errors-for-leak-kinds=definite,indirect \
                --error-exitcode=99 "$t" >"$t.valgrind.log" 2>&1; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1)); vg_fail=1
            echo "valgrind: $t failed"; tail -n 40 "$t.valgrind.log"
        fi
    done
    [ $vg_fail -eq 0 ] || status=1

    run_suite asan --enable-sanitizers || status=1

    say "make distcheck"
    if (cd "$top/build/plain" && make -s distcheck >distcheck.log 2>&1); then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); status=1
        tail -n 60 "$top/build/plain/distcheck.log"
    fi
fi

say "summary"
echo "$passed passed, $failed failed"
exit $status
