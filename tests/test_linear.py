"""The linear classifier: three products agree, the hand-written gradients match autograd, and
plain gradient descent learns MNIST."""

import pytest
import torch

from deeper.linear import accuracy, init_params, lin, lin_loops, lin_matrix, loss_and_gradients, train
from deeper.matrix import Matrix
from deeper.mnist import load_mnist


@pytest.fixture(scope="module")
def mnist():
    (x, y), (xv, yv), _ = load_mnist()
    return torch.tensor(x), torch.tensor(y), torch.tensor(xv), torch.tensor(yv)


def test_init_params_is_the_lessons_seeded_start():
    weights, bias = init_params()
    torch.manual_seed(1)
    assert torch.equal(weights, torch.randn(784, 10)) and torch.equal(bias, torch.zeros(10))


def test_loops_matrix_and_torch_give_the_same_scores(mnist):
    x, weights, bias = mnist[0][:5], *init_params()
    by_torch = lin(x, weights, bias)
    by_loops = lin_loops(x.tolist(), weights.tolist(), bias.tolist())
    by_matrix = lin_matrix(Matrix(x.tolist()), Matrix(weights.tolist()), bias.tolist())
    assert torch.allclose(torch.tensor(by_loops), by_torch, atol=1e-4)
    assert by_matrix == Matrix(by_loops)


def test_mismatched_shapes_are_named():
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(2, 3\)"):
        lin_loops([[1, 2, 3]] * 2, [[1, 2, 3]] * 2, [0, 0, 0])


def test_accuracy_counts_the_highest_score():
    logits = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert accuracy(logits, torch.tensor([1, 0, 0])) == pytest.approx(2 / 3)


def test_hand_written_gradients_match_autograd(mnist):
    x, y = mnist[0][:64], mnist[1][:64]
    weights, bias = init_params()
    loss, d_weights, d_bias = loss_and_gradients(x, y, weights, bias)
    w, b = weights.clone().requires_grad_(), bias.clone().requires_grad_()
    expected = torch.nn.functional.cross_entropy(x @ w + b, y)
    expected.backward()
    assert loss == pytest.approx(expected.item(), rel=1e-5)
    assert torch.allclose(d_weights, w.grad, atol=1e-6) and torch.allclose(d_bias, b.grad, atol=1e-6)


def test_gradient_descent_learns_mnist(mnist):
    x, y, xv, yv = mnist
    weights, bias = init_params()
    before = accuracy(lin(xv, weights, bias), yv)
    history = train(x[:5000], y[:5000], weights, bias, steps=30, x_valid=xv, y_valid=yv)
    assert before < 0.2
    assert history[-1]["step"] == 30 and history[-1]["loss"] < history[0]["loss"] / 3
    assert history[-1]["accuracy"] > 0.7
