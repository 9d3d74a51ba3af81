"""`@record`: a class declared as a typing.NamedTuple is, made without importing typing.

typing costs ~2 ms of every start (its own import, and a compiled ForwardRef per
annotated field), about 6 % of a whole `cgrad eval --json` answer, and cgrad
needs nothing else of it.  `@record class Sum: node: int; terms: tuple = ()`
is the namedtuple with those fields and defaults, the class's docstring and
methods kept.
"""
from __future__ import annotations

from collections import namedtuple

_CLASS_ONLY = ("__dict__", "__weakref__", "__annotations__")


def record(cls):
    fields = list(cls.__dict__.get("__annotations__", {}))
    defaults = [cls.__dict__[name] for name in fields if name in cls.__dict__]
    if fields[len(fields) - len(defaults):] != [name for name in fields if name in cls.__dict__]:
        raise TypeError(f"{cls.__name__}: a field without a default follows one with a default")
    body = {key: value for key, value in cls.__dict__.items() if key not in fields and key not in _CLASS_ONLY}
    base = namedtuple(cls.__name__, fields, defaults=defaults, module=cls.__module__)
    return type(cls.__name__, (base,), {**body, "__slots__": (), "__annotations__": cls.__annotations__})
