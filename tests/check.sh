#!/usr/bin/env bash
# check.sh: install what is missing, build, and run the whole test suite (README's second command).
#
#   tests/check.sh            everything: unit + integration tests (A and B on Prosody), the
#                             integration tests again on the other server pairs (ejabberd,ejabberd;
#                             prosody,ejabberd; ejabberd,prosody; prosody,ejabberd-cluster: B on
#                             two ejabberd nodes), the TLS trial on ejabberd,ejabberd
#                             (make check-tls-pair), each operator on its own network on
#                             prosody,ejabberd (make check-netns-pair), the chain and
#                             subscription tests with each operator on its own network and a
#                             WAN of 40 ms ± 10 ms and 1 % loss between them (make check-wan),
#                             the unit tests under valgrind,
#                             an ASan/UBSan build of the suite (but test_federation_faults:
#                             make check-sanitizers), the fuzz targets (20 s each),
#                             and make distcheck (make distcheck-lean: from the tarball, the unit
#                             tests, the installed layout and one trial)
#   tests/check.sh --quick    unit + integration tests on prosody,prosody only
#
# Builds happen out of tree under build/ (build/plain, build/asan, build/fuzz); nothing else is written.
# Each stage's heading gives the minutes since the start. The ASan and fuzzing builds compile at
# nice 19 while the server pairs' tests run (those mostly wait on servers and timers), so that the
# whole run stays within CI's budget on a 2-core machine.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
quick=0
[ "${1:-}" = "--quick" ] && quick=1
jobs=$(nproc 2>/dev/null || echo 2)

started=$(date +%s)
say() { printf '\n== [%d:%02d] %s\n' $((($(date +%s) - started) / 60)) $((($(date +%s) - started) % 60)) "$*"; }

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

# Configure and build one tree under build/, with its test programs (the make target "tests")
# or one make target: build NAME tests|TARGET [ENV=VALUE...] -- CONFIGURE-ARGS...
build() {
    local name=$1 target=$2; shift 2
    local dir="$top/build/$name" envs=()
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    mkdir -p "$dir"
    (cd "$dir" && env "${envs[@]}" "$top/configure" -q "$@" || exit
     if [ "$target" = tests ]; then
         make -s -j"$jobs" && make -s -j"$jobs" check TESTS= >/dev/null
     else
         make -s -j"$jobs" "$target"
     fi)
}

# Start build() at nice 19 in the background, its output in build/NAME.log; wait_build NAME
# waits for it, prints that log if it failed, and returns its status.
declare -A build_pid
build_in_background() {
    local name=$1
    mkdir -p "$top/build"
    (renice -n 19 -p "$BASHPID" >/dev/null; build "$@") >"$top/build/$name.log" 2>&1 &
    build_pid[$name]=$!
}
wait_build() {
    local name=$1 rc=0
    wait "${build_pid[$name]}" || rc=$?
    [ $rc -eq 0 ] || { echo "build $name failed:"; tail -n 60 "$top/build/$name.log"; }
    return $rc
}

