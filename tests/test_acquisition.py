import time

import numpy as np
import pytest
import torch

from agnet_bo.acquisition import ACQUISITIONS, SINGLE_OBJECTIVE, Acquisition, AcquisitionContext, make_acquisition
from agnet_bo.benchmarks import NB201
from agnet_bo.exceptions import InputError, UnknownNameError
from agnet_bo.spaces import NB201Space
from agnet_bo.surrogates import GPSurrogate


@pytest.fixture(scope="module")
def setup():
    space = NB201Space()
    bench = NB201("cifar10")
    archs = space.sample(40, seed=0)
    Y = np.array([[bench.evaluate(a)["valid-accuracy"], -bench.evaluate(a)["latency-pixel3"]] for a in archs])
    gp = GPSurrogate(space, seed=0).fit(archs, Y)
    pool = space.sample(60, seed=1)
    return space, archs, Y, gp, pool


_SETTINGS = ("mc_samples", "mc_samples_mo", "anchor_share", "parego_weights", "observation_noise", "kappa")


class Case:
    """An AcquisitionContext and the acquisition settings a test case uses."""

    def __init__(self, ctx, settings):
        self.ctx, self.settings = ctx, settings

    def __getattr__(self, name):
        return getattr(self.ctx, name)


def _ctx(gp, archs, Y, **kw):
    settings = {k: kw.pop(k) for k in list(kw) if k in _SETTINGS}
    return Case(AcquisitionContext(train_archs=archs, train_Y=gp.transform_targets(Y), **kw), settings)


def _acquisition(name, s):
    """The built-in ``name`` with the case's settings that it takes (MC samples of the hypervolume
    picks are ``mc_samples_mo``)."""
    noise = {"observation_noise": s["observation_noise"]} if "observation_noise" in s else {}
    if name == "ucb":
        kw = {k: s[k] for k in ("kappa", "mc_samples") if k in s}
    elif name in ("qlogei", "qlognei"):
        kw = {k: s[k] for k in ("mc_samples",) if k in s}
    elif name in ("qlogehvi", "qlognehvi"):
        kw = {"mc_samples": s["mc_samples_mo"]} if "mc_samples_mo" in s else {}
    elif name in ("parego", "qlogehvi+parego"):
        kw = {k: s[k] for k in ("anchor_share", "mc_samples") if k in s}
        if "parego_weights" in s:
            kw["weights"] = s["parego_weights"]
        if name != "parego" and "mc_samples_mo" in s:
            kw["mc_samples_mo"] = s["mc_samples_mo"]
    else:
        kw, noise = {}, {}
    return make_acquisition(name, **kw, **noise)


def select(name, surrogate, pool, q, case):
    return _acquisition(name, case.settings).choose(surrogate, pool, q, case.ctx)


@pytest.mark.parametrize("name", ACQUISITIONS)
def test_every_acquisition_returns_q_distinct_pool_indices(setup, name):
    _space, archs, Y, gp, pool = setup
    ctx = _ctx(gp, archs, Y, objectives=[0, 1], mc_samples=32, seed=0)
    if name in SINGLE_OBJECTIVE:
        ctx.ctx.objectives = [0]
    out = select(name, gp, pool, 8, ctx)
    assert len(out) == 8 and len(set(out)) == 8 and all(0 <= i < len(pool) for i in out)


def test_greedy_takes_the_best_predicted_means(setup):
    _space, archs, Y, gp, pool = setup
    mean, _ = gp.predict(pool)
    out = select("greedy", gp, pool, 5, _ctx(gp, archs, Y, objectives=[0]))
    assert set(out) == set(np.argsort(-mean[:, 0].numpy())[:5].tolist())


