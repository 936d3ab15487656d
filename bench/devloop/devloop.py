#!/usr/bin/env python3
"""The developer loop of the leadership example: Rust vs Python ops.testing.

Times, on this machine and in this run:

- a cold build and run of the example charm's unit tests
  (`cargo test -p leadership-charm --test unit` with an empty target
  directory: every dependency is compiled);
- the same command with nothing changed;
- the same command after changing one line of the charm
  (examples/leadership/src/lib.rs), the loop a developer repeats;

beside pytest running the same tests of the same charm written for Python
ops 3.9 (bench/devloop/python/: tests/test_unit.py against
bench/python-charm/src/charm.py), with nothing changed and after changing
one line of charm.py. See docs/performance.md, "Developer loop".

    python3 bench/devloop/devloop.py [--runs 5]

Works on copies in a temporary directory, so the repository is never
edited. The first run creates .venv/ at the repository root (git-ignored)
with ops[testing]==3.9.0 and pytest, as bench/compare/compare.py does.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from shared_venv import DEFAULT_VENV, venv_python  # noqa: E402

REPO = Path(__file__).resolve().parent.parent.parent
PYTHON_TESTS = REPO / 'bench' / 'devloop' / 'python'

# The line each side changes: a log message in a handler that the tests run.
RUST_FILE = Path('examples/leadership/src/lib.rs')
RUST_LINE = 'tracing::debug!("doing slow reconfiguration work");'
PYTHON_FILE = Path('src/charm.py')
PYTHON_LINE = "logger.debug('doing slow reconfiguration work')"


def copy_workspace(dest: Path) -> None:
    """The working tree's files (tracked and untracked, not ignored)."""
    listed = subprocess.run(
        ['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.split(b'\0')
    for name in filter(None, listed):
        source = REPO / os.fsdecode(name)
        if not source.exists():  # deleted in the working tree
            continue
        target = dest / os.fsdecode(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f'{" ".join(argv)} failed:\n{result.stdout}\n{result.stderr}')
    return elapsed


def edit(path: Path, line: str, n: int) -> None:
    """Changes the log message on `line` (a different text on each call)."""
    text = path.read_text()
    marker = f'work (edit {n - 1})' if n > 1 else 'work'
    old = line.replace('work', marker)
    if old not in text:
        raise SystemExit(f'{path}: cannot find the line to change: {old}')
    path.write_text(text.replace(old, line.replace('work', f'work (edit {n})'), 1))


def machine() -> str:
    cpu = 'unknown'
    for line in Path('/proc/cpuinfo').read_text().splitlines():
        if line.startswith('model name'):
            cpu = line.split(':', 1)[1].strip()
            break
    rustc = subprocess.run(['rustc', '--version'], capture_output=True, text=True).stdout.strip()
    return f'{os.cpu_count()} CPUs ({cpu}); {rustc}'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=5, help='timed loops per measurement')
    parser.add_argument('--venv', default=str(DEFAULT_VENV), help='virtualenv for ops')
    parser.add_argument('--keep', action='store_true', help='keep the temporary directory')
    args = parser.parse_args()
    python = venv_python(Path(args.venv))

    work = Path(tempfile.mkdtemp(prefix='juju-ops-devloop-'))
    try:
        repo = work / 'repo'
        copy_workspace(repo)
        env = dict(os.environ, CARGO_TARGET_DIR=str(work / 'target'), CARGO_TERM_COLOR='never')
        cargo = ['cargo', 'test', '--locked', '-p', 'leadership-charm', '--test', 'unit']

        print('rust: cold build and run ...', file=sys.stderr)
        cold = timed(cargo, repo, env)
        unchanged = [timed(cargo, repo, env) for _ in range(args.runs)]
        touched = []
        for n in range(1, args.runs + 1):
            edit(repo / RUST_FILE, RUST_LINE, n)
            touched.append(timed(cargo, repo, env))

        charm = work / 'python'
        shutil.copytree(PYTHON_TESTS, charm, symlinks=False)
        pytest = [str(python), '-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'tests']
        py_env = dict(os.environ)
        print('python: pytest ...', file=sys.stderr)
        py_first = timed(pytest, charm, py_env)
        py_unchanged = [timed(pytest, charm, py_env) for _ in range(args.runs)]
        py_touched = []
        for n in range(1, args.runs + 1):
            edit(charm / PYTHON_FILE, PYTHON_LINE, n)
            py_touched.append(timed(pytest, charm, py_env))
    finally:
        if args.keep:
            print(f'kept {work}', file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    def s(values: list[float] | float) -> str:
        if isinstance(values, float):
            return f'{values:.2f} s'
        return f'{statistics.median(values):.2f} s ({min(values):.2f}–{max(values):.2f})'

    print(f'machine: {machine()}')
    print(f'{args.runs} timed runs per row; median (min–max)\n')
    print('| step | Rust: `cargo test -p leadership-charm --test unit` | Python: `pytest` | Rust / Python |')
    print('|---|---:|---:|---:|')
    print(f'| first run (Rust: cold build, every dependency) | {s(cold)} | {s(py_first)} | {cold / py_first:.1f} |')
    ratio = statistics.median(unchanged) / statistics.median(py_unchanged)
    print(f'| run again, nothing changed | {s(unchanged)} | {s(py_unchanged)} | {ratio:.1f} |')
    ratio = statistics.median(touched) / statistics.median(py_touched)
    print(f'| change one line of the charm, run again | {s(touched)} | {s(py_touched)} | {ratio:.1f} |')


if __name__ == '__main__':
    main()
