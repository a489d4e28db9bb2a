# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Who signs the release statement: a :class:`Signer` is passed in, never looked up.

* :class:`SigstoreKeylessSigner` is the production path: the release job's GitHub OIDC
  identity gets a short-lived Fulcio certificate and the signature is logged in Rekor.
  It needs the network (and ``sigstore`` installed), so it is not exercised offline.
* :class:`KmsSigner`: an AWS KMS asymmetric key (``ECC_NIST_P256``, ``SIGN_VERIFY``),
  ``Sign`` with ``ECDSA_SHA_256``; the private key never leaves KMS.
* :class:`KeySigner`: an ECDSA P-256 private key in a PEM file (tests, air-gapped teams).

Each signs the DSSE pre-authentication encoding (:func:`modelgate.serving.attestation.pae`) and
says which verification material goes into the Sigstore bundle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from modelgate.errors import ModelgateError
from modelgate.serving.attestation import key_id as spki_key_id

KMS_ALGORITHM = "ECDSA_SHA_256"


class SigningError(ModelgateError):
    """The statement could not be signed; the message says by what and why."""


class Signer(Protocol):
    """Signs bytes (the DSSE PAE) and describes its verification material."""

    @property
    def keyid(self) -> str: ...

    def sign(self, message: bytes) -> bytes: ...

    def verification_material(self) -> dict[str, Any]: ...

    def public_pem(self) -> str: ...


def key_id(key: ec.EllipticCurvePublicKey) -> str:
    """The Sigstore key hint: sha256 of the DER SubjectPublicKeyInfo."""
    return spki_key_id(key.public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo))


def _pem(key: ec.EllipticCurvePublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


class KeySigner:
    """An ECDSA P-256 private key from a PEM file (or already loaded)."""

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        if key.curve.name != "secp256r1":
            raise SigningError("the signing key must be ECDSA P-256")
        self._key = key
        self._keyid = key_id(key.public_key())

    @classmethod
    def from_pem_file(cls, path: Path, password: bytes | None = None) -> KeySigner:
        try:
            key = serialization.load_pem_private_key(Path(path).read_bytes(), password)
        except (OSError, ValueError, TypeError) as exc:
            raise SigningError(f"cannot read the signing key {path}: {exc}") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise SigningError(f"{path} is not an ECDSA private key")
        return cls(key)

    @property
    def keyid(self) -> str:
        return self._keyid

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message, ec.ECDSA(hashes.SHA256()))

    def verification_material(self) -> dict[str, Any]:
        return {"publicKey": {"hint": self._keyid}}

    def public_pem(self) -> str:
        return _pem(self._key.public_key())


class KmsSigner:
    """An AWS KMS key: ``Sign`` (``ECDSA_SHA_256``, the message sent whole, ``RAW``)."""

    def __init__(self, kms_client: Any, key_id_or_arn: str) -> None:
        self._kms = kms_client
        self._key = key_id_or_arn
        try:
            der = kms_client.get_public_key(KeyId=key_id_or_arn)["PublicKey"]
        except Exception as exc:  # botocore raises many types; each means "cannot use it"
            raise SigningError(f"cannot read KMS key {key_id_or_arn}: {exc}") from None
        public = serialization.load_der_public_key(der)
        if not isinstance(public, ec.EllipticCurvePublicKey):
            raise SigningError(f"KMS key {key_id_or_arn} is not an ECC_NIST_P256 key")
        self._public = public
        self._keyid = key_id(public)

    @property
    def keyid(self) -> str:
        return self._keyid

    def sign(self, message: bytes) -> bytes:
        if len(message) > 4096:  # KMS signs at most 4096 bytes RAW: sign the digest then
            digest = hashes.Hash(hashes.SHA256())
            digest.update(message)
            kwargs = {"Message": digest.finalize(), "MessageType": "DIGEST"}
        else:
            kwargs = {"Message": message, "MessageType": "RAW"}
        try:
            out = self._kms.sign(KeyId=self._key, SigningAlgorithm=KMS_ALGORITHM, **kwargs)
        except Exception as exc:  # botocore raises many types
            raise SigningError(f"KMS Sign with {self._key} failed: {exc}") from None
        return bytes(out["Signature"])

    def verification_material(self) -> dict[str, Any]:
        return {"publicKey": {"hint": self._keyid}}

    def public_pem(self) -> str:
        return _pem(self._public)


class SigstoreKeylessSigner:
    """Production: Sigstore keyless from the job's GitHub OIDC token (NETWORK REQUIRED).

    Uses ``sigstore`` (sigstore-python) to get a Fulcio certificate for the workflow
    identity (``https://github.com/<owner>/<repo>/.github/workflows/release.yml@refs/heads/
    main``) and log the signature in Rekor; the bundle then carries the certificate and
    the transparency-log entry instead of a key hint. Verifiers pin that identity and the
    issuer ``https://token.actions.githubusercontent.com`` instead of a public key.
    Not exercised offline; a deployment that uses it verifies with ``sigstore verify``.
    """

    def __init__(self, identity_token: str) -> None:
        self._token = identity_token

    @property
    def keyid(self) -> str:
        return ""

    def sign(self, message: bytes) -> bytes:
        raise SigningError("Sigstore keyless signing needs the network and sigstore-python; "
                           "sign the statement with `sigstore sign` in the release job, or "
                           "use --signing-key / --kms-key")

    def verification_material(self) -> dict[str, Any]:
        raise SigningError("Sigstore keyless material comes from Fulcio and Rekor (network)")

    def public_pem(self) -> str:
        raise SigningError("a keyless signature has no long-lived public key; pin the "
                           "workflow identity instead")
