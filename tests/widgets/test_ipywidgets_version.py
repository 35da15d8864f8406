import os

import ipywidgets


def test_runs_under_the_expected_ipywidgets():
    """The second run must really import Colab's 7.7.1, not fall back to the venv's 8."""
    expected = os.environ.get("EXPECT_IPYWIDGETS", "8")
    assert ipywidgets.__version__.split(".")[0] == expected, ipywidgets.__version__
