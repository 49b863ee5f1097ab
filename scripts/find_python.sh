#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter (Rasa 3.6 supports >=3.8,<3.11).
# Looks at $PYTHON, then python3.10 on PATH, then pyenv's installed 3.10.x versions.
set -euo pipefail

is_310() {
  "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1
}

tried=()
if [[ -n "${PYTHON:-}" ]]; then
  if is_310 "$PYTHON"; then echo "$PYTHON"; exit 0; fi
  echo "error: PYTHON=$PYTHON is not a Python 3.10 interpreter (Rasa 3.6 needs >=3.8,<3.11)" >&2
  exit 1
fi

for candidate in python3.10 python3 python; do
  tried+=("$candidate on PATH")
  path="$(command -v "$candidate" 2>/dev/null || true)"
  if [[ -n "$path" ]] && is_310 "$path"; then echo "$path"; exit 0; fi
done

pyenv_root="${PYENV_ROOT:-}"
if [[ -z "$pyenv_root" ]] && command -v pyenv >/dev/null 2>&1; then pyenv_root="$(pyenv root)"; fi
pyenv_root="${pyenv_root:-$HOME/.pyenv}"
tried+=("$pyenv_root/versions/3.10.*/bin/python")
for path in $(ls -d "$pyenv_root"/versions/3.10.*/bin/python 2>/dev/null | sort -V -r); do
  if is_310 "$path"; then echo "$path"; exit 0; fi
done

{
  echo "error: no Python 3.10 interpreter found (Rasa 3.6 needs >=3.8,<3.11)."
  echo "Looked at: \$PYTHON (unset), ${tried[*]}."
  echo "Install one (e.g. 'pyenv install 3.10.13') or point PYTHON=/path/to/python3.10."
} >&2
exit 1
