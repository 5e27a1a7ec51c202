"""The eval config is a generation spec plus variants: one set of fields, shorthands and checks."""

from __future__ import annotations

import json

import pytest

from evals.config import load_config, parse_config
from student_sim.gen_spec import GenerationSpec, given_fields, load_spec
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
