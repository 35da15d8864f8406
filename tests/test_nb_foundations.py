"""Notebooks 02-05 (the foundations): what they computed is right, the student's classes and
functions written in them agree with the backend's reference ones output for output, and the widgets
were left in the state the notebook set."""

import ast
import random
import re

import pytest
import torch

from deeper import wichmann_hill as wh
from deeper.matrix import Matrix as Reference
from deeper.matrix import matmul_loops, read_list, read_pair
from deeper.mnist import load_mnist
from notebooks import executed, has_image, tagged, text_output, widget_states

pytestmark = pytest.mark.notebook

NB02, NB03, NB04, NB05 = ("02_python_data_model.ipynb", "03_tensors.ipynb",
                          "04_random_numbers.ipynb", "05_linear_classifier.ipynb")


def student(nb, *tags, **namespace) -> dict:
    """Run the student's code cells (by tag, in order) in a fresh namespace and return it."""
    for tag in tags:
        exec(tagged(nb, tag).source, namespace)
    return namespace


def html_values(nb) -> str:
    return " ".join(m["state"]["value"] for m in widget_states(nb, "HTMLModel"))


def slider_values(nb) -> list[tuple[str, int]]:
    return [(m["state"].get("description"), m["state"]["value"]) for m in widget_states(nb, "IntSliderModel")]


@pytest.fixture(scope="module")
def pixel():
    (x_train, _), _, _ = load_mnist()
    return x_train[0].tolist()[20 * 28 + 15]


# 02 · The Python data model

STUDENT_MATRIX = ("student-matrix", "student-patch", "student-repr", "student-len", "student-iter",
                  "student-eq", "student-setitem", "student-matmul")


@pytest.fixture(scope="module")
def StudentMatrix():
    return student(executed(NB02), *STUDENT_MATRIX)["Matrix"]


def random_rows(rng, rows, cols):
    return [[rng.choice([rng.randint(-9, 9), rng.uniform(-1, 1)]) for _ in range(cols)] for _ in range(rows)]


@pytest.mark.parametrize("shape", [(1, 1), (2, 3), (6, 6), (7, 6), (28, 28)])
def test_the_students_matrix_agrees_with_the_reference(StudentMatrix, shape):
    rng = random.Random(shape[0] * 100 + shape[1])
    rows = random_rows(rng, *shape)
    mine, ref = StudentMatrix([r[:] for r in rows]), Reference(rows)
    assert all(mine[i, j] == ref[i, j] for i in range(shape[0]) for j in range(shape[1]))
    assert repr(mine) == repr(ref)
    assert len(mine) == len(ref) and list(mine) == list(ref)
    assert (mine == StudentMatrix(rows)) == (ref == Reference(rows)) is True
    assert (mine == rows) == (ref == rows) is False
    mine[0, 0] = ref[0, 0] = 42
    assert list(mine) == list(ref)
    other = random_rows(rng, shape[1], 3)
    assert (mine @ StudentMatrix(other)).xs == (ref @ Reference(other)).xs


def test_02_tuples_reach_getitem(pixel):
    nb = executed(NB02)
    assert text_output(nb, "tuple-index").startswith("TypeError: list indices must be integers")
    assert text_output(nb, "loud").splitlines() == [
        "__getitem__ got (20, 15)", "__getitem__ got 20",
        "__getitem__ got (slice(1, 3, None), slice(None, None, 2))"]
    assert ast.literal_eval(text_output(nb, "getitem")) == (pixel, pixel)


def test_02_each_dunder_before_and_after():
    nb = executed(NB02)
    assert text_output(nb, "repr-before").startswith("<__main__.Matrix object at")
    assert text_output(nb, "repr-after").splitlines()[0] == "Matrix([[1, 2], [3, 4]])"
    assert text_output(nb, "len-before").strip() == "TypeError: object of type 'Matrix' has no len()"
    assert text_output(nb, "len-after").strip() == "28"
    assert "TypeError" in text_output(nb, "iter-before")
    assert "rows: 28" in text_output(nb, "iter-after")
    assert text_output(nb, "eq-before").strip() == "False"
    assert text_output(nb, "eq-after").strip() == "(True, False)"
    assert "does not support item assignment" in text_output(nb, "setitem-before")
    assert ast.literal_eval(text_output(nb, "setitem-after"))[::2] == (0.0, False)
    assert text_output(nb, "matmul-small").strip() == "Matrix([[19.0, 22.0], [43.0, 50.0]])"
    assert text_output(nb, "tensor").splitlines()[-1] == "True"


