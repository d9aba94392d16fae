"""DINOv2 classifier checkpoints in the layouts people have, read as this project's
{backbone.*, classifier.*} state dict (backbone.* named as transformers' `Dinov2Model`).

Layouts, tried in this order:

- hwkd: {backbone.*, classifier.*}, the course's `dino_small_cifar10.pth` and what
  `task=teacher` writes; head on the class token (cls) or class + mean patch token (cls+mean).
- transformers: `Dinov2ForImageClassification` {dinov2.*, classifier.*}; head on cls+mean.
- torch.hub: facebookresearch/dinov2 backbone names (patch_embed.proj, cls_token, pos_embed,
  mask_token, blocks.N.{norm1, attn.qkv, attn.proj, ls1.gamma, norm2, mlp.fc1, mlp.fc2,
  ls2.gamma}, norm), bare or under backbone.*, with a linear head: `dinov2_vits14_lc`'s
  linear_head on cls+mean (layers=1) or on the class tokens of the last 4 blocks + the mean
  patch token (layers=4, "cls4+mean"), or the backbone's own `head` on the class token.
- timm: `vit_small_patch14_dinov2` (the hub's names without mask_token) with `head` on the
  class token (global_pool="token").

Both transformers naming generations are read: 4.x (attention.attention.query,
attention.output.dense) and 5.x (attention.q_proj, attention.o_proj). The conversion only renames
keys and splits the fused qkv projection into q, k, v: the same weights give the same logits.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
from torch import nn

from models.errors import UserError

POOLING_WIDTHS = {"cls": 1, "cls+mean": 2, "cls4+mean": 5}  # head input width / hidden size
WRAPPER_KEYS = ("state_dict", "model", "model_state_dict", "teacher")
WRAPPER_PREFIXES = ("module.", "_orig_mod.", "model.net.", "net.", "model.", "teacher.")

State = dict[str, torch.Tensor]


@dataclass(frozen=True)
class ConvertedTeacher:
    """A checkpoint in this project's layout, with what was learnt reading it."""

    state: State  # {backbone.*, classifier.*}, backbone.* named as transformers 5 Dinov2Model
    layout: str  # the layout it was read as (see LAYOUTS)
    pooling: str  # what the head reads: "cls", "cls+mean" or "cls4+mean"


@dataclass(frozen=True)
class Split:
    """A checkpoint taken apart: backbone and head tensors without their prefixes, in transformers'
    names, and the keys that have no place in either."""

    backbone: State
    head: State
    unused: list[str]


def unwrap_state_dict(obj: object) -> State | None:
    """The tensors of a bare state dict or a whole module, also when wrapped (any nesting of
    {"state_dict": ...}, {"model": ...}, {"teacher": ...}, Lightning checkpoints), with DataParallel/DDP
    ("module."), torch.compile ("_orig_mod.") and LightningModule prefixes removed; None when
    `obj` holds no state dict."""
    while True:
        if isinstance(obj, nn.Module):
            obj = obj.state_dict()
        inner = [obj[k] for k in WRAPPER_KEYS if isinstance(obj, Mapping) and k in obj]
        inner = [v for v in inner if isinstance(v, (Mapping, nn.Module))]
        if not inner:
            break
        obj = inner[0]
    if not isinstance(obj, Mapping):
        return None
    state = {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}
    while state and (
        prefix := next((p for p in WRAPPER_PREFIXES if all(k.startswith(p) for k in state)), None)
    ):
        state = _strip(state, prefix)
    return state


# ----------------------------------------------------------------------------- transformers names

TRANSFORMERS_4_TO_5 = (  # key renames of transformers 5 (its conversion_mapping for Dinov2Model)
    (".attention.attention.query.", ".attention.q_proj."),
    (".attention.attention.key.", ".attention.k_proj."),
    (".attention.attention.value.", ".attention.v_proj."),
    (".attention.output.dense.", ".attention.o_proj."),
)


def _transformers_5_names(state: Mapping[str, torch.Tensor]) -> State:
    renamed = {}
    for key, value in state.items():
        for old, new in TRANSFORMERS_4_TO_5:
            key = key.replace(old, new)
        renamed[key] = value
    return renamed


def _from_hwkd(state: State) -> Split:
    return _by_prefix(_transformers_5_names(state), "backbone.", "classifier.")


