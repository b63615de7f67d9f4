#!/usr/bin/env bash
# The licensing benchmark (bench/activation.py) drives both servers with wrk (Debian package).
set -euo pipefail
if command -v wrk >/dev/null; then exit 0; fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
if command -v apt-get >/dev/null; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
else
  echo "Please install wrk (the licensing benchmark uses it)." >&2; exit 1
fi
