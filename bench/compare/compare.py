#!/usr/bin/env python3
"""ops.testing vs juju-ops-testing, case by case, in one run on one machine.

Each case of ops.testing's own benchmark suite, plus the scale cases, is
written twice: in Rust (crates/ops-testing/benches/common/mod.rs, timed by
the `compare` bench target) and in Python with ops[testing] 3.9
(bench/compare/cases.py). Both sides time a case the same way (median over
samples of the time per call; see cases.py). Cases run interleaved, Rust then
Python, one case at a time, and the script prints one Markdown table:
case, Python median, Rust median, ratio, target. See docs/performance.md.

The last rows of the table count hook-tool calls per dispatch of the
example charm (examples/leadership) for each of its events, beside the same
charm written for Python ops, on the same fake tools (bench/dispatch.py
--calls); they are left out with --only or --no-calls.

    python3 bench/compare/compare.py [--only SUBSTRING] [--budget-s 3]
    just bench-compare

The first run creates .venv/ at the repository root (git-ignored) with
ops[testing]==3.9.0 and pytest from PyPI. The Rust side is built with
`cargo bench --no-run` into $CARGO_TARGET_DIR (default: target/).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from shared_venv import DEFAULT_VENV, venv_python  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent

# The targets: how many times faster than ops.testing a case should be.
TARGETS = {
    'context_autoload_meta': 100,
    'seed_start': 2000,
    'run_no_observer': 1000,
    'run_observed': 1000,
    'deferred_events': 1000,
    'lots_of_logs': 1000,
    'full_state_run': 1000,
    'four_events_explicit_meta': 1000,
    'four_events_autoload_meta': 1000,
}
# Every scale case: 1000x (the issue's "charm touching one relation at 1000
# relations of 10 units" is scale_one_relation_1000).
for _kind in ('idle', 'one_relation', 'all_relations', 'one_secret'):
    for _n in (1, 10, 100, 1000):
        TARGETS[f'scale_{_kind}_{_n}'] = 1000


def build_rust() -> Path:
    """Builds the `compare` bench target; returns its executable."""
    result = subprocess.run(
        [
            'cargo', 'bench', '--locked', '-p', 'juju-ops-testing', '--bench', 'compare',
            '--no-run', '--message-format=json-render-diagnostics',
        ],
        cwd=REPO,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    for line in result.stdout.splitlines():
        message = json.loads(line)
        if message.get('reason') == 'compiler-artifact' and message.get('executable'):
            if message['target']['name'] == 'compare':
                return Path(message['executable'])
    raise SystemExit('cargo built no `compare` bench executable')


def run_case(argv: list[str], case: str, options: list[str]) -> dict:
    result = subprocess.run(
        [*argv, '--exact', case, *options], cwd=REPO, check=True, capture_output=True, text=True
    )
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith('{')]
    if len(lines) != 1:
        raise SystemExit(f'{argv[0]} {case}: expected one result, got:\n{result.stdout}')
    return lines[0]


def hook_tool_calls(venv: str) -> dict:
    """Hook-tool calls per event of the example charm, Rust and Python ops
    on the same fake tools (bench/dispatch.py --calls)."""
    print('hook-tool calls per dispatch ...', file=sys.stderr)
    with tempfile.NamedTemporaryFile('r', suffix='.json') as out:
        subprocess.run(
            [
                sys.executable, str(REPO / 'bench' / 'dispatch.py'), '--calls', '--venv', venv,
                '--json', out.name,
            ],
            cwd=REPO,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return json.loads(Path(out.name).read_text())


def duration(ns: float) -> str:
    for unit, scale in (('s', 1e9), ('ms', 1e6), ('µs', 1e3)):
        if ns >= scale:
            return f'{ns / scale:.3g} {unit}'
    return f'{ns:.3g} ns'


def machine() -> str:
    cpu = 'unknown'
    for line in Path('/proc/cpuinfo').read_text().splitlines():
        if line.startswith('model name'):
            cpu = line.split(':', 1)[1].strip()
            break
    rustc = subprocess.run(['rustc', '--version'], capture_output=True, text=True).stdout.strip()
    return (
        f'{os.cpu_count()} CPUs (nproc), {cpu}, Linux {platform.release()}; '
        f'Python {platform.python_version()}, ops[testing] 3.9.0; {rustc}'
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--only', default='', help='run the cases whose name contains this')
    parser.add_argument('--budget-s', default='3', help='time per case and side, roughly (s)')
    parser.add_argument('--samples', default='15', help='samples per case at most')
    parser.add_argument('--sample-ms', default='10', help='shortest sample (ms)')
    parser.add_argument('--venv', default=str(DEFAULT_VENV), help='virtualenv for ops')
    parser.add_argument('--json', help='also write every result to this file')
    parser.add_argument(
        '--no-calls', action='store_true', help='leave out the hook-tool call counts'
    )
    args = parser.parse_args()
    python = venv_python(Path(args.venv))
    rust = build_rust()
    options = [
        '--budget-s', args.budget_s, '--samples', args.samples, '--sample-ms', args.sample_ms
    ]
    cases = subprocess.run(
        [str(rust), '--list', '--only', args.only], check=True, capture_output=True, text=True
    ).stdout.split()
    python_cases = subprocess.run(
        [str(python), str(HERE / 'cases.py'), '--list', '--only', args.only],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    if cases != python_cases:
        raise SystemExit(f'the two sides have different cases:\n{cases}\n{python_cases}')

    rows = []
    for case in cases:
        print(f'{case} ...', file=sys.stderr)
        rust_result = run_case([str(rust)], case, options)
        python_result = run_case([str(python), str(HERE / 'cases.py')], case, options)
        rows.append({'case': case, 'rust': rust_result, 'python': python_result})

    print(f'machine: {machine()}\n')
    print(
        '| case | ops.testing median | juju-ops-testing median | ratio '
        '| ratio of fastest samples | target |'
    )
    print('|---|---:|---:|---:|---:|---|')
    for row in rows:
        ratio = row['python']['median_ns'] / row['rust']['median_ns']
        fastest = row['python']['min_ns'] / row['rust']['min_ns']
        target = TARGETS.get(row['case'])
        verdict = '' if target is None else f'{target}x: {"met" if ratio >= target else "MISSED"}'
        print(
            f'| {row["case"]} | {duration(row["python"]["median_ns"])} '
            f'| {duration(row["rust"]["median_ns"])} | {ratio:,.0f}x | {fastest:,.0f}x '
            f'| {verdict} |'
        )
    calls = {} if args.no_calls or args.only else hook_tool_calls(args.venv)
    for event, sides in calls.items():
        python_calls, rust_calls = sum(sides['python'].values()), sum(sides['rust'].values())
        verdict = f'no more than ops: {"met" if rust_calls <= python_calls else "MISSED"}'
        print(
            f'| calls_{event} (dispatch, hook-tool calls) | {python_calls} calls (Python ops) '
            f'| {rust_calls} calls | {python_calls / max(rust_calls, 1):.2f}x | | {verdict} |'
        )
    if args.json:
        Path(args.json).write_text(
            json.dumps({'machine': machine(), 'rows': rows, 'calls': calls}, indent=1)
        )


if __name__ == '__main__':
    main()
