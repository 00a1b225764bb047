import numpy as np
import pytest

from agnet_bo import proposers
from agnet_bo.exceptions import InputError, UnknownNameError
from agnet_bo.presets import PROPOSERS, make_proposer
from agnet_bo.proposers import (
    EvolutionProposer,
    MutationProposer,
    RandomProposer,
    mutate,
)
from agnet_bo.spaces import DAGSpace, NB101Space, NB201Space


@pytest.fixture(scope="module")
def space():
    return NB201Space()


def _hamming(a, b):
    return sum(x != y for x, y in zip(a.ops, b.ops, strict=False))


@pytest.mark.parametrize("make", [NB201Space, NB101Space, lambda: DAGSpace(ops=["a", "b"], num_nodes=(3, 5))])
def test_mutate_gives_a_valid_different_neighbour(make):
    space = make()
    rng = np.random.default_rng(0)
    for arch in space.sample(20, seed=1):
        child = mutate(space, arch, rng)
        assert child is not None and space.is_valid(child)
        assert space.key(child) != space.key(arch)


def test_random_proposer_respects_exclude_and_runs_out(space):
    first = RandomProposer(space).propose(100, seed=0)
    keys = {space.key(a) for a in first}
    second = RandomProposer(space).propose(100, seed=0, exclude=keys)
    assert len(keys) == 100 and not keys & {space.key(a) for a in second}
    rest = RandomProposer(space).propose(15600, seed=0, exclude=keys)  # fewer left: all of them
    assert len(rest) == 15525 and len({space.key(a) for a in rest} | keys) == 15625


def test_local_search_proposes_neighbours_of_the_best(space):
    archs = space.sample(30, seed=0)
    u = np.arange(30.0)
    prop = make_proposer("local", space)
    prop.fit(archs, u)
    best = archs[-1]
    pool = prop.propose(10, seed=0, exclude={space.key(a) for a in archs})
    assert all(_hamming(best, a) == 1 for a in pool)  # NB201 mutations relabel one edge


def test_evolution_mutates_tournament_winners_of_the_recent_population(space):
    archs = space.sample(40, seed=0)
    u = np.zeros(40)
    u[5] = 10.0  # best but old: aged out of a population of the last 10
    u[35] = 5.0  # best of the population
    prop = EvolutionProposer(space, population=10, tournament=10)  # tournament = whole population
    prop.fit(archs, u)
    pool = prop.propose(8, seed=0, exclude={space.key(a) for a in archs})
    assert len(pool) == 8 and all(_hamming(archs[35], a) == 1 for a in pool)
    state = prop.state_dict()
    again = EvolutionProposer(space, population=10, tournament=10)
    again.load_state_dict(state)
    assert [space.key(a) for a in again.propose(8, seed=0)] == [space.key(a) for a in prop.propose(8, seed=0)]
    with pytest.raises(InputError, match="tournament"):
        EvolutionProposer(space, population=3, tournament=5)


def test_mutation_proposer_random_fraction_and_unfitted(space):
    prop = MutationProposer(space, n_parents=2, random_fraction=0.5)
    assert len(prop.propose(6, seed=0)) == 6  # unfitted: random architectures
    archs = space.sample(10, seed=3)
    prop.fit(archs, np.arange(10.0))
    pool = prop.propose(10, seed=0, exclude={space.key(a) for a in archs})
    near = sum(min(_hamming(a, p) for p in archs[-2:]) == 1 for a in pool)
    assert 5 <= near < 10  # half mutated parents, half random (a random one may land next to a parent)


def test_make_proposer_names(space):
    assert set(PROPOSERS) == {"agnet", "random", "mutation", "evolution", "local"}
    with pytest.raises(UnknownNameError, match="proposer"):
        make_proposer("bayesian", space)
    p = RandomProposer(space)
    assert make_proposer(p, space) is p


def test_generator_proposer_random_fraction(space):
    gp = make_proposer("agnet", space, random_fraction=0.5, seed=0)
    pool = gp.propose(20, seed=1)
    assert len({space.key(a) for a in pool}) == 20
    with pytest.raises(InputError, match="random_fraction"):
        make_proposer("agnet", space, random_fraction=1.0)


def test_agnet_proposer_retrains_the_autoregressive_generator_briefly(space):
    from agnet_bo.presets import AGNET_RETRAIN_EPOCHS

    assert make_proposer("agnet", space).generator.config.epochs == AGNET_RETRAIN_EPOCHS == 10
    assert make_proposer("agnet", space, epochs=30).generator.config.epochs == 30
    assert make_proposer("agnet", space, mode="paper").generator.config.epochs == 30  # the paper's


def test_mutation_proposer_keeps_every_parent_tied_with_the_last(space):
    archs = space.sample(12, seed=4)
    u = -np.array([0, 1, 0, 2, 0, 1, 0, 3, 0, 0, 1, 2], dtype=float)  # minus non-dominated ranks: 6 on the front
    prop = MutationProposer(space, n_parents=2)
    prop.fit(archs, u)
    assert [space.key(a) for a in prop.parents] == [space.key(archs[i]) for i in np.flatnonzero(u == 0)]


