#!/usr/bin/env bash
# End-to-end test of `stance lsp` in a real editor: headless Neovim attaches the server to a
# copy of the example's rule file, a typo is typed, the diagnostic arrives, its quick fix is
# applied through the code action request, and the file's text is checked afterwards.
#
# Installs Neovim (Debian's package) when missing. Without it the test is skipped, except
# under CI=true, where that is a failure. Every step has a timeout.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v nvim >/dev/null 2>&1; then
    { timeout 600 apt-get install -y neovim || { timeout 600 apt-get update && timeout 600 apt-get install -y neovim; }; } \
        >/dev/null 2>&1 || true
fi
if ! command -v nvim >/dev/null 2>&1; then
    if [ "${CI:-}" = true ]; then
        echo "error: neovim is not installed and could not be installed" >&2
        exit 1
    fi
    echo "skipped: neovim is not installed (apt-get install -y neovim)" >&2
    exit 0
fi

# The binary under test: $STANCE_BIN, else the release build (which CI has already made).
if [ -z "${STANCE_BIN:-}" ]; then
    timeout 1200 cargo build --release --quiet
    STANCE_BIN="$PWD/target/release/stance"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r rules facts "$work/"

STANCE_BIN="$STANCE_BIN" STANCE_ROOT="$work" \
    timeout 120 nvim --headless -u NONE -i NONE -n -c "luafile tests/editor/typo_fix.lua"
echo "ok: neovim applied the quick fix"
