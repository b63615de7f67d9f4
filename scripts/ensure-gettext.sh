#!/usr/bin/env bash
# The translation catalogs (locale/) are compiled by Django's compilemessages, which
# runs GNU gettext's msgfmt; makemessages (the catalog check in `make test`) runs
# xgettext and msgmerge. All three come from Debian's gettext package.
set -euo pipefail
if command -v msgfmt >/dev/null && command -v xgettext >/dev/null && command -v msgmerge >/dev/null; then
  exit 0
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
if command -v apt-get >/dev/null; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq gettext >/dev/null
else
  echo "Please install GNU gettext (msgfmt, xgettext, msgmerge): the catalogs need it." >&2; exit 1
fi
