# Shared set-up of the two README commands (sourced, not run): a Python 3.11 virtual
# environment with the project installed, and a RabbitMQ broker that answers.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"

say() { printf '[fieldwork] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@";
  elif command -v sudo >/dev/null 2>&1; then sudo "$@";
  else return 1; fi
}

apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  say "installing $* with apt-get"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || return 1
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || return 1
}

find_python() {
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}

ensure_venv() {
  local python stamp want
  if [ ! -x "$VENV/bin/python" ]; then
    python="$(find_python)" || { apt_install python3 python3-venv python3-dev && python="$(find_python)"; } ||
      die "Python 3.11 is needed (Debian 12: apt-get install python3 python3-venv)"
    say "creating the virtual environment in .venv with $python"
    "$python" -m venv "$VENV" || die "could not create .venv (Debian: apt-get install python3-venv)"
  fi
  stamp="$VENV/.fieldwork-installed"
  want="$(cat pyproject.toml | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "installing the project and its pinned dependencies into .venv"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[test]" ||
      die "pip could not install the project (see above)"
    echo "$want" > "$stamp"
  fi
}

# The reports' PDF embeds DejaVu and Droid Sans Fallback (the six official languages' scripts);
# without them it falls back to Latin-only fonts, so say so rather than fail.
ensure_fonts() {
  [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] && [ -f /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf ] && return 0
  apt_install fonts-dejavu-core fonts-droid-fallback ||
    say "WARNING: could not install the fonts the PDF reports embed (Debian: apt-get install fonts-dejavu-core fonts-droid-fallback); PDFs will use Latin-only fonts"
}

broker_answers() {
  "$VENV/bin/python" - "$1" "$2" <<'PY'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()
except OSError:
    sys.exit(1)
PY
}

ensure_rabbitmq() {
  local uri="${AMQP_URI:-amqp://guest:guest@127.0.0.1:5672/fieldwork}"
  local hostport host port
  hostport="$(printf '%s' "$uri" | sed -E 's#^[a-z]+://([^@]*@)?([^/]*).*#\2#')"
  host="${hostport%%:*}"; port="${hostport##*:}"; [ "$port" = "$hostport" ] && port=5672
  if broker_answers "$host" "$port"; then
    say "RabbitMQ answers at $host:$port: left as it is (this script changes no broker it did not start)"
    return 0
  fi
  case "$host" in
    127.0.0.1|localhost|::1) ;;
    *) die "RabbitMQ does not answer at $host:$port (AMQP_URI); start it there, or unset AMQP_URI to use a local one" ;;
  esac
  if ! command -v rabbitmq-server >/dev/null 2>&1 && [ ! -x /usr/sbin/rabbitmq-server ]; then
    apt_install rabbitmq-server ||
      die "RabbitMQ is not installed and cannot be installed here: install it (Debian: apt-get install rabbitmq-server) and run this again"
  fi
  say "starting RabbitMQ"
  as_root rabbitmq-server -detached >/dev/null 2>&1 || as_root service rabbitmq-server start >/dev/null 2>&1 ||
    die "could not start RabbitMQ: start it yourself (rabbitmq-server -detached) and run this again"
  for _ in $(seq 1 90); do
    if broker_answers "$host" "$port"; then say "RabbitMQ is up"; return 0; fi
    sleep 1
  done
  die "RabbitMQ did not come up within 90 s (see /var/log/rabbitmq)"
}

# Nothing here changes a broker that was already running (its plugins, users, settings): the
# system needs only AMQP, and the broker topology is loaded by `fieldwork up` over AMQP into its
# own vhost. The management UI is the broker owner's choice (README, "Watching the events");
# the test of the definitions over the management API runs a broker node of its own.

# Headless Chromium (Debian's package) for the web console's end-to-end tests (tests/e2e),
# which drive it with Playwright; installed where that is possible (as root or with sudo). In
# CI it must be there; elsewhere those tests are skipped with this reason.
ensure_chromium() {
  local chromium="${FIELDWORK_TEST_CHROMIUM:-/usr/bin/chromium}"
  [ -x "$chromium" ] && return 0
  if apt_install chromium && [ -x "$chromium" ]; then say "chromium installed"; return 0; fi
  if [ -n "${CI:-}" ]; then
    die "chromium is needed for the web console tests in CI and cannot be installed here: install it (Debian: apt-get install chromium) and run this again"
  fi
  say "note: chromium is not installed and cannot be installed here (Debian: apt-get install chromium, as root); the web console tests (tests/e2e) will be skipped"
  return 0
}
