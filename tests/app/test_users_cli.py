"""`socratic users create` and `socratic users reset-password` on a real SQLite database."""

from __future__ import annotations

import pytest

import socratic_cli
from tutor.settings import Settings
from tutor.storage.store import Store


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TUTOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TUTOR_CONFIG", str(tmp_path / "none.toml"))
    return tmp_path / "data"


def test_staff_reset_a_students_password_from_the_command_line(data_dir, capsys):
    assert socratic_cli.main(["users", "create", "ada", "--password", "correct horse"]) == 0
    assert socratic_cli.main(["users", "reset-password", "ada", "--password", "password1"]) == 1
    assert "password too weak" in capsys.readouterr().err
    assert socratic_cli.main(["users", "reset-password", "ADA", "--password", "violet kettle march"]) == 0
    assert "new password set for student 'ada'" in capsys.readouterr().out
    assert socratic_cli.main(["users", "reset-password", "nobody", "--password", "violet kettle march"]) == 1
    assert "no user is called 'nobody'" in capsys.readouterr().err
    with Store.from_settings(Settings.load()) as store:
        assert store.authenticate("ada", "correct horse") is None
        assert store.authenticate("ada", "violet kettle march") is not None


def test_socratic_next_names_the_problem_and_why_and_records_it(data_dir, capsys):
    assert socratic_cli.main(["users", "create", "ada", "--password", "correct horse"]) == 0
    capsys.readouterr()
    assert socratic_cli.main(["next", "--user", "ada", "--domain", "math"]) == 0
    out = capsys.readouterr().out
    problem_id = out.split()[0]
    assert problem_id.startswith("math-") and "why: It starts you on" in out and "targets:" in out
    with Store.from_settings(Settings.load()) as store:
        assert [c.problem_id for c in store.practice_choices(store.user_named("ada").id)] == [problem_id]
    assert socratic_cli.main(["next", "--user", "nobody"]) == 1
    assert "no user is called 'nobody'" in capsys.readouterr().err
