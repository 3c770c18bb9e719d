#!/usr/bin/env bash
# System packages the tests use: Debian's Chromium (browser tests), poppler-utils
# (PDF pages to PNG) and the fonts the PDFs use for Thai, Devanagari and the other
# scripts DejaVu lacks (clinic/reports/render/fonts.py). Installed with apt-get when
# missing and we are root.
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
[ -f /usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf ] || missing+=(fonts-noto-core)
[ -f /usr/share/fonts/truetype/tlwg/Garuda.ttf ] || missing+=(fonts-tlwg-garuda-ttf)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "Installing ${missing[*]} with apt-get"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
  else
    echo "Missing system packages: ${missing[*]} (install them, e.g. apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi
