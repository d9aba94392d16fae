"""The mapper: finds the best mapping of one problem onto one architecture (`hwsim mapper`).

`task` (what to map: specs, constraints, objective), `space` (the mapspace the constraints allow,
enumerated per loop order), `search` (the batched search over it with the analytical engine),
`objectives` (energy, delay, EDP and Timeloop's optimization-metrics lists), `constraints`
(Timeloop constraint files), `cache` (mappings kept on disk, keyed by a fingerprint of the rules),
`backends` (the native search or AccelForge's, through `accelforge_bridge`)."""
