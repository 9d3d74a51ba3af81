"""What every command that runs a program shares: reading the program and its inputs.

`cgrad eval|explain|graph|trace PROGRAM [--NAME VALUE]... [-f FILE] [--set NAME=VALUE]
[--inputs FILE]`: the `@program_command` decorator adds these arguments, and
`load(...)` turns them into a parsed Graph and a dict of input values.
"""
from __future__ import annotations

import functools
import sys

from ..core import budget
from ..errors import InputError, echo
from .spec import KEEP, UNPROCESSED, IntRange, argument, command, option, running

def exit_codes(failed: str | None = None) -> str:
    """The exit codes for --help; `failed` describes exit 1 for the commands that check something."""
    return "\n".join(["\b", "Exit codes:", "  0  success"] + ([f"  1  {failed}"] if failed else []) + [
        "  2  usage, syntax, name or input error",
        "  3  math domain error: log(-1), sqrt(-4), 1/0, 0^-1, asin(2), overflow",
        "  4  too large: past a size budget (a --max option), or out of memory",
        "  70 internal error (a bug in cgrad: please report it)",
        "  74 the output cannot be written (closed stdout, full disk)"])


EXIT_CODES = exit_codes("a check failed (check, gradcheck), or a line of eval --batch failed")

LECTURE = 'e=(a+b)*(b+1)'


def program_command(name: str, failed: str | None = None, **kwargs):
    """@program_command("eval"): a command taking PROGRAM, its inputs, --const and --debug (a Spec whose
    click.Command is a ProgramCommand: words starting with '-' reach split_words as they are).

    `failed` says what exit code 1 means, for a command that checks something."""
    def decorate(f):
        for add in reversed([
            argument("words", nargs=-1, type=UNPROCESSED, metavar="PROGRAM [--NAME VALUE]..."),
            option("-f", "--file", "file", metavar="FILE", help="Read the program from FILE (- for stdin)."),
            option("--set", "sets", multiple=True, metavar="NAME=VALUE",
                   help="An input value, for names that clash with cgrad's options (--set json=1)."),
            option("--inputs", "inputs_file", metavar="FILE",
                   help='Input values from a JSON object, e.g. {"a": 2, "x": [1, 2]} (- for stdin).'),
            option("--const", "const", metavar="NAME=VALUE", multiple=True,
                   help="A constant such as a regularisation weight: --const lam=0.05. It takes the "
                        "value but gets no gradient and is listed apart from the inputs. Repeatable."),
        ]):
            f = add(f)
        f = option("--debug", is_flag=True, expose_value=False,  # cli.py reads it from the raw arguments
                   help="Show the Python traceback of an error.")(f)
        f = budget_options(f)
        settings = {"ignore_unknown_options": True, "allow_interspersed_args": True}
        # --help lists the program and the command's own options first, the budgets and --debug last
        return command(name, program=True, context_settings=settings, epilog=exit_codes(failed),
                       sort=lambda p: 2 if p.name == "debug" else 1 if p.name.startswith("max_") else 0,
                       **kwargs)(f)
    return decorate


BUDGET_HELP = {
    "nodes": "Refuse a program whose graph would have more than N nodes (function calls counted before they "
             "are copied), or checks that would evaluate more (--points times the graph).",
    "elements": "Refuse a program whose arrays would hold more than N elements in all (counted from their "
                "shapes before any is made), Jacobians and gradcheck's runs included.",
    "formula": "Stop symbolic work (diff, --order, hessian) past N formula nodes.",
    "drawn": "Refuse to lay out more than N nodes as a picture (-o FILE.svg or FILE.png, by Graphviz) or a page "
             "(FILE.html, by the browser): 50 000 take minutes.",
}


