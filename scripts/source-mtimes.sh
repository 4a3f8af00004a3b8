#!/usr/bin/env bash
# Lets a fresh clone reuse the build of an earlier one in the shared target directory.
#
# Cargo decides that curate's own crates are stale by file times: a fresh clone's files are all
# new, so every clone rebuilt the five crates and relinked every test binary (3.5 min on 2 cores)
# even when nothing changed. `record` (after a build) writes each tracked file's path, Git blob
# id and time; `restore` (before a build) gives a file back its recorded time when its content is
# the recorded one. Changed files keep their new time, so cargo rebuilds exactly what changed.
#
# Restoring is safe only if the target directory was last built from the recorded files, so
# `restore` does nothing when anything under the target's .fingerprint folders is newer than the
# record (someone built without this script), and only files Git sees as unmodified are touched.
#
#   scripts/source-mtimes.sh restore|record
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
state=$target/.curate-source-times
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || exit 0

# "path<TAB>blob" of every tracked file whose working copy equals the index.
clean_files() {
  local modified
  modified=$(git ls-files -m -z | tr '\0' '\n')
  git ls-files -s -z | tr '\0' '\n' | awk -v FS='\t' -v mod="$modified" '
    BEGIN { n = split(mod, m, "\n"); for (i = 1; i <= n; i++) skip[m[i]] = 1 }
    { split($1, f, " "); if (!($2 in skip)) print $2 "\t" f[2] }'
}

case "${1:-}" in
  record)
    mkdir -p "$target"
    clean_files | while IFS=$'\t' read -r path blob; do
      [ -f "$path" ] && printf '%s\t%s\t%s\n' "$path" "$blob" "$(stat -c %Y "$path")"
    done >"$state.tmp"
    mv "$state.tmp" "$state"
    ;;
  restore)
    [ -f "$state" ] || exit 0
    for fp in "$target"/*/.fingerprint; do
      [ -d "$fp" ] || continue
      if [ -n "$(find "$fp" -newer "$state" -print -quit)" ]; then
        echo "curate: $target was built since the last recorded build; curate's crates rebuild" >&2
        exit 0
      fi
    done
    restored=0
    while IFS=$'\t' read -r path time; do
      touch -m -d "@$time" -- "$path" && restored=$((restored + 1))
    done < <(awk -v FS='\t' 'NR == FNR { want[$1 "\t" $2] = $3; next }
                            ($1 "\t" $2) in want { print $1 "\t" want[$1 "\t" $2] }' \
              "$state" <(clean_files))
    echo "curate: $restored unchanged source files keep the times of the last build" >&2
    ;;
  *)
    echo "usage: $0 restore|record" >&2
    exit 2
    ;;
esac
