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

# Paused inner containers (OpenHands pauses older sandboxes) sit in a frozen cgroup: unpause them first, or
# `docker rm -f` of the demo host never gets their exit and leaves it behind.
unpause_inner() {
  docker exec "$NAME" sh -c 'command -v docker >/dev/null && docker ps -q --filter status=paused | xargs -r docker unpause' \
    >/dev/null 2>&1 || true
}

if [[ ${1:-up} == destroy ]]; then
  unpause_inner
  docker rm -f -v "$NAME" >/dev/null 2>&1 && echo "demo: removed $NAME" || echo "demo: no $NAME container"
  exit 0
fi

mkdir -p "$DEMO_DIR"
echo "demo: starting a fresh $NAME from $IMAGE"
unpause_inner
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

# OpenHands, unless AI_CODING_DEMO_OPENHANDS=0: its images are built here once (minutes; cached by recipe), the host
# joins the `openhands` group through a second inventory, and the Ollama stand-in answers the agent from a script
# (tests/fixtures/ollama_standin/openhands_script.json) so the health table's "agent loop" row shows a real run.
inventories=(-i inventories/demo)
if [[ ${AI_CODING_DEMO_OPENHANDS:-1} != 0 ]]; then
  echo "demo: building the OpenHands app and sandbox images (the first time takes about 6 min; AI_CODING_DEMO_OPENHANDS=0 skips OpenHands)"
  ansible-playbook tests/testbed/demo_openhands.yml
  inventories+=(-i "$DEMO_DIR/openhands-inventory.yml")
  # A test-bed need, as molecule/_shared/prepare_dind.yml sets it: the inner dockerd cannot write the container's
  # IPv6 sysctls, so it must be told not to try (else every inner container, each sandbox, fails to start).
  docker exec "$NAME" sh -c 'mkdir -p /etc/systemd/system/docker.service.d && printf "[Service]\nEnvironment=DOCKER_ALLOW_IPV6_ON_IPV4_INTERFACE=1\n" >/etc/systemd/system/docker.service.d/10-testbed-ipv6.conf && systemctl daemon-reload && systemctl restart docker'
  docker exec "$NAME" mkdir -p /etc/ollama
  docker cp "$REPO_ROOT/tests/fixtures/ollama_standin/openhands_script.json" "$NAME:/etc/ollama/standin-script.json"
  extra+=(-e '{"ollama_environment": {"OLLAMA_STANDIN_SCRIPT": "/etc/ollama/standin-script.json"}}')
else
  echo "demo: AI_CODING_DEMO_OPENHANDS=0: OpenHands is left out"
fi

echo "demo: ansible-playbook site.yml ${inventories[*]} ${extra[*]}"
ansible-playbook site.yml "${inventories[@]}" "${extra[@]}"
echo
echo "demo: ansible-playbook playbooks/verify.yml ${inventories[*]}"
ansible-playbook playbooks/verify.yml "${inventories[@]}" "${extra[@]}"
cat <<MSG

demo: $NAME is up. Every service listens on the container's loopback only, as on a hardened VPS. Reach them with:
  docker exec -it $NAME bash                      # a shell on the demo "VPS"
  docker exec $NAME ollama list                   # Ollama's CLI, talking to the API on 127.0.0.1:11434
  docker exec $NAME python3 -c 'import urllib.request as u; print(u.urlopen("http://127.0.0.1:11434/api/tags").read().decode())'
  # Ollama through the reverse proxy (HTTPS, self-signed, basic auth as user "demo"; the password was generated
  # once into $CACHE_DIR/demo/ollama-proxy-password, mode 0600):
  docker exec $NAME python3 -c 'import base64,ssl,sys,urllib.request as u; r=u.Request("https://ollama.demo.test/api/version", headers={"Authorization": "Basic "+base64.b64encode(("demo:"+sys.argv[1]).encode()).decode()}); print(u.urlopen(r, context=ssl._create_unverified_context()).read().decode())' "\$(cat $CACHE_DIR/demo/ollama-proxy-password)"
  docker exec $NAME ls -l /var/lib/openhands/workspace   # what the demo's agent wrote (OpenHands on 127.0.0.1:3000)
  docker exec ai-coding-demo systemctl start ai-coding-backup.service   # a restic backup now (the timer runs it at 02:00)
  ansible-playbook playbooks/backup_drill.yml -i inventories/demo  # restore the latest snapshot into scratch and compare
  ansible-playbook playbooks/verify.yml ${inventories[*]}   # the health table again (after: source tests/testbed/env.sh)
  make demo-destroy                               # remove it
MSG