def budget_options(f, kinds=("nodes", "elements", "formula")):
    """--max-nodes N, --max-elements N, --max-formula N: the size budgets (core/budget.py) in force while
    the command runs (restored after, for callers that run several commands in one process)."""
    @functools.wraps(f)
    def run(*args, **kwargs):
        with budget.limits(**{kind: kwargs.pop("max_" + kind) for kind in kinds}):
            return f(*args, **kwargs)

    for kind in reversed(kinds):
        run = option(budget.OPTION[kind], "max_" + kind, default=budget.DEFAULTS[kind], show_default=True,
                     metavar="N", type=IntRange(1), help=BUDGET_HELP[kind])(run)
    return run


# `--output NAME`, the same for every command that differentiates.
output_option = option("--output", "output", metavar="NAME",
                       help="Differentiate this name instead of the last statement.")


def sets_names(sets) -> set:
    return {item.partition("=")[0].strip() for item in sets}


def constants(const) -> dict:
    """{name: value} from the command's --const NAME=VALUE options."""
    out = {}
    for item in const:
        name, eq, text = item.partition("=")
        if not eq or not name.strip():
            raise InputError(f"--const expects NAME=VALUE, not {item!r}", hint="--const lam=0.05")
        out[name.strip()] = number(name.strip(), text)
    return out


def load(words, file, sets, inputs_file, const=(), scalar_only: str | None = None):
    """The parsed program and its input values, from a program command's arguments.

    `scalar_only` names a command that works on scalar programs only (the symbolic ones):
    a program with tensors is then refused with a message saying what to use instead.
    """
    from ..core.parsing import parse

    program, inputs = split_words(words)
    given, from_file = list(inputs), {}
    for item in sets:
        name, eq, text = item.partition("=")
        if not eq or not name:
            raise InputError(f"--set expects NAME=VALUE, not {item!r}")
        inputs[name.strip()] = number(name.strip(), text)
    if inputs_file is not None:
        if inputs_file == "-" and (program == "-" or file == "-"):
            raise InputError("the program and the inputs cannot both come from stdin")
        from_file = read_inputs_file(inputs_file)
        inputs = {**from_file, **inputs}
    graph = parse(read_program(program, file))
    fixed = constants(const)
    if fixed:
        from ..core.autodiff import bind_constants

        both = next((name for name in fixed if name in given or name in sets_names(sets)), None)
        if both:
            raise InputError(f"'{both}' is given both as an input and as a constant (--const)")
        bind_constants(graph, fixed)
    for name in given:  # `--jsno 1` is a slip for --json before it is an input the program lacks
        typo = option_typo(name) if name not in graph.named else None
        if typo:
            raise InputError(f"unknown option --{name}: the program has no input '{name}' either",
                             hint=f"did you mean {typo}?")
    unused = [name for name in from_file if name not in graph.inputs and name not in given]
    if unused:  # one inputs file for a whole assignment: each program takes the names it uses
        say(f"note: {inputs_file} gives values for names this program does not take as inputs "
            f"({', '.join(unused)}); they are left out")
        inputs = {name: value for name, value in inputs.items() if name not in unused}
    if scalar_only is not None:
        refuse_tensors(graph, inputs, scalar_only)
    return graph, inputs


def refuse_tensors(graph, inputs: dict, command: str) -> None:
    """Exit 2 when the program uses tensors: `command` works with scalars only."""
    arrays = [name for name, value in inputs.items() if isinstance(value, list) or hasattr(value, "shape")]
    where = next((i for i, op in enumerate(graph.ops) if op.forward is None and graph.args[i]
                  or i in graph.consts and not isinstance(graph.consts[i], float)), None)
    if where is None and not arrays:
        return
    what = f"{graph.text(where, 40)} ({graph.ops[where].name})" if where is not None else f"the input {arrays[0]}"
    span = graph.spans[where] if where is not None else None
    raise InputError(f"cgrad {command} works on scalar programs; this one uses tensors: {what}",
                     source=graph.source if span else None, span=span,
                     hint="for tensor programs use cgrad eval, explain, trace, jacobian, gradcheck or check")


def names(text: str | None) -> list | None:
    """`--wrt a,b` -> ['a', 'b']."""
    return [w.strip() for w in text.split(",") if w.strip()] if text else None


