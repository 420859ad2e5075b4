# Sourced by scripts/run and scripts/test: makes .venv with Linkage installed, on a fresh
# Debian/Ubuntu machine too. Re-installs only when pyproject.toml or the lock file changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  echo "setup: installing $* (Debian packages)" >&2
  if [ -z "${LINKAGE_APT_UPDATED:-}" ]; then
    as_root apt-get update -qq >&2
    LINKAGE_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >&2
}

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "setup: Linkage needs Python 3.11 or newer as '$PYTHON' (set PYTHON=... to choose one)" >&2
  exit 2
fi

if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv >/dev/null 2>&1; then
    rm -rf .venv
    apt_install python3-venv
    "$PYTHON" -m venv .venv
  fi
fi

# $1: the extras to install ("" or "test")
# (an install with the test tools also serves a plain one)
# The dependencies come from the hash-pinned lock (requirements.lock, or requirements-test.lock
# with the test tools; scripts/lock refreshes them): pip refuses any file whose SHA-256 differs.
# Linkage itself then installs editable with no dependencies of its own and the locked setuptools
# as its build backend, so nothing unpinned is downloaded.
linkage_install() {
  local extras="$1" stamp=".venv/.linkage-installed${1:+-$1}"
  local lock="requirements${1:+-$1}.lock"
  local want
  want="$(cat pyproject.toml "$lock" | sha256sum | cut -d' ' -f1)"
  if [ -z "$extras" ] && [ "$(cat .venv/.linkage-installed-test 2>/dev/null)" = \
    "$(cat pyproject.toml requirements-test.lock | sha256sum | cut -d' ' -f1)" ]; then
    return 0
  fi
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "setup: installing Linkage${extras:+ with $extras tools} into .venv from $lock" >&2
    .venv/bin/python -m pip install -q --require-hashes -r "$lock" >&2
    .venv/bin/python -m pip install -q --no-deps --no-build-isolation -e . >&2
    local broken
    if ! broken="$(.venv/bin/python -m pip check 2>&1)"; then
      echo "$broken" >&2
      echo "setup: $lock does not hold what pyproject.toml asks for: run scripts/lock" >&2
      exit 1
    fi
    echo "$want" > "$stamp"
  fi
}

need_redis_server() {
  command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || apt_install redis-server
}

# The suite's second run is on a real PostgreSQL cluster the tests make themselves (initdb).
need_postgresql() {
  command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null \
    || apt_install postgresql
}

# Certificate cards print Chinese names: a font with CJK glyphs.
need_cjk_font() {
  [ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || apt_install fonts-wqy-microhei
}

# The browser tests drive Debian's Chromium headless (Playwright's own download is never used).
need_chromium() {
  [ -x /usr/bin/chromium ] || apt_install chromium
  # emoji in the bot's buttons, as a desktop shows them
  [ -d /usr/share/fonts/truetype/noto ] && compgen -G "/usr/share/fonts/truetype/noto/NotoColorEmoji*" \
    >/dev/null || apt_install fonts-noto-color-emoji
}

# tests/test_proxy.py runs deploy/nginx.conf in front of the bot.
need_nginx() {
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || apt_install nginx-light
}
