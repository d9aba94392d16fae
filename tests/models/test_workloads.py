"""Layer extraction: PyTorch modules → hwsim problems, checked against independent counts."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn
from torch.nn.utils import prune

from hwsim.cli import main
from hwsim.errors import SpecError
from hwsim.spec import load_specs
from models.resnet import RESNETS, build_student
from models.resnet_layers import registry_workloads
from models.workloads import extract_workloads, workloads_from_source


def independent_macs(model: nn.Module, shape: tuple[int, ...]) -> int:
    """MACs of every Conv2d/Linear from output sizes: out elements × (C/groups) × kernel area."""
    total = 0

    def hook(module, _inputs, output):
        nonlocal total
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            total += output.numel() * (module.in_channels // module.groups) * kh * kw
        else:
            total += output.numel() * module.in_features

    handles = [
        m.register_forward_hook(hook)
        for m in model.modules()
        if isinstance(m, nn.Conv2d | nn.Linear)
    ]
    with torch.no_grad():
        model.eval()(torch.zeros(1, *shape))
    for h in handles:
        h.remove()
    return total


# Hand counts (32x32 input, widths 16/32/64). Option A: stem 3·16·9·32² = 442,368; a 16->16 3x3
# conv at 32² 2,359,296, as is a 32->32 at 16² and a 64->64 at 8²; each stage's strided first conv
# 1,179,648; head 640. ResNet-20: 442,368 + 6·2,359,296 + 2·(1,179,648 + 5·2,359,296) + 640
# = 40,551,040; ResNet-32 (n=5): 68,862,592. Option B adds two 1x1 projections, 16->32 at 16² and
# 32->64 at 8²: 131,072 MACs each.
@pytest.mark.parametrize(
    ("arch", "shortcut", "layers", "macs"),
    [
        ("resnet20", "A", 20, 40_551_040),  # stem + 2 convs per block + head
        ("resnet32", "A", 32, 68_862_592),
        ("resnet20", "B", 22, 40_551_040 + 2 * 131_072),  # + 2 downsample 1x1
        ("resnet32", "B", 34, 68_862_592 + 2 * 131_072),
    ],
)
def test_resnets(arch: str, shortcut: str, layers: int, macs: int) -> None:
    model = build_student(arch, shortcut=shortcut)
    problems = extract_workloads(model, (3, 32, 32))
    assert len(problems) == layers
    assert sum(p.macs for p in problems) == macs == independent_macs(model, (3, 32, 32))
    stem = problems[0]
    assert stem.name == "stem.0" and stem.bounds == {
        "C": 3,
        "M": 16,
        "R": 3,
        "S": 3,
        "N": 1,
        "P": 32,
        "Q": 32,
    }


def test_option_a_resnet32_has_no_downsample_convs_and_option_b_two() -> None:
    """The course's ResNet-32 (option A): 31 3x3 convs and the linear head, nothing 1x1; option B
    adds exactly the two strided 1x1 projections where the stages change shape."""
    a = extract_workloads(build_student("resnet32", shortcut="A"), (3, 32, 32))
    kernels = [(p.bounds["R"], p.bounds["S"]) for p in a]
    assert kernels.count((3, 3)) == 31 and kernels.count((1, 1)) == 1  # the 1x1 is the head
    assert a[-1].name == "head" and a[-1].bounds["C"] == 64 and a[-1].bounds["M"] == 10
    assert not any("shortcut" in p.name for p in a)

    b = extract_workloads(build_student("resnet32", shortcut="B"), (3, 32, 32))
    extra = [p for p in b if "shortcut" in p.name]
    assert [p.name for p in extra] == ["stages.1.0.shortcut.0", "stages.2.0.shortcut.0"]
    assert [(p.bounds["C"], p.bounds["M"], p.bounds["P"]) for p in extra] == [
        (16, 32, 16),
        (32, 64, 8),
    ]
    assert all(p.bounds["R"] == p.bounds["S"] == 1 for p in extra)
    assert [p.name for p in b if "shortcut" not in p.name] == [p.name for p in a]


class Mixed(nn.Module):
    """Stride 2, a 1×1 downsample, a depthwise conv, a grouped conv, dilation, a Linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, stride=2, padding=1)  # 32 → 16
        self.down = nn.Conv2d(8, 16, 1, stride=2)  # 16 → 8
        self.depthwise = nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.grouped = nn.Conv2d(16, 32, (3, 5), padding=(2, 4), dilation=2, groups=4)
        self.head = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.grouped(self.depthwise(self.down(self.conv(x))))
        return self.head(x.mean(dim=(2, 3)))


def test_extraction_runs_in_eval_mode_and_gives_the_model_back() -> None:
    model = build_student("resnet8", width=8).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    seen = []
    model.stem.register_forward_hook(lambda mod, _in, _out: seen.append(mod.training))
    extract_workloads(model, (3, 32, 32))
    assert seen == [False] and model.training
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())  # BN stats too


def test_strides_groups_dilation_and_linear() -> None:
    model = Mixed()
    p = {problem.name: problem for problem in extract_workloads(model, (3, 32, 32))}
    assert p["conv"].bounds == {"C": 3, "M": 8, "R": 3, "S": 3, "N": 1, "P": 16, "Q": 16}
    assert p["conv"].coefficient_values["Wstride"] == 2
    assert p["down"].bounds == {"C": 8, "M": 16, "R": 1, "S": 1, "N": 1, "P": 8, "Q": 8}
    assert p["depthwise"].bounds == {
        "G": 16,
        "C": 1,
        "M": 1,
        "R": 3,
        "S": 3,
        "N": 1,
        "P": 8,
        "Q": 8,
    }
    # kernel (3 high, 5 wide): R walks the width, S the height
    assert p["grouped"].bounds == {"G": 4, "C": 4, "M": 8, "R": 5, "S": 3, "N": 1, "P": 8, "Q": 8}
    assert p["grouped"].coefficient_values["Wdilation"] == 2
    assert p["head"].bounds == {"C": 32, "M": 10, "R": 1, "S": 1, "N": 1, "P": 1, "Q": 1}
    assert sum(q.macs for q in p.values()) == independent_macs(model, (3, 32, 32))
    # the projections give the input tile a strided layer really reads: (P−1)·stride + R
    assert p["conv"].tensor_extent("Inputs") == (1, 3, 33, 33)


