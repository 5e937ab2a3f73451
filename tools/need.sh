#!/usr/bin/env bash
# Installs the Debian packages a make target needs, when what they provide is missing.
#
#   bash tools/need.sh WHAT:PACKAGE...
#
# WHAT is a command (found on PATH) or an absolute path (a header, a file); PACKAGE is the
# Debian package that provides it. Used by make cross, analyze, docs, cmake-check and by the
# examples that need a library. As root with apt-get it installs what is missing (apt-get
# update first only when the package lists do not know a package); otherwise it says what to
# install and fails.
set -euo pipefail

missing=()
for pair in "$@"; do
    what=${pair%%:*} pkg=${pair#*:}
    if [[ $what == /* ]]; then [ -e "$what" ] && continue
    else command -v "$what" >/dev/null 2>&1 && continue; fi
    [[ " ${missing[*]-} " == *" $pkg "* ]] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "need: missing Debian packages: ${missing[*]}" >&2
    echo "need: install them, e.g.: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-o DPkg::Lock::Timeout=600 -q -y --no-install-recommends)
echo "need: apt-get install ${missing[*]}"
if ! apt-get "${apt_opts[@]}" install "${missing[@]}" >/dev/null 2>&1; then
    echo "need: apt-get update"
    apt-get -o DPkg::Lock::Timeout=600 -q update >/dev/null
    apt-get "${apt_opts[@]}" install "${missing[@]}" >/dev/null
fi
