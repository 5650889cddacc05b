#!/usr/bin/env bash
# Regenerate every figure of Quach & Munro (2020) and the "beyond the paper" results from
# the darkcharge engine: data/fig2.png ... data/fig6.png, data/beyond_*.png and one tidy
# CSV per panel (data/fig2a.csv ... data/fig6d.csv, data/beyond_*.csv).
#
# Usage: examples/paper/make_figures.sh [--only fig2,fig3,fig4,fig5,fig6,beyond] [--replot]
# (--replot: redraw the PNGs from the CSVs in OUT_DIR, no engine runs)
#
# Environment: BUILD_DIR (default build-figures), THREADS (default 2), OUT_DIR (default
# data). Builds the darkcharge Python module into BUILD_DIR if it is missing; figures.py
# drives the engine through it (PYTHONPATH=BUILD_DIR/python). About 5 minutes on 2 cores.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BUILD_DIR:-$repo/build-figures}"
out="${OUT_DIR:-$repo/data}"
threads="${THREADS:-2}"
python=/usr/bin/python3  # needs numpy, scipy, matplotlib

start=$(date +%s)
# A fresh Debian machine: build dependencies and the plotting stack from Debian packages.
if ! "$python" -c "import numpy, scipy, matplotlib" 2>/dev/null || ! command -v cmake >/dev/null; then
  echo "== installing dependencies (Debian packages)"
  "$repo/scripts/install-deps.sh"
  sudo=""; if [[ "$(id -u)" -ne 0 ]]; then sudo="sudo"; fi
  $sudo apt-get install -y -qq --no-install-recommends python3-numpy python3-scipy \
    python3-matplotlib >/dev/null
fi
if ! compgen -G "$build/python/darkcharge/_core*.so" >/dev/null; then
  echo "== building the darkcharge Python module into $build"
  cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j"$threads" --target darkcharge_python
fi

echo "== regenerating figures into $out"
if [[ "$*" != *--only* || "$*" == *beyond* ]] && [[ "$*" != *--replot* ]]; then
  # The storage protocol (data/beyond_storage.png, ~70 s): charge, pulse, disconnect, store.
  PYTHONPATH="$build/python${PYTHONPATH:+:$PYTHONPATH}" "$python" \
    "$repo/examples/paper/beyond_storage.py" --out "$out" --threads "$threads"
fi
PYTHONPATH="$build/python${PYTHONPATH:+:$PYTHONPATH}" "$python" \
  "$repo/examples/paper/figures.py" --out "$out" --threads "$threads" "$@"

echo "== done in $(( $(date +%s) - start )) s"
