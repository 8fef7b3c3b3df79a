#!/usr/bin/env bash
# `make demo`: deploy the platform with site.yml into a disposable local Debian systemd container acting as a VPS
# (inventory inventories/demo), then print the health table and how to reach each service.
# `demo.sh destroy` removes the container. Nothing here pretends: what the table shows was checked live.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO_ROOT"
NAME=ai-coding-demo
IMAGE=${AI_CODING_DEMO_IMAGE:-local/ai-coding-dind:trixie}
DEMO_DIR=$CACHE_DIR/demo

if [[ ${1:-up} == destroy ]]; then
  docker rm -f -v "$NAME" >/dev/null 2>&1 && echo "demo: removed $NAME" || echo "demo: no $NAME container"
  exit 0
fi

mkdir -p "$DEMO_DIR"
echo "demo: starting a fresh $NAME from $IMAGE"
docker rm -f -v "$NAME" >/dev/null 2>&1 || true
# The systemd-in-a-container recipe of the test bed (no --privileged: this machine refuses it), plus what a
# Docker engine inside needs (NET_ADMIN, seccomp unconfined, /var/lib/docker on a volume) for container-mode roles.
docker run -d --name "$NAME" --hostname "$NAME" \
  --cap-add SYS_ADMIN --cap-add NET_ADMIN --security-opt seccomp=unconfined \
  --cgroupns host -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock \
  --add-host ollama.demo.test:127.0.0.1 --add-host ai.demo.test:127.0.0.1 \
  -v /var/lib/docker "$IMAGE" /lib/systemd/systemd >/dev/null
for _ in $(seq 60); do
  state=$(docker exec "$NAME" systemctl is-system-running 2>/dev/null || true)
  [[ $state == running || $state == degraded ]] && break
  sleep 1
done
echo "demo: systemd in $NAME is ${state:-unknown}"

extra=()
[[ -f $REPO_ROOT/tests/testbed/demo-vars.sh ]] && source "$REPO_ROOT/tests/testbed/demo-vars.sh"

echo "demo: ansible-playbook site.yml -i inventories/demo ${extra[*]}"
ansible-playbook site.yml -i inventories/demo "${extra[@]}"
echo
echo "demo: ansible-playbook playbooks/verify.yml -i inventories/demo"
ansible-playbook playbooks/verify.yml -i inventories/demo "${extra[@]}"
cat <<MSG

demo: $NAME is up. Every service listens on the container's loopback only, as on a hardened VPS. Reach them with:
  docker exec -it $NAME bash                      # a shell on the demo "VPS"
  docker exec $NAME ollama list                   # Ollama's CLI, talking to the API on 127.0.0.1:11434
  docker exec $NAME python3 -c 'import urllib.request as u; print(u.urlopen("http://127.0.0.1:11434/api/tags").read().decode())'
  # Ollama through the reverse proxy (HTTPS, self-signed, basic auth as user "demo"; the password was generated
  # once into $CACHE_DIR/demo/ollama-proxy-password, mode 0600):
  docker exec $NAME python3 -c 'import base64,ssl,sys,urllib.request as u; r=u.Request("https://ollama.demo.test/api/version", headers={"Authorization": "Basic "+base64.b64encode(("demo:"+sys.argv[1]).encode()).decode()}); print(u.urlopen(r, context=ssl._create_unverified_context()).read().decode())' "\$(cat $CACHE_DIR/demo/ollama-proxy-password)"
  docker exec ai-coding-demo systemctl start ai-coding-backup.service   # a restic backup now (the timer runs it at 02:00)
  ansible-playbook playbooks/backup_drill.yml -i inventories/demo  # restore the latest snapshot into scratch and compare
  ansible-playbook playbooks/verify.yml -i inventories/demo   # the health table again (after: source tests/testbed/env.sh)
  make demo-destroy                               # remove it
MSG
