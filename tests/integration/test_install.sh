#!/bin/sh
# test_install.sh: `make install DESTDIR=...` gives an operator's host every program, the example
# configuration (never overwriting a changed file), a systemd unit per daemon that systemd accepts,
# the sysusers.d entry and the docs; the installed configuration passes every daemon's
# --check-config; uninstall keeps what the operator changed. Runs from the build directory
# (make check) with PW_INSTALL_BINDIR, _SYSCONFDIR, _UNITDIR, _SYSUSERSDIR, _DOCDIR set by
# Makefile.am.
set -eu

builddir=$(pwd)
stage=$(mktemp -d /tmp/pw-install-XXXXXX)
trap 'rm -rf "$stage"' EXIT INT TERM
failures=0
fail() { echo "test_install: FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "test_install: ok: $*"; }

bin=$stage$PW_INSTALL_BINDIR
etc=$stage$PW_INSTALL_SYSCONFDIR/peerwatch
units=$stage$PW_INSTALL_UNITDIR
daemons="watcher proxy gateway hss presence"
configs="operator.conf watcher.conf proxy.conf gateway.conf hss.conf hss.subscribers presence.conf"

if ! make -s -C "$builddir" install DESTDIR="$stage" >"$stage/install.log" 2>&1; then
    cat "$stage/install.log"
    echo "test_install: FAIL: make install DESTDIR=$stage"
    exit 1
fi

# the programs
for p in $daemons; do
    [ -x "$bin/peerwatch-$p" ] && ok "peerwatch-$p installed" || fail "$bin/peerwatch-$p missing"
done
for p in peer cdr; do
    [ -x "$bin/peerwatch-$p" ] && ok "peerwatch-$p installed" || fail "$bin/peerwatch-$p missing"
done

# the example configuration; the operator file (it holds the secret) not world-readable
for c in $configs; do
    [ -f "$etc/$c" ] || fail "$etc/$c missing"
done
[ "$(stat -c %a "$etc/operator.conf")" = 640 ] && ok "operator.conf is mode 0640" ||
    fail "operator.conf is mode $(stat -c %a "$etc/operator.conf"), not 0640"

# the units: systemd reads each without a word of complaint (their paths moved to the staging
# root so that it can check the commands exist); a unit with a typo must not pass this check
verify_unit() { # unit file -> prints what systemd-analyze says (nothing when all is well)
    copy=$stage/verify/$(basename "$1")
    mkdir -p "$stage/verify"
    sed -e "s|$PW_INSTALL_BINDIR/|$bin/|g" "$1" >"$copy"
    systemd-analyze verify "$copy" 2>&1 || echo "systemd-analyze verify exited $?"
}
for d in $daemons; do
    u=$units/peerwatch-$d.service
    if [ ! -f "$u" ]; then fail "$u missing"; continue; fi
    said=$(verify_unit "$u")
    [ -z "$said" ] && ok "peerwatch-$d.service verifies" || fail "peerwatch-$d.service: $said"
    grep -q '^Type=notify$' "$u" || fail "peerwatch-$d.service is not Type=notify"
    grep -q "^ExecStart=$PW_INSTALL_BINDIR/peerwatch-$d -c $PW_INSTALL_SYSCONFDIR/peerwatch/$d.conf\$" "$u" ||
        fail "peerwatch-$d.service does not start the installed program with its installed config"
done
sed 's/^Restart=on-failure/Restart=on-fialure/' "$units/peerwatch-hss.service" >"$stage/peerwatch-typo.service"
[ -n "$(verify_unit "$stage/peerwatch-typo.service")" ] && ok "a unit with a typo is caught" ||
    fail "the unit check let a typo through"
[ -f "$stage$PW_INSTALL_SYSUSERSDIR/peerwatch.conf" ] && ok "sysusers.d entry installed" || fail "no sysusers.d entry"
[ -f "$stage$PW_INSTALL_DOCDIR/operating.md" ] && ok "docs installed" || fail "docs/operating.md not installed"

# the installed configuration, once the operator's key exists, passes every daemon's check
if "$bin/peerwatch-peer" --config-dir "$etc" keygen >"$stage/keygen.log" 2>&1; then
    for d in $daemons; do
        if "$bin/peerwatch-$d" -c "$etc/$d.conf" --check-config >"$stage/check-$d.log" 2>&1; then
            ok "the installed $d.conf passes --check-config"
        else
            fail "the installed $d.conf: $(cat "$stage/check-$d.log")"
        fi
    done
else
    fail "peerwatch-peer keygen: $(cat "$stage/keygen.log")"
fi

# a second install keeps what the operator changed; the new example goes beside it
echo "# changed by the operator" >>"$etc/proxy.conf"
cp "$etc/proxy.conf" "$stage/proxy.changed"
make -s -C "$builddir" install DESTDIR="$stage" >"$stage/install2.log" 2>&1 || fail "the second make install failed"
cmp -s "$etc/proxy.conf" "$stage/proxy.changed" && ok "a changed config survives make install" ||
    fail "make install overwrote the operator's proxy.conf"
[ -f "$etc/proxy.conf.dist" ] && ok "the new example is proxy.conf.dist" || fail "no proxy.conf.dist beside the changed file"
[ ! -e "$etc/watcher.conf.dist" ] || fail "watcher.conf.dist made for an unchanged file"

# uninstall removes what is still the example and keeps the operator's file
make -s -C "$builddir" uninstall DESTDIR="$stage" >"$stage/uninstall.log" 2>&1 || fail "make uninstall failed"
[ -f "$etc/proxy.conf" ] && ok "uninstall keeps the changed proxy.conf" || fail "uninstall removed the operator's proxy.conf"
[ ! -e "$etc/watcher.conf" ] || fail "uninstall left the unchanged watcher.conf"
[ ! -e "$bin/peerwatch-watcher" ] || fail "uninstall left the programs"

if [ $failures -gt 0 ]; then
    echo "test_install: $failures failure(s)"
    exit 1
fi
echo "test_install: make install and uninstall do what an operator's host needs"
