#!/usr/bin/env bash
# Put Coolify's upstream files for the pinned version (roles/coolify/defaults/main.yml: coolify_version) into
# .cache/coolify-upstream/<version>/ and check each against the SHA-256 sums kept in this repository
# (tests/testbed/coolify-upstream/<version>.sha256). The coolify scenario runs these REAL compose files and env template
# (the role's air-gap path, coolify_source_dir) and the Coolify contract test reads openapi.yaml.
# Where the files come from, first that has them:
#   1. $AI_CODING_COOLIFY_UPSTREAM_DIR   a local copy (offline machines; the files under their upstream names,
#                                        .env.production may be named env.production)
#   2. ../shared/reference/coolify-upstream beside the checkout, when present (one such local copy)
#   3. the release tag on GitHub: https://raw.githubusercontent.com/coollabsio/coolify/v<version>/<file>
# A file whose sum differs is never used. Prints the directory on stdout. Usage: coolify-upstream.sh
set -euo pipefail
# shellcheck source=tests/testbed/env.sh
source "$(dirname "$0")/env.sh"
say() { printf 'coolify-upstream: %s\n' "$*" >&2; }

version=$(sed -n 's/^coolify_version:[[:space:]]*"\{0,1\}\([^"[:space:]]*\)"\{0,1\}.*/\1/p' "$REPO_ROOT/roles/coolify/defaults/main.yml")
sums=$REPO_ROOT/tests/testbed/coolify-upstream/$version.sha256
[[ -f $sums ]] || { say "no sums for Coolify $version: add tests/testbed/coolify-upstream/$version.sha256"; exit 1; }
dest=$CACHE_DIR/coolify-upstream/$version
files=$(awk '{print $2}' "$sums")

if [[ -d $dest ]] && (cd "$dest" && sha256sum --quiet -c "$sums" >/dev/null 2>&1); then
  echo "$dest"
  exit 0
fi

tmp=$(mktemp -d "$CACHE_DIR/coolify-upstream.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

from_dir() { # dir: copy the files from a local copy; fail if one is missing
  local f src
  for f in $files; do
    src=$1/$f
    [[ $f == env.production && ! -f $src && -f $1/.env.production ]] && src=$1/.env.production
    [[ -f $src ]] || { say "$1 has no $f"; return 1; }
    cp "$src" "$tmp/$f"
  done
}
from_tag() {
  local f url base=https://raw.githubusercontent.com/coollabsio/coolify/v$version
  for f in $files; do
    url=$base/$f
    [[ $f == env.production ]] && url=$base/.env.production
    curl -fsSL --max-time 60 -o "$tmp/$f" "$url" || { say "could not download $url"; return 1; }
  done
}

source=""
if [[ -n ${AI_CODING_COOLIFY_UPSTREAM_DIR:-} ]]; then
  [[ -d $AI_CODING_COOLIFY_UPSTREAM_DIR ]] || { say "AI_CODING_COOLIFY_UPSTREAM_DIR=$AI_CODING_COOLIFY_UPSTREAM_DIR is not a directory"; exit 1; }
  from_dir "$AI_CODING_COOLIFY_UPSTREAM_DIR" && source=$AI_CODING_COOLIFY_UPSTREAM_DIR
elif [[ -d $REPO_ROOT/../shared/reference/coolify-upstream ]] && from_dir "$REPO_ROOT/../shared/reference/coolify-upstream"; then
  source=$REPO_ROOT/../shared/reference/coolify-upstream
elif from_tag; then
  source="the v$version tag on GitHub"
fi
if [[ -z $source ]]; then
  say "Coolify $version's upstream files are not here and could not be downloaded. On an offline machine set"
  say "AI_CODING_COOLIFY_UPSTREAM_DIR to a directory holding: ${files//$'\n'/ }"
  exit 1
fi
if ! (cd "$tmp" && sha256sum --quiet -c "$sums" >&2); then
  say "the files from $source do not match tests/testbed/coolify-upstream/$version.sha256: not used"
  exit 1
fi
mkdir -p "$(dirname "$dest")"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
say "Coolify $version's upstream files from $source, checked, in $dest"
echo "$dest"