def test_believer_ehvi_is_fast_for_big_batches_and_spreads_along_the_front(setup):
    """Exact joint qEHVI costs 2^q terms; the believer version picks 16 in about a second."""
    _space, archs, Y, gp, pool = setup
    ctx = _ctx(gp, archs, Y, objectives=[0, 1], mc_samples=64, seed=0)
    start = time.perf_counter()
    out = select("qlogehvi", gp, pool, 16, ctx)
    assert time.perf_counter() - start < 30
    mean, _ = gp.predict([pool[i] for i in out])
    # not 16 copies of the single most accurate corner: the picks cover a range of latencies
    assert np.ptp(mean[:, 1].numpy()) > 0.1 * np.ptp(Y[:, 1])


def test_parego_draws_a_scalarisation_per_pick(setup):
    """qNParEGO-style: each pick has its own random Chebyshev weights, so one batch spans the front."""
    _space, archs, Y, gp, pool = setup
    out = select("parego", gp, pool, 8, _ctx(gp, archs, Y, objectives=[0, 1], mc_samples=32, seed=0))
    mean, _ = gp.predict(pool)
    picked = mean[out].numpy()
    # the picks reach from the pool's more accurate end to its faster end
    assert np.ptp(picked[:, 1]) > 0.3 * np.ptp(mean[:, 1].numpy())
    assert np.ptp(picked[:, 0]) > 0.3 * np.ptp(mean[:, 0].numpy())


def test_parego_anchor_picks_maximise_one_objective_at_a_time(setup):
    """With ``anchor_share`` a share of ParEGO's picks is qLogNEI of one objective alone, cycling
    over the objectives and counting pending trials, like the weights."""
    _space, archs, Y, gp, pool = setup
    ctx = _ctx(gp, archs, Y, objectives=[0, 1], mc_samples=32, seed=4, anchor_share=1.0)
    first = select("parego", gp, pool, 1, ctx)
    assert first == select("qlognei", gp, pool, 1, _ctx(gp, archs, Y, objectives=[0], mc_samples=32, seed=4))
    rest = [a for i, a in enumerate(pool) if i != first[0]]
    ctx.ctx.pending = [pool[first[0]]]
    second = select("parego", gp, rest, 1, ctx)
    fast = _ctx(gp, archs, Y, objectives=[1], mc_samples=32, seed=4, pending=[pool[first[0]]])
    assert second == select("qlognei", gp, rest, 1, fast)
    mean, _ = gp.predict(pool)
    assert mean[first[0], 0] > np.median(mean[:, 0].numpy()) and rest[second[0]] != pool[first[0]]
    # a quarter: picks 3, 7, 11, ... are the anchors, the others keep their random weights
    plain = select("parego", gp, pool, 3, _ctx(gp, archs, Y, objectives=[0, 1], mc_samples=32, seed=4))
    quarter = select("parego", gp, pool, 3, _ctx(gp, archs, Y, objectives=[0, 1], mc_samples=32, seed=4, anchor_share=0.25))
    assert plain == quarter


def test_parego_sobol_weights_spread_one_batch_and_keep_earlier_picks(setup):
    """``parego_weights="sobol"``: pick g takes the g-th point of one scrambled Sobol sequence, so
    a batch's trade-offs are stratified (for two objectives, one weight in each half of [0, 1]
    per two picks), and with the same seed a pick counted after pending trials continues the
    sequence as the batch does."""
    from agnet_bo.acquisition.multi import _parego_weights

    _space, archs, Y, gp, pool = setup
    ctx = _ctx(gp, archs, Y, objectives=[0, 1], mc_samples=32, seed=5, parego_weights="sobol")
    w = np.stack([_parego_weights(2, g, "sobol", 5).numpy() for g in range(16)])
    assert np.allclose(w.sum(1), 1) and (w >= 0).all()
    for k in (2, 4, 8, 16):  # each of k equal bins of the first weight holds one of the first k picks
        assert sorted(np.floor(w[:k, 0] * k).astype(int).tolist()) == list(range(k))
    batch = select("parego", gp, pool, 2, ctx)
    first = select("parego", gp, pool, 1, ctx)
    rest = [a for i, a in enumerate(pool) if i != first[0]]
    one_at_a_time = _ctx(gp, archs, Y, objectives=[0, 1], mc_samples=32, seed=5, parego_weights="sobol", pending=[pool[first[0]]])
    second = select("parego", gp, rest, 1, one_at_a_time)
    assert [pool[i] for i in batch] == [pool[first[0]], rest[second[0]]]
    with pytest.raises(UnknownNameError, match="weights"):
        make_acquisition("parego", weights="grid")


