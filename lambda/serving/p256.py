# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""ECDSA P-256 / SHA-256 signature VERIFICATION in pure Python, for the Lambda's init.

Why not ``cryptography``: its wheels (with cffi) push the serving zip past Lambda's 50 MiB
direct-upload limit, and importing it costs cold-start time. Verification handles only
public data (key, message, signature), so there is no secret to leak through timing; the
checks are the ones FIPS 186-5 / SEC 1 require: the public key is a point on the curve
(not the identity), ``r`` and ``s`` lie in ``[1, n-1]``, and ``r == x(u1·G + u2·Q) mod n``.
It runs once per container (a few milliseconds). The tests cross-check it against
``cryptography`` on valid, altered and malformed signatures and keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

# NIST P-256 (secp256r1) domain parameters, FIPS 186-5 / SEC 2
P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
A = P - 3
B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
GX = 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296
GY = 0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5
# DER SubjectPublicKeyInfo prefix of an uncompressed P-256 key (id-ecPublicKey, prime256v1)
SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")

Point = tuple[int, int, int]  # Jacobian (X, Y, Z); Z == 0 is the point at infinity
INFINITY: Point = (1, 1, 0)


class KeyFormatError(ValueError):
    """A public key or signature that is not a well-formed P-256 one."""


def _double(p: Point) -> Point:
    x, y, z = p
    if z == 0 or y == 0:
        return INFINITY
    yy = y * y % P
    s = 4 * x * yy % P
    zz = z * z % P
    m = 3 * (x - zz) * (x + zz) % P  # a = -3
    x3 = (m * m - 2 * s) % P
    return x3, (m * (s - x3) - 8 * yy * yy) % P, 2 * y * z % P


def _add(p: Point, q: Point) -> Point:
    if p[2] == 0:
        return q
    if q[2] == 0:
        return p
    x1, y1, z1 = p
    x2, y2, z2 = q
    z1z1, z2z2 = z1 * z1 % P, z2 * z2 % P
    u1, u2 = x1 * z2z2 % P, x2 * z1z1 % P
    s1, s2 = y1 * z2 * z2z2 % P, y2 * z1 * z1z1 % P
    if u1 == u2:
        return _double(p) if s1 == s2 else INFINITY
    h, r = (u2 - u1) % P, (s2 - s1) % P
    hh = h * h % P
    hhh = h * hh % P
    v = u1 * hh % P
    x3 = (r * r - hhh - 2 * v) % P
    return x3, (r * (v - x3) - s1 * hhh) % P, h * z1 * z2 % P


def _mul_add(u1: int, u2: int, q: Point) -> Point:
    """u1·G + u2·Q (Shamir's trick: one pass over the bits)."""
    g: Point = (GX, GY, 1)
    both = _add(g, q)
    acc = INFINITY
    for bit in range(max(u1.bit_length(), u2.bit_length()) - 1, -1, -1):
        acc = _double(acc)
        a, b = (u1 >> bit) & 1, (u2 >> bit) & 1
        if a and b:
            acc = _add(acc, both)
        elif a:
            acc = _add(acc, g)
        elif b:
            acc = _add(acc, q)
    return acc


def _on_curve(x: int, y: int) -> bool:
    return 0 <= x < P and 0 <= y < P and (y * y - (x * x * x + A * x + B)) % P == 0


class PublicKey:
    """A P-256 public key from its DER SubjectPublicKeyInfo (or PEM)."""

    def __init__(self, spki_der: bytes) -> None:
        if len(spki_der) != len(SPKI_PREFIX) + 65 or not spki_der.startswith(SPKI_PREFIX):
            raise KeyFormatError("not an uncompressed ECDSA P-256 public key")
        point = spki_der[len(SPKI_PREFIX):]
        if point[0] != 0x04:
            raise KeyFormatError("the key's point is not uncompressed")
        x, y = int.from_bytes(point[1:33], "big"), int.from_bytes(point[33:], "big")
        if not _on_curve(x, y):
            raise KeyFormatError("the key's point is not on the P-256 curve")
        self.x, self.y = x, y
        self.der = spki_der
        self.keyid = hashlib.sha256(spki_der).hexdigest()

    @classmethod
    def from_pem(cls, pem: str) -> PublicKey:
        body = "".join(line.strip() for line in pem.strip().splitlines()
                       if line.strip() and not line.startswith("-----"))
        try:
            return cls(base64.b64decode(body, validate=True))
        except (binascii.Error, ValueError) as exc:
            if isinstance(exc, KeyFormatError):
                raise
            raise KeyFormatError(f"the PEM body is not base64: {exc}") from None

    def verify(self, signature_der: bytes, message: bytes) -> bool:
        """True when ``signature_der`` (ASN.1 DER r, s) signs SHA-256(``message``)."""
        try:
            r, s = decode_der_signature(signature_der)
        except KeyFormatError:
            return False
        if not (1 <= r < N and 1 <= s < N):
            return False
        e = int.from_bytes(hashlib.sha256(message).digest(), "big")
        w = pow(s, -1, N)
        x, _, z = _mul_add(e * w % N, r * w % N, (self.x, self.y, 1))
        if z == 0:
            return False
        affine_x = x * pow(z * z % P, -1, P) % P
        return affine_x % N == r


def _der_int(data: bytes, at: int) -> tuple[int, int]:
    if at + 2 > len(data) or data[at] != 0x02:
        raise KeyFormatError("not a DER INTEGER")
    length = data[at + 1]
    start, end = at + 2, at + 2 + length
    if length == 0 or length > 33 or end > len(data):
        raise KeyFormatError("bad DER INTEGER length")
    body = data[start:end]
    if body[0] & 0x80 or (length > 1 and body[0] == 0 and not body[1] & 0x80):
        raise KeyFormatError("non-minimal or negative DER INTEGER")
    return int.from_bytes(body, "big"), end


def decode_der_signature(sig: bytes) -> tuple[int, int]:
    """(r, s) from ``SEQUENCE { INTEGER r, INTEGER s }`` in strict DER."""
    if len(sig) < 8 or sig[0] != 0x30 or sig[1] != len(sig) - 2:
        raise KeyFormatError("not a DER ECDSA signature")
    r, at = _der_int(sig, 2)
    s, at = _der_int(sig, at)
    if at != len(sig):
        raise KeyFormatError("trailing bytes after the signature")
    return r, s
