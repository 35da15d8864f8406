"""Issue 17's foundations and numbers: what notebooks 02, 03, 04 and 11 computed for the parts that
show the lesson's steps (rank, builtin min, a bare os.fork, three generators after a fork, the
instance's __len__ ignored) and the figures their prose now prints instead of quoting."""

import re

import pytest

from notebooks import executed, text_output

pytestmark = pytest.mark.notebook


def test_special_methods_are_looked_up_on_the_class_only():
    out = text_output(executed("02_python_data_model.ipynb"), "len-on-instance").splitlines()
    assert out[0] == "m.__len__() = 99"
    assert re.fullmatch(r"len\(m\)      = \d+ \(the class's __len__: the one on the object is ignored\)", out[1])
    assert out[1].split()[2] != "99"


def test_rank_and_builtin_min_against_the_method():
    nb = executed("03_tensors.ipynb")
    ranks = [re.search(r"rank (\d) = len\(shape\) (\d)", line).groups() for line in text_output(nb, "rank").splitlines()]
    assert ranks == [("0", "0"), ("1", "1"), ("2", "2"), ("3", "3")]
    out = text_output(nb, "min-vs-method").splitlines()
    assert out[0] == "min(row) = 0.0   row.min() = 0.0"
    assert out[1].startswith("min(x_train[:3]): RuntimeError: Boolean value of Tensor with more than one value")
    builtin, method = (float(x) for x in re.search(r"builtin min ([\d.]+) µs, .min\(\) ([\d.]+) µs", out[2]).groups())
    assert builtin > method


def test_a_bare_fork_and_what_each_generator_does_after_it():
    nb = executed("04_random_numbers.ipynb")
    parent, child = text_output(nb, "os-fork").splitlines()
    child_pid = int(re.search(r"fork returned (\d+), the child's pid", parent).group(1))
    assert child.startswith("child:  fork returned 0; my pid is ") and int(child.split()[-1]) == child_pid
    lines = text_output(nb, "fork-three").splitlines()
    assert lines == ["random the child drew the parent's numbers: False",
                     "numpy  the child drew the parent's numbers: True",
                     "torch  the child drew the parent's numbers: True"]


def test_the_first_evenly_spaced_step_is_printed_not_quoted():
    spacing = text_output(executed("11_sd_inside.ipynb"), "sigma-spacing").splitlines()
    assert spacing[4] == "first step, evenly spaced: σ 14.61 -> 11.92, 18% removed"
