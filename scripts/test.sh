#!/usr/bin/env bash
# The whole test suite, runnable on a fresh clone: installs what it needs, builds, type-checks, runs vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
npm run build
npm run typecheck
npx vitest run "$@"