def test_hybrid_alternates_ehvi_and_parego_counting_pending_trials(setup):
    """Picks alternate qLogEHVI / ParEGO over pending trials and earlier picks together, so a
    worker asking one at a time gets the same alternation as a batch."""
    _space, archs, Y, gp, pool = setup
    ctx = _ctx(gp, archs, Y, objectives=[0, 1], mc_samples=32, seed=3)
    first = select("qlogehvi+parego", gp, pool, 1, ctx)
    assert first == select("qlogehvi", gp, pool, 1, ctx)
    rest = [a for i, a in enumerate(pool) if i != first[0]]
    ctx.ctx.pending = [pool[first[0]]]
    second = select("qlogehvi+parego", gp, rest, 1, ctx)
    assert second == select("parego", gp, rest, 1, ctx)
    batch = select("qlogehvi+parego", gp, pool, 2, _ctx(gp, archs, Y, objectives=[0, 1], mc_samples=32, seed=3))
    assert [pool[i] for i in batch] == [pool[first[0]], rest[second[0]]]


def test_mixed_acquisition_with_a_constraint(setup):
    _space, archs, Y, gp, pool = setup
    ctx = _ctx(gp, archs, Y, objectives=[0, 1], mc_samples=32, seed=0)
    ctx.ctx.constraints = [(1, float(np.median(ctx.train_Y[:, 1].numpy())), -1)]  # the faster half
    out = select("qlogehvi+parego", gp, pool, 6, ctx)
    assert len(set(out)) == 6


def test_observation_noise_lets_twins_of_an_evaluated_cell_improve(setup):
    """Cells computing the same function as an evaluated one look identical to the GP, yet their
    measured latencies differ. Under the latent posterior such a twin can hardly improve on the
    evaluated cell; scored as a new measurement (``observation_noise``) it can."""
    space, archs, Y, _gp, _pool = setup
    bench = NB201("cifar10")
    ident = [i for i in range(space.size) if (o := space.from_index(i).ops)[4] == "skip_connect" and o[5] == o[6] == "none"]
    archs = archs + [space.from_index(ident[0])]  # output = the input: every other op is dead
    Y = np.vstack([Y, [[bench.evaluate(archs[-1])["valid-accuracy"], -bench.evaluate(archs[-1])["latency-pixel3"]]]])
    gp = GPSurrogate(space, seed=0).fit(archs, Y)
    pool = [space.from_index(i) for i in ident[1:9]] + space.sample(52, seed=1)
    twins = {}  # twins among 8 picks, for three Monte-Carlo seeds
    for noise in (False, True):
        twins[noise] = [
            sum(i < 8 for i in select("qlognei", gp, pool, 8, _ctx(gp, archs, Y, objectives=[1], mc_samples=64, seed=s, observation_noise=noise)))
            for s in range(3)
        ]
    # the twins are 8 of 60 cells; near ties decide the exact count, so ask for a clear margin only
    assert min(twins[True]) >= 4, twins
    assert sum(twins[True]) >= sum(twins[False]) + 6, twins


def test_pending_points_change_ucb_picks(setup):
    _space, archs, Y, gp, pool = setup
    base = select("ucb", gp, pool, 4, _ctx(gp, archs, Y, objectives=[0], mc_samples=64))
    pending = [pool[i] for i in base]
    rest = [a for i, a in enumerate(pool) if i not in base]
    alone = select("ucb", gp, rest, 4, _ctx(gp, archs, Y, objectives=[0], mc_samples=64))
    again = select("ucb", gp, rest, 4, _ctx(gp, archs, Y, objectives=[0], mc_samples=64, pending=pending))
    assert len(set(again)) == 4 and set(again) != set(alone)  # the pending ones condition the picks


