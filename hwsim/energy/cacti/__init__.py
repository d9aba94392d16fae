"""CACTI, as hwsim runs it: the wheel's executable made to work (`binary`), its input and output
(`config`), and runs that fail loudly (`run`)."""
