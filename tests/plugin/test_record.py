"""``@record`` and ``Record``: init, equality, hash, repr and frozen guard hold what a generated dataclass's would."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_castmatch.record import Record, record
from pytest_castmatch.settings import Layer, resolve


@record
class Point(Record):
    x: int
    y: int = 0
    label: str = field(default="", compare=False)
    secret: str = field(default="", repr=False)


@record
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


def _shaped(base: type, make: Callable[[type], type]) -> Any:
    """One class with every kind of field an ``__init__`` handles, made by ``make`` (``record`` on a
    ``Record``, or ``dataclass(frozen=True)``): the two are compared field for field."""

    class Shaped(base):  # type: ignore[misc]
        name: str
        size: int = 3
        tags: tuple[str, ...] = field(default_factory=tuple)
        seen: list[str] = field(default_factory=list, compare=False)
        derived: str = field(init=False, default="")
        made: list[str] = field(init=False, default_factory=list, compare=False)
        strict: bool = field(default=False, kw_only=True)

        def __post_init__(self) -> None:
            object.__setattr__(self, "derived", f"{self.name}:{self.size}")

    return make(Shaped)


Shaped = _shaped(Record, record)
ShapedGenerated = _shaped(object, dataclass(frozen=True))


@pytest.mark.parametrize(("args", "kwargs"), [
    (("a",), {}),
    (("a", 5, ("x",)), {"strict": True}),
    ((), {"name": "b", "tags": ("y", "z"), "seen": ["s"]}),
])
def test_init_takes_what_a_generated_init_takes(args: tuple[object, ...], kwargs: dict[str, object]) -> None:
    ours, theirs = Shaped(*args, **kwargs), ShapedGenerated(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert ours.made == theirs.made == []
    assert ours.seen == theirs.seen
    assert ours.derived == theirs.derived  # __post_init__ ran after every field was set
    assert list(vars(ours).items()) == list(vars(theirs).items())  # every field set, in field order
    assert Shaped("a").seen is not Shaped("a").seen  # a factory makes a new value per instance


@pytest.mark.parametrize(("args", "kwargs"), [
    ((), {}),                               # a required field left out
    (("a", 1, (), [], "extra"), {}),        # more positional arguments than fields (strict is keyword-only)
    (("a",), {"derived": "x"}),             # an init=False field is not a parameter
    (("a",), {"unknown": 1}),
])
def test_init_refuses_what_a_generated_init_refuses(args: tuple[object, ...], kwargs: dict[str, object]) -> None:
    with pytest.raises(TypeError):
        ShapedGenerated(*args, **kwargs)
    with pytest.raises(TypeError):
        Shaped(*args, **kwargs)


def test_deleting_a_field_is_refused_and_no_attribute_can_be_added() -> None:
    p = Point(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        del p.x
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(p, "anything", 1)  # noqa: B010 - an attribute no field declares


def test_an_own_init_is_kept_and_inherited_fields_come_first() -> None:
    @record
    class Base(Record):
        a: int
        b: int = 2

    @record
    class Child(Base):
        c: int = 3

    @record
    class Explicit(Record):
        a: int

        def __init__(self, text: str) -> None:
            object.__setattr__(self, "a", int(text))

    assert repr(Child(1, c=4)).endswith(".Child(a=1, b=2, c=4)")  # the qualified name, as a dataclass has it
    assert Explicit("7").a == 7


def test_a_default_before_a_required_field_is_refused_when_the_class_is_made() -> None:
    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):
        @record
        class Wrong(Record):
            a: int = 1
            b: int  # type: ignore[misc]


def test_only_a_record_subclass_can_be_made_a_record() -> None:
    with pytest.raises(TypeError, match="must subclass"):
        record(type("Plain", (), {}))


def test_copies_and_pickles_come_back_equal_and_still_frozen() -> None:
    p = Point(1, 2, label="a", secret="s")
    for again in (copy.copy(p), copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert again == p
        assert repr(again) == repr(p)
        with pytest.raises(dataclasses.FrozenInstanceError):
            again.x = 3  # type: ignore[misc]
    assert dataclasses.asdict(p) == {"x": 1, "y": 2, "label": "a", "secret": "s"}
