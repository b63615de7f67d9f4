#!/usr/bin/env bash
# Browser tests drive Debian's chromium (Playwright's own browser download is not used): the
# journeys the full browser, the page sweeps its headless shell (tests/browser.py).
set -euo pipefail
# Japanese and Chinese pages (the translated journeys) need fonts with their glyphs.
if command -v chromium >/dev/null && command -v chromium-headless-shell >/dev/null \
  && fc-list :lang=ja | grep -q . && fc-list :lang=zh-cn | grep -q .; then
  exit 0
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
if command -v apt-get >/dev/null; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-headless-shell fonts-dejavu-core fonts-ipafont-gothic fonts-wqy-zenhei >/dev/null
else
  echo "Please install Chromium and its headless shell (the browser tests use them)." >&2; exit 1
fi
