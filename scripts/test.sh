#!/usr/bin/env bash
# One command from a fresh Debian machine (as root) to the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run -s typecheck
npm run -s lint
npm test
