#!/usr/bin/env bash
# Clean-machine check (run on demand; see docs/hardening.md).
#
# Clones the repository's committed HEAD into a temporary folder and there runs the README's two commands,
# `make demo` and `make test`, in a new virtual environment (the Makefile creates it): the demo reports must
# appear (outputs/<demo>/2025-12-31/manifest.json for every params/demo-*.yaml) and the tests must pass.
# Prints one line: the verdict with timings. Step logs stay in the temporary folder (kept on failure).
#
#   scripts/clean_machine.sh [--repo PATH_OR_URL] [--python PYTHON] [--cold] [--lab] [--keep]
#     --cold   no pip cache (every package downloaded, as on a machine that never installed them)
#     --lab    afterwards, time installing the `lab` extra (JupyterLab) and run tests/test_clients.py
#     --keep   keep the temporary folder even when everything passed
set -uo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
repo="$here" python="${PYTHON:-python3}" cold=0 lab=0 keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --repo) repo="$2"; shift 2 ;;
    --python) python="$2"; shift 2 ;;
    --cold) cold=1; shift ;;
    --lab) lab=1; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "clean machine: usage: $0 [--repo R] [--python P] [--cold] [--lab] [--keep]" >&2; exit 2 ;;
  esac
done

work="$(mktemp -d "${TMPDIR:-/tmp}/auditlib-clean.XXXXXX")"
clone="$work/auditlib"
# nothing of the caller's environment may stand in for the fresh one
unset VIRTUAL_ENV PYTHONPATH PYTHONHOME CONDA_PREFIX PIP_REQUIRE_VIRTUALENV
export PIP_DISABLE_PIP_VERSION_CHECK=1
[ "$cold" = 1 ] && export PIP_NO_CACHE_DIR=1

fail() {
  echo "clean machine: FAIL ($1; logs in $work)"
  exit 1
}
step() {  # step NAME COMMAND...: run in the clone, log to $work/NAME.log, set $secs
  local name="$1"; shift
  local t0=$SECONDS
  echo "clean machine: $name ..." >&2
  (cd "$clone" && "$@") >"$work/$name.log" 2>&1
  local rc=$?
  secs=$((SECONDS - t0))
  return $rc
}

command -v make >/dev/null || fail "make not found"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
  || fail "$python is not Python 3.11+"
pyver="$("$python" -c 'import platform; print(platform.python_version())')"

t_start=$SECONDS
git clone --quiet "$repo" "$clone" >"$work/clone.log" 2>&1 || fail "git clone $repo failed"
commit="$(git -C "$clone" rev-parse --short HEAD)"

step demo make demo PYTHON="$python" || fail "make demo exited $? after ${secs}s, see demo.log"
t_demo=$secs
demos=0
for p in "$clone"/params/demo-*.yaml; do
  id="$(basename "$p" .yaml)"
  [ -f "$clone/outputs/$id/2025-12-31/manifest.json" ] || fail "make demo left no outputs/$id/2025-12-31/manifest.json"
  demos=$((demos + 1))
done
[ "$demos" -gt 0 ] || fail "no params/demo-*.yaml in the clone"
[ -f "$clone/outputs/index.html" ] || fail "make demo left no outputs/index.html"

step test make test PYTHON="$python" || fail "make test exited $? after ${secs}s, see test.log"
t_test=$secs
summary="$(grep -E '[0-9]+ passed' "$work/test.log" | tail -1 | sed -E 's/=+//g; s/^ +| +$//g')"

extra=""
if [ "$lab" = 1 ]; then
  step lab "$clone/.venv/bin/python" -m pip install --quiet -e ".[lab]" || fail "installing the lab extra failed"
  t_lab=$secs
  step clients "$clone/.venv/bin/python" -m pytest -q -p no:cacheprovider tests/test_clients.py \
    || fail "tests/test_clients.py failed with JupyterLab installed, see clients.log"
  extra="; lab extra: install ${t_lab}s, test_clients $(grep -E '[0-9]+ passed' "$work/clients.log" | tail -1 \
    | sed -E 's/=+//g; s/^ +| +$//g') in ${secs}s"
fi

total=$((SECONDS - t_start))
verdict="clean machine: PASS ($commit, Python $pyver$([ "$cold" = 1 ] && echo ', cold pip cache'): make demo ${t_demo}s ($demos demo reports), make test ${t_test}s ($summary)$extra; total ${total}s)"
if [ "$keep" = 1 ]; then
  echo "$verdict; kept $work"
else
  rm -rf "$work"
  echo "$verdict"
fi
