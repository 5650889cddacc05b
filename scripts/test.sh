#!/usr/bin/env bash
# Builds darkcharge (library, CLI, Python module, man page, tests, benchmarks, examples) and
# runs every test through ctest: the C++ and CLI suites, pytest on python/tests (Debian's
# /usr/bin/python3 against the module in the build tree), the quickstart notebook
# (nbclient), and the consumer example built against an install into a temporary prefix.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)"
