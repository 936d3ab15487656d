#!/usr/bin/env python3
"""One dispatch of the leadership charm under fake Juju: Rust vs Python ops 3.9.

Runs the `start` event (as the leader) through each charm's `dispatch` file,
the way Juju runs it, against the same fake hook tools
(examples/leadership/juju-sim/src/fake_hook_tool.rs), and reports wall time
and peak memory side by side. See docs/performance.md, "Dispatch under Juju".

    python3 bench/dispatch.py [--runs 30] [--event start]
    python3 bench/dispatch.py --calls   # hook-tool calls per event, both charms

The first run creates .venv/ at the repository root (git-ignored) with
`ops==3.9.0` from PyPI, then re-executes this script inside it. Rust binaries
are built with `cargo build --release` into $CARGO_TARGET_DIR (default:
target/).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shared_venv import DEFAULT_VENV, OPS_VERSION, venv_python  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / 'examples' / 'leadership'
PYTHON_CHARM = REPO / 'bench' / 'python-charm'
UNIT = 'leadership/0'

# The events of the example charm whose hook-tool calls are counted
# (`--calls`), in this order, each on the state the one before left.
CALL_EVENTS = (
    'install',
    'leader-elected',
    'config-changed',
    'start',
    'replicas-relation-changed',
    'update-status',
    'show-leader',
)
ACTIONS = {'show-leader'}
# What Juju adds to the environment for these events.
EVENT_ENV = {
    'replicas-relation-changed': {
        'JUJU_RELATION': 'replicas',
        'JUJU_RELATION_ID': 'replicas:0',
        'JUJU_REMOTE_APP': 'leadership',
        'JUJU_REMOTE_UNIT': 'leadership/1',
    },
    'show-leader': {'JUJU_ACTION_NAME': 'show-leader', 'JUJU_ACTION_UUID': '42'},
}


def ensure_venv(args: argparse.Namespace) -> None:
    """Re-run this script inside the shared virtualenv (ops installed)."""
    try:
        import ops  # noqa: F401

        if ops.__version__ == OPS_VERSION:  # type: ignore[attr-defined]
            return
    except ImportError:
        pass
    python = venv_python(Path(args.venv))
    os.execv(str(python), [str(python), str(Path(__file__).resolve()), *sys.argv[1:]])

def build_rust(args: argparse.Namespace) -> Path:
    target = Path(os.environ.get('CARGO_TARGET_DIR', REPO / 'target'))
    if not args.no_build:
        subprocess.run(
            ['cargo', 'build', '--release', '--locked', '-p', 'leadership-juju-sim', '--bins'],
            cwd=REPO,
            check=True,
        )
    return target / 'release'


def packed_metadata(charm_dir: Path) -> None:
    """metadata.yaml, config.yaml and actions.yaml, as `charmcraft pack` makes them."""
    import yaml

    project = yaml.safe_load((EXAMPLE / 'charmcraft.yaml').read_text())
    config = project.pop('config', {})
    actions = project.pop('actions', {})
    for key in ('type', 'base', 'platforms', 'parts', 'title'):
        project.pop(key, None)
    (charm_dir / 'metadata.yaml').write_text(yaml.safe_dump(project))
    (charm_dir / 'config.yaml').write_text(yaml.safe_dump(config))
    (charm_dir / 'actions.yaml').write_text(yaml.safe_dump(actions))


def world() -> dict:
    """The fake model (an ops_testing::juju::ModelStore): units 0 and 1 in peer relation 0."""
    return {
        'model': {
            'model_uuid': '1f0c6a54-9e2a-4c1e-8d3b-0a8e2f6a1d11',
            'applications': {'leadership': {'units': [0, 1], 'leader': 0}},
            'config': {'leadership': {'port': 8080, 'username': 'admin'}},
            'relations': [
                {
                    'id': 0,
                    'kind': 'peer',
                    'sides': [
                        {
                            'app': 'leadership',
                            'endpoint': 'replicas',
                            'units': {'0': {}, '1': {}},
                        }
                    ],
                }
            ],
        }
    }


class Side:
    """One charm, its charm directory and its fake model."""

    def __init__(self, name: str, root: Path, tools: Path, extra_env: dict[str, str]):
        self.name = name
        self.root = root
        self.charm = root / 'charm'
        self.model = root / 'model'
        self.tools = tools
        self.extra_env = extra_env
        self.charm.mkdir(parents=True)
        self.model.mkdir()
        packed_metadata(self.charm)
        (self.model / 'world.json').write_text(json.dumps(world()))
        self.snapshot: dict[str, bytes] = {}
        self.walls: list[float] = []
        self.rss: list[int] = []
        self.calls: list[int] = []
        self.tool_counts: dict[str, int] = {}

    def env(self, event: str) -> dict[str, str]:
        env = {
            'PATH': f'{self.tools}:/usr/bin:/bin',
            'JUJU_DISPATCH_PATH': f'hooks/{event}',
            'JUJU_HOOK_NAME': event,
            'JUJU_UNIT_NAME': UNIT,
            'JUJU_MODEL_NAME': 'bench',
            'JUJU_MODEL_UUID': '1f0c6a54-9e2a-4c1e-8d3b-0a8e2f6a1d11',
            'JUJU_VERSION': '3.6.14',
            'JUJU_CHARM_DIR': str(self.charm),
            'CHARM_DIR': str(self.charm),
            'JUJU_CONTEXT_ID': f'{UNIT}-{event}-1',
            'LANG': 'C.UTF-8',
            'FAKE_JUJU_DIR': str(self.model),
            'LEADERSHIP_CONFIG_FILE': str(self.root / 'etc' / 'leadership.conf'),
        }
        env.update(EVENT_ENV.get(event, {}))
        if event in ACTIONS:
            env['JUJU_DISPATCH_PATH'] = f'actions/{event}'
            del env['JUJU_HOOK_NAME']
        env.update(self.extra_env)
        return env

    def save(self) -> None:
        """Remembers the state after the warm-up dispatch (install)."""
        for path in (self.model / 'world.json', self.charm / '.unit-state.db'):
            if path.exists():
                self.snapshot[str(path)] = path.read_bytes()

    def restore(self) -> None:
        for path, data in self.snapshot.items():
            Path(path).write_bytes(data)
        (self.model / 'calls.jsonl').unlink(missing_ok=True)

    def dispatch(self, event: str) -> float:
        """Runs one dispatch; returns its wall time in seconds."""
        started = time.perf_counter()
        result = subprocess.run(
            [str(self.charm / 'dispatch')],
            cwd=self.charm,
            env=self.env(event),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        wall = time.perf_counter() - started
        if result.returncode != 0:
            calls = self.model / 'calls.jsonl'
            logged = [
                ' '.join(json.loads(line)['args'])
                for line in (calls.read_text().splitlines() if calls.exists() else [])
                if json.loads(line)['tool'] == 'juju-log'
            ]
            detail = result.stderr.decode() or '\n'.join(logged[-5:])
            raise SystemExit(f'{self.name}: {event} failed: {detail}')
        return wall

    def measure(self, event: str) -> None:
        """One timed dispatch, then one under GNU time for the peak RSS."""
        self.restore()
        self.walls.append(self.dispatch(event))
        calls = (self.model / 'calls.jsonl').read_text().splitlines()
        self.calls.append(len(calls))
        if not self.tool_counts:
            for line in calls:
                tool = json.loads(line)['tool']
                self.tool_counts[tool] = self.tool_counts.get(tool, 0) + 1
        if event == 'start':
            model = json.loads((self.model / 'world.json').read_text())['model']
            status = model['statuses']['units'][UNIT]
            if status != {'name': 'active', 'message': 'I rule'}:
                raise SystemExit(f'{self.name}: unexpected status {status}')
        self.restore()
        self.rss.append(peak_rss([str(self.charm / 'dispatch')], self.env(event), self.charm))


def rust_side(name: str, work: Path, tools: Path, release: Path, extra: dict[str, str]) -> Side:
    side = Side(name, work / name, tools, extra)
    (side.charm / 'bin').mkdir()
    shutil.copy(release / 'leadership-sim', side.charm / 'bin' / 'leadership')
    shutil.copy(EXAMPLE / 'dispatch', side.charm / 'dispatch')
    return side


def python_side(work: Path, tools: Path) -> Side:
    import ops

    side = Side('python-ops', work / 'python', tools, {})
    shutil.copytree(PYTHON_CHARM / 'src', side.charm / 'src')
    # As in a packed Python charm: the system interpreter, with the charm's
    # dependencies on PYTHONPATH (charmcraft puts them in venv/).
    site_packages = Path(ops.__file__).resolve().parent.parent
    (side.charm / 'venv').symlink_to(site_packages)
    interpreter = os.path.realpath(sys.executable)
    (side.charm / 'dispatch').write_text(
        '#!/bin/sh\n'
        f'JUJU_DISPATCH_PATH="${{JUJU_DISPATCH_PATH:-$0}}" PYTHONPATH=lib:venv exec {interpreter} ./src/charm.py\n'
    )
    (side.charm / 'dispatch').chmod(0o755)
    return side


GNU_TIME = '/usr/bin/time'


def peak_rss(argv: list[str], env: dict[str, str], cwd: Path) -> int:
    """Peak RSS in KiB of the largest process in the tree `argv` starts.

    Measured with GNU time (`%M`, from wait4), which forks the command from
    its own small process: a child forked from this Python process would
    inherit Python's high-water mark, and every result would read ~30 MiB.
    """
    with tempfile.NamedTemporaryFile('r') as out:
        result = subprocess.run(
            [GNU_TIME, '-f', '%M', '-o', out.name, *argv],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        if result.returncode != 0:
            raise SystemExit(f'{argv[0]} failed: {result.stderr.decode()}')
        return int(out.read().split()[-1])


def tool_alone(tools: Path, model: Path, runs: int) -> tuple[list[float], list[int]]:
    """One `is-leader` call on its own: what every hook-tool call costs."""
    walls, rss = [], []
    env = {'PATH': f'{tools}:/usr/bin:/bin', 'FAKE_JUJU_DIR': str(model), 'JUJU_UNIT_NAME': UNIT}
    argv = [str(tools / 'is-leader'), '--format=json']
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - started)
        rss.append(peak_rss(argv, env, model))
    return walls, rss


def floor(runs: int) -> list[int]:
    """The peak RSS GNU time reports for `/bin/true`: the measurement's floor."""
    return [peak_rss(['/bin/true'], {}, Path('/')) for _ in range(runs)]


