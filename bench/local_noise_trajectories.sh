#!/bin/sh
# Local-noise trajectories at scale: the brief's runs and the cost per trajectory against N.
#   bench/local_noise_trajectories.sh [BUILD_DIR] [targets|scaling|stretch|all]
# Each run prints wall and CPU seconds and peak memory (/usr/bin/time) and the run's note
# (trajectories, jumps per trajectory). g_down = g_phi = 0.01 on both ensembles (or dephasing
# on the battery only), nbar = 0, ground battery, t in [0, 20] on 61 times that resolve the
# burst (25 in [2e-4, 0.01], 35 log-spaced in [0.012, 20]).
set -eu
build=${1:-build}
what=${2:-all}
bin="$build/darkcharge"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
times=$(python3 -c "
import math
fine = [round(0.0002 * k, 6) for k in range(1, 51) if k % 2 == 0 or k == 1]
coarse = [round(0.012 * (20 / 0.012) ** (i / 34), 4) for i in range(35)]
print(','.join(str(x) for x in sorted(set([0.0] + fine[:25] + coarse))))")

run() {  # label, then simulate arguments
  label=$1
  shift
  /usr/bin/time -f "$label: %e s wall, %U s user, %S s sys, %M KB peak" \
    "$bin" simulate --battery-init ground --times "$times" --threads 2 -o "$out/run.csv" "$@" \
    2>&1 | grep -E "note: local-noise|s wall" || true
}

if [ "$what" = targets ] || [ "$what" = all ]; then
  run "1. N_B=1000 N_C=10000, decay+dephasing both, 1000 traj, default columns" \
    --nb 1000 --nc 10000 --local-decay 0.01 --local-dephasing 0.01 --trajectories 1000 -q
  run "2. same, dephasing on the battery only" \
    --nb 1000 --nc 10000 --local-decay 0.01 --battery-dephasing 0.01 --trajectories 1000 -q
fi
if [ "$what" = scaling ] || [ "$what" = all ]; then
  for spec in "1 20000" "10 5000" "100 1000" "1000 200" "10000 10"; do
    set -- $spec
    run "scaling N_B=$1 N_C=$(($1 * 10)) $2 traj E_B" --nb "$1" --nc "$(($1 * 10))" \
      --local-decay 0.01 --local-dephasing 0.01 --trajectories "$2" --observables E_B
  done
fi
if [ "$what" = stretch ] || [ "$what" = all ]; then
  run "3. N_B=10000 N_C=100000, 100 traj, E_B and W_B" --nb 10000 --nc 100000 \
    --local-decay 0.01 --local-dephasing 0.01 --trajectories 100 --observables E_B,W_B
fi
