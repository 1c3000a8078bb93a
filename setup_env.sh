#!/usr/bin/env bash
# Sets up everything Foleycut needs in ./.venv. Safe to run again: each step skips what is already there.
#   bash setup_env.sh            system libraries (apt, when root), venv, torch, requirements, Foleycut
#                                itself (.venv/bin/foleycut) and its launcher in the desktop's menu
#   FOLEYCUT_SKIP_SYSTEM=1 ...   leave system packages alone
#   FOLEYCUT_SKIP_LAUNCHER=1 ... no menu entry
#   TORCH_INDEX=URL ...          wheel index for the CUDA build of torch (NVIDIA machines)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# Qt (xcb platform, fonts, GL), QtMultimedia (PulseAudio/ALSA), Xvfb for headless runs,
# espeak-ng for the speech used in test media, desktop-file-utils to register and check the menu entry.
SYSTEM_PACKAGES=(libgl1 libegl1 libglib2.0-0 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0
  libxcb-render-util0 libxcb-image0 libxcb-xfixes0 libx11-xcb1 libpulse0 libasound2 xvfb xauth
  espeak-ng desktop-file-utils)

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

install_project() {
  say "installing requirements"
  .venv/bin/python -m pip install -q -r requirements.txt ${PIP_EXTRA[@]+"${PIP_EXTRA[@]}"}
  # Foleycut itself, editable, for the foleycut and foleycut-gui commands. --no-deps: requirements.txt
  # already holds everything, and resolving again could swap the torch build chosen above for another.
  say "installing Foleycut (.venv/bin/foleycut)"
  .venv/bin/python -m pip install -q --no-deps -e .
}

# One argument of a menu entry's Exec key: quoted, then escaped as every string value is.
desktop_exec_arg() {
  local s=$1
  s=${s//'\'/'\\'}; s=${s//'"'/'\"'}; s=${s//'`'/'\`'}; s=${s//'$'/'\$'}
  s=${s//'\'/'\\'}; s=${s//'%'/'%%'}
  printf '"%s"' "$s"
}

# The launcher: a freedesktop.org menu entry that opens the window, with Foleycut's icon.
install_desktop_entry() {
  [ "${FOLEYCUT_SKIP_LAUNCHER:-0}" = 1 ] && return
  local data="${XDG_DATA_HOME:-$HOME/.local/share}"
  local apps="$data/applications" icon="$data/icons/hicolor/scalable/apps/foleycut.svg"
  local gui="$ROOT/.venv/bin/foleycut-gui"
  mkdir -p "$apps" "$(dirname "$icon")"
  cp "$ROOT/assets/foleycut.svg" "$icon"
  {
    echo "[Desktop Entry]"
    echo "Type=Application"
    echo "Name=Foleycut"
    echo "GenericName=Sound clip dataset builder"
    echo "Comment=Cut sound clips out of videos, train a classifier, find more of the same sound"
    echo "Exec=$(desktop_exec_arg "$gui")"
    echo "TryExec=${gui//'\'/'\\'}"
    echo "Icon=${icon//'\'/'\\'}"
    echo "Terminal=false"
    echo "Categories=AudioVideo;Audio;Video;"
  } >"$apps/foleycut.desktop"
  if command -v update-desktop-database >/dev/null; then update-desktop-database -q "$apps" || true; fi
  say "launcher: Foleycut in the applications menu ($apps/foleycut.desktop)"
}

main() {
  cd "$ROOT"
  PIP_EXTRA=()
  install_system_packages
  make_venv
  install_torch
  install_project
  install_desktop_entry
  say "ready: .venv/bin/foleycut --help, and Foleycut in the applications menu (or .venv/bin/python main.py)"
}

# Sourced (as the tests do) it only defines the functions.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi
