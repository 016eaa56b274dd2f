#!/usr/bin/env bash
# Debian packages ccpulse needs beyond Python: Pango/HarfBuzz for WeasyPrint, Noto CJK so
# Chinese names render as glyphs, poppler-utils to look at PDF pages (pdftoppm; the tests find words past a page edge with pdftotext), and
# PostgreSQL's server, which the SQL-source tests start in a temporary folder of their own.
# Installs what is missing when run as root; otherwise prints the exact command and fails.
set -euo pipefail

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-noto-cjk poppler-utils postgresql)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

command="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fc-cache -f >/dev/null 2>&1 || true
else
  echo "ccpulse needs these Debian packages: ${missing[*]}" >&2
  echo "Run as root:  $command" >&2
  exit 1
fi
