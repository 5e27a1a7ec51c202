"""Offline evals: tutor variants x simulated students x problems, scored with pedagogy metrics.

    from evals.config import load_config
    from evals.runner import run_eval, rescore
    result = run_eval(load_config("default"), "runs/eval-default")

Modules: `config` (YAML configs), `runner` (runs, judge, rescore), `metrics` and `scores` (one
`DialogueScore` per dialogue), `aggregate` (metrics over groups, curves, bootstrap), `judge` and
`calibrate` (the MRBench-dimension LLM judge and its agreement with human labels), `report`, `plots`,
`render` (Markdown/HTML), `compare` (two runs with CIs), `cli` (`socratic eval ...`).
Nothing is imported here, so that `socratic --help` stays fast.
"""