run_suite() { # name, make target, configure args...; with PW_PREBUILT=1 the tree is built already
    local name=$1 target=$2; shift 2
    local dir="$top/build/$name"
    if [ "${PW_PREBUILT:-0}" != 1 ]; then
        say "build $name ($*)"
        build "$name" tests -- "$@"
    fi
    say "test $name"
    local rc=0
    (cd "$dir" && make -s -j1 "$target") || rc=$?
    count_results "$dir"
    if [ $rc -ne 0 ]; then
        for log in "$dir"/tests/*/*.log; do
            grep -q -E '^(FAIL|ERROR)' "${log%.log}.trs" 2>/dev/null || grep -q -E ':test-result: (FAIL|ERROR)' "${log%.log}.trs" 2>/dev/null || continue
            echo "---- $log (last 60 lines)"; tail -n 60 "$log"
        done
    fi
    return $rc
}

# Integration tests on one pair A,B: by default those that run on any pair (make check-pair,
# Makefile.am PW_PAIR_TESTS); with a target, what that one runs (check-tls-pair: the TLS trial;
# check-netns-pair: the trial on separate networks; check-wan: the chain and subscription
# tests over a WAN, on Prosody).
run_pair() { # pair [target]
    local pair=$1 target=${2:-check-pair} dir="$top/build/plain" rc=0 p f
    say "integration tests on $pair (operator A's server, B's): make $target"
    rm -f "$dir/test-suite.log"
    touch "$dir/pair-start.stamp"
    (cd "$dir" && PWT_SERVERS=$pair make -s "$target") || rc=$?
    p=$(awk '/^# PASS:/ { n += $3 } END { print n + 0 }' "$dir/test-suite.log" 2>/dev/null)
    f=$(awk '/^# (FAIL|ERROR|XPASS):/ { n += $3 } END { print n + 0 }' "$dir/test-suite.log" 2>/dev/null)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    if [ $rc -ne 0 ]; then
        [ "${f:-0}" -gt 0 ] || failed=$((failed + 1)) # make failed without a FAIL line
        for log in "$dir"/tests/integration/*.log; do
            [ "${log%.log}.trs" -nt "$dir/pair-start.stamp" ] || continue # not run on this pair
            grep -q -E ':test-result: (FAIL|ERROR)' "${log%.log}.trs" 2>/dev/null || continue
            echo "---- $pair: $log (last 60 lines)"; tail -n 60 "$log"
        done
    fi
    return $rc
}

status=0
run_suite plain check || status=1

if [ $quick -eq 0 ]; then
    say "building the ASan/UBSan and fuzzing trees in the background (nice 19)"
    build_in_background asan tests -- --enable-sanitizers
    build_in_background fuzz fuzz-targets CC=clang -- --enable-fuzzing
    for pair in ejabberd,ejabberd prosody,ejabberd ejabberd,prosody prosody,ejabberd-cluster; do
        run_pair "$pair" || status=1
    done
    # the TLS trial on one pair with ejabberd, not on every pair: CI time (Makefile.am)
    run_pair ejabberd,ejabberd check-tls-pair || status=1
    # separate networks with ejabberd beside Prosody (on prosody,prosody in run_suite above)
    run_pair prosody,ejabberd check-netns-pair || status=1
    run_pair prosody,prosody check-wan || status=1

    say "unit tests under valgrind"
    vg_fail=0
    # one valgrind per test binary, $jobs at a time; each writes TEST.valgrind.log and TEST.vgrc
    vg_list=()
    for t in "$top"/build/plain/tests/unit/test_*; do
        case "$t" in *.o|*.log|*.trs|*.c|*.vgrc) continue ;; esac
        [ -x "$t" ] && vg_list+=("$t")
    done
    printf '%s\n' "${vg_list[@]}" | xargs -P "$jobs" -I{} sh -c \
        'valgrind -q --trace-children=yes --trace-children-skip="*/dnsmasq,*/prosody,*/lua*,*/openssl" \
             --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
             "$1" >"$1.valgrind.log" 2>&1; echo $? >"$1.vgrc"' sh {}
    for t in "${vg_list[@]}"; do
        if [ "$(cat "$t.vgrc" 2>/dev/null)" = 0 ]; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1)); vg_fail=1
            echo "valgrind: $t failed"; tail -n 40 "$t.valgrind.log"
        fi
    done
    [ $vg_fail -eq 0 ] || status=1

    say "waiting for the ASan/UBSan build"
    if wait_build asan; then
        PW_PREBUILT=1 run_suite asan check-sanitizers --enable-sanitizers || status=1
    else
        failed=$((failed + 1)); status=1
    fi

    say "fuzz (CC=clang --enable-fuzzing, 20 s per target)"
    fz_dir="$top/build/fuzz"
    if wait_build fuzz; then
        fz_rc=0
        "$top/tests/fuzz/run.sh" "$fz_dir" 20 >"$fz_dir/fuzz.log" 2>&1 || fz_rc=$?
        cat "$fz_dir/fuzz.log"
        p=$(grep -c '^PASS ' "$fz_dir/fuzz.log" || true)
        f=$(grep -c '^FAIL ' "$fz_dir/fuzz.log" || true)
        passed=$((passed + p))
        failed=$((failed + f))
        if [ $fz_rc -ne 0 ]; then
            status=1
            [ "$f" -gt 0 ] || failed=$((failed + 1)) # run.sh failed without a FAIL line
        fi
    else
        failed=$((failed + 1)); status=1
        echo "fuzz: the fuzzing build failed"
    fi

    say "make distcheck (lean: the tarball's build runs the unit tests and two integration tests)"
    if (cd "$top/build/plain" && make -s distcheck-lean >distcheck.log 2>&1); then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); status=1
        tail -n 60 "$top/build/plain/distcheck.log"
    fi
fi

say "summary"
echo "$passed passed, $failed failed"
exit $status
