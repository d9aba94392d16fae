import pytest
import torch

from models.blocks import BasicBlock, PaddedIdentity
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


# ResNet-32, widths 16/32/64, 10 classes, counted by hand: stem conv 3·16·9 + BN 2·16 = 464;
# stage 1: 10 x (16·16·9 + 32) = 23,360; stage 2: (16·32·9 + 64) + 9 x (32·32·9 + 64) = 88,192;
# stage 3: (32·64·9 + 128) + 9 x (64·64·9 + 128) = 351,488; head 64·10 + 10 = 650.
RESNET32_A = 464 + 23_360 + 88_192 + 351_488 + 650
# option B: a 1x1 projection + BN where stages 2 and 3 begin: 16·32 + 64 and 32·64 + 128
PROJECTIONS = (16 * 32 + 2 * 32) + (32 * 64 + 2 * 64)


def test_resnet32_option_a_has_he_et_al_parameter_count():
    assert RESNET32_A == 464_154  # He et al.: 0.46 M
    assert count_parameters(build_student("resnet32")) == RESNET32_A  # option A is the default
    assert count_parameters(build_student("resnet32", shortcut="A")) == RESNET32_A


def test_option_b_adds_the_projection_convs_and_batchnorms():
    model = build_student("resnet32", shortcut="B")
    assert count_parameters(model) == RESNET32_A + PROJECTIONS == 466_906
    projections = [m.shortcut for stage in model.stages for m in stage if len(m.shortcut._modules)]
    assert [type(p[0]).__name__ for p in projections] == ["Conv2d", "Conv2d"]
    assert [(p[0].kernel_size, p[0].stride) for p in projections] == [((1, 1), (2, 2))] * 2
    assert count_parameters(build_student("resnet20", shortcut="b")) == 269_722 + PROJECTIONS


def test_option_a_subsamples_and_pads_channels_with_zeros():
    x = torch.randn(2, 16, 32, 32)
    shortcut = PaddedIdentity(stride=2, extra=16)
    out = shortcut(x)
    assert out.shape == (2, 32, 16, 16) and not list(shortcut.parameters())
    assert torch.equal(out[:, :16], x[:, :, ::2, ::2])  # the identity, every other pixel
    assert torch.count_nonzero(out[:, 16:]) == 0  # the new channels are zeros
    block = BasicBlock(16, 32, stride=2, shortcut_kind="A")
    assert block(x).shape == (2, 32, 16, 16)
    assert isinstance(block.shortcut, PaddedIdentity)
    odd = torch.randn(1, 8, 7, 7)  # an odd size: the conv and the subsampling agree (4 x 4)
    assert BasicBlock(8, 16, stride=2)(odd).shape == (1, 16, 4, 4)


@pytest.mark.parametrize("block", ["basic", "bottleneck", "separable"])
def test_option_a_and_b_give_the_same_shapes(block):
    x = torch.randn(2, 3, 32, 32)
    a = build_student("resnet8", block=block, width=8, shortcut="A")
    b = build_student("resnet8", block=block, width=8, shortcut="B")
    assert a(x).shape == b(x).shape == (2, 10)
    assert count_parameters(a) < count_parameters(b)


def test_shortcut_mistakes_are_one_line():
    with pytest.raises(UserError, match=r"^model\.shortcut='C' is unknown"):
        build_student("resnet8", shortcut="C")
    with pytest.raises(
        UserError, match=r"^model\.shortcut=A pads channels and cannot go from 32 to 16"
    ):
        build_student("resnet8", widths=[32, 16, 16])
    assert build_student("resnet8", widths=[32, 16, 16], shortcut="B")(
        torch.zeros(1, 3, 32, 32)
    ).shape == (1, 10)


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
