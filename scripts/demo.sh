#!/usr/bin/env bash
# README command 1: set up, simulate a small city, run the nightly pipeline for its three nights, say where
# the results are.
# Everything goes to $SAFETYNET_HOME (default ./var); the exchange to $SAFETYNET_EXCHANGE.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

AS_OF=2026-05-27
export SAFETYNET_HOME="${SAFETYNET_HOME:-$PWD/var}"
export SAFETYNET_EXCHANGE="${SAFETYNET_EXCHANGE:-$SAFETYNET_HOME/exchange}"

scripts/bootstrap.sh
.venv/bin/safetynet simulate --out "$SAFETYNET_EXCHANGE" --scale 0.002 --seed 1 --as-of "$AS_OF" --days 3
# The three simulated nights in order, as the scheduler would run them: alerts go new -> open, and the
# anomaly report's trend has previous nights to show.
for night in 2026-05-25 2026-05-26 "$AS_OF"; do
    .venv/bin/safetynet run --as-of "$night"
done

cat <<EOF2

Results
  warehouse:      $SAFETYNET_HOME/warehouse/current.duckdb
  anomaly report: $SAFETYNET_HOME/reports/$AS_OF/anomalies.html   (one per night)
  alerts:         .venv/bin/safetynet alerts [--code CODE] [--town NAME]; safetynet review-alert ALERT_ID ...
  window tools:   .venv/bin/safetynet profile <ID>; .venv/bin/safetynet verify <ID> --out report.html --reason ...
  run summary:    $SAFETYNET_HOME/runs/$AS_OF/summary.json (Airflow log beside it)
  exchange:       $SAFETYNET_EXCHANGE
  Airflow home:   $SAFETYNET_HOME/airflow
  Airflow UI:     .venv/bin/safetynet airflow-ui   (then http://127.0.0.1:8080, user admin)
EOF2
