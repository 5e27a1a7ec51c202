"""tutor.files: writes that replace a file all at once, and models read from YAML or JSON with clear errors."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict

from tutor.errors import ConfigError, InputDataError
from tutor.files import atomic_write_text, atomic_writer, load_model, read_data, validate_as, write_json


class Point(BaseModel):
    model_config = ConfigDict(extra="forbid")
    x: int
    y: int = 0


def test_a_write_replaces_the_file_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "deep" / "out.json"
    write_json(path, {"a": [1, 2]})
    assert path.read_text() == '{\n  "a": [\n    1,\n    2\n  ]\n}\n'
    atomic_write_text(path, "new")
    assert path.read_text() == "new" and sorted(p.name for p in path.parent.iterdir()) == ["out.json"]


def test_a_write_that_fails_halfway_keeps_the_old_file(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_writer(path) as handle:
        handle.write(b"half of the new")
        raise RuntimeError("crash")
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["model.bin"]


def test_yaml_and_json_files_are_read_by_their_suffix(tmp_path):
    (tmp_path / "a.yaml").write_text("x: 1\n")
    (tmp_path / "a.json").write_text('{"x": 2}')
    (tmp_path / "empty.yaml").write_text("")
    assert [read_data(tmp_path / n) for n in ("a.yaml", "a.json", "empty.yaml")] == [{"x": 1}, {"x": 2}, {}]
    assert load_model(Point, tmp_path / "a.json") == Point(x=2)


def test_errors_name_the_file_and_the_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("x: one\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: field `x`: Input should be a valid integer") as caught:
        load_model(Point, bad, what="point", hint="see the docs")
    assert caught.value.hint == "see the docs"
    with pytest.raises(InputDataError, match=r"line 3: field `\(the file\)`: Input should be a valid dictionary"):
        validate_as(Point, [1], "line 3")
    bad.write_text("x: [unclosed\n")
    with pytest.raises(ConfigError, match="cannot read point"):
        load_model(Point, bad, what="point")
    with pytest.raises(InputDataError, match="not found"):
        read_data(tmp_path / "missing.json")
