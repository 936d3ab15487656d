#!/usr/bin/env python3
# The leadership example charm (examples/leadership/src/lib.rs), written with
# Python ops 3.9 for the dispatch benchmark (bench/dispatch.py). Same
# handlers, same hook-tool calls.

"""Leadership example charm, Python ops edition."""

import logging
import os
import pathlib

import ops

logger = logging.getLogger(__name__)

PEER = 'replicas'
SECRET_LABEL = 'my-label'
LEADER_KEY = 'leader'


class LeadershipCharm(ops.CharmBase):
    """The leader renders a config naming itself and tells its peers."""

    _stored = ops.StoredState()

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self._stored.set_default(leader=None, elections_won=0)
        self.config_file = pathlib.Path(
            os.environ.get('LEADERSHIP_CONFIG_FILE', '/etc/leadership/leadership.conf')
        )
        framework.observe(self.on.leader_elected, self._on_leader_elected)
        framework.observe(self.on[PEER].relation_changed, self._on_peer_changed)
        framework.observe(self.on.config_changed, self._on_config_changed)
        framework.observe(self.on.start, self._on_start)
        framework.observe(self.on.show_leader_action, self._on_show_leader)

    def _on_leader_elected(self, event: ops.LeaderElectedEvent):
        me = self.unit.name
        logger.info('%s was elected leader', me)
        self._stored.elections_won += 1
        self._reconfigure(me)
        peers = self.model.get_relation(PEER)
        if peers is not None:
            peers.data[self.app][LEADER_KEY] = me
        try:
            self.model.get_secret(label=SECRET_LABEL)
        except ops.SecretNotFoundError:
            self.app.add_secret(self._credentials(), label=SECRET_LABEL)

    def _on_peer_changed(self, event: ops.RelationChangedEvent):
        leader = event.relation.data[self.app].get(LEADER_KEY)
        if leader is None:
            logger.debug('the leader has not announced itself yet; deferring')
            event.defer()
            return
        self._reconfigure(leader)

    def _on_config_changed(self, event: ops.ConfigChangedEvent):
        if self._stored.leader is not None:
            self._reconfigure(self._stored.leader)
        if not self.unit.is_leader():
            return
        credentials = self._credentials()
        logger.debug('doing slow reconfiguration work')
        if not self.unit.is_leader():
            logger.warning('lost leadership while reconfiguring; leaving the secret to the new leader')
            return
        secret = self.model.get_secret(label=SECRET_LABEL)
        secret.set_content(credentials)

    def _on_start(self, event: ops.StartEvent):
        if self.unit.is_leader():
            self.unit.status = ops.ActiveStatus('I rule')
        else:
            self.unit.status = ops.ActiveStatus('I am ruled')

    def _on_show_leader(self, event: ops.ActionEvent):
        if self._stored.leader is not None:
            event.set_results({'leader': self._stored.leader})
        else:
            event.fail('this unit does not know the leader yet')

    def _credentials(self) -> dict[str, str]:
        port = int(self.config['port'])
        return {'username': str(self.config['username']), 'password': f'pass-{port}'}

    def _reconfigure(self, leader: str):
        port = int(self.config['port'])
        self.config_file.parent.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(
            f'# written by the leadership charm\nleader = {leader}\nport = {port}\n'
        )
        self._stored.leader = leader
        logger.info('configured %s with leader %s', self.config_file, leader)


if __name__ == '__main__':
    ops.main(LeadershipCharm)
