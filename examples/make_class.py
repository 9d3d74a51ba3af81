"""Write examples/class/: a synthetic class of 40 students answering examples/hw1.toml.

Each answer is right, or one of the mistakes students make (a missing path, a path counted twice, the
product rule's factors swapped, a number rounded by hand, a typo, no answer), drawn with a fixed seed so
the folder is the same every time:  python examples/make_class.py
"""
import random
from pathlib import Path

# problem -> quantity -> [(weight, answer as written in TOML)]
CHOICES = {
    "lecture": {
        "e": [(9, "6"), (1, "3")],
        "c": [(10, "3")],
        "d": [(9, "2"), (1, "1")],
        "de/da": [(7, "2"), (2, "3"), (1, "1")],
        "de/db": [(5, "5"), (3, "2"), (1, "3"), (1, "8")],
        "de/dc": [(8, '"d"'), (2, '"c"')],
    },
    "formula": {
        "de/da": [(8, '"b + 1"'), (2, '"a + b"')],
        "de/db": [(5, '"a + 2*b + 1"'), (2, '"b + 1"'), (2, '"a + b + 1"'), (1, '"a + 2b + 1"')],
    },
    "sharing": {
        "y": [(6, "0.6420127083438707"), (3, "0.642"), (1, "0.6")],
        "dy/dx": [(5, '"exp(x^2)*(1 + 2*x^2)"'), (3, '"exp(x^2)"'), (1, '"2*x^2*exp(x^2)"'), (1, None)],
    },
}


def main():
    rng = random.Random(14)
    folder = Path(__file__).parent / "class"
    folder.mkdir(exist_ok=True)
    for k in range(1, 41):
        lines = []
        for problem, quantities in CHOICES.items():
            lines.append(f"[{problem}]")
            for quantity, options in quantities.items():
                answer = rng.choices([a for _, a in options], weights=[w for w, _ in options])[0]
                if answer is not None:
                    lines.append(f'"{quantity}" = {answer}')
            lines.append("")
        (folder / f"student{k:02d}.toml").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
