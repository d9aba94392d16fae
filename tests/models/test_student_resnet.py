import pytest
import torch

from models.complexity import count_macs, count_parameters
from models.errors import UserError
from models.resnet import RESNETS, build_student


@pytest.mark.parametrize("arch", list(RESNETS))
def test_registry_output_shape(arch):
    model = build_student(arch)
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    n = RESNETS[arch][0]
    assert [len(stage) for stage in model.stages] == [n, n, n]
    assert int(arch.removeprefix("resnet")) == 6 * n + 2


@pytest.mark.parametrize(("arch", "params"), [("resnet20", 0.27e6), ("resnet32", 0.46e6)])
def test_parameter_counts_match_he_et_al(arch, params):
    # He et al. 2016, Table 6: ResNet-20 0.27M, ResNet-32 0.46M parameters (width 16)
    assert count_parameters(build_student(arch, width=16)) == pytest.approx(params, rel=0.025)


def test_macs_of_resnet20():
    # ~41 M multiply-accumulates per 32x32 image is the usual figure for ResNet-20
    assert count_macs(build_student("resnet20"), (1, 3, 32, 32)) == pytest.approx(41e6, rel=0.02)


def test_stage_shapes():
    model = build_student("resnet8", width=8)
    x = model.stem(torch.randn(1, 3, 32, 32))
    shapes = []
    for stage in model.stages:
        x = stage(x)
        shapes.append(tuple(x.shape[1:]))
    assert shapes == [(8, 32, 32), (16, 16, 16), (32, 8, 8)]


def test_depth_blocks_widths_config():
    assert [len(s) for s in build_student(depth=32).stages] == [5, 5, 5]
    assert [len(s) for s in build_student(blocks=[1, 2, 3]).stages] == [1, 2, 3]
    model = build_student(widths=[8, 12, 20])
    assert model.head.in_features == 20
    assert model.stages[1][0].conv1[0].out_channels == 12
    assert build_student(width=24).head.in_features == 96


@pytest.mark.parametrize("block", ["basic", "bottleneck", "separable"])
def test_block_types_train(block):
    model = build_student("resnet8", block=block, width=8)
    out = model(torch.randn(4, 3, 32, 32))
    out.sum().backward()
    assert out.shape == (4, 10)
    assert all(p.grad is not None for p in model.parameters())


def test_separable_blocks_are_depthwise_and_cheaper():
    sep = build_student("resnet20", block="separable")
    groups = [m.groups for m in sep.modules() if isinstance(m, torch.nn.Conv2d)]
    assert max(groups) == 64  # depthwise convolutions in the last stage
    assert (
        count_macs(sep, (1, 3, 32, 32)) < count_macs(build_student("resnet20"), (1, 3, 32, 32)) / 3
    )


def test_bottleneck_depth_is_9n_plus_2():
    assert [len(s) for s in build_student(depth=29, block="bottleneck").stages] == [3, 3, 3]
    assert build_student(depth=29, block="bottleneck").head.in_features == 256


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"depth": 33}, "model.depth=33"),
        ({"arch": "resnet99"}, "model.arch='resnet99'"),
        ({"block": "dense"}, "model.block='dense'"),
        ({"blocks": [5, 5, 5], "depth": 20}, "contradicts"),
        ({"widths": [16, 32]}, "model.widths"),
    ],
)
def test_bad_configs_name_the_field(kwargs, message):
    with pytest.raises(UserError, match=message.replace("[", r"\[").replace("(", r"\(")):
        build_student(**kwargs)
