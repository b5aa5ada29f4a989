"""The page at / in a real headless Chromium: suggest for a pasted text and an uploaded file, review the queue."""

import json
import os
import shutil
import urllib.request

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install '.[serve]'")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the test extra")

from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from conftest import ROOT, SEED_ELECTIONS, needs_seeds  # noqa: E402
from serving import queue_rows, running_server, write_queue  # noqa: E402

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
if not (CHROMIUM and CHROMEDRIVER):
    if os.environ.get("CI"):  # CI installs them (.ci/run): a missing browser there is a failure, not a skip
        raise RuntimeError("chromium and chromedriver are missing; .ci/run installs them with apt-get")
    pytest.skip(
        "Debian's chromium and chromium-driver are not installed (apt-get install -y chromium chromium-driver)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("page")
    queue = write_queue(folder / "queue.jsonl", queue_rows(8))
    with running_server(folder, "--queue", str(queue), "--labels", str(folder / "labelled.jsonl")) as running:
        running.labels = folder / "labelled.jsonl"
        yield running


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        "--disable-gpu",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def open_page(browser, server, hash=""):
    browser.get("about:blank")  # a new document each time: going from / to /#review alone would only change the hash
    browser.get(server.url + "/" + hash)
    WebDriverWait(browser, 30).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true"
    )


def wait_for(browser, condition, timeout=60):
    # The page redraws a table after each answer; an element read just before it is replaced is retried.
    return WebDriverWait(browser, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: condition(d)
    )


def text_of(browser, css):
    return wait_for(browser, lambda d: [d.find_element(By.CSS_SELECTOR, css).text])[0]


def result_rows(browser, table="#scores"):
    rows = []
    for row in browser.find_elements(By.CSS_SELECTOR, f"{table} tbody tr"):
        cells = row.find_elements(By.TAG_NAME, "td")
        rows.append(
            {
                "label": row.get_attribute("data-label"),
                "accepted": "accepted" in row.get_attribute("class"),
                "mark": cells[0].text,
                "terms": cells[3].text,
                "name": cells[1].text,
            }
        )
    return rows


@needs_seeds
def test_pasted_page_shows_ranked_fields_accepted_marked_and_evidence_highlighted(browser, server, tmp_path):
    from classifier import load_model

    text = SEED_ELECTIONS.read_text(encoding="utf-8")
    expected = load_model().suggest(text, explain=True)
    open_page(browser, server)
    browser.execute_script("arguments[0].value = arguments[1]", browser.find_element(By.ID, "text"), text)
    browser.find_element(By.ID, "suggest-button").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "result").is_displayed() and result_rows(d))
    rows = result_rows(browser)
    assert [row["label"] for row in rows] == [label for label, _ in expected.scores]
    assert [row["label"] for row in rows if row["accepted"]] == expected.labels
    assert all(row["mark"] == "✓" for row in rows if row["accepted"])
    for label in expected.labels:
        terms = ", ".join(term for term, _ in expected.evidence[label])
        named = expected.named.get(label)
        shown = f"{terms}\nnamed: {', '.join(named)}" if named else terms  # the phrases on a line of their own
        assert next(row for row in rows if row["label"] == label)["terms"] == shown
    assert expected.named  # the page names its fields by their taxonomy phrases, and the page shows them
    marked = {mark.text.lower() for mark in browser.find_elements(By.CSS_SELECTOR, "#result-text mark")}
    shown = {term for label in expected.labels for term, _ in expected.evidence[label]}
    named = {phrase.lower() for label in expected.labels for phrase in expected.named.get(label, [])}
    assert marked and marked <= shown | named and marked & named  # terms and phrases marked in the text
    assert browser.find_element(By.ID, "result-title").text == expected.title
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert all(url.startswith(server.url + "/") for url in loaded)  # nothing fetched from anywhere else
    browser.save_screenshot(os.environ.get("CLASSIFIER_SCREENSHOT") or str(tmp_path / "page.png"))


