#!/usr/bin/env bash
# `ansible-builder create` on extensions/ee (no container engine needed) into $CACHE_DIR/ee-create, then check the
# build context: the Containerfile starts FROM the maintained base image the definition names, the galaxy
# requirements pin the collections of collections/requirements.yml and install this collection from its tarball (built
# here, the version galaxy.yml says), and ansible-builder's introspection of the installed tarball finds the
# collection's controller-side Python needs (meta/execution-environment.yml: netaddr).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO_ROOT"
fail() { echo "ee-create.sh: $*" >&2; exit 1; }
command -v ansible-builder >/dev/null || fail "ansible-builder is not installed (requirements-test.txt pins it)"

work=$CACHE_DIR/ee-create
rm -rf "$work" && mkdir -p "$work/ee"
version=$(python -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
tarball=selfhosted-ai_coding-$version.tar.gz
ansible-galaxy collection build --force --output-path "$work" . >/dev/null
[[ -f $work/$tarball ]] || fail "ansible-galaxy collection build did not write $tarball"
# The definition as a user builds it: the tarball next to execution-environment.yml (its additional_build_files).
cp extensions/ee/execution-environment.yml extensions/ee/requirements.yml "$work/ee/"
cp "$work/$tarball" "$work/ee/"
ansible-builder create -f "$work/ee/execution-environment.yml" -c "$work/context" --output-filename Containerfile \
  >"$work/create.log" 2>&1 || { cat "$work/create.log" >&2; fail "ansible-builder create failed"; }

containerfile=$work/context/Containerfile
base=$(python -c 'import yaml,sys; print(yaml.safe_load(open(sys.argv[1]))["images"]["base_image"]["name"])' \
  extensions/ee/execution-environment.yml)
grep -qx "ARG EE_BASE_IMAGE=\"$base\"" "$containerfile" || grep -q "FROM $base" "$containerfile" ||
  fail "the Containerfile does not start from $base"
# shellcheck disable=SC2016 # the literal ARG reference ansible-builder writes
grep -q 'FROM $EE_BASE_IMAGE' "$containerfile" || grep -q "FROM $base" "$containerfile" ||
  fail "no FROM of the base image in the Containerfile"
case $base in *fedora*) fail "base image $base: Fedora releases are end-of-life within about 13 months" ;; esac
grep -q '^COPY _build /build$' "$containerfile" || fail "the Containerfile's galaxy stage does not copy _build to /build"
[[ -f $work/context/_build/collections/$tarball ]] || fail "$tarball is not in the build context"
cmp -s "$work/context/_build/collections/$tarball" "$work/$tarball" || fail "the context's $tarball is not the one built here"
python - "$work/context/_build/requirements.yml" "$tarball" <<'PY' || fail "the build context's galaxy requirements are wrong"
import sys, yaml
baked = yaml.safe_load(open(sys.argv[1]))["collections"]
project = yaml.safe_load(open("collections/requirements.yml"))["collections"]
pinned = [c for c in baked if c.get("type") != "file"]
assert pinned == project, f"EE pins {pinned}, collections/requirements.yml {project}"
assert all(c.get("version") for c in pinned), "every collection is pinned"
assert {"name": f"/build/collections/{sys.argv[2]}", "type": "file"} in baked, "this collection from its tarball"
PY

# Introspection, as the build runs it: install the tarball (no deps: only its own files matter here) and read it.
ANSIBLE_COLLECTIONS_PATH=$work/installed ansible-galaxy collection install --offline --no-deps --force -p "$work/installed" "$work/$tarball" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; fail "could not install $tarball to introspect it"; }
ansible-builder introspect --sanitize "$work/installed" >"$work/introspect.txt" 2>&1 ||
  { cat "$work/introspect.txt" >&2; fail "ansible-builder introspect failed"; }
grep -Eq "^- '?netaddr.*# from collection selfhosted\.ai_coding" "$work/introspect.txt" ||
  { cat "$work/introspect.txt" >&2; fail "introspection does not find netaddr in selfhosted.ai_coding's meta/execution-environment.yml"; }
grep -Eq "^- '?openssh-clients.*# from collection selfhosted\.ai_coding" "$work/introspect.txt" ||
  { cat "$work/introspect.txt" >&2; fail "introspection does not find the collection's bindep file"; }
echo "ee-create.sh: build context in $work/context (FROM $base, $tarball, pinned collections, netaddr introspected)"
