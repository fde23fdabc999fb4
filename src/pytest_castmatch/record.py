"""``Record``: equality, hash and repr shared by the plugin's frozen value types.

A ``@dataclass(frozen=True)`` compiles six methods from generated source when its module is
imported; a gate run imports some sixty such types before its first gate. Declared as
``@dataclass(frozen=True, eq=False, repr=False)`` on a ``Record`` subclass, a type compiles only its
``__init__`` and its two frozen guards, and takes these three from here. They hold what the generated
ones hold: two records are equal when they are of the same class and every compared field is equal
(``field(compare=False)`` left out), equal records hash alike, and the repr is
``Name(field=value, ...)`` without the fields marked ``repr=False`` (a secret stays out of it).
"""

from __future__ import annotations

import dataclasses
from typing import Any


def _names(cls: type, which: str) -> tuple[str, ...]:
    """The ``compare`` or ``repr`` field names of ``cls``, in declaration order, found once per class."""
    key = f"_record_{which}"
    found: tuple[str, ...] | None = cls.__dict__.get(key)
    if found is None:
        found = tuple(f.name for f in dataclasses.fields(cls) if getattr(f, which))
        setattr(cls, key, found)  # a class attribute, set once: instances stay frozen
    return found


class Record:
    """Base of a frozen dataclass declared with ``eq=False, repr=False``."""

    __slots__ = ()

    def _compared(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _names(type(self), "compare"))

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Record)
        return self._compared() == other._compared()

    def __hash__(self) -> int:
        return hash(self._compared())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _names(type(self), "repr"))
        return f"{type(self).__qualname__}({shown})"
