#!/usr/bin/env bash
# bench/check.sh BINARY: `complycli check` over generated config files (nginx, sshd_config,
# postgresql.conf + pg_hba.conf, saved headers, Terraform plans) plus the example profile, with the
# whole check library, at two sizes: 1,000 files (target: median under 2 s on 2 cores) and 10,000 files
# (target: median under 3 s, peak RSS under 200 MiB). The peer is the floor of the same work: reading
# every file once (cat), and sqlite3 running one query over a table of the same size.
# CHECK_BENCH_RUNS (default 10) sets hyperfine's runs.
set -euo pipefail
binary=$(realpath "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${CHECK_BENCH_RUNS:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

generate() { # generate FOLDER COUNT
python3 - "$1" "$2" <<'PY'
import json, os, sys
out = sys.argv[1]
kinds = ["nginx", "sshd", "postgres", "headers", "terraform"]
for i in range(int(sys.argv[2])):
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
}

cp "$root/examples/northwind-legal/profile.yaml" "$root/examples/northwind-legal/people.csv" "$work/"
cd "$work"

# bench SIZE TARGET_SECONDS: time `check` over SIZE generated folders (about SIZE files).
bench() {
  local size=$1 target=$2 dir="configs$1"
  generate "$dir" "$size"
  local count
  count=$(find "$dir" -type f | wc -l)
  echo "== $count config files in $size folders, plus the profile and its roster"
  "$binary" check "$dir" --profile profile.yaml --date 2026-11-25 --format json > results.json 2>/dev/null || true
  python3 -c "import json; r = json.load(open('results.json')); print('inputs read:', len(r['inputs']), ' findings:', sum(len(c['findings']) for c in r['checks']), ' summary:', r['summary'])"
  # Peak RSS (getrusage's ru_maxrss through GNU time), the median of 3 runs.
  local rss=()
  for _ in 1 2 3; do
    # check exits 1 when findings gate; the run is still measured.
    rss+=("$( (/usr/bin/time -f %M "$binary" check "$dir" --profile profile.yaml --date 2026-11-25 --format json 2>&1 >/dev/null || true) | tail -n 1)")
  done
  hyperfine --warmup 1 --runs "$runs" -i --export-json "bench$size.json" \
    -n "complycli check, $size folders (53 checks)" "'$binary' check $dir --profile profile.yaml --date 2026-11-25 --format json > /dev/null" \
    -n "cat every file (I/O floor)" "find $dir -type f -exec cat {} + > /dev/null" \
    -n "sqlite3 query over one table of the same rows" "sqlite3 :memory: 'CREATE TABLE t(a,b); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < $((size * 60))) INSERT INTO t SELECT x, x FROM c; SELECT count(*) FROM t WHERE b % 7 = 0;' > /dev/null" \
    >/dev/null
  python3 - "bench$size.json" "$target" "${rss[@]}" <<'PY'
import json, statistics, sys
results = json.load(open(sys.argv[1]))["results"]
target = float(sys.argv[2])
rss = sorted(int(x) for x in sys.argv[3:])
base = results[0]["median"]
for r in results:
    print(f"{r['command']:<56} median {r['median']*1000:8.1f} ms   ratio to complycli {r['median']/base:6.3f}")
print(f"peak RSS (median of {len(rss)}): {statistics.median(rss) / 1024:.1f} MiB")
print(f"target: complycli median < {target * 1000:.0f} ms:", "met" if base < target else "NOT met")
PY
}

bench 1000 2
bench 10000 3
echo "target: peak RSS for 10,000 folders < 200 MiB (see the line above)"
