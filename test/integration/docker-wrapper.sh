#!/usr/bin/env bash
# The docker CLI as wrangler needs it here (LOCAL-CONTAINERS.md §2), passed
# to wrangler as WRANGLER_DOCKER_BIN:
# - `build`: drop --load and --provenance=false, which only buildx knows
#   (there is no buildx); use the legacy builder, which needs no registry.
# - `pull`: succeed when the image already exists locally (the sidecar
#   stand-in is built by the harness; nothing can be pulled here).
# Everything else goes to the real CLI unchanged.
set -euo pipefail
REAL_DOCKER="${REAL_DOCKER_BIN:-docker}"

case "${1:-}" in
  build)
    args=()
    for arg in "$@"; do
      case "$arg" in
        --load|--provenance=false) ;;
        *) args+=("$arg") ;;
      esac
    done
    DOCKER_BUILDKIT=0 exec "$REAL_DOCKER" "${args[@]}"
    ;;
  pull)
    # The image is the first word that is neither a flag nor a flag value.
    image="" skip=""
    for arg in "${@:2}"; do
      if [ -n "$skip" ]; then skip=""; continue; fi
      case "$arg" in
        --platform) skip=1 ;;
        -*) ;;
        *) [ -z "$image" ] && image="$arg" ;;
      esac
    done
    if [ -n "$image" ] && "$REAL_DOCKER" image inspect "$image" >/dev/null 2>&1; then
      echo "docker-wrapper: $image exists locally; not pulling"
      exit 0
    fi
    exec "$REAL_DOCKER" "$@"
    ;;
  *)
    exec "$REAL_DOCKER" "$@"
    ;;
esac
