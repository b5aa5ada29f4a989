"""docs/robustness.md stays the record of every case docs/robustness.py runs."""

import subprocess
import sys

from conftest import ROOT


def test_every_robustness_case_has_a_row_and_every_row_a_case():
    result = subprocess.run([sys.executable, str(ROOT / "docs" / "robustness.py"), "--check", "--rows"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_check_reruns_cases_and_they_still_do_what_the_record_says():
    # The whole record takes minutes (`python docs/robustness.py --check`); the quick bundle cases show
    # that --check runs the commands again instead of only matching rows to cases.
    result = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "robustness.py"), "--check", "--only", "model.json:"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "all 6 cases matching 'model.json:' ran as documented" in result.stdout


def test_the_record_shows_nothing_lost_and_no_traceback():
    record = (ROOT / "docs" / "robustness.md").read_text(encoding="utf-8")
    # The script marks a loss in bold; a crash would put a traceback's last line on stderr.
    assert "**" not in record and "Traceback" not in record
