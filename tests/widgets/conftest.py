"""Widget tests run in pure Python, under ipywidgets 8 and again under Colab's 7.7.1 (make test).

Without a kernel, ipywidgets 7 would try to open a comm through ipykernel; give every widget a
comm that records messages instead, as ipywidgets' own tests do.
"""

import ipywidgets
import pytest

IPYWIDGETS_7 = ipywidgets.__version__.startswith("7.")


class DummyComm:
    comm_id = "a-b-c-d"
    kernel = None

    def open(self, *args, **kwargs):
        pass

    def on_msg(self, *args, **kwargs):
        pass

    def send(self, *args, **kwargs):
        pass

    def close(self, *args, **kwargs):
        pass


@pytest.fixture(autouse=True)
def no_kernel(monkeypatch):
    if IPYWIDGETS_7:
        monkeypatch.setattr(ipywidgets.Widget, "_comm_default", lambda self: DummyComm(), raising=False)
        monkeypatch.setattr(ipywidgets.Widget, "_ipython_display_", lambda self, **kw: None, raising=False)
    yield


def test_ipywidgets_version_is_reported():
    print("ipywidgets", ipywidgets.__version__)
