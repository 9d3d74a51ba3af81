"""One module per `cgrad` command, each exposing `command`, its Spec (commands/spec.py); the table of them."""

# Each command lives in its own module, imported only when it runs.  `cgrad --help` lists the commands from
# this table, in the order a course meets them (eval first, then the chain rule, the picture and the two
# modes; Jacobians and formulas; checking a gradient, grading answers and making sheets; the grammar last),
# each with its summary: the first sentence of its help (tests/commands/test_cli.py keeps the two equal), so
# that listing the commands imports none of them.
_TABLE = {
    "eval": ("cgrad_cli.commands.eval",
             "Evaluate PROGRAM forward, differentiate it in reverse mode, and show every node's value, local "
             "derivatives and gradient."),
    "explain": ("cgrad_cli.commands.explain",
                "Write out the chain rule as the lecture does: for each input, every path from the output down "
                "to it, the product of the local derivatives along each path, and the sum over the paths -- in "
                "symbols and in numbers."),
    "graph": ("cgrad_cli.commands.graph",
              "Draw PROGRAM's computational graph like a lecture figure: every node with its op, value and "
              "gradient ∂output/∂node, every edge (argument -> the node using it) with its local derivative "
              "∂node/∂argument."),
    "trace": ("cgrad_cli.commands.trace",
              "Show the two modes of automatic differentiation side by side over PROGRAM's tape (its nodes in "
              "evaluation order, the Wengert list)."),
    "jacobian": ("cgrad_cli.commands.jacobian",
                 "Print the Jacobian of PROGRAM's output with respect to each input: ∂y[i]/∂z[j] for every "
                 "element, by reverse mode (one backward sweep per element of the output, each giving one row)."),
    "diff": ("cgrad_cli.commands.diff", "Print the derivative of PROGRAM's output as a formula in its inputs."),
    "hessian": ("cgrad_cli.commands.hessian",
                "Print the Hessian of PROGRAM's output (the matrix of second derivatives) at the point given by "
                "its inputs."),
    "gradcheck": ("cgrad_cli.commands.gradcheck",
                  "Check PROGRAM's reverse-mode gradient against central finite differences, for every element "
                  "of every input."),
    "check": ("cgrad_cli.commands.check",
              "Check expected values and derivatives of PROGRAM against cgrad's, at the point given by --NAME "
              "VALUE (a number, or a JSON array)."),
    "template": ("cgrad_cli.commands.template",
                 "Print the answer file (TOML) a student fills in for ASSIGNMENT.toml: one table per problem, "
                 "each quantity asked with an empty answer, and as comments the problem's program, its inputs "
                 "and the precision asked."),
    "sheet": ("cgrad_cli.commands.sheet",
              "Print the problem sheet STUDENT receives for ASSIGNMENT.toml: each problem's program, the "
              "student's own inputs (drawn from the ranges and choices the assignment declares, the same every "
              "run, as grading draws them), what to compute and the precision asked."),
    "grammar": ("cgrad_cli.commands.grammar",
                "Print the language's grammar (grammars/cgrad.lark, the reference)."),
}
COMMANDS = {name: module for name, (module, _) in _TABLE.items()}
SUMMARIES = {name: summary for name, (_, summary) in _TABLE.items()}
LEARNING_ORDER = list(_TABLE)


def spec_of(name: str):
    """The Spec of command `name` (commands/spec.py), importing its module only (by __import__: importlib's
    package would import warnings into every one-shot run)."""
    return __import__(COMMANDS[name], fromlist=["command"]).command
