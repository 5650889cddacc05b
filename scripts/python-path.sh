#!/usr/bin/env bash
# Makes `python3 -c "import darkcharge"` work for the `python3` first on PATH.
#
# The module is built for and installed into Debian's Python (/usr/bin/python3, which has
# numpy and pandas from Debian packages). If `python3` on PATH is another interpreter of the
# same CPython version (e.g. pyenv), the extension is binary compatible with it, so a
# darkcharge-debian.pth file in that interpreter's site-packages adds Debian's package
# directories to its path (after its own packages, which keep precedence). Nothing is done
# if `python3` already imports darkcharge or is a different version.
set -euo pipefail
debian=/usr/bin/python3
user_python="$(command -v python3 || true)"
[[ -n "$user_python" ]] || exit 0
if (cd / && "$user_python" -c "import darkcharge" 2>/dev/null); then
  exit 0
fi
version() { "$1" -c 'import sys; print(sys.implementation.name, *sys.version_info[:2])'; }
if [[ "$(version "$user_python")" != "$(version "$debian")" ]]; then
  echo "note: $user_python is $(version "$user_python"), darkcharge was built for" \
       "$debian ($(version "$debian")); use $debian for darkcharge"
  exit 0
fi
dirs="$("$debian" -c 'import site, sys; print("\n".join(p for p in sys.path if p.endswith(("dist-packages", "site-packages"))))')"
site_dir="$("$user_python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
SUDO=""
if [[ ! -w "$site_dir" ]]; then SUDO="sudo"; fi
pth="$site_dir/darkcharge-debian.pth"
# This changes another interpreter's module path, so it is said loudly, with the undo.
echo "$dirs" | $SUDO tee "$pth" >/dev/null
cat <<EOF
************************************************************************************
NOTE: changed the module search path of $("$user_python" -c 'import sys; print(sys.executable)')
  (the python3 first on your PATH, not Debian's $debian), so that it imports darkcharge:
  wrote $pth, which appends these directories to its sys.path
  (its own packages keep precedence):
$(echo "$dirs" | sed 's/^/    /')
  To undo: ${SUDO:+$SUDO }rm $pth
************************************************************************************
EOF