def test_02_bad_input_and_agreement():
    nb = executed(NB02)
    assert "list index out of range" in text_output(nb, "student-bad")
    lines = text_output(nb, "reference-bad").splitlines()
    assert "row 1" in lines[0] and "row 1" in lines[1] and "shape (28, 28)" in lines[2]
    assert [l.split()[-1] for l in text_output(nb, "agree").splitlines()] == ["agree"] * 7


def test_02_inspector_was_left_on_m_20_15(pixel):
    nb = executed(NB02)
    assert ("row i", 20) in slider_values(nb) and ("column j", 15) in slider_values(nb)
    assert "m.__getitem__((20, 15))" in html_values(nb) and repr(pixel) in html_values(nb)


# 03 · Tensors

def test_03_tensors_shapes_and_indexing(pixel):
    nb = executed(NB03)
    assert text_output(nb, "map-tensor").strip() == "(torch.Size([50000, 784]), 'torch.FloatTensor')"
    assert text_output(nb, "reshape").strip() == "torch.Size([50000, 28, 28])"
    assert text_output(nb, "zero-dim").strip() == f"(torch.Size([]), {pixel!r})"
    labels = text_output(nb, "labels")
    assert "tensor(0) tensor(9)" in labels and "torch.int64" in labels
    assert has_image(nb, "show-digit")


def test_03_strides_and_views():
    nb = executed(NB03)
    strides = text_output(nb, "strides").splitlines()
    assert strides[0].endswith("strides (784, 1)") and strides[1].endswith("strides (784, 28, 1)")
    assert strides[2] == "575 tensor(True)"
    assert text_output(nb, "view").splitlines() == ["same memory: True", "x_train[0, 575] is now 0.5"]
    views = text_output(nb, "more-views")
    assert "strides (1, 28)" in views and "contiguous False" in views and "offset  2352" in views
    assert "view size is not compatible" in text_output(nb, "view-error")
    assert "reshape copied: True" in text_output(nb, "view-error")


def test_03_inspector_shows_strides_and_the_view():
    nb = executed(NB03)
    html = html_values(nb)
    assert "imgs.__getitem__((0, 20, 15))" in html
    assert "strides (784, 28, 1)" in html and "a view of a tensor of shape (50000, 784)" in html
    assert "strides (1, 28)" in html  # the transposed one
    assert ("dim 0", 0) in slider_values(nb)


# 04 · Random numbers

@pytest.fixture(scope="module")
def student_wh():
    return student(executed(NB04), "student-wh")


@pytest.mark.parametrize("seed", [0, 1, 42, 30273, 457428938475, 2**61 + 12345])
def test_the_students_wichmann_hill_agrees_with_the_reference(student_wh, seed):
    student_wh["seed"](seed)
    assert student_wh["rnd_state"] == wh.seed_state(seed)
    g = wh.WichmannHill(seed)
    assert [student_wh["rand"]() for _ in range(2000)] == [g.rand() for _ in range(2000)]
    assert student_wh["rnd_state"] == g.state


def test_04_seed_draws_and_agreement():
    nb = executed(NB04)
    assert ast.literal_eval(text_output(nb, "seeded")) == (4976, 20238, 499)
    g = wh.WichmannHill(457428938475)
    assert ast.literal_eval(text_output(nb, "three")) == (g.rand(), g.rand(), g.rand())
    assert text_output(nb, "agree").strip() == "True"
    assert text_output(nb, "save-restore").strip().endswith("True")
    assert all(has_image(nb, tag) for tag in ("plot-50", "hist", "lag"))


