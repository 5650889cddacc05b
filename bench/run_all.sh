#!/usr/bin/env bash
# Reproduces every benchmark figure of bench/README.md with one command on a fresh Debian
# machine: installs the build dependencies and QuTiP 4.7 (python3-qutip), builds in Release,
# then runs (1) the engine throughput cases, (2) darkcharge vs QuTiP mcsolve, (3) the cost
# of one trajectory against N, (4) the density-matrix wall. Output: bench/results.md.
# Run it on an otherwise idle machine: the numbers are wall-clock times.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
SUDO=""; if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get install -y -qq --no-install-recommends python3-qutip >/dev/null
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
out=bench/results.md
{
  echo "# Benchmark results"
  echo
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
       "$(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%Y-%m-%d)."
  echo
  echo "## 1. Engine throughput (build/bench/darkcharge_bench)"
  echo
  echo '```'
  build/bench/darkcharge_bench
  echo '```'
  echo
  echo "## 2. darkcharge vs QuTiP 4.7 mcsolve, one core each (bench/compare_qutip.py)"
  echo
  /usr/bin/python3 bench/compare_qutip.py build/darkcharge 2>/dev/null
  echo
  echo "## 2b. Local noise: darkcharge vs QuTiP 4.7 mcsolve in the full 2^N space (bench/qutip_local_noise.py)"
  echo
  echo '```'
  OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive /usr/bin/python3 bench/qutip_local_noise.py build/darkcharge 2000
  echo '```'
  echo
  echo "## 3. Cost of one trajectory against N (bench/trajectory_cost.py)"
  echo
  /usr/bin/python3 bench/trajectory_cost.py build/darkcharge
  echo
  echo "## 4. The density-matrix wall, 60 s per run (bench/density_wall.py)"
  echo
  /usr/bin/python3 bench/density_wall.py 60 build/darkcharge 2>/dev/null
} | tee "$out"
echo "wrote $out"
