# The unit tests of examples/leadership (tests/unit.rs), with ops.testing
# against the Python port of the charm (bench/python-charm/src/charm.py, linked
# as src/). Same cases, same assertions; bench/devloop/devloop.py times them.

"""Unit tests of the leadership charm, Python ops edition."""

from __future__ import annotations

import pathlib

import pytest
from ops import testing

from charm import LEADER_KEY, PEER, SECRET_LABEL, LeadershipCharm


@pytest.fixture
def config_file(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    """Where the charm writes its config file: a directory unique to the test."""
    path = tmp_path / 'leadership.conf'
    monkeypatch.setenv('LEADERSHIP_CONFIG_FILE', str(path))
    return path


@pytest.fixture
def ctx(config_file: pathlib.Path) -> testing.Context[LeadershipCharm]:
    return testing.Context(LeadershipCharm)


def stored(content: dict) -> testing.StoredState:
    return testing.StoredState('_stored', owner_path='LeadershipCharm', content=content)


def app_secret(content: dict[str, str]) -> testing.Secret:
    return testing.Secret(content, label=SECRET_LABEL, owner='app')


# The seed's test: the status follows leadership.
@pytest.mark.parametrize('leader', [True, False])
def test_status_leader(ctx: testing.Context, leader: bool):
    out = ctx.run(ctx.on.start(), testing.State(leader=leader))
    assert out.unit_status == testing.ActiveStatus('I rule' if leader else 'I am ruled')


def test_leader_elected_renders_config_and_tells_the_peers(ctx, config_file):
    peers = testing.PeerRelation(PEER)
    out = ctx.run(ctx.on.leader_elected(), testing.State(leader=True, relations={peers}))

    rendered = config_file.read_text()
    assert 'leader = leadership/0' in rendered, rendered
    assert out.get_relation(peers.id).local_app_data.get(LEADER_KEY) == 'leadership/0'
    secret = next(s for s in out.secrets if s.label == SECRET_LABEL)
    assert secret.owner == 'app'
    assert secret.tracked_content['username'] == 'admin'
    memory = out.get_stored_state('_stored', owner_path='LeadershipCharm')
    assert memory.content['elections_won'] == 1


def test_followers_learn_the_leader_from_peer_data(ctx, config_file):
    peers = testing.PeerRelation(
        PEER, local_app_data={LEADER_KEY: 'leadership/1'}, peers_data={1: {}}
    )
    out = ctx.run(ctx.on.relation_changed(peers), testing.State(relations={peers}))
    assert 'leader = leadership/1' in config_file.read_text()
    memory = out.get_stored_state('_stored', owner_path='LeadershipCharm')
    assert memory.content['leader'] == 'leadership/1'


@pytest.mark.parametrize('leader', [True, False])
def test_only_the_leader_changes_the_app_secret(ctx, leader: bool):
    secret = app_secret({'username': 'old', 'password': 'old'})
    state = testing.State(leader=leader, config={'username': 'user'}, secrets={secret})
    out = ctx.run(ctx.on.config_changed(), state)
    after = out.get_secret(id=secret.id)
    if leader:
        assert after.latest_content == {'username': 'user', 'password': 'pass-8080'}
    else:
        assert after == secret


@pytest.mark.parametrize('knows', [True, False])
def test_show_leader_reports_what_the_unit_knows(ctx, knows: bool):
    state = testing.State(stored_states={stored({'leader': 'leadership/3'})} if knows else set())
    if knows:
        ctx.run(ctx.on.action('show-leader'), state)
        assert ctx.action_results == {'leader': 'leadership/3'}
    else:
        with pytest.raises(testing.ActionFailed) as failure:
            ctx.run(ctx.on.action('show-leader'), state)
        assert failure.value.message == 'this unit does not know the leader yet'


def test_config_changed_rerenders_for_the_known_leader(ctx, config_file):
    state = testing.State(config={'port': 9090}, stored_states={stored({'leader': 'leadership/2'})})
    out = ctx.run(ctx.on.config_changed(), state)
    rendered = config_file.read_text()
    assert 'leader = leadership/2' in rendered and 'port = 9090' in rendered, rendered
    memory = out.get_stored_state('_stored', owner_path='LeadershipCharm')
    assert memory.content['leader'] == 'leadership/2'
