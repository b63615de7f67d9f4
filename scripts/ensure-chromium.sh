#!/usr/bin/env bash
# Browser tests drive Debian's chromium (Playwright's own browser download is not used).
set -euo pipefail
# Japanese and Chinese pages (the translated journeys) need fonts with their glyphs.
if command -v chromium >/dev/null && fc-list :lang=ja | grep -q . && fc-list :lang=zh-cn | grep -q .; then
  exit 0
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
if command -v apt-get >/dev/null; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core fonts-ipafont-gothic fonts-wqy-zenhei >/dev/null
else
  echo "Please install Chromium (the browser tests use it)." >&2; exit 1
fi
