#!/bin/sh
# mkman.sh: makes a man page from its source docs/man/NAME.in: the installed paths, the version, and the option reference the built program prints.
#
# Usage: mkman.sh SOURCE PROGRAM VERSION SYSCONFDIR LOCALSTATEDIR DOCDIR > PAGE
#
# In SOURCE, @VERSION@, @sysconfdir@, @localstatedir@ and @docdir@ become the given values,
# @PROGRAM@ the page's name (peerwatch-gateway for peerwatch-gateway.8.in) and @ROLE@ that name
# without "peerwatch-". A line that is only a placeholder becomes
#   @INCLUDE:FILE@              FILE of SOURCE's directory (what the daemons' pages share)
# or the roff option reference of `PROGRAM --help-config=man` (PROGRAM "-" when the page has none):
#   @OPTIONS@                   every section of the role's own file (all but [operator])
#   @OPTIONS:SECTION ...@       those sections only, e.g. @OPTIONS:operator@, @OPTIONS:component log@
# The installed paths get break points after each '/' and no hyphenation, and the page is
# left-aligned, so that it renders without a warning whatever the prefix. A placeholder that
# selects no option, or a @WORD@ left over, is an error: the page is not made.
set -eu

if [ $# -ne 6 ]; then
    echo "usage: mkman.sh SOURCE PROGRAM VERSION SYSCONFDIR LOCALSTATEDIR DOCDIR > PAGE" >&2
    exit 2
fi
src=$1 prog=$2 version=$3 sysconfdir=$4 localstatedir=$5 docdir=$6

name=$(basename "$src" | sed -e 's/\.[1-9]\.in$//')
ref=
if [ "$prog" != - ]; then
    ref=$("$prog" --help-config=man) || {
        echo "mkman.sh: $prog --help-config=man failed" >&2
        exit 1
    }
fi

# sed_value VALUE: VALUE escaped for the replacement side of a sed s|||, its hyphens as roff's \-
sed_value() { printf '%s\n' "$1" | sed -e 's/[\\|&]/\\&/g' -e 's/-/\\\\-/g'; }
# path_value PATH: the same for a path, never hyphenated (roff's \% before it) but with a break
# point (\:) after each '/', so that a long installed path wraps instead of overflowing its line
path_value() { sed_value "$1" | sed -e 's|/|/\\\\:|g' -e 's|^|\\\\%|'; }

page=$(printf '%s\n' "$ref" | awk -v src="$src" -v dir="$(dirname "$src")" -v have_ref="$([ "$prog" = - ] && echo 0 || echo 1)" '
    # the reference, read first: each line with the section it belongs to
    FNR == NR {
        if ($0 ~ /^\.SS \[/) { s = $0; sub(/^\.SS \[/, "", s); sub(/\].*$/, "", s); gsub(/\\-/, "-", s) }
        if (s != "") { n++; line[n] = $0; sec[n] = s }
        next
    }
    /^@INCLUDE:[^@]+@$/ {
        f = $0; sub(/^@INCLUDE:/, "", f); sub(/@$/, "", f); f = dir "/" f
        while ((r = (getline l < f)) > 0) print l
        if (r < 0) { printf "mkman.sh: %s:%d: cannot read %s\n", src, FNR, f > "/dev/stderr"; bad = 1 }
        close(f)
        next
    }
    /^@OPTIONS(:[^@]*)?@$/ {
        if (!have_ref) { printf "mkman.sh: %s:%d: %s, but no program to ask\n", src, FNR, $0 > "/dev/stderr"; bad = 1; next }
        want = $0; sub(/^@OPTIONS:?/, "", want); sub(/@$/, "", want)
        split(want, names, " "); delete wanted; for (k in names) wanted[names[k]] = 1
        printed = 0
        for (i = 1; i <= n; i++)
            if ((want == "" && sec[i] != "operator") || (want != "" && sec[i] in wanted)) { print line[i]; printed++ }
        if (!printed) { printf "mkman.sh: %s:%d: %s selects nothing the program prints\n", src, FNR, $0 > "/dev/stderr"; bad = 1 }
        next
    }
    { print }
    END { exit bad }
' - "$src") || exit 1

printf '%s\n' "$page" | sed \
    -e "s|@VERSION@|$(sed_value "$version")|g" \
    -e "s|@sysconfdir@|$(path_value "$sysconfdir")|g" \
    -e "s|@localstatedir@|$(path_value "$localstatedir")|g" \
    -e "s|@docdir@|$(path_value "$docdir")|g" \
    -e "s|@PROGRAM@|$name|g" -e "s|@ROLE@|${name#peerwatch-}|g" |
    awk -v src="$src" '
        { print }
        # left-aligned: a line holding a long path needs no stretching
        /^\.TH / { print ".ad l" }
        /@[A-Za-z_]+@/ { printf "mkman.sh: %s: %s is left over\n", src, $0 > "/dev/stderr"; bad = 1 }
        END { exit bad }
    '