def test_a_phrase_found_in_its_plural_is_marked_in_the_colour_of_its_field(browser, server):
    from classifier import load_model

    text = (
        "Border guards and customs officers from three neighbouring countries trained together at two border "
        "crossing points on the northern frontier, in a course run by the OSCE Programme Office."
    )
    expected = load_model().suggest(text, explain=True)
    # taxonomy.yaml spells it in the singular; the rule allows a plural, and so does the page's marking.
    assert "border crossing point" in expected.named["Border management"]
    open_page(browser, server)
    browser.execute_script("arguments[0].value = arguments[1]", browser.find_element(By.ID, "text"), text)
    browser.find_element(By.ID, "suggest-button").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "result").is_displayed() and result_rows(d))
    marks = browser.find_elements(By.CSS_SELECTOR, "#result-text mark")
    fields = {" ".join(mark.text.lower().split()): mark.get_attribute("title") for mark in marks}
    assert fields["border crossing points"] == "Border management"


def test_terms_and_phrases_are_marked_where_the_text_spells_them_with_accents(browser, server):
    from classifier import load_model

    text = (
        "Observers from ODIHR watched the parliamentary élections in Tirana, where the Central Élection Commission "
        "counted the ballots and voters queued at every polling station."
    )
    expected = load_model().suggest(text, explain=True)
    # The model reads the text without accents: its evidence and phrases are spelled without them.
    assert ("elections" in dict(expected.evidence["Elections"])) and "central election commission" in expected.named[
        "Elections"
    ]
    open_page(browser, server)
    browser.execute_script("arguments[0].value = arguments[1]", browser.find_element(By.ID, "text"), text)
    browser.find_element(By.ID, "suggest-button").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "result").is_displayed() and result_rows(d))
    marks = browser.find_elements(By.CSS_SELECTOR, "#result-text mark")
    fields = {" ".join(mark.text.split()): mark.get_attribute("title") for mark in marks}
    assert fields["élections"] == fields["Central Élection Commission"] == "Elections"  # marked as the text spells them
    assert browser.find_element(By.ID, "result-text").text.endswith("at every polling station.")  # nothing lost


def test_api_docs_are_drawn_from_openapi_json_with_nothing_fetched_elsewhere(browser, server):
    browser.get(server.url + "/docs")
    wait_for(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".operation h3")) > 5)
    titles = [h.text for h in browser.find_elements(By.CSS_SELECTOR, ".operation h3")]
    assert "POST /v1/projects/{project_id}/suggest" in titles and "GET /v1/projects" in titles
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert loaded and all(url.startswith(server.url + "/") for url in loaded)


def test_uploaded_file_is_suggested(browser, server):
    open_page(browser, server)
    browser.find_element(By.ID, "file").send_keys(str(ROOT / "examples" / "trafficking-training-serbia.txt"))
    wait_for(browser, lambda d: d.find_element(By.ID, "result").is_displayed() and result_rows(d))
    rows = result_rows(browser)
    assert rows[0]["label"] == "Combating trafficking in human beings" and rows[0]["accepted"]
    assert "accepted" in browser.find_element(By.ID, "suggest-status").text


# The page's first question to the explain route gets its answer only when the test calls releaseFirstAnswer(). The
# answer is handed over as a response of its own whose json() sets a timer: the timer runs after the page's awaits
# on that answer, so firstAnswerRead says the page has had it and drawn it, or not.
HOLD_FIRST_ANSWER = """
const original = window.fetch;
let first = true;
window.fetch = async (path, options) => {
  const held = first && String(path).endsWith('/explain');
  if (held) first = false;
  const response = await original(path, options);
  if (!held) return response;
  const body = await response.json();
  await new Promise((resolve) => { window.releaseFirstAnswer = resolve; });
  return {ok: response.ok, status: response.status, statusText: response.statusText,
          json: async () => { setTimeout(() => { window.firstAnswerRead = true; }, 0); return body; }};
};
"""


def test_an_earlier_question_answered_last_does_not_replace_the_latest_answer(browser, server, tmp_path):
    """A long pasted text's answer came after that of a small file chosen meanwhile, and replaced it: the page showed
    the text the editor had left, as the answer to the file. Only the latest question's answer is drawn."""
    open_page(browser, server)
    browser.execute_script(HOLD_FIRST_ANSWER)
    pasted = "Election observation\nObservers from ODIHR watched the parliamentary elections and the count."
    browser.execute_script("arguments[0].value = arguments[1]", browser.find_element(By.ID, "text"), pasted)
    browser.find_element(By.ID, "suggest-button").click()
    wait_for(browser, lambda d: d.execute_script("return typeof window.releaseFirstAnswer === 'function'"))
    chosen = tmp_path / "border.txt"
    chosen.write_text("Border guards trained\nBorder guards trained at border crossing points.\n", encoding="utf-8")
    browser.find_element(By.ID, "file").send_keys(str(chosen))
    wait_for(browser, lambda d: d.find_element(By.ID, "result-title").text == "Border guards trained")
    status = browser.find_element(By.ID, "suggest-status").text  # set with the title, in the same step
    assert status.endswith("accepted")
    browser.execute_script("window.releaseFirstAnswer()")
    wait_for(browser, lambda d: d.execute_script("return window.firstAnswerRead === true"))
    assert browser.find_element(By.ID, "result-title").text == "Border guards trained"
    assert browser.find_element(By.ID, "suggest-status").text == status
    assert browser.find_element(By.ID, "suggest-button").is_enabled()


