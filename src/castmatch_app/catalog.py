"""The read-only talent catalogue: built once per generator version and seed, then opened immutable.

Many processes may start at once (test workers, ``--workers N``), so the build takes an exclusive
file lock, writes to a temporary file in the same directory and renames it into place; a reader
never sees a half-written database.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from castmatch_app import defects, generator

SCHEMA = """
CREATE TABLE talents (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, name_hi TEXT NOT NULL, gender TEXT NOT NULL,
    age INTEGER NOT NULL, area TEXT NOT NULL, languages TEXT NOT NULL, skills TEXT NOT NULL,
    experience INTEGER NOT NULL, height_cm INTEGER NOT NULL, popularity REAL NOT NULL,
    archetype INTEGER NOT NULL, bio TEXT NOT NULL
);
CREATE TABLE talent_languages (talent_id INTEGER NOT NULL, language TEXT NOT NULL,
    PRIMARY KEY (language, talent_id)) WITHOUT ROWID;
CREATE TABLE talent_skills (talent_id INTEGER NOT NULL, skill TEXT NOT NULL,
    PRIMARY KEY (skill, talent_id)) WITHOUT ROWID;
CREATE TABLE projects (id INTEGER PRIMARY KEY, title TEXT NOT NULL, kind TEXT NOT NULL,
    studio TEXT NOT NULL, year INTEGER NOT NULL);
CREATE TABLE roles (id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id),
    title TEXT NOT NULL, archetype INTEGER NOT NULL, skills TEXT NOT NULL, languages TEXT NOT NULL,
    gender TEXT NOT NULL, age_min INTEGER NOT NULL, age_max INTEGER NOT NULL, area TEXT NOT NULL);
