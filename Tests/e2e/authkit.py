"""Tokens for the auth tests, made with PyJWT independently of the server, and key files."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

SECRET = "e2e-secret-0123456789-abcdefghij"


def _pem_public(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


class Keys:
    """An HS256 secret, an RSA and a P-256 key pair (public halves written as PEM files), and
    an RSA key the server does not know."""

    def __init__(self, folder: Path):
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.rsa_pem = folder / "rsa-public.pem"
        self.ec_pem = folder / "ec-public.pem"
        self.rsa_pem.write_bytes(_pem_public(self.rsa))
        self.ec_pem.write_bytes(_pem_public(self.ec))

    def server_args(self) -> list[str]:
        return ["--secure", "--jwt-secret", SECRET, "--jwt-public-key", str(self.rsa_pem),
                "--jwt-public-key", str(self.ec_pem)]


def claims(sub: str = "alice", ttl: float | None = 300, **extra) -> dict:
    c = {"sub": sub, **extra}
    if ttl is not None:
        c["exp"] = int(time.time() + ttl)
    return c


def hs256(c: dict, secret: str = SECRET, alg: str = "HS256") -> str:
    return jwt.encode(c, secret, algorithm=alg)


def rs256(key, c: dict) -> str:
    return jwt.encode(c, key, algorithm="RS256")


def es256(key, c: dict) -> str:
    return jwt.encode(c, key, algorithm="ES256")


def hs256_raw(c: dict, secret: bytes) -> str:
    """HS256 by hand, for secrets PyJWT refuses to use (a public key's PEM: the key-confusion attack)."""
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(c).encode())
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(signature)


def unsigned(c: dict) -> str:
    return jwt.encode(c, None, algorithm="none")


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
