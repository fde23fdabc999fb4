"""``Record``: the shared equality, hash and repr hold what a generated dataclass's would."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pytest_castmatch.record import Record
from pytest_castmatch.settings import Layer, resolve


@dataclass(frozen=True, eq=False, repr=False)
class Point(Record):
    x: int
    y: int = 0
    label: str = field(default="", compare=False)
    secret: str = field(default="", repr=False)


@dataclass(frozen=True, eq=False, repr=False)
class Other(Record):
    x: int
    y: int = 0


@dataclass(frozen=True)
class Generated:
    x: int
    y: int = 0
    label: str = field(default="", compare=False)
    secret: str = field(default="", repr=False)


def test_equal_when_every_compared_field_is_equal() -> None:
    assert Point(1, 2) == Point(1, 2)
    assert Point(1, 2, label="a") == Point(1, 2, label="b")  # compare=False is left out
    assert Point(1, 2) != Point(1, 3)
    assert Point(1, 2, secret="a") != Point(1, 2, secret="b")


def test_another_class_with_the_same_fields_is_not_equal() -> None:
    assert Point(1, 2) != Other(1, 2)
    assert Point(1, 2) != (1, 2)
    assert Point(1, 2).__eq__(Other(1, 2)) is NotImplemented


def test_equal_records_hash_alike_and_work_as_keys() -> None:
    assert hash(Point(1, 2, label="a")) == hash(Point(1, 2, label="b"))
    assert {Point(1, 2): "p"}[Point(1, 2)] == "p"
    assert len({Point(1, 2), Point(1, 2), Point(2, 1)}) == 2


def test_repr_matches_the_generated_one_and_hides_repr_false_fields() -> None:
    ours = repr(Point(1, 2, label="a", secret="s3cret"))
    theirs = repr(Generated(1, 2, label="a", secret="s3cret"))
    assert ours == theirs.replace("Generated", "Point")
    assert "s3cret" not in ours


def test_still_frozen_and_still_a_dataclass() -> None:
    p = Point(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.x = 2  # type: ignore[misc]
    assert dataclasses.replace(p, y=5) == Point(1, 5)
    assert [f.name for f in dataclasses.fields(p)] == ["x", "y", "label", "secret"]


def test_the_signing_key_stays_out_of_the_settings_repr(tmp_path: Path) -> None:
    key = "ed25519-private-key-that-must-not-leak"
    settings = resolve([Layer("environment", {"signing_key": key}, tmp_path)], tmp_path)
    assert settings.signing_key == key
    assert key not in repr(settings)
    assert repr(settings).startswith("Settings(")
