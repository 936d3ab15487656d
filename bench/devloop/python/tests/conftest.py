# Puts the charm's src/ on sys.path, as a charm repository's tox/pytest setup does.
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / 'src'))
