# shellcheck shell=bash
# Sourced by demo.sh: the demo's deployment inputs. Real Ollama releases cannot be downloaded on this test bed, so
# unless AI_CODING_OLLAMA_ARCHIVE names a real release archive (with the release's sha256sum.txt beside it), the demo
# installs the Ollama STAND-IN from tests/fixtures through the role's air-gap path (ollama_archive_src) and says so.
ver=${AI_CODING_OLLAMA_VERSION:-0.33.3}
if [[ -n ${AI_CODING_OLLAMA_ARCHIVE:-} ]]; then
  extra+=(-e "ollama_version=$ver" -e "ollama_archive_src=$AI_CODING_OLLAMA_ARCHIVE")
  echo "demo: Ollama $ver from $AI_CODING_OLLAMA_ARCHIVE"
else
  mirror=$CACHE_DIR/ollama-mirror/v$ver
  [[ -f $mirror/sha256sum.txt ]] || python3 "$REPO_ROOT/tests/fixtures/ollama_standin/make_release.py" --version "$ver" --out "$mirror" >/dev/null
  extra+=(-e "ollama_version=$ver" -e "ollama_archive_src=$mirror/ollama-linux-amd64.tar.zst" -e '{"ollama_models": ["qwen2.5-coder:0.5b"]}')
  echo "demo: NOTE: Ollama here is the TEST STAND-IN (tests/fixtures/ollama_standin), not the real server: real"
  echo "demo:       releases cannot be downloaded on this machine. Set AI_CODING_OLLAMA_ARCHIVE to a real release archive."
fi
