"""cgrad: computational graphs and reverse-mode differentiation of small programs.

The library API the CLI is built on:

    >>> from cgrad_cli import parse, evaluate
    >>> ev = evaluate(parse("e = (a+b)*(b+1)"), {"a": 2, "b": 1})
    >>> ev.value, ev.gradients()
    (6.0, {'a': 2.0, 'b': 5.0})
"""
__version__ = "0.1.0"

# Where each name of the API lives.  They are imported when first used (PEP 562), so a command that
# needs none of them (`cgrad --help`) does not pay for the parser and the op table.
_API = {"parse": "core.parsing", "evaluate": "core.autodiff", "forward": "core.autodiff",
        "backward": "core.autodiff", "Evaluation": "core.autodiff", "Graph": "core.graph", "CgradError": "errors"}

__all__ = [*_API, "__version__"]


def __getattr__(name):
    if name not in _API:
        raise AttributeError(f"module 'cgrad_cli' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module("." + _API[name], __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted([*globals(), *_API])
