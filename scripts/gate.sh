#!/usr/bin/env bash
# Run the full launch gate; the exit status is the verdict (0 only for GO).
set -uo pipefail
cd "$(dirname "$0")/.."
report=${1:-gate-report}
shift || true
PY=${PYTHON:-.venv/bin/python}
"$PY" -m pytest suites --gate-report "$report" "$@"
status=$?
echo "gate: report written to $report/ — exit status $status ($([ $status = 0 ] && echo GO || echo NO-GO))"
exit $status
