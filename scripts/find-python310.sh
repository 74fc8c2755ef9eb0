#!/usr/bin/env sh
# Prints the path of a Python 3.10 interpreter, or explains how to get one.
# Rasa 3.6 runs on Python 3.8-3.10 only; we use 3.10.
# Order: $PYTHON, python3.10 on PATH, pyenv's 3.10.x, common system paths.
ok() { [ -n "$1" ] && [ -x "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; }
for c in "${PYTHON:-}" "$(command -v python3.10 2>/dev/null)"; do
  if ok "$c"; then echo "$c"; exit 0; fi
done
root="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
for c in $(ls -d "$root"/versions/3.10*/bin/python3.10 2>/dev/null | sort -r) /usr/local/bin/python3.10 /usr/bin/python3.10; do
  if ok "$c"; then echo "$c"; exit 0; fi
done
echo "No Python 3.10 found. Install it (e.g. 'pyenv install 3.10.13', or your OS package python3.10)," >&2
echo "or run: make install PYTHON=/path/to/python3.10" >&2
exit 1
