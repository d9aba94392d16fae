"""Teacher checkpoints in the layouts people have: each library's real module, with a small random
configuration, saved and loaded through the project's teacher loader, must give the same logits.

All modules run at the checkpoint's own position grid (56 px = 4x4 patches of 14), where no
library interpolates position embeddings. Nothing downloads: modules are built from configs.
"""

import logging

import pytest
import timm
import torch
from hydra.utils import instantiate
from kd_fixtures import TINY, compose_config
from safetensors.torch import save_file
from transformers import Dinov2Config, Dinov2ForImageClassification

from models.errors import UserError
from models.teacher_layouts import LAYOUTS, to_project_layout
from models.teachers import dinov2_teacher

HIDDEN, DEPTH, HEADS, PATCH, SIZE, CLASSES = 32, 4, 2, 14, 56, 5
X = torch.randn(3, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(1))

# torch.hub facebookresearch/dinov2 parameter names (dinov2/models/vision_transformer.py
# DinoVisionTransformer with block_chunks=0; dinov2/layers: Block, MemEffAttention, Mlp,
# LayerScale, PatchEmbed) and dinov2/hub/classifiers.py _LinearClassifierWrapper.
HUB_GLOBAL = ["cls_token", "pos_embed", "mask_token", "patch_embed.proj.weight"]
HUB_GLOBAL += ["patch_embed.proj.bias", "norm.weight", "norm.bias"]
HUB_BLOCK = ["norm1.weight", "norm1.bias", "attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight"]
HUB_BLOCK += ["attn.proj.bias", "ls1.gamma", "norm2.weight", "norm2.bias", "mlp.fc1.weight"]
HUB_BLOCK += ["mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias", "ls2.gamma"]


def _randomised(module: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Every parameter random (layer scales and norms too, so that none is a no-op), eval mode."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.3)
    return module.eval()


def timm_dinov2(num_classes: int = CLASSES, depth: int = DEPTH, hidden: int = HIDDEN, heads=HEADS):
    model = timm.create_model(
        "vit_small_patch14_dinov2",
        pretrained=False,
        embed_dim=hidden,
        depth=depth,
        num_heads=heads,
        img_size=SIZE,
        num_classes=num_classes,
    )
    return _randomised(model)


def load(path, **kwargs) -> torch.nn.Module:
    """The project's teacher loader; only the head count given, everything else read."""
    kwargs.setdefault("backbone", {"num_attention_heads": HEADS})
    teacher = dinov2_teacher(num_classes=CLASSES, checkpoint=str(path), image_size=SIZE, **kwargs)
    return teacher.net.eval()


def assert_same_logits(net, reference):
    with torch.no_grad():
        expected, got = reference(X), net(X)
    assert expected.shape == (len(X), CLASSES)
    assert expected.abs().max() > 0.1  # not a degenerate comparison
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------------------- transformers


def transformers_classifier():
    config = Dinov2Config(
        hidden_size=HIDDEN,
        num_hidden_layers=DEPTH,
        num_attention_heads=HEADS,
        patch_size=PATCH,
        image_size=SIZE,
        num_labels=CLASSES,
    )
    return _randomised(Dinov2ForImageClassification(config))


def test_transformers_dinov2_for_image_classification(tmp_path, caplog):
    model = transformers_classifier()
    torch.save(model.state_dict(), tmp_path / "hf.pth")
    with caplog.at_level(logging.INFO, logger="models.teachers"):
        net = load(tmp_path / "hf.pth")
    assert net.pooling == "cls+mean"  # its head reads (classes, 2 * hidden)
    assert "read as the transformers layout (cls+mean head)" in caplog.text
    assert_same_logits(net, lambda x: model(pixel_values=x).logits)


def test_save_pretrained_directories_and_safetensors_files(tmp_path):
    model = transformers_classifier()
    model.save_pretrained(tmp_path / "hf")  # model.safetensors, in transformers 4 names
    assert_same_logits(load(tmp_path / "hf"), lambda x: model(pixel_values=x).logits)
    vit = timm_dinov2()
    save_file(vit.state_dict(), tmp_path / "timm.safetensors")
    assert_same_logits(load(tmp_path / "timm.safetensors"), vit)
    (tmp_path / "bad.safetensors").write_bytes(b"junk")
    with pytest.raises(
        UserError, match=r"^teacher\.checkpoint: .*bad\.safetensors is not a readable"
    ):
        load(tmp_path / "bad.safetensors")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match=r"^teacher\.checkpoint: .*empty is a directory without"):
        load(tmp_path / "empty")


