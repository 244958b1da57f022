#!/usr/bin/env bash
# Prints the directory of the WebAssembly spec suite: $KILN_TESTSUITE, else
# ../shared/testsuite beside the checkout, else /work/shared/testsuite.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
for d in "${KILN_TESTSUITE:-}" "$root/../shared/testsuite" /work/shared/testsuite; do
  if [[ -n "$d" && -f "$d/address.wast" ]]; then
    cd "$d" && pwd
    exit 0
  fi
done
echo "spec suite not found: set KILN_TESTSUITE" >&2
exit 1
