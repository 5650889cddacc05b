#!/usr/bin/env bash
# Installs darkcharge's build and test dependencies from Debian packages.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Build: compiler, Eigen3, Boost.Random, fmt, Random123 (Philox streams), CLI11, nlohmann-json,
# OpenMPI (multi-machine runs), pybind11 + Python headers (the Python module).
# Test: GoogleTest, pytest, nbclient/ipykernel (the notebook), numpy/pandas/matplotlib/tqdm.
# Docs: help2man (the man page).
$SUDO apt-get install -y -qq --no-install-recommends \
  g++ make cmake pkg-config libeigen3-dev libboost-dev libboost-random-dev libfmt-dev \
  librandom123-dev libgtest-dev libcli11-dev nlohmann-json3-dev \
  libopenmpi-dev openmpi-bin pybind11-dev python3-dev \
  python3-numpy python3-pandas python3-matplotlib python3-tqdm \
  python3-pytest python3-nbclient python3-nbformat python3-ipykernel help2man >/dev/null
