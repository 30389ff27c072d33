"""Password hashing with scrypt (a memory-hard KDF) and a constant-time comparison.

Stored form: `scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>`, so parameters can be raised later and old
hashes still verify. MyEMS stores one salted SHA-512; such hashes are recognised so that accounts
migrated from MyEMS can still log in (and should be re-hashed on their next login).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SCHEME = 'scrypt'
N, R, P = 2**14, 8, 1
KEY_LENGTH = 32


def hash_password(password: str, n: int = N, r: int = R, p: int = P) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode('utf-8'), salt=salt, n=n, r=r, p=p, dklen=KEY_LENGTH)
    return f'{SCHEME}${n}${r}${p}${salt.hex()}${digest.hex()}'


def salt_of(stored: str) -> str:
    """The salt part of a stored hash (written to tbl_users.salt for MyEMS tools that read it)."""
    parts = stored.split('$')
    return parts[4] if len(parts) == 6 and parts[0] == SCHEME else ''


def verify_password(password: str, stored: str, legacy_salt: str = '') -> bool:
    """True if `password` matches `stored`; compares in constant time."""
    parts = stored.split('$')
    if len(parts) == 6 and parts[0] == SCHEME:
        try:
            n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
            salt, expected = bytes.fromhex(parts[4]), bytes.fromhex(parts[5])
        except ValueError:
            return False
        digest = hashlib.scrypt(password.encode('utf-8'), salt=salt, n=n, r=r, p=p, dklen=len(expected))
        return hmac.compare_digest(digest, expected)
    if legacy_salt and len(stored) == 128:
        digest_hex = hashlib.sha512((legacy_salt + password).encode('utf-8')).hexdigest()
        return hmac.compare_digest(digest_hex, stored.lower())
    return False


def needs_rehash(stored: str) -> bool:
    parts = stored.split('$')
    return not (len(parts) == 6 and parts[0] == SCHEME and int(parts[1]) >= N)
