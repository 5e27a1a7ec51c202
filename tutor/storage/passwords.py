"""Password hashing with Argon2id (argon2-cffi), the winner of the Password Hashing Competition."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from tutor.errors import InputDataError

MIN_PASSWORD_CHARS = 8
# Hashing cost grows with length; the cap stops a megabyte "password" from tying up a worker.
MAX_PASSWORD_CHARS = 1024
# zxcvbn's score: 2 means "somewhat guessable", about 10^8 guesses, which rate-limited online guessing cannot
# reach; 0 and 1 are common passwords, keyboard walks, names with digits and the user name itself.
MIN_STRENGTH = 2
# zxcvbn refuses longer inputs (its matching is super-linear); a longer password is strong by length alone.
_STRENGTH_WINDOW = 72


def check_password_rules(password: str, username: str = "") -> None:
    """Reject passwords that are too short, absurdly long, or easy to guess (zxcvbn score under 2, with the
    user name counted as a known word).

    Raises:
        InputDataError: the password breaks a rule; the message says which and how to do better.
    """
    if len(password) < MIN_PASSWORD_CHARS:
        raise InputDataError(f"password too short: it needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise InputDataError(f"password too long: at most {MAX_PASSWORD_CHARS} characters")
    strength = zxcvbn(password[:_STRENGTH_WINDOW], user_inputs=[username] if username else [])
    if strength["score"] < MIN_STRENGTH:
        warning = strength["feedback"]["warning"] or "it is easy to guess"
        raise InputDataError(
            f"password too weak: {warning.rstrip('.').lower()}",
            "use three or four words that don't belong together, e.g. 'violet kettle march'",
        )


class Passwords:
    """Hashes and verifies passwords; `hasher` sets the Argon2 cost (the argon2-cffi defaults otherwise)."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, stored_hash: str, password: str) -> bool:
        """True iff `password` matches; a corrupt stored hash counts as no match."""
        try:
            return self.hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """True when the hash was made with other parameters than the current ones."""
        try:
            return self.hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True

    def burn(self, password: str) -> None:
        """Spend one verification's time on nothing, so an unknown username takes as long as a known one."""
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash("not a real password")
        self.verify(self._dummy_hash, password)