CREATE INDEX talents_area ON talents(area, popularity DESC);
CREATE INDEX talents_popularity ON talents(popularity DESC);
CREATE VIRTUAL TABLE talent_fts USING fts5(
    name, name_hi, skills, languages, area, bio, content='talents', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE talent_words USING fts5(
    name, name_hi, skills, languages, area, bio, content='talents', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2'
);
"""
#: Part of the cache file's name: a change to SCHEMA must change it, so no process opens an old file.
SCHEMA_VERSION = 2

TALENT_COLUMNS = (
    "t.id, t.name, t.name_hi, t.gender, t.age, t.area, t.languages, t.skills, t.experience, "
    "t.height_cm, t.popularity, t.archetype, t.bio"
)


def catalog_path(data_dir: Path, seed: int, talents: int) -> Path:
    """Where the catalogue of this generator version, schema, seed and size is cached."""
    return data_dir / f"catalog-v{generator.GENERATOR_VERSION}.{SCHEMA_VERSION}-s{seed}-n{talents}.sqlite3"


def _build(path: Path, seed: int, count: int) -> None:
    db = sqlite3.connect(path)
    try:
        db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + SCHEMA)
        rows = []
        for t in generator.talents(seed, count):
            rows.append((t.id, t.name, t.name_hi, t.gender, t.age, t.area, ",".join(t.languages),
                         ",".join(t.skills), t.experience, t.height_cm, t.popularity, t.archetype, t.bio))
            db.executemany("INSERT INTO talent_languages VALUES (?, ?)", [(t.id, x) for x in t.languages])
            db.executemany("INSERT INTO talent_skills VALUES (?, ?)", [(t.id, x) for x in t.skills])
        db.executemany(f"INSERT INTO talents VALUES ({','.join('?' * 13)})", rows)
        db.executemany("INSERT INTO projects VALUES (?, ?, ?, ?, ?)",
                       [(p.id, p.title, p.kind, p.studio, p.year) for p in generator.projects(seed)])
        db.executemany(
            "INSERT INTO roles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(r.id, r.project_id, r.title, r.archetype, ",".join(r.skills), ",".join(r.languages),
              r.gender, r.age_min, r.age_max, r.area) for r in generator.roles(seed)],
        )
        for index in ("talent_fts", "talent_words"):
            db.execute(
                f"INSERT INTO {index}(rowid, name, name_hi, skills, languages, area, bio) "
                "SELECT id, name, name_hi, replace(skills, '-', ' '), languages, replace(area, '-', ' '), bio "
                "FROM talents"
            )
            db.execute(f"INSERT INTO {index}({index}) VALUES ('optimize')")
        db.commit()
    finally:
        db.close()


def ensure_catalog(data_dir: Path, seed: int, talents: int) -> Path:
    """Return the catalogue path, building it first if no process has done so yet."""
    path = catalog_path(data_dir, seed, talents)
    if path.exists():
        return path
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():  # another process finished while we waited for the lock
            return path
        fd, tmp = tempfile.mkstemp(prefix=".catalog-", suffix=".tmp", dir=data_dir)
        os.close(fd)
        try:
            _build(Path(tmp), seed, talents)
            os.chmod(tmp, 0o644)  # mkstemp creates 0600; other users' processes read the cache too
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return path


@dataclass(frozen=True, slots=True)
class SearchQuery:
    q: str = ""
    area: str = ""
    language: str = ""
    skill: str = ""
    gender: str = ""
    min_experience: int = 0
    page: int = 1
    per_page: int = 12

    def cache_key(self) -> tuple[Any, ...]:
        return (self.q.casefold(), self.area, self.language, self.skill, self.gender,
                self.min_experience, self.page, self.per_page)


#: Words people search with, and the words the catalogue uses for the same thing (its skills and
#: bios). Both sides go through the same Porter stemmer, so "actors" or "singing" need no entry.
SYNONYMS: dict[str, str] = {
    "actor": "acting", "actress": "acting", "dancer": "dance", "singer": "singing", "vocalist": "singing",
    "voice artist": "voice over", "voice actor": "voice over", "voiceover": "voice over",
    "dubbing artist": "dubbing", "comedian": "comedy", "stuntman": "stunts", "stuntwoman": "stunts",
    "model": "modelling", "anchor": "anchoring", "host": "anchoring", "musician": "music",
    "tabla player": "tabla", "sitar player": "sitar", "guitarist": "guitar", "swimmer": "swimming",
    "impressionist": "mimicry", "rider": "riding",
}
MAX_TERMS = 8


def _terms(q: str) -> list[str]:
    # User input never becomes FTS5 syntax: quotes are dropped and every term is quoted again.
    # Control characters go too: FTS5 reads a NUL as the end of the string ("unterminated string").
    words = ["".join(c for c in w if c.isprintable() and c != '"') for w in q.replace("-", " ").split()]
    return [w for w in words if w][:MAX_TERMS]


def _synonym(phrase: str) -> str | None:
    """The catalogue's word for ``phrase``, also for a plural (``dancers``, ``actresses``)."""
    phrase = phrase.casefold()
    for form in (phrase, phrase.removesuffix("es"), phrase.removesuffix("s")):
        if form in SYNONYMS:
            return SYNONYMS[form]
    return None


def fts_expression(q: str, *, synonyms: bool = True) -> str:
    """An FTS5 query for ``q``: every word must match, as itself or a synonym; the last word also as a prefix.

    With ``synonyms`` off, the words are matched only as typed (the ``literal-search`` defect).
    """
    words = _terms(q)
    groups: list[list[str]] = []
    i = 0
    while i < len(words):
        pair = " ".join(words[i:i + 2])
        same = _synonym(pair) if synonyms and i + 1 < len(words) else None
        if same:
            groups.append([f'"{pair}"', f'"{same}"'])
            i += 2
            continue
        word = words[i]
        group = [f'"{word}"']
        if i == len(words) - 1:
            group.append(f'"{word}"*')  # still being typed; a prefix is not stemmed, so keep both
        same = _synonym(word) if synonyms else None
        if same:
            group.append(f'"{same}"')
        groups.append(group)
        i += 1
    return " AND ".join(f"({' OR '.join(g)})" if len(g) > 1 else g[0] for g in groups)


def talent_row(row: Sequence[Any]) -> dict[str, Any]:
    return {
        "id": row[0], "name": row[1], "name_hi": row[2], "gender": row[3], "age": row[4], "area": row[5],
        "languages": row[6].split(","), "skills": row[7].split(","), "experience": row[8],
        "height_cm": row[9], "popularity": row[10], "bio": row[12],
        "headshot": f"/media/headshots/{row[0]}.webp",
    }


class Catalog:
    def __init__(self, path: Path) -> None:
        self.path = path
        # immutable=1: the file is never modified after its atomic rename, so SQLite may skip locking.
        self.db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        self.db.execute("PRAGMA cache_size=-32000")
        self.talent_count: int = self.db.execute("SELECT count(*) FROM talents").fetchone()[0]

    def close(self) -> None:
        self.db.close()

    def search(self, query: SearchQuery) -> tuple[int, list[dict[str, Any]]]:
        """(total matches, this page's talents): best text match first, then the most popular."""
        source = "talents t"
        where = ["1=1"]
        params: list[str | int] = []
        order = "t.popularity DESC"
        literal = defects.active("literal-search")
        expression = fts_expression(query.q, synonyms=not literal)
        if defects.active("edge-case-500"):
            expression = query.q  # the user's text as FTS5 syntax: "***" or a quote is a syntax error
        if expression:
            # The defect searches an index without the stemmer, and no synonyms: words only as typed.
            index = "talent_words" if literal else "talent_fts"
            # CROSS JOIN keeps the text index the outer loop: one MATCH, then a lookup per match.
            # Left to the planner, an area filter went first and ran the MATCH once per talent there.
            source = f"{index} CROSS JOIN talents t ON t.id = {index}.rowid"
            where.append(f"{index} MATCH ?")
            params.append(expression)
            order = f"bm25({index}), t.popularity DESC"
        if query.area:
            if defects.active("sql-injection"):
                where.append(f"t.area = '{query.area}'")
            else:
                where.append("t.area = ?")
                params.append(query.area)
        if query.language:
            where.append("t.id IN (SELECT talent_id FROM talent_languages WHERE language = ?)")
            params.append(query.language)
        if query.skill:
            where.append("t.id IN (SELECT talent_id FROM talent_skills WHERE skill = ?)")
            params.append(query.skill)
        if query.gender:
            where.append("t.gender = ?")
            params.append(query.gender)
        if query.min_experience:
            where.append("t.experience >= ?")
            params.append(query.min_experience)
        base = f"FROM {source} WHERE {' AND '.join(where)}"
        total = self.db.execute(f"SELECT count(*) {base}", params).fetchone()[0]
        offset = (query.page - 1) * query.per_page
        rows = self.db.execute(
            f"SELECT {TALENT_COLUMNS} {base} ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, query.per_page, offset],
        ).fetchall()
        return total, [talent_row(r) for r in rows]

    def talent(self, talent_id: int) -> dict[str, Any] | None:
        if not 0 < talent_id < 2**63:  # SQLite integers are 64-bit: a larger id cannot exist (and would raise)
            return None
        row = self.db.execute(f"SELECT {TALENT_COLUMNS} FROM talents t WHERE id = ?", (talent_id,)).fetchone()
        return talent_row(row) if row else None

    def talents(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(f"SELECT {TALENT_COLUMNS} FROM talents t WHERE id IN ({marks})", list(ids))
        by_id = {r[0]: talent_row(r) for r in rows}
        return [by_id[i] for i in ids if i in by_id]

    def popular(self, limit: int) -> list[dict[str, Any]]:
        rows = self.db.execute(
            f"SELECT {TALENT_COLUMNS} FROM talents t ORDER BY popularity DESC LIMIT ?", (limit,)
        ).fetchall()
        return [talent_row(r) for r in rows]

    def feature_rows(self) -> list[tuple[int, str, str, str, int, int, int, float, int]]:
        """Every talent's model inputs: id, skills, languages, area, age, experience, ..."""
        return self.db.execute(
            "SELECT id, skills, languages, area, age, experience, height_cm, popularity, archetype "
            "FROM talents ORDER BY id"
        ).fetchall()

    def role(self, role_id: int) -> dict[str, Any] | None:
        if not 0 < role_id < 2**63:  # as in talent(): out-of-range ids do not exist
            return None
        row = self.db.execute(
            "SELECT r.id, r.title, r.skills, r.languages, r.gender, r.age_min, r.age_max, r.area, "
            "p.id, p.title, p.kind, p.studio, r.archetype FROM roles r JOIN projects p ON p.id = r.project_id "
            "WHERE r.id = ?", (role_id,),
        ).fetchone()
        if row is None:
            return None
        return {"id": row[0], "title": row[1], "skills": row[2].split(","), "languages": row[3].split(","),
                "gender": row[4], "age_min": row[5], "age_max": row[6], "area": row[7],
                "project": {"id": row[8], "title": row[9], "kind": row[10], "studio": row[11]},
                "archetype": row[12]}

    def roles(self, limit: int = 50) -> list[dict[str, Any]]:
        ids = [r[0] for r in self.db.execute("SELECT id FROM roles ORDER BY id LIMIT ?", (limit,))]
        return [r for r in (self.role(i) for i in ids) if r]

    def role_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM roles").fetchone()[0])
