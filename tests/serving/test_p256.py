# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""modelgate.serving.p256, the Lambda's pure-Python ECDSA P-256 verifier, cross-checked against
``cryptography`` on valid, altered and malformed signatures and keys."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from modelgate.serving.p256 import KeyFormatError, N, PublicKey

KEYS = [ec.generate_private_key(ec.SECP256R1()) for _ in range(3)]


def _spki(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def _pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.mark.parametrize("n", range(12))
def test_it_accepts_what_cryptography_signs(n: int) -> None:
    key = KEYS[n % 3]
    message = hashlib.sha256(str(n).encode()).digest() * (n + 1)
    sig = key.sign(message, ec.ECDSA(hashes.SHA256()))
    public = PublicKey.from_pem(_pem(key))
    assert public.verify(sig, message)
    assert not public.verify(sig, message + b"x")
    assert not PublicKey(_spki(KEYS[(n + 1) % 3])).verify(sig, message)


def test_it_refuses_altered_and_out_of_range_signatures() -> None:
    key, message = KEYS[0], b"statement"
    sig = key.sign(message, ec.ECDSA(hashes.SHA256()))
    public = PublicKey(_spki(key))
    r, s = decode_dss_signature(sig)
    for bad_r, bad_s in ((r, (s + 1) % N), (r + 1, s), (0, s), (r, 0), (r + N, s), (r, N)):
        assert not public.verify(encode_dss_signature(bad_r, bad_s), message)
    assert not public.verify(sig + b"\x00", message)  # trailing bytes
    assert not public.verify(sig[:-1], message)
    assert not public.verify(b"", message)


def test_it_refuses_keys_that_are_not_p256_points() -> None:
    der = bytearray(_spki(KEYS[0]))
    der[-1] ^= 1  # the point leaves the curve
    with pytest.raises(KeyFormatError, match="not on the P-256 curve"):
        PublicKey(bytes(der))
    other = ec.generate_private_key(ec.SECP384R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(KeyFormatError, match="not an uncompressed ECDSA P-256"):
        PublicKey(other)


def test_the_key_id_is_the_sha256_of_the_spki() -> None:
    assert PublicKey(_spki(KEYS[1])).keyid == hashlib.sha256(_spki(KEYS[1])).hexdigest()
