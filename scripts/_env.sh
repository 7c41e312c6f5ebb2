# shellcheck shell=bash
# Shared settings for scripts/setup.sh, scripts/test.sh and scripts/demo.sh.
# Everything the project installs lives outside the checkout, in $CARTONA_RUNTIME.
REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARTONA_RUNTIME="${CARTONA_RUNTIME:-${XDG_DATA_HOME:-$HOME/.local/share}/cartona_marketplace}"
VENV="$CARTONA_RUNTIME/venv"
ODOO_SRC_FILE="$CARTONA_RUNTIME/odoo_src_path"
PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
PGUSER="${PGUSER:-$(id -un)}"
export PGHOST PGPORT PGUSER

log() { printf '[cartona] %s\n' "$*" >&2; }

# Path of the Odoo source tree chosen by setup, or empty when none is installed.
odoo_src() {
    [ -f "$ODOO_SRC_FILE" ] || return 0
    local src
    src="$(cat "$ODOO_SRC_FILE")"
    [ -x "$src/odoo-bin" ] && printf '%s\n' "$src"
}

odoo_runtime_ready() {
    [ -x "$VENV/bin/python" ] && [ -n "$(odoo_src)" ] \
        && "$VENV/bin/python" -c 'import importlib.util as u, odoo.release; assert u.find_spec("odoo.addons.queue_job")' >/dev/null 2>&1
}

pg_is_up() { pg_isready -q -h "$PGHOST" -p "$PGPORT" >/dev/null 2>&1; }

# Start the local PostgreSQL cluster when it is down (Debian's pg_ctlcluster).
ensure_postgres() {
    pg_is_up && return 0
    if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
        local version
        version="$(ls /etc/postgresql | sort -V | tail -n 1)"
        log "starting PostgreSQL $version"
        pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    fi
    for _ in $(seq 1 30); do pg_is_up && return 0; sleep 1; done
    log "PostgreSQL is not reachable on $PGHOST:$PGPORT"
    return 1
}

# Create the database role Odoo connects as, when it is missing.
ensure_pg_role() {
    if psql -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname='$PGUSER'" 2>/dev/null | grep -q 1; then
        return 0
    fi
    log "creating PostgreSQL role $PGUSER"
    if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then
        su postgres -c "createuser --createdb --superuser '$PGUSER'"
    else
        PGUSER=postgres createuser --createdb --superuser "$PGUSER"
    fi
}

# An addons directory holding only a link named cartona_marketplace to this checkout.
link_addon() {
    local dir="$1"
    mkdir -p "$dir"
    ln -sfn "$REPO_DIR" "$dir/cartona_marketplace"
}
