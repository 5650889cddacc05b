#!/bin/sh
# Builds bench/local_exact.cpp against an already built library (build/libdarkcharge.a) and
# runs it under /usr/bin/time -v (peak memory). Arguments are passed on to the program.
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
g++ -O3 -DNDEBUG -std=c++17 -fopenmp -I"$root/include" -I"$build/include" -I/usr/include/eigen3 \
  "$root/bench/local_exact.cpp" "$build/libdarkcharge.a" -lfmt -o "$build/local_exact"
# Passive waiting: on a shared, oversubscribed machine spinning OpenMP threads burn the time
# slices their partners need (4x slower wall time at load ~10 with the default policy).
OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive} OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} /usr/bin/time -v "$build/local_exact" "$@" 2>&1 |
  grep -v -E "^\s+(Average|Exit|Socket|Signals|Swaps|File system|Page size|Minor|Major|Voluntary|Involuntary|System time)"
