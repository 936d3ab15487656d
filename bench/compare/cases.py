#!/usr/bin/env python3
"""The ops.testing side of `just bench-compare`: each case of
crates/ops-testing/benches/compare.rs, written with ops[testing] 3.9.

Prints one JSON object per line, the same fields the Rust side prints:

    {"case": "run_no_observer", "median_ns": ..., "min_ns": ..., "samples": ..., "iters": ...}

Both sides time a case the same way (see `measure`): a warm-up call, then
samples of `iters` back-to-back calls, where `iters` is the smallest power of
two that makes one sample last at least --sample-ms; the result is the median
over samples of the time per call. What a case leaves on the Context (log
lines, emitted events) is cleared between samples, outside the timing.

Run it through compare.py, which creates the virtualenv; on its own:

    .venv/bin/python bench/compare/cases.py [--only SUBSTRING | --exact NAME] [--list]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import ops
from ops import testing

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / 'charm' / 'src'))

from bench_charm import WORKLOAD, BenchCharm, PebbleCharm, ScaleCharm, SeedCharm  # noqa: E402

# Relation counts of the scale cases; each relation has this many remote units.
SCALE_RELATIONS = (1, 10, 100, 1000)
UNITS_PER_RELATION = 10
SECRETS = 100

Op = Callable[[], object]
# A case: returns the operation to time and what to run between samples.
Case = Callable[[], tuple[Op, Op]]


def nothing() -> None:
    return None


def clear_records(ctx: testing.Context) -> Op:
    def clear() -> None:
        ctx.exec_history.clear()
        ctx.juju_log.clear()
        ctx.emitted_events.clear()
        ctx.unit_status_history.clear()
        ctx.app_status_history.clear()

    return clear


# --- ops.testing's own benchmark suite (testing/tests/benchmark/test_testing.py) ---


def context_explicit_meta() -> tuple[Op, Op]:
    return (lambda: testing.Context(ops.CharmBase, meta={'name': 'foo'})), nothing


def context_meta_config_actions() -> tuple[Op, Op]:
    def make() -> testing.Context:
        return testing.Context(
            ops.CharmBase,
            meta={'name': 'foo'},
            actions={'act': {'description': 'foo'}},
            config={'options': {'conf': {'type': 'int', 'description': 'bar'}}},
        )

    ctx = make()
    ctx.run(ctx.on.action('act'), testing.State(config={'conf': 10}))
    assert [e.handle.kind for e in ctx.emitted_events] == ['act_action']
    return make, nothing


def context_autoload_meta() -> tuple[Op, Op]:
    ctx = testing.Context(BenchCharm)
    db = testing.Relation('db')  # inconsistent unless the metadata was loaded
    ctx.run(ctx.on.relation_created(db), testing.State(relations={db}))
    return (lambda: testing.Context(BenchCharm)), nothing


def seed_start() -> tuple[Op, Op]:
    """The seed test: start as the leader, the handler reads is-leader and sets the status."""
    ctx = testing.Context(SeedCharm, meta={'name': 'foo'})
    state = testing.State(leader=True)
    out = ctx.run(ctx.on.start(), state)
    assert out.unit_status == testing.ActiveStatus('I rule')
    return (lambda: ctx.run(ctx.on.start(), state)), clear_records(ctx)


def run_no_observer() -> tuple[Op, Op]:
    ctx = testing.Context(BenchCharm)
    state = testing.State()
    ctx.run(ctx.on.start(), state)
    assert [e.handle.kind for e in ctx.emitted_events] == ['start']
    return (lambda: ctx.run(ctx.on.start(), state)), clear_records(ctx)


def run_observed() -> tuple[Op, Op]:
    ctx = testing.Context(BenchCharm)
    state = testing.State()
    ctx.run(ctx.on.stop(), state)
    assert [e.handle.kind for e in ctx.emitted_events] == ['stop']
    return (lambda: ctx.run(ctx.on.stop(), state)), clear_records(ctx)


def deferred_events() -> tuple[Op, Op]:
    ctx = testing.Context(BenchCharm, capture_deferred_events=True)
    deferred = ctx.on.stop().deferred(BenchCharm._on_stop)
    state = testing.State(deferred=[deferred])
    out = ctx.run(ctx.on.config_changed(), state)
    assert len(out.deferred) == 1
    assert {e.handle.kind for e in ctx.emitted_events} == {'stop', 'config_changed'}
    return (lambda: ctx.run(ctx.on.config_changed(), state)), clear_records(ctx)


def lots_of_logs() -> tuple[Op, Op]:
    ctx = testing.Context(BenchCharm)
    state = testing.State()
    ctx.run(ctx.on.update_status(), state)
    assert len(ctx.juju_log) >= 200
    return (lambda: ctx.run(ctx.on.update_status(), state)), clear_records(ctx)


def build_full_state() -> testing.State:
    """Every State field the Rust State has (see full_state in common/mod.rs)."""
    return testing.State(
        relations={testing.Relation('db'), testing.PeerRelation('cluster')},
        networks={testing.Network('admin-net')},
        opened_ports={testing.TCPPort(22), testing.ICMPPort(), testing.UDPPort(8000)},
        secrets={testing.Secret({'password': 'admin'})},
        stored_states={testing.StoredState('_stored', owner_path='SomeObject', content={'n': 1})},
        app_status=testing.ActiveStatus(),
        unit_status=testing.BlockedStatus("I'm stuck!"),
        workload_version='1.0',
        config={'log-level': 'debug'},
        leader=True,
        planned_units=3,
    )


def full_state_build() -> tuple[Op, Op]:
    return build_full_state, nothing


def full_state_run() -> tuple[Op, Op]:
    ctx = testing.Context(BenchCharm)
    state = build_full_state()
    out = ctx.run(ctx.on.start(), state)
    assert out.opened_ports == state.opened_ports
    assert out.unit_status == state.unit_status
    return (lambda: ctx.run(ctx.on.start(), state)), clear_records(ctx)


def four_events(make: Callable[[], testing.Context]) -> Op:
    def run() -> None:
        ctx = make()
        state = testing.State()
        for event in ('install', 'start', 'stop', 'remove'):
            state = ctx.run(getattr(ctx.on, event)(), state)

    return run


def four_events_explicit_meta() -> tuple[Op, Op]:
    return four_events(lambda: testing.Context(ops.CharmBase, meta={'name': 'foo'})), nothing


def four_events_autoload_meta() -> tuple[Op, Op]:
    return four_events(lambda: testing.Context(BenchCharm)), nothing


# --- Containers: a sidecar charm's pebble-ready (mirrors PebbleCharm in common/mod.rs) ---


def pebble_container() -> testing.Container:
    return testing.Container(
        WORKLOAD,
        can_connect=True,
        execs={testing.Exec(['server', '--check-config'], stdout='config ok\n')},
    )


def container_pebble_ready() -> tuple[Op, Op]:
    ctx = testing.Context(PebbleCharm)
    container = pebble_container()
    state = testing.State(containers={container})
    out = ctx.run(ctx.on.pebble_ready(container), state)
    workload = out.get_container(WORKLOAD)
    assert len(workload.layers) == 1
    assert workload.service_statuses['server'] == ops.pebble.ServiceStatus.ACTIVE
    assert out.unit_status == testing.ActiveStatus('config ok')
    assert len(ctx.exec_history[WORKLOAD]) == 1
    assert (workload.get_filesystem(ctx) / 'etc/bench/config.json').is_file()
    return (lambda: ctx.run(ctx.on.pebble_ready(container), state)), clear_records(ctx)


# --- Scale: relations of UNITS_PER_RELATION units each, and SECRETS secrets ---


def scale_state(relations: int) -> testing.State:
    """Mirrors scale_state in common/mod.rs."""
    unit_bag = {
        'egress-subnets': '192.0.2.0',
        'ingress-address': '192.0.2.0',
        'private-address': '192.0.2.0',
    }
    return testing.State(
        leader=True,
        relations=[
            testing.Relation(
                'db',
                id=n + 1,
                remote_app_name=f'db{n}',
                remote_app_data={'seen': str(n)},
                remote_units_data={u: dict(unit_bag) for u in range(UNITS_PER_RELATION)},
            )
            for n in range(relations)
        ],
        secrets=[
            testing.Secret({'password': f'pw-{n}'}, label=f'secret-{n}') for n in range(SECRETS)
        ],
    )


def scale_case(kind: str, relations: int) -> Case:
    def case() -> tuple[Op, Op]:
        ctx = testing.Context(ScaleCharm)
        state = scale_state(relations)
        middle = list(state.relations)[relations // 2]
        events = {
            'idle': ctx.on.update_status,
            'one_relation': lambda: ctx.on.relation_changed(middle, remote_unit=5),
            'all_relations': ctx.on.config_changed,
            'one_secret': ctx.on.leader_elected,
        }
        event = events[kind]
        out = ctx.run(event(), state)
        touched = sum('seen' in r.local_unit_data for r in out.relations)
        assert touched == {'one_relation': 1, 'all_relations': relations}.get(kind, 0)
        return (lambda: ctx.run(event(), state)), clear_records(ctx)

    return case


CASES: dict[str, Case] = {
    'context_explicit_meta': context_explicit_meta,
    'context_meta_config_actions': context_meta_config_actions,
    'context_autoload_meta': context_autoload_meta,
    'seed_start': seed_start,
    'run_no_observer': run_no_observer,
    'run_observed': run_observed,
    'deferred_events': deferred_events,
    'lots_of_logs': lots_of_logs,
    'full_state_build': full_state_build,
    'full_state_run': full_state_run,
    'four_events_explicit_meta': four_events_explicit_meta,
    'four_events_autoload_meta': four_events_autoload_meta,
    'container_pebble_ready': container_pebble_ready,
}
for _kind in ('idle', 'one_relation', 'all_relations', 'one_secret'):
    for _n in SCALE_RELATIONS:
        CASES[f'scale_{_kind}_{_n}'] = scale_case(_kind, _n)


def measure(op: Op, between: Op, sample_ns: int, samples: int, budget_ns: int) -> dict:
    """Median time per call over samples of `iters` calls (see the module doc)."""
    op()
    between()
    iters = 1
    while True:
        started = time.perf_counter_ns()
        for _ in range(iters):
            op()
        elapsed = time.perf_counter_ns() - started
        between()
        if elapsed >= sample_ns:
            break
        iters *= 2
    per_call = [elapsed / iters]
    deadline = time.perf_counter_ns() + budget_ns
    while len(per_call) < samples and (len(per_call) < 5 or time.perf_counter_ns() < deadline):
        started = time.perf_counter_ns()
        for _ in range(iters):
            op()
        elapsed = time.perf_counter_ns() - started
        between()
        per_call.append(elapsed / iters)
    return {
        'median_ns': statistics.median(per_call),
        'min_ns': min(per_call),
        'samples': len(per_call),
        'iters': iters,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--only', default='', help='run the cases whose name contains this')
    parser.add_argument('--exact', default=None, help='run only the case of this name')
    parser.add_argument('--sample-ms', type=float, default=10, help='shortest sample (ms)')
    parser.add_argument('--samples', type=int, default=15, help='samples per case at most')
    parser.add_argument('--budget-s', type=float, default=3, help='time per case, roughly (s)')
    parser.add_argument('--list', action='store_true', help='print the case names and stop')
    args = parser.parse_args()
    for name, case in CASES.items():
        if args.only not in name or args.exact not in (None, name):
            continue
        if args.list:
            print(name)
            continue
        op, between = case()
        result = measure(
            op, between, int(args.sample_ms * 1e6), args.samples, int(args.budget_s * 1e9)
        )
        print(json.dumps({'case': name, **result}), flush=True)


if __name__ == '__main__':
    main()
