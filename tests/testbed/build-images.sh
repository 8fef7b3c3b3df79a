#!/usr/bin/env bash
# Build the local test-bed images once and reuse them (nothing is pulled: no registry is reachable).
#   local/ai-coding-systemd:bookworm, :trixie   debootstrap minbase + python3, systemd, sudo, ca-certificates, iproute2,
#                                               and this host's apt settings, so apt works inside
#   local/ai-coding-python3:bookworm            the bookworm rootfs as a plain python3 image (HTTP stand-ins)
#   local/ai-coding-dind:trixie                 trixie with Debian's docker.io preinstalled (Docker-in-Docker targets)
#   local/ai-coding-busybox:latest              busybox-static from Debian, for tiny inner containers
# Each image carries the hash of its recipe in the label ai_coding.recipe; an image whose recipe hash did not
# change is not rebuilt. Usage: build-images.sh [--force] [image-name ...]
set -euo pipefail

WORK=${AI_CODING_IMAGE_WORK:-/var/tmp/ai-coding-images}
MIRROR=${AI_CODING_DEBIAN_MIRROR:-}
FORCE=0
PKGS=python3,systemd,systemd-sysv,sudo,procps,ca-certificates,iproute2,gnupg

say() { printf 'build-images: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# The mirror: the one this host's apt uses, unless AI_CODING_DEBIAN_MIRROR says otherwise.
if [[ -z $MIRROR ]]; then
  MIRROR=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*debian\)[[:space:]]*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
  [[ -n $MIRROR ]] || MIRROR=$(awk '$1=="deb" && $2 ~ /debian\/?$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [[ -n $MIRROR ]] || MIRROR=http://deb.debian.org/debian
fi
SECURITY_MIRROR=${AI_CODING_DEBIAN_SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}

# The host's apt settings that matter inside (Acquire:: options such as proxies and validity checks).
apt_conf() {
  local f
  for f in /etc/apt/apt.conf /etc/apt/apt.conf.d/*; do
    [[ -f $f ]] && grep -q '^[[:space:]]*Acquire' "$f" && { echo "# from $f"; grep -v '^[[:space:]]*//' "$f"; }
  done
  return 0
}

sources_for() { # deb822 sources for a suite
  cat <<SRC
Types: deb
URIs: $MIRROR
Suites: $1 $1-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $1-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
}

# Bump RECIPE_VERSION when a build step below changes what ends up in an image.
RECIPE_VERSION=2
recipe_hash() { # what an image depends on: the recipe version, its inputs, the apt settings carried inside
  { echo "$RECIPE_VERSION|$1|$PKGS|$MIRROR|$SECURITY_MIRROR"; apt_conf; } | sha256sum | cut -c1-16
}

current_hash() { docker image inspect -f '{{ index .Config.Labels "ai_coding.recipe" }}' "$1" 2>/dev/null || true; }

check_mirror() {
  local url=$MIRROR/dists/$1/Release
  if ! curl -fsS -o /dev/null --max-time 30 "$url" 2>"$WORK/mirror-$1.err"; then
    die "Debian mirror $MIRROR is unreachable for suite '$1' ($(tr -d '\n' <"$WORK/mirror-$1.err")). Set AI_CODING_DEBIAN_MIRROR to a reachable mirror."
  fi
}

build_systemd() { # suite
  local suite=$1 tag=local/ai-coding-systemd:$1 hash rootfs
  hash=$(recipe_hash "systemd-$suite")
  if [[ $FORCE == 0 && $(current_hash "$tag") == "$hash" ]]; then
    say "$tag is current (recipe $hash); not rebuilt"
    return 0
  fi
  check_mirror "$suite"
  rootfs=$WORK/rootfs-$suite
  if [[ -f $WORK/rootfs-$suite.done && $(cat "$WORK/rootfs-$suite.done") == "$hash" ]]; then
    say "reusing the finished debootstrap of $suite in $rootfs (an earlier import did not complete)"
  else
  rm -rf "$rootfs"
  say "debootstrap $suite from $MIRROR (log: $WORK/debootstrap-$suite.log)"
  if ! debootstrap --variant=minbase --include="$PKGS" "$suite" "$rootfs" "$MIRROR" >"$WORK/debootstrap-$suite.log" 2>&1; then
    tail -n 5 "$WORK/debootstrap-$suite.log" >&2
    die "debootstrap of $suite from the Debian mirror $MIRROR failed (full log: $WORK/debootstrap-$suite.log)"
  fi
  rm -f "$rootfs"/etc/apt/sources.list
  sources_for "$suite" >"$rootfs/etc/apt/sources.list.d/debian.sources"
  apt_conf >"$rootfs/etc/apt/apt.conf.d/99ai-coding-host"
  # A container, not a machine: no getty, no udev settle, and a machine-id generated at boot.
  : >"$rootfs/etc/machine-id"
  rm -f "$rootfs"/etc/systemd/system/getty.target.wants/* "$rootfs"/lib/systemd/system/multi-user.target.wants/getty.target
  chroot "$rootfs" apt-get clean
  rm -rf "$rootfs"/var/lib/apt/lists/*
  echo "$hash" >"$WORK/rootfs-$suite.done"
  fi
  # (docker import accepts no STOPSIGNAL change; Molecule and demo.sh remove these containers with rm -f.)
  tar -C "$rootfs" -c . | docker import \
    --change "LABEL ai_coding.recipe=$hash" \
    --change 'CMD ["/lib/systemd/systemd"]' \
    --change 'ENV container=docker' - "$tag" >/dev/null ||
    die "docker import of $tag failed"
  rm -rf "$rootfs" "$WORK/rootfs-$suite.done"
  say "built $tag (recipe $hash)"
}

build_python3() {
  local tag=local/ai-coding-python3:bookworm base=local/ai-coding-systemd:bookworm hash
  hash=$(recipe_hash "python3-$(docker image inspect -f '{{.Id}}' $base)")
  if [[ $FORCE == 0 && $(current_hash "$tag") == "$hash" ]]; then
    say "$tag is current (recipe $hash); not rebuilt"
    return 0
  fi
  printf 'FROM %s\nLABEL ai_coding.recipe=%s\nSTOPSIGNAL SIGTERM\nWORKDIR /srv\nCMD ["python3", "-m", "http.server", "8080"]\n' \
    "$base" "$hash" | docker build -q -t "$tag" - >"$WORK/python3-build.log" 2>&1 || { cat "$WORK/python3-build.log" >&2; die "docker build of $tag failed"; }
  say "built $tag (recipe $hash)"
}

build_dind() { # trixie + Debian's Docker engine preinstalled: Docker-in-Docker scenarios skip a ~4 min apt install
  local tag=local/ai-coding-dind:trixie base=local/ai-coding-systemd:trixie hash
  hash=$(recipe_hash "dind-$(docker image inspect -f '{{.Id}}' $base)")
  if [[ $FORCE == 0 && $(current_hash "$tag") == "$hash" ]]; then
    say "$tag is current (recipe $hash); not rebuilt"
    return 0
  fi
  say "building $tag (apt-get install docker.io inside; log: $WORK/dind-build.log)"
  printf '%s\n' "FROM $base" "LABEL ai_coding.recipe=$hash" \
    "RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io docker-cli python3-docker iptables ca-certificates >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*" \
    'CMD ["/lib/systemd/systemd"]' |
    docker build -q -t "$tag" - >"$WORK/dind-build.log" 2>&1 || { tail -n 20 "$WORK/dind-build.log" >&2; die "docker build of $tag failed (is the Debian mirror $MIRROR reachable from containers?)"; }
  say "built $tag (recipe $hash)"
}

build_busybox() {
  local tag=local/ai-coding-busybox:latest hash dir
  hash=$(recipe_hash busybox)
  if [[ $FORCE == 0 && $(current_hash "$tag") == "$hash" ]]; then
    say "$tag is current (recipe $hash); not rebuilt"
    return 0
  fi
  dir=$WORK/busybox
  rm -rf "$dir" && mkdir -p "$dir/root/bin" "$dir/root/tmp" "$dir/root/etc"
  apt_ready
  (cd "$dir" && apt-get download busybox-static >"$WORK/busybox.log" 2>&1) ||
    die "apt-get download busybox-static failed (see $WORK/busybox.log); is the Debian mirror $MIRROR reachable and 'apt-get update' done?"
  dpkg -x "$dir"/busybox-static_*.deb "$dir/pkg"
  cp "$dir/pkg/bin/busybox" "$dir/root/bin/busybox"
  for applet in $("$dir/root/bin/busybox" --list); do
    [[ $applet == busybox ]] || ln -sf busybox "$dir/root/bin/$applet"
  done
  echo 'root:x:0:0:root:/:/bin/sh' >"$dir/root/etc/passwd"
  echo 'root:x:0:' >"$dir/root/etc/group"
  tar -C "$dir/root" -c . | docker import --change "LABEL ai_coding.recipe=$hash" \
    --change 'ENV PATH=/bin' --change 'CMD ["/bin/sh"]' - "$tag" >/dev/null
  rm -rf "$dir"
  say "built $tag (recipe $hash)"
}

images=()
for arg in "$@"; do
  case $arg in
    --force) FORCE=1 ;;
    *) images+=("$arg") ;;
  esac
done
[[ ${#images[@]} -gt 0 ]] || images=(systemd:bookworm systemd:trixie python3 dind busybox)

mkdir -p "$WORK"
# A fresh machine may have empty apt lists: update them once when a package we need has no candidate.
apt_ready() {
  apt-cache policy busybox-static debootstrap shellcheck 2>/dev/null | grep -q 'Candidate: [0-9]' && return 0
  say "apt-get update (package lists are empty or stale)"
  apt-get update -qq >"$WORK/apt-update.log" 2>&1 || die "apt-get update failed (see $WORK/apt-update.log); is the Debian mirror $MIRROR reachable?"
}
# Host tools the test bed needs: debootstrap (images), zstd (packing Ollama-style .tar.zst release archives),
# and the shell linter that ansible-test sanity runs (shellcheck).
missing=()
for tool in debootstrap zstd shellcheck; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [[ ${#missing[@]} -gt 0 ]]; then
  apt_ready
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >"$WORK/apt-install.log" 2>&1 ||
    die "apt-get install ${missing[*]} failed (see $WORK/apt-install.log)"
fi
docker info >/dev/null 2>&1 || die "no Docker engine answers; run tests/testbed/docker-engine.sh first"

# The two debootstraps are network-bound: run them side by side.
pids=()
for img in "${images[@]}"; do
  case $img in
    systemd:*) build_systemd "${img#systemd:}" & pids+=($!) ;;
  esac
done
rc=0
for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
[[ $rc == 0 ]] || die "building a systemd image failed (messages above)"
for img in "${images[@]}"; do
  case $img in
    python3) build_python3 ;;
    dind) build_dind ;;
    busybox) build_busybox ;;
    systemd:*) ;;
    *) die "unknown image '$img' (known: systemd:bookworm systemd:trixie python3 dind busybox)" ;;
  esac
done
