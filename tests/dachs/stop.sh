#!/usr/bin/env bash
# Stop the test DaCHS server started by tests/dachs/setup.sh. PostgreSQL is left running
# (pass --all to stop the 15/main cluster too). Safe to run when nothing is running.
set -euo pipefail

log() { printf '[dachs-stop] %s\n' "$*"; }
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    exec sudo -n -E bash "$0" "$@"
  fi
  log "ERROR: must run as root" >&2
  exit 1
fi

if command -v dachs >/dev/null; then
  if dachs serve stop >/dev/null 2>&1; then
    log "DaCHS stopped"
  else
    log "DaCHS was not running"
  fi
else
  log "DaCHS is not installed"
fi

if [[ "${1:-}" == "--all" ]] && command -v pg_ctlcluster >/dev/null; then
  if pg_lsclusters -h 2>/dev/null | awk '$1=="15" && $2=="main" && $4=="online"' | grep -q .; then
    pg_ctlcluster 15 main stop
    log "PostgreSQL 15/main stopped"
  fi
fi
