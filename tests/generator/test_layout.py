"""The generator package's modules: public names, pinned cache keys and samples, atomic saves,
argument checks and the one-objective-per-mode selection."""

import importlib

import numpy as np
import pytest

from agnet_bo.exceptions import InputError
from agnet_bo.generator import Generator, GeneratorConfig
from agnet_bo.generator.config import MODES
from agnet_bo.generator.losses import LOSSES, AutoregressiveLoss, PaperLoss
from agnet_bo.spaces import DAGSpace, NB201Space

PUBLIC = ["Generator", "GeneratorConfig", "GraphDecoder", "SampleStats", "rank_weights", "space_fingerprint", "default_cache_dir"]


def test_public_names_stay_importable():
    package = importlib.import_module("agnet_bo.generator")
    assert set(PUBLIC) <= set(package.__all__)
    for module, names in [
        ("agnet_bo.generator.generator", ["Generator", "rank_weights", "space_fingerprint", "SampleStats", "default_cache_dir"]),
        ("agnet_bo.generator.model", ["GeneratorConfig", "GraphDecoder"]),
    ]:
        mod = importlib.import_module(module)
        for name in names:
            assert getattr(mod, name) is getattr(package, name), (module, name)


def test_each_mode_has_one_objective():
    assert set(LOSSES) == set(MODES)
    assert LOSSES["autoregressive"] is AutoregressiveLoss and LOSSES["paper"] is PaperLoss
    space = DAGSpace(ops=["a", "b"], num_nodes=(3, 5))
    assert Generator(space).surrogate_head is None
    assert Generator(space, mode="paper").surrogate_head is not None


@pytest.mark.parametrize(
    "mode, digest", [("autoregressive", "6c5a182ab616b2c1c7dd874d"), ("paper", "c13a154a6ead0dbc351a83ab")]
)
def test_cache_file_names_do_not_change(tmp_path, mode, digest):
    # a new key would silently pretrain every user's cached generator again
    space = DAGSpace(ops=["a", "b"], num_nodes=(3, 5))
    gen = Generator.for_space(space, mode, seed=1, pretrain_samples=64, pretrain_epochs=1, cache_dir=tmp_path)
    assert [p.name for p in (tmp_path / "generators").iterdir()] == [f"{digest}.pt"]
    again = Generator.for_space(space, mode, seed=1, pretrain_samples=64, pretrain_epochs=1, cache_dir=tmp_path, epochs=4)
    assert again.config.epochs == 4
    assert again.sample(5, seed=0) == gen.sample(5, seed=0)


SHIPPED_FIRST = "|skip_connect~0|+|none~0|none~1|+|avg_pool_3x3~0|avg_pool_3x3~1|nor_conv_3x3~2|"


@pytest.mark.parametrize(
    "mode, second",
    [
        ("autoregressive", "|nor_conv_1x1~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|none~0|skip_connect~1|nor_conv_3x3~2|"),
        ("paper", "|nor_conv_1x1~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|skip_connect~1|nor_conv_3x3~2|"),
    ],
)
def test_shipped_generators_draw_the_recorded_samples(mode, second):
    space = NB201Space()
    keys = [space.key(a) for a in Generator.from_pretrained(space, mode).sample(10, seed=0)]
    assert keys[:2] == [SHIPPED_FIRST, second] and len(set(keys)) == 10


def test_save_is_atomic_and_overwrites(tmp_path):
    space = DAGSpace.chain(["a", "b"], num_layers=2)
    gen = Generator(space, seed=0)
    gen.pretrain(archs=space.sample(4, seed=0), epochs=1, progress=False)
    path = tmp_path / "gen.pt"
    path.write_bytes(b"old")
    gen.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["gen.pt"]  # no temporary file left
    assert Generator.load(path, space).sample(3, seed=1) == gen.sample(3, seed=1)


def test_argument_checks_name_the_argument():
    space = DAGSpace.chain(["a", "b"], num_layers=2)
    gen = Generator(space, seed=0)
    with pytest.raises(InputError, match="`n_samples` must be an int >= 1"):
        gen.pretraining_samples(0)
    with pytest.raises(InputError, match="`epochs` must be an int >= 1, got float"):
        gen.pretrain(archs=space.sample(2, seed=0), epochs=1.5)
    with pytest.raises(InputError, match="`seed` must be a non-negative int"):
        Generator(space, seed=-1)
    gen.pretrain(archs=space.sample(4, seed=0), epochs=1, progress=False)
    with pytest.raises(InputError, match="`batch_size` must be an int >= 1"):
        gen.sample(1, batch_size=0)
    with pytest.raises(InputError, match="`max_draws`"):
        gen.sample(1, max_draws=-5)
    with pytest.raises(InputError, match="`seed`"):
        gen.draw(1, seed=-1)


def test_config_checks_and_normalises():
    assert type(GeneratorConfig(hidden_dim=np.int64(8)).hidden_dim) is int  # stays JSON data
    with pytest.raises(InputError, match="`lr` must be a finite number > 0"):
        GeneratorConfig(lr=float("inf"))
    with pytest.raises(InputError, match=r"`beta1` must be a number in \[0, 1\)"):
        GeneratorConfig(beta1=1.0)
    with pytest.raises(InputError, match="`epochs` must be a non-negative integer"):
        GeneratorConfig(epochs=-1)
    assert GeneratorConfig(epochs=0).epochs == 0