def test_transformers_4_names_load_too(tmp_path):
    """Checkpoints saved with transformers 4.x (e.g. the course's) name attention differently."""
    model = transformers_classifier()
    old = {
        ".attention.q_proj.": ".attention.attention.query.",
        ".attention.o_proj.": ".attention.output.dense.",
    }
    old |= {
        ".attention.k_proj.": ".attention.attention.key.",
        ".attention.v_proj.": ".attention.attention.value.",
    }
    state = {}
    for key, value in model.state_dict().items():
        for new_name, old_name in old.items():
            key = key.replace(new_name, old_name)
        state[key] = value
    assert "dinov2.encoder.layer.0.attention.attention.query.weight" in state
    torch.save(state, tmp_path / "hf4.pth")
    assert_same_logits(load(tmp_path / "hf4.pth"), lambda x: model(pixel_values=x).logits)
    course = {k.replace("dinov2.", "backbone.", 1): v for k, v in state.items()}
    torch.save(course, tmp_path / "course.pth")
    assert_same_logits(load(tmp_path / "course.pth"), lambda x: model(pixel_values=x).logits)


# ---------------------------------------------------------------------------------------- timm


def test_timm_vit_small_patch14_dinov2(tmp_path, caplog):
    model = timm_dinov2()
    assert model.global_pool == "token" and model.pos_embed.shape[1] == (SIZE // PATCH) ** 2 + 1
    torch.save(model.state_dict(), tmp_path / "timm.pth")
    with caplog.at_level(logging.INFO, logger="models.teachers"):
        net = load(tmp_path / "timm.pth")
    assert net.pooling == "cls"
    assert "read as the timm layout (cls head)" in caplog.text
    assert_same_logits(net, model)


# ------------------------------------------------------------------------------------ torch.hub


def hub_backbone_state(vit) -> dict[str, torch.Tensor]:
    """The hub's DinoVisionTransformer state dict holding `vit`'s weights (timm shares the hub's
    names, less mask_token), checked against the hub's published names."""
    state = {k: v for k, v in vit.state_dict().items() if not k.startswith("head.")}
    state["mask_token"] = torch.zeros(1, HIDDEN)  # unused at inference
    published = set(HUB_GLOBAL) | {f"blocks.{i}.{n}" for i in range(DEPTH) for n in HUB_BLOCK}
    assert set(state) == published
    return state


def hub_lc_logits(vit, head, x, layers):
    """dinov2_vits14_lc's forward (_LinearClassifierWrapper), computed with `vit`'s modules:
    class tokens of the last `layers` blocks (normed) + mean patch token of the last."""
    tokens = vit.norm_pre(vit._pos_embed(vit.patch_embed(x)))
    normed = []
    for block in vit.blocks:
        tokens = block(tokens)
        normed.append(vit.norm(tokens))
    features = [out[:, 0] for out in normed[-layers:]] + [normed[-1][:, 1:].mean(dim=1)]
    return head(torch.cat(features, dim=1))


@pytest.mark.parametrize("layers", [1, 4])
def test_torch_hub_linear_classifier(tmp_path, caplog, layers):
    vit = timm_dinov2(num_classes=0)
    head = _randomised(torch.nn.Linear((1 + layers) * HIDDEN, CLASSES), seed=1)
    state = {f"backbone.{k}": v for k, v in hub_backbone_state(vit).items()}
    state |= {f"linear_head.{k}": v for k, v in head.state_dict().items()}
    torch.save(state, tmp_path / "hub_lc.pth")
    with caplog.at_level(logging.INFO, logger="models.teachers"):
        net = load(tmp_path / "hub_lc.pth")
    assert net.pooling == {1: "cls+mean", 4: "cls4+mean"}[layers]
    assert "read as the torch.hub layout" in caplog.text
    assert_same_logits(net, lambda x: hub_lc_logits(vit, head, x, layers))


def test_torch_hub_backbone_with_its_head_replaced_and_chunked_blocks(tmp_path):
    """torch.hub.load(...'dinov2_vits14'); model.head = nn.Linear(384, classes): the head reads
    the class token. Block names as block_chunks=1 (training checkpoints) writes them."""
    vit = timm_dinov2()
    state = {k.replace("blocks.", "blocks.0.", 1): v for k, v in hub_backbone_state(vit).items()}
    state |= {f"head.{k}": v for k, v in vit.head.state_dict().items()}
    torch.save(state, tmp_path / "hub.pth")
    net = load(tmp_path / "hub.pth")
    assert net.pooling == "cls"
    assert_same_logits(net, vit)


def test_checkpoint_without_layer_scale_loads_with_unit_scales(tmp_path):
    vit = timm_dinov2()
    with torch.no_grad():
        for block in vit.blocks:  # what a ViT trained without layer scale computes
            block.ls1.gamma.fill_(1.0)
            block.ls2.gamma.fill_(1.0)
    state = {k: v for k, v in vit.state_dict().items() if ".ls" not in k}
    torch.save(state, tmp_path / "no_ls.pth")
    assert_same_logits(load(tmp_path / "no_ls.pth"), vit)


# -------------------------------------------------------------------------- wrappers and errors


@pytest.mark.parametrize(
    "wrap",
    [
        lambda m: {"state_dict": {f"module.{k}": v for k, v in m.state_dict().items()}},  # DDP
        lambda m: {
            "state_dict": {f"model.net.{k}": v for k, v in m.state_dict().items()},
            "epoch": 3,
        },
        lambda m: {"teacher": m.state_dict(), "optimizer": {}},
        lambda m: {
            "model": {"state_dict": {f"_orig_mod.{k}": v for k, v in m.state_dict().items()}}
        },
        lambda m: m,  # torch.save(model)
    ],
    ids=["ddp", "lightning", "teacher", "nested_compiled", "whole_module"],
)
def test_wrapped_and_prefixed_checkpoints(tmp_path, wrap):
    vit = timm_dinov2()
    torch.save(wrap(vit), tmp_path / "w.pth")
    assert_same_logits(load(tmp_path / "w.pth"), vit)


def test_a_checkpoint_of_any_size_loads_with_no_backbone_config(tmp_path):
    vit = timm_dinov2(depth=3, hidden=64, heads=1)  # 64 wide: one head of DINOv2's size 64
    torch.save(vit.state_dict(), tmp_path / "t.pth")
    net = load(tmp_path / "t.pth", backbone={})
    config = net.backbone.config
    assert (config.hidden_size, config.num_hidden_layers, config.num_attention_heads) == (64, 3, 1)
    assert (config.patch_size, config.image_size, config.mlp_ratio) == (14, 56, 4)
    assert_same_logits(net, vit)


def test_config_that_contradicts_the_checkpoint_names_the_field(tmp_path):
    torch.save(timm_dinov2().state_dict(), tmp_path / "t.pth")
    with pytest.raises(
        UserError,
        match=r"^teacher\.backbone\.image_size=224 but .*t\.pth has image_size 56 \(a 4x4 grid "
        r"of position embeddings, 14 px patches\): set teacher\.backbone\.image_size=56",
    ):
        load(tmp_path / "t.pth", backbone={"num_attention_heads": HEADS, "image_size": 224})
    with pytest.raises(
        UserError, match=r"^teacher\.backbone\.num_hidden_layers=12 but .* has num_hidden_layers 4:"
    ):
        load(tmp_path / "t.pth", backbone={"num_attention_heads": HEADS, "num_hidden_layers": 12})
    with pytest.raises(
        UserError,
        match=r"^teacher\.backbone\.num_attention_heads: not stored in .*t\.pth's weights",
    ):
        load(tmp_path / "t.pth", backbone={})


def test_unknown_layout_is_one_error_listing_the_layouts_tried(tmp_path):
    torch.save(
        {"conv1.weight": torch.zeros(8, 3, 3, 3), "fc.weight": torch.zeros(5, 8)},
        tmp_path / "r.pth",
    )
    with pytest.raises(UserError) as error:
        load(tmp_path / "r.pth")
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(
        f"teacher.checkpoint: {tmp_path / 'r.pth'} is in no DINOv2 classifier"
    )
    for layout in LAYOUTS:
        assert f"{layout.name} {layout.description}" in message
    assert message.endswith("its keys begin conv1.weight, fc.weight")


def test_what_a_dinov2_teacher_cannot_use_is_named(tmp_path):
    vit = timm_dinov2()
    backbone_only = hub_backbone_state(vit)  # e.g. dinov2_vits14_pretrain.pth
    with pytest.raises(
        UserError, match=r"read as the torch\.hub layout, but it holds no linear head"
    ):
        to_project_layout(backbone_only, "t.pth")
    registers = {**vit.state_dict(), "reg_token": torch.zeros(1, 4, HIDDEN)}
    with pytest.raises(UserError, match=r"1 keys have no place .*: reg_token \(register tokens"):
        to_project_layout(registers, "t.pth")
    wide_head = {**vit.state_dict(), "head.weight": torch.zeros(CLASSES, 3 * HIDDEN)}
    with pytest.raises(
        UserError, match=r"its head reads 96 features but the timm layout's heads read 32"
    ):
        to_project_layout(wide_head, "t.pth")


def test_teacher_config_group_accepts_any_layout(tmp_path, caplog):
    """teacher=dinov2_tiny teacher.checkpoint=PATH, as on the command line."""
    vit = timm_dinov2(num_classes=10, depth=TINY["num_hidden_layers"])
    torch.save(vit.state_dict(), tmp_path / "timm.pth")
    overrides = [
        "experiment=demo",
        "teacher=dinov2_tiny",
        f"teacher.checkpoint={tmp_path / 'timm.pth'}",
    ]
    cfg = compose_config(tmp_path, overrides)
    with caplog.at_level(logging.INFO, logger="models.teachers"):
        teacher = instantiate(cfg.teacher)
    assert "read as the timm layout" in caplog.text
    with torch.no_grad():
        torch.testing.assert_close(teacher.net.eval()(X), vit(X), rtol=1e-5, atol=1e-5)
