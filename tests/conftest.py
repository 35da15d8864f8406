import sys
from pathlib import Path

# tests/ holds shared helpers (notebooks.py, browser.py) imported by plain name.
sys.path.insert(0, str(Path(__file__).resolve().parent))
