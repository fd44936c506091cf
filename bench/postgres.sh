#!/usr/bin/env bash
# bench/postgres.sh BINARY: the audit log on a throwaway PostgreSQL 15 (bench/postgres.py says what it measures).
set -euo pipefail
exec python3 "$(dirname "$0")/postgres.py" "$1"
