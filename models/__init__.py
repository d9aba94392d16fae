"""Distillation side of hwkd: CIFAR ResNet students, frozen teachers, the KD loss, data on device,
the teacher-logit cache and the Lightning module that `train.py` drives.

Submodules are imported directly (``from models.resnet import build_student``); nothing heavy is
imported here so that ``import models`` stays cheap.
"""
