# Sourced by the bench-*.sh scripts (installs /usr/bin/time when missing). measure LABEL CMD...: runs CMD once to warm the page cache,
# then 3 times under /usr/bin/time -v; prints "LABEL best-wall-seconds largest-peak-RSS-kB".
# Needs DIR (scratch folder) and OUT (the output path, removed before and after every run).
# Each timed run starts after sync(1): otherwise the dirty pages earlier runs left behind are
# flushed during (and throttle the writes of) whichever command happens to run next.
if [ ! -x /usr/bin/time ]; then
  SUDO=$( [ "$(id -u)" = 0 ] || echo sudo )
  $SUDO apt-get install -y -qq time >/dev/null
fi

measure() {
  local label=$1; shift
  local best="" rss=0
  rm -rf "$OUT"; "$@" >/dev/null 2>&1; rm -rf "$OUT"
  for _ in 1 2 3; do
    sync
    /usr/bin/time -v -o "$DIR/time.txt" "$@" >/dev/null 2>"$DIR/stderr.txt" || { cat "$DIR/stderr.txt" >&2; exit 2; }
    local wall kb
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$DIR/time.txt")
    kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$DIR/time.txt")
    rm -rf "$OUT"
    if [ -z "$best" ] || awk "BEGIN { exit !($wall < $best) }"; then best=$wall; fi
    [ "$kb" -gt "$rss" ] && rss=$kb
  done
  echo "$label $best $rss"
}
