#!/usr/bin/env bash
# The whole test suite: system tools, type check, then vitest (arguments pass through).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-test-tools.sh
npx tsc --noEmit -p tsconfig.json
npx vitest run "$@"
