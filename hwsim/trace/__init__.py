"""The trace engine: walks a mapped loop nest iteration by iteration and counts what each storage
level must fetch, keeping its last tile (`simulator.simulate`). Slow but literal, it is the
cross-check of the analytical engine's `retain` policy and shows where Timeloop's bounding-box
rules and an exact buffer disagree (`hwsim model --engine trace`)."""
