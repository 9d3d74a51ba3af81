"""Commands as data: each command's arguments and options, declared once, without click.

A command module declares its parameters with `option(...)`, `argument(...)` and `command(...)`, which take
click's own arguments (a `Choice`, an `IntRange` or a `FloatRange` here in place of click's types) and record
them on a `Spec` that holds the plain callback.  Two readers use that one declaration:

- click, for everything a user may need help with: `commands/click_commands.py` builds the click.Command from
  the Spec (help, errors, completion), only when it is needed;
- `Spec.read`, a small argv reader for the common invocations: it returns the keyword arguments click would
  pass to the callback, or None ("decline") for anything it is not plainly sure of (help, `--`, a bad value,
  a missing one, ...), which cli.main() then hands to click.  Importing click costs more than a whole
  `cgrad eval --json` answer (~28 ms: inspect, typing, enum, uuid, datetime, ...).
"""
from __future__ import annotations

HELP = ("-h", "--help")  # the group's help_option_names, inherited by every command
KEEP = "\0"  # marks a program word click must not read as options; argv can never contain NUL


class Choice:
    def __init__(self, choices):
        self.choices = list(choices)

    def convert(self, text: str):
        return text if text in self.choices else INVALID


class _Range:
    number = float

    def __init__(self, min=None, max=None, min_open=False, max_open=False):
        self.min, self.max, self.min_open, self.max_open = min, max, min_open, max_open

    def convert(self, text: str):
        """click's conversion (the number class on the text), then its bounds; INVALID where click fails."""
        try:
            value = self.number(text)
        except ValueError:
            return INVALID
        if self.min is not None and (value <= self.min if self.min_open else value < self.min):
            return INVALID
        if self.max is not None and (value >= self.max if self.max_open else value > self.max):
            return INVALID
        return value


class IntRange(_Range):
    number = int


class FloatRange(_Range):
    pass


class Int(_Range):
    """click's INT (type=int): any integer."""
    number = int


INVALID = object()
UNPROCESSED = object()  # click.UNPROCESSED: the words as they are


class Param:
    """One argument or option: click's declarations and attributes, kept to build the click parameter, and
    what the reader needs of them (name, option strings, flag, multiple, default, type)."""

    # click's attributes that Spec.read understands (the others only shape --help); any other (callback,
    # required, envvar, count, nargs > 1, ...) changes what click passes, and must be taught to the reader first
    KNOWN = {"help", "metavar", "default", "show_default", "type", "multiple", "is_flag", "expose_value", "nargs"}

    def __init__(self, kind: str, decls: tuple, attrs: dict):
        unknown = set(attrs) - self.KNOWN
        if unknown or attrs.get("nargs", 1) not in (1, -1):
            raise TypeError(f"{decls}: Spec.read does not know {sorted(unknown) or ['nargs']}: teach it to "
                            "commands/spec.py before declaring it")
        self.kind, self.decls, self.attrs = kind, decls, attrs
        self.opts, self.secondary_opts, names = [], [], []
        for decl in decls:
            if decl.isidentifier():
                names.append(decl)
            elif kind == "option" and "/" in decl:
                first, second = decl.split("/", 1)
                self.opts.append(first.strip())
                self.secondary_opts.append(second.strip())
            else:
                self.opts.append(decl)
        if kind == "argument":
            self.name = decls[0]
        elif names:
            self.name = names[0]
        else:  # click's rule: the first of the longest-prefixed options, dashes made underscores
            self.name = sorted(self.opts, key=lambda o: -len(o) + len(o.lstrip("-")))[0].lstrip("-") \
                .replace("-", "_").lower()
        self.is_flag = attrs.get("is_flag", bool(self.secondary_opts))
        self.multiple = attrs.get("multiple", False)
        self.nargs = attrs.get("nargs", 1)
        self.expose = attrs.get("expose_value", True)
        self.type = attrs.get("type")
        if self.type is int:
            self.type = Int()
        if "default" in attrs:
            self.default = attrs["default"]
        else:
            self.default = () if self.multiple or self.nargs == -1 else False if self.is_flag else None
        self.required = kind == "argument" and self.nargs != -1 and "default" not in attrs

    def convert(self, text: str):
        return text if self.type is None or self.type is UNPROCESSED else self.type.convert(text)


