#!/usr/bin/env bash
# Writes the demo's one-page HTML report: the results table and the pictures, embedded (the page
# needs no network and no files beside it). Called by demo.sh as
#   demo-report.sh OUT_DIR TITLE NOTE [CAPTION=FILE.svg]...
# where OUT_DIR holds table.md (the Markdown table demo.sh prints) and NOTE is a line shown under the
# table (the synthetic-data warning, or empty). Writes OUT_DIR/report.html atomically.
set -euo pipefail
out=$1; title=$2; note=$3; shift 3

escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'; }

# A Markdown table (| a | b |, then |---|, then rows) → an HTML table; numbers right-aligned.
table_html() {
  awk -F'|' '
    function cell(tag, text) { gsub(/^ +| +$/, "", text); align = (text ~ /^[-0-9.–() ]+$/) ? " class=\"n\"" : ""; return "<" tag align ">" text "</" tag ">" }
    NR == 1 { printf "<table><thead><tr>"; for (i = 2; i < NF; i++) printf "%s", cell("th", $i); print "</tr></thead><tbody>"; next }
    NR == 2 { next }
    { printf "<tr>"; for (i = 2; i < NF; i++) printf "%s", cell("td", $i); print "</tr>" }
    END { print "</tbody></table>" }'
}

tmp=$(mktemp "$out/.report.html.tmp-XXXXXX")
trap 'rm -f "$tmp"' EXIT
{
  cat <<HEAD
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>$(printf '%s' "$title" | escape)</title>
<style>
body { font: 15px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; } th, td { border: 1px solid #ccc; padding: 4px 8px; } th { background: #f3f3f3; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } .warning { color: #a00; font-weight: bold; }
figure { margin: 2em 0; } figcaption { font-weight: bold; margin-bottom: .5em; } figure img { max-width: 100%; height: auto; }
</style></head><body>
<h1>$(printf '%s' "$title" | escape)</h1>
HEAD
  escape < "$out/table.md" | table_html
  if [ -n "$note" ]; then printf '<p class="warning">%s</p>\n' "$(printf '%s' "$note" | escape)"; fi
  for pair in "$@"; do
    caption=${pair%%=*}; file=${pair#*=}
    [ -f "$file" ] || continue
    printf '<figure><figcaption>%s</figcaption>\n' "$(printf '%s' "$caption" | escape)"
    # Embedded as a data: URI, not inline markup: each SVG keeps its own ids and styles.
    printf '<img alt="%s" src="data:image/svg+xml;base64,' "$(printf '%s' "$caption" | escape)"
    base64 -w0 < "$file"
    printf '">\n'
    echo '</figure>'
  done
  echo '</body></html>'
} > "$tmp"
chmod 644 "$tmp"
mv -f "$tmp" "$out/report.html"
trap - EXIT
