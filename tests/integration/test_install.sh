#!/bin/sh
# test_install.sh: `make install DESTDIR=...` gives an operator's host every program and its man page, the example configuration, systemd units, the sysusers.d entry and the docs.
# The example configuration is never overwritten once changed; systemd accepts every unit; the
# installed configuration passes every daemon's --check-config; every man page renders cleanly
# and names every option its program prints; uninstall keeps what the operator changed. Runs from the build directory
# (make check) with PW_INSTALL_BINDIR, _SYSCONFDIR, _UNITDIR, _SYSUSERSDIR, _DOCDIR, _MANDIR set
# by Makefile.am.
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
man=$stage$PW_INSTALL_MANDIR
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
# root so that it can check the commands exist, and the installed man pages on MANPATH so that
# it can check their Documentation=); a unit with a typo must not pass this check
verify_unit() { # unit file -> prints what systemd-analyze says (nothing when all is well)
    copy=$stage/verify/$(basename "$1")
    mkdir -p "$stage/verify"
    sed -e "s|$PW_INSTALL_BINDIR/|$bin/|g" "$1" >"$copy"
    MANPATH=$man systemd-analyze verify "$copy" 2>&1 || echo "systemd-analyze verify exited $?"
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

# the man pages: every program has its page (8 the daemons, 1 the tools), and peerwatch.conf(5);
# each renders without a warning, and names every option its program prints, so a page cannot
# drift from the option tables. A broken page must not pass these checks.
render_warnings() { # page -> what man and groff say while rendering it (nothing when all is well)
    MANWIDTH=80 man --warnings -E UTF-8 -l "$1" 2>&1 >/dev/null || echo "man -l exited $?"
    groff -man -Tutf8 -ww -z "$1" 2>&1 || echo "groff exited $?"
}
page_options() { # page -> "[section] key" for every option and "[section]" for every section it shows
    MANWIDTH=250 man -E UTF-8 -l "$1" 2>/dev/null | col -bx | awk '
        /^[^ ]/ { sec = "" }
        /^   \[[^]]*\]$/ { sec = $1; print sec; next }
        sec != "" && /^       [a-z0-9_]+ = / { print sec, $1 }' | sort -u
}
help_options() { # program operator|role -> the same for its --help-config: the operator file's part or the role's
    "$1" --help-config | awk -v part="$2" '
        /^# this role/ { role = 1 }
        (part == "role") != (role == 1) { next }
        /^\[/ { sec = $1; print sec; next }
        /^[a-z0-9_]+ / { print sec, $1 }' | sort -u
}
missing_options() { # expected-list page-list -> the expected entries the page lacks
    comm -23 "$1" "$2" | tr '\n' ' '
}
for p in "$bin"/*; do
    prog=$(basename "$p")
    page=$(ls "$man"/man[18]/"$prog".[18] 2>/dev/null | head -n 1)
    if [ -z "$page" ]; then fail "no man page for $prog under $man"; continue; fi
    said=$(render_warnings "$page")
    [ -z "$said" ] && ok "$prog's page $(basename "$page") renders cleanly" || fail "$page: $said"
done
conf5=$man/man5/peerwatch.conf.5
if [ -f "$conf5" ]; then
    said=$(render_warnings "$conf5")
    [ -z "$said" ] && ok "peerwatch.conf.5 renders cleanly" || fail "$conf5: $said"
    page_options "$conf5" >"$stage/conf5.options"
else
    fail "$conf5 missing"
    : >"$stage/conf5.options"
fi
help_options "$bin/peerwatch-hss" operator >"$stage/operator.options"
help_options "$bin/peerwatch-hss" role | grep -E '^\[(component|log|metrics)\]' >"$stage/common.options"
[ -s "$stage/operator.options" ] && [ -s "$stage/common.options" ] ||
    fail "peerwatch-hss --help-config printed no [operator] or common option"
gaps=$(missing_options "$stage/operator.options" "$stage/conf5.options")$(missing_options "$stage/common.options" "$stage/conf5.options")
[ -z "$gaps" ] && ok "peerwatch.conf.5 names every [operator] and common option" ||
    fail "peerwatch.conf.5 lacks $gaps"
for d in $daemons; do
    page=$man/man8/peerwatch-$d.8
    [ -f "$page" ] || continue # reported above
    help_options "$bin/peerwatch-$d" role >"$stage/$d.options"
    [ -s "$stage/$d.options" ] || fail "peerwatch-$d --help-config printed no option"
    page_options "$page" >"$stage/$d.page"
    gaps=$(missing_options "$stage/$d.options" "$stage/$d.page")
    [ -z "$gaps" ] && ok "peerwatch-$d.8 names every option of peerwatch-$d --help-config" ||
        fail "peerwatch-$d.8 lacks $gaps"
done
if [ -f "$man/man8/peerwatch-gateway.8" ]; then
    # the same checks on a broken copy: a request groff does not know, and an option left out
    broken=$stage/broken/peerwatch-gateway.8
    mkdir -p "$stage/broken"
    sed -e 's/^\.SH SIGNALS$/.XS SIGNALS/' -e '/^\\fBmax_skew\\fR = /d' "$man/man8/peerwatch-gateway.8" >"$broken"
    [ -n "$(render_warnings "$broken")" ] && ok "a page with a bad request is caught" ||
        fail "the rendering check let a bad request through"
    page_options "$broken" >"$stage/broken.page"
    [ -n "$(missing_options "$stage/gateway.options" "$stage/broken.page")" ] &&
        ok "a page without an option is caught" || fail "the drift check let a missing option through"
fi

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
[ ! -e "$man/man8/peerwatch-watcher.8" ] || fail "uninstall left the man pages"

if [ $failures -gt 0 ]; then
    echo "test_install: $failures failure(s)"
    exit 1
fi
echo "test_install: make install and uninstall do what an operator's host needs"
