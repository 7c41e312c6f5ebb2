#!/usr/bin/env bash
# Install everything needed to run, test and demo cartona_marketplace, outside the checkout:
#   - Debian packages Odoo's requirements build against, and Chromium for the browser tests;
#   - an Odoo 18.0 Community source tree: $ODOO_SRC when set, else Odoo's official source archive;
#   - a virtualenv with Odoo's requirements, OCA queue_job 18.0 and the test tools;
#   - an addons directory linking this checkout as cartona_marketplace, and an Odoo config file;
#   - a running PostgreSQL with a role for the current user.
# Idempotent: a second run only checks and takes seconds.
set -euo pipefail
# shellcheck source=scripts/_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"

ODOO_DOWNLOAD_URL="${ODOO_DOWNLOAD_URL:-https://nightly.odoo.com/18.0/nightly/src/odoo_18.0.latest.tar.gz}"
PYTHON="${PYTHON:-python3}"
DEBIAN_PACKAGES=(libldap2-dev libsasl2-dev libpq-dev chromium chromium-driver)
# Pinned so that every machine gets the same runtime; bump deliberately. queue_job
# 18.0.3.1.3 and later need odoo.tests.common.SETATTR_SOURCES, newer than Odoo 18.0 of Aug 2025.
EXTRA_REQUIREMENTS=(
    "odoo-addon-queue_job==18.0.3.1.2"
    # The venv's own setuptools (65) has a pkg_resources that cannot find
    # distributions installed under normalised names (zope_interface-8.7.dist-info):
    # gevent's plugin loading then fails and Odoo's websocket process crash-loops,
    # respawned every second. 81 drops pkg_resources, which gevent still loads.
    "setuptools>=75,<81"
    "pytest>=8,<9"
    "websocket-client>=1.6,<2"
    "hypothesis>=6.100,<7"
    "pre-commit>=3.7,<5"
)

mkdir -p "$CARTONA_RUNTIME"

install_debian_packages() {
    command -v dpkg >/dev/null 2>&1 || { log "not a Debian system: install ${DEBIAN_PACKAGES[*]} yourself"; return 0; }
    local missing=()
    for pkg in "${DEBIAN_PACKAGES[@]}"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        log "missing Debian packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})"
        return 1
    fi
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

choose_odoo_source() {
    local src
    if [ -n "${ODOO_SRC:-}" ]; then
        src="$(cd "$ODOO_SRC" && pwd)"
    elif [ -n "$(odoo_src)" ]; then
        src="$(odoo_src)"
    else
        src="$CARTONA_RUNTIME/odoo-src"
        if [ ! -x "$src/odoo-bin" ]; then
            log "downloading Odoo 18.0 source from $ODOO_DOWNLOAD_URL"
            local tmp
            tmp="$(mktemp -d)"
            curl -fL --retry 3 -o "$tmp/odoo.tar.gz" "$ODOO_DOWNLOAD_URL"
            mkdir -p "$src"
            tar -xzf "$tmp/odoo.tar.gz" -C "$src" --strip-components=1
            rm -rf "$tmp"
        fi
    fi
    [ -x "$src/odoo-bin" ] || { log "$src is not an Odoo source tree (no odoo-bin)"; exit 1; }
    grep -q "version_info = (18, 0" "$src/odoo/release.py" \
        || { log "$src is not Odoo 18.0"; exit 1; }
    printf '%s\n' "$src" >"$ODOO_SRC_FILE"
}

install_python() {
    local src stamp want
    src="$(odoo_src)"
    want="$(cat "$src/requirements.txt"; printf '%s\n' "${EXTRA_REQUIREMENTS[@]}" "$src")"
    stamp="$CARTONA_RUNTIME/venv.stamp"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && odoo_runtime_ready; then
        log "virtualenv up to date ($VENV)"
        return 0
    fi
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    local pip=("$VENV/bin/python" -m pip --disable-pip-version-check -q)
    "${pip[@]}" install --upgrade "pip>=25.3" wheel
    # cbor2==5.4.2 (pinned by Odoo) does not build with setuptools >= 81.
    printf 'setuptools<81\n' >"$CARTONA_RUNTIME/build-constraints.txt"
    log "installing Odoo's requirements (first run: several minutes)"
    "${pip[@]}" install --build-constraint "$CARTONA_RUNTIME/build-constraints.txt" -r "$src/requirements.txt"
    # compat mode: a plain editable install would let queue_job's site-packages/odoo/ shadow Odoo.
    "${pip[@]}" install --no-deps --no-build-isolation -e "$src" --config-settings editable_mode=compat
    "${pip[@]}" install --no-deps "${EXTRA_REQUIREMENTS[0]}"
    "${pip[@]}" install "${EXTRA_REQUIREMENTS[@]:1}"
    odoo_runtime_ready || { log "Odoo runtime does not import after install"; exit 1; }
    printf '%s' "$want" >"$stamp"
}

# Odoo builds right-to-left stylesheets (Arabic) with the rtlcss command of npm.
install_rtlcss() {
    command -v rtlcss >/dev/null 2>&1 && return 0
    if ! command -v npm >/dev/null 2>&1; then
        log "npm not found: install rtlcss (npm install -g rtlcss) for right-to-left layouts"
        return 0
    fi
    log "installing rtlcss (npm) for right-to-left stylesheets"
    npm install --global --silent "rtlcss@4" >/dev/null
}

write_odoo_config() {
    link_addon "$CARTONA_RUNTIME/addons"
    local src
    src="$(odoo_src)"
    cat >"$CARTONA_RUNTIME/odoo.conf" <<CONF
[options]
addons_path = $src/addons,$src/odoo/addons,$CARTONA_RUNTIME/addons
db_host = $PGHOST
db_port = $PGPORT
db_user = $PGUSER
data_dir = $CARTONA_RUNTIME/filestore
admin_passwd = admin
list_db = True
without_demo = False

[queue_job]
channels = root:2,root.cartona:2
CONF
}

install_debian_packages
choose_odoo_source
install_python
install_rtlcss
ensure_postgres
ensure_pg_role
write_odoo_config
log "ready: Odoo $("$VENV/bin/python" -c 'import odoo.release as r; print(r.version)') from $(odoo_src)"
log "runtime: $CARTONA_RUNTIME"
