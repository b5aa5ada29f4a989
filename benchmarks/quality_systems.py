"""The systems the quality benchmark compares, where it keeps their results, and its seed: shared by
benchmarks/quality.py, which measures them, and benchmarks/quality_page.py, which writes docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / ".cache" / "quality"
SEED = 0

SYSTEMS = {
    "ours": "classifier (default configuration)",
    "ours-whole": "classifier, every text read whole, one field always accepted (before windows and abstaining)",
    "ours-no-guide": "classifier trained without the field guide's written examples (`train --no-written-examples`)",
    "keywords": "keyword matcher: each field's name, aliases, subtopics and keywords found in the text",
    "sklearn": "scikit-learn baseline: TfidfVectorizer + one-vs-rest LogisticRegression, 0.5",
    "fasttext": "fastText supervised, one-vs-all loss",
    "annif-tfidf": "Annif 1.4.3 tfidf",
    "annif-svc": "Annif 1.4.3 svc",
    "annif-omikuji": "Annif 1.4.3 omikuji (Parabel)",
    "annif-fasttext": "Annif 1.4.3 fasttext",
    "annif-ensemble": "Annif 1.4.3 ensemble of the four",
}
