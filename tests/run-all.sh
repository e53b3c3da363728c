#!/usr/bin/env bash
# Builds in ./build and runs the whole test suite through CTest. In CI (CI=true, as .ci/run
# sets it) the Debian packages are then built, installed into this machine and checked
# (packaging/test-installed.sh: needs root, and it installs and purges lwm2m-gateway).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j2 --timeout 300
if [ "${CI:-}" = "true" ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    # The peers it drives the installed daemon with come from ./build.
    start=$(date +%s)
    $SUDO packaging/test-installed.sh "$PWD/build"
    echo "run-all.sh: installed-package checks took $(( $(date +%s) - start )) s"
fi