def test_ucb_kappa_per_pick_cycles_over_pending_trials_and_earlier_picks(setup):
    _space, archs, Y, gp, pool = setup
    mean, _ = gp.predict(pool)
    spread = select("ucb", gp, pool, 2, _ctx(gp, archs, Y, objectives=[0], mc_samples=64, kappa=(0.0, 5.0)))
    assert spread[0] == int(np.argmax(mean[:, 0].numpy()))  # kappa 0: the best predicted mean
    wide = select("ucb", gp, pool, 1, _ctx(gp, archs, Y, objectives=[0], mc_samples=64, kappa=5.0))
    assert wide[0] != spread[0]  # so the weights really differ between picks
    # a worker asking alone while one trial is pending gets the second weight, as in the batch
    rest = [a for i, a in enumerate(pool) if i != spread[0]]
    ctx = _ctx(gp, archs, Y, objectives=[0], mc_samples=64, kappa=(0.0, 5.0), pending=[pool[spread[0]]])
    alone = select("ucb", gp, rest, 1, ctx)
    ctx.settings["kappa"] = 5.0
    assert alone == select("ucb", gp, rest, 1, ctx)
    assert rest[alone[0]] == pool[spread[1]]


def test_ucb_kappa_cycles_over_the_search_in_a_one_ask_one_tell_loop(setup):
    """Nothing pending, one pick: the pick's place in the search (``n_asked``) chooses the weight,
    so a loop that tells each result before its next ask cycles through the kappas too."""
    _space, archs, Y, gp, pool = setup
    picks = {}
    for n_asked in (40, 41, 42):
        ctx = _ctx(gp, archs, Y, objectives=[0], mc_samples=64, kappa=(0.0, 5.0), n_asked=n_asked)
        picks[n_asked] = select("ucb", gp, pool, 1, ctx)
    greedy = select("ucb", gp, pool, 1, _ctx(gp, archs, Y, objectives=[0], mc_samples=64, kappa=0.0))
    wide = select("ucb", gp, pool, 1, _ctx(gp, archs, Y, objectives=[0], mc_samples=64, kappa=5.0))
    assert greedy != wide
    assert picks[40] == picks[42] == greedy and picks[41] == wide


def test_parego_anchors_come_round_in_a_one_ask_one_tell_loop(setup):
    _space, archs, Y, gp, pool = setup
    best = {j: select("qlognei", gp, pool, 1, _ctx(gp, archs, Y, objectives=[j], mc_samples=32, seed=4))[0] for j in (0, 1)}
    assert best[0] != best[1]
    anchored = []
    for n_asked in range(8):
        ctx = _ctx(gp, archs, Y, objectives=[0, 1], mc_samples=32, seed=4, anchor_share=0.5, n_asked=n_asked)
        anchored.append(select("parego", gp, pool, 1, ctx)[0])
    # picks 1, 3, 5, 7 of the search are anchors, alternating objectives 0, 1, 0, 1
    assert [anchored[g] for g in (1, 3, 5, 7)] == [best[0], best[1], best[0], best[1]]


def test_context_pick_index():
    import torch

    ctx = AcquisitionContext(train_archs=[], train_Y=torch.zeros(0, 1), pending=[None, None], n_asked=10)
    assert [ctx.pick_index(k) for k in range(3)] == [10, 11, 12]
    ctx.n_asked = 0  # built without n_asked: counted over the pending trials, as a batch's picks
    assert ctx.pick_index(1) == 3


