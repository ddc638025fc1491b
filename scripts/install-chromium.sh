#!/usr/bin/env bash
# Installs Debian's headless browser for the static images (figure.png) and browser checks:
# `chromium` + `chromium-driver` (+ fonts for the figures' text) from the distribution's package
# registry (no browser download).
# Idempotent: a quick no-op when both are already installed. Needs root (or sudo) and apt-get.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    echo "chromium and chromedriver already installed: $(command -v chromium), $(command -v chromedriver)"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: apt-get not found; install Chromium with your package manager, or set BROWSER_PATH to a Chromium/Chrome executable" >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "error: installing packages needs root (or sudo)" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-liberation fonts-dejavu-core >/dev/null
echo "installed: $(command -v chromium) ($(chromium --version 2>/dev/null || echo '?')), $(command -v chromedriver)"
