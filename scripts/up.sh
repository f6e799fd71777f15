#!/usr/bin/env bash
# One command from a fresh Debian machine (as root) to a running single-node cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
exec bin/skiff up "$@"
