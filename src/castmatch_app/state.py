"""Mutable state (accounts, sessions, refresh tokens, shortlists, bookings, webhook events) in SQLite.

One file shared by every worker and by the next process after a restart, so tokens, sessions and
idempotency keys survive a rolling restart. WAL mode lets readers run while one writer commits.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from castmatch_app import defects

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, username TEXT UNIQUE NOT NULL,
    display_name TEXT NOT NULL, role TEXT NOT NULL, password_hash TEXT NOT NULL, talent_id INTEGER);
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, user_id INTEGER, csrf TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}', created REAL NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS refresh_tokens (token_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL,
    family TEXT NOT NULL, used INTEGER NOT NULL DEFAULT 0, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS shortlists (id INTEGER PRIMARY KEY, owner_id INTEGER NOT NULL,
    name TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS shortlist_items (shortlist_id INTEGER NOT NULL, talent_id INTEGER NOT NULL,
    added REAL NOT NULL, PRIMARY KEY (shortlist_id, talent_id));
CREATE TABLE IF NOT EXISTS auditions (id INTEGER PRIMARY KEY, owner_id INTEGER NOT NULL,
    talent_id INTEGER NOT NULL, role_id INTEGER, starts_at TEXT NOT NULL, notes TEXT NOT NULL,
    status TEXT NOT NULL, calendar_seq INTEGER NOT NULL DEFAULT 0, idempotency_key TEXT UNIQUE,
    request_hash TEXT, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS webhook_events (event_id TEXT PRIMARY KEY, received REAL NOT NULL);
CREATE TABLE IF NOT EXISTS audition_history (id INTEGER PRIMARY KEY, audition_id INTEGER NOT NULL,
    event_id TEXT NOT NULL, type TEXT NOT NULL, sequence INTEGER NOT NULL, outcome TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS applicants (id INTEGER PRIMARY KEY, data TEXT NOT NULL,
    headshot BLOB, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS auditions_slot ON auditions(talent_id, starts_at);
"""

# (id, username, display name, role, password, talent id) -- documented in the package docstring.
SEED_USERS: tuple[tuple[int, str, str, str, str, int | None], ...] = (
    (1, "meera@castmatch.test", "Meera Iyer", "director", "Meera-Casting-2025", None),
    (2, "arjun@castmatch.test", "Arjun Kapoor", "director", "Arjun-Casting-2025", None),
    (3, "kabir@castmatch.test", "Kabir Khan", "talent", "Kabir-Talent-2025", 1),
    # Casting directors who own nothing: load runs sign in and book as them (and as Arjun), so a
    # per-user rate limit sees bookings spread over several directors, as in production.
    (4, "priya@castmatch.test", "Priya Nair", "director", "Priya-Casting-2025", None),
    (5, "rohan@castmatch.test", "Rohan Mehta", "director", "Rohan-Casting-2025", None),
    (6, "zoya@castmatch.test", "Zoya Shaikh", "director", "Zoya-Casting-2025", None),
    (7, "vikram@castmatch.test", "Vikram Rao", "director", "Vikram-Casting-2025", None),
)


