# shellcheck shell=bash
# Sourced by the test-bed scripts and the Makefile's recipes: one place for the paths and the environment.
#  - the checkout is reachable as ansible_collections/selfhosted/ai_coding through a symlink in .cache/collections
#    (no copying by hand; the checkout's own directory name does not matter);
#  - ANSIBLE_HOME is a scratch directory so nothing is written to ~/.ansible;
#  - ANSIBLE_COLLECTIONS_PATH puts the scratch collections dir FIRST and the checkout's parent LAST: Molecule's
#    prerun installs into the first entry, and had that been the checkout's parent it would delete the checkout
#    (reproduced, see TESTBED.md section 2). Our scenarios also set prerun: false.
REPO_ROOT=${REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
export REPO_ROOT
export VENV=${VENV:-$REPO_ROOT/.venv}
export CACHE_DIR=$REPO_ROOT/.cache
export ANSIBLE_HOME=$CACHE_DIR/ansible-home
export ANSIBLE_COLLECTIONS_PATH=$ANSIBLE_HOME/collections:$CACHE_DIR/collections
export ANSIBLE_ROLES_PATH=$ANSIBLE_HOME/roles
export ANSIBLE_LOCAL_TEMP=$ANSIBLE_HOME/tmp
export ANSIBLE_NOCOLOR=1
export ANSIBLE_FORCE_COLOR=0
export PY_COLORS=0
export MOLECULE_NO_LOG=false
export PYTHONDONTWRITEBYTECODE=1
export PATH=$VENV/bin:$PATH
COLLECTION_LINK=$CACHE_DIR/collections/ansible_collections/selfhosted/ai_coding
export COLLECTION_LINK

ensure_collection_link() {
  mkdir -p "$CACHE_DIR/collections/ansible_collections/selfhosted" "$ANSIBLE_HOME/collections" "$ANSIBLE_LOCAL_TEMP"
  if [[ "$(readlink "$COLLECTION_LINK" 2>/dev/null)" != "$REPO_ROOT" ]]; then
    rm -rf "$COLLECTION_LINK"
    ln -s "$REPO_ROOT" "$COLLECTION_LINK"
  fi
}
ensure_collection_link