def _record(f, param: Param):
    if not hasattr(f, "__cgrad_params__"):
        f.__cgrad_params__ = []
    f.__cgrad_params__.append(param)
    return f


def option(*decls, **attrs):
    """click.option's signature: records the option on the function."""
    return lambda f: _record(f, Param("option", decls, attrs))


def argument(*decls, **attrs):
    """click.argument's signature: records the argument on the function."""
    return lambda f: _record(f, Param("argument", decls, attrs))


_running: list = []  # the specs whose callbacks are running, innermost last (what click's context stack says)


class Spec:
    """A command: its name, plain callback, help (the callback's docstring), parameters in --help's order and
    the attributes click.command takes (epilog, context_settings); `program` marks a ProgramCommand."""

    def __init__(self, name: str, callback, params: list, program: bool = False, **attrs):
        self.name, self.callback, self.params, self.program, self.attrs = name, callback, params, program, attrs
        self.help = callback.__doc__
        self.by_opt = {o: p for p in params if p.kind == "option" for o in p.opts + p.secondary_opts}
        self.valued = {o for p in params if p.kind == "option" and not p.is_flag for o in p.opts}

    def invoke(self, **kwargs):
        """Run the callback with click's keyword arguments; `running()` names this command meanwhile."""
        _running.append(self)
        try:
            return self.callback(**kwargs)
        finally:
            _running.pop()

    def mark(self, args, help_names=HELP) -> list:
        """The arguments with each word that starts with '-' and is not one of the command's options (an
        input's --a, a program such as -x^2) marked with KEEP, so that click passes it on as a word."""
        own = set(self.by_opt) | set(help_names)
        marked, options, value_next = [], True, False
        for a in args:
            if value_next:
                value_next = False
            elif a == "--":  # what follows is never an option: click passes it on as it is
                options = False
            elif options and a.startswith("-") and a != "-":
                if a.partition("=")[0] not in own:
                    a = KEEP + a
                elif a in self.valued:
                    value_next = True
            marked.append(a)
        return marked

    def read(self, args) -> dict | None:
        """The keyword arguments click would pass to the callback for `args`, or None when this reader is not
        plainly sure of them (help, `--`, an unknown option, a value missing or failing its type, ...)."""
        if any(a in HELP or a == "--" for a in args):
            return None
        if self.program:
            args = self.mark(args)
        values, words = {}, []
        it = iter(args)
        for a in it:
            if a.startswith(KEEP) or a == "-" or not a.startswith("-"):
                words.append(a)
                continue
            opt, eq, text = a.partition("=")
            param = self.by_opt.get(opt)
            if param is None:
                return None
            if param.is_flag:
                if eq:
                    return None
                value = opt not in param.secondary_opts
            else:
                if not eq:
                    text = next(it, None)
                elif not opt.startswith("--"):  # -f=x: click reads the value "=x"
                    return None
                if text is None:
                    return None
                value = param.convert(text)
                if value is INVALID:
                    return None
            if param.multiple:
                values[param.name] = values.get(param.name, ()) + (value,)
            else:
                values[param.name] = value
        kwargs = {}
        for param in self.params:
            if param.kind == "argument":
                if param.nargs == -1:
                    value, words = tuple(words), []
                elif not words:
                    return None
                else:
                    value, words = words[0], words[1:]
            else:
                value = values.get(param.name, param.default)
            if param.expose:
                kwargs[param.name] = value
        return None if words else kwargs


def command(name: str, program: bool = False, sort=None, **attrs):
    """click.command's signature: a Spec of the function and the parameters recorded on it (click's order:
    the decorators read top to bottom); `sort`, a key, reorders them for --help."""
    def decorate(f):
        params = list(reversed(getattr(f, "__cgrad_params__", [])))
        if sort is not None:
            params.sort(key=sort)
        return Spec(name, f, params, program, **attrs)
    return decorate


def running() -> Spec | None:
    """The command whose callback is running (None when the library is called directly)."""
    return _running[-1] if _running else None
