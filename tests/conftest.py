"""Shared paths, helpers and fixtures for the tests."""

import contextlib
import faulthandler
import json
import os
import signal
import sys
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# Property tests run a fixed set of examples: same examples on every machine, no time limit per
# example (CI machines are slow and shared), nothing stored between runs. HYPOTHESIS_PROFILE=thorough
# searches longer and at random, to hunt for new failures locally.
settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEEDS = ROOT.parent / "shared" / "seeds"
TRAINING = ROOT / "training" / "data" / "releases.jsonl"
SEED_ELECTIONS = SEEDS / "004_e25e08ca74735e5d.txt"
SEED_UNTAGGED = SEEDS / "000_249344e3ceadf321.txt"


def training_records() -> list[dict]:
    """The labelled corpus, one dict per item."""
    return [json.loads(line) for line in TRAINING.read_text(encoding="utf-8").splitlines()]


def in_threads(func, items: list, workers: int = 4) -> list:
    """`func` of each item in `workers` threads that take turns as often as they can (the REST API's threads)."""
    from concurrent.futures import ThreadPoolExecutor

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(func, items))
    finally:
        sys.setswitchinterval(interval)


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


# Tests that train a model on real data take seconds each. They are marked `slow` so that the mutation run
# (docs/mutation.md), which runs the tests that reach each mutant again for every mutant, can leave them out.
TRAINING_FIXTURES = {"small_corpus", "models", "model_on_first_300"}


def pytest_collection_modifyitems(items):
    for item in items:
        if TRAINING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


# Every process a test starts carries this run's mark in its environment, new sessions and daemons included.
# Whatever still runs when the session ends is listed and killed: a leftover worker or server would hold the
# output pipe of whoever ran the tests (CI waits for it to close) or the interpreter's exit, which joins children.
os.environ["CLASSIFIER_TEST_RUN"] = f"{os.getpid()}-{uuid.uuid4().hex}"
RUN_MARK = f"CLASSIFIER_TEST_RUN={os.environ['CLASSIFIER_TEST_RUN']}".encode()


def marked_processes() -> list[tuple[int, str]]:
    """(pid, command line) of every live process but this one that carries this run's mark."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        if int(entry.name) == os.getpid():
            continue
        try:
            if RUN_MARK not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        # A zombie has no command line and holds nothing open. A resource tracker is this process's own helper:
        # it ends once every process holding its pipe has, which the processes killed here make sure of.
        if command and "resource_tracker import main" not in command:
            found.append((int(entry.name), command))
    return found


def pytest_sessionfinish(session, exitstatus):
    session.config.stash[EXIT_STATUS] = int(exitstatus)
    leftovers = {}
    for _ in range(20):  # a process killed while starting another: look again until nothing is left
        found = marked_processes()
        if not found:
            break
        for pid, command in found:
            leftovers.setdefault(pid, command)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if leftovers and reporter is not None:
        reporter.write("\n")
        reporter.write_line(
            f"{len(leftovers)} process(es) started by the tests were still running; killed:", yellow=True
        )
        for pid, command in leftovers.items():
            reporter.write_line(f"  {pid} {command[:200]}", yellow=True)


@pytest.fixture(autouse=True)
def _signal_handlers_kept():
    """Each test ends with the SIGINT and SIGTERM handlers it started with. The command line ignores a second Ctrl-C
    while it exits after the first (`signal.SIG_IGN`); a test that interrupts it in this process left SIGINT ignored,
    and every command a later test started inherited that, so its Ctrl-C tests failed when run after it."""
    kept = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    yield
    for number, handler in kept.items():
        signal.signal(number, handler)


EXIT_STATUS = pytest.StashKey[int]()
EXIT_GRACE_SECONDS = 120


def pytest_unconfigure(config):
    # Run as a program (not inside another tool), pytest's process ends right after this hook. Should a thread or
    # an exit handler a test left behind hold it up, its stacks are printed and the process ends with the
    # tests' own status, instead of hanging whoever waits for it.
    main = getattr(sys.modules.get("__main__"), "__file__", "") or ""
    if not (main.endswith(("/pytest", "/py.test", "pytest/__main__.py"))):
        return
    status = config.stash.get(EXIT_STATUS, 1)

    def watchdog():
        sys.stderr.write(f"the test process did not exit {EXIT_GRACE_SECONDS} s after the tests ended; its threads:\n")
        faulthandler.dump_traceback(all_threads=True)
        sys.stderr.flush()
        for pid, _ in marked_processes():  # its workers too: they would hold the output pipe
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        os._exit(status)

    timer = threading.Timer(EXIT_GRACE_SECONDS, watchdog)
    timer.daemon = True
    timer.start()


needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not beside the checkout")


@pytest.fixture(scope="session")
def taxonomy():
    from classifier.taxonomy.fields import Taxonomy

    return Taxonomy.from_yaml(ROOT / "taxonomy.yaml")


def taxonomy_with_youth_renamed() -> str:
    """The shipped taxonomy.yaml's text with Youth renamed Young people, its old name kept as an alias (as
    `taxonomy sync` renames a field)."""
    text = (ROOT / "taxonomy.yaml").read_text(encoding="utf-8")
    youth = text.index("  - name: Youth\n")
    return text[:youth] + text[youth:].replace("  - name: Youth\n", "  - name: Young people\n", 1).replace(
        "aliases: []", "aliases: [Youth]", 1
    )


def pages_with_menus() -> list[Path]:
    """The shipped example pages that open with the site's menus, and the seed pages when they are beside the
    checkout."""
    examples = sorted((ROOT / "examples").glob("*.txt"))
    pages = [path for path in examples if path.read_text(encoding="utf-8").startswith("-\nOur work\n")]
    return pages + ([SEED_ELECTIONS, SEED_UNTAGGED] if SEEDS.is_dir() else [])


def collapsed_forms(page: str) -> dict[str, str]:
    """The page with its line breaks collapsed, as tables and scrapers hold it: joined by spaces (pandas after
    `" ".join(text.split())`), by tabs, with a line before the menus, with star bullets, with both."""
    stars = "\n".join(
        "*" if line == "-" else "* " + line[2:] if line.startswith("- ") else line for line in page.split("\n")
    )
    return {
        "joined by spaces": " ".join(page.split()),
        "joined by tabs": "\t".join(page.split("\n")),
        "a line before the menus": " ".join(("Skip to main content\n" + page).split()),
        "star bullets": " ".join(stars.split()),
        "a line before star bullets": " ".join(("Skip to main content\n" + stars).split()),
    }


@pytest.fixture(scope="session")
def menu_lines():
    """Every line of the site's navigation menus, as in the example pages."""
    page = (ROOT / "examples" / "election-observation-kyrgyzstan.txt").read_text(encoding="utf-8")
    return page[: page.index("Press release")].splitlines()


