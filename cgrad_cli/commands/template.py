"""`cgrad template`: the answer file a student fills in for an assignment."""
from ..errors import echo
from . import spec


@spec.command("template")
@spec.argument("assignment", metavar="ASSIGNMENT.toml")
def command(assignment):
    """Print the answer file (TOML) a student fills in for ASSIGNMENT.toml:
    one table per problem, each quantity asked with an empty answer, and as
    comments the problem's program, its inputs and the precision asked.  An
    answer left empty counts as no answer.

    \b
    Example:
      cgrad template examples/hw1.toml > answers.toml
    """
    from ..grading.assignment import load_assignment
    from ..render.grades import template

    echo(template(load_assignment(assignment)), nl=False)
