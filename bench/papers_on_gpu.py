"""bench_papers.py on the GPU machine, which has no MNIST file and no room for one beside `data/`
and the wheels: the test split travels as a 1.6 MB npz instead.

    python bench/papers_on_gpu.py --write-test-split checkpoints/papers-carry/mnist_test.npz   # here
    MNIST_TEST_NPZ=checkpoints/papers-carry/mnist_test.npz python bench/papers_on_gpu.py --only imagic   # there
"""
import os
import sys
from pathlib import Path

import numpy as np

if sys.argv[1:2] == ["--write-test-split"]:
    from deeper.mnist import load_mnist
    _, _, (x, y) = load_mnist()
    np.savez_compressed(sys.argv[2], x=(x * 256).astype(np.uint8), y=y.astype(np.uint8))
    raise SystemExit

data = np.load(os.environ["MNIST_TEST_NPZ"])
sys.path.insert(0, str(Path(__file__).parent))
import bench_papers  # noqa: E402

bench_papers.main(mnist_test=(data["x"].astype(np.float32) / 256, data["y"].astype(np.int64)))