def test_thompson_sampling_is_seeded_and_favours_high_predicted_means(setup):
    _space, archs, Y, gp, pool = setup
    mean = gp.predict(pool)[0][:, 0].numpy()
    picks = {s: select("ts", gp, pool, 8, _ctx(gp, archs, Y, objectives=[0], seed=s)) for s in (0, 1, 2)}
    assert picks[0] == select("ts", gp, pool, 8, _ctx(gp, archs, Y, objectives=[0], seed=0))
    assert picks[1] != picks[2]  # each seed draws its own posterior samples
    for out in picks.values():
        assert len(set(out)) == 8
        assert mean[out].mean() > np.median(mean)  # draws from the posterior, not uniform picks


def test_errors(setup):
    _space, archs, Y, gp, pool = setup
    ctx = _ctx(gp, archs, Y, objectives=[0])
    with pytest.raises(UnknownNameError, match="acquisition"):
        select("thompson", gp, pool, 2, ctx)
    with pytest.raises(InputError, match="pool of 60"):
        select("ucb", gp, pool, 61, ctx)
    for name in ("ucb", "ts"):
        with pytest.raises(InputError, match="constraints"):
            make_acquisition(name).check(1, 1)
    with pytest.raises(InputError, match="several objectives"):
        make_acquisition("parego").check(1, 0)
    with pytest.raises(InputError, match="single-objective"):
        make_acquisition("qlognei").check(2, 0)
    with pytest.raises(InputError, match="does not accept"):
        make_acquisition("ucb", anchor_share=0.5)
    with pytest.raises(InputError, match="kappa"):
        make_acquisition("ucb", kappa=-1)


@pytest.mark.parametrize("name", ["ucb", "qlogei", "qlognei"])
def test_deep_ensembles_work_with_sampling_acquisitions(setup, name):
    """An EnsemblePosterior needs BoTorch's index sampler, not the quasi-MC normal one."""
    from agnet_bo.surrogates import MLPSurrogate

    space, archs, Y, _gp, pool = setup
    mlp = MLPSurrogate(space, n_members=3, steps=30, seed=0).fit(archs, Y[:, :1])
    ctx = Case(AcquisitionContext(train_archs=archs, train_Y=mlp.transform_targets(Y[:, :1])), {"mc_samples": 16})
    out = select(name, mlp, pool, 4, ctx)
    assert len(set(out)) == 4


@pytest.mark.parametrize("name", ["qlognei", "parego", "qlognehvi"])
def test_picks_depend_on_the_seed_alone_not_on_torchs_global_rng(setup, name):
    """qLogNEI prunes its baseline with an unseeded sampler; the picks must not vary with torch's
    global random state, and that state is left untouched."""
    import torch

    _space, archs, Y, gp, pool = setup
    objectives = [0] if name == "qlognei" else [0, 1]
    picks = []
    for state in (1, 2):
        torch.manual_seed(state)
        before = torch.random.get_rng_state()
        picks.append(select(name, gp, pool, 3, _ctx(gp, archs, Y, objectives=objectives, mc_samples=32, seed=5)))
        assert torch.equal(torch.random.get_rng_state(), before)
    assert picks[0] == picks[1]


def test_a_users_acquisition_is_checked_seeded_and_its_bad_output_refused(setup):
    """The public contract: subclass Acquisition, implement select; choose() seeds torch from the
    context and checks what comes back."""
    import torch

    _space, archs, Y, gp, pool = setup

    class LowestVariance(Acquisition):
        name = "lowest-variance"

        def select(self, surrogate, pool, q, context):
            _, var = surrogate.predict(list(pool))
            noise = torch.rand(len(pool)) * 1e-12  # torch's global RNG: seeded by choose()
            return (var[:, 0] + noise).argsort()[:q].tolist()

    ctx = _ctx(gp, archs, Y, objectives=[0], seed=3).ctx
    acq = LowestVariance()
    picks = acq.choose(gp, pool, 4, ctx)
    _, var = gp.predict(pool)
    assert sorted(picks) == sorted(var[:, 0].argsort()[:4].tolist()) and picks == acq.choose(gp, pool, 4, ctx)

    class Broken(Acquisition):
        def select(self, surrogate, pool, q, context):
            return [0] * q

    with pytest.raises(InputError, match="distinct indices"):
        Broken().choose(gp, pool, 3, ctx)


