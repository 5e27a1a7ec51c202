"""A student's learning in the store: mastery carried across sessions, its history, a class's table, and the
practice choices with their reasons."""

from __future__ import annotations

from tutor.storage import Store


def _knowledge(mastery: dict[str, float], observed: dict[str, int]) -> dict:
    return {"params": {}, "mastery": mastery, "observations": observed}


def _turn(store: Store, session_id: str, owner, knowledge: dict) -> None:
    store.add_student_message(session_id, owner, "is it 5?")
    store.add_tutor_turn(session_id, owner, "What do you notice?", {"index": 1}, {"tutor": {}}, knowledge)


def test_mastery_is_kept_per_concept_only_where_there_was_evidence(store: Store) -> None:
    ada = store.create_user("ada", "correct horse")
    first = store.start_session(ada.id, "p1", "math", "One", {"tutor": {}}).id
    _turn(store, first, ada, _knowledge({"division": 0.62, "money": 0.3}, {"division": 1, "money": 0}))
    assert store.mastery_of(ada.id) == {"division": 0.62}  # money is still the prior: nothing measured
    second = store.start_session(ada.id, "p2", "math", "Two", {"tutor": {}}).id
    _turn(store, second, ada, _knowledge({"division": 0.3, "money": 0.71}, {"division": 0, "money": 2}))
    assert store.mastery_of(ada.id) == {"division": 0.62, "money": 0.71}  # a prior never overwrites a measure
    _turn(store, first, ada, _knowledge({"division": 0.8, "money": 0.3}, {"division": 2, "money": 0}))
    history = store.mastery_history(ada.id)
    assert [(p.concept, p.mastery) for p in history] == [("division", 0.62), ("money", 0.71), ("division", 0.8)]
    assert history[0].at <= history[1].at <= history[2].at


def test_a_class_table_has_every_member_and_only_members(store: Store) -> None:
    tess = store.create_user("tess", "correct horse", "teacher")
    klass = store.create_class(tess, "7B")
    ada = store.create_user("ada", "correct horse", join_code=klass.join_code)
    store.create_user("bea", "correct horse", join_code=klass.join_code)
    cy = store.create_user("cy", "correct horse")
    for student in (ada, cy):
        session = store.start_session(student.id, "p1", "math", "One", {"tutor": {}}).id
        _turn(store, session, student, _knowledge({"division": 0.5}, {"division": 1}))
    assert store.class_mastery(klass.id) == {"ada": {"division": 0.5}, "bea": {}}


def test_practice_choices_are_kept_with_their_reason_newest_first(store: Store) -> None:
    ada = store.create_user("ada", "correct horse")
    store.record_practice_choice(ada, "p1", "targets division", {"score": 0.7})
    store.record_practice_choice(ada, "p2", "targets money", {"score": 0.6})
    assert [(c.problem_id, c.reason, c.details) for c in store.practice_choices(ada.id)] == [
        ("p2", "targets money", {"score": 0.6}),
        ("p1", "targets division", {"score": 0.7}),
    ]
