#!/usr/bin/env bash
# The test command: the pure unit tests always; the Odoo suite, the upgrade and no-demo
# install checks and the end-to-end suite whenever the Odoo runtime of scripts/setup.sh is
# installed. Ends with a "checks: ..." line and one "N passed, N failed" line that counts
# tests only; a failed check fails the run too.
#   bash scripts/test.sh            # everything
#   UNIT_ONLY=1 bash scripts/test.sh
set -uo pipefail
# shellcheck source=scripts/_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
cd "$REPO_DIR" || exit 2

unit_passed=0 unit_failed=0 odoo_passed=0 odoo_failed=0 status=0
checks=()
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# ---------------------------------------------------------------- unit tests
python_for_units() {
    if [ -x "$VENV/bin/python" ]; then
        echo "$VENV/bin/python"
        return
    fi
    if python3 -c 'import pytest, requests' >/dev/null 2>&1; then
        echo python3
        return
    fi
    local unit_venv="$CARTONA_RUNTIME/venv-unit"
    if [ ! -x "$unit_venv/bin/python" ]; then
        log "creating a small virtualenv for the unit tests in $unit_venv"
        python3 -m venv "$unit_venv" && "$unit_venv/bin/python" -m pip -q install pytest requests hypothesis >&2
    fi
    echo "$unit_venv/bin/python"
}

PY="$(python_for_units)"

junit_counts() {
    # junit_counts FILE: "passed failed" of a pytest junit XML (xfail/skip excluded).
    "$PY" - "$1" <<'PYEOF'
import sys
import xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    print(0, 1)
    raise SystemExit
suites = [root] if root.tag == "testsuite" else list(root)
total = sum(int(s.get("tests", 0)) for s in suites)
bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
print(total - bad - skipped, bad)
PYEOF
}

log "unit tests (pytest tests_unit)"
"$PY" -m pytest tests_unit -q -p no:cacheprovider --junitxml="$work/unit.xml" 2>&1 | tee "$work/unit.log"
unit_rc=${PIPESTATUS[0]}
read -r unit_passed unit_failed < <(junit_counts "$work/unit.xml")
if [ "$unit_rc" -ne 0 ] && [ "$unit_failed" -eq 0 ]; then unit_failed=1; fi
[ "$unit_rc" -eq 0 ] || status=1

# ---------------------------------------------------------------- Odoo suite
run_odoo() {
    # run_odoo LOGFILE ARGS...: odoo-bin with our config and a fresh addons link.
    local logfile="$1"
    shift
    "$VENV/bin/python" "$(odoo_src)/odoo-bin" -c "$CARTONA_RUNTIME/odoo.conf" \
        --addons-path="$(odoo_src)/addons,$(odoo_src)/odoo/addons,$work/addons" \
        --data-dir="$work/data" --http-port="${ODOO_TEST_HTTP_PORT:-18069}" \
        --stop-after-init --logfile="$logfile" "$@"
}

# Lines a clean install or test run must not contain: any ERROR or CRITICAL, and
# warnings coming from this addon (its loggers, its files or its records).
log_problems() {
    grep -E " (ERROR|CRITICAL) |odoo\.addons\.cartona_marketplace.* WARNING| WARNING .*cartona_marketplace" "$1" \
        | grep -v "odoo.tests.result" || true
}

# record_check NAME PROBLEMS: a check is clean without problem lines; a failed one fails
# the run but counts as no test.
record_check() {
    if [ -z "$2" ]; then
        echo "$1 check: clean"
        checks+=("$1 clean")
    else
        echo "$1 check FAILED:"; printf '%s\n' "$2" | head -30
        checks+=("$1 FAILED")
        status=1
    fi
}

if [ -n "${UNIT_ONLY:-}" ]; then
    echo "!!!!! ODOO SUITE SKIPPED: UNIT_ONLY is set !!!!!"
elif ! odoo_runtime_ready; then
    echo "!!!!! ODOO SUITE SKIPPED: no Odoo 18 runtime in $CARTONA_RUNTIME (run: bash scripts/setup.sh) !!!!!"
