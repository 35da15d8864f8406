"""deeper.quiet: the expected torchvision fall-back note is dropped, and nothing else is."""

import logging

import deeper  # noqa: F401 - importing the package installs the filters
from deeper.quiet import quiet_expected_messages


def record(message: str, name: str = "transformers.utils.import_utils") -> logging.LogRecord:
    return logging.LogRecord(name, logging.WARNING, __file__, 1, message, None, None)


def test_the_torchvision_fallback_note_is_dropped_where_it_arises():
    logger = logging.getLogger("transformers.utils.import_utils")
    note = ("`CLIPImageProcessor` requires torchvision (not installed); falling back to `CLIPImageProcessorPil` "
            "for backward compatibility.")
    assert not logger.filter(record(note))
    assert logger.filter(record("`Foo` requires `bar`, which is not installed"))  # any other message shows


def test_other_loggers_and_a_second_install_are_untouched():
    quiet_expected_messages()
    logger = logging.getLogger("transformers.utils.import_utils")
    assert len(logger.filters) == 1
    other = logging.getLogger("transformers.tokenization_utils_base")
    assert other.filter(record("requires torchvision (not installed); falling back to", other.name))