def say(text: str):
    """A warning or note on stderr, wrapped to 80 columns under its first word (render.width.diagnostic)."""
    from ..render.width import diagnostic

    echo(diagnostic(text), err=True)


def warn(pairs) -> None:
    """Each of Evaluation.warnings on stderr under its kind: `warning: ` for a kink, `hint: ` for advice."""
    from ..core.autodiff import warning_kind

    for _, message in pairs:
        say(("hint: " if warning_kind(message) == "hint" else "warning: ") + message)


def console():
    """A Rich console for stdout: colour only on a terminal (Rich honours NO_COLOR); whole lines when piped.
    No emoji codes: a `:name:` in a program's text stays as written (and Rich's emoji table is not loaded)."""
    from rich.console import Console

    out = Console(highlight=False, emoji=False)
    return out if out.is_terminal else Console(highlight=False, emoji=False, width=100_000)


MAX_RANK = budget.MAX_RANK  # deeper JSON nesting is refused


def read_program(program: str | None, file: str | None) -> str:
    if program is not None and file is not None:
        raise InputError("give the program either as an argument or with -f FILE, not both")
    if file is not None:
        return source_text(budget.read_text(file, "program file", budget.PROGRAM_BYTES))
    if program is None:
        raise InputError("no program given", hint=f'cgrad eval "{LECTURE}" --a 2 --b 1   (or -f FILE, or - for stdin)')
    if program == "-":
        return source_text(budget.read_text("-", "program", budget.PROGRAM_BYTES))
    return program


def source_text(text: str) -> str:
    """Program text as Python reads source: a UTF-8 byte-order mark dropped, CRLF and CR line ends made LF
    (a file saved by Windows Notepad reads like any other)."""
    text = text.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def parse_json(text: str, what: str):
    """JSON text as Python objects, by orjson (fast, and it refuses nesting past 1024 levels instead of
    overflowing the stack); arrays nested deeper than MAX_RANK axes are refused here, not later."""
    import orjson

    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as e:
        if "depth" in str(e) or "recursion" in str(e):
            raise InputError(f"{what} is nested too deep: arrays have at most {MAX_RANK} axes") from None
        if "memory" not in str(e):
            raise InputError(f"{what} is not valid JSON: {e}") from None
    # orjson reserves memory by the text's length, which a limit on address space (ulimit -v) can refuse for
    # a large file: the standard library then reads it, in about the memory of the lists it makes
    import json

    try:
        return json.loads(text)
    except RecursionError:
        raise InputError(f"{what} is nested too deep: arrays have at most {MAX_RANK} axes") from None
    except ValueError as e:
        raise InputError(f"{what} is not valid JSON: {e}") from None


def depth_of(value, what: str) -> int:
    """The rank of a nested list, read down its first elements (a ragged one is found later); past MAX_RANK
    it is refused, so nothing later walks a list nested 50 000 deep."""
    depth = 0
    while isinstance(value, list):
        depth += 1
        if depth > MAX_RANK:
            raise InputError(f"{what} is nested too deep: arrays have at most {MAX_RANK} axes")
        value = value[0] if value else None
    return depth


def number(name: str, text: str):
    """An input value from the command line: a number, or a JSON array such as [1, 2] or [[1, 0], [0, 1]]."""
    if text.lstrip().startswith("["):
        try:
            value = parse_json(text, f"the value of input '{name}'")
            depth_of(value, f"the value of input '{name}'")
            return array_of(value)
        except InputError as e:
            raise InputError(e.message.replace("is not valid JSON", "is not a valid JSON array"),
                             hint=f"--{name} '[1, 2, 3]' (quote it for the shell)") from None
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"the value of input '{name}' must be a number, not {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InputError(f"the value of input '{name}' must be a finite number, not {text!r}")
    return value


