#!/usr/bin/env bash
# Builds the Debian packages (lwm2m-gateway, lwm2m-gateway-dev) from this source tree:
#   sudo apt-get install debhelper devscripts lintian   # plus .ci/packages.txt
#   packaging/build-deb.sh [OUTDIR]                     # .deb files land in OUTDIR (default ../)
# debian/ is kept in packaging/debian/ and copied to the top only for the build; the tree is
# left as it was (obj-*/ and debian/ are removed again, both are in .gitignore anyway).
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$(dirname "$top")}"
cd "$top"
if [ -e debian ]; then
    echo "build-deb.sh: $top/debian exists; remove it first (it is a copy of packaging/debian)" >&2
    exit 1
fi
cleanup() { rm -rf "$top/debian" "$top"/obj-*; }
trap cleanup EXIT
cp -r packaging/debian debian
# Binary packages only: no source package, no signing.
dpkg-buildpackage -us -uc -b -j"$(nproc)"
mkdir -p "$out"
if [ "$(cd "$out" && pwd)" != "$(dirname "$top")" ]; then
    version="$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)"
    arch="$(dpkg-architecture -qDEB_HOST_ARCH)"
    for file in "$(dirname "$top")"/lwm2m-gateway*_"${version}"_"${arch}".*; do
        mv "$file" "$out"/
    done
fi
echo "build-deb.sh: packages in $out:"
ls -1 "$out"/lwm2m-gateway*.deb
