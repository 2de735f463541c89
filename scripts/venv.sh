# Sourced by the scripts that need test tools from PyPI: builds (or reuses) a venv
# under $KARTEI_TOOLS_DIR (default ~/.cache/kartei-tools) from a pinned requirements
# file, rebuilt whenever that file changes.
#
#   tools_venv NAME REQUIREMENTS   sets VENV to the venv's folder

tools_venv() {
  local name="$1" requirements="$2" want have="" tools
  tools="${KARTEI_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kartei-tools}"
  VENV="$tools/$name"
  want=$(sha256sum "$requirements" | cut -d' ' -f1)
  [ -f "$VENV/.requirements" ] && have=$(cat "$VENV/.requirements")
  if [ "$want" != "$have" ] || [ ! -x "$VENV/bin/python" ]; then
    printf '\n== building the test tools venv in %s (PyPI)\n' "$VENV" >&2
    rm -rf "$VENV"
    mkdir -p "$tools"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$requirements"
    echo "$want" > "$VENV/.requirements"
  fi
}
