#!/bin/sh
# Checks (or, with --fix, applies) the project's formatting:
#   C/C++ sources tracked by git against .clang-format (clang-format 14, as
#   on Debian 12; other versions format differently and are refused), and
#   .editorconfig basics (final newline, no trailing blanks, no tabs in
#   sources) for every tracked text file.
# Usage: scripts/check-format.sh [--fix]
# Exit: 0 formatted, 1 not formatted (the files are listed), 77 wrong tools.
set -eu
cd "$(dirname "$0")/.."
fix=no
[ "${1:-}" = "--fix" ] && fix=yes

cf=${CLANG_FORMAT:-clang-format}
command -v "$cf" >/dev/null 2>&1 || { echo "check-format: $cf not found; run scripts/setup.sh" >&2; exit 77; }
major=$("$cf" --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p')
if [ "$major" != 14 ]; then
  echo "check-format: clang-format $major found, the style is checked with 14 (Debian 12)" >&2
  exit 77
fi

bad=0
sources=$(git ls-files '*.cpp' '*.h' '*.hpp' '*.c')
for f in $sources; do
  if [ $fix = yes ]; then
    "$cf" -i "$f"
  elif ! "$cf" --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "not formatted: $f   (fix: scripts/check-format.sh --fix)"
    bad=1
  fi
done

for f in $(git ls-files | grep -v -e '^docs/reference/' -e '\.\(mp4\|png\|jpg\|wav\)$'); do
  [ -f "$f" ] || continue
  if [ -s "$f" ] && [ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" != '\n' ]; then
    echo "no final newline: $f"; bad=1
  fi
  case $f in *.md) continue ;; esac
  if grep -n '[[:blank:]]$' "$f" >/dev/null; then
    echo "trailing whitespace: $f:$(grep -n '[[:blank:]]$' "$f" | head -1 | cut -d: -f1)"; bad=1
  fi
done
for f in $sources $(git ls-files 'meson.build' '*/meson.build' '*.sh' '*.py'); do
  if grep -n "$(printf '\t')" "$f" >/dev/null; then
    echo "tab character: $f:$(grep -n "$(printf '\t')" "$f" | head -1 | cut -d: -f1)"; bad=1
  fi
done

[ $bad = 0 ] && echo "check-format: $(echo $sources | wc -w) sources formatted"
exit $bad
