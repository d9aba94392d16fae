"""Reports built from many evaluations (the assignment's Table 2, ...)."""