class SlotTakenError(Exception):
    """The talent already has a booking (not cancelled) that starts at that time."""

    def __init__(self, talent_id: int, starts_at: str) -> None:
        super().__init__(f"talent {talent_id} is already booked at {starts_at}")
        self.talent_id, self.starts_at = talent_id, starts_at


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def seed_password_hashes(cache: Path | None) -> dict[str, str]:
    """The seeded accounts' password hashes by username, kept in ``cache`` between starts.

    A hash costs tens of milliseconds of CPU on purpose; the seeded accounts' passwords are public
    test values, so their hashes (random salts, made once) are kept in the data directory beside the
    catalogue instead of being made again at every start. An entry is keyed by a digest of the
    username and password, so a changed seed password gets a new hash; an unreadable file is remade.
    """
    keys = {username: hashlib.sha256(f"{username}\0{password}".encode()).hexdigest()
            for _, username, _, _, password, _ in SEED_USERS}
    known: dict[str, str] = {}
    if cache is not None:
        try:
            loaded = json.loads(cache.read_text())
            known = {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            known = {}
    if all(key in known for key in keys.values()):
        return {username: known[key] for username, key in keys.items()}
    made = {keys[username]: known.get(keys[username]) or hash_password(password)
            for _, username, _, _, password, _ in SEED_USERS}
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            partial = cache.with_name(f"{cache.name}.{secrets.token_hex(4)}.tmp")
            partial.write_text(json.dumps(made, indent=1))
            partial.replace(cache)  # atomic: a concurrent start reads the old file or this one
        except OSError:
            pass  # a read-only data directory only costs the hashes at each start
    return {username: made[key] for username, key in keys.items()}


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    salt = base64.b64decode(salt_b64)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return hmac.compare_digest(digest, base64.b64decode(digest_b64))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class State:
    def __init__(self, path: Path, password_cache: Path | None = None) -> None:
        """The state in ``path``; ``password_cache`` keeps the seeded accounts' hashes between starts."""
        self.password_cache = password_cache
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
        self.lock = threading.RLock()
        self.db.execute("PRAGMA busy_timeout=10000")
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        for statement in filter(str.strip, SCHEMA.split(";")):
            self.db.execute(statement)
        self._seed()
        self.secret_key = self._secret()

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def one(self, sql: str, *params: Any) -> Any:
        with self.lock:
            return self.db.execute(sql, params).fetchone()

    def all(self, sql: str, *params: Any) -> list[Any]:
        with self.lock:
            return self.db.execute(sql, params).fetchall()

    def _seed(self) -> None:
        if self.one("SELECT 1 FROM users WHERE id = 1"):
            return
        now = time.time()
        hashes = seed_password_hashes(self.password_cache)
        with self.tx() as db:
            for uid, username, name, role, _, talent_id in SEED_USERS:
                db.execute("INSERT OR IGNORE INTO users VALUES (?, ?, ?, ?, ?, ?)",
                           (uid, username, name, role, hashes[username], talent_id))
            db.execute("INSERT OR IGNORE INTO shortlists VALUES (1, 1, 'Monsoon Stories leads', ?)", (now,))
            db.execute("INSERT OR IGNORE INTO shortlists VALUES (2, 2, 'Sea Link ensemble', ?)", (now,))
            for sid, talents in ((1, (1, 2, 3, 4, 5)), (2, (6, 7, 8))):
                for talent_id in talents:
                    db.execute("INSERT OR IGNORE INTO shortlist_items VALUES (?, ?, ?)", (sid, talent_id, now))
            db.execute("INSERT OR IGNORE INTO auditions (id, owner_id, talent_id, role_id, starts_at, notes, "
                       "status, created) VALUES (1, 1, 2, 1, '2025-01-09T11:00', 'Bring a monologue', "
                       "'booked', ?)", (now,))
            db.execute("INSERT OR IGNORE INTO auditions (id, owner_id, talent_id, role_id, starts_at, notes, "
                       "status, created) VALUES (2, 2, 6, 2, '2025-01-10T15:30', 'Dance round', "
                       "'booked', ?)", (now,))

    def _secret(self) -> bytes:
        # INSERT OR IGNORE then read: every process converges on the first value written.
        with self.tx() as db:
            db.execute("INSERT OR IGNORE INTO meta VALUES ('secret_key', ?)", (secrets.token_hex(32),))
        return bytes.fromhex(self.one("SELECT value FROM meta WHERE key = 'secret_key'")[0])

    # -- accounts -------------------------------------------------------------------------------
    def user_by_name(self, username: str) -> dict[str, Any] | None:
        row = self.one("SELECT id, username, display_name, role, password_hash, talent_id FROM users "
                       "WHERE username = ?", username.strip().lower())
        return dict(zip(("id", "username", "display_name", "role", "password_hash", "talent_id"), row,
                        strict=True)) if row else None

    def user(self, user_id: int) -> dict[str, Any] | None:
        row = self.one("SELECT id, username, display_name, role, talent_id FROM users WHERE id = ?", user_id)
        return dict(zip(("id", "username", "display_name", "role", "talent_id"), row, strict=True)) if row else None

    # -- sessions -------------------------------------------------------------------------------
    def create_session(self, sid: str, user_id: int | None, ttl: float = 30 * 24 * 3600) -> None:
        now = time.time()
        with self.tx() as db:
            db.execute("INSERT OR REPLACE INTO sessions (id, user_id, csrf, data, created, expires) "
                       "VALUES (?, ?, ?, '{}', ?, ?)", (sid, user_id, secrets.token_urlsafe(24), now, now + ttl))

    def session(self, sid: str) -> dict[str, Any] | None:
        row = self.one("SELECT id, user_id, data, expires FROM sessions WHERE id = ?", sid)
        if not row or row[3] < time.time():
            return None
        return {"id": row[0], "user_id": row[1], "data": json.loads(row[2])}

    def save_session_data(self, sid: str, data: dict[str, Any], ttl: float = 30 * 24 * 3600) -> None:
        now = time.time()
        with self.tx() as db:
            db.execute("INSERT INTO sessions (id, user_id, csrf, data, created, expires) VALUES (?, NULL, ?, ?, ?, ?) "
                       "ON CONFLICT(id) DO UPDATE SET data = excluded.data",
                       (sid, secrets.token_urlsafe(24), json.dumps(data, ensure_ascii=False), now, now + ttl))

    def delete_session(self, sid: str) -> None:
        with self.tx() as db:
            db.execute("DELETE FROM sessions WHERE id = ?", (sid,))

    # -- refresh tokens (rotating: each is good for exactly one use) ------------------------------
    def issue_refresh(self, user_id: int, ttl: int, family: str | None = None) -> str:
        token = secrets.token_urlsafe(32)
        with self.tx() as db:
            db.execute("INSERT INTO refresh_tokens VALUES (?, ?, ?, 0, ?)",
                       (_token_hash(token), user_id, family or secrets.token_hex(8), time.time() + ttl))
        return token

    def use_refresh(self, token: str, ttl: int) -> tuple[int, str] | None:
        """Spend ``token`` and return (user id, its successor); None if unknown, expired or reused."""
        digest = _token_hash(token)
        with self.tx() as db:
            row = db.execute("SELECT user_id, family, used, expires FROM refresh_tokens WHERE token_hash = ?",
                             (digest,)).fetchone()
            if row is None or row[3] < time.time():
                return None
            user_id, family, used, _ = row
            if used and not defects.active("refresh-token-reuse"):
                # Reuse means the token leaked: revoke the whole family, as OAuth 2.0 BCP advises.
                db.execute("UPDATE refresh_tokens SET used = 1 WHERE family = ?", (family,))
                return None
            db.execute("UPDATE refresh_tokens SET used = 1 WHERE token_hash = ?", (digest,))
        return user_id, self.issue_refresh(user_id, ttl, family)

    # -- shortlists -----------------------------------------------------------------------------
    def shortlist_for(self, owner_id: int) -> int:
        row = self.one("SELECT id FROM shortlists WHERE owner_id = ? ORDER BY id LIMIT 1", owner_id)
        if row:
            return int(row[0])
        with self.tx() as db:
            cur = db.execute("INSERT INTO shortlists (owner_id, name, created) VALUES (?, 'My shortlist', ?)",
                             (owner_id, time.time()))
        return int(cur.lastrowid or 0)

    def shortlist(self, shortlist_id: int) -> dict[str, Any] | None:
        if not 0 < shortlist_id < 2**63:  # SQLite integers are 64-bit: larger ids cannot exist (and would raise)
            return None
        row = self.one("SELECT id, owner_id, name FROM shortlists WHERE id = ?", shortlist_id)
        if not row:
            return None
        items = [r[0] for r in self.all("SELECT talent_id FROM shortlist_items WHERE shortlist_id = ? "
                                        "ORDER BY added, talent_id", shortlist_id)]
        return {"id": row[0], "owner_id": row[1], "name": row[2], "talent_ids": items}

    def add_to_shortlist(self, shortlist_id: int, talent_id: int) -> bool:
        with self.tx() as db:
            cur = db.execute("INSERT OR IGNORE INTO shortlist_items VALUES (?, ?, ?)",
                             (shortlist_id, talent_id, time.time()))
        return cur.rowcount == 1

    def remove_from_shortlist(self, shortlist_id: int, talent_id: int) -> None:
        with self.tx() as db:
            db.execute("DELETE FROM shortlist_items WHERE shortlist_id = ? AND talent_id = ?",
                       (shortlist_id, talent_id))

    # -- auditions ------------------------------------------------------------------------------
    AUDITION_COLUMNS = "id, owner_id, talent_id, role_id, starts_at, notes, status, calendar_seq"

    def _audition(self, row: Any) -> dict[str, Any]:
        audition = dict(zip(("id", "owner_id", "talent_id", "role_id", "starts_at", "notes", "status",
                             "calendar_sequence"), row, strict=True))
        audition["history"] = [
            {"event_id": h[0], "type": h[1], "sequence": h[2], "outcome": h[3]}
            for h in self.all("SELECT event_id, type, sequence, outcome FROM audition_history "
                              "WHERE audition_id = ? ORDER BY id", row[0])
        ]
        return audition

    def audition(self, audition_id: int) -> dict[str, Any] | None:
        if not 0 < audition_id < 2**63:  # as in shortlist()
            return None
        row = self.one(f"SELECT {self.AUDITION_COLUMNS} FROM auditions WHERE id = ?", audition_id)
        return self._audition(row) if row else None

    def auditions_for(self, owner_id: int) -> list[dict[str, Any]]:
        rows = self.all(f"SELECT {self.AUDITION_COLUMNS} FROM auditions WHERE owner_id = ? ORDER BY id DESC",
                        owner_id)
        return [self._audition(r) for r in rows]

    def book_audition(self, owner_id: int, talent_id: int, role_id: int | None, starts_at: str, notes: str,
                      idempotency_key: str | None) -> tuple[dict[str, Any], bool]:
        """Create a booking; a repeated idempotency key returns the first booking (created=False).

        Raises ValueError when the key was used before for a different request, and SlotTakenError
        when the talent already has a booking that starts at ``starts_at``.
        """
        request_hash = hashlib.sha256(json.dumps([talent_id, role_id, starts_at, notes]).encode()).hexdigest()
        scoped = f"{owner_id}:{idempotency_key}" if idempotency_key else None
        with self.tx() as db:
            if scoped:
                row = db.execute("SELECT id, request_hash FROM auditions WHERE idempotency_key = ?",
                                 (scoped,)).fetchone()
                if row and row[1] != request_hash:
                    raise ValueError("idempotency key reused with a different request")
                if row:
                    existing = int(row[0])
                    return self._audition(db.execute(
                        f"SELECT {self.AUDITION_COLUMNS} FROM auditions WHERE id = ?", (existing,)
                    ).fetchone()), False
            # Inside the write transaction: two bookings of one slot cannot both pass this check.
            taken = db.execute("SELECT 1 FROM auditions WHERE talent_id = ? AND starts_at = ? AND status != "
                               "'cancelled'", (talent_id, starts_at)).fetchone()
            if taken and not defects.active("double-booking"):
                raise SlotTakenError(talent_id, starts_at)
            cur = db.execute(
                "INSERT INTO auditions (owner_id, talent_id, role_id, starts_at, notes, status, idempotency_key, "
                "request_hash, created) VALUES (?, ?, ?, ?, ?, 'booked', ?, ?, ?)",
                (owner_id, talent_id, role_id, starts_at, notes, scoped, request_hash, time.time()),
            )
            new_id = int(cur.lastrowid or 0)
        audition = self.audition(new_id)
        assert audition is not None
        return audition, True

    def apply_calendar_event(self, event_id: str, kind: str, sequence: int, audition_id: int,
                             starts_at: str | None) -> str:
        """Apply one calendar event: 'applied', 'stale' (older than what we have) or 'duplicate'."""
        with self.tx() as db:
            if not db.execute("SELECT 1 FROM auditions WHERE id = ?", (audition_id,)).fetchone():
                return "unknown-audition"
            seen = db.execute("INSERT OR IGNORE INTO webhook_events VALUES (?, ?)", (event_id, time.time()))
            if seen.rowcount == 0 and not defects.active("webhook-double-process"):
                return "duplicate"
            current = db.execute("SELECT calendar_seq FROM auditions WHERE id = ?", (audition_id,)).fetchone()[0]
            outcome = "applied"
            if sequence <= current and not defects.active("webhook-out-of-order"):
                outcome = "stale"
            elif kind == "audition.cancelled":
                db.execute("UPDATE auditions SET status = 'cancelled', calendar_seq = ? WHERE id = ?",
                           (sequence, audition_id))
            elif kind == "audition.rescheduled":
                db.execute("UPDATE auditions SET starts_at = ?, status = 'rescheduled', calendar_seq = ? "
                           "WHERE id = ?", (starts_at, sequence, audition_id))
            else:  # audition.confirmed
                db.execute("UPDATE auditions SET status = 'confirmed', calendar_seq = ? WHERE id = ?",
                           (sequence, audition_id))
            db.execute("INSERT INTO audition_history (audition_id, event_id, type, sequence, outcome) "
                       "VALUES (?, ?, ?, ?, ?)", (audition_id, event_id, kind, sequence, outcome))
        return outcome

    # -- onboarding -----------------------------------------------------------------------------
    def save_applicant(self, data: dict[str, Any], headshot: bytes | None) -> int:
        with self.tx() as db:
            cur = db.execute("INSERT INTO applicants (data, headshot, created) VALUES (?, ?, ?)",
                             (json.dumps(data, ensure_ascii=False), headshot, time.time()))
        return int(cur.lastrowid or 0)

    def counts(self) -> dict[str, int]:
        tables = ("users", "shortlists", "shortlist_items", "auditions", "webhook_events", "applicants")
        return {t: int(self.one(f"SELECT count(*) FROM {t}")[0]) for t in tables}
