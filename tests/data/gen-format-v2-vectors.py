#!/usr/bin/env python3
"""Generate tests/data/format-v2-vectors.json: test vectors for the complycli matter file format,
version 2 (docs/format.md). Written from the text of docs/format.md with the `cryptography` package
(python3-cryptography) and hashlib, independently of complycli's C++ code; tests/unit/
test_crypto_matter_v2.cpp checks complycli against the output. Deterministic: run it again and the
file does not change.

    python3 tests/data/gen-format-v2-vectors.py > tests/data/format-v2-vectors.json
"""

import hashlib
import json
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

CHUNK = 16384


def derive_version_secret_key(version_secret: bytes) -> bytes:
    """libsodium crypto_kdf_derive_from_key(32, 2, "cmplyx25", version_secret): BLAKE2b-256 keyed with the
    version secret, salt = subkey id (u64 little-endian) || 8 zero bytes, personal = context || 8 zero bytes."""
    return hashlib.blake2b(b"", digest_size=32, key=version_secret,
                           salt=struct.pack("<Q", 2) + bytes(8), person=b"cmplyx25" + bytes(8)).digest()


def public_of(secret: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(secret).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def header_v2(matter_id: bytes, key_version: int, eph_pk: bytes) -> bytes:
    return b"CMPLY" + bytes([2]) + matter_id + struct.pack(">I", key_version) + eph_pk


def input_key(shared: bytes, eph_pk: bytes, matter_pk: bytes, header: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=eph_pk + matter_pk,
                info=b"complycli/matter-file-v2" + b"\x00" + header).derive(shared)


def cobblestone(input_key_: bytes, salt: bytes, context: bytes, plaintext: bytes):
    info = b"c2sp.org/chunked-encryption@v1+AEAD_AES_256_GCM" + b"\x00" + salt + context
    okm = HKDFExpand(algorithm=hashes.SHA512(), length=32 + 12 + 32, info=info).derive(input_key_)
    key, base, commitment = okm[:32], okm[32:44], okm[44:]
    out = salt + commitment
    aead = AESGCM(key)
    index = 0
    offset = 0
    while True:
        chunk = plaintext[offset:offset + CHUNK]
        nonce = (int.from_bytes(base, "big") ^ index).to_bytes(12, "big")
        out += aead.encrypt(nonce, chunk, b"")
        if len(chunk) < CHUNK:
            break
        offset += CHUNK
        index += 1
    return key, base, commitment, out


def case(name, version_secret_hex, eph_secret_hex, matter_id_hex, key_version, salt_hex, plaintext):
    version_secret = bytes.fromhex(version_secret_hex)
    matter_sk = derive_version_secret_key(version_secret)
    matter_pk = public_of(matter_sk)
    eph_sk = bytes.fromhex(eph_secret_hex)
    eph_pk = public_of(eph_sk)
    shared = X25519PrivateKey.from_private_bytes(eph_sk).exchange(X25519PublicKey.from_public_bytes(matter_pk))
    assert shared == X25519PrivateKey.from_private_bytes(matter_sk).exchange(X25519PublicKey.from_public_bytes(eph_pk))
    header = header_v2(bytes.fromhex(matter_id_hex), key_version, eph_pk)
    ikm = input_key(shared, eph_pk, matter_pk, header)
    context = b"complycli/matter-file" + b"\x00" + header
    key, base, commitment, payload = cobblestone(ikm, bytes.fromhex(salt_hex), context, plaintext)
    return {
        "name": name,
        "version_secret": version_secret.hex(),
        "matter_secret_key": matter_sk.hex(),
        "matter_public_key": matter_pk.hex(),
        "ephemeral_secret_key": eph_sk.hex(),
        "ephemeral_public_key": eph_pk.hex(),
        "matter_id": matter_id_hex,
        "key_version": key_version,
        "header": header.hex(),
        "shared_secret": shared.hex(),
        "hkdf_salt": (eph_pk + matter_pk).hex(),
        "hkdf_info": (b"complycli/matter-file-v2\x00" + header).hex(),
        "input_key": ikm.hex(),
        "cobblestone_context": context.hex(),
        "cobblestone_salt": salt_hex,
        "payload_key": key.hex(),
        "payload_base_nonce": base.hex(),
        "commitment": commitment.hex(),
        "plaintext": plaintext.hex(),
        "file": (header + payload).hex(),
    }


def main():
    vectors = {
        "format": "complycli matter file, format version 2 (docs/format.md)",
        "generator": "tests/data/gen-format-v2-vectors.py (python3-cryptography, hashlib)",
        "valid": [
            case("short", "00" * 31 + "01", "a0" * 32, "000102030405060708090a0b0c0d0e0f", 1, "11" * 24,
                 b"complycli format 2: evidence for matter acme\n"),
            case("empty", bytes(range(32)).hex(), "42" * 32, "f0" * 16, 7, "22" * 24, b""),
            case("two chunks", "5c" * 32, bytes(range(100, 132)).hex(), "abcdef00" * 4, 0x01020304, "33" * 24,
                 bytes(i % 251 for i in range(CHUNK + 5))),
        ],
        # Ephemeral public keys of small order: X25519 with any secret gives all-zero bytes, which a
        # reader must refuse (complycli: exit 1, the file fails authentication).
        "low_order_ephemeral_public_keys": [
            "00" * 32,
            "01" + "00" * 31,
            "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        ],
    }
    print(json.dumps(vectors, indent=2))


if __name__ == "__main__":
    main()
