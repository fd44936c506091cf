#!/usr/bin/env python3
"""Regenerate the pass/fail fixtures of every check: tests/data/checks/<id>/{pass,fail}/.

Each fixture folder is what `complycli check FOLDER --date 2026-11-25` reads. The unit test
`checks library fixtures` runs each check on its folders: every finding under pass/ passes, and at
least one under fail/ fails. Run this script after changing a fixture here; commit its output.
"""
import copy, json, os, shutil, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
fixtures = {}

def put(check, kind, files):
    fixtures[(check, kind)] = files

# ---------------------------------------------------------------- nginx / headers
GOOD_HEADERS = {
    "Strict-Transport-Security": '"max-age=31536000; includeSubDomains"',
    "Content-Security-Policy": "\"default-src 'self'; frame-ancestors 'none'\"",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
def nginx(protocols="TLSv1.2 TLSv1.3", ciphers="ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
          headers=None, tokens="off", drop=()):
    headers = dict(GOOD_HEADERS if headers is None else headers)
    for d in drop:
        headers.pop(d, None)
    lines = ["events {}", "http {"]
    if tokens:
        lines.append(f"    server_tokens {tokens};")
    lines.append("    server {")
    lines.append("        listen 443 ssl;")
    lines.append("        server_name app.fixture.example;")
    if protocols:
        lines.append(f"        ssl_protocols {protocols};")
    if ciphers:
        lines.append(f"        ssl_ciphers {ciphers};")
    for k, v in headers.items():
        lines.append(f"        add_header {k} {v} always;")
    lines += ["    }", "}"]
    return {"nginx.conf": "\n".join(lines) + "\n"}

def saved_headers(headers):
    return {"site.headers": "HTTP/2 200\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"}

put("tls-no-legacy-protocols", "pass", nginx())
put("tls-no-legacy-protocols", "fail", nginx(protocols="TLSv1 TLSv1.1 TLSv1.2"))
put("tls-strong-ciphers", "pass", nginx())
put("tls-strong-ciphers", "fail", nginx(ciphers="HIGH:RC4-SHA:!aNULL"))
put("http-hsts", "pass", nginx())
put("http-hsts", "fail", saved_headers({"Strict-Transport-Security": "max-age=86400", "X-Content-Type-Options": "nosniff"}))
put("http-csp", "pass", saved_headers({"Content-Security-Policy": "default-src 'self'"}))
put("http-csp", "fail", saved_headers({"Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'"}))
put("http-frame-protection", "pass", nginx(drop=["X-Frame-Options"]))
put("http-frame-protection", "fail", nginx(drop=["X-Frame-Options", "Content-Security-Policy"]))
put("http-referrer-policy", "pass", nginx())
put("http-referrer-policy", "fail", nginx(headers={**GOOD_HEADERS, "Referrer-Policy": "unsafe-url"}))
put("http-nosniff", "pass", nginx())
put("http-nosniff", "fail", nginx(drop=["X-Content-Type-Options"]))
put("nginx-server-tokens-off", "pass", nginx())
put("nginx-server-tokens-off", "fail", nginx(tokens=None))

# ---------------------------------------------------------------- certificates (made with openssl)
def certificate(days):
    def make(path):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "/dev/null",
                        "-out", path, "-days", str(days), "-subj", "/CN=fixture.example"],
                       check=True, capture_output=True)
    return make
put("tls-cert-expiry", "pass", {"server.crt": certificate(3650)})
put("tls-cert-expiry", "fail", {"server.crt": certificate(10)})

# ---------------------------------------------------------------- sshd
GOOD_SSHD = {"PermitRootLogin": "no", "PasswordAuthentication": "no", "KbdInteractiveAuthentication": "no",
             "PermitEmptyPasswords": "no", "MaxAuthTries": "3", "X11Forwarding": "no"}
def sshd(**changes):
    opts = dict(GOOD_SSHD)
    match = changes.pop("match", None)
    for k, v in changes.items():
        if v is None:
            opts.pop(k, None)
        else:
            opts[k] = v
    text = "# fixture\n" + "".join(f"{k} {v}\n" for k, v in opts.items())
    if match:
        text += f"\nMatch {match[0]}\n    {match[1]} {match[2]}\n"
    return {"sshd_config": text}
