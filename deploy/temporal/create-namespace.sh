#!/bin/sh
# Creates the namespace and registers hibobsync's search attributes (HibobTenant, HibobPhase:
# Keyword), which the worker checks at start and support filters on in the UI:
#   HibobPhase = "awaiting_review"
# Run by the temporal-create-namespace service; safe to re-run.
set -eu
NAMESPACE="${DEFAULT_NAMESPACE:-default}"
ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"

echo "Waiting for Temporal at $ADDRESS..."
attempt=0
until temporal operator cluster health --address "$ADDRESS"; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge 60 ]; then
    echo "Temporal did not become healthy" >&2
    exit 1
  fi
  sleep 2
done

temporal operator namespace describe --namespace "$NAMESPACE" --address "$ADDRESS" >/dev/null 2>&1 \
  || temporal operator namespace create --namespace "$NAMESPACE" --retention 30d --address "$ADDRESS"

for name in HibobTenant HibobPhase; do
  if temporal operator search-attribute list --namespace "$NAMESPACE" --address "$ADDRESS" | grep -qw "$name"; then
    echo "search attribute $name already registered"
  else
    temporal operator search-attribute create --namespace "$NAMESPACE" --name "$name" --type Keyword --address "$ADDRESS"
  fi
done
echo "Namespace $NAMESPACE ready with search attributes HibobTenant, HibobPhase"
