#!/usr/bin/env bash
# Set up everything the gate needs on a Debian machine. Idempotent: each step checks
# first and installs only what is missing, so running it before every gate is cheap.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# System parts: Debian's Chromium and its headless shell (playwright cannot download its own browser here),
# fonts for Devanagari, CJK and emoji, wrk for raw load figures, node for Lighthouse.
# fonts-liberation2 is metric-compatible with Times New Roman, Arial and Courier New: pages set in
# those (or in the browser's default serif) lay out here as on their users' machines, so sizes and
# overflow measured by the gates are the ones users get.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromium-headless-shell >/dev/null 2>&1 || missing+=(chromium-headless-shell)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
for pkg in fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji fonts-liberation2; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python: a project virtualenv with the plugin and every engine extra.
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  python3 -m venv .venv
fi
stamp=.venv/.castmatch-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  say "installing Python packages (pytest-castmatch[all])"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[all]'
  touch "$stamp"
fi

# Node: Lighthouse 12 (13 needs a newer Node) and web-vitals, into the repo, from the lock file.
if [ ! -x node_modules/.bin/lighthouse ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing lighthouse and web-vitals (npm)"
  npm ci --no-audit --no-fund --loglevel=error
fi
say "ready: $(.venv/bin/python --version), $(chromium --version 2>/dev/null | head -1), lighthouse $(node_modules/.bin/lighthouse --version)"