def test_the_same_file_chosen_again_after_an_edit_is_read_again(browser, server, tmp_path):
    """The file input kept the file chosen, so choosing the same file again, edited meanwhile, was no change to it:
    nothing was asked, and the page went on showing the old text's fields."""
    chosen = tmp_path / "notes.txt"
    chosen.write_text("First draft\nBorder guards trained at border crossing points.\n", encoding="utf-8")
    open_page(browser, server)
    browser.find_element(By.ID, "file").send_keys(str(chosen))
    wait_for(browser, lambda d: d.find_element(By.ID, "result-title").text == "First draft")
    chosen.write_text("Second draft\nObservers watched the parliamentary elections.\n", encoding="utf-8")
    browser.find_element(By.ID, "file").send_keys(str(chosen))
    wait_for(browser, lambda d: d.find_element(By.ID, "result-title").text == "Second draft")


def test_a_chosen_file_that_cannot_be_read_is_said(browser, server, tmp_path):
    """A file removed or changed between being chosen and being read: the read failed without a word, the page
    showing nothing of it."""
    chosen = tmp_path / "gone.txt"
    chosen.write_text("Border guards trained\n", encoding="utf-8")
    open_page(browser, server)
    browser.execute_script(
        "File.prototype.arrayBuffer = () => Promise.reject(new DOMException('The file could not be read.', "
        "'NotReadableError'));"
    )
    browser.find_element(By.ID, "file").send_keys(str(chosen))
    wait_for(
        browser,
        lambda d: (
            d.find_element(By.ID, "suggest-status").text == "could not read gone.txt: The file could not be read."
        ),
    )


def test_a_text_the_model_abstains_on_says_why(browser, server):
    open_page(browser, server)
    recipe = "Preheat the oven to 200 degrees. Mix flour, sugar and butter, then bake the cake for forty minutes."
    browser.execute_script("arguments[0].value = arguments[1]", browser.find_element(By.ID, "text"), recipe)
    browser.find_element(By.ID, "suggest-button").click()
    status = wait_for(
        browser,
        lambda d: (
            d.find_element(By.ID, "suggest-status").text.startswith("no field accepted")
            and d.find_element(By.ID, "suggest-status").text
        ),
    )
    assert status == "no field accepted: the text does not read like an OSCE policy text"
    assert not any(row["accepted"] for row in result_rows(browser))


def test_low_confidence_fields_are_flagged(browser, server):
    from classifier import load_model

    flags = load_model().flags
    open_page(browser, server)
    browser.execute_script(
        "arguments[0].value = 'Small arms and light weapons: a stockpile destroyed.'",
        browser.find_element(By.ID, "text"),
    )
    browser.find_element(By.ID, "suggest-button").click()
    wait_for(browser, lambda d: result_rows(d))
    shown = {row["label"]: row["name"] for row in result_rows(browser)}
    assert flags and all(shown[label].endswith(flag) for label, flag in flags.items())


