#!/usr/bin/env bash
# Installs darkcharge's build and test dependencies from Debian packages.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  g++ make cmake libeigen3-dev libboost-dev libboost-random-dev libfmt-dev \
  libgtest-dev libcli11-dev nlohmann-json3-dev >/dev/null
