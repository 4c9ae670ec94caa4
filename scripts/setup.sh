#!/usr/bin/env bash
# Set up miniscan on a fresh Debian/Ubuntu machine: system libraries, a virtualenv in .venv,
# and the package itself (editable). Idempotent: a second run only checks and returns.
#   scripts/setup.sh          runtime only
#   scripts/setup.sh test     plus the test extras and Chromium for the HTML report test
set -euo pipefail
cd "$(dirname "$0")/.."
want="${1:-run}"

# libusb for open3d; Mesa's EGL/GL for headless VTK rendering; fonts for readable labels.
pkgs=(libusb-1.0-0 libegl1 libegl-mesa0 libgl1 libgl1-mesa-dri libglx-mesa0 libgles2 libxrender1 libxext6 fonts-dejavu-core)
[ "$want" = test ] && pkgs+=(chromium)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "miniscan setup: installing system packages: ${missing[*]}" >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

py=""
# open3d wheels lag new Pythons: prefer the versions it is known to ship for
for cand in python3.11 python3.12 python3 python3.13; do
  if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
    py="$cand"; break
  fi
done
[ -n "$py" ] || { echo "miniscan setup: Python >= 3.11 is required" >&2; exit 2; }
if [ ! -x .venv/bin/python ]; then
  "$py" -m venv .venv || {
    echo "miniscan setup: venv failed; installing python3-venv" >&2
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >&2
    rm -rf .venv; "$py" -m venv .venv; }
fi

# Reinstall only when the dependency list or the pinned versions changed. constraints.txt holds
# the versions the golden snapshots were made with (a newer numpy or open3d moves the 6th digit
# of a reading, or a ray count): where the package index lacks one, install unpinned and say so.
extras=""; [ "$want" = test ] && extras="[test]"
stamp=".venv/.miniscan-$want-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip >&2
  if ! .venv/bin/python -m pip install -q -c constraints.txt -e ".$extras" >&2; then
    echo "miniscan setup: the pinned versions (constraints.txt) are not all available here;" \
         "installing the newest instead (the golden snapshot tests may then differ)" >&2
    .venv/bin/python -m pip install -q -e ".$extras" >&2
  fi
  touch "$stamp"
fi
