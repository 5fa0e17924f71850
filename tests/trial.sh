#!/usr/bin/env bash
# trial.sh: install what is missing, build, and run the two-operator trial (README's first command).
#
#   tests/trial.sh             bring the trial up, make one enquiry as alice about bob, print the
#                              steps and the answer, stop everything
#   tests/trial.sh --up        bring it up and stay up; writes ./trial.env for any XMPP client
#   tests/trial.sh --down      stop the trial described by ./trial.env
#   tests/trial.sh --hss-only  only operator A's Prosody and HSS, answering a client's lookup
#   tests/trial.sh --tls ...   the same with TLS everywhere; trial.env names the CA as TRIAL_CA
#   (every option goes to pw-trial: tests/trial.sh --help)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build/plain"

if [ "${1:-}" != "--down" ]; then
    "$top/tests/setup-debian.sh"
    (cd "$top" && [ -x configure ] || ./autogen.sh >/dev/null 2>&1)
    mkdir -p "$build"
    if [ ! -f "$build/Makefile" ]; then
        (cd "$build" && "$top/configure" -q)
    fi
    make -s -C "$build" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
fi
exec "$build/tests/support/pw-trial" "$@"
