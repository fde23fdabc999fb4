#!/usr/bin/env bash
# Run the full launch gate; the exit status is the verdict (0 only for GO).
set -uo pipefail
cd "$(dirname "$0")/.."
report=${1:-gate-report}
shift || true
PY=${PYTHON:-.venv/bin/python}
ci=$(printf '%s' "${CI:-}" | tr '[:upper:]' '[:lower:]')
if [ -z "$(printf '%s' "${CASTMATCH_SIGNING_KEY:-}" | tr -d '[:space:]')" ]; then
  # An empty (or blank) secret is no key: never sign with it, never replace it with a made-up one in CI.
  unset CASTMATCH_SIGNING_KEY
  if [ -n "$ci" ] && [ "$ci" != 0 ] && [ "$ci" != false ] && [ "$ci" != no ]; then
    echo "gate: CI is set and CASTMATCH_SIGNING_KEY is empty — the report will be unsigned, so NO-GO;" \
      "add the launch key as the CI secret (README: the signed report)" >&2
  else
    # Locally, sign with a key of this machine: not a launch key, so at best "GO, signed by an untrusted key".
    key=.castmatch/local-signing-key.pem
    [ -f "$key" ] || "$PY" -m pytest_castmatch keygen --out "$key" >/dev/null
    export CASTMATCH_SIGNING_KEY="$key"
    echo "gate: signing with the local key $key (not a launch key; see baselines/signers/README.md)"
  fi
fi
"$PY" -m pytest suites --gate-report "$report" "$@"
status=$?
echo "gate: report in $report/index.html (report.json, report.dsse.json, summary.md, findings.sarif)"
echo "gate: exit status $status — $([ $status = 0 ] && echo GO || echo NO-GO)"
exit $status
