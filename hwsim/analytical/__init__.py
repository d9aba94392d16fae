"""The analytical engine: Timeloop's counting rules in closed form (reads, fills and updates per
storage level and data space, from tile geometry and loop reuse), for one mapping or for a batch of
mappings that share a loop skeleton (the mapper's inner loop, compiled with numba)."""
