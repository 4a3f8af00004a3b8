#!/usr/bin/env bash
# Lets a fresh clone reuse the build of an earlier one in the shared target directory.
#
# Cargo decides that curate's own crates are stale by file times: a fresh clone's files are all
# new, so every clone rebuilt the five crates and relinked every test binary (3.5 min on 2 cores)
# even when nothing changed. `record` (after a build) writes each tracked file's path, Git blob
# id and time; `restore` (before a build) gives a file back its recorded time when its content is
# the recorded one, and every other file the time of now, so cargo rebuilds exactly what changed
# (a changed file's own time can be older than a build that another clone made meanwhile).
#
# Restoring is safe only if the target directory was last built from the recorded files: when
# anything under the target's .fingerprint folders is newer than the record (someone built
# without this script), `restore` gives every file the time of now instead (a full rebuild of
# curate's crates). Edited files count by their content.
#
#   scripts/source-mtimes.sh restore|record
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
state=$target/.curate-source-times
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || exit 0

# "path<TAB>blob" of every tracked file: the blob of its working copy (the index's when it is
# unmodified, else hashed now).
files() {
  local modified
  modified=$(git ls-files -m -z | tr '\0' '\n')
  git ls-files -s -z | tr '\0' '\n' | awk -v FS='\t' -v mod="$modified" '
    BEGIN { n = split(mod, m, "\n"); for (i = 1; i <= n; i++) skip[m[i]] = 1 }
    { split($1, f, " "); if (!($2 in skip)) print $2 "\t" f[2] }'
  if [ -n "$modified" ]; then
    while IFS= read -r path; do
      [ -f "$path" ] && printf '%s\t%s\n' "$path" "$(git hash-object -- "$path")"
    done <<<"$modified"
  fi
}

case "${1:-}" in
  record)
    mkdir -p "$target"
    files | while IFS=$'\t' read -r path blob; do
      [ -f "$path" ] && printf '%s\t%s\t%s\n' "$path" "$blob" "$(stat -c %Y "$path")"
    done >"$state.tmp"
    mv "$state.tmp" "$state"
    ;;
  restore)
    [ -f "$state" ] || exit 0
    for fp in "$target"/*/.fingerprint; do
      [ -d "$fp" ] || continue
      if [ -n "$(find "$fp" -newer "$state" -print -quit)" ]; then
        # Built by hand since (from this clone or another): what it holds is unknown, so every
        # file is taken as changed.
        echo "curate: $target was built since the last recorded build (not through scripts/cargo.sh); curate's crates rebuild" >&2
        git ls-files -z | xargs -0 touch -m -c --
        exit 0
      fi
    done
    # Unchanged files get their recorded times; every other file the time of now, so that it is
    # newer than any build in the target directory (a build from another clone with other content
    # can be newer than this clone's edits).
    restored=0
    changed=0
    now=$(date +%s)
    while IFS=$'\t' read -r path time; do
      [ -f "$path" ] || continue
      if [ "$time" = now ]; then
        touch -m -d "@$now" -- "$path" && changed=$((changed + 1))
      else
        touch -m -d "@$time" -- "$path" && restored=$((restored + 1))
      fi
    done < <(awk -v FS='\t' 'NR == FNR { want[$1 "\t" $2] = $3; next }
                            { k = $1 "\t" $2; print $1 "\t" ((k in want) ? want[k] : "now") }' \
              "$state" <(files))
    echo "curate: $restored unchanged source files keep the times of the last build, $changed changed ones are rebuilt" >&2
    ;;
  *)
    echo "usage: $0 restore|record" >&2
    exit 2
    ;;
esac
