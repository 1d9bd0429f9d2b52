#!/usr/bin/env bash
# Regenerate screenshots/ from the demo lab, with kpath itself (`kpath snapshot`).
# Run from the repository root after `pip install -e .`; KPATH names another way to run
# kpath (`make snapshots` passes "python3 -m kpath", the checkout's own code).
set -euo pipefail
cd "$(dirname "$0")/.."
read -r -a KPATH_CMD <<< "${KPATH:-kpath}"
shot() { "${KPATH_CMD[@]}" snapshot --demo --size "$1" --svg "screenshots/$2.svg" "${@:3}"; }

shot 120x36 services                                   # the service list, first view
shot 120x40 cross-node    --service shop/storefront    # Cluster policy: hops cross nodes
shot 120x40 black-hole    --service shop/checkout      # Local policy: node-c drops
shot 120x40 probed        --service shop/checkout --probe --timeout 1   # probes landed
shot 80x24  bastion-80x24 --service shop/checkout      # an 80x24 ssh session
# The gateway-shop lab: the same shop through an Ingress and an Envoy Gateway.
shot 120x40 gateway       --scenario gateway-shop --service shop/cart     # Gateway way in
shot 120x40 request       --scenario gateway-shop --request https://shop.example.com/api/pay
