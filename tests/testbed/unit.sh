#!/usr/bin/env bash
# Unit tests (tests/unit mirrors plugins/) and the contract suites (tests/integration/contract) with pytest.
# The collection is importable as ansible_collections.selfhosted.ai_coding through .cache/collections.
set -uo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO_ROOT" || exit 2
paths=()
for p in tests/unit tests/integration/contract; do [[ -d $p ]] && paths+=("$p"); done
PYTHONPATH=$CACHE_DIR/collections${PYTHONPATH:+:$PYTHONPATH} python -m pytest -q -p no:cacheprovider "${paths[@]}" "$@"
rc=$?
# pytest exits 5 when it collected no test: that is a failure of this suite, never a pass.
[[ $rc == 5 ]] && echo "unit.sh: no tests were collected" >&2
exit $rc
