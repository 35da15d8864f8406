"""Notebook 05's exercises: the triple-loop matrix product on tensors, and one step of gradient descent."""

import torch

from ..linear import init_params, loss_and_gradients
from .core import Case, Exercise, Wrong, compare_cases

FLOAT_SUMS = (1e-5, "float32 sums added in another order than torch's")


def matmul_solution(a, b):
    (ar, ac), (br, bc) = a.shape, b.shape
    c = torch.zeros(ar, bc)
    for i in range(ar):
        for j in range(bc):
            for k in range(ac):
                c[i, j] += a[i, k] * b[k, j]
    return c


def matmul_cases():
    gen = torch.Generator().manual_seed(0)
    pairs = [((2, 2), (2, 2)), ((3, 4), (4, 2)), ((1, 5), (5, 3))]
    cases = []
    for sa, sb in pairs:
        a, b = torch.randn(sa, generator=gen), torch.randn(sb, generator=gen)
        cases.append(Case(f"matmul(a, b) with a of shape {sa}, b of shape {sb}", a, b))
    return cases


def _assigns(a, b):
    c = torch.zeros(a.shape[0], b.shape[1])
    for i in range(a.shape[0]):
        for j in range(b.shape[1]):
            for k in range(a.shape[1]):
                c[i, j] = a[i, k] * b[k, j]
    return c


def _transposed_b(a, b):
    c = torch.zeros(a.shape[0], b.shape[1])
    for i in range(a.shape[0]):
        for j in range(b.shape[1]):
            for k in range(a.shape[1]):
                c[i, j] += a[i, k] * b[j, k]
    return c


matmul = Exercise(
    "matmul", "matmul(a, b) on tensors by the triple loop: c[i, j] = sum over k of a[i, k] * b[k, j]", matmul_solution,
    ["The result has a's rows and b's columns: `c = torch.zeros(ar, bc)` with `(ar, ac), (br, bc) = a.shape, b.shape`.",
     "Loop i over ar, j over bc, k over ac, and add: `c[i, j] += a[i, k] * b[k, j]`; return c."],
    compare_cases(matmul_cases, tolerance=FLOAT_SUMS, expect=lambda a, b: a @ b, mistakes=[
        (_assigns, "Each c[i, j] holds only the last product: add them up with +="),
        (_transposed_b, "You read b[j, k]: walk down b's column j, b[k, j]"),
    ]))


def gd_step_solution(x, y, weights, bias, lr):
    loss, d_weights, d_bias = loss_and_gradients(x, y, weights, bias)
    weights -= lr * d_weights
    bias -= lr * d_bias
    return loss


def run_gd_step(fn, x, y, weights, bias, lr):
    before = weights.clone(), bias.clone()
    loss = fn(x, y, weights, bias, lr)
    if torch.equal(weights, before[0]):
        raise Wrong("the weights did not change: `weights = weights - ...` makes a new tensor inside your function "
                    "and leaves the caller's as it was; change it in place, `weights -= lr * d_weights`")
    return {"weights": weights, "bias": bias, "loss": loss}


def gd_cases():
    cases = []
    for seed, lr in ((0, 2.0), (1, 0.5)):
        gen = torch.Generator().manual_seed(seed)
        x, y = torch.rand(16, 784, generator=gen), torch.randint(0, 10, (16,), generator=gen)
        weights, bias = init_params(seed)
        cases.append(Case(f"gd_step(x, y, weights, bias, lr={lr}) on 16 random images", x, y, weights, bias, lr))
    return cases


def _uphill(x, y, weights, bias, lr):
    loss, d_weights, d_bias = loss_and_gradients(x, y, weights, bias)
    weights += lr * d_weights
    bias += lr * d_bias
    return loss


def _no_bias(x, y, weights, bias, lr):
    loss, d_weights, d_bias = loss_and_gradients(x, y, weights, bias)
    weights -= lr * d_weights
    return loss


gd_step = Exercise(
    "gd_step", "gd_step(x, y, weights, bias, lr): one step of plain gradient descent, in place; return the loss",
    gd_step_solution,
    ["`loss, d_weights, d_bias = loss_and_gradients(x, y, weights, bias)` gives the loss and both gradients "
     "(import it from deeper.linear).",
     "Step downhill, in place, so the caller's tensors change: `weights -= lr * d_weights`, "
     "`bias -= lr * d_bias`; then `return loss`."],
    compare_cases(gd_cases, run=run_gd_step, mutates=True, tolerance=(1e-6, "float32 rounding of the update"),
                  mistakes=[(_uphill, "You stepped uphill, along the gradient: subtract lr times it"),
                            (_no_bias, "The bias did not move: step it too, bias -= lr * d_bias")]))

EXERCISES = [matmul, gd_step]
