"""HTTP-signature throughput: signing and verifying per second on one core.

    .venv/bin/python bench/signatures.py [--seconds 1.0]

Measures draft-cavage signing (RSA-2048, what every delivery costs), draft-cavage verification
with the public key's PEM parsed once (cached, as the inbox does) and parsed every time, the
bare RSA operations underneath for comparison, the header parsing and digest on their own, and
RFC 9421 verification with RSA and Ed25519. Numbers, not assertions.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa  # noqa: E402

from wikisocial.federation import signatures as sig  # noqa: E402

KEY_ID = "https://remote.example/users/alice#main-key"
URL = "https://wiki.social/users/bob/inbox"
BODY = b'{"@context": "https://www.w3.org/ns/activitystreams", "type": "Follow"}' * 8
NOW = datetime.now(UTC)


def rate(fn: Callable[[], object], seconds: float) -> tuple[float, float]:
    """Calls per second and microseconds per call, after a short warm-up."""
    for _ in range(20):
        fn()
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(50):
            fn()
        count += 50
    return count / elapsed, elapsed / count * 1e6


def pem_of(private_key) -> str:
    public = private_key.public_key()
    encoding, spki = serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    return public.public_bytes(encoding, spki).decode()


def cavage_cases(key: rsa.RSAPrivateKey) -> dict[str, Callable[[], object]]:
    pem = pem_of(key)
    headers = {"Content-Type": "application/activity+json"}
    headers |= sig.sign_request("POST", URL, headers, BODY, KEY_ID, key, now=NOW)
    lookup = {KEY_ID: pem}.get

    def verify_cached():
        return sig.verify_request("POST", "/users/bob/inbox", headers, BODY, lookup, now=NOW)

    def verify_uncached():
        sig.load_public_key.cache_clear()
        return verify_cached()

    message, signature = b"x" * 200, key.sign(b"x" * 200, padding.PKCS1v15(), hashes.SHA256())
    public = key.public_key()
    return {
        "cavage sign_request rsa-2048": lambda: sig.sign_request(
            "POST", URL, {}, BODY, KEY_ID, key, now=NOW
        ),
        "cavage verify_request, PEM cached": verify_cached,
        "cavage verify_request, PEM parsed each time": verify_uncached,
        "bare RSA-2048 sign (cryptography)": lambda: key.sign(
            message, padding.PKCS1v15(), hashes.SHA256()
        ),
        "bare RSA-2048 verify (cryptography)": lambda: public.verify(
            signature, message, padding.PKCS1v15(), hashes.SHA256()
        ),
        "parse_signature_header": lambda: sig.parse_signature_header(headers["Signature"]),
        "check_digest (Digest, 580 B body)": lambda: sig.check_digest(headers, BODY),
    }


def rfc9421_cases(key: rsa.RSAPrivateKey) -> dict[str, Callable[[], object]]:
    cases = {}
    for name, private in (
        ("rsa-v1_5-sha256", key),
        ("ed25519", ed25519.Ed25519PrivateKey.generate()),
    ):
        headers = {"Content-Type": "application/activity+json"}
        headers |= sig.sign_rfc9421("POST", URL, headers, BODY, KEY_ID, private, now=NOW)
        lookup = {KEY_ID: pem_of(private)}.get
        cases[f"rfc9421 verify {name}, PEM cached"] = lambda headers=headers, lookup=lookup: (
            sig.verify_rfc9421("POST", URL, headers, BODY, lookup, now=NOW)
        )
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    seconds = parser.parse_args().seconds
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    print(f"# Python {platform.python_version()}, {platform.machine()}, one core")
    print(f"{'operation':48} {'per second':>12} {'µs each':>10}")
    for label, fn in {**cavage_cases(key), **rfc9421_cases(key)}.items():
        per_second, micros = rate(fn, seconds)
        print(f"{label:48} {per_second:12,.0f} {micros:10.1f}")


if __name__ == "__main__":
    main()
