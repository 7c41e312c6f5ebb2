#!/usr/bin/env bash
# Regenerate i18n/cartona_marketplace.pot from a fresh install of the addon and merge it
# into every existing translation (i18n/*.po), keeping what is already translated.
#   bash scripts/i18n.sh
set -euo pipefail
# shellcheck source=scripts/_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
odoo_runtime_ready || { log "no Odoo runtime: run scripts/setup.sh first"; exit 1; }
ensure_postgres
work="$(mktemp -d)"
db="cartona_i18n_$$"
trap 'dropdb --if-exists "$db" >/dev/null 2>&1; rm -rf "$work"' EXIT
link_addon "$work/addons"
odoo=("$VENV/bin/python" "$(odoo_src)/odoo-bin" -c "$CARTONA_RUNTIME/odoo.conf"
    --addons-path="$(odoo_src)/addons,$(odoo_src)/odoo/addons,$work/addons"
    --data-dir="$work/data" -d "$db" --stop-after-init --logfile="$work/odoo.log")
log "installing cartona_marketplace in $db"
"${odoo[@]}" -i cartona_marketplace --without-demo=all
log "exporting i18n/cartona_marketplace.pot"
"${odoo[@]}" --modules=cartona_marketplace --i18n-export="$REPO_DIR/i18n/cartona_marketplace.pot"
for po in "$REPO_DIR"/i18n/*.po; do
    [ -e "$po" ] || continue
    log "merging $(basename "$po")"
    msgmerge --quiet --update --no-fuzzy-matching --backup=none --width=79 \
        "$po" "$REPO_DIR/i18n/cartona_marketplace.pot"
    msgfmt --check-format --output-file=/dev/null "$po"
    # The layout the OCA po-pretty-format check expects (polib, 78 columns).
    "$VENV/bin/python" -c 'import polib, sys; polib.pofile(sys.argv[1], wrapwidth=78).save()' "$po"
done
