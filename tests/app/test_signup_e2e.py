"""Sign-up modes and classes in real headless Chromium (Debian's, via Playwright): a teacher makes a class
and sets its reveal policy in the Teacher tab; with invite-only sign-up a student needs that class's code;
with sign-up closed there is no way to make an account in the browser. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from tests.app.conftest import ARTIFACTS, serving

pytestmark = pytest.mark.browser


def _fill_login(page, username: str, password: str, code: str | None = None) -> None:
    page.locator("#username input, #username textarea").first.fill(username)
    page.locator("#password input").first.fill(password)
    if code is not None:
        page.locator("#join-code input, #join-code textarea").first.fill(code)


def _logged_in_page(browser, url: str, username: str, height: int = 1100, tab: str | None = None):
    """A new page on the app with `username` logged in (password "correct horse"), on `tab` if given."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": height})
    page.goto(url)
    _fill_login(page, username, "correct horse")
    page.locator("#login-btn").click()
    expect(page.locator("#login-status")).to_contain_text("Logged in as", timeout=20_000)
    if tab:
        page.get_by_role("tab", name=tab).click()
    return page


def _teacher_makes_a_class(browser, url: str) -> str:
    from playwright.sync_api import expect

    page = _logged_in_page(browser, url, "tess", tab="Teacher")
    page.locator("#class-name input, #class-name textarea").first.fill("7B maths")
    page.locator("#create-class").click()
    status = page.locator("#status")
    expect(status).to_contain_text("students join with the code", timeout=20_000)
    code = status.inner_text().rsplit("code", 1)[1].strip(" .:\n*")
    page.get_by_label("after N failed attempts").check()
    page.locator("#save-policy").click()
    expect(status).to_contain_text("reveals the answer after 3 failed attempts", timeout=20_000)
    expect(page.locator("#classes-table")).to_contain_text(code, timeout=20_000)
    page.screenshot(path=str(ARTIFACTS / "teacher-classes.png"), full_page=True)
    page.close()
    return code


def test_invite_only_sign_up_needs_the_class_code_made_in_the_teacher_tab(service, browser):
    from playwright.sync_api import expect

    service.store.create_user("tess", "correct horse", "teacher")
    service.settings.access.signup = "invite"
    with serving(service) as url:
        code = _teacher_makes_a_class(browser, url)
        assert len(code) == 8, code
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(url)
        expect(page.locator("#signup-note")).to_contain_text("class join code", timeout=20_000)
        status = page.locator("#login-status")
        for typed, refusal in (("", "needs your class's join code"), ("WRONG123", "no class has that join code")):
            _fill_login(page, "ana", "violet kettle march", typed)
            page.locator("#signup-btn").click()
            expect(status).to_contain_text(refusal, timeout=20_000)
        page.screenshot(path=str(ARTIFACTS / "signup-invite-refused.png"), full_page=True)
        _fill_login(page, "ana", "password1", code)
        page.locator("#signup-btn").click()
        expect(status).to_contain_text("password too weak", timeout=20_000)
        _fill_login(page, "ana", "violet kettle march", code.lower())
        page.locator("#signup-btn").click()
        expect(status).to_contain_text("Logged in as", timeout=20_000)
        page.get_by_role("tab", name="Tutor").click()
        page.locator("#class-box").click()
        expect(page.locator("#my-classes")).to_contain_text("7B maths", timeout=20_000)
        page.screenshot(path=str(ARTIFACTS / "signup-invite-joined.png"), full_page=True)
    ana = service.log_in("ana", "violet kettle march")
    assert service.reveal_policy(ana) == 3


def test_closed_sign_up_offers_no_way_to_make_an_account(service, browser):
    from playwright.sync_api import expect

    service.store.create_user("ada", "correct horse")
    service.settings.access.signup = "closed"
    with serving(service) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url)
        expect(page.locator("#signup-note")).to_contain_text("Sign-up is closed", timeout=20_000)
        assert page.locator("#signup-btn").count() == 0 or not page.locator("#signup-btn").is_visible()
        assert not page.locator("#join-code").is_visible()
        page.screenshot(path=str(ARTIFACTS / "signup-closed.png"), full_page=True)
        _fill_login(page, "ada", "correct horse")
        page.locator("#login-btn").click()
        expect(page.locator("#login-status")).to_contain_text("Logged in as", timeout=20_000)


def _work(service, student, answers=("7 x 0.40 = 2.80", "5 - 2.80 = 2.20")) -> None:
    from tutor.service_views import TurnResult

    session = service.start(student, "toy-math-pencils").session_id
    for text in answers:
        assert any(isinstance(item, TurnResult) for item in service.send(student, session, text))


def test_mastery_curves_the_next_problem_and_the_class_heat_map(service, browser):
    from playwright.sync_api import expect

    tess = service.store.create_user("tess", "correct horse", "teacher")
    klass = service.create_class(tess, "7B maths")
    ada = service.sign_up("ada", "correct horse", join_code=klass.join_code)
    bea = service.sign_up("bea", "correct horse", join_code=klass.join_code)
    _work(service, ada)
    _work(service, bea, ("is it 99?", "7 x 0.40 = 2.80"))
    with serving(service) as url:
        page = _logged_in_page(browser, url, "ada", height=1300, tab="Tutor")
        expect(page.locator("#my-curve img, #my-curve svg").first).to_be_visible(timeout=20_000)
        page.locator("#next-btn").click()
        expect(page.locator("#status")).to_contain_text("Why this problem?", timeout=30_000)
        expect(page.locator("#my-curve img, #my-curve svg").first).to_be_visible(timeout=20_000)
        page.wait_for_timeout(1500)  # the chained curve refresh settles before the picture is taken
        page.screenshot(path=str(ARTIFACTS / "student-next-problem-curve.png"), full_page=True)
        teacher = _logged_in_page(browser, url, "tess", height=1600, tab="Teacher")
        teacher.locator("#class-pick input").first.click()
        teacher.get_by_role("option", name="7B maths").click()
        teacher.locator("#student-filter input, #student-filter textarea").first.fill("ada")
        teacher.locator("#learning-btn").click()
        expect(teacher.locator("#class-heatmap img, #class-heatmap svg").first).to_be_visible(timeout=30_000)
        expect(teacher.locator("#student-curve img, #student-curve svg").first).to_be_visible(timeout=30_000)
        teacher.wait_for_timeout(1000)
        teacher.screenshot(path=str(ARTIFACTS / "teacher-heatmap-curve.png"), full_page=True)
    assert [c.problem_id for c in service.store.practice_choices(ada.id)]  # the browser's choice was recorded
