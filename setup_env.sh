#!/usr/bin/env bash
# Sets up everything Foleycut needs in ./.venv. Safe to run again: each step skips what is already there.
#   bash setup_env.sh            system libraries (apt, when root), venv, torch, requirements
#   FOLEYCUT_SKIP_SYSTEM=1 ...   leave system packages alone
#   TORCH_INDEX=URL ...          wheel index for the CUDA build of torch (NVIDIA machines)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# Qt (xcb platform, fonts, GL), QtMultimedia (PulseAudio/ALSA), Xvfb for headless runs,
# espeak-ng for the speech used in test media.
SYSTEM_PACKAGES=(libgl1 libegl1 libglib2.0-0 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0
  libxcb-render-util0 libxcb-image0 libxcb-xfixes0 libx11-xcb1 libpulse0 libasound2 xvfb xauth
  espeak-ng)

install_system_packages() {
  [ "${FOLEYCUT_SKIP_SYSTEM:-0}" = 1 ] && return
  command -v dpkg-query >/dev/null || { say "not a Debian-like system: install Qt's xcb/GL and PulseAudio libraries yourself"; return; }
  local missing=()
  for p in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  if [ "$(id -u)" = 0 ]; then
    say "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    local log; log=$(mktemp)
    apt-get update -qq >"$log" 2>&1 || { cat "$log"; exit 1; }
    # libasound2 is a virtual package on newer Debian/Ubuntu; fall back to its t64 name.
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1 ||
      apt-get install -y -qq --no-install-recommends "${missing[@]/libasound2/libasound2t64}" >>"$log" 2>&1 ||
      { cat "$log"; exit 1; }
    rm -f "$log"
  else
    say "missing system packages; run:  sudo apt-get install -y ${missing[*]}"
  fi
}

make_venv() {
  local py="${PYTHON:-python3}"
  "$py" -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
    { say "Python 3.10 or newer is needed (found $("$py" --version 2>&1))"; exit 1; }
  [ -x .venv/bin/python ] || { say "creating .venv"; "$py" -m venv .venv; }
  .venv/bin/python -m pip install -q --upgrade pip wheel
}

install_torch() {
  local pip=(.venv/bin/python -m pip install -q)
  if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
    TORCH_INDEX="${TORCH_INDEX:-https://download.pytorch.org/whl/cu128}"
    if ! .venv/bin/python -c 'import torch, sys; sys.exit(not torch.version.cuda)' 2>/dev/null; then
      say "NVIDIA GPU found: installing the CUDA build of torch, torchaudio, torchvision"
      "${pip[@]}" torch torchaudio torchvision --index-url "$TORCH_INDEX"
    fi
    PIP_EXTRA=(--extra-index-url "$TORCH_INDEX")
  else
    .venv/bin/python -c 'import torch' 2>/dev/null && return
    say "no NVIDIA GPU: installing the CPU build of torch 2.13.0"
    # A CPU wheel that pip's find-links already offers wins (its +cpu local version sorts first);
    # otherwise the official CPU index, so no GBs of CUDA libraries are pulled.
    if .venv/bin/python -m pip install -q --dry-run --no-index --no-deps "torch==2.13.0" >/dev/null 2>&1; then
      "${pip[@]}" "torch==2.13.0"
    else
      "${pip[@]}" "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu
    fi
  fi
}

PIP_EXTRA=()
install_system_packages
make_venv
install_torch
say "installing requirements"
.venv/bin/python -m pip install -q -r requirements.txt ${PIP_EXTRA[@]+"${PIP_EXTRA[@]}"}
say "ready: .venv/bin/python main.py"
