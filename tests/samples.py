"""Sample points and programs that several test modules draw from."""
import random


def points(op, n=12, seed=0):
    """Random points inside the op's domain, away from its kinks."""
    rng = random.Random(f"{op.name}-{seed}")
    domain = op.domain or ((-3.0, 3.0),) * op.arity
    while n:
        xs = [rng.uniform(lo, hi) for lo, hi in domain]
        if op.kink is not None and any(abs(x) < 1e-3 for x in xs) or (op.arity == 2 and abs(xs[0] - xs[1]) < 1e-3):
            continue
        n -= 1
        yield xs


def random_program(rng, depth=4):
    """A random expression over x, y on which every function stays in its domain."""
    leaves = ["x", "y", "2", "0.5", "3"]
    unary = ["sin({})", "cos({})", "exp(-({})^2)", "log(1 + ({})^2)", "sqrt(1 + ({})^2)", "tanh({})",
             "atan({})", "sigmoid({})", "softplus({})", "-({})"]
    binary = ["({}) + ({})", "({}) - ({})", "({})*({})", "({})/(2 + sin({}))", "({})^2 + ({})"]
    parts = [rng.choice(leaves) for _ in range(2 ** depth)]
    while len(parts) > 1:
        merged = []
        for a, b in zip(parts[::2], parts[1::2]):
            merged.append(rng.choice(unary).format(a) if rng.random() < 0.3 else rng.choice(binary).format(a, b))
        parts = merged
    return "f = " + parts[0]
