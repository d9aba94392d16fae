"""Co-design of a distilled student and its accelerator: the Optuna study behind `sweep.py`.

One idea per module:

- `space`: the search space from config (dotted keys of the training config, `accelerator.*`);
- `accelerator`: the trial's accelerator (PE array, buffer depths) and its on-chip area;
- `energy`: the untrained student's inference energy, before training, remembered;
- `objectives`: accuracy up, energy (and area) down; the accuracy floor and other constraints;
- `trial`: one trial end to end (the study's objective function);
- `pruning`: the Lightning callback that stops hopeless runs;
- `failures`: failed trials recorded with their reason (NaN loss, out of memory, Ctrl-C);
- `stopping`: when a run of the study stops (its size, failures in a row);
- `slots`: exactly sweep.n_trials over any number of workers (who may run which trial);
- `worker`: one worker's loop: claim, run with a heartbeat, store; preempted trials queued again;
- `local_workers`: `sweep.workers=N` processes on this machine, a GPU or a CPU share each;
- `console`: one terminal line per trial, the end-of-study table, the trials' logs to files;
- `storage`: SQLite by default, any database URL, or Optuna's journal file;
- `study`: the study created or resumed, its sampler seeded;
- `tables`: trials.csv and pareto.csv (and the front recomputed from a table);
- `plots`: the Pareto front and the chosen student's per-layer energy;
- `discussion`: the trade-off in words, from the trials;
- `report`: every output from the storage alone (`python -m codesign.report`);
- `tracking`: Weights & Biases runs per trial and the study's summary run.
"""
