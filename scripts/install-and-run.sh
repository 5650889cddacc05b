#!/usr/bin/env bash
# A newcomer's first command: install the Debian dependencies, build what gets installed
# (library, `darkcharge` CLI with its man page, Python module; no tests, benchmarks or
# examples -- `scripts/test.sh` builds those), install it, run the default simulation (the
# paper's Fig. 2a case: N_B = 2, N_C = 10, zero temperature) and say what came out.
#
# Installs under /usr/local by default (CLI, man page, headers, library, CMake package,
# pkg-config file, Python module); DARKCHARGE_PREFIX=/some/dir installs there instead and
# prints the PATH/PYTHONPATH lines to use it. Afterwards `darkcharge` and
# `python3 -c "import darkcharge"` work in a new shell from any directory.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${DARKCHARGE_PREFIX:-/usr/local}"
SUDO=""
if [ "$(id -u)" -ne 0 ] && [ ! -w "$(dirname "$prefix")" ]; then SUDO="sudo"; fi
jobs="$(nproc)"

echo "== 1/4 dependencies (Debian packages, scripts/install-deps.sh)"
scripts/install-deps.sh

echo "== 2/4 build: library, CLI, man page, Python module ($jobs parallel jobs)"
# `build` is shared with scripts/test.sh, which turns tests, benchmarks and examples back on
# and reuses the objects built here.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DDARKCHARGE_BUILD_TESTS=OFF -DDARKCHARGE_BUILD_BENCH=OFF -DDARKCHARGE_BUILD_EXAMPLES=OFF \
  -DDARKCHARGE_BUILD_CLI=ON -DDARKCHARGE_BUILD_PYTHON=ON >/dev/null
echo "   (a few minutes on 2 cores; compiler output goes to build/build.log)"
if ! cmake --build build -j"$jobs" >build/build.log 2>&1; then
  tail -n 30 build/build.log >&2
  echo "build failed; the full log is build/build.log" >&2
  exit 1
fi

echo "== 3/4 install under $prefix"
$SUDO cmake --install build >/dev/null
if [ "$prefix" = /usr/local ]; then
  dc=darkcharge
  scripts/python-path.sh  # prints any change it makes to another interpreter's path
else
  dc="$prefix/bin/darkcharge"
  python_dir="$(sed -n 's/^DARKCHARGE_PYTHON_INSTALL_DIR:PATH=//p' build/CMakeCache.txt)"
  echo "not on the default paths; to use this install:"
  echo "  export PATH=\"$prefix/bin:\$PATH\" MANPATH=\"$prefix/share/man:\${MANPATH:-}\""
  echo "  export PYTHONPATH=\"$prefix/$python_dir\${PYTHONPATH:+:\$PYTHONPATH}\""
fi

echo "== 4/4 the default run: darkcharge simulate --output default-run.csv --summary default-run.json"
# The CLI reports what the run gave (headline numbers with units and errors) on standard
# error; kept for the summary at the end, where a newcomer looks first.
if ! "$dc" simulate --output default-run.csv --summary default-run.json 2>default-run.log; then
  cat default-run.log >&2
  exit 1
fi

# A run spread over MPI processes, if this darkcharge has MPI. Open MPI refuses to start as
# root (as in most containers) unless told that this is intended.
mpi_example=""
if command -v mpirun >/dev/null && ! "$dc" --version | grep -q "not built in"; then
  mpirun_cmd="mpirun --oversubscribe"
  if [ "$(id -u)" -eq 0 ]; then mpirun_cmd="$mpirun_cmd --allow-run-as-root"; fi
  mpi_example="$mpirun_cmd -np 2 darkcharge simulate --nbar 0.5 --trajectories 4000 --output mpi-run.csv"
  echo "== MPI check: ${mpi_example/darkcharge/$dc}"
  ${mpi_example/ darkcharge / $dc } -q
  echo "   wrote mpi-run.csv ($(grep -m1 '^# trajectories=' mpi-run.csv | sed 's/^# //'))"
fi

cat <<EOF

== Done in $SECONDS s. The default run (paper Fig. 2a: N_B = 2 battery spins, N_C = 10 charger spins):
$(grep -v "^darkcharge: note:" default-run.log | sed 's/^darkcharge: //')

== Files in $(pwd):
   default-run.csv   the time series: one row per time, each column followed by its error <name>_err
                     (read with pandas: pd.read_csv("default-run.csv", comment="#"))
   default-run.json  parameters, final values with errors, P_B^max and its time
   default-run.log   the report above and the run's notes (how it was computed)
   Columns and units: man darkcharge, docs/physics.md (energies per spin in hbar omega,
   time in 1/gamma, power per spin in hbar omega gamma).

== Try next:
   darkcharge simulate --nb 20 --nc 100 --output big.csv         # 120 spins, still exact at T = 0
   darkcharge simulate --temperature 2 --trajectories 20000 --output warm.csv   # trajectories with error bars
   darkcharge exact --nbar 0.5 --output exact.csv                # the density-matrix check of the same model
   python3 -c "import darkcharge as dc; r = dc.simulate(nb=2, nc=10); print(r.to_pandas().tail())"
EOF
if [ -n "$mpi_example" ]; then echo "   $mpi_example"; fi
echo "   Documentation: README.md, docs/ (physics, statistics, performance, cluster runs, Python)."