def test_generator_proposer_local_fraction_edits_the_best(space):
    archs = space.sample(30, seed=5)
    gp = make_proposer("agnet", space, local_fraction=0.5, n_parents=1, seed=0)
    pool = gp.propose(10, seed=1)  # unfitted: no parents yet, the generator fills the pool
    assert len({space.key(a) for a in pool}) == 10
    gp.fit(archs, np.arange(30.0))
    exclude = {space.key(a) for a in archs}
    pool = gp.propose(20, seed=1, exclude=exclude)
    keys = [space.key(a) for a in pool]
    assert len(set(keys)) == 20 and not set(keys) & exclude
    assert all(_hamming(archs[-1], a) == 1 for a in pool[:10])  # the first half: single edits of the best
    again = make_proposer("agnet", space, local_fraction=0.5, n_parents=1, seed=0)
    again.load_state_dict(gp.state_dict())
    assert [space.key(a) for a in again.propose(20, seed=1, exclude=exclude)] == keys
    with pytest.raises(InputError, match="local_fraction"):
        make_proposer("agnet", space, random_fraction=0.5, local_fraction=0.5)


def test_incumbent_share_covers_the_best_ones_whole_neighbourhood(space):
    """NB201: 6 edges x 4 other operations = 24 single edits of the best; with half of a pool of
    60 reserved for it, all 24 are there (uniform parents would give it about 3 of 60)."""
    archs = space.sample(10, seed=6)
    best = archs[-1]
    exclude = {space.key(a) for a in archs}
    prop = MutationProposer(space, n_parents=10, incumbent_share=0.5)
    prop.fit(archs, np.arange(10.0))
    pool = prop.propose(60, seed=2, exclude=exclude)
    near = [a for a in pool if _hamming(best, a) == 1]
    assert len(near) == 24 and len({space.key(a) for a in pool}) == 60
    # the rest of the pool still edits the other parents
    assert sum(min(_hamming(p, a) for p in archs[:-1]) == 1 for a in pool) >= 30
    plain = MutationProposer(space, n_parents=10)
    plain.fit(archs, np.arange(10.0))
    assert sum(_hamming(best, a) == 1 for a in plain.propose(60, seed=2, exclude=exclude)) < 24
    with pytest.raises(InputError, match="incumbent_share"):
        MutationProposer(space, incumbent_share=1.5)


@pytest.mark.parametrize("kind", ["mutation", "evolution"])
def test_mutation_pools_key_each_architecture_once_per_round(kind, monkeypatch):
    space = NB101Space()
    archs = space.sample(20, seed=0)
    exclude = {space.key(a) for a in archs}
    prop = make_proposer(kind, space)
    prop.fit(archs, np.arange(20.0))
    with monkeypatch.context() as m:  # without the memo: space.key on every call
        m.setattr(proposers, "_Keys", lambda sp: sp.key)
        expected = [space.key(a) for a in prop.propose(60, seed=0, exclude=exclude)]
    asked, key = [], space.key

    def counting_key(arch):
        asked.append(arch)
        return key(arch)

    monkeypatch.setattr(space, "key", counting_key)
    pool = prop.propose(60, seed=0, exclude=exclude)
    # The memo saves work only: the same pool as without it, and no architecture keyed twice in one round.
    assert [key(a) for a in pool] == expected
    assert len(asked) > 60 and len(asked) == len(set(asked))


def test_searches_of_a_user_space_share_one_pretrained_generator_whatever_their_seed(tmp_path, caplog):
    import logging

    from agnet_bo.proposers import GeneratorProposer
    from agnet_bo.spaces import DAGSpace

    space = DAGSpace(["a", "b", "c"], num_nodes=(3, 6))
    with caplog.at_level(logging.INFO, logger="agnet_bo.generator.generator"):
        first = GeneratorProposer(space, seed=1, pretrain_samples=64, pretrain_epochs=1, cache_dir=tmp_path)
        second = GeneratorProposer(space, seed=2, pretrain_samples=64, pretrain_epochs=1, cache_dir=tmp_path)
    assert sum("Pretraining a generator" in r.getMessage() for r in caplog.records) == 1
    assert len(list((tmp_path / "generators").iterdir())) == 1
    assert first.generator.sample(8, seed=0) == second.generator.sample(8, seed=0)  # the same pretrained state
    archs = space.sample(20, seed=3)
    values = [a.ops.count("a") for a in archs]
    first.fit(archs, values)
    second.fit(archs, values)
    assert first.generator.sample(8, seed=0) != second.generator.sample(8, seed=0)  # the search seed drives retraining
    own = GeneratorProposer(space, seed=2, pretrain_samples=64, pretrain_epochs=1, cache_dir=tmp_path, pretrain_seed=None)
    assert len(list((tmp_path / "generators").iterdir())) == 2 and own.get_params()["pretrain_seed"] is None
