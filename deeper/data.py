"""`python -m deeper.data` (make data): fetch and verify every downloaded input of the course."""

from .clip_vocab import bpe_path
from .mnist import mnist_path

if __name__ == "__main__":
    for get in (mnist_path, bpe_path):
        print(f"ok  {get()}")
