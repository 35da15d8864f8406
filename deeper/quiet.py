"""Library messages the course expects and a student need not see, silenced where they arise and
narrowly: a filter on the one logger that emits each, matching its message, so every other message
from that logger (and every warning) still shows."""

import logging

# transformers 5 without torchvision: diffusers' pipelines name `CLIPImageProcessor`, and transformers
# says once that it falls back to the PIL one. The course never processes images with it.
EXPECTED = {
    "transformers.utils.import_utils": ("requires torchvision (not installed); falling back to",),
}


class DropExpected(logging.Filter):
    """Drops the records of one logger whose message contains one of `fragments`."""

    def __init__(self, fragments: tuple[str, ...]):
        super().__init__()
        self.fragments = fragments

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(fragment in message for fragment in self.fragments)


def quiet_expected_messages() -> None:
    """Install the filters (once: calling again changes nothing). `import deeper` does it."""
    for name, fragments in EXPECTED.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, DropExpected) for f in logger.filters):
            logger.addFilter(DropExpected(fragments))
