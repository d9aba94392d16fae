from hwsim.cli import entry

raise SystemExit(entry())
