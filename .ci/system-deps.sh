#!/usr/bin/env bash
# Installs the Debian packages the live-window test needs (Xvfb, xdotool) when they are missing.
# Never fails the build: without them the live-window test skips and says why.
set -u
missing=()
command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb)
command -v xdotool >/dev/null 2>&1 || missing+=(xdotool)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]} for the live-window test"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null 2>&1 \
        || echo "warning: could not install ${missing[*]}; the live-window test will skip"
else
    echo "note: ${missing[*]} not installed and not root; the live-window test will skip"
fi
exit 0
