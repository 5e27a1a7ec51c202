"""The learned judge: per dimension, TF-IDF features and logistic regression trained on human labels.

    judge = train_learned_judge(calibration_records)        # a few seconds on a CPU
    judge.judge(JudgeInput(history=..., response=...))      # a JudgeVerdict, as the LLM judge gives
    judge.save(path); LearnedJudge.load(path)

Features of one response: word 1-2-grams and character 2-5-grams (within words) of the reply, each a
sublinear TF-IDF block. One logistic regression per dimension with balanced class weights, because the
scored figure is macro-F1 and the rare label ("To some extent") would otherwise hardly ever be predicted.
These choices were made by 5-fold cross-validation grouped by conversation on the calibration half only
(the test half is never used to choose): mean macro-F1 over the 4 BEA dimensions 0.569 for words +
characters, 0.564 for words alone, 0.483 for words without class weights; the student's last turn as a
third block gave 0.567, so the judge reads the reply alone (it cannot tell whether the student's answer
was wrong, only how the reply reads).

A dimension is learned when its training labels hold at least two classes; the judge leaves the other
dimensions unlabelled (None), so a BEA-trained judge labels 4 of the 8 dimensions.

`learned_judge_for("learned" | "learned:PATH", cache_dir)` gives a ready judge: PATH is a saved model
(`.joblib`) or a labelled file (MRBench/BEA JSON) whose calibration half it trains on; plain `learned`
trains on the BEA 2025 dev set under `TUTOR_REALDATA_DIR`. Trained models are cached in
`<cache_dir>/judges/`, keyed by the training file's content, the split seed and the feature version.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from evals.calibrate import load_labelled
from evals.judge import JudgeInput, JudgeVerdict
from evals.labels import DIMENSIONS, JudgeLabels
from student_sim.fidelity import realdata_dir
from tutor.errors import InputDataError
from tutor.files import atomic_writer
from tutor.problems.labelled import LabelledTutorResponse

FEATURE_VERSION = "tfidf-reply-v2"
BEA_DEV = Path("bea2025") / "mrbench_v3_devset.json"  # under TUTOR_REALDATA_DIR
C = 1.0  # inverse regularisation strength of the logistic regressions (grouped CV on the calibration half)


def _tfidf(**options: Any) -> TfidfVectorizer:
    return TfidfVectorizer(min_df=2, sublinear_tf=True, **options)


def make_vectoriser() -> FeatureUnion:
    """The features of a reply, unfitted (shared by every dimension: the text is vectorised once)."""
    return FeatureUnion(
        [("reply_words", _tfidf(ngram_range=(1, 2))), ("reply_chars", _tfidf(analyzer="char_wb", ngram_range=(2, 5)))]
    )


def make_classifier(seed: int = 0) -> LogisticRegression:
    """The classifier of one dimension, unfitted."""
    return LogisticRegression(C=C, class_weight="balanced", max_iter=2000, random_state=seed)


@dataclass
class LearnedJudge:
    """Fitted per-dimension classifiers (see the module docstring); `judge` gives a `JudgeVerdict`."""

    vectoriser: FeatureUnion
    models: dict[str, LogisticRegression]
    info: dict[str, Any] = field(default_factory=dict)

    def judge(self, item: JudgeInput) -> JudgeVerdict:
        """Label one response on the learned dimensions."""
        return self.judge_many([item])[0]

    def judge_many(self, items: Sequence[JudgeInput]) -> list[JudgeVerdict]:
        """Label many responses at once (one vectorisation per dimension)."""
        if not items:
            return []
        started = time.perf_counter()
        x = self.vectoriser.transform([i.response for i in items])
        predicted = {d: model.predict(x) for d, model in self.models.items()}
        each = (time.perf_counter() - started) / len(items)
        return [
            JudgeVerdict(JudgeLabels.model_validate({d: str(p[k]) for d, p in predicted.items()}), "", each)
            for k in range(len(items))
        ]

    @property
    def dimensions(self) -> list[str]:
        return [d for d in DIMENSIONS if d in self.models]

    def save(self, path: str | Path) -> Path:
        """Write the fitted judge (joblib); returns the path."""
        with atomic_writer(path) as handle:
            joblib.dump({"vectoriser": self.vectoriser, "models": self.models, "info": self.info}, handle)
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> LearnedJudge:
        """A judge saved by `save` (raises `InputDataError` for a file that is not one)."""
        path = Path(path)
        try:
            data = joblib.load(path)
        except FileNotFoundError:
            raise InputDataError(f"{path}: no such learned judge file") from None
        except Exception as exc:  # joblib raises whatever unpickling raised
            raise InputDataError(f"{path}: not a learned judge file ({type(exc).__name__})") from None
        if not isinstance(data, dict) or not isinstance(data.get("models"), dict) or "vectoriser" not in data:
            raise InputDataError(f"{path}: not a learned judge file")
        return cls(data["vectoriser"], data["models"], data.get("info", {}))


def train_learned_judge(
    records: Sequence[LabelledTutorResponse], *, seed: int = 0, info: dict[str, Any] | None = None
) -> LearnedJudge:
    """Fit one classifier per dimension whose human labels in `records` hold at least two classes.

    Raises:
        InputDataError: no dimension can be learned from these records.
    """
    started, cpu = time.perf_counter(), time.process_time()
    vectoriser = make_vectoriser()
    x = vectoriser.fit_transform([r.response for r in records])
    models: dict[str, LogisticRegression] = {}
    counts: dict[str, dict[str, int]] = {}
    for d in DIMENSIONS:
        labelled = [(k, str(lab)) for k, r in enumerate(records) if (lab := getattr(r.labels, d)) is not None]
        tally = dict(Counter(lab for _, lab in labelled))
        if len(tally) < 2:
            continue
        models[d] = make_classifier(seed).fit(x[[k for k, _ in labelled]], [lab for _, lab in labelled])
        counts[d] = tally
    if not models:
        raise InputDataError("no dimension has two different human labels to learn from")
    meta = {
        "feature_version": FEATURE_VERSION,
        "sklearn": sklearn.__version__,
        "trained_on": len(records),
        "label_counts": counts,
        "train_s": round(time.perf_counter() - started, 2),
        "train_cpu_s": round(time.process_time() - cpu, 2),
        **(info or {}),
    }
    return LearnedJudge(vectoriser, models, meta)


# ------------------------------------------------------------------------------- from a judge spec


def _file_key(path: Path, seed: int) -> str:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return f"learned-{digest}-s{seed}-{FEATURE_VERSION}-sk{sklearn.__version__}"


def train_on_file(data: str | Path, cache_dir: Path | None = None, *, seed: int | None = None) -> LearnedJudge:
    """The learned judge trained on the calibration half of a labelled file (cached when `cache_dir`)."""
    from evals.calibration_split import SEED, split_for

    seed = SEED if seed is None else seed
    data = Path(data)
    records, _ = load_labelled(data)
    cached = cache_dir / "judges" / f"{_file_key(data, seed)}.joblib" if cache_dir is not None else None
    if cached is not None and cached.is_file():
        try:
            return LearnedJudge.load(cached)
        except InputDataError:
            pass  # a damaged cache entry is retrained below
    split, how = split_for((r.conversation_id for r in records), seed)
    calibration, _ = split.partition(records)
    judge = train_learned_judge(calibration, info={"data": data.name, "split": how, "seed": seed})
    if cached is not None:
        judge.save(cached)
    return judge


def learned_judge_for(spec: str, cache_dir: Path | None) -> LearnedJudge:
    """The learned judge of a spec: `learned:MODEL.joblib`, `learned:LABELLED.json`, or `learned` (trained
    on the BEA 2025 dev set under `TUTOR_REALDATA_DIR`).

    Raises:
        InputDataError: no such file, or `learned` without `TUTOR_REALDATA_DIR`.
    """
    _, _, where = spec.partition(":")
    if where:
        path = Path(where).expanduser()
        return LearnedJudge.load(path) if path.suffix == ".joblib" else train_on_file(path, cache_dir)
    root = realdata_dir()
    if root is None:
        raise InputDataError(
            "the learned judge needs its training data",
            "set TUTOR_REALDATA_DIR to the folder holding bea2025/mrbench_v3_devset.json, or give "
            "--judge learned:PATH (a labelled MRBench/BEA JSON file or a saved .joblib judge)",
        )
    path = root / BEA_DEV
    if not path.is_file():
        raise InputDataError(f"{path}: no such file", "TUTOR_REALDATA_DIR must hold bea2025/mrbench_v3_devset.json")
    return train_on_file(path, cache_dir)


__all__ = [
    "BEA_DEV",
    "FEATURE_VERSION",
    "LearnedJudge",
    "learned_judge_for",
    "make_classifier",
    "make_vectoriser",
    "train_learned_judge",
    "train_on_file",
]
