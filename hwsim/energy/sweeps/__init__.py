"""The Q2 scaling study: how SRAM, register-file, DRAM and integer-MAC energy scale with width and
depth (`plan`), evaluated with the component models (`run`), fitted to power laws (`fit`), compared
with classic Accelergy 0.3 (`classic_reference`), plotted (`plots`) and explained (`report`).
``python -m hwsim sweep-components`` runs it all."""