def test_04_a_wrong_seed_type():
    out = text_output(executed(NB04), "bad-seed").splitlines()
    assert out[0] == "ours: (2, 1, 1) (2, 1, 1)"
    assert out[1].startswith("reference: TypeError: seed must be an int")


def fork_lines(nb, tag):
    lines = text_output(nb, tag).splitlines()
    parent = ast.literal_eval(lines[0].removeprefix("parent"))
    child = ast.literal_eval(lines[1].removeprefix("child"))
    return parent, child, lines[2]


def test_04_fork_copies_the_state_and_reseeding_fixes_it():
    nb = executed(NB04)
    parent, child, verdict = fork_lines(nb, "fork")
    g = wh.WichmannHill(457428938475)
    assert parent == child and parent[0] == [g.rand() for _ in range(3)] and verdict == "the same: True"
    parent, child, verdict = fork_lines(nb, "fork-reseed")
    assert parent[0] != child[0] and parent[1] != child[1] and verdict == "the same: False"


def worker_lines(nb, tag):
    return [ast.literal_eval(line.split(":", 1)[1]) for line in text_output(nb, tag).splitlines()
            if line.startswith("worker")]


def test_04_dataloader_workers_repeat_and_worker_init_fn_fixes_it():
    nb = executed(NB04)
    first, second = worker_lines(nb, "loader")
    assert first == second
    first, second = worker_lines(nb, "loader-fixed")
    assert first != second
    assert "def reseed_worker" in text_output(nb, "loader-fixed")


def test_04_vectorised_version_and_jump_ahead_agree():
    nb = executed(NB04)
    assert text_output(nb, "jump").strip() == "True"
    assert text_output(nb, "vector-agree").strip() == "(True, True)"
    slower, ratio = text_output(nb, "timing-7840"), text_output(nb, "timing-million")
    assert re.search(r"by torch.rand \(best of 3 runs\): \d+x slower$", slower.strip()), slower
    assert re.search(r"\(best of 3 runs\): \d+\.\dx$", ratio.strip()), ratio
    assert "slowest run" not in slower + ratio  # %timeit -q: no warning about the spread of the runs


def test_04_visualiser_was_left_after_100_draws_and_a_fork():
    html = html_values(executed(NB04))
    assert "105 drawn" in html  # 100 draws, then the parent's 5 after the fork
    assert "fork: parent and child drew <b>the same</b> numbers" in html


# 05 · A linear classifier

def test_the_students_loops_agree_with_the_reference():
    nb = executed(NB05)
    ns = student(nb, "student-loop", "student-lists", torch=torch)
    a, b = torch.randn(3, 7), torch.randn(7, 4)
    assert torch.equal(ns["matmul"](a, b), torch.tensor(matmul_loops(a, b, a.shape, b.shape, read_pair)))
    la, lb = a.tolist(), b.tolist()
    assert ns["matmul_lists"](la, lb) == matmul_loops(la, lb, (3, 7), (7, 4), read_list)


def test_05_products_agree_and_are_timed():
    nb = executed(NB05)
    assert text_output(nb, "shapes").strip() == "((5, 784), (784, 10))"
    assert text_output(nb, "agree").strip() == "True True True"
    rows = text_output(nb, "timings").splitlines()
    assert [r.split("  ")[0] for r in rows] == ["triple loop on tensors", "triple loop on lists",
                                                 "Matrix @ Matrix", "torch: m1 @ m2"]


def test_05_training_beats_random_weights():
    nb = executed(NB05)
    before = float(text_output(nb, "random-accuracy").split(":")[1])
    after = float(text_output(nb, "final-accuracy").splitlines()[0].split(":")[1])
    losses = [float(l.split()[3]) for l in text_output(nb, "train").splitlines()]
    assert before < 0.2 and after > 0.7
    assert losses[-1] < losses[0] / 3
    assert has_image(nb, "curves") and has_image(nb, "final-accuracy")


def test_05_inspector_shows_what_training_added_per_digit():
    html = html_values(executed(NB05))
    assert "learned.__getitem__((3, 14, 14))" in html and "shape (10, 28, 28)" in html
    assert "strides (1, 280, 10)" in html and "a view of a tensor of shape (784, 10)" in html