@pytest.fixture(scope="session")
def model_on_first_300(tmp_path_factory):
    """The model trained on the first 300 corpus items, trained once for every test that needs it:
    (bundle path, loaded model). Tests only read it; one that changes a model copies it first."""
    from classifier.workflows.training import train

    root = tmp_path_factory.mktemp("first_300")
    model, _ = train([write_jsonl(root / "first_300.jsonl", training_records()[:300])], root / "bundle")
    return root / "bundle", model


# A synthetic corpus for fast tests of the estimator and of bundles: short made-up texts about three fields, a
# few about two of them, and a fourth field with no example (known from its keywords only). Fitting it takes a
# fraction of a second, so the tests using it are not slow and the mutation run keeps them.
TINY_WORDS = {
    "Elections": ["election", "ballot", "voters", "polling", "candidates", "observers", "campaign", "turnout"],
    "Border management": ["border", "customs", "checkpoint", "crossing", "guards", "smuggling", "patrol", "migrants"],
    "Media freedom and development": ["journalists", "media", "press", "reporters", "broadcasters", "newspaper"],
}
TINY_FILLER = ["officials", "regional", "meeting", "capital", "experts", "training", "week", "discussed"]
TINY_LABELS = [*TINY_WORDS, "Youth"]
TINY_KEYWORDS = (
    "Elections\nelection. ballot. voters",
    "Border management\nborder. customs. checkpoint",
    "Media freedom and development\njournalists. media. press",
    "Youth\nyoung people. youth forum. volunteers",
)

# The tiny fields' phrases for the stacker and for accepting a field named outright: (names, keywords) each.
TINY_PHRASES = (
    (["election"], ["ballot", "voters"]),
    (["border"], ["customs"]),
    (["media"], ["press"]),
    (["youth"], ["young people"]),
)


def tiny_text(i: int, topics: list[str]) -> str:
    """Title line and body of made-up text number `i`, in the words of `topics`."""
    words = [TINY_WORDS[t][(i + k) % len(TINY_WORDS[t])] for t in topics for k in range(3)]
    filler = [TINY_FILLER[(i * 3 + k) % len(TINY_FILLER)] for k in range(3)]
    body = " ".join(words[1:] + filler + words[:1])
    return f"{words[0].capitalize()} {filler[0]} {i}\n{body.capitalize()} in the capital."


def tiny_corpus_rows() -> tuple[list[str], np.ndarray]:
    """36 texts, 12 per field of TINY_WORDS (every fourth about the next field too), and their 0/1 labels.
    Four texts carry a wrong label as well, as real labels sometimes do, so that no threshold is perfect."""
    fields = list(TINY_WORDS)
    texts, rows = [], []
    for i in range(36):
        topics = [fields[i % 3]] + ([fields[(i + 1) % 3]] if i % 4 == 0 else [])
        texts.append(tiny_text(i, topics))
        wrong = [fields[(i + 2) % 3]] if i % 9 == 7 else []
        rows.append([int(label in topics + wrong) for label in TINY_LABELS])
    return texts, np.array(rows, dtype=np.int8)


def fit_tiny_model():
    """TopicClassifier fitted on the tiny corpus with keywords (Youth is zero-shot) and 3 folds."""
    from classifier.estimator.model import TopicClassifier

    texts, Y = tiny_corpus_rows()
    return TopicClassifier(cv=3, label_keywords=TINY_KEYWORDS, labels=TINY_LABELS, min_examples=5).fit(texts, Y)


@pytest.fixture(scope="session")
def tiny_corpus():
    return tiny_corpus_rows()


@pytest.fixture
def tiny_model():
    """Fitted afresh for each test (half a second): the mutation run then counts the fit as reached by every test
    that checks what it learned, and runs them all against a mutant of the fit."""
    return fit_tiny_model()


@pytest.fixture(scope="session")
def shared_tiny_model():
    """The same model fitted once, for tests of what is done with a fitted model (saving, loading). Read only."""
    return fit_tiny_model()
