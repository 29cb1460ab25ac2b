#!/usr/bin/env bash
# What a fresh Debian machine needs before `make test` (used by `make test` and .ci/run): the system packages
# the browser and deploy tests use. Installs what is missing when it may (root, or sudo without a password);
# otherwise stops at once, before any demo is built, with the one command to run.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
command -v fc-list >/dev/null 2>&1 || need+=(fontconfig)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v make >/dev/null 2>&1 || need+=(make)
[ ${#need[@]} -eq 0 ] && exit 0

command_line="apt-get update && apt-get install -y --no-install-recommends ${need[*]}"
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo"
else
    echo "bootstrap: the tests need ${need[*]}, which this user cannot install. Run:" >&2
    echo "    sudo sh -c '$command_line'" >&2
    exit 1
fi
echo "bootstrap: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
