#!/usr/bin/env bash
# `npm run bench`: every figure beside its peer, measured in the same run on this machine.
# Each bench prints the command that reproduces it. Benchmarks are never part of the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-test-tools.sh
npm run --silent build
npx tsx bench/issuance.ts
# ACME orders per second end to end beside the REST issuance rate on the same server (issue 21).
npx tsx bench/acme.ts
npx tsx bench/sm2.ts
npx tsx bench/tsa.ts
npx tsx bench/ocsp.ts
npx tsx bench/crl.ts
npx tsx bench/scale-out.ts
