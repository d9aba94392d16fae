"""Oracles: plain, slow reimplementations of the engine's rules that the tests compare it with."""
