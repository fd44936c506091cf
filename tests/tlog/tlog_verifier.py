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


def tile_path(level, index, width=0):
    """C2SP tlog-tiles: tile/<L>/<N>[.p/<W>], N in 3-digit groups, all but the last prefixed with x."""
    groups = []
    while True:
        groups.append(f"{index % 1000:03d}")
        index //= 1000
        if index == 0:
            break
    groups.reverse()
    n = "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])
    path = f"tile/{'entries' if level < 0 else level}/{n}"
    if 0 < width < 256:
        path += f".p/{width}"
    return path


def entry_hash_chain(data: bytes, seq: int, prev: bytes) -> bytes:
    """Check one leaf's encoding (docs/audit-log.md "Entry hash"): its seq and prev_hash; return its hash."""
    domain = b"complycli-audit-entry-v1\x00"
    if not data.startswith(domain):
        raise Invalid(f"entry {seq}: no domain prefix")
    at = len(domain)
    (got,) = struct.unpack_from(">Q", data, at)
    at += 8
    if got != seq:
        raise Invalid(f"entry {seq}: has seq {got}")
    for _ in range(6):
        (length,) = struct.unpack_from(">I", data, at)
        at += 4 + length
    if len(data) - at != 32:
        raise Invalid(f"entry {seq}: bad length")
    if data[at:] != prev:
        raise Invalid(f"entry {seq}: prev_hash is not entry {seq - 1}'s hash")
    return sha256(data)


def verify_tiles(read, vkey: str):
    """Verify a log published as C2SP tlog tiles: `read(path)` returns a resource's bytes (None when
    missing). Checks the signed checkpoint, decodes every entry bundle, checks the hash chain and the
    checkpoint's head extension, every level 0 tile against the bundles, every higher tile against the
    level below, and the root. Returns the size; raises Invalid."""
    note = read("checkpoint")
    if note is None:
        raise Invalid("no checkpoint")
    origin, size, root, ext = open_checkpoint(note.decode(), vkey)

    def fetch(path, width):
        data = read(path)
        if data is None:
            raise Invalid(f"{path} missing")
        if len(data) != 32 * width:
            raise Invalid(f"{path}: {len(data)} bytes for {width} hashes")
        return [data[i:i + 32] for i in range(0, len(data), 32)]

    leaves, prev = [], bytes(32)
    for n in range((size + 255) // 256):
        width = min(256, size - n * 256)
        bundle = read(tile_path(-1, n, width))
        if bundle is None:
            raise Invalid(f"bundle {n} missing")
        got, at = [], 0
        while at < len(bundle):
            (length,) = struct.unpack_from(">H", bundle, at)
            got.append(bundle[at + 2:at + 2 + length])
            at += 2 + length
        if at != len(bundle) or len(got) != width:
            raise Invalid(f"bundle {n}: {len(got)} entries, expected {width}")
        hashes = [leaf_hash(d) for d in got]
        for i, d in enumerate(got):
            prev = entry_hash_chain(d, n * 256 + i + 1, prev)
        if fetch(tile_path(0, n, width), width) != hashes:
            raise Invalid(f"level 0 tile {n} does not match bundle {n}")
        leaves += hashes
    heads = [e for e in ext if e.startswith("head ")]
    if size and (not heads or base64.b64decode(heads[0][5:]) != prev):
        raise Invalid("checkpoint head is not the last entry's hash")
    level_hashes = leaves
    level = 0
    while True:
        # the hashes at level + 1: MTH of each full tile at this level
        level_hashes = [mth(level_hashes[i:i + 256]) for i in range(0, len(level_hashes) - 255, 256)]
        level += 1
        if not level_hashes:
            break
        for n in range((len(level_hashes) + 255) // 256):
            width = min(256, len(level_hashes) - n * 256)
            if fetch(tile_path(level, n, width), width) != level_hashes[n * 256:n * 256 + width]:
                raise Invalid(f"level {level} tile {n} does not match the level below")
    if mth(leaves) != root:
        raise Invalid("root does not match the entry bundles")
    return size


def verify_cosignature(note: str, witness_vkey: str) -> int:
    """C2SP tlog-cosignature: a cosignature/v1 line by the witness (vkey type 0x04) on the checkpoint in
    `note`. Returns its timestamp; raises Invalid."""
    name, key_id, material = witness_vkey.strip().split("+", 2)
    raw = base64.b64decode(material)
    if len(raw) != 33 or raw[0] != 4 or sha256(name.encode() + b"\n" + raw)[:4].hex() != key_id:
        raise Invalid("not a cosignature/v1 vkey")
    text, sep, sigs = note.rpartition("\n\n")
    if not sep:
        raise Invalid("no blank line")
    text += "\n"
    for line in sigs.rstrip("\n").split("\n"):
        sig_name, b64 = line[2:].split(" ")
        blob = base64.b64decode(b64)
        if sig_name != name or blob[:4] != bytes.fromhex(key_id) or len(blob) != 4 + 8 + 64:
            continue
        (timestamp,) = struct.unpack(">Q", blob[4:12])
        message = f"cosignature/v1\ntime {timestamp}\n{text}".encode()
        try:
            Ed25519PublicKey.from_public_bytes(raw[1:]).verify(blob[12:], message)
        except InvalidSignature:
            raise Invalid("bad cosignature")
        return timestamp
    raise Invalid("no cosignature by the witness")
