"""Typed, validated Timeloop specs: problem, architecture, mapping, and the files that hold them."""

from hwsim.spec.architecture import Architecture, Component, ComputeLevel, StorageLevel
from hwsim.spec.files import SpecSet, load_architecture, load_problem, load_specs
from hwsim.spec.mapping import LevelMapping, Mapping, bind_mapping
from hwsim.spec.problem import DataSpace, Problem, Shape, parse_problem
