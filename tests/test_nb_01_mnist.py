"""What notebook 01 computed agrees with the backend's reference and with MNIST itself."""

import ast

from deeper.iteration import chunks
from deeper.mnist import load_mnist
from notebooks import executed, has_image, text_output, widget_states

NB = "01_mnist_lists_and_generators.ipynb"


def test_first_image_is_784_floats_and_its_rows_match_the_reference():
    nb = executed(NB)
    (x_train, _), _, _ = load_mnist()
    length, vals = ast.literal_eval(text_output(nb, "first-image"))
    assert length == 784 and vals == x_train[0].tolist()[200:210]
    assert ast.literal_eval(text_output(nb, "chunks-vals")) == list(chunks(vals, 5))
    assert text_output(nb, "img-shape").strip() == "(28, 28)"
    assert text_output(nb, "iter-sentinel").strip() == "(28, True)"
    assert text_output(nb, "reference").strip() == "True"
    assert has_image(nb, "plot-img")


def test_generator_laziness_is_shown_in_order():
    out = text_output(executed(NB), "lazy").splitlines()
    assert out[0] == "created the generator; nothing made yet"
    assert out[1].strip() == "(making chunk 0)" and out[3].strip() == "(making chunk 1)"
    assert out[-1].startswith("StopIteration")


def test_islice_takes_the_next_five_each_time():
    lines = text_output(executed(NB), "islice").splitlines()
    assert len(ast.literal_eval(lines[0])) == 5 and len(ast.literal_eval(lines[1])) == 5 and lines[2] == "[]"


def test_tuple_index_on_a_list_is_a_type_error():
    assert text_output(executed(NB), "tuple-index").startswith("TypeError: list indices must be integers")


def test_inspector_state_was_saved_with_the_selected_pixel():
    nb = executed(NB)
    sliders = {m["state"].get("description"): m["state"]["value"] for m in widget_states(nb, "IntSliderModel")}
    assert sliders["row i"] == 20 and sliders["column j"] == 15
    html = " ".join(m["state"]["value"] for m in widget_states(nb, "HTMLModel"))
    (x_train, _), _, _ = load_mnist()
    assert "img[20][15]" in html and repr(x_train[0].tolist()[20 * 28 + 15]) in html


def test_mnist_is_fetched_in_view_with_its_checksum():
    from deeper.mnist import MNIST_MD5
    out = text_output(executed(NB), "path").splitlines()
    assert out[0].endswith(f"Path mnist.pkl.gz 17.1 MB, md5 {MNIST_MD5}")  # PosixPath, or WindowsPath
    assert out[1] == "md5 as expected: True"