def _from_transformers(state: State) -> Split:
    return _by_prefix(_transformers_5_names(state), "dinov2.", "classifier.")


def _by_prefix(state: State, backbone: str, head: str) -> Split:
    unused = [k for k in state if not k.startswith((backbone, head))]
    return Split(_strip(state, backbone), _strip(state, head), unused)


def _strip(state: State, prefix: str) -> State:
    """{key without `prefix`: tensor} for the keys that start with it."""
    return {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}


# -------------------------------------------------------------------- torch.hub and timm ViT names

VIT_HEADS = ("linear_head.", "head.")  # dinov2_vits14_lc's head; the ViT's own (hub and timm)
VIT_GLOBALS = {  # hub/timm name -> transformers Dinov2Model name
    "cls_token": "embeddings.cls_token",
    "pos_embed": "embeddings.position_embeddings",
    "mask_token": "embeddings.mask_token",
    "patch_embed.proj.weight": "embeddings.patch_embeddings.projection.weight",
    "patch_embed.proj.bias": "embeddings.patch_embeddings.projection.bias",
    "norm.weight": "layernorm.weight",
    "norm.bias": "layernorm.bias",
}
VIT_BLOCK = {  # name inside blocks.N -> name inside encoder.layer.N
    "norm1.weight": "norm1.weight",
    "norm1.bias": "norm1.bias",
    "attn.proj.weight": "attention.o_proj.weight",
    "attn.proj.bias": "attention.o_proj.bias",
    "ls1.gamma": "layer_scale1.lambda1",
    "norm2.weight": "norm2.weight",
    "norm2.bias": "norm2.bias",
    "mlp.fc1.weight": "mlp.fc1.weight",
    "mlp.fc1.bias": "mlp.fc1.bias",
    "mlp.fc2.weight": "mlp.fc2.weight",
    "mlp.fc2.bias": "mlp.fc2.bias",
    "ls2.gamma": "layer_scale2.lambda1",
}
BLOCK_KEY = re.compile(r"^blocks\.(?:\d+\.)?(\d+)\.(.+)$")  # blocks.N.x, or chunked blocks.C.N.x


def _vit_prefix(state: Mapping[str, torch.Tensor]) -> str | None:
    for prefix in ("", "backbone."):
        if f"{prefix}patch_embed.proj.weight" in state and f"{prefix}cls_token" in state:
            return prefix
    return None


def _is_hub(state: Mapping[str, torch.Tensor]) -> bool:
    prefix = _vit_prefix(state)
    return prefix is not None and (
        f"{prefix}mask_token" in state or "linear_head.weight" in state or prefix == "backbone."
    )


def _is_timm(state: Mapping[str, torch.Tensor]) -> bool:
    return _vit_prefix(state) == "" and "mask_token" not in state


def _from_vit(state: State) -> Split:
    """hub/timm names -> transformers names; the fused qkv projection split into q, k, v."""
    prefix = _vit_prefix(state)
    assert prefix is not None, "split only a state whose layout matched (_is_hub, _is_timm)"
    head_prefix = next((p for p in VIT_HEADS if f"{p}weight" in state), VIT_HEADS[0])
    backbone: State = {}
    unused = []
    for key, value in state.items():
        name = key[len(prefix) :] if key.startswith(prefix) else None
        block = BLOCK_KEY.match(name or "")
        if key.startswith(head_prefix):
            continue
        if name in VIT_GLOBALS:
            backbone[VIT_GLOBALS[name]] = value
        elif block and block[2] in VIT_BLOCK:
            backbone[f"encoder.layer.{block[1]}.{VIT_BLOCK[block[2]]}"] = value
        elif block and block[2] in ("attn.qkv.weight", "attn.qkv.bias"):
            kind = block[2].rsplit(".", 1)[1]
            for part, chunk in zip(("q", "k", "v"), value.chunk(3, dim=0), strict=True):
                backbone[f"encoder.layer.{block[1]}.attention.{part}_proj.{kind}"] = chunk
        else:
            unused.append(key)
    _fill_vit_defaults(backbone)
    return Split(backbone, _strip(state, head_prefix), unused)


