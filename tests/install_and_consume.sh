#!/usr/bin/env bash
# Installs the build tree into a temporary prefix (never the system), then builds and runs
# examples/consumer against it twice: with find_package(darkcharge) and with pkg-config.
# Also checks that the installed Python package imports from that prefix.
# Usage: install_and_consume.sh <build dir> <source dir> <python>
set -euo pipefail
build="$1" source="$2" python="$3"
work="$(mktemp -d "${TMPDIR:-/tmp}/darkcharge-consumer.XXXXXX")"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

cmake --install "$build" --prefix "$prefix" >/dev/null
for f in include/darkcharge/darkcharge.hpp include/darkcharge/ensemble/ensemble.hpp lib/libdarkcharge.a bin/darkcharge \
         lib/cmake/darkcharge/darkchargeConfig.cmake lib/cmake/darkcharge/darkchargeConfigVersion.cmake \
         lib/pkgconfig/darkcharge.pc share/man/man1/darkcharge.1; do
  [[ -e "$prefix/$f" ]] || { echo "not installed: $f"; exit 1; }
done

echo "== find_package(darkcharge)"
cmake -S "$source/examples/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/consumer" >/dev/null
"$work/consumer/consumer"

echo "== pkg-config darkcharge"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# shellcheck disable=SC2046
g++ -std=c++17 -O2 "$source/examples/consumer/main.cpp" -o "$work/consumer-pc" \
    $(pkg-config --cflags --libs darkcharge)
"$work/consumer-pc"

if [[ "$python" == none ]]; then "$prefix/bin/darkcharge" --version; exit 0; fi
echo "== Python package from the prefix"
site="$(find "$prefix" -name _core*.so -path '*darkcharge*' -printf '%h\n' | head -n 1)"
[[ -n "$site" ]] || { echo "Python module not installed"; exit 1; }
(cd "$work" && PYTHONPATH="$(dirname "$site")" PYTHONDONTWRITEBYTECODE=1 "$python" -c \
  "import darkcharge as dc; r = dc.steady(nb=2, nc=10); print('import darkcharge', dc.__version__, 'from', dc.__file__, 'E_B^ss =', r['E_B'][0])")
"$prefix/bin/darkcharge" --version