def machine() -> dict[str, str]:
    cpu = 'unknown'
    for line in Path('/proc/cpuinfo').read_text().splitlines():
        if line.startswith('model name'):
            cpu = line.split(':', 1)[1].strip()
            break
    rustc = subprocess.run(['rustc', '--version'], capture_output=True, text=True).stdout.strip()
    return {
        'nproc': str(os.cpu_count()),
        'cpu': cpu,
        'kernel': platform.release(),
        'python': platform.python_version(),
        'rustc': rustc,
    }


def ms(seconds: float) -> str:
    return f'{seconds * 1000:.1f}'


def mib(kib: float) -> str:
    return f'{kib / 1024:.1f}'


def count_calls(side: Side, event: str) -> dict[str, int]:
    """One dispatch of `event` on the side's current state; calls by tool."""
    (side.model / 'calls.jsonl').unlink(missing_ok=True)
    if event in ACTIONS:
        # Juju hands an action its parameters; the fake tools read them here.
        world_file = side.model / 'world.json'
        world_now = json.loads(world_file.read_text())
        world_now['action'] = {'params': {}}
        world_file.write_text(json.dumps(world_now))
    side.dispatch(event)
    counts: dict[str, int] = {}
    calls = side.model / 'calls.jsonl'
    lines = calls.read_text().splitlines() if calls.exists() else []
    for line in lines:
        tool = json.loads(line)['tool']
        counts[tool] = counts.get(tool, 0) + 1
    return counts


