#!/usr/bin/env bash
# Build the collection tarball and prove it holds no caches, venvs or test output.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO_ROOT"
out=$CACHE_DIR/dist
rm -rf "$out" && mkdir -p "$out"
ansible-galaxy collection build --force --output-path "$out" . >/dev/null
tarball=$(ls "$out"/selfhosted-ai_coding-*.tar.gz)
listing=$(tar -tzf "$tarball")
bad=$(echo "$listing" | grep -E '(^|/)(\.venv|\.cache|\.git|__pycache__|\.pytest_cache|\.molecule|output)(/|$)|\.pyc$' || true)
if [[ -n $bad ]]; then
  echo "galaxy-build.sh: $tarball contains files that must be excluded:" >&2
  echo "$bad" | head -n 20 >&2
  exit 1
fi
for must in MANIFEST.json README.md meta/runtime.yml; do
  grep -qx "$must" <<<"$listing" || { echo "galaxy-build.sh: $must missing from $tarball" >&2; exit 1; }
done
echo "galaxy-build.sh: $(basename "$tarball") $(du -h "$tarball" | cut -f1), $(wc -l <<<"$listing") entries, no caches or venvs"
