#!/usr/bin/env bash
# The README's first command: set up what is missing and run the system until Ctrl-C.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
ensure_venv
ensure_fonts
ensure_rabbitmq
exec "$VENV/bin/fieldwork" up "$@"
