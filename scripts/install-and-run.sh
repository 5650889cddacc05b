#!/usr/bin/env bash
# A newcomer's first command: install dependencies, build, run the default simulation
# (the paper's Fig. 2a case: N_B = 2, N_C = 10, zero temperature).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
./build/darkcharge simulate --output default-run.csv --summary default-run.json
echo "wrote default-run.csv and default-run.json"
tail -n 3 default-run.csv
