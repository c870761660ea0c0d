#!/usr/bin/env bash
# Makes sure PostgreSQL answers on 127.0.0.1:5432 with trust auth for the user postgres:
# nothing to do when it runs, starts the installed cluster when it is down, installs it
# from Debian's packages when it is missing.
set -euo pipefail
log() { printf '\033[1;34m[konveyer]\033[0m %s\n' "$*" >&2; }
ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

ready && exit 0
if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
  log "installing PostgreSQL from Debian's packages"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql
fi
VERSION="$(ls /etc/postgresql | sort -V | tail -1)"
# Our own pg_hba with trust on loopback, rather than editing /etc.
HBA="${XDG_CACHE_HOME:-$HOME/.cache}/konveyer/pg_hba.conf"
mkdir -p "$(dirname "$HBA")"
cat > "$HBA" <<'HBA'
local   all all                trust
host    all all 127.0.0.1/32   trust
host    all all ::1/128        trust
HBA
chmod 644 "$HBA"
log "starting PostgreSQL $VERSION"
$SUDO pg_ctlcluster --skip-systemctl-redirect "$VERSION" main start -o "-c hba_file=$HBA" || true
for _ in $(seq 1 30); do ready && exit 0; sleep 1; done
log "PostgreSQL did not start on 127.0.0.1:5432"
exit 1
