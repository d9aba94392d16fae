"""The bridge from PyTorch to hwsim: a model's convolutions and linear layers as hwsim problems.

`extract_workloads` registers a forward hook on every ``Conv2d`` and ``Linear`` (quantized
subclasses included), runs one dummy forward pass of batch 1, and turns each call into a Timeloop
``CNN-Layer`` problem (`hwsim.spec.layers.conv2d_problem`):

- C and M are the input and output channels **per group**, R×S the kernel, P×Q the **output**
  size read from the layer's output tensor (so strided layers get it right), strides and
  dilations from the layer; a grouped or depthwise convolution gets a group dimension G;
- a ``Linear`` layer is a 1×1 convolution on a 1×1 image (C = in_features, M = out_features);
  applied to a sequence it runs once per position (N = positions);
- output channels whose weights are all zero — pruned by a ``weight_mask`` or zeroed by hand —
  are removed, and so are input channels no remaining output uses.

Layers keep their module names (``layer1.0.conv1``); a layer called twice appears twice.
"""

from __future__ import annotations

from math import prod
from pathlib import Path
from typing import TYPE_CHECKING

from hwsim.spec.layers import conv2d_problem
from hwsim.spec.problem import Problem
from models.resnet_layers import registry_workloads

if TYPE_CHECKING:
    import torch
    from torch import nn


def _effective_weight(module: nn.Conv2d | nn.Linear) -> torch.Tensor:
    weight = module.weight.detach()
    mask = getattr(module, "weight_mask", None)  # torch.nn.utils.prune
    if mask is not None:
        weight = weight * mask.detach()
    return weight


def _live_channels(weight: torch.Tensor, groups: int) -> tuple[int, int]:
    """(input channels per group, output channels per group) after removing zero channels.

    weight: (M, C/groups, ...) for a convolution, (M, C) for a linear layer.
    """
    m_total = weight.shape[0]
    flat = weight.reshape(m_total, weight.shape[1], -1)  # (M, C_g, R*S)
    live_out = flat.abs().sum(dim=(1, 2)) > 0  # (M,)
    per_group_out = m_total // groups
    c_g = weight.shape[1]
    live_m, live_c = 0, 0
    for g in range(groups):
        rows = slice(g * per_group_out, (g + 1) * per_group_out)
        outs = live_out[rows]
        live_m = max(live_m, int(outs.sum()))
        if outs.any():
            used_inputs = flat[rows][outs].abs().sum(dim=(0, 2)) > 0  # (C_g,)
            live_c = max(live_c, int(used_inputs.sum()))
    return live_c if live_m else 0, live_m if c_g else 0


def _conv_problem(name: str, module: nn.Conv2d, output: torch.Tensor) -> Problem | None:
    groups = module.groups
    c_g, m_g = _live_channels(_effective_weight(module), groups)
    if not c_g or not m_g:
        return None  # fully pruned: no work
    r, s = module.kernel_size  # (height, width) in PyTorch
    stride_h, stride_w = module.stride
    dil_h, dil_w = module.dilation
    q, p = output.shape[-2], output.shape[-1]  # output height, width
    n = output.shape[0] if output.dim() == 4 else 1
    return conv2d_problem(
        C=c_g,
        M=m_g,
        R=s,  # Timeloop: R walks the width (with P), S the height (with Q)
        S=r,
        P=p,
        Q=q,
        N=n,
        stride=(stride_w, stride_h),
        dilation=(dil_w, dil_h),
        groups=groups,
        name=name,
    )


def _linear_problem(name: str, module: nn.Linear, output: torch.Tensor) -> Problem | None:
    c, m = _live_channels(_effective_weight(module), 1)
    if not c or not m:
        return None
    positions = prod(output.shape[:-1]) if output.dim() > 1 else 1
    return conv2d_problem(C=c, M=m, P=1, Q=1, N=positions, name=name)


