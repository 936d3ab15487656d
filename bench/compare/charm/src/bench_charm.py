# The benchmark charms of crates/ops-testing/benches/common/mod.rs, written
# with Python ops 3.9 for bench/compare/compare.py. Same observers, same
# work in each handler. The metadata (../charmcraft.yaml) is the Rust
# benchmarks' own file, linked.

"""Charms that ops.testing runs in the side-by-side benchmarks."""

from __future__ import annotations

import logging

import ops

logger = logging.getLogger(__name__)

DB = 'db'


class SeedCharm(ops.CharmBase):
    """The seed test's charm: on start, the status says whether the unit leads."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on.start, self._on_start)

    def _on_start(self, _: ops.StartEvent):
        leader = self.unit.is_leader()
        self.unit.status = ops.ActiveStatus('I rule' if leader else 'I am ruled')


class BenchCharm(ops.CharmBase):
    """Observes stop (does nothing), config-changed (defers) and update-status (logs 200 lines)."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on.update_status, self._on_update_status)
        framework.observe(self.on.stop, self._on_stop)
        framework.observe(self.on.config_changed, self._on_config_changed)

    def _on_update_status(self, _: ops.UpdateStatusEvent):
        for log in (logger.debug, logger.info, logger.warning, logger.error):
            for i in range(50):
                log('log line %d', i)

    def _on_stop(self, _: ops.StopEvent):
        pass

    def _on_config_changed(self, event: ops.ConfigChangedEvent):
        event.defer()


class ScaleCharm(ops.CharmBase):
    """Touches nothing, one relation, every relation, or one secret, by event."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on.update_status, self._on_update_status)
        framework.observe(self.on[DB].relation_changed, self._on_db_changed)
        framework.observe(self.on.config_changed, self._on_config_changed)
        framework.observe(self.on.leader_elected, self._on_leader_elected)

    def _on_update_status(self, _: ops.UpdateStatusEvent):
        pass

    def _on_db_changed(self, event: ops.RelationChangedEvent):
        self._touch(event.relation, event.unit)

    def _on_config_changed(self, _: ops.ConfigChangedEvent):
        for relation in self.model.relations[DB]:
            self._touch(relation, None)

    def _on_leader_elected(self, _: ops.LeaderElectedEvent):
        secret = self.model.get_secret(label='secret-50')
        assert secret.get_content()['password'] == 'pw-50'

    def _touch(self, relation: ops.Relation, unit: ops.Unit | None):
        """Reads the remote application's bag (and a remote unit's), writes this unit's."""
        assert relation.app is not None
        seen = relation.data[relation.app].get('seen', '0')
        if unit is not None:
            seen += relation.data[unit].get('ingress-address', '')
        relation.data[self.unit]['seen'] = seen


WORKLOAD = 'workload'


class PebbleCharm(ops.CharmBase):
    """On workload-pebble-ready: push a config file, add a layer, replan, run a check command."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on[WORKLOAD].pebble_ready, self._on_pebble_ready)

    def _on_pebble_ready(self, event: ops.PebbleReadyEvent):
        workload = event.workload
        workload.push('/etc/bench/config.json', '{"port": 8080}', make_dirs=True)
        layer: ops.pebble.LayerDict = {
            'summary': 'bench',
            'services': {
                'server': {
                    'override': 'replace',
                    'command': '/usr/bin/server --config /etc/bench/config.json',
                    'startup': 'enabled',
                },
            },
            'checks': {'up': {'override': 'replace', 'http': {'url': 'http://localhost:8080/health'}}},
        }
        workload.add_layer('bench', layer, combine=True)
        workload.replan()
        stdout, _ = workload.exec(['server', '--check-config']).wait_output()
        self.unit.status = ops.ActiveStatus(stdout.strip())
