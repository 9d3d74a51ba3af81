"""cgrad: computational graphs and reverse-mode differentiation of small programs.

The library API the CLI is built on:

    >>> from cgrad_cli import parse, evaluate
    >>> ev = evaluate(parse("e = (a+b)*(b+1)"), {"a": 2, "b": 1})
    >>> ev.value, ev.gradients()
    (6.0, {'a': 2.0, 'b': 5.0})
"""
__version__ = "0.1.0"

from .core.autodiff import Evaluation, backward, evaluate, forward  # noqa: E402
from .errors import CgradError  # noqa: E402
from .core.graph import Graph  # noqa: E402
from .core.parsing import parse  # noqa: E402

__all__ = ["parse", "evaluate", "forward", "backward", "Graph", "Evaluation", "CgradError", "__version__"]
