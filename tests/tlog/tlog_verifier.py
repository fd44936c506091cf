#!/usr/bin/env python3
"""An independent verifier of complycli's audit log proofs, written from the specifications only:
RFC 6962 / RFC 9162 (Merkle hashing, inclusion and consistency proof verification), C2SP signed-note
and tlog-checkpoint (Ed25519 note signatures), C2SP tlog-proof, and docs/audit-log.md (the leaf data).
It shares no code with complycli. Run by tests/tlog/run_tlog_test.py."""
import base64
import hashlib
import struct

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class Invalid(Exception):
    pass


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf_hash(data: bytes) -> bytes:
    return sha256(b"\x00" + data)


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def mth(leaves):
    """RFC 6962 section 2.1: the Merkle Tree Hash of a list of leaf hashes."""
    n = len(leaves)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def entry_leaf(entry: dict) -> bytes:
    """The leaf data of an entry, per docs/audit-log.md "Entry hash": the same bytes the entry hash is over."""
    details = entry["details"]
    if not isinstance(details, str):
        import json
        details = json.dumps(details, separators=(",", ":"), ensure_ascii=False)
    data = b"complycli-audit-entry-v1\x00" + struct.pack(">Q", entry["seq"])
    for field in (entry["time"], entry["actor"], entry["action"], entry["target"], entry["outcome"], details):
        raw = field.encode()
        data += struct.pack(">I", len(raw)) + raw
    return data + bytes.fromhex(entry["prev_hash"])


def verify_inclusion(leaf: bytes, index: int, size: int, proof, root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_hash: bytes, second_hash: bytes, proof) -> bool:
    """RFC 9162 section 2.1.4.2 (first > 0)."""
    if first > second:
        return False
    if first == second:
        return not proof and first_hash == second_hash
    if first == 0:
        return False
    proof = list(proof)
    if first & (first - 1) == 0:
        proof = [first_hash] + proof
    if not proof:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0


def parse_vkey(vkey: str):
    """C2SP signed-note verifier key: name+hexid+base64(0x01 || key)."""
    name, key_id, material = vkey.strip().split("+", 2)
    raw = base64.b64decode(material)
    if raw[0] != 1 or len(raw) != 33:
        raise Invalid("not an Ed25519 vkey")
    if sha256(name.encode() + b"\n" + raw)[:4].hex() != key_id:
        raise Invalid("vkey key ID does not match")
    return name, bytes.fromhex(key_id), raw[1:]


def open_checkpoint(note: str, vkey: str):
    """Verify a signed note with vkey and parse its tlog-checkpoint body: (origin, size, root, extensions)."""
    name, key_id, key = parse_vkey(vkey)
    text, sep, sigs = note.rpartition("\n\n")
    if not sep:
        raise Invalid("no blank line")
    text += "\n"
    good = False
    for line in sigs.rstrip("\n").split("\n"):
        if not line.startswith("\u2014 "):
            raise Invalid("bad signature line")
        sig_name, b64 = line[2:].split(" ")
        blob = base64.b64decode(b64)
        if sig_name != name or blob[:4] != key_id:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(key).verify(blob[4:], text.encode())
        except InvalidSignature:
            raise Invalid("bad signature")
        good = True
    if not good:
        raise Invalid("no signature by the trusted key")
    lines = text[:-1].split("\n")
    if lines[0] != name:
        raise Invalid("origin is not the key name")
    root = base64.b64decode(lines[2])
    if len(root) != 32:
        raise Invalid("root is not 32 bytes")
    return lines[0], int(lines[1]), root, lines[3:]


def verify_tlog_proof(proof_text: str, entry: dict, vkey: str):
    """C2SP tlog-proof: returns the checkpoint's size; raises Invalid."""
    head, sep, checkpoint = proof_text.partition("\n\n")
    lines = head.split("\n")
    if lines[0] != "c2sp.org/tlog-proof@v1":
        raise Invalid("bad header")
    i = 1
    if lines[i].startswith("extra "):
        i += 1
    if not lines[i].startswith("index "):
        raise Invalid("no index")
    index = int(lines[i][6:])
    path = [base64.b64decode(x) for x in lines[i + 1:]]
    origin, size, root, _ = open_checkpoint(checkpoint, vkey)
    if index != entry["seq"] - 1:
        raise Invalid("proof is for another entry")
    if not verify_inclusion(leaf_hash(entry_leaf(entry)), index, size, path, root):
        raise Invalid("inclusion proof does not verify")
    return size