def extract_workloads(model: nn.Module, input_shape: tuple[int, ...]) -> list[Problem]:
    """hwsim problems for every Conv2d/Linear call of one forward pass (see module docstring).

    Args:
        model: any module; it is run once in eval mode without gradients (its mode is restored).
        input_shape: the shape of one input, without or with a batch dimension of 1
            (``(3, 32, 32)`` or ``(1, 3, 32, 32)``).
    """
    import torch
    from torch import nn

    unsupported = [
        name
        for name, m in model.named_modules()
        if isinstance(m, nn.Conv1d | nn.Conv3d | nn.ConvTranspose2d)
    ]
    if unsupported:
        raise ValueError(
            f"unsupported layer type(s) for energy estimation: {unsupported} (Conv2d and Linear are)"
        )
    calls: list[tuple[str, nn.Conv2d | nn.Linear, torch.Tensor]] = []
    handles = []
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d | nn.Linear):
            handles.append(
                module.register_forward_hook(
                    lambda mod, _in, out, n=name: calls.append((n, mod, out))
                )
            )
    shape = tuple(input_shape)
    if len(shape) == 3:
        shape = (1, *shape)
    try:
        param = next(model.parameters(), None)
        device = param.device if param is not None else torch.device("cpu")
        dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                model(torch.zeros(shape, device=device, dtype=dtype))
        finally:
            model.train(was_training)
    finally:
        for handle in handles:
            handle.remove()
    problems = []
    for name, module, output in calls:
        problem = (
            _conv_problem(name, module, output)
            if isinstance(module, nn.Conv2d)
            else _linear_problem(name, module, output)
        )
        if problem is not None:
            problems.append(problem)
    return problems


def load_network(source: str) -> nn.Module:
    """A network to measure: a registry name (``resnet32``), a model config YAML (the ``model``
    group, or a run's ``.hydra/config.yaml``), a project checkpoint or a ``torch.save``\\ d module."""
    from models.errors import UserError
    from models.resnet import RESNETS, build_student, legacy_student_config

    if source in RESNETS:
        return build_student(arch=source)
    path = Path(source)
    if path.is_dir() and (path / ".hydra" / "config.yaml").exists():
        path = path / ".hydra" / "config.yaml"
    saved_run = path.parent.name == ".hydra"  # written by a run, maybe before model.shortcut
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise UserError(f"{path}: no such file")
        from omegaconf import DictConfig, OmegaConf

        from models.config_dict import config_dict

        cfg = OmegaConf.load(path)
        where = str(path)
        if isinstance(cfg, DictConfig) and "model" in cfg:
            cfg, where = cfg.model, f"{path}: model"
        written = config_dict(cfg, where)
        config = {
            k: v
            for k, v in (legacy_student_config(written) if saved_run else written).items()
            if not str(k).startswith("_")
        }
        if not isinstance(config.get("num_classes", 10), int):
            config["num_classes"] = 10  # an unresolved ${data.num_classes}: CIFAR-10
        try:
            return build_student(**config)
        except TypeError as err:
            raise UserError(f"{path}: not a model config ({err})") from None
    if not path.exists():
        raise UserError(
            f"{source}: neither a model name ({', '.join(RESNETS)}) nor an existing checkpoint or config"
        )
    from models.teachers import checkpoint_teacher

    try:
        return checkpoint_teacher(str(path)).net
    except (
        UserError
    ) as err:  # its messages name the teacher's config field; here it is a checkpoint
        raise UserError(str(err).replace("teacher.path: ", "checkpoint: ", 1)) from None


def workloads_from_source(source: str, input_shape: tuple[int, ...] = (3, 32, 32)) -> list[Problem]:
    """`extract_workloads` of `load_network(source)`; user mistakes become `hwsim.SpecError`.

    A registry name (``resnet32``) is answered without PyTorch (`registry_workloads`: the same
    problems), so ``hwsim network-energy resnet32`` does not import it. This is the
    ``hwsim.workload_sources`` entry point: the module imports PyTorch only when it is used."""
    problems = registry_workloads(source, input_shape)
    if problems is not None:
        return problems
    from hwsim.errors import SpecError
    from models.errors import UserError

    try:
        network = load_network(source)
        return extract_workloads(network, input_shape)
    except (UserError, ValueError) as err:
        raise SpecError(str(err)) from None
