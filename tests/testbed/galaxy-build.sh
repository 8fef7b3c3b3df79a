#!/usr/bin/env bash
# Build the collection tarball and prove it holds no caches, venvs, test output or the checkout's collections/ link;
# then install it OFFLINE next to the collections the pinned `ansible` package ships (the versions CI tests), which
# fails when galaxy.yml's dependency ranges exclude them, and syntax-check the installed selfhosted.ai_coding.site.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO_ROOT"
out=$CACHE_DIR/dist
rm -rf "$out" && mkdir -p "$out"
ansible-galaxy collection build --force --output-path "$out" . >/dev/null
tarball=$(ls "$out"/selfhosted-ai_coding-*.tar.gz)
listing=$(tar -tzf "$tarball")
bad=$(echo "$listing" | grep -E '(^|/)(\.venv|\.cache|\.git|__pycache__|\.pytest_cache|\.molecule|output)(/|$)|\.pyc$|^collections(/|$)|^ansible\.cfg$' || true)
if [[ -n $bad ]]; then
  echo "galaxy-build.sh: $tarball contains files that must be excluded:" >&2
  echo "$bad" | head -n 20 >&2
  exit 1
fi
for must in MANIFEST.json README.md COPYING meta/runtime.yml playbooks/site.yml; do
  grep -qx "$must" <<<"$listing" || { echo "galaxy-build.sh: $must missing from $tarball" >&2; exit 1; }
done

# Offline install: ansible-galaxy counts a dependency as met when a matching version sits on the collections path,
# so the venv's site-packages (holding the `ansible` package's ansible_collections/) goes on it, after the target.
site_packages=$(python -c 'import ansible_collections, os; print(os.path.dirname(os.path.dirname(ansible_collections.__file__)))' 2>/dev/null) ||
  site_packages=$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
[[ -d $site_packages/ansible_collections/community/general ]] ||
  { echo "galaxy-build.sh: no ansible_collections under $site_packages (is the pinned ansible package installed?)" >&2; exit 1; }
tested=$(python - "$site_packages/ansible_collections" <<'PY'
import json, sys, pathlib
root = pathlib.Path(sys.argv[1])
deps = ["ansible.posix", "ansible.utils", "community.crypto", "community.docker", "community.general"]
print(", ".join(f"{d} {json.loads((root / d.replace('.', '/') / 'MANIFEST.json').read_text())['collection_info']['version']}"
               for d in deps))
PY
)
install_dir=$out/installed
# Run from outside the checkout so its ansible.cfg (collections/ link) plays no part.
if ! (cd "$out" && ANSIBLE_COLLECTIONS_PATH="$install_dir:$site_packages" \
      ansible-galaxy collection install --offline -p "$install_dir" "$tarball" >"$out/install.log" 2>&1); then
  echo "galaxy-build.sh: offline install of $(basename "$tarball") against the tested collections failed" \
    "(galaxy.yml dependencies must include $tested):" >&2
  sed 's/^/  /' "$out/install.log" >&2
  exit 1
fi
[[ -f $install_dir/ansible_collections/selfhosted/ai_coding/MANIFEST.json ]] ||
  { echo "galaxy-build.sh: the install did not land in $install_dir" >&2; cat "$out/install.log" >&2; exit 1; }
if grep -q "Installing 'ansible\.\|Installing 'community\." "$out/install.log"; then
  echo "galaxy-build.sh: the install fetched a dependency instead of using the tested one:" >&2
  cat "$out/install.log" >&2
  exit 1
fi
# The installed collection's own playbook, by its FQCN, with the checkout's inventory.
if ! (cd "$out" && ANSIBLE_COLLECTIONS_PATH="$install_dir:$site_packages" \
      ansible-playbook selfhosted.ai_coding.site -i "$REPO_ROOT/inventories/sample" --syntax-check >"$out/syntax.log" 2>&1); then
  echo "galaxy-build.sh: ansible-playbook selfhosted.ai_coding.site --syntax-check failed on the installed collection:" >&2
  sed 's/^/  /' "$out/syntax.log" >&2
  exit 1
fi
echo "galaxy-build.sh: $(basename "$tarball") $(du -h "$tarball" | cut -f1), $(wc -l <<<"$listing") entries, no caches or venvs;" \
  "installs offline next to $tested; selfhosted.ai_coding.site passes --syntax-check"