def _fill_vit_defaults(backbone: State) -> None:
    """What a hub/timm checkpoint may leave out and transformers always has: a mask token (unused
    at inference; timm has none) and layer scale (absent when trained without it, i.e. 1)."""
    hidden = backbone["embeddings.cls_token"].shape[-1]
    backbone.setdefault("embeddings.mask_token", torch.zeros(1, hidden))
    for key in list(backbone):
        if key.endswith(".norm1.weight"):
            layer = key[: -len("norm1.weight")]
            for scale in ("layer_scale1.lambda1", "layer_scale2.lambda1"):
                backbone.setdefault(layer + scale, torch.ones(hidden))


# ---------------------------------------------------------------------------------- the layouts


@dataclass(frozen=True)
class Layout:
    name: str
    description: str  # where it comes from and what its keys look like
    looks_like: Callable[[Mapping[str, torch.Tensor]], bool]
    split: Callable[[State], Split]
    poolings: tuple[str, ...]  # what its head may read


LAYOUTS = (
    Layout(
        "hwkd",
        "{backbone.*, classifier.*}",
        lambda s: "backbone.embeddings.cls_token" in s,
        _from_hwkd,
        ("cls", "cls+mean", "cls4+mean"),
    ),
    Layout(
        "transformers",
        "Dinov2ForImageClassification {dinov2.*, classifier.*}",
        lambda s: "dinov2.embeddings.cls_token" in s,
        _from_transformers,
        ("cls+mean",),
    ),
    Layout(
        "torch.hub",
        "facebookresearch/dinov2 {patch_embed.*, blocks.*, mask_token, linear_head.*}",
        _is_hub,
        _from_vit,
        ("cls", "cls+mean", "cls4+mean"),
    ),
    Layout(
        "timm",
        "vit_*_patch14_dinov2 {patch_embed.*, blocks.*, head.*}",
        _is_timm,
        _from_vit,
        ("cls",),
    ),
)


def to_project_layout(state: Mapping[str, torch.Tensor], where: str) -> ConvertedTeacher:
    """`state` (see `unwrap_state_dict`) in this project's layout. `where` starts every error
    message, e.g. "teacher.checkpoint: /path/t.pth"."""
    layout = next((lay for lay in LAYOUTS if lay.looks_like(state)), None)
    if layout is None:
        tried = "; ".join(f"{lay.name} {lay.description}" for lay in LAYOUTS)
        raise UserError(
            f"{where} is in no DINOv2 classifier layout known here (tried: {tried}); "
            f"its keys begin {', '.join(sorted(state)[:4]) or '(none)'}"
        )
    split = layout.split(dict(state))
    if split.unused:
        raise UserError(
            f"{where}: read as the {layout.name} layout, but {len(split.unused)} keys have no place in a "
            f"DINOv2 ViT + linear head: {', '.join(sorted(split.unused)[:4])}{_hint(split.unused)}"
        )
    if "weight" not in split.head:
        raise UserError(
            f"{where}: read as the {layout.name} layout, but it holds no linear head (a backbone "
            "alone cannot teach): save the classifier, backbone and head together"
        )
    hidden = split.backbone["embeddings.cls_token"].shape[-1]
    width = split.head["weight"].shape[-1]
    poolings = {n: p for p, n in POOLING_WIDTHS.items()}
    pooling = poolings.get(width // hidden) if width % hidden == 0 else None
    if pooling not in layout.poolings:
        raise UserError(
            f"{where}: its head reads {width} features but the {layout.name} layout's heads read "
            f"{' or '.join(str(POOLING_WIDTHS[p] * hidden) for p in layout.poolings)} "
            f"(hidden size {hidden})"
        )
    converted = {f"backbone.{k}": v for k, v in split.backbone.items()}
    converted |= {f"classifier.{k}": v for k, v in split.head.items()}
    return ConvertedTeacher(converted, layout.name, pooling)


def _hint(keys: list[str]) -> str:
    if any("register_tokens" in k or "reg_token" in k for k in keys):
        return " (register tokens, as in *_reg checkpoints, are not supported)"
    if any("fc_norm" in k for k in keys):
        return " (timm's global_pool='avg' heads are not supported; use global_pool='token')"
    if any(".w12." in k or ".w3." in k for k in keys):
        return " (SwiGLU feed-forward blocks, as in ViT-g/14, are not supported)"
    return ""
