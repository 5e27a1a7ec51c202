"""The eval config is a generation spec plus variants: one set of fields, shorthands and checks."""

from __future__ import annotations

import json

import pytest

from evals.config import load_config, parse_config
from student_sim.gen_spec import GenerationSpec, given_fields, load_spec
from student_sim.provenance import config_hash
from tutor.errors import ConfigError


def test_an_eval_config_has_the_generation_fields_with_eval_defaults():
    config = parse_config({"problems": "toy", "seeds": 2, "variants": [{"name": "a"}]})
    assert isinstance(config, GenerationSpec)
    assert config.problems.toy and config.seeds == [0, 1]
    assert (config.max_turns, config.stuck_after) == (6, 4)  # Success@6; generation's own default is 12
    assert GenerationSpec().max_turns == 12


def test_the_shared_tutor_config_is_what_each_variant_starts_from():
    config = parse_config(
        {
            "tutor": {"reply_max_tokens": 120, "use_guard": False},
            "variants": [{"name": "a"}, {"name": "b", "tutor": {"use_guard": True, "mode": "assist"}}],
        }
    )
    a, b = (config.generation_spec(v).tutor for v in config.variants)
    assert given_fields(a) == {"reply_max_tokens": 120, "use_guard": False}
    assert given_fields(b) == {"reply_max_tokens": 120, "use_guard": True, "mode": "assist"}
    assert b.reply_max_tokens == 120 and b.use_soliloquy  # unset fields keep the tutor's defaults


def test_a_config_without_a_shared_tutor_dumps_as_it_did_so_its_runs_resume():
    config = load_config("default")
    dumped = config.model_dump(mode="json")
    assert "tutor" not in dumped and dumped["variants"][1]["tutor"] == {"mode": "assist"}
    assert parse_config(dumped) == config
    with_tutor = parse_config({**dumped, "tutor": {"use_plan": False}}).model_dump(mode="json")
    assert with_tutor["tutor"] == {"use_plan": False}


def test_bad_tutor_fields_are_named_in_every_file_format(tmp_path):
    with pytest.raises(ConfigError, match=r"field `tutor.use_wings`"):
        parse_config({"tutor": {"use_wings": True}, "variants": [{"name": "a"}]})
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"tutor": {"mode": "lecture"}}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"spec.json: field `tutor.mode`"):
        load_spec(spec)
    spec.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read generation spec"):
        load_spec(spec)
    with pytest.raises(ConfigError, match="not found"):
        load_spec(tmp_path / "missing.yaml")


# The config of an eval run as its manifest stored it (runs/eval-default, before the configs shared one lineage).
STORED = {
    "name": "default",
    "description": "The Socratic tutor against the assist baseline on one math and one debugging toy problem.",
    "problems": {
        "ids": ["toy-math-pencils", "toy-debug-average"],
        "domains": [],
        "toy": False,
        "all": False,
        "limit": None,
        "extra_paths": [],
    },
    "profiles": ["gus-slow-learner", "marco-accumulator-reset"],
    "profile_paths": [],
    "seeds": [0, 1],
    "max_turns": 6,
    "stuck_after": 4,
    "models": {"tutor": "local", "student": "local"},
    "model_options": {"max_tokens": 160},
    "student_policy": "rules",
    "concurrency": 1,
    "variants": [
        {"name": "socratic", "description": "the full tutor", "tutor": {}, "model": None, "model_options": {}},
        {
            "name": "assist",
            "description": "baseline that simply answers",
            "tutor": {"mode": "assist"},
            "model": None,
            "model_options": {},
        },
    ],
    "reference": "socratic",
    "judge": {"enabled": False, "spec": None, "max_turns_per_dialogue": 2},
    "bootstrap": {"samples": 2000, "seed": 0},
    "examples_per_variant": 3,
}


def test_a_stored_eval_config_dumps_back_the_same_so_its_run_resumes():
    # A run folder resumes only under the config hash its manifest holds: a field added to the configs (to
    # GenerationSpec too, which EvalConfig extends) must not show up in the dump of a config that leaves it out.
    again = parse_config(STORED).model_dump(mode="json")
    assert again == STORED
    assert config_hash(again) == "8ed65b00be9f305a"  # the hash in that run's manifest
