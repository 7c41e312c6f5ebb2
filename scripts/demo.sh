#!/usr/bin/env bash
# The one-command demo: a Cartona sandbox, an Odoo 18 database with cartona_marketplace, demo
# data and Cartona orders, and an Odoo server whose queue_job runner pushes status changes to
# the sandbox.
#   bash scripts/demo.sh            # run until Ctrl-C
#   bash scripts/demo.sh --reset    # drop the demo database and create it again first
#   bash scripts/demo.sh --check    # start everything, verify it, stop (also DEMO_NO_WAIT=1)
# Settings (environment): DEMO_DB (cartona_demo), ODOO_PORT (8069), SANDBOX_PORT (8071),
# SANDBOX_TOKEN (sandbox-token), ODOO_INTERFACE (127.0.0.1), STARTUP_TIMEOUT (180 seconds).
# Logs: $CARTONA_RUNTIME/demo/$DEMO_DB/{setup,sandbox,install,seed,odoo}.log (one directory per
# database, so demos of other databases on other ports run beside it)
# shellcheck disable=SC2317  # functions reached through trap and wait_until only
set -euo pipefail
# shellcheck source=scripts/_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
cd "$REPO_DIR"

DEMO_DB="${DEMO_DB:-cartona_demo}"
ODOO_PORT="${ODOO_PORT:-8069}"
SANDBOX_PORT="${SANDBOX_PORT:-8071}"
SANDBOX_TOKEN="${SANDBOX_TOKEN:-sandbox-token}"
ODOO_INTERFACE="${ODOO_INTERFACE:-127.0.0.1}"
STARTUP_TIMEOUT="${STARTUP_TIMEOUT:-180}"
CHECK="${DEMO_NO_WAIT:-}"
RESET=""
DEMO_DIR="$CARTONA_RUNTIME/demo/$DEMO_DB"

usage() { sed -n '2,11s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

for arg in "$@"; do
    case "$arg" in
        --reset) RESET=1 ;;
        --check | --no-wait) CHECK=1 ;;
        -h | --help) usage; exit 0 ;;
        *) log "unknown argument: $arg"; usage >&2; exit 2 ;;
    esac
done
[ "$CHECK" = 0 ] && CHECK=""
[[ "$DEMO_DB" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]*$ ]] || { log "invalid DEMO_DB: $DEMO_DB"; exit 2; }

ODOO_URL="http://127.0.0.1:$ODOO_PORT"
[ "$ODOO_INTERFACE" = 127.0.0.1 ] || [ "$ODOO_INTERFACE" = 0.0.0.0 ] || ODOO_URL="http://$ODOO_INTERFACE:$ODOO_PORT"
SANDBOX_ROOT="http://127.0.0.1:$SANDBOX_PORT"
SANDBOX_URL="$SANDBOX_ROOT/api/v1/"
CONTROL_URL="$SANDBOX_ROOT/_sandbox/"

# ------------------------------------------------------------------ processes we start
ODOO_PID=""
SANDBOX_PID=""
CLEANED=""

# start_background LOGFILE COMMAND...: runs COMMAND in its own session (so a Ctrl-C in the
# terminal reaches this script only, and we stop it cleanly); sets STARTED_PID.
start_background() {
    local logfile="$1"
    shift
    if command -v setsid >/dev/null 2>&1; then
        setsid "$@" >"$logfile" 2>&1 </dev/null &
    else
        "$@" >"$logfile" 2>&1 </dev/null &
    fi
    STARTED_PID=$!
}

