#!/usr/bin/env bash
# The README's two set-up commands, each of which installs everything it needs:
#   ./quickstart.sh demo          make a demo video and score it
#   ./quickstart.sh test [ARGS]   run the test suite (ARGS go to pytest, e.g. -m slow)
# A virtual environment is made in .venv (or $CINEMUSE_VENV) on first use.
set -euo pipefail
cd "$(dirname "$0")"

job=${1:-}
[ $# -gt 0 ] && shift
case "$job" in
  demo|test) ;;
  *) echo "usage: ./quickstart.sh demo | test [pytest args]" >&2; exit 2 ;;
esac

venv=${CINEMUSE_VENV:-.venv}
if [ ! -x "$venv/bin/python" ]; then
  if ! python3 -m venv "$venv"; then
    echo "quickstart: could not make a virtual environment; on Debian/Ubuntu: sudo apt-get install python3-venv" >&2
    exit 1
  fi
fi
py="$venv/bin/python"
pip_install() { "$py" -m pip install --quiet --disable-pip-version-check "$@"; }

# tinysoundfont (the SoundFont synthesiser) declares pyaudio for live playback only, and
# pyaudio needs PortAudio headers to build; cinemuse renders offline, so skip its deps.
pip_install --no-deps "tinysoundfont>=0.3"

# The studio's browser tests drive Debian's headless Chromium (pip's playwright talks to it;
# no browser download). Installed only when missing, and only where we may (root or
# passwordless sudo); elsewhere those tests say how to get it and skip (never in CI).
install_browser() {
  command -v chromium-headless-shell >/dev/null && return 0
  command -v apt-get >/dev/null || return 0
  local as=""
  if [ "$(id -u)" != 0 ]; then
    if sudo -n true 2>/dev/null; then as="sudo -n"; else
      echo "quickstart: the browser tests need Chromium: sudo apt-get install chromium-headless-shell" >&2
      return 0
    fi
  fi
  echo "quickstart: installing chromium-headless-shell for the studio's browser tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  $as apt-get install -y -qq chromium-headless-shell >/dev/null 2>&1 ||
    { $as apt-get update -qq >/dev/null 2>&1 && $as apt-get install -y -qq chromium-headless-shell >/dev/null 2>&1; } ||
    echo "quickstart: could not install chromium-headless-shell; the browser tests will skip" >&2
}

if [ "$job" = demo ]; then
  pip_install -e .
  exec "$venv/bin/cinemuse" demo "$@"
else
  pip_install -e ".[test,ray]"  # ray: the batch tests start a local Ray cluster
  install_browser
  exec "$py" -m pytest "$@"
fi
