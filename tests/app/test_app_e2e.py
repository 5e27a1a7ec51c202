"""The app end to end: through `gradio_client`, and in real headless Chromium (Debian's, via Playwright)."""

from __future__ import annotations

import pytest

from tests.app.conftest import ARTIFACTS


def _text(message: dict) -> str:
    content = message["content"]
    return content if isinstance(content, str) else " ".join(part.get("text", "") for part in content)


def test_sign_up_start_and_chat_through_gradio_client(running_app):
    from gradio_client import Client

    url, service = running_app
    client = Client(url, verbose=False)
    client.predict("ivy", "correct horse", "", api_name="/sign_up")
    outputs = client.predict("toy-math-pencils", False, api_name="/start_problem")
    chat, statement = outputs[0], outputs[1]
    assert "How much do the 7 pencils cost" in _text(chat[0])
    session_id = statement.rsplit("session `", 1)[1].split("`")[0]
    result = client.predict("I think 7.40", "", chat, api_name="/send")
    history = result[0]
    assert history[-1]["role"] == "assistant" and _text(history[-1]).strip()
    user = service.store.authenticate("ivy", "correct horse")
    assert [m.role for m in service.store.transcript(session_id, user)] == ["tutor", "student", "tutor"]


@pytest.mark.browser
def test_student_journey_in_headless_chromium(running_app, browser):
    from playwright.sync_api import expect

    url, service = running_app
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(url)
    _sign_up_start_pencils_and_answer(page, "jo")
    chat_text = page.locator("#chat").inner_text()
    assert "2.2" not in chat_text and "2.20" not in chat_text  # the final answer is never shown
    # A student sees their own progress in plain words, and no tutor's thinking at all.
    progress = page.locator("#progress")
    progress.get_by_text("You are on step 1 of 2.").wait_for(timeout=10_000)
    assert "Multiplication" in progress.inner_text() and "%" in progress.inner_text()
    assert not page.locator("#thinking").is_visible()
    body = page.locator("body").inner_text()
    assert "Assessment:" not in body and "wrong-operation" not in body and "Leak guard" not in body
    page.screenshot(path=str(ARTIFACTS / "math-session.png"), full_page=True)

    page.locator("#domain input").first.click()
    page.get_by_role("option", name="debugging").click()
    page.locator("#problem input").first.click()
    page.get_by_role("option", name="Index of the largest number (toy-debug-max-index)").click()
    page.locator("#start-btn").click()
    page.locator("#run-tests").wait_for(state="visible", timeout=20_000)
    page.locator("#run-tests").click()
    page.get_by_text("tests pass.").wait_for(timeout=30_000)
    assert "0/4 tests pass" in page.locator("#tests-out").inner_text()
    assert "Bug 1: fix it in your code" in page.locator("#progress").inner_text()
    assert "Fix:" not in page.locator("body").inner_text()
    page.screenshot(path=str(ARTIFACTS / "debugging-session.png"), full_page=True)

    # A teacher, in a fresh browser, reads the student's dialogue with the tutor's thinking under each turn.
    service.store.create_user("ms-rivera", "correct horse", "teacher")
    teacher = browser.new_page(viewport={"width": 1280, "height": 1000})
    teacher.goto(url)
    teacher.locator("#username input, #username textarea").first.fill("ms-rivera")
    teacher.locator("#password input").first.fill("correct horse")
    teacher.locator("#login-btn").click()
    teacher.get_by_text("Logged in as").wait_for(timeout=20_000)
    teacher.get_by_role("tab", name="Teacher").click()
    teacher.locator("#refresh-sessions").click()
    session_id = service.list_sessions(service.log_in("jo", "correct horse"))[-1].id
    expect(teacher.locator("#sessions-table")).to_contain_text(session_id, timeout=20_000)
    teacher.locator("#dialogue-id textarea, #dialogue-id input").first.fill(session_id)
    teacher.locator("#open-dialogue").click()
    teacher.locator("#dialogue").get_by_text("tutor's thinking").first.click()
    teacher.get_by_text("Assessment:").first.wait_for(timeout=10_000)
    assert "wrong-operation" in teacher.locator("#dialogue").inner_text()
    teacher.screenshot(path=str(ARTIFACTS / "teacher-dialogue.png"), full_page=True)
    browser.close()


@pytest.mark.browser
def test_limits_show_a_clear_message_and_keep_the_message_in_headless_chromium(running_app, browser):
    from playwright.sync_api import expect

    from tutor.service_limits import AbuseLimits, LimitPolicy

    url, service = running_app
    service.limits = AbuseLimits(LimitPolicy(failed_logins_per_name="2/minute", messages_per_session="1/minute"))
    service.sign_up("kim", "correct horse")
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(url)
    page.locator("#username input, #username textarea").first.fill("kim")
    status = page.locator("#login-status")
    password = page.locator("#password input").first
    for _ in range(2):
        password.fill("not my password")
        page.locator("#login-btn").click()
        expect(password).to_have_value("", timeout=20_000)  # a failed log-in clears the password
        expect(status).to_contain_text("wrong username or password", timeout=20_000)
    page.locator("#password input").first.fill("correct horse")
    page.locator("#login-btn").click()
    expect(status).to_contain_text("too many failed log-ins for this user name", timeout=20_000)
    assert "try again in" in status.inner_text()
    page.screenshot(path=str(ARTIFACTS / "login-limited.png"), full_page=True)

    _sign_up_start_pencils_and_answer(page, "lou")
    page.locator("#message textarea").fill("then maybe 28?")
    page.locator("#send-btn").click()
    expect(page.locator("#status")).to_contain_text("too many messages in this session", timeout=20_000)
    assert page.locator("#message textarea").input_value() == "then maybe 28?"  # nothing lost
    assert "then maybe 28?" not in page.locator("#chat").inner_text()
    page.screenshot(path=str(ARTIFACTS / "message-limited.png"), full_page=True)


def _sign_up_start_pencils_and_answer(page, name: str) -> None:
    """Sign up as `name`, open the pencils problem and answer its first step wrongly; wait for the reply."""
    page.locator("#username input, #username textarea").first.fill(name)
    page.locator("#password input").first.fill("correct horse")
    page.locator("#signup-btn").click()
    page.get_by_text(f"Logged in as {name}").first.wait_for(timeout=20_000)
    page.get_by_role("tab", name="Tutor").click()
    page.locator("#problem input").first.click()
    page.get_by_role("option", name="Change from five dollars (toy-math-pencils)").click()
    page.locator("#start-btn").click()
    page.get_by_text("How much do the 7 pencils cost altogether?").first.wait_for(timeout=20_000)
    page.locator("#message textarea").fill("I think it's 7.40")
    page.locator("#send-btn").click()
    page.get_by_text("What operation combines seven equal prices?").wait_for(timeout=60_000)