def test_review_queue_saves_an_edited_decision_and_counts_it(browser, server):
    queue = server.get("/v1/queue")
    item, before = queue["next"], queue["progress"]
    open_page(browser, server, "#review")
    wait_for(
        browser,
        lambda d: (
            d.find_element(By.ID, "review-item").is_displayed()
            and d.find_element(By.ID, "review-title").text == (item["title"] or "(no title)")
        ),
    )
    ticked = wait_for(
        browser,
        lambda d: [
            [box.get_attribute("value") for box in d.find_elements(By.CSS_SELECTOR, "#review-fields input:checked")]
        ],
    )[0]
    assert sorted(ticked) == sorted(item["suggested"])
    assert text_of(browser, "#labelled-count") == str(before["labelled"])
    assert text_of(browser, "#left-count") == str(before["left"])
    # Edit: tick one more field, then save.
    extra = next(label for label in ("Youth", "Education", "Migration") if label not in item["suggested"])
    assert browser.find_element(By.ID, "save-button").text == "Accept the model's fields"
    browser.find_element(By.CSS_SELECTOR, f"#review-fields input[value='{extra}']").click()
    assert browser.find_element(By.ID, "save-button").text == "Save my edit"
    browser.find_element(By.ID, "save-button").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "review-status").text == f"saved: {item['id']}")
    wait_for(browser, lambda d: d.find_element(By.ID, "labelled-count").text == str(before["labelled"] + 1))
    assert text_of(browser, "#left-count") == str(before["left"] - 1)
    row = json.loads(server.labels.read_text(encoding="utf-8").splitlines()[-1])
    assert row["id"] == item["id"] and set(row["labels"]) == set(item["suggested"]) | {extra}
    assert text_of(browser, f"#counts tr[data-label='{extra}'] td.count") == str(before["field_counts"][extra] + 1)
    # Skip the next one: nothing written, it goes to the end.
    following = server.get("/v1/queue")["next"]["id"]
    wait_for(browser, lambda d: d.find_element(By.ID, "review-title").text != (item["title"] or "(no title)"))
    browser.find_element(By.ID, "skip-button").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "review-status").text == f"skipped: {following}")
    assert len(server.labels.read_text(encoding="utf-8").splitlines()) == 1
    # Correct the saved one (a mis-click): back in the form as saved, its fields replaced by a row after it.
    browser.find_element(By.ID, "correct-button").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "review-title").text == (item["title"] or "(no title)"))
    assert browser.find_element(By.ID, "save-button").text == "Save the correction"
    browser.find_element(By.CSS_SELECTOR, f"#review-fields input[value='{extra}']").click()  # untick the extra field
    browser.find_element(By.ID, "save-button").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "review-status").text == f"corrected: {item['id']}")
    rows = [json.loads(line) for line in server.labels.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 2 and rows[-1]["id"] == item["id"] and rows[-1]["corrects"] is True
    assert set(rows[-1]["labels"]) == set(item["suggested"])
    # The counts and the queue follow the correction: still one document labelled, the extra field back down.
    wait_for(browser, lambda d: d.find_element(By.ID, "labelled-count").text == str(before["labelled"] + 1))
    assert text_of(browser, f"#counts tr[data-label='{extra}'] td.count") == str(before["field_counts"][extra])


def post_decision(server, decision: dict) -> dict:
    """A decision sent from elsewhere (another window, a script), as the page sends it."""
    request = urllib.request.Request(
        server.url + "/v1/queue/decisions", data=json.dumps(decision).encode(), method="POST"
    )
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def shown_id(browser, server) -> str:
    """The id of the document the review form shows, known by its title from the server's queue."""
    item = server.get("/v1/queue")["next"]
    wait_for(browser, lambda d: d.find_element(By.ID, "review-title").text == (item["title"] or "(no title)"))
    return item["id"]


def labelled_rows(server) -> list[dict]:
    return [json.loads(line) for line in server.labels.read_text(encoding="utf-8").splitlines()]


def labelled_count(server) -> int:
    """How many rows the labels file holds (0 before the first decision made it)."""
    return len(labelled_rows(server)) if server.labels.exists() else 0


def review_status_starting(browser, start: str) -> str:
    """The review's status line once it starts with `start` (waited for)."""

    def status(d):
        text = d.find_element(By.ID, "review-status").text
        return text.startswith(start) and [text]

    return wait_for(browser, status)[0]


def test_review_survives_a_reload_a_lost_answer_and_another_window(browser, server):
    open_page(browser, server, "#review")
    # Saved, then the next document's loading fails: the page says it was saved, and can still change it.
    first = shown_id(browser, server)
    browser.execute_script(
        "const original = window.fetch; let failed = false;"
        "window.fetch = (path, options) => {"
        "  if (!failed && String(path).startsWith('v1/queue?')) {"
        "    failed = true; return Promise.reject(new TypeError('x')); }"
        "  return original(path, options); };"
    )
    browser.find_element(By.ID, "save-button").click()
    status = review_status_starting(browser, "saved")
    assert status == (
        f"saved: {first}; the next document could not be loaded (the server did not answer: is it still running? "
        "Nothing was confirmed; reload the page when it is back)"
    )
    assert labelled_rows(server)[-1]["id"] == first
    assert browser.find_element(By.ID, "correct-button").is_displayed()
    assert not browser.find_element(By.ID, "save-button").is_enabled()  # it is saved: a second save would be refused
    # A reload keeps the way to change that decision, and the editor goes on from the first field's box.
    open_page(browser, server, "#review")
    second = shown_id(browser, server)
    assert second != first and browser.find_element(By.ID, "correct-button").is_displayed()
    browser.find_element(By.ID, "save-button").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "review-status").text == f"saved: {second}")
    focused = browser.switch_to.active_element
    assert (
        focused.get_attribute("name") == "labels"
        and focused.find_element(By.XPATH, "ancestor::table").get_attribute("id") == "review-fields"
    )
    # Another window labels the document this one shows: saving here offers to replace those fields.
    third = shown_id(browser, server)
    post_decision(server, {"id": third, "labels": ["Youth"]})
    browser.find_element(By.ID, "save-button").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "review-status").text.startswith("this document was labelled"))
    assert browser.find_element(By.ID, "save-button").text == "Save the correction"
    browser.find_element(By.ID, "save-button").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "review-status").text == f"corrected: {third}")
    rows = labelled_rows(server)
    assert rows[-2]["labels"] == ["Youth"] and rows[-1]["id"] == third and rows[-1]["corrects"] is True