# stop_process PID NAME: SIGTERM (its process group when it leads one), then SIGKILL after 20 s.
stop_process() {
    local pid="$1" name="$2" target="$1"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    [ "$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$pid" ] && target="-$pid"
    log "stopping $name (pid $pid)"
    kill -TERM -- "$target" 2>/dev/null || true
    for _ in $(seq 1 40); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "$name did not stop in 20 s: killing it"
        kill -KILL -- "$target" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    [ -z "$CLEANED" ] || return 0
    CLEANED=1
    stop_process "$ODOO_PID" "Odoo"
    stop_process "$SANDBOX_PID" "the Cartona sandbox"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ------------------------------------------------------------------ helpers
port_in_use() { (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

http_code() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$1" 2>/dev/null || true; }

# wait_until TIMEOUT PID LOGFILE DESCRIPTION COMMAND...: polls COMMAND every second; fails
# (showing the end of LOGFILE) when PID dies or TIMEOUT seconds pass.
wait_until() {
    local timeout="$1" pid="$2" logfile="$3" what="$4"
    shift 4
    local deadline=$((SECONDS + timeout))
    until "$@"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            log "$what: the process exited; end of $logfile:"
            tail -n 40 "$logfile" >&2
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            log "$what: not ready after ${timeout}s; end of $logfile:"
            tail -n 40 "$logfile" >&2
            return 1
        fi
        sleep 1
    done
}

odoo_bin() {
    "$VENV/bin/python" "$(odoo_src)/odoo-bin" -c "$CARTONA_RUNTIME/odoo.conf" \
        --addons-path="$ADDONS_PATH" "$@"
}

db_exists() {
    psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DEMO_DB'" 2>/dev/null | grep -qx 1
}

module_installed() {
    psql -d "$DEMO_DB" -tAc "SELECT state FROM ir_module_module WHERE name = 'cartona_marketplace'" \
        2>/dev/null | grep -qx installed
}

# Checksum of the files that make up the addon, to upgrade a reused database after changes.
addon_fingerprint() {
    find . \( -path ./.git -o -path ./scripts -o -path ./tests -o -path ./tests_unit \
        -o -path ./.ci -o -name __pycache__ -o -name '.*_cache' \) -prune \
        -o -type f \( -name '*.py' -o -name '*.xml' -o -name '*.csv' -o -name '*.js' \
        -o -name '*.scss' -o -name '*.po' -o -name '*.pot' \) -print0 \
        | sort -z | xargs -0 sha1sum | sha1sum | cut -d' ' -f1
}

# "ORDER_ID<TAB>OTPS": an order to inspect, and the retailer OTPs of the orders that need one
# to be delivered (installment and wallet top-up), read from the sandbox's control API.
sandbox_facts() {
    "$VENV/bin/python" - "$CONTROL_URL" <<'PYEOF'
import json, sys, urllib.request
control = sys.argv[1]
get = lambda path: json.load(urllib.request.urlopen(control + path, timeout=10))
orders = [get("orders/" + order["hashed_id"]) for order in get("orders")]
otps = [f"{o['hashed_id']} ({o['_sandbox']['payment_method']}): {o['_sandbox']['retailer_otp']}"
        for o in orders if o["_sandbox"]["payment_method"] in ("installment", "wallet_top_up")]
print(f"{orders[0]['hashed_id'] if orders else '<hashed_id>'}\t{', '.join(otps) or '-'}")
PYEOF
}

# login_works LOGIN PASSWORD: the user logs in to $DEMO_DB through XML-RPC.
login_works() {
    local body
    body="<?xml version='1.0'?><methodCall><methodName>authenticate</methodName><params>"
    body+="<param><value><string>$DEMO_DB</string></value></param>"
    body+="<param><value><string>$1</string></value></param>"
    body+="<param><value><string>$2</string></value></param>"
    body+="<param><value><struct></struct></value></param></params></methodCall>"
    curl -s -m 10 -H 'Content-Type: text/xml' --data "$body" "$ODOO_URL/xmlrpc/2/common" \
        | grep -q '<int>'
}

runner_ready() { grep -q "queue_job.jobrunner.runner: queue job runner ready for db $DEMO_DB" "$DEMO_DIR/odoo.log"; }
login_page_ok() { [ "$(http_code "$ODOO_URL/web/login")" = 200 ]; }
sandbox_ok() { [ "$(http_code "${CONTROL_URL}orders")" = 200 ]; }

# ------------------------------------------------------------------ 1. runtime
for port in "$ODOO_PORT" "$SANDBOX_PORT"; do
    if port_in_use "$port"; then
        log "port $port is already in use: stop what uses it or pick another one, e.g."
        log "  ODOO_PORT=8169 SANDBOX_PORT=8171 bash scripts/demo.sh"
        exit 1
    fi
done
mkdir -p "$DEMO_DIR"
log "checking the runtime (bash scripts/setup.sh; log: $DEMO_DIR/setup.log)"
if ! bash "$REPO_DIR/scripts/setup.sh" >"$DEMO_DIR/setup.log" 2>&1; then
    tail -n 30 "$DEMO_DIR/setup.log" >&2
    log "setup failed (see $DEMO_DIR/setup.log)"
    exit 1
fi
ensure_postgres
# Our own addons directory, linking this checkout (another checkout may own the shared one).
link_addon "$DEMO_DIR/addons"
ADDONS_PATH="$(odoo_src)/addons,$(odoo_src)/odoo/addons,$DEMO_DIR/addons"

# ------------------------------------------------------------------ 2. Cartona sandbox
PRODUCT_IDS="$("$VENV/bin/python" scripts/demo_seed.py --list-product-ids)"
log "starting the Cartona sandbox on port $SANDBOX_PORT (log: $DEMO_DIR/sandbox.log)"
start_background "$DEMO_DIR/sandbox.log" "$VENV/bin/python" -m sandbox \
    --host 127.0.0.1 --port "$SANDBOX_PORT" --token "$SANDBOX_TOKEN" \
    --seed-demo --seed-delivered --product-ids "$PRODUCT_IDS" --verbose
SANDBOX_PID="$STARTED_PID"
wait_until 30 "$SANDBOX_PID" "$DEMO_DIR/sandbox.log" "Cartona sandbox" sandbox_ok

# ------------------------------------------------------------------ 3. database
stamp="$DEMO_DIR/$DEMO_DB.addon-checksum"  # the addon files the database was upgraded with
marker="$DEMO_DIR/$DEMO_DB.created"        # this script created the database
seed() { "$VENV/bin/python" scripts/demo_seed.py --config "$CARTONA_RUNTIME/odoo.conf" \
    --addons-path "$ADDONS_PATH" --database "$DEMO_DB" "$@"; }

drop_demo_db() {
    dropdb --if-exists --force "$DEMO_DB"
    rm -rf "$CARTONA_RUNTIME/filestore/filestore/${DEMO_DB:?}"
    rm -f "$stamp" "$marker"
}

if [ -n "$RESET" ]; then
    log "dropping database $DEMO_DB (--reset)"
    drop_demo_db
elif db_exists && ! module_installed; then
    if [ ! -f "$marker" ]; then
        log "database $DEMO_DB exists without cartona_marketplace; add --reset to drop and recreate it"
        exit 1
    fi
    log "an earlier demo did not finish installing $DEMO_DB: recreating it"
    drop_demo_db
fi

if db_exists; then
    if [ "$(cat "$stamp" 2>/dev/null)" != "$(addon_fingerprint)" ]; then
        log "upgrading cartona_marketplace in $DEMO_DB: the addon changed (log: $DEMO_DIR/install.log)"
        odoo_bin -d "$DEMO_DB" -u cartona_marketplace --stop-after-init --http-port="$ODOO_PORT" \
            >"$DEMO_DIR/install.log" 2>&1 \
            || { tail -n 40 "$DEMO_DIR/install.log" >&2; log "upgrade failed; try --reset"; exit 1; }
        addon_fingerprint >"$stamp"
    else
        log "reusing database $DEMO_DB (add --reset to start from scratch)"
    fi
else
    log "creating database $DEMO_DB: Egyptian company (EGP), demo data, cartona_marketplace"
    log "  (a few minutes; log: $DEMO_DIR/install.log)"
    touch "$marker"
    seed --create-database >"$DEMO_DIR/install.log" 2>&1 \
        || { tail -n 40 "$DEMO_DIR/install.log" >&2; log "database creation failed"; exit 1; }
    odoo_bin -d "$DEMO_DB" -i cartona_marketplace --stop-after-init --http-port="$ODOO_PORT" \
        >>"$DEMO_DIR/install.log" 2>&1 \
        || { tail -n 40 "$DEMO_DIR/install.log" >&2; log "install failed"; exit 1; }
    module_installed || { log "cartona_marketplace is not installed in $DEMO_DB (see $DEMO_DIR/install.log)"; exit 1; }
    addon_fingerprint >"$stamp"
fi

# ------------------------------------------------------------------ 4. demo records
log "seeding $DEMO_DB: company, Arabic, users, Cartona configuration, products, stock and Cartona orders"
if ! seed --sandbox-url "$SANDBOX_URL" --token "$SANDBOX_TOKEN" \
    >"$DEMO_DIR/seed.out" 2>"$DEMO_DIR/seed.log"; then
    tail -n 40 "$DEMO_DIR/seed.log" >&2
    log "seeding failed (see $DEMO_DIR/seed.log)"
    exit 1
fi
log "$(cat "$DEMO_DIR/seed.out")"

# ------------------------------------------------------------------ 5. Odoo server
# queue_job as a server-wide module (--load) starts its job runner in a thread of the
# threaded server (--workers=0); it reads its channels from [queue_job] in odoo.conf.
# -d and no database filter: Odoo serves that one database without listing
# PostgreSQL's (a filter makes every runjob request open a connection to list them).
log "starting Odoo on $ODOO_URL (log: $DEMO_DIR/odoo.log)"
start_background "$DEMO_DIR/odoo.log" "$VENV/bin/python" "$(odoo_src)/odoo-bin" \
    -c "$CARTONA_RUNTIME/odoo.conf" --addons-path="$ADDONS_PATH" \
    -d "$DEMO_DB" \
    --http-interface="$ODOO_INTERFACE" --http-port="$ODOO_PORT" \
    --load=base,web,queue_job --workers=0
ODOO_PID="$STARTED_PID"
wait_until "$STARTUP_TIMEOUT" "$ODOO_PID" "$DEMO_DIR/odoo.log" "Odoo /web/login" login_page_ok
wait_until 60 "$ODOO_PID" "$DEMO_DIR/odoo.log" "queue_job runner" runner_ready
for login in admin salesperson storekeeper; do
    login_works "$login" "$login" || { log "Odoo does not accept $login/$login on $DEMO_DB"; exit 1; }
done
facts="$(sandbox_facts 2>>"$DEMO_DIR/sandbox.log" || true)"
EXAMPLE_ORDER="${facts%%$'\t'*}"
OTPS="${facts#*$'\t'}"

cat <<SUMMARY

  Cartona marketplace demo is running
  -----------------------------------
  Odoo              $ODOO_URL/web/login?db=$DEMO_DB
  Logins            admin / admin                 Nile Foods Distribution's administrator
                    salesperson / salesperson     Mona Salah, in Arabic: the Cartona orders are hers
                    storekeeper / storekeeper     Karim Adel, ships the orders (Inventory)
                    (database $DEMO_DB)
  Where to look     Cartona > Overview, Orders, Sync Logs, Configuration > Cartona Accounts
  Cartona sandbox   API $SANDBOX_URL   (header AuthorizationToken: $SANDBOX_TOKEN)
  Sandbox control   curl ${CONTROL_URL}orders            # orders and their statuses
                    curl ${CONTROL_URL}orders/${EXAMPLE_ORDER:-<hashed_id>}   # one order with its status history
                    curl ${CONTROL_URL}requests          # what Odoo sent
  Retailer OTPs     ${OTPS:-see curl ${CONTROL_URL}orders/<hashed_id>}
  Job runner        ready (queue_job, channel root.cartona)
  Logs              $DEMO_DIR/{odoo,sandbox,seed,install,setup}.log
  Stop              Ctrl-C (stops Odoo and the sandbox started by this script)

SUMMARY

if [ -n "$CHECK" ]; then
    log "check passed: /web/login answers 200, admin, salesperson and storekeeper log in, the queue_job runner is ready"
    exit 0
fi

# Run until Ctrl-C (trap above) or until Odoo or the sandbox exits on its own.
set +e
wait -n "$ODOO_PID" "$SANDBOX_PID"
status=$?
set -e
log "Odoo or the sandbox stopped (exit code $status); see $DEMO_DIR/odoo.log and sandbox.log"
exit "$status"