def option_typo(name: str) -> str | None:
    """The running command's option that `--name` is a slip for (`--jsno`: `--json`), or None."""
    import difflib

    spec = running()
    if spec is None:
        return None
    options = [o for p in spec.params for o in p.opts if o.startswith("--")]
    close = difflib.get_close_matches("--" + name, options, n=1, cutoff=0.75)
    return close[0] if close else None


def split_words(words) -> tuple[str | None, dict]:
    """`PROGRAM --a 2 --b=1` -> (program, {'a': 2.0, 'b': 1.0}).  A value may be negative: --a -1."""
    program, inputs = None, {}
    it = (w.removeprefix(KEEP) for w in words)
    for word in it:
        if word.startswith("--") and len(word) > 2:
            name, eq, text = word[2:].partition("=")
            if not eq:
                text = next(it, None)
                if text is None:
                    typo = option_typo(name)
                    if typo:
                        raise InputError(f"unknown option --{name}", hint=f"did you mean {typo}?")
                    raise InputError(f"--{name} needs a value", hint=f"--{name} 2")
            inputs[name] = number(name, text)
        elif program is None:
            program = word
        elif word.startswith("-") and word != "-":
            raise InputError(f"unknown option {word}",
                             hint=f"inputs take two dashes: --{word.lstrip('-')} VALUE; see cgrad eval --help")
        else:
            raise InputError(f"unexpected argument {word!r}: the program is already {program!r}",
                             hint="quote the program, and give inputs as --NAME VALUE; an input whose name "
                                  "is one of cgrad's options is given as --set NAME=VALUE")
    return program, inputs


def array_of(value: list):
    """A JSON array as the float64 array it is, read in one go (its Python lists let go at once); a ragged or
    non-numeric one stays a list, for the message that names it when the program's inputs are checked."""
    from ..core.autodiff import input_array

    array = input_array(value)
    return value if array is None else array


def read_inputs_file(path: str) -> dict:
    data = parse_json(budget.read_bytes(path, "inputs file", budget.INPUTS_BYTES), f"inputs file {path}")
    if not isinstance(data, dict):
        raise InputError(f"inputs file {path} must hold a JSON object such as {{\"a\": 2, \"b\": 1}}")
    for name, value in data.items():
        if isinstance(value, list):
            depth_of(value, f"inputs file {path}: the value of '{name}'")
            data[name] = array_of(value)
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"inputs file {path}: the value of '{name}' must be a number or an array, "
                             f"not {value!r}")
        data[name] = number(name, repr(value))
    return data


def refuse_overwriting(outputs: dict, inputs) -> None:
    """Exit 2, before anything is written, when an output file (option -> path) is one of the command's
    input files (through a symlink or `..` too), or two outputs are one file: `--junit alice.json` must not
    replace the answers it grades."""
    import os

    def identity(path):
        try:
            st = os.stat(path)
            return st.st_dev, st.st_ino
        except OSError:  # not there yet: its resolved path is what it will be
            return os.path.realpath(path)

    taken = {identity(path): f"the input {path}" for path in inputs if path and path != "-"}
    for option, path in outputs.items():
        if not path or path == "-":
            continue
        key = identity(path)
        if key in taken:
            raise InputError(f"{option} {path} would overwrite {taken[key]}",
                             hint=f"give {option} a file of its own")
        taken[key] = f"the {option} file {path}"


def write_output(path: str, data: bytes) -> None:
    """`data` to the file `path`, whole or not at all: written beside it, then renamed over it, so an
    interrupted run or a full disk never leaves a half-written report (and a reader never sees one)."""
    import errno
    import os
    import tempfile

    from ..errors import OutputError

    def cannot(e: OSError):  # a full disk is an output error (74); a path that cannot be, a usage one (2)
        kind = OutputError if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG) else InputError
        return kind(f"cannot write {path}: {e.strerror or e}")

    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise InputError(f"cannot write {path}: it is a folder")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".cgrad-", suffix=".tmp")
    except OSError as e:
        raise cannot(e) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise cannot(e) from None
        raise


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask
