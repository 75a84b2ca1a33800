#!/usr/bin/env bash
# Update requirements.lock deliberately: resolve pyproject.toml's dependencies (with the dev
# extra) again, for Python 3.12 and newer on any platform. Then run the tests and commit both.
#   scripts/lock.sh             keep every pinned version that still fits pyproject.toml
#   scripts/lock.sh --upgrade   take the newest versions that fit
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/uv-tool/bin/uv pip compile pyproject.toml --extra dev --universal --python-version 3.12 \
  --quiet --no-header -o requirements.lock "$@"
echo "lock: requirements.lock updated; now run the tests and commit it with pyproject.toml" >&2