put("ssh-no-root-login", "pass", sshd())
put("ssh-no-root-login", "fail", sshd(PermitRootLogin=None))  # OpenSSH default prohibit-password
put("ssh-no-password-auth", "pass", sshd())
put("ssh-no-password-auth", "fail", sshd(match=("User contractor", "PasswordAuthentication", "yes")))
put("ssh-no-empty-passwords", "pass", sshd())
put("ssh-no-empty-passwords", "fail", sshd(PermitEmptyPasswords="yes"))
put("ssh-max-auth-tries", "pass", sshd())
put("ssh-max-auth-tries", "fail", sshd(MaxAuthTries=None))  # default 6
put("ssh-no-x11-forwarding", "pass", sshd())
put("ssh-no-x11-forwarding", "fail", sshd(X11Forwarding="yes"))

# ---------------------------------------------------------------- PostgreSQL
GOOD_PG = {"listen_addresses": "'*'", "ssl": "on", "ssl_min_protocol_version": "'TLSv1.2'",
           "password_encryption": "scram-sha-256", "log_connections": "on"}
GOOD_HBA = ["local all postgres peer", "hostssl app app 10.0.0.0/8 scram-sha-256", "host all all 127.0.0.1/32 scram-sha-256"]
def pg(hba=None, **changes):
    opts = dict(GOOD_PG)
    for k, v in changes.items():
        if v is None:
            opts.pop(k, None)
        else:
            opts[k] = v
    return {"postgresql.conf": "".join(f"{k} = {v}\n" for k, v in opts.items()),
            "pg_hba.conf": "\n".join(hba or GOOD_HBA) + "\n"}
put("postgres-ssl-on", "pass", pg())
put("postgres-ssl-on", "fail", pg(ssl=None))
put("postgres-ssl-min-tls12", "pass", pg())
put("postgres-ssl-min-tls12", "fail", pg(ssl_min_protocol_version="'TLSv1.1'"))
put("postgres-scram", "pass", pg())
put("postgres-scram", "fail", pg(hba=GOOD_HBA + ["hostssl legacy legacy 10.1.0.0/16 md5"]))
put("postgres-hba-no-trust", "pass", pg())
put("postgres-hba-no-trust", "fail", pg(hba=GOOD_HBA + ["host all all 0.0.0.0/0 trust"]))
put("postgres-hba-hostssl", "pass", pg())
put("postgres-hba-hostssl", "fail", pg(hba=GOOD_HBA + ["host app app 10.0.0.0/8 scram-sha-256"]))
put("postgres-log-connections", "pass", pg())
put("postgres-log-connections", "fail", pg(log_connections=None))

# ---------------------------------------------------------------- Terraform
def res(type, name, values):
    return {"address": f"{type}.{name}", "mode": "managed", "type": type, "name": name,
            "provider_name": "registry.terraform.io/hashicorp/aws", "values": values}
def plan(*resources):
    return {"plan.json": json.dumps({"format_version": "1.2", "terraform_version": "1.7.5",
                                     "planned_values": {"root_module": {"resources": list(resources)}}}, indent=2) + "\n"}
def module_plan(*resources):
    return {"plan.json": json.dumps({"format_version": "1.2", "terraform_version": "1.7.5",
                                     "planned_values": {"root_module": {"resources": [], "child_modules": [
                                         {"address": "module.data", "resources": list(resources)}]}}}, indent=2) + "\n"}
put("tf-rds-encrypted", "pass", plan(res("aws_db_instance", "db", {"storage_encrypted": True})))
put("tf-rds-encrypted", "fail", module_plan(res("aws_rds_cluster", "db", {"storage_encrypted": False})))
put("tf-s3-encrypted", "pass", plan(res("aws_s3_bucket", "b", {"bucket": "b1"}),
                                    res("aws_s3_bucket_server_side_encryption_configuration", "b", {"bucket": "b1", "rule": [{}]})))
put("tf-s3-encrypted", "fail", plan(res("aws_s3_bucket", "b", {"bucket": "b1"}),
                                    res("aws_s3_bucket_server_side_encryption_configuration", "other", {"bucket": "b2", "rule": [{}]})))
put("tf-ebs-encrypted", "pass", plan(res("aws_ebs_volume", "v", {"encrypted": True})))
put("tf-ebs-encrypted", "fail", plan(res("aws_ebs_volume", "v", {"size": 10})))
put("tf-eks-secrets-encrypted", "pass", plan(res("aws_eks_cluster", "k", {"encryption_config": [{"resources": ["secrets"]}]})))
put("tf-eks-secrets-encrypted", "fail", plan(res("aws_eks_cluster", "k", {"encryption_config": []})))
put("tf-elasticsearch-encrypted", "pass", plan(res("aws_opensearch_domain", "s", {"encrypt_at_rest": [{"enabled": True}]})))
put("tf-elasticsearch-encrypted", "fail", plan(res("aws_elasticsearch_domain", "s", {"encrypt_at_rest": [{"enabled": False}]})))
BLOCK = {"block_public_acls": True, "block_public_policy": True, "ignore_public_acls": True, "restrict_public_buckets": True}
put("tf-s3-no-public-access", "pass", plan(res("aws_s3_bucket", "b", {"bucket": "b1"}),
                                           res("aws_s3_bucket_public_access_block", "b", {"bucket": "b1", **BLOCK})))
