#!/usr/bin/env bash
# README command 2: set up, start the test PostgreSQL, run the test suite. Extra args go to pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/bootstrap.sh

# PostgreSQL stays running for the next run (scripts/postgres.sh stop ends it), except in CI (CI=true),
# where this run stops it again if it started it.
if ! scripts/postgres.sh status; then
    scripts/postgres.sh start
    if [ "${CI:-}" = "true" ]; then
        trap 'scripts/postgres.sh stop || true' EXIT
    fi
fi
SAFETYNET_TEST_PG_URL="$(scripts/postgres.sh url)"
export SAFETYNET_TEST_PG_URL
export AIRFLOW__LOGGING__LOGGING_LEVEL=WARNING

status=0
.venv/bin/pytest -q -n 2 "$@" || status=$?
exit "$status"
