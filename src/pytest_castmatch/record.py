"""``Record`` and ``@record``: the plugin's frozen value types, made cheaply.

A gate run imports some ninety value types before its first gate. ``@dataclass(frozen=True)``
compiles up to six methods for each from generated source, and compiling is most of what importing
them costs. ``@record`` makes the same frozen dataclass from one compiled function, its
``__init__``; ``Record`` holds the rest once for all of them:

- equality: two records are equal when they are of the same class and every compared field is equal
  (``field(compare=False)`` left out); equal records hash alike;
- the repr ``Name(field=value, ...)``, without the fields marked ``repr=False`` (a secret stays out);
- the frozen guard: assigning or deleting an attribute raises ``dataclasses.FrozenInstanceError``.

A record stays a dataclass: ``dataclasses.fields``, ``replace`` and ``asdict`` work on it. Its
``__init__`` is the one ``@dataclass`` would write: the fields in order (inherited ones first),
defaults and ``default_factory``, ``field(init=False)``, ``kw_only``, then ``__post_init__``.
A class that writes its own ``__init__`` keeps it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform

_T = TypeVar("_T", bound=type)
_MISSING = dataclasses.MISSING


def _names(cls: type, which: str) -> tuple[str, ...]:
    """The ``compare`` or ``repr`` field names of ``cls``, in declaration order, found once per class."""
    key = f"_record_{which}"
    found: tuple[str, ...] | None = cls.__dict__.get(key)
    if found is None:
        found = tuple(f.name for f in dataclasses.fields(cls) if getattr(f, which))
        type.__setattr__(cls, key, found)  # a class attribute, set once: instances stay frozen
    return found


class Record:
    """Base of the types made with :func:`record`."""

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

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: _T) -> _T:
    """Make ``cls`` (a :class:`Record` subclass) a frozen dataclass; see the module's docstring."""
    if not issubclass(cls, Record):
        raise TypeError(f"@record: {cls.__qualname__} must subclass pytest_castmatch.record.Record")
    own_init = "__init__" in cls.__dict__
    undocumented = cls.__dict__.get("__doc__") is None
    if undocumented:  # or dataclasses would describe it from a signature it has not got yet
        type.__setattr__(cls, "__doc__", cls.__name__)
    # Fields, defaults, __match_args__: dataclasses' own bookkeeping, with no method to compile.
    dataclasses.dataclass(cls, init=False, repr=False, eq=False)
    if undocumented:
        type.__setattr__(cls, "__doc__", None)
    if not own_init:
        type.__setattr__(cls, "__init__", _init(cls))
    return cls


def _init(cls: type) -> Callable[..., None]:
    """Compile the ``__init__`` of ``cls``: one function that fills the instance's ``__dict__`` with every
    field, in field order, as a frozen dataclass's ``object.__setattr__`` calls would (a record has no
    slot or descriptor a field could name: each field is a plain instance attribute). One dict display
    compiles in about two thirds of the time of one call per field, and runs in half."""
    scope: dict[str, Any] = {"_record_missing": _MISSING}
    positional: list[str] = []
    keyword: list[str] = []
    values: list[str] = []
    for n, f in enumerate(dataclasses.fields(cls)):
        default, factory = f"_record_default_{n}", f"_record_factory_{n}"
        if f.default is not _MISSING:
            scope[default] = f.default
        if f.default_factory is not _MISSING:
            scope[factory] = f.default_factory
        if not f.init:
            # With a plain default the class attribute answers, as in a dataclass: nothing to set.
            if f.default_factory is not _MISSING:
                values.append(f"{f.name!r}: {factory}()")
            continue
        params = keyword if f.kw_only else positional
        if f.default is not _MISSING:
            params.append(f"{f.name}={default}")
            value = f.name
        elif f.default_factory is not _MISSING:
            params.append(f"{f.name}=_record_missing")
            value = f"{factory}() if {f.name} is _record_missing else {f.name}"
        else:
            if params is positional and any("=" in p for p in positional):
                raise TypeError(f"{cls.__qualname__}: non-default argument {f.name!r} follows default argument")
            params.append(f.name)
            value = f.name
        values.append(f"{f.name!r}: {value}")
    body = [f"self.__dict__.update({{{', '.join(values)}}})"] if values else []
    if hasattr(cls, "__post_init__"):
        body.append("self.__post_init__()")
    signature = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    source = f"def __init__({signature}):\n    " + "\n    ".join(body or ["pass"])
    exec(source, scope)
    init: Callable[..., None] = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    return init
