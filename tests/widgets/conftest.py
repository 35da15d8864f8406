"""Widget tests run in pure Python: set values, click buttons, assert on traits.

`make test` runs this folder twice: under the current ipywidgets 8 and under Colab's 7.7.1
(PYTHONPATH=.venv-ipywidgets7, EXPECT_IPYWIDGETS=7). Both create widgets without a kernel.
"""