put("tf-s3-no-public-access", "fail", plan(res("aws_s3_bucket", "b", {"bucket": "b1"}),
                                           res("aws_s3_bucket_public_access_block", "b", {"bucket": "b1", **BLOCK}),
                                           res("aws_s3_bucket_acl", "b", {"bucket": "b1", "acl": "public-read"})))
put("tf-rds-not-public", "pass", plan(res("aws_db_instance", "db", {"publicly_accessible": False})))
put("tf-rds-not-public", "fail", plan(res("aws_db_instance", "db", {"publicly_accessible": True})))
put("tf-rds-backup-retention", "pass", plan(res("aws_db_instance", "db", {"backup_retention_period": 7})))
put("tf-rds-backup-retention", "fail", plan(res("aws_db_instance", "db", {"backup_retention_period": 1})))
put("tf-kms-rotation", "pass", plan(res("aws_kms_key", "k", {"enable_key_rotation": True})))
put("tf-kms-rotation", "fail", plan(res("aws_kms_key", "k", {"enable_key_rotation": False})))
put("tf-cloudtrail-enabled", "pass", plan(res("aws_cloudtrail", "t", {"name": "t", "enable_logging": True})))
put("tf-cloudtrail-enabled", "fail", plan(res("aws_kms_key", "k", {"enable_key_rotation": True})))
put("tf-cloudtrail-log-validation", "pass", plan(res("aws_cloudtrail", "t", {"enable_log_file_validation": True})))
put("tf-cloudtrail-log-validation", "fail", plan(res("aws_cloudtrail", "t", {"enable_log_file_validation": False})))
put("tf-sg-no-world-ssh", "pass", plan(res("aws_security_group", "g", {"ingress": [
    {"from_port": 443, "to_port": 443, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]},
    {"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["10.0.0.0/8"]}]})))
put("tf-sg-no-world-ssh", "fail", plan(res("aws_security_group", "g", {"ingress": [
    {"from_port": 0, "to_port": 0, "protocol": "-1", "cidr_blocks": ["0.0.0.0/0"]}]})))

# ---------------------------------------------------------------- profile
BASE = {
    "schema_version": 1,
    "organisation": {
        "legal_name": "Fixture Co", "address": "1 Test Street", "website": "https://fixture.example",
        "hosting_regions": ["us", "eu"],
        "contacts": {"dpo": {"name": "Dee Po", "email": "dpo@fixture.example"},
                     "security": {"name": "Sec Urity", "email": "security@fixture.example"},
                     "vulnerability_disclosure": {"email": "security@fixture.example",
                                                  "security_txt_url": "https://fixture.example/.well-known/security.txt"}}},
    "products": [{"name": "Product", "data_categories": ["contact details"], "data_subjects": ["clients"]}],
    "retention": [{"data_category": "contact details", "period": "1 year"}],
    "controls": {
        "penetration_test": {"last": "2026-05-12", "provider": "Tester"},
        "backup_restore_test": {"last": "2026-09-30"},
        "access_review": {"last": "2026-10-15"},
        "incident_response_plan": {"last_reviewed": "2026-03-01"},
        "mfa": {"enforced": True, "methods": ["webauthn"]},
        "sso": {"enforced": True, "provider": "Okta"},
        "account_lockout": {"enabled": True, "threshold": 5, "duration_minutes": 15},
        "background_checks": {"required": True},
        "encryption": {"at_rest": "AES-256-GCM", "in_transit_min_tls": "1.2"},
        "audit_logging": {"enabled": True, "retention_days": 365},
    },
    "people": [{"name": "Ada Lovelace", "role": "Engineer", "email": "ada@fixture.example", "security_training": "2026-06-01"}],
    "ai_providers": [{"name": "OpenAI", "models": ["gpt-4o"], "zero_data_retention": True, "training_opt_out": True, "region": "us"}],
    "subprocessors": [{"name": "OpenAI", "purpose": "Language models", "data_categories": ["contact details"],
                       "personal_data": True, "locations": ["us"], "transfer_mechanism": "SCCs",
                       "certifications": [{"name": "SOC 2 Type II", "expires": "2027-06-30"}],
                       "dpa_signed": "2024-01-15"}],
}
def profile(*changes):
    doc = copy.deepcopy(BASE)
    for path, value in changes:
        keys = path.split(".")
        node = doc
        for k in keys[:-1]:
            node = node[int(k)] if isinstance(node, list) else node[k]
        last = keys[-1]
        if isinstance(node, list):
            node[int(last)] = value
        elif value is DELETE:
            node.pop(last, None)
        else:
            node[last] = value
    return {"profile.json": json.dumps(doc, indent=2) + "\n"}
DELETE = object()

put("profile-mfa-enforced", "pass", profile())
put("profile-mfa-enforced", "fail", profile(("controls.mfa.enforced", False)))
put("profile-sso-enforced", "pass", profile())
put("profile-sso-enforced", "fail", profile(("controls.sso", DELETE)))
put("profile-account-lockout", "pass", profile())
put("profile-account-lockout", "fail", profile(("controls.account_lockout.threshold", 50)))
put("profile-access-review-recent", "pass", profile())
put("profile-access-review-recent", "fail", profile(("controls.access_review.last", "2026-05-01")))
put("profile-pentest-recent", "pass", profile())
put("profile-pentest-recent", "fail", profile(("controls.penetration_test.last", "2025-10-02")))
put("profile-backup-restore-tested", "pass", profile())
put("profile-backup-restore-tested", "fail", profile(("controls.backup_restore_test.last", "2026-01-31")))
put("profile-ir-plan-reviewed", "pass", profile())
put("profile-ir-plan-reviewed", "fail", profile(("controls.incident_response_plan.last_reviewed", "2025-06-30")))
put("profile-security-training", "pass", profile())
put("profile-security-training", "fail", profile(("people", [
    {"name": "Ada Lovelace", "role": "Engineer", "email": "ada@fixture.example", "security_training": "2026-06-01"},
    {"name": "Bob Stale", "role": "Sales", "email": "bob@fixture.example", "security_training": "2025-09-10"}])))
put("profile-vulnerability-disclosure", "pass", profile())
put("profile-vulnerability-disclosure", "fail", profile(("organisation.contacts.vulnerability_disclosure", {"url": "https://fixture.example/security"})))
put("profile-security-txt", "pass", profile())
put("profile-security-txt", "fail", profile(("organisation.contacts.vulnerability_disclosure.security_txt_url", "http://fixture.example/security.txt")))
put("profile-audit-logging", "pass", profile())
put("profile-audit-logging", "fail", profile(("controls.audit_logging.retention_days", 30)))
put("profile-background-checks", "pass", profile())
put("profile-background-checks", "fail", profile(("controls.background_checks.required", False)))
put("profile-encryption-standards", "pass", profile())
put("profile-encryption-standards", "fail", profile(("controls.encryption.in_transit_min_tls", "1.0")))
put("subprocessor-dpa-signed", "pass", profile())
put("subprocessor-dpa-signed", "fail", profile(("subprocessors.0.dpa_signed", DELETE)))
put("subprocessor-certification-valid", "pass", profile())
put("subprocessor-certification-valid", "fail", profile(("subprocessors.0.certifications", [{"name": "SOC 2 Type II", "expires": "2026-08-31"}, {"name": "PCI DSS", "expires": "2028-01-01"}])))
put("subprocessor-regions-allowed", "pass", profile())
put("subprocessor-regions-allowed", "fail", profile(("subprocessors.0.locations", ["us", "au"])))
put("ai-zero-data-retention", "pass", profile())
put("ai-zero-data-retention", "fail", profile(("ai_providers.0.zero_data_retention", False)))
put("ai-no-training", "pass", profile())
put("ai-no-training", "fail", profile(("ai_providers.0.training_opt_out", False)))
put("ai-provider-listed-as-subprocessor", "pass", profile())
put("ai-provider-listed-as-subprocessor", "fail", profile(("ai_providers.0.name", "Mistral")))
put("ai-region-allowed", "pass", profile())
put("ai-region-allowed", "fail", profile(("ai_providers.0.region", "ap")))

# ---------------------------------------------------------------- inputs
put("inputs-parse", "pass", nginx())
put("inputs-parse", "fail", {"nginx.conf": "http {\n    server {\n        listen 443 ssl\n    }\n}\n"})

def main():
    for (check, kind), files in sorted(fixtures.items()):
        folder = os.path.join(HERE, check, kind)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        for name, content in files.items():
            path = os.path.join(folder, name)
            if callable(content):
                content(path)
            else:
                with open(path, "w") as f:
                    f.write(content)
    checks = {k[0] for k in fixtures}
    print(f"{len(fixtures)} fixtures for {len(checks)} checks")

if __name__ == "__main__":
    main()
