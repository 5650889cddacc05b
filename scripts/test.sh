#!/usr/bin/env bash
# Builds darkcharge (library, CLI, Python module, man page, tests, benchmarks, examples) and
# runs every test through ctest: the C++ and CLI suites, pytest on python/tests (Debian's
# /usr/bin/python3 against the module in the build tree), the quickstart notebook
# (nbclient), and the consumer example built against an install into a temporary prefix.
# Then the sanitizer build below (CLI and bad-input tests under ASan/UBSan).
set -euo pipefail
cd "$(dirname "$0")/.."
# Passive OpenMP waiting for every test process (the gtest binaries set it through ctest too;
# this reaches pytest, the notebook and the CLI processes the tests start): on a machine with
# few cores ctest -j runs tests side by side, and spinning threads make each one many times slower.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
# The options are set explicitly: scripts/install-and-run.sh configures the same `build`
# directory with tests, benchmarks and examples off, and CMake would keep those values.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDARKCHARGE_BUILD_TESTS=ON \
  -DDARKCHARGE_BUILD_BENCH=ON -DDARKCHARGE_BUILD_EXAMPLES=ON -DDARKCHARGE_BUILD_CLI=ON \
  -DDARKCHARGE_BUILD_PYTHON=ON >/dev/null
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)"

# --- Sanitizers -----------------------------------------------------------------------
# A second build with AddressSanitizer and UndefinedBehaviorSanitizer (any report is fatal)
# runs the command-line tests -- CLI, output safety, signals, the fuzz tests of arguments and
# checkpoints (ctest label "cli") -- the library's bad-input tests (label "bad-input") and
# the exact and steady-state solvers' tests (label "solvers"). The whole library is built
# instrumented: objects built with and without the sanitizers disagree on Eigen's alignment,
# so nothing uninstrumented is linked in. Sanitizer reports exit with 98/99, never with the
# CLI's own 0/1/2, so the tests see them as failures.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDARKCHARGE_BUILD_BENCH=OFF -DDARKCHARGE_BUILD_EXAMPLES=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build build-asan -j"$(nproc)" --target darkcharge darkcharge_cli darkcharge_cli_tests \
  darkcharge_cli_safety_tests darkcharge_bounds_tests darkcharge_solver_tests
ASAN_OPTIONS=exitcode=99:detect_leaks=1 UBSAN_OPTIONS=exitcode=98:print_stacktrace=1 \
  ctest --test-dir build-asan -L "cli|bad-input|solvers" -E "^CliMpi" --output-on-failure -j"$(nproc)"
# The MPI tests with ASan and UBSan but without leak detection: Open MPI itself
# leaks at MPI_Finalize (ompi_op_base_op_select, opal_argv, unloaded MCA plugins), which
# would fail every run; darkcharge's own code is checked for leaks by the runs above.
ASAN_OPTIONS=exitcode=99:detect_leaks=0 UBSAN_OPTIONS=exitcode=98:print_stacktrace=1 \
  ctest --test-dir build-asan -R "^CliMpi" --output-on-failure -j"$(nproc)"
