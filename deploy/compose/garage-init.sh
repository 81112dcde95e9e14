#!/bin/sh
# Idempotent Garage bootstrap for the local stack; the same steps as crates/gazette-bench/src/garage.rs.
set -e
g="garage -c /etc/garage.toml"
until $g status >/dev/null 2>&1; do sleep 1; done
node=$($g node id -q | cut -d@ -f1)
$g layout show | grep -q "$(echo "$node" | cut -c1-16)" || { $g layout assign -z dc1 -c 1G "$node" && $g layout apply --version 1; }
$g bucket info site >/dev/null 2>&1 || $g bucket create site
$g key info gazette >/dev/null 2>&1 || $g key import --yes -n gazette GK0a1b2c3d4e5f60718293a4b5 5f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0
$g bucket allow --read --write --owner site --key gazette
$g bucket website --allow --error-document 404.html site
