#!/usr/bin/env bash
# The tests' SAML identity provider (pysaml2, tests/sso/saml_idp.py) signs its responses
# by running the xmlsec1 command, which comes from Debian's xmlsec1 package. (The portal
# itself verifies them with the `xmlsec` wheel from PyPI and needs nothing from Debian.)
set -euo pipefail
if command -v xmlsec1 >/dev/null; then
  exit 0
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
if command -v apt-get >/dev/null; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq xmlsec1 >/dev/null
else
  echo "Please install xmlsec1 (the XML Security Library's command): the SAML tests need it." >&2; exit 1
fi
