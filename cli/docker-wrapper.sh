#!/bin/sh
# The docker CLI that `workerd-containers dev` hands to wrangler as
# WRANGLER_DOCKER_BIN, for a machine without buildx or without a registry.
#   WORKERD_CONTAINERS_DOCKER      the docker CLI to run in the end (default: docker on PATH)
#   WORKERD_CONTAINERS_NO_BUILDX=1 `docker build`: leave out --load and --provenance[=…], which only
#                                  buildx accepts, and build with the classic builder (DOCKER_BUILDKIT=0)
#   WORKERD_CONTAINERS_SKIP_PULL=1 `docker pull IMAGE`: done at once when IMAGE is already present
#                                  (the sidecar stand-in, or any image on a machine with no registry)
# Any other command goes to the real CLI as it is.
real="${WORKERD_CONTAINERS_DOCKER:-docker}"

if [ "${1:-}" = build ] && [ "${WORKERD_CONTAINERS_NO_BUILDX:-}" = 1 ]; then
  shift
  # Rebuild "$@" without the buildx-only flags, keeping every other argument as one word.
  count=$#
  drop_next=""
  while [ "$count" -gt 0 ]; do
    arg="$1"
    shift
    count=$((count - 1))
    if [ -n "$drop_next" ]; then
      drop_next=""
      continue
    fi
    case "$arg" in
      --load | --provenance=* | --sbom=*) ;;
      --provenance | --sbom) drop_next=1 ;;
      *) set -- "$@" "$arg" ;;
    esac
  done
  DOCKER_BUILDKIT=0
  export DOCKER_BUILDKIT
  exec "$real" build "$@"
fi

if [ "${1:-}" = pull ] && [ "${WORKERD_CONTAINERS_SKIP_PULL:-}" = 1 ]; then
  # The image is the first argument that is neither an option nor an option's value.
  image=""
  skip_value=""
  for arg in "$@"; do
    if [ "$arg" = pull ] && [ -z "$image" ] && [ -z "${seen_pull:-}" ]; then
      seen_pull=1
      continue
    fi
    if [ -n "$skip_value" ]; then
      skip_value=""
      continue
    fi
    case "$arg" in
      --platform) skip_value=1 ;;
      -*) ;;
      *) [ -z "$image" ] && image="$arg" ;;
    esac
  done
  if [ -n "$image" ] && "$real" image inspect "$image" >/dev/null 2>&1; then
    echo "workerd-containers: $image is present locally; not pulling it"
    exit 0
  fi
fi

exec "$real" "$@"
