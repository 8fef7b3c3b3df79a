#!/usr/bin/env bash
# ansible-test sanity, offline-capable. ansible-test must run from a path that ends in
# ansible_collections/selfhosted/ai_coding and resolves as such (it reads the physical cwd), so the working
# tree's files (tracked + untracked-not-ignored) are synced into .cache/ansible-test/ansible_collections/...
# A scratch HOME (~/.cache/ai-coding/ansible-test-home) holds ansible-test's caches and venvs and the get-pip stand-in (tests/testbed/get_pip_offline.py)
# that replaces the bootstrap download from a host unreachable here.
#
# The copy leaves out collections/ (the checkout's link to itself) and ansible.cfg (which uses it), as galaxy.yml's
# build_ignore does: sanity sees what the tarball ships. ansible-test would not walk the link, but its `symlinks` test
# refuses links to directories, and an ignore-2.x.txt entry for it would fail sanity on the built collection.
#
# Sanity tests skipped, and why (all others run):
#   compile and import run on the venv's Python only (see the Makefile: other interpreters are not installed).
#   Tests that need Docker/podman images (--docker) are not used: --local with this venv.
set -uo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO_ROOT" || exit 2

root=$CACHE_DIR/ansible-test
dest=$root/ansible_collections/selfhosted/ai_coding
# ansible-test's venvs are keyed by their requirements, so one scratch HOME serves every checkout on the machine.
export HOME=${AI_CODING_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ai-coding}/ansible-test-home
mkdir -p "$dest" "$HOME/.ansible/test/cache"

# The pip version ansible-test bootstraps in its venvs; the stand-in is cached under that name.
pip_ver=$(python - <<'PY'
import inspect, re
from ansible_test._internal import python_requirements as pr
print(re.search(r"pip='([0-9.]+)'", inspect.getsource(pr)).group(1))
PY
) || { echo "sanity.sh: cannot read ansible-test's pip version" >&2; exit 1; }
cp "$REPO_ROOT/tests/testbed/get_pip_offline.py" "$HOME/.ansible/test/cache/get_pip_${pip_ver//./_}.py"

rm -rf "$dest" && mkdir -p "$dest"
if git -C "$REPO_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
  git -C "$REPO_ROOT" ls-files -co --exclude-standard -z | { grep -zvE '^(collections/|ansible\.cfg$)' || true; } |
    tar -C "$REPO_ROOT" --ignore-failed-read --null -T - -cf - | tar -C "$dest" -xf -
else
  tar -C "$REPO_ROOT" --exclude=./.venv --exclude=./.cache --exclude=./.git --exclude=./collections --exclude=./ansible.cfg -cf - . | tar -C "$dest" -xf -
fi
cd "$dest" || exit 2
# The copy lives under the checkout's ignored .cache/, so ansible-test would list its files through the checkout's
# git (and find none): give the copy its own index (no commit needed; ansible-test reads `git ls-files`).
git init -q . && git add -A .
ansible-test sanity --local --python "$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" --color no "$@"