def test_pruned_channels_are_removed() -> None:
    model = nn.Sequential(nn.Conv2d(4, 6, 3, padding=1), nn.Conv2d(6, 5, 1))
    prune.custom_from_mask(
        model[0], "weight", torch.ones(6, 4, 3, 3).index_fill_(0, torch.tensor([1, 4]), 0)
    )
    with torch.no_grad():
        model[1].weight[2].zero_()  # a zero output channel
        model[1].weight[:, 0].zero_()  # input channel 0 unused by every output
    first, second = extract_workloads(model, (4, 8, 8))
    assert (first.size("C"), first.size("M")) == (4, 4)
    assert (second.size("C"), second.size("M")) == (5, 4)


def test_unsupported_layer_is_a_clear_error() -> None:
    model = nn.Sequential(nn.Conv1d(3, 4, 3))
    with pytest.raises(ValueError, match=r"unsupported layer type\(s\).*'0'"):
        extract_workloads(model, (3, 16))
    with pytest.raises(SpecError, match="neither a model name"):
        workloads_from_source("resnet99")


def test_export_layers_round_trip(tmp_path: Path) -> None:
    assert main(["export-layers", "resnet20", str(tmp_path)]) == 0
    expected = extract_workloads(build_student("resnet20"), (3, 32, 32))
    for fmt in ("v0.4", "v0.3"):
        files = sorted((tmp_path / fmt).glob("*.yaml"))
        assert len(files) == len(expected)
        for path, problem in zip(files, expected, strict=True):
            loaded = load_specs([path]).problem
            assert (
                loaded.bounds == problem.bounds
                and loaded.coefficient_values == problem.coefficient_values
            )
            assert loaded.rank_coefficients == problem.rank_coefficients
    assert "data-spaces" in (tmp_path / "v0.3" / "00_stem.0.yaml").read_text()


def test_model_config_and_checkpoint_sources(tmp_path: Path) -> None:
    config = tmp_path / "model.yaml"
    config.write_text(
        "_target_: models.resnet.build_student\narch: resnet8\nwidth: 8\nnum_classes: ${data.num_classes}\n"
    )
    from_config = workloads_from_source(str(config))
    # stem + 2 convs per block + head (option A: no shortcut convs)
    assert from_config[0].size("M") == 8 and len(from_config) == 1 + 3 * 2 + 1
    config.write_text(config.read_text() + "shortcut: B\n")
    assert len(workloads_from_source(str(config))) == 1 + 3 * 2 + 2 + 1  # + 2 projections
    module = build_student("resnet8", width=8)
    saved = tmp_path / "net.pt"
    torch.save(module, saved)
    assert [p.bounds for p in workloads_from_source(str(saved))] == [p.bounds for p in from_config]
    with pytest.raises(SpecError, match="neither a model name"):
        workloads_from_source(str(tmp_path / "missing.ckpt"))


def test_a_run_saved_before_shortcut_types_is_read_with_its_projections(tmp_path: Path) -> None:
    run = tmp_path / "run"
    (run / ".hydra").mkdir(parents=True)
    (run / ".hydra" / "config.yaml").write_text(
        "model:\n  _target_: models.resnet.build_student\n  arch: resnet8\n  width: 8\n"
    )
    assert len(workloads_from_source(str(run))) == 1 + 3 * 2 + 2 + 1  # option B's 2 projections


@pytest.mark.parametrize(
    ("text", "where", "got"),
    [("- resnet8\n- resnet20\n", "", "a list"), ("model: null\n", ": model", "null")],
)
def test_a_config_that_is_not_a_mapping_names_its_file(
    tmp_path: Path, text: str, where: str, got: str
) -> None:
    # these were "Input cfg is not an OmegaConf config object" and "dictionary update sequence
    # element #0 has length 1", naming no file
    config = tmp_path / "model.yaml"
    config.write_text(text)
    with pytest.raises(SpecError, match=rf"^{config}{where} must be a mapping, got {got}"):
        workloads_from_source(str(config))


@pytest.mark.parametrize("name", list(RESNETS))
@pytest.mark.parametrize("shape", [(3, 32, 32), (1, 3, 20, 13)])
def test_registry_networks_have_their_layers_without_a_forward_pass(
    name: str, shape: tuple[int, ...]
) -> None:
    """`hwsim network-energy resnet32` answers a registry name without PyTorch: the same problems,
    names and order as extracting them from the built network (odd sizes: the stride-2 rounding)."""
    expected = extract_workloads(build_student(arch=name), shape)
    computed = registry_workloads(name, shape)
    assert computed is not None
    assert [p.name for p in computed] == [p.name for p in expected]
    assert computed == expected
    assert workloads_from_source(name, shape) == expected


@pytest.mark.parametrize(
    ("source", "shape"), [("resnet20", (1, 32, 32)), ("resnet20", (2, 3, 32, 32)), ("x", (3, 8, 8))]
)
def test_what_the_registry_shapes_do_not_cover_goes_to_pytorch(
    source: str, shape: tuple[int, ...]
) -> None:
    assert registry_workloads(source, shape) is None
