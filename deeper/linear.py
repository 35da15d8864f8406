"""A 784x10 linear classifier for MNIST: `x @ weights + bias`, one score per digit.

The product three ways (a pure-Python triple loop, the `Matrix` class, torch), and plain gradient
descent on the softmax cross-entropy with the gradients written out by hand.
"""

import torch

from .matrix import Matrix, matmul_loops

N_PIXELS, N_CLASSES = 784, 10


def init_params(seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """The lesson's start: `torch.manual_seed(1); weights = torch.randn(784, 10); bias = torch.zeros(10)`."""
    torch.manual_seed(seed)
    return torch.randn(N_PIXELS, N_CLASSES), torch.zeros(N_CLASSES)


def add_bias(rows, bias) -> list[list]:
    return [[p + b for p, b in zip(row, bias)] for row in rows]


def lin_loops(x: list[list], weights: list[list], bias: list) -> list[list]:
    """x @ weights + bias on lists of lists, by the triple loop."""
    return add_bias(matmul_loops(x, weights, (len(x), len(x[0])), (len(weights), len(weights[0]))), bias)


def lin_matrix(x: Matrix, weights: Matrix, bias: list) -> Matrix:
    """x @ weights + bias through the data model: `Matrix.__matmul__` reads every m[i, k] by `__getitem__`."""
    return Matrix(add_bias(x @ weights, bias))


def lin(x: torch.Tensor, weights: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """x @ weights + bias by torch: one call, run in compiled loops over contiguous memory."""
    return x @ weights + bias


def accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    """The share of rows whose highest score is the right digit."""
    return (logits.argmax(dim=1) == y).float().mean().item()


def loss_and_gradients(x, y, weights, bias):
    """Softmax cross-entropy of `lin(x)`, and its gradients with respect to weights and bias.

    1. p = softmax(x W + b)        2. loss = mean(-log p[y])
    3. dL/dlogits = (p - onehot(y)) / n        4. dL/dW = x^T dL/dlogits,  dL/db = sum over rows
    """
    logits = lin(x, weights, bias)
    p = logits.softmax(dim=1)
    loss = torch.nn.functional.cross_entropy(logits, y)
    d_logits = p
    d_logits[torch.arange(len(y)), y] -= 1
    d_logits /= len(y)
    return loss.item(), (d_logits.T @ x).T, d_logits.sum(dim=0)


def train(x, y, weights, bias, lr: float = 2.0, steps: int = 50, x_valid=None, y_valid=None, every: int = 10):
    """Plain gradient descent on all of (x, y) at each step, updating weights and bias in place.

    Returns the history: one dict (step, loss, accuracy on the validation set if given) every `every` steps.
    """
    history = []
    for i in range(steps + 1):
        loss, d_weights, d_bias = loss_and_gradients(x, y, weights, bias)
        if i % every == 0 or i == steps:
            record = {"step": i, "loss": loss}
            if x_valid is not None:
                record["accuracy"] = accuracy(lin(x_valid, weights, bias), y_valid)
            history.append(record)
        if i < steps:
            weights -= lr * d_weights
            bias -= lr * d_bias
    return history
