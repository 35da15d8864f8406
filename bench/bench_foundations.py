"""Foundations benchmarks: each pair measured side by side in one run, reported as ratios.

    .venv/bin/python bench/bench_foundations.py
"""

import torch

from deeper import wichmann_hill as wh
from deeper.linear import init_params, lin, lin_loops, lin_matrix
from deeper.matrix import Matrix, matmul_loops, read_pair
from deeper.mnist import load_mnist
from deeper.timing import seconds


def row(name: str, per_call: float, baseline: float) -> None:
    print(f"  {name:<44} {per_call * 1e3:10.3f} ms {per_call / baseline:10.1f}x")


def table(title: str, timings: dict) -> None:
    print(title)
    baseline = list(timings.values())[-1]
    for name, per_call in timings.items():
        row(name, per_call, baseline)


def main():
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; ratios are against the last row\n")
    wh.seed(457428938475)
    table("7,840 random numbers (a 784x10 draw)", {
        "pure-Python Wichmann-Hill rand() x 7840": seconds(lambda: [wh.rand() for _ in range(7840)]),
        "vectorised Wichmann-Hill rand_torch(7840)": seconds(lambda: wh.rand_torch(7840, wh.rnd_state)),
        "torch.rand(7840)": seconds(lambda: torch.rand(7840)),
    })
    state = wh.seed_state(1)
    table("\n10^6 random numbers", {
        "pure-Python Wichmann-Hill rand() x 10^6": seconds(lambda: [wh.rand() for _ in range(10**6)], repeat=1),
        "vectorised Wichmann-Hill rand_torch(10^6)": seconds(lambda: wh.rand_torch(10**6, state)),
        "torch.rand(10^6, dtype=float64)": seconds(lambda: torch.rand(10**6, dtype=torch.float64)),
        "torch.rand(10^6)": seconds(lambda: torch.rand(10**6)),
    })
    (x_train, _), _, _ = load_mnist()
    x, (weights, bias) = torch.tensor(x_train[:5]), init_params()
    xl, wl, bl = x.tolist(), weights.tolist(), bias.tolist()
    xm, wm = Matrix(xl), Matrix(wl)
    table("\n5x784 @ 784x10 (+ bias)", {
        "triple loop on tensors, a[i, k] (the lesson's)": seconds(
            lambda: matmul_loops(x, weights, x.shape, weights.shape, read_pair), repeat=1),
        "Matrix: __matmul__ via __getitem__((i, k))": seconds(lambda: lin_matrix(xm, wm, bl), repeat=3),
        "triple loop on lists of lists": seconds(lambda: lin_loops(xl, wl, bl), repeat=3),
        "torch: x @ weights + bias": seconds(lambda: lin(x, weights, bias)),
    })


if __name__ == "__main__":
    main()
