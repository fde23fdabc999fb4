#!/usr/bin/env bash
# Run the full launch gate; the exit status is the verdict (0 only for GO).
set -uo pipefail
cd "$(dirname "$0")/.."
report=${1:-gate-report}
shift || true
PY=${PYTHON:-.venv/bin/python}
if [ -z "${CASTMATCH_SIGNING_KEY:-}" ]; then
  # Only a signed report can be GO for launch. Locally, sign with a key of this machine;
  # CI signs with its own secret key, whose public half is baselines/signers/ci.pub.
  key=.castmatch/local-signing-key.pem
  [ -f "$key" ] || "$PY" -m pytest_castmatch keygen --out "$key" >/dev/null
  export CASTMATCH_SIGNING_KEY="$key"
  echo "gate: signing with the local key $key (not a launch signer; see baselines/signers/README.md)"
fi
"$PY" -m pytest suites --gate-report "$report" "$@"
status=$?
echo "gate: report in $report/index.html (report.json, report.dsse.json, summary.md, findings.sarif)"
echo "gate: exit status $status — $([ $status = 0 ] && echo GO || echo NO-GO)"
exit $status
