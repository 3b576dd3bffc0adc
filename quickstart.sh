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

if [ "$job" = demo ]; then
  pip_install -e .
  exec "$venv/bin/cinemuse" demo "$@"
else
  pip_install -e ".[test,ray]"  # ray: the batch tests start a local Ray cluster
  exec "$py" -m pytest "$@"
fi
