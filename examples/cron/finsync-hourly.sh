#!/usr/bin/env bash
# An hourly finsync run for cron: sync both sources, then gate on `finsync check`. Its exit code is the
# run's (see the README's exit codes): 75 means another run held a source (the free one still loaded), and
# the next hour simply runs again. Settings come from the environment file named by FINSYNC_ENV_FILE (KEY=VALUE lines,
# secrets included: keep it readable by the cron user only). Arguments name the warehouse, as for both
# commands: --destination postgres, or --duckdb-path FILE. finsync is the command on PATH (the crontab puts
# its virtualenv first), or FINSYNC's. Every line it writes is one JSON object (the check's result too).
set -uo pipefail

if [[ -n "${FINSYNC_ENV_FILE:-}" ]]; then
  set -a
  # shellcheck disable=SC1090
  . "$FINSYNC_ENV_FILE"
  set +a
fi
finsync="${FINSYNC:-finsync}"
if ! command -v "$finsync" >/dev/null; then
  echo "{\"level\": \"error\", \"event\": \"error\", \"message\": \"no finsync command on PATH ($PATH): put its virtualenv's bin first in the crontab's PATH, or set FINSYNC to its full path\", \"exit_code\": 2}" >&2
  exit 2
fi

"$finsync" --log-format json run "$@"
ran=$?
if [[ $ran -ne 0 ]]; then
  exit $ran
fi
"$finsync" --log-format json check --json --max-age 26h "$@"
