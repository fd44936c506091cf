#!/usr/bin/env python3
"""Print the findings of the AI worker checks in the JSON results on stdin (or the last command's
stdout, saved by run_script.py), one per line: ID STATUS FILE:LINE RESOURCE[: REASON for a failure].
A helper of tests/cli/ai_workers.txt."""
import json
import os
import sys

text = open(sys.argv[1]).read() if len(sys.argv) > 1 else sys.stdin.read()
results = json.loads(text)
for check in results["checks"]:
    if not check["id"].startswith("ai-worker-"):
        continue
    for f in check["findings"]:
        where = f"{os.path.basename(f.get('file') or '')}:{f.get('line') or '-'}"
        reason = "" if f["status"] == "pass" and check["id"] != "ai-worker-approvals-logged" else f": {f['reason']}"
        print(f"{check['id']} {f['status']} {where} {f['resource']}{reason}")