def test_review_says_when_the_server_does_not_answer_and_why_the_model_gives_no_field(browser, server):
    open_page(browser, server, "#review")
    shown_id(browser, server)
    before = labelled_count(server)
    browser.execute_script("window.fetch = () => Promise.reject(new TypeError('Failed to fetch'));")
    browser.find_element(By.ID, "save-button").click()
    wait_for(
        browser,
        lambda d: (
            d.find_element(By.ID, "review-status").text
            == "the server did not answer: is it still running? Nothing was confirmed; reload the page when it is back"
        ),
    )
    assert labelled_count(server) == before
    # A document off the topics: the model abstains, and the form says why instead of offering to accept.
    open_page(browser, server, "#review")
    recipe = "Preheat the oven to 200 degrees. Mix flour, sugar and butter, then bake the cake for forty minutes."
    browser.execute_script(
        "const e = await api('v1/projects/default/explain', {method: 'POST', headers: {'Content-Type':"
        " 'application/json'}, body: JSON.stringify({text: arguments[0]})});"
        "showItem({id: 'german', title: '', text: arguments[0], origin: 'x', uncertainty: 1, suggested: e.labels,"
        " explanation: e});",
        recipe,
    )
    # The script's `await` returns at once: wait for the form to show the answer.
    wait_for(
        browser,
        lambda d: (
            d.find_element(By.ID, "review-abstained").text
            == "The model gives no field: the text does not read like an OSCE policy text. "
            "Tick the fields yourself, or skip."
        ),
    )
    assert browser.find_element(By.ID, "save-button").text == "Save my fields"


def test_a_decision_for_a_document_the_server_no_longer_queues_shows_the_queue_afresh(browser, server):
    """Started again with other inputs or another --queue-size, the server no longer queues the document the page
    shows: its decision was refused (404) and the page went on showing it, every save and skip refused alike, until
    the editor thought of reloading it."""
    open_page(browser, server, "#review")
    shown = shown_id(browser, server)
    before = labelled_count(server)
    browser.execute_script("currentItem = {...currentItem, id: 'queue.jsonl:99', digest: undefined};")
    browser.find_element(By.ID, "save-button").click()
    status = review_status_starting(browser, "no document")
    assert status == "no document 'queue.jsonl:99' in the queue or labelled from its inputs"
    assert browser.execute_script("return currentItem.id") == shown
    assert labelled_count(server) == before
    browser.find_element(By.ID, "save-button").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "review-status").text == f"saved: {shown}")


def test_choosing_another_model_asks_it_again(browser, server):
    """The shown result is the chosen model's: choosing another one asks again (here one the server does not
    have, so that the question is seen to go to it)."""
    open_page(browser, server)
    browser.execute_script("arguments[0].value = 'Observers followed the vote.'", browser.find_element(By.ID, "text"))
    browser.find_element(By.ID, "suggest-button").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "result").is_displayed() and result_rows(d))
    browser.execute_script(
        "const s = document.getElementById('project'); s.append(new Option('other', 'other')); s.value = 'other';"
        "s.dispatchEvent(new Event('change'));"
    )
    wait_for(
        browser,
        lambda d: d.find_element(By.ID, "suggest-status").text == "project 'other' not found (known: default)",
    )