def test_conditioning_the_pool_is_gaussian_conditioning_and_composes(setup):
    space, _archs, _Y, _gp, pool = setup
    gp1 = GPSurrogate(space, seed=0).fit(_archs, _Y[:, :1])
    handle = gp1.pool_handle(pool)
    mean, cov, noise = handle
    s = [3, 10, 20]
    m2, c2, _ = gp1.pool_condition(handle, s)
    torch_cov = cov[0]
    k = torch_cov[s][:, s] + noise[0] * torch.eye(3, dtype=torch_cov.dtype)
    expected = torch_cov - torch_cov[:, s] @ torch.linalg.solve(k, torch_cov[s, :])
    assert torch.equal(m2, mean)  # believed at their means: the means do not move
    torch.testing.assert_close(c2[0], expected)
    assert (c2[0].diagonal()[s] < torch_cov.diagonal()[s]).all()
    twice = gp1.pool_condition(gp1.pool_condition(handle, s[:1]), s[1:])
    torch.testing.assert_close(twice[1], c2)  # one point at a time is all at once
    model = gp1.as_botorch_model(pool)
    cond = model.conditioned(s)
    assert cond is not None and cond is not model and model.conditioned([]) is not None
    torch.testing.assert_close(cond.posterior(torch.tensor([[3.0]])).variance.squeeze(), c2[0, 3, 3] + 1e-8)


def test_many_pending_trials_are_conditioned_on_not_scored_jointly(setup, monkeypatch):
    from agnet_bo.acquisition import MAX_JOINT, _pool

    space, archs, Y, gp, pool = setup
    pending = space.sample(MAX_JOINT + 12, seed=7)
    seen = []  # per pick: the joint size and whether the model was conditioned
    original = _pool.best_left

    def spy(acq, n_pool, taken):
        seen.append((0 if acq.X_pending is None else acq.X_pending.shape[0], acq.model))
        return original(acq, n_pool, taken)

    monkeypatch.setattr(_pool, "best_left", spy)
    for name in ("ucb", "qlognei"):
        seen.clear()
        ctx = _ctx(gp, archs, Y, objectives=[0], mc_samples=16, pending=pending)
        out = select(name, gp, pool, 5, ctx)
        assert len(set(out)) == 5
        if name == "ucb":  # (qLogNEI moves X_pending into its baseline)
            assert [n for n, _ in seen] == [MAX_JOINT] * 5  # the joint never holds more than MAX_JOINT
        models = [m for _, m in seen]
        assert len({id(m) for m in models}) == 5  # a model conditioned on more older points at each pick
    seen.clear()
    few = _ctx(gp, archs, Y, objectives=[0], mc_samples=16, pending=pending[:4])
    select("ucb", gp, pool, 3, few)
    assert seen == []  # up to MAX_JOINT: BoTorch's joint sequential greedy, as before


def test_a_surrogate_that_cannot_condition_sees_the_latest_pending_only(setup):
    from agnet_bo.acquisition import MAX_JOINT
    from agnet_bo.surrogates import MLPSurrogate

    space, archs, Y, _gp, pool = setup
    mlp = MLPSurrogate(space, n_members=3, steps=30, seed=0).fit(archs, Y[:, :1])
    assert mlp.as_botorch_model(pool).conditioned([0]) is None
    ctx = Case(AcquisitionContext(train_archs=archs, train_Y=mlp.transform_targets(Y[:, :1]),
                                  pending=space.sample(MAX_JOINT + 5, seed=3)), {"mc_samples": 16})
    assert len(set(select("ucb", mlp, pool, 4, ctx))) == 4
