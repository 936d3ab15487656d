"""The virtualenv every benchmark script shares (git-ignored, `.venv/` by default).

It holds ops[testing] 3.9.0 (ops and ops.testing, the versions we compare
with) and pytest; it is created and filled on first use.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_VENV = REPO / '.venv'
OPS_VERSION = '3.9.0'
SPECS = [f'ops[testing]=={OPS_VERSION}', 'pytest==9.2.0']


def venv_python(venv: Path = DEFAULT_VENV) -> Path:
    """The venv's interpreter, after making sure ops[testing] and pytest are in it."""
    python = venv / 'bin' / 'python'
    if not python.exists():
        print(f'creating {venv} with {" ".join(SPECS)}', file=sys.stderr)
        subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True)
    check = subprocess.run(
        [str(python), '-c', 'import ops, pytest, scenario; print(ops.__version__)'],
        capture_output=True,
        text=True,
    )
    if check.returncode != 0 or check.stdout.strip() != OPS_VERSION:
        subprocess.run([str(python), '-m', 'pip', 'install', '-q', *SPECS], check=True)
    return python
