#!/usr/bin/env bash
# The README's second command: set up what is missing and run every test (unit, integration
# against the real RabbitMQ and PostgreSQL, the slow fault cases, and the web console in
# headless Chromium). Extra arguments go to pytest, e.g. `-m "not slow"` or `tests/unit`.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
ensure_venv
ensure_fonts
ensure_rabbitmq
ensure_chromium
exec "$VENV/bin/python" -m pytest "$@"
