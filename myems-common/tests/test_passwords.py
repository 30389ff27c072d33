from __future__ import annotations

import hashlib

from myems_common.passwords import hash_password, needs_rehash, salt_of, verify_password


def test_scrypt_hash_round_trip_and_salt() -> None:
    stored = hash_password('correct horse', n=2**10)
    assert stored.startswith('scrypt$1024$8$1$')
    assert 'correct horse' not in stored
    assert verify_password('correct horse', stored)
    assert not verify_password('correct hors', stored)
    assert len(salt_of(stored)) == 32


def test_same_password_gets_a_new_salt_each_time() -> None:
    assert hash_password('x', n=2**10) != hash_password('x', n=2**10)


def test_legacy_myems_sha512_hash_verifies_and_needs_rehash() -> None:
    salt = '0123456789abcdef0123456789abcdef'
    legacy = hashlib.sha512((salt + '!MyEMS1').encode()).hexdigest()
    assert verify_password('!MyEMS1', legacy, legacy_salt=salt)
    assert not verify_password('wrong', legacy, legacy_salt=salt)
    assert needs_rehash(legacy)
    assert not needs_rehash(hash_password('x'))


def test_garbage_stored_value_never_verifies() -> None:
    assert not verify_password('x', 'scrypt$a$b$c$zz$zz')
    assert not verify_password('x', '')
