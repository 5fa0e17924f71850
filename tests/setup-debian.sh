#!/bin/bash
# setup-debian.sh: installs every Debian 12 package Peerwatch needs to build, test and run its trial (idempotent).
#
# Usage: sudo tests/setup-debian.sh
# Quiet when everything is installed already; otherwise runs `apt-get update` and installs
# only the missing packages without recommends. Never leaves a system Prosody, ejabberd or
# epmd running: the tests start private instances on their own loopback addresses.
set -euo pipefail

# Every package, one group per line.
PACKAGES=(
    # toolchain and autotools
    build-essential autoconf automake libtool pkg-config git ca-certificates
    # libraries the components link: libstrophe + expat, OpenSSL, c-ares, libinih, jansson,
    # libsystemd (sd_notify)
    libstrophe-dev libexpat1-dev libssl-dev libc-ares-dev libinih-dev libjansson-dev libsystemd-dev
    # unit and integration tests
    libcriterion-dev
    # servers the integration tests and the trial drive: Prosody 0.12 with mod_privilege
    # (prosody-modules), its libunbound resolver, dnsmasq for the SRV and NAPTR records
    prosody prosody-modules lua-unbound dnsmasq-base
    # ejabberd 23.01 (Erlang/OTP 25), the other XMPP server the tests drive; setpriv runs it
    # as its user with a parent-death signal
    ejabberd util-linux
    # leak checking, sanitizers, libFuzzer and coverage
    valgrind clang libclang-rt-14-dev lcov
    # tools the scripts use: openssl for keys, ps/kill, ip
    openssl procps iproute2
    # what a person uses: the Profanity console client, driven in tmux by test_profanity
    profanity tmux
    # what an operator's host uses: systemd (test_install checks the units with systemd-analyze)
    systemd
)

me=$(basename "$0")

# missing_packages: print the packages of PACKAGES that dpkg does not list as installed.
missing_packages() {
    for pkg in "${PACKAGES[@]}"; do
        status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
        case "$status" in
            *" ok installed") ;;
            *) printf '%s\n' "$pkg" ;;
        esac
    done
}

# stop_system_prosody: the prosody package starts a system-wide server on 5222/5269 where an
# init system exists; stop and disable it so it never collides with the test instances.
stop_system_prosody() {
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        if systemctl is-active --quiet prosody 2>/dev/null; then
            echo "$me: stopping the system Prosody started by the package"
            systemctl stop prosody || true
        fi
        if systemctl is-enabled --quiet prosody 2>/dev/null; then
            systemctl disable --quiet prosody || true
        fi
    else
        # sysvinit or no init at all (containers): stop it only if its pid file names a live process.
        local pidfile pid
        for pidfile in /run/prosody/prosody.pid /var/run/prosody/prosody.pid; do
            [ -r "$pidfile" ] || continue
            pid=$(tr -cd '0-9' <"$pidfile")
            if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
                echo "$me: stopping the system Prosody started by the package (pid $pid)"
                if command -v service >/dev/null 2>&1; then
                    service prosody stop >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
                else
                    kill "$pid" 2>/dev/null || true
                fi
            fi
        done
        if command -v update-rc.d >/dev/null 2>&1 && [ -e /etc/init.d/prosody ]; then
            update-rc.d prosody disable >/dev/null 2>&1 || true
        fi
    fi
}

# system_erlang_pids: print the PIDs of the system ejabberd's Erlang processes: a beam.smp
# whose command line names the package's spool /var/lib/ejabberd, and an epmd run by the
# ejabberd user (the harness's private nodes run without one). Read from /proc, never
# matched by name with pkill.
system_erlang_pids() {
    local d pid comm args
    for d in /proc/[0-9]*; do
        pid=${d#/proc/}
        comm=$(cat "$d/comm" 2>/dev/null) || continue
        case "$comm" in
            beam.smp)
                args=$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null) || continue
                case "$args" in
                    *'"/var/lib/ejabberd"'* | *' /var/lib/ejabberd '*) printf '%s\n' "$pid" ;;
                esac
                ;;
            epmd)
                if [ "$(stat -c %U "$d" 2>/dev/null)" = ejabberd ]; then
                    printf '%s\n' "$pid"
                fi
                ;;
        esac
    done
    return 0
}

# stop_system_ejabberd: the ejabberd package starts a system node (and an epmd) where an init
# system lets it; stop it by PID and disable it. Never through its init script or a bare
# `ejabberdctl`: both read /etc/default/ejabberd and start an epmd of their own.
stop_system_ejabberd() {
    local pids pid waited
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        if systemctl is-enabled --quiet ejabberd 2>/dev/null; then
            echo "$me: disabling the system ejabberd service"
            systemctl disable --quiet ejabberd || true
        fi
    elif command -v update-rc.d >/dev/null 2>&1 && [ -e /etc/init.d/ejabberd ]; then
        update-rc.d ejabberd disable >/dev/null 2>&1 || true
    fi
    pids=$(system_erlang_pids)
    [ -n "$pids" ] || return 0
    for pid in $pids; do
        echo "$me: stopping the system ejabberd/epmd process $pid ($(cat "/proc/$pid/comm" 2>/dev/null))"
        kill "$pid" 2>/dev/null || true
    done
    waited=0
    while [ -n "$(system_erlang_pids)" ] && [ "$waited" -lt 50 ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    for pid in $(system_erlang_pids); do
        echo "$me: process $pid ignored SIGTERM: killing it"
        kill -9 "$pid" 2>/dev/null || true
    done
}

missing=$(missing_packages)
if [ -z "$missing" ]; then
    # Everything is there; still make sure no system server is running (only root can stop it).
    if [ "$(id -u)" -eq 0 ]; then
        stop_system_prosody
        stop_system_ejabberd
    fi
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "$me: these packages are missing:" "${missing//$'\n'/ }" >&2
    echo "$me: run this script as root (e.g. sudo $0) to install them" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "$me: installing:" "${missing//$'\n'/ }"
apt-get update -q
# Keep maintainer scripts from starting services while we install (policy-rc.d exit code 101
# means "action forbidden"), unless the machine has its own policy already.
policy=/usr/sbin/policy-rc.d
own_policy=no
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=yes
    trap 'rm -f "$policy"' EXIT
fi
# shellcheck disable=SC2086 # one word per package
apt-get install -y -q --no-install-recommends $missing
if [ "$own_policy" = yes ]; then
    rm -f "$policy"
    trap - EXIT
fi
stop_system_prosody
stop_system_ejabberd

still=$(missing_packages)
if [ -n "$still" ]; then
    echo "$me: still missing after apt-get install:" "${still//$'\n'/ }" >&2
    exit 1
fi
echo "$me: all packages installed"
