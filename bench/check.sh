#!/usr/bin/env bash
# bench/check.sh BINARY: `complycli check` over 1,000 generated config files (nginx, sshd_config,
# postgresql.conf + pg_hba.conf, saved headers, Terraform plans) plus the example profile, with the
# whole check library. Target: median under 2 s on 2 cores. The peer is the floor of the same work:
# reading every file once (cat), and sqlite3 running one query over a table of the same size.
set -euo pipefail
binary=$(realpath "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work/configs" <<'PY'
import json, os, sys
out = sys.argv[1]
kinds = ["nginx", "sshd", "postgres", "headers", "terraform"]
for i in range(1000):
    kind = kinds[i % len(kinds)]
    d = os.path.join(out, f"host{i:04d}")
    os.makedirs(d, exist_ok=True)
    bad = i % 7 == 0
    if kind == "nginx":
        servers = "".join(f"""
    server {{
        listen 443 ssl;
        server_name s{j}.host{i}.example;
        ssl_protocols {"TLSv1 TLSv1.2" if bad and j == 0 else "TLSv1.2 TLSv1.3"};
        add_header Strict-Transport-Security "max-age=31536000" always;
        add_header X-Content-Type-Options nosniff always;
        location / {{ proxy_pass http://127.0.0.1:{8000 + j}; }}
    }}""" for j in range(4))
        open(os.path.join(d, "nginx.conf"), "w").write(f"events {{}}\nhttp {{\n    server_tokens off;{servers}\n}}\n")
    elif kind == "sshd":
        open(os.path.join(d, "sshd_config"), "w").write(
            f"PermitRootLogin no\nPasswordAuthentication {'yes' if bad else 'no'}\nMaxAuthTries 3\nX11Forwarding no\n"
            "Match Group deploy\n    AllowTcpForwarding no\n")
    elif kind == "postgres":
        open(os.path.join(d, "postgresql.conf"), "w").write(
            f"listen_addresses = '*'\nssl = {'off' if bad else 'on'}\nssl_min_protocol_version = 'TLSv1.2'\n"
            "password_encryption = scram-sha-256\nlog_connections = on\n" + "".join(f"setting_{k} = {k}\n" for k in range(40)))
        open(os.path.join(d, "pg_hba.conf"), "w").write(
            "local all postgres peer\n" + "".join(f"hostssl db{k} app 10.{k}.0.0/16 scram-sha-256\n" for k in range(10)))
    elif kind == "headers":
        open(os.path.join(d, "site.headers"), "w").write(
            "HTTP/2 200\r\ncontent-type: text/html\r\nstrict-transport-security: max-age=63072000\r\n"
            "x-frame-options: DENY\r\nx-content-type-options: nosniff\r\nreferrer-policy: no-referrer\r\n"
            + ("" if bad else "content-security-policy: default-src 'self'\r\n") + "\r\n")
    else:
        res = []
        for j in range(10):
            res.append({"address": f"aws_s3_bucket.b{j}", "mode": "managed", "type": "aws_s3_bucket", "name": f"b{j}",
                        "values": {"bucket": f"h{i}-b{j}", "server_side_encryption_configuration": [] if bad and j == 0 else [{"rule": []}]}})
            res.append({"address": f"aws_db_instance.d{j}", "mode": "managed", "type": "aws_db_instance", "name": f"d{j}",
                        "values": {"storage_encrypted": True, "publicly_accessible": False, "backup_retention_period": 14}})
        open(os.path.join(d, "plan.json"), "w").write(json.dumps(
            {"format_version": "1.2", "terraform_version": "1.7.5", "planned_values": {"root_module": {"resources": res}}}, indent=2))
PY
cp "$root/examples/northwind-legal/profile.yaml" "$root/examples/northwind-legal/people.csv" "$work/"
count=$(find "$work/configs" -type f | wc -l)
echo "inputs: $count config files in 1,000 folders, plus the profile and its roster"

cd "$work"
"$binary" check configs --profile profile.yaml --date 2026-11-25 --format json > results.json 2>/dev/null || true
python3 -c "import json; r = json.load(open('results.json')); print('inputs read:', len(r['inputs']), ' findings:', sum(len(c['findings']) for c in r['checks']), ' summary:', r['summary'])"

hyperfine --warmup 1 --runs 10 -i --export-json bench.json \
  -n "complycli check (53 checks)" "'$binary' check configs --profile profile.yaml --date 2026-11-25 --format json > /dev/null" \
  -n "cat every file (I/O floor)" "find configs -type f -exec cat {} + > /dev/null" \
  -n "sqlite3 query over one table of the same rows" "sqlite3 :memory: 'CREATE TABLE t(a,b); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 60000) INSERT INTO t SELECT x, x FROM c; SELECT count(*) FROM t WHERE b % 7 = 0;' > /dev/null" \
  >/dev/null
python3 - bench.json <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
base = results[0]["median"]
for r in results:
    print(f"{r['command']:<48} median {r['median']*1000:8.1f} ms   ratio to complycli {r['median']/base:6.3f}")
print("target: complycli median < 2000 ms:", "met" if base < 2 else "NOT met")
PY
