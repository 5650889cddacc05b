#!/usr/bin/env bash
# A newcomer's first command: install dependencies, build, install darkcharge system-wide
# (CLI, man page, headers, library, CMake package, pkg-config file, Python module under
# /usr/local), then run the default simulation (the paper's Fig. 2a case: N_B = 2,
# N_C = 10, zero temperature). Afterwards `darkcharge` and `python3 -c "import darkcharge"`
# work in a new shell from any directory.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
$SUDO cmake --install build >/dev/null
echo "installed under $(cmake -L -N build 2>/dev/null | sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p')"
scripts/python-path.sh
darkcharge simulate --output default-run.csv --summary default-run.json
echo "wrote default-run.csv and default-run.json"
tail -n 3 default-run.csv