def call_counts(release: Path, events: tuple[str, ...] = CALL_EVENTS) -> dict[str, dict]:
    """Hook-tool calls per event, Rust and Python ops, on the same fake tools.

    Both charms go through the events in order, each dispatch on the state
    the one before left (as a new unit's first hooks: install, then
    leader-elected, config-changed, start, ...). Returns
    {event: {'rust': {tool: n}, 'python': {tool: n}}}. Must run inside the
    shared virtualenv (ops importable).
    """
    work = Path(tempfile.mkdtemp(prefix='juju-ops-calls-'))
    try:
        tools = work / 'tools'
        subprocess.run([str(release / 'fake-hook-tool'), '--install', str(tools)], check=True)
        sides = {
            'rust': rust_side('rust', work, tools, release, {}),
            'python': python_side(work, tools),
        }
        return {
            event: {name: count_calls(side, event) for name, side in sides.items()}
            for event in events
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def print_call_counts(counts: dict[str, dict]) -> None:
    print('| event | Python ops calls | Rust calls | Rust ≤ Python | Python ops by tool | Rust by tool |')
    print('|---|---:|---:|---|---|---|')
    for event, sides in counts.items():
        python, rust = sum(sides['python'].values()), sum(sides['rust'].values())
        by_tool = [
            ', '.join(f'{tool} {n}' for tool, n in sorted(sides[name].items()))
            for name in ('python', 'rust')
        ]
        verdict = 'yes' if rust <= python else 'NO'
        print(f'| {event} | {python} | {rust} | {verdict} | {by_tool[0]} | {by_tool[1]} |')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=30, help='measured dispatches per charm')
    parser.add_argument('--event', default='start', help='the hook to dispatch (default: start)')
    parser.add_argument('--venv', default=str(DEFAULT_VENV), help='virtualenv for ops')
    parser.add_argument('--no-build', action='store_true', help='use the existing release build')
    parser.add_argument(
        '--calls', action='store_true', help='only count hook-tool calls per event, both charms'
    )
    parser.add_argument('--json', help='with --calls: also write the counts to this file')
    args = parser.parse_args()
    if args.calls:
        ensure_venv(args)
        counts = call_counts(build_rust(args))
        print_call_counts(counts)
        if args.json:
            Path(args.json).write_text(json.dumps(counts, indent=1))
        return
    if not Path(GNU_TIME).exists():
        raise SystemExit(f'{GNU_TIME} is missing: install GNU time (Debian/Ubuntu: apt-get install time)')
    ensure_venv(args)
    release = build_rust(args)

    work = Path(tempfile.mkdtemp(prefix='juju-ops-bench-'))
    try:
        tools = work / 'tools'
        subprocess.run([str(release / 'fake-hook-tool'), '--install', str(tools)], check=True)
        sides = [
            rust_side('rust', work, tools, release, {}),
            rust_side('rust-debug-logs', work, tools, release, {'JUJU_OPS_LOG_LEVEL': 'DEBUG'}),
            python_side(work, tools),
        ]
        for side in sides:
            side.dispatch('install')  # creates the persisted state, as in a real unit
            side.save()
            side.measure(args.event)  # warms the page cache; not counted
            side.walls.clear()
            side.rss.clear()
            side.calls.clear()
        for _ in range(args.runs):
            for side in sides:
                side.measure(args.event)
        tool_walls, tool_rss = tool_alone(tools, sides[0].model, args.runs)
        true_rss = floor(args.runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    info = machine()
    print(f'machine: {info["nproc"]} CPUs, {info["cpu"]}, Linux {info["kernel"]}')
    print(f'python {info["python"]}, ops {OPS_VERSION}; {info["rustc"]}')
    print(f'event: {args.event} as the leader, {args.runs} runs each, interleaved\n')
    print(
        '| charm | wall median (ms) | wall min–max (ms) | peak RSS median (MiB) '
        '| peak RSS max (MiB) | hook-tool calls |'
    )
    print('|---|---:|---:|---:|---:|---:|')
    for side in sides:
        print(
            f'| {side.name} | {ms(statistics.median(side.walls))} '
            f'| {ms(min(side.walls))}–{ms(max(side.walls))} '
            f'| {mib(statistics.median(side.rss))} | {mib(max(side.rss))} '
            f'| {statistics.median(side.calls):.0f} |'
        )
    print(
        f'| one fake hook-tool call alone | {ms(statistics.median(tool_walls))} '
        f'| {ms(min(tool_walls))}–{ms(max(tool_walls))} '
        f'| {mib(statistics.median(tool_rss))} | {mib(max(tool_rss))} | 1 |'
    )
    print(
        f'| `/bin/true` (measurement floor) | – | – | {mib(statistics.median(true_rss))} '
        f'| {mib(max(true_rss))} | 0 |'
    )
    rust, python = sides[0], sides[-1]
    wall_ratio = statistics.median(python.walls) / statistics.median(rust.walls)
    rss_ratio = statistics.median(python.rss) / statistics.median(rust.rss)
    print(f'\nPython ops / Rust: {wall_ratio:.1f}x wall time, {rss_ratio:.1f}x peak RSS')
    for side in sides:
        calls = ', '.join(f'{tool} {n}' for tool, n in sorted(side.tool_counts.items()))
        print(f'{side.name} calls: {calls}')


if __name__ == '__main__':
    main()
