import sys
from pathlib import Path

# tests/ holds shared helpers (notebooks.py, browser.py) imported by plain name.
sys.path.insert(0, str(Path(__file__).resolve().parent))

# The browser fixtures, defined once for every test module: a second session-wide Playwright (one
# per module importing them) fails with "Sync API inside the asyncio loop".
from browser import browser, lab, page  # noqa: E402, F401
