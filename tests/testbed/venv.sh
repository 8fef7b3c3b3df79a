#!/usr/bin/env bash
# Create or update the controller venv from the pinned requirements-test.txt and link it as .venv.
# Python: 3.12, else 3.13 (ansible-core 2.21 needs >= 3.12; 3.12 is the tested one), else fail with what to install.
# The venv is built once per (requirements, interpreter) under ~/.cache/ai-coding/venvs/<hash> and reused by every
# checkout on the machine (a fresh clone links it instead of spending minutes on pip); it is rebuilt when
# requirements-test.txt or the interpreter changes.
set -euo pipefail
source "$(dirname "$0")/env.sh"
req=$REPO_ROOT/requirements-test.txt
cache_root=${AI_CODING_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ai-coding}

pick_python() {
  local c PATH=${PATH//$VENV\/bin:/}   # never build from the venv's own interpreter
  for c in ${AI_CODING_PYTHON:-} python3.12 /root/.pyenv/versions/3.12.*/bin/python3 "$HOME"/.pyenv/versions/3.12.*/bin/python3 \
    python3.13 /root/.pyenv/versions/3.13.*/bin/python3 "$HOME"/.pyenv/versions/3.13.*/bin/python3 python3; do
    [[ -n $c ]] || continue
    command -v "$c" >/dev/null 2>&1 || continue
    if "$c" -c 'import sys, venv, ensurepip; sys.exit(0 if (3, 12) <= sys.version_info[:2] < (3, 14) and sys.prefix == sys.base_prefix else 1)' 2>/dev/null; then
      "$c" -c 'import os, sys; print(os.path.realpath(sys.executable))'
      return 0
    fi
  done
  return 1
}

py=$(pick_python) || {
  echo "venv.sh: no Python 3.12 or 3.13 with venv/ensurepip found (ansible-core 2.21 needs >= 3.12)." >&2
  echo "venv.sh: install one (e.g. apt-get install python3.12-venv, or pyenv install 3.12) or set AI_CODING_PYTHON." >&2
  exit 1
}
pyver=$("$py" -c 'import sys; print(sys.version.split()[0])')
want="$(sha256sum "$req" | cut -c1-16) $pyver"
shared=$cache_root/venvs/$(echo "$want $py" | sha256sum | cut -c1-16)
stamp=$shared/.ai-coding-stamp

if [[ -x $shared/bin/python && -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
  echo "venv.sh: reusing $shared ($want)"
else
  echo "venv.sh: building $shared with $py ($want)"
  rm -rf "$shared"
  mkdir -p "$(dirname "$shared")"
  "$py" -m venv "$shared"
  pipi() { # pip install, its noise about this machine's empty local indexes filtered, its exit status kept
    local log rc=0
    log=$(mktemp)
    "$shared/bin/python" -m pip install -q "$@" >"$log" 2>&1 || rc=$?
    grep -v "^WARNING: Location 'file:" "$log" >&2 || true
    rm -f "$log"
    [[ $rc == 0 ]] || { echo "venv.sh: pip install $* failed (exit $rc); PyPI must be reachable" >&2; exit 1; }
  }
  pipi --upgrade pip
  pipi -r "$req"
  "$shared/bin/python" -m pip check >/dev/null || { "$shared/bin/python" -m pip check; exit 1; }
  echo "$want" >"$stamp"
fi
if [[ "$(readlink "$VENV" 2>/dev/null)" != "$shared" ]]; then
  [[ -L $VENV || ! -e $VENV ]] || { echo "venv.sh: moving the old $VENV aside to $VENV.old" >&2; rm -rf "$VENV.old"; mv "$VENV" "$VENV.old"; }
  ln -sfn "$shared" "$VENV"
fi
# Capture first: `| head -n 1` could close the pipe before ansible finishes writing (EPIPE, exit 250).
ansible_v=$("$VENV/bin/ansible" --version) || { echo "venv.sh: $VENV/bin/ansible --version failed" >&2; exit 1; }
echo "${ansible_v%%$'\n'*}"