else
    ensure_postgres || exit 1
    link_addon "$work/addons"
    db="cartona_test_$$"
    db_nodemo="${db}_nodemo"
    dropdb --if-exists "$db" >/dev/null 2>&1
    dropdb --if-exists "$db_nodemo" >/dev/null 2>&1

    # Egypt's chart of accounts, when the Odoo tree has it: the money tests run under it
    # (they skip, saying why, without it).
    modules=cartona_marketplace
    if [ -d "$(odoo_src)/addons/l10n_eg" ]; then
        modules="cartona_marketplace,l10n_eg"
    else
        echo "!!!!! l10n_eg is not in the Odoo tree: the money tests are skipped !!!!!"
    fi
    log "Odoo suite: installing $modules with --test-enable in database $db"
    run_odoo "$work/odoo-test.log" -d "$db" -i "$modules" --test-enable \
        --test-tags "/cartona_marketplace" --log-level=test
    odoo_rc=$?
    result_line="$(grep -E "odoo\.tests\.result: [0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests" "$work/odoo-test.log" | tail -n 1)"
    grep -E "(FAIL|ERROR):|odoo\.tests\.(result|stats)|Traceback" -A3 "$work/odoo-test.log" | head -200
    if [[ "$result_line" =~ ([0-9]+)\ failed,\ ([0-9]+)\ error\(s\)\ of\ ([0-9]+)\ tests ]]; then
        odoo_failed=$((BASH_REMATCH[1] + BASH_REMATCH[2]))
        odoo_passed=$((BASH_REMATCH[3] - odoo_failed))
        echo "Odoo tests: ${BASH_REMATCH[3]} run, $odoo_failed failed or erroring"
    else
        echo "Odoo tests: no result line found (see log below)"
        tail -n 60 "$work/odoo-test.log"
        odoo_failed=$((odoo_failed + 1))
    fi
    problems="$(log_problems "$work/odoo-test.log")"
    if [ "$odoo_rc" -ne 0 ] || [ -n "$problems" ]; then
        echo "Odoo test run: exit code $odoo_rc; problem lines in the log:"
        printf '%s\n' "$problems" | head -50
        [ "$odoo_failed" -gt 0 ] || odoo_failed=1
    fi

    log "upgrade check: -u cartona_marketplace on $db"
    run_odoo "$work/odoo-upgrade.log" -d "$db" -u cartona_marketplace
    upgrade_rc=$?
    problems="$(log_problems "$work/odoo-upgrade.log")"
    [ "$upgrade_rc" -ne 0 ] && problems="exit code $upgrade_rc"$'\n'"$problems"
    record_check "upgrade" "$problems"

    log "install check without demo data in $db_nodemo"
    run_odoo "$work/odoo-nodemo.log" -d "$db_nodemo" -i cartona_marketplace --without-demo=all
    problems="$(log_problems "$work/odoo-nodemo.log")"
    grep -q "Modules loaded" "$work/odoo-nodemo.log" || problems="modules not loaded"$'\n'"$problems"
    record_check "install without demo" "$problems"
    if [ -n "${KEEP_TEST_LOGS:-}" ]; then cp "$work"/odoo-*.log "$KEEP_TEST_LOGS"/ 2>/dev/null; fi
    dropdb --if-exists "$db" >/dev/null 2>&1
    dropdb --if-exists "$db_nodemo" >/dev/null 2>&1
    [ "$odoo_failed" -eq 0 ] || status=1
fi

# ---------------------------------------------------------------- end-to-end suite
# tests_e2e/: a real Odoo server (prefork, queue_job's runner) on a fresh database, the
# Cartona sandbox and injected faults, all on 127.0.0.1 (see tests_e2e/conftest.py).
# Runs whenever the Odoo runtime exists; NO_E2E=1 skips it.
e2e_passed=0 e2e_failed=0
if [ -n "${UNIT_ONLY:-}" ] || [ -n "${NO_E2E:-}" ]; then
    echo "!!!!! E2E SUITE SKIPPED: UNIT_ONLY or NO_E2E is set !!!!!"
elif ! odoo_runtime_ready; then
    echo "!!!!! E2E SUITE SKIPPED: no Odoo 18 runtime in $CARTONA_RUNTIME (run: bash scripts/setup.sh) !!!!!"
else
    ensure_postgres || exit 1
    log "end-to-end suite (pytest tests_e2e: real Odoo server, job runner, sandbox faults)"
    "$VENV/bin/python" -m pytest tests_e2e -q -p no:cacheprovider \
        --junitxml="$work/e2e.xml" 2>&1 | tee "$work/e2e.log"
    e2e_rc=${PIPESTATUS[0]}
    read -r e2e_passed e2e_failed < <(junit_counts "$work/e2e.xml")
    if [ "$e2e_rc" -ne 0 ] && [ "$e2e_failed" -eq 0 ]; then e2e_failed=1; fi
    [ "$e2e_rc" -eq 0 ] || status=1
fi
# ---------------------------------------------------------------- end of end-to-end suite

echo "unit: $unit_passed passed, $unit_failed failed; odoo: $odoo_passed passed, $odoo_failed failed; e2e: $e2e_passed passed, $e2e_failed failed"
if [ "${#checks[@]}" -gt 0 ]; then
    joined="$(printf '%s, ' "${checks[@]}")"
    echo "checks: ${joined%, }"
else
    echo "checks: none run (no Odoo runtime, or UNIT_ONLY)"
fi
echo "$((unit_passed + odoo_passed + e2e_passed)) passed, $((unit_failed + odoo_failed + e2e_failed)) failed"
exit "$status"
