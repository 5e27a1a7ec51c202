"""Loading problems: one file, a collection file, the bank, the toy set.

The data lives in `datasets/` of a clone; an installed wheel carries the same folder as the package
`tutor_datasets` (see `[tool.setuptools.package-dir]` in pyproject.toml). `datasets_dir()` finds
whichever is there, clone first, so a developer's edits win over an older installed copy.
"""

from __future__ import annotations

import builtins
import importlib.util
import json
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from pydantic import ValidationError

from tutor.errors import InputDataError, NotFoundError
from tutor.problems.ladders import LadderHint, ladder_files, merged_ladders
from tutor.problems.schema import DOMAINS, AnyProblem, DebuggingProblem, parse_problem

DATA_PACKAGE = "tutor_datasets"
PROBLEM_SUFFIXES = (".yaml", ".yml")
COLLECTION_SUFFIXES = (".jsonl", ".yaml", ".yml")
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10x faster


def datasets_dir() -> Path:
    """The `datasets/` folder: the clone's, else the installed `tutor_datasets` package's."""
    clone = Path(__file__).resolve().parents[2] / "datasets"
    if (clone / "FORMAT.md").is_file():
        return clone
    spec = importlib.util.find_spec(DATA_PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            if (Path(location) / "FORMAT.md").is_file():
                return Path(location)
    raise NotFoundError(
        f"the problem data (datasets/) was not found next to the code nor as the installed package `{DATA_PACKAGE}`",
        hint="run from a clone of the project, or reinstall the socratic-tutor wheel",
    )


# ---------------------------------------------------------------------------------------- error text


def _line_of(root: yaml.Node | None, loc: Iterable[int | str]) -> int | None:
    """1-based line of the YAML node at `loc` (pydantic's error location), as deep as it resolves."""
    node, line = root, None
    for key in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            node = None
    if node is not None:
        line = node.start_mark.line + 1
    return line


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(the problem)"


def describe_validation_error(exc: ValidationError, data: Any, root: yaml.Node | None = None) -> str:
    """Pydantic's errors as `field (line N): message; ...`, with the union's domain tag removed."""
    domain = data.get("domain") if isinstance(data, dict) else None
    parts = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        if loc and loc[0] == domain:  # the discriminated union prefixes the tag
            loc = loc[1:]
        message = str(err["msg"]).removeprefix("Value error, ")
        line = _line_of(root, loc) if root is not None else None
        where = f"field `{_field_path(loc)}`" + (f" (line {line})" if line else "")
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def _validate(data: Any, where: str, root: yaml.Node | None = None) -> AnyProblem:
    if not isinstance(data, dict):
        raise InputDataError(f"{where}: a problem must be a mapping of fields, got {type(data).__name__}")
    try:
        return parse_problem(data)
    except ValidationError as exc:
        raise InputDataError(
            f"{where}: {describe_validation_error(exc, data, root)}",
            hint="see datasets/FORMAT.md for the problem format",
        ) from None


def _read_yaml(path: Path) -> tuple[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputDataError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return text, yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}:" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputDataError(f"{path}:{line} invalid YAML: {problem}") from None


# --------------------------------------------------------------------------------------------- files


def load_problem_file(path: str | Path) -> AnyProblem:
    """Load one problem from its YAML file; its `id` must equal the file name.

    Raises:
        InputDataError: unreadable file, bad YAML, or schema errors (naming file, field and line).
    """
    path = Path(path)
    text, data = _read_yaml(path)
    root = None
    if isinstance(data, dict):
        try:
            parse_problem(data)
        except ValidationError:
            root = yaml.compose(text, Loader=yaml.SafeLoader)  # only for line numbers in the message
    problem = _validate(data, str(path), root)
    if problem.id != path.stem:
        line = _line_of(root or yaml.compose(text, Loader=yaml.SafeLoader), ("id",))
        raise InputDataError(
            f"{path}: field `id` (line {line}): {problem.id!r} differs from the file name {path.stem!r}"
        )
    return problem


def load_collection_file(path: str | Path) -> list[AnyProblem]:
    """Load every problem of a collection: `.jsonl` (one per line) or a YAML list (or single problem).

    Raises:
        InputDataError: naming the file, the line or item, and the field.
    """
    path = Path(path)
    if path.suffix == ".jsonl":
        return list(_iter_jsonl(path))
    text, data = _read_yaml(path)
    if isinstance(data, dict):
        return [load_problem_file(path)]
    if not isinstance(data, list):
        raise InputDataError(f"{path}: expected a problem or a list of problems, got {type(data).__name__}")
    root = None
    problems = []
    for i, item in enumerate(data):
        where = f"{path}: item {i}"
        try:
            problems.append(_validate(item, where))
        except InputDataError:
            root = root or yaml.compose(text, Loader=yaml.SafeLoader)  # only for line numbers
            node = root.value[i] if isinstance(root, yaml.SequenceNode) else None
            problems.append(_validate(item, where, node))  # raises again, now with lines
    return problems


def _iter_jsonl(path: Path) -> Iterator[AnyProblem]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputDataError(f"{path}: cannot read: {exc.strerror or exc}") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputDataError(f"{path}: line {n}: invalid JSON: {exc.msg}") from None
        yield _validate(data, f"{path}: line {n}")


# ----------------------------------------------------------------------------------------- writing


def problem_to_dict(problem: AnyProblem) -> dict[str, Any]:
    """A problem as plain data in file order (`id`, `domain` first), without default-valued fields."""
    data = problem.model_dump(mode="json", exclude_defaults=True)
    return {"id": problem.id, "domain": problem.domain, **{k: v for k, v in data.items() if k != "id"}}


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings (statements, code) as `|` blocks, like the hand-written files."""


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value and not any(line != line.rstrip() for line in value.splitlines()) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str_presenter)


def dump_yaml(data: Any) -> str:
    """YAML text in the style of the problem files."""
    return yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=110)


# ---------------------------------------------------------------------------------------------- bank


class ProblemBank:
    """An immutable set of problems by id, remembering which file each came from."""

    def __init__(self, problems: Iterable[tuple[AnyProblem, Path]] = ()) -> None:
        by_id: dict[str, AnyProblem] = {}
        paths: dict[str, Path] = {}
        for problem, path in problems:
            if problem.id in by_id:
                raise InputDataError(
                    f"duplicate problem id {problem.id!r} in {paths[problem.id]} and {path}",
                    hint="ids must be unique across the bank, the toy set and extra files",
                )
            by_id[problem.id] = problem
            paths[problem.id] = path
        self._problems: Mapping[str, AnyProblem] = MappingProxyType(by_id)
        self._paths: Mapping[str, Path] = MappingProxyType(paths)

    @classmethod
    def load(
        cls,
        extra_paths: Iterable[str | Path] = (),
        *,
        include_bank: bool = True,
        include_toy: bool = True,
        root: str | Path | None = None,
        ladders: bool = True,
    ) -> ProblemBank:
        """The bank (`datasets/problems/`), the toy set (`datasets/toy/`) and any extra files or folders.

        Args:
            extra_paths: problem files, collection files (`.jsonl`, YAML lists) or folders of them.
            include_bank: load `datasets/problems/`.
            include_toy: load `datasets/toy/`.
            root: the datasets folder (default: `datasets_dir()`).
            ladders: attach the validated hint ladders of `<root>/hints/*.json` to the debugging bugs.
        """
        base = Path(root) if root is not None else datasets_dir()
        sources: list[Path] = []
        if include_bank:
            sources += problem_files(base / "problems")
        if include_toy:
            sources += problem_files(base / "toy")
        entries: list[tuple[AnyProblem, Path]] = [(load_problem_file(p), p) for p in sources]
        for extra in extra_paths:
            extra = Path(extra)
            if extra.is_dir():
                entries += [(load_problem_file(p), p) for p in problem_files(extra)]
            elif extra.is_file():
                entries += [(p, extra) for p in load_collection_file(extra)]
            else:
                raise InputDataError(f"{extra}: no such problem file or folder")
        if ladders and (files := ladder_files(base / "hints")):
            found = merged_ladders(files)
            entries = [(with_ladders(p, found.get(p.id, {})), path) for p, path in entries]
        return cls(entries)

    def get(self, problem_id: str) -> AnyProblem:
        """The problem with this id.

        Raises:
            NotFoundError: no such problem (the message suggests close ids).
        """
        try:
            return self._problems[problem_id]
        except KeyError:
            import difflib

            close = difflib.get_close_matches(problem_id, list(self._problems), n=3)
            hint = f"did you mean {', '.join(close)}?" if close else "`socratic problems list` shows the ids"
            raise NotFoundError(f"no problem with id {problem_id!r}", hint=hint) from None

    def list(self, domain: str | None = None) -> list[AnyProblem]:
        """Problems sorted by id, optionally of one domain (math | physics | debugging)."""
        if domain is not None and domain not in DOMAINS:
            raise NotFoundError(f"no domain {domain!r}", hint=f"domains are {', '.join(DOMAINS)}")
        return sorted((p for p in self._problems.values() if domain is None or p.domain == domain), key=lambda p: p.id)

    def path_of(self, problem_id: str) -> Path:
        """The file the problem was loaded from."""
        self.get(problem_id)
        return self._paths[problem_id]

    @property
    def ids(self) -> builtins.list[str]:
        return sorted(self._problems)

    def __len__(self) -> int:
        return len(self._problems)

    def __contains__(self, problem_id: object) -> bool:
        return problem_id in self._problems

    def __iter__(self) -> Iterator[AnyProblem]:
        return iter(self.list())


def with_ladders(problem: AnyProblem, ladders: Mapping[str, tuple[LadderHint, ...]]) -> AnyProblem:
    """The problem with each bug's validated hint ladder attached (bugs without one are left as they are)."""
    if not isinstance(problem, DebuggingProblem) or not ladders:
        return problem
    bugs = tuple(b.model_copy(update={"hint_ladder": ladders[b.id]}) if b.id in ladders else b for b in problem.bugs)
    return problem.model_copy(update={"bugs": bugs})


def problem_files(folder: Path) -> list[Path]:
    """The single-problem YAML files under `folder`, recursively, sorted."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix in PROBLEM_SUFFIXES and p.is_file())


@lru_cache(maxsize=1)
def toy_bank() -> ProblemBank:
    """The toy set alone (`datasets/toy/`): 2 math, 2 physics, 3 debugging problems, for tests."""
    return ProblemBank.load(include_bank=False)