def test_changing_the_last_decision_by_keyboard_goes_on_from_the_first_field(browser, server):
    """Enter on "Change the last decision" hid the button it was pressed on, and focus fell to the page's body: the
    next Tab went past the form. Focus goes to the first field of the document being corrected."""
    open_page(browser, server, "#review")
    first = server.get("/v1/queue")["next"]
    shown_id(browser, server)
    browser.find_element(By.ID, "save-button").send_keys(Keys.ENTER)
    wait_for(browser, lambda d: d.find_element(By.ID, "review-status").text == f"saved: {first['id']}")
    shown_id(browser, server)
    browser.find_element(By.ID, "correct-button").send_keys(Keys.ENTER)
    wait_for(browser, lambda d: d.find_element(By.ID, "review-status").text == f"correcting: {first['id']}")
    assert browser.find_element(By.ID, "review-title").text == (first["title"] or "(no title)")
    focused = browser.switch_to.active_element
    assert focused == browser.find_element(By.CSS_SELECTOR, "#review-fields tbody tr:first-child input[name=labels]")
    browser.find_element(By.ID, "skip-button").send_keys(Keys.ENTER)  # Cancel: the decision stays as saved
    wait_for(browser, lambda d: d.find_element(By.ID, "skip-button").text == "Skip")


def test_switching_model_with_unsaved_ticks_asks_first(browser, server):
    open_page(browser, server, "#review")
    shown_id(browser, server)
    box = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#review-fields input:not(:checked)"))[0]
    box.click()
    ticked = box.get_attribute("value")
    browser.execute_script(
        "const s = document.getElementById('project'); s.append(new Option('other', 'other')); s.value = 'other';"
        "s.dispatchEvent(new Event('change'));"
    )
    alert = wait_for(browser, lambda d: d.switch_to.alert)
    assert alert.text == "Your ticks on this document are not saved. Show another model's fields instead?"
    alert.dismiss()  # keep the ticks: the model shown stays, and so does the edit
    assert browser.find_element(By.ID, "project").get_attribute("value") == "default"
    assert browser.find_element(By.CSS_SELECTOR, f"#review-fields input[value='{ticked}']").is_selected()
    box.click()  # untick again: nothing unsaved, so a reload asks nothing either


def test_the_last_document_of_the_queue_says_it_is_saved_and_can_be_corrected(browser, tmp_path):
    """Saving the queue's last document hid the whole form, and with it the "saved" confirmation and the button to
    change the decision: a mis-click on the last document could not be corrected, and focus fell to the page."""
    queue = write_queue(tmp_path / "queue.jsonl", queue_rows(1))
    with running_server(tmp_path, "--queue", str(queue), "--labels", str(tmp_path / "labelled.jsonl")) as server:
        server.labels = tmp_path / "labelled.jsonl"
        open_page(browser, server, "#review")
        item = server.get("/v1/queue")["next"]
        shown_id(browser, server)
        browser.find_element(By.ID, "save-button").click()
        wait_for(browser, lambda d: d.find_element(By.ID, "review-empty").is_displayed())
        assert browser.find_element(By.ID, "review-status").is_displayed()
        assert browser.find_element(By.ID, "review-status").text == f"saved: {item['id']}"
        correct = browser.find_element(By.ID, "correct-button")
        assert correct.is_displayed() and browser.switch_to.active_element == correct
        # The correction: the document back, ticked as saved; saving it writes a row after the first one.
        correct.click()
        wait_for(browser, lambda d: d.find_element(By.ID, "review-item").is_displayed())
        assert browser.find_element(By.ID, "save-button").text == "Save the correction"
        extra = next(label for label in ("Youth", "Education", "Migration") if label not in item["suggested"])
        browser.find_element(By.CSS_SELECTOR, f"#review-fields input[value='{extra}']").click()
        browser.find_element(By.ID, "save-button").click()
        wait_for(browser, lambda d: d.find_element(By.ID, "review-status").text == f"corrected: {item['id']}")
        assert browser.find_element(By.ID, "review-empty").is_displayed()
        assert browser.find_element(By.ID, "correct-button").is_displayed()
        rows = labelled_rows(server)
        assert [row["id"] for row in rows] == [item["id"]] * 2 and rows[-1]["corrects"] is True
        assert set(rows[-1]["labels"]) == set(item["suggested"]) | {extra}
