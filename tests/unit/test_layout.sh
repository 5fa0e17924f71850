#!/bin/sh
# test_layout.sh: checks the parts of docs/hacking.md's layout a script can check.
#
#   1. The runtime's areas are layered: a file of components/lib/AREA includes only headers of
#      its own area and of the areas AREA may use (docs/hacking.md, "The runtime's areas").
#   2. The runtime includes no role header, and roles are apart: a role's file includes only
#      runtime headers ("area/pw_x.h") and headers of its own folder.
#   3. Every role has the one shape: main.c (at most 40 lines), settings.c, lifecycle.c, flow.c,
#      ROLE.h and ROLE_int.h.
#   4. No folder is named like its parent (gateway/gateway).
#   5. Every C file starts with a one-line comment saying what it is for.
#
# Prints one line per breach naming the file (and line), and exits 1 if there was any.
# Run by `make check` (automake sets $srcdir) or by hand from anywhere.
set -u

top=${srcdir:-$(dirname "$0")/../..}
cd "$top" || exit 1

out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
breaches=0
breach() {
    printf 'test_layout: %s\n' "$*"
    breaches=$((breaches + 1))
}

# quoted_includes FILE: prints "LINE HEADER" for each #include "HEADER" of FILE
quoted_includes() {
    awk '/^[ \t]*#[ \t]*include[ \t]*"/ { h = $0; sub(/^[^"]*"/, "", h); sub(/".*/, "", h); print FNR, h }' "$1"
}

# ---- 1. the runtime's areas, bottom up, and what each may use
may_use() {
    case $1 in
    core) echo "" ;;
    address) echo "core" ;;
    xmpp) echo "core" ;;
    dns) echo "core address" ;;
    charging) echo "core" ;;
    chain) echo "core address xmpp" ;;
    *) echo "?" ;;
    esac
}
areas="core address xmpp dns charging chain"

for dir in components/lib/*/; do
    area=$(basename "$dir")
    case " $areas " in
    *" $area "*) ;;
    *) breach "$dir: an area docs/hacking.md does not list (add it to both, with what it may use)" ;;
    esac
done

for area in $areas; do
    allowed="$area $(may_use "$area")"
    for f in components/lib/"$area"/*.c components/lib/"$area"/*.h; do
        [ -e "$f" ] || continue
        quoted_includes "$f" | while read -r lineno header; do
            case $header in
            config.h) ;; # autoconf's
            */*)
                used=${header%%/*}
                case " $allowed " in
                *" $used "*) ;;
                *) echo "$f:$lineno: area $area includes \"$header\" (may use only: $allowed)" ;;
                esac
                ;;
            *)
                [ -e "components/lib/$area/$header" ] ||
                    echo "$f:$lineno: includes \"$header\", which is not a header of its area $area (name runtime headers as \"area/pw_x.h\")"
                ;;
            esac
        done
    done
done >"$out" 2>&1
while IFS= read -r l; do breach "$l"; done <"$out"

# ---- 2 and 3. the roles: apart from each other, one shape
# folder:the role's header name (ROLE.h, ROLE_int.h)
roles="components/watcher_application:watcher components/watcher_presence_proxy:proxy gateway:gateway
components/presence_server:presence hss:hss"
tools="components/cdr"
# the onboarding tool reads the roles' files through the roles' own loaders: it may include a
# role's public header (ROLE.h), never a role's internals
readers="components/peer"

public_headers=""
for entry in $roles; do public_headers="$public_headers ${entry%%:*}/${entry#*:}.h"; done
for entry in $roles $tools $readers; do
    dir=${entry%%:*}
    for f in "$dir"/*.c "$dir"/*.h; do
        [ -e "$f" ] || continue
        quoted_includes "$f" | while read -r lineno header; do
            if [ "$dir" = "$readers" ]; then
                public=0
                for h in $public_headers; do [ "${h##*/}" = "$header" ] && public=1; done
                [ $public = 1 ] && continue
            fi
            case $header in
            config.h) ;; # autoconf's
            */*)
                [ -e "components/lib/$header" ] ||
                    echo "$f:$lineno: includes \"$header\", which is no runtime header (roles are apart: share through components/lib)"
                ;;
            *)
                [ -e "$dir/$header" ] ||
                    echo "$f:$lineno: includes \"$header\" from outside its folder (roles are apart: share through components/lib)"
                ;;
            esac
        done
    done
done >"$out" 2>&1
while IFS= read -r l; do breach "$l"; done <"$out"

for f in components/lib/*/*.c components/lib/*/*.h; do
    quoted_includes "$f" | while read -r lineno header; do
        for entry in $roles; do
            dir=${entry%%:*}
            [ -e "$dir/$header" ] && [ ! -e "components/lib/$header" ] &&
                echo "$f:$lineno: the runtime includes the role header \"$header\" of $dir"
        done
    done
done >"$out" 2>&1
while IFS= read -r l; do breach "$l"; done <"$out"

for entry in $roles; do
    dir=${entry%%:*}
    name=${entry#*:}
    for want in main.c settings.c lifecycle.c flow.c "$name.h" "${name}_int.h"; do
        [ -e "$dir/$want" ] || breach "$dir: has no $want (every role has the same shape: docs/hacking.md)"
    done
    if [ -e "$dir/main.c" ]; then
        n=$(wc -l <"$dir/main.c")
        [ "$n" -le 40 ] || breach "$dir/main.c: $n lines (at most 40: the role lives in settings.c, lifecycle.c and flow.c)"
        grep -q "pw_runtime_main(&pw_${name}_role" "$dir/main.c" ||
            breach "$dir/main.c: does not hand pw_${name}_role to pw_runtime_main()"
    fi
done

# ---- 4. no folder named like its parent
for d in $(find components gateway hss tests conf docs -type d 2>/dev/null); do
    parent=$(basename "$(dirname "$d")")
    [ "$(basename "$d")" = "$parent" ] && breach "$d: a folder named like its parent"
done

# ---- 5. a purpose line atop every C file
for f in $(find components gateway hss tests -name '*.[ch]' 2>/dev/null); do
    first=$(head -n 1 "$f")
    case $first in
    "/* "*) ;;
    *) breach "$f:1: does not start with a one-line comment saying what it is for" ;;
    esac
done

if [ "$breaches" -ne 0 ]; then
    echo "test_layout: $breaches breach(es) of docs/hacking.md's layout"
    exit 1
fi
echo "test_layout: the layout holds (areas layered, roles apart and of one shape, purpose lines)"
exit 0
