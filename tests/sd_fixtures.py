"""Stable Diffusion parts for the tests: a random model of the tiny-sd shapes, built once per session
(tests of behaviour must not wait for, nor depend on, the trained model in data/tiny-sd)."""

from functools import lru_cache

from random_parts import random_parts


@lru_cache(maxsize=None)
def tiny_parts():
    return random_parts("small", seed=0)


def saved_tiny_folder(tmp_path_factory, name: str = "tiny"):
    """`tiny_parts()` saved as a hub-shaped folder (what load_parts and the CLI read)."""
    folder = tmp_path_factory.mktemp(name) / "tiny"
    tiny_parts().pipeline().save_pretrained(folder)
    return folder
