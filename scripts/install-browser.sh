#!/usr/bin/env bash
# Installs the browser the report tests open pages in: Debian's `chromium` (headless), and a
# font for its screenshots; then checks that it loads a page. Debian/Ubuntu only (apt-get);
# elsewhere set CURATE_CHROMIUM to a Chromium or Chrome binary.
set -euo pipefail

packages=(chromium fonts-dejavu-core)
if [ -z "${CURATE_CHROMIUM:-}" ]; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing the test browser: ${missing[*]}"
    command -v apt-get >/dev/null 2>&1 || { echo "error: apt-get not found; set CURATE_CHROMIUM to a Chromium binary" >&2; exit 1; }
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
fi
browser=${CURATE_CHROMIUM:-chromium}
# Check: it starts headless and returns a page's DOM.
page=$(mktemp --suffix=.html)
trap 'rm -f "$page"' EXIT
echo '<!DOCTYPE html><title>ok</title><p>curate</p>' > "$page"
dom=$("$browser" --headless --no-sandbox --disable-gpu --dump-dom "file://$page" 2>/dev/null) \
  || { echo "error: $browser does not start headless" >&2; exit 1; }
case "$dom" in
  *"<p>curate</p>"*) echo "test browser: $("$browser" --version 2>/dev/null | head -n 1)" ;;
  *) echo "error: $browser returned no page: $dom" >&2; exit 1 ;;
esac
