#!/usr/bin/env bash
# Set up .venv with Python >= 3.12 and install allocator with its test tools.
# Idempotent: re-running only reinstalls when pyproject.toml or requirements.lock changed.
set -euo pipefail
cd "$(dirname "$0")/.."

want_major=3
want_minor=12

is_ok() {  # is "$1" a Python >= 3.12 with venv?
  "$1" -c "import sys, venv; sys.exit(0 if sys.version_info >= ($want_major, $want_minor) else 1)" >/dev/null 2>&1
}

find_python() {
  local c
  if [ -n "${ALLOCATOR_PYTHON:-}" ]; then
    if is_ok "$ALLOCATOR_PYTHON"; then echo "$ALLOCATOR_PYTHON"; return 0; fi
    echo "setup: ALLOCATOR_PYTHON=$ALLOCATOR_PYTHON is not Python >= 3.12 with venv" >&2
    return 1
  fi
  for c in python3.14 python3.13 python3.12 python3 python; do
    if command -v "$c" >/dev/null 2>&1 && is_ok "$(command -v "$c")"; then
      command -v "$c"; return 0
    fi
  done
  # pyenv installs versions without putting them on PATH unless selected
  local roots=("${PYENV_ROOT:-}" "$HOME/.pyenv")
  if command -v pyenv >/dev/null 2>&1; then roots+=("$(pyenv root 2>/dev/null || true)"); fi
  for r in "${roots[@]}"; do
    [ -n "$r" ] && [ -d "$r/versions" ] || continue
    for c in $(ls -1 "$r/versions" 2>/dev/null | grep -E '^3\.[0-9]+\.[0-9]+$' | sort -t. -k2,2nr -k3,3nr); do
      if is_ok "$r/versions/$c/bin/python3"; then echo "$r/versions/$c/bin/python3"; return 0; fi
    done
  done
  for c in /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9] /opt/homebrew/bin/python3.1[2-9]; do
    if [ -x "$c" ] && is_ok "$c"; then echo "$c"; return 0; fi
  done
  return 1
}

if [ -x .venv/bin/python ] && ! is_ok .venv/bin/python; then
  echo "setup: .venv holds an older Python; recreating it" >&2
  rm -rf .venv
fi

if [ ! -x .venv/bin/python ]; then
  if ! py=$(find_python); then
    cat >&2 <<'MSG'
setup: no Python 3.12 or newer was found (PuLP 4 needs it).
  Install one, then run this again, for example:
    pyenv install 3.12                     (this script then finds it by itself)
    sudo apt-get install python3.12 python3.12-venv   (Debian/Ubuntu releases that ship it)
    brew install python@3.12
  Or point ALLOCATOR_PYTHON at an existing python3.12+ executable.
MSG
    exit 1
  fi
  echo "setup: creating .venv with $py ($("$py" -c 'import platform; print(platform.python_version())'))" >&2
  # uv (below) installs the packages, so the venv needs no pip of its own; ensurepip alone
  # takes several seconds. The bootstrap Python is remembered for fetching uv.
  "$py" -m venv --without-pip .venv
  echo "$py" > .venv/.bootstrap-python
fi

# Editable install in "compat" mode (a plain path in a .pth file): the default import-hook
# finder costs about 70 ms at every interpreter start, before `allocate` can handle Ctrl-C.
# Install exactly the versions in requirements.lock (the ones the tests passed with), with uv
# (seconds from its cache), fetched once into .venv/uv-tool by the bootstrap Python's pip; with
# pip inside the venv if uv cannot be had. Quiet unless something fails. Byte-compiled at
# install (pip does it by itself, uv does not): where PYTHONDONTWRITEBYTECODE is set,
# as on these machines, Python never caches it and every command would compile pandas,
# matplotlib and the rest from source (allocate --cap 2%: about 6 s instead of 3).
UV_VERSION=0.13.9
stamp=.venv/.allocator-installed
want=$(cat pyproject.toml requirements.lock scripts/setup.sh | sha256sum | cut -d' ' -f1)

install_locked() {
  local py=.venv/bin/python uv=.venv/uv-tool/bin/uv
  local boot
  boot=$(cat .venv/.bootstrap-python 2>/dev/null || command -v python3)
  if [ ! -x "$uv" ]; then
    "$boot" -m pip install --quiet --disable-pip-version-check --target .venv/uv-tool \
      "uv==$UV_VERSION" || true
  fi
  if [ -x "$uv" ]; then
    "$uv" pip install --quiet --python "$py" -r requirements.lock &&
      "$uv" pip install --quiet --python "$py" --no-deps -e . -C editable_mode=compat
  else
    "$py" -m ensurepip --upgrade &&
      "$py" -m pip install --quiet --disable-pip-version-check -r requirements.lock &&
      "$py" -m pip install --quiet --disable-pip-version-check --no-deps -e . \
        --config-settings editable_mode=compat
  fi || return 1
  # byte-compile what is installed (only files without a current .pyc; a file that does not
  # compile on this Python, such as a package's test data, is left as it is)
  "$py" -m compileall -q -j 0 "$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
    >/dev/null 2>&1 || true
}

if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log=.venv/setup.log
  if ! install_locked >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup: installing the locked packages failed (output above, also in $log)" >&2
    exit 1
  fi
  echo "$want" > "$stamp"
fi
# Byte-compile allocator itself too (an editable install is not compiled): about 0.2 s of every
# command's start-up. Only changed files are compiled again; a stale file is ignored.
.venv/bin/python -m compileall -q allocator >/dev/null || true
echo "setup: ready (.venv/bin/allocate; 'source .venv/bin/activate' puts allocate on PATH)" >&2
