#!/usr/bin/env bash
# Xvfb (for the Tk GUI tests) and Chromium + chromedriver (for the notebook pad test).
# Installed with apt when we are root; otherwise we say what to install and those tests skip.
set -u
need=()
command -v Xvfb >/dev/null || need+=(xvfb)
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing system packages: ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null \
    || { echo "error: apt-get could not install ${need[*]}"; exit 1; }
else
  echo "note: GUI and browser tests will be skipped; to run them install: sudo apt-get install ${need[*]}"
fi
