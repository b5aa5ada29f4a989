"""Counting in bulk gives the matrices that counting term by term gives: word unigrams and bigrams around stop
words, words of one character and the edges of texts and titles, character n-grams, a table of words emptied or
sent to another process, and the accent stripping all of them share."""

import pickle
import sys

import numpy as np
import pytest
from scipy import sparse

from classifier.bundle.storage import load_model
from classifier.estimator.counting import (
    CharGramCounter,
    WordGramCounter,
    Words,
    WordStore,
    WordTable,
    counts_matrix,
    normalize,
)
from classifier.estimator.evidence import PhraseCounter, evidence_features
from classifier.estimator.runtime import CharNgrams, CharTfidf, LinearTopicModel, WordTfidf, _tfidf
from classifier.estimator.stopwords import ENGLISH_STOP_WORDS

from conftest import in_threads

TERMS = ["human", "rights", "human rights", "rights human", "police", "police reform", "x1", "ab", "ab_c", "hx"]
TEXTS = [
    "Human rights\nThe police reform of human rights",  # a title, then the body
    "human x rights; human ж rights, human_rights",  # one-character words (ASCII and not) do not break a bigram
    "human of the rights, human, rights",  # stop words are left out before bigrams are formed
    "rights",  # a bigram never spans two texts: "... rights" then "rights ..." below
    "human",
    "",
    "   \n  ",
    "\npolice reform in the body, none in an empty title",
    "Police\r\nreform",  # CRLF: the title ends at the line feed
    "ℌx ℌ police\u00a0reform\u2028human\u3000rights",  # NFKD makes ℌ an H; other white space splits words too
    "ΣΑΣ\nΑΣ x1 x1 x1 (ab) [ab_c] ab-c",
    "Genève naïve ÉLECTIONS à Priština ﬁnal Ⅻ police…reform “human” ‘rights’",
    "human´rights ´ police´´reform",  # NFKD makes ´ a space and a mark: one word normalised is two, or none
]


def _per_term(part: WordTfidf, texts):
    """The same block counted term by term (its analyzer), without the bulk counter."""
    columns, indptr = [], [0]
    for text in texts:
        columns.extend(part.vocabulary[gram] for gram in part.analyze(text) if gram in part.vocabulary)
        indptr.append(len(columns))
    return _tfidf(columns, indptr, len(part.vocabulary), part.idf)


def _canonical(matrix):
    """A copy with each row's indices sorted, after checking that no row holds a column twice (the character block
    leaves them in the order its text first holds them)."""
    matrix = sparse.csr_array(matrix, copy=True)
    matrix.has_sorted_indices = False  # sort whatever the matrix says of itself
    matrix.sort_indices()
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    assert not ((np.diff(matrix.indices) <= 0) & (rows[1:] == rows[:-1])).any(), "a row holds a column twice"
    return matrix


def _same(a, b):
    a, b = _canonical(a), _canonical(b)
    assert a.shape == b.shape
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)


@pytest.mark.parametrize("first_line_only", [False, True])
def test_word_ngrams_counted_in_bulk_equal_those_counted_term_by_term(first_line_only):
    idf = np.linspace(1.0, 3.0, len(TERMS))
    part = WordTfidf(TERMS, idf, (1, 2), "english", first_line_only=first_line_only)
    assert part._counter is not None
    _same(part.transform(TEXTS), _per_term(part, TEXTS))
    assert part.transform(TEXTS[1:2])[0, part.vocabulary["human rights"]] > 0
    assert part.transform(TEXTS[3:5])[:, part.vocabulary["rights human"]].sum() == 0
    assert part.transform(TEXTS[-1:])[0, part.vocabulary["police reform"]] > 0  # across the ´ of one word
    # Only bigrams, or only unigrams though the vocabulary holds bigrams: none of them is counted then.
    for ngram_range in ((2, 2), (1, 1)):
        only = WordTfidf(TERMS, idf, ngram_range, "english", first_line_only=first_line_only)
        _same(only.transform(TEXTS), _per_term(only, TEXTS))
    unigrams = WordTfidf(TERMS, idf, (1, 1), "english").transform(["human rights police reform"])
    assert sorted(TERMS[column] for column in unigrams.indices) == ["human", "police", "rights"]


def test_longer_word_ngrams_are_counted_term_by_term():
    part = WordTfidf(["human rights police", "human"], [1.0, 2.0], (1, 3), "english")
    assert part._counter is None
    assert part.transform(["Human rights police", "police"]).nnz == 2
    with pytest.raises(
        ValueError, match="^a word n-gram of more than two words in a vocabulary of unigrams and bigrams$"
    ):
        WordGramCounter(part.vocabulary, frozenset(), (1, 2), WordTable(100))  # the bulk counter takes up to bigrams


def test_character_ngrams_counted_in_bulk_equal_those_counted_term_by_term():
    model = load_model().estimator
    chars = next(part for name, part, _ in model.parts if name == "chars")
    fresh = CharTfidf(list(chars.vocabulary), chars.idf, chars.ngrams.ngram_range, ENGLISH_STOP_WORDS)
    texts = TEXTS + ["The OSCE's (mission) and “others”, the-end."]
    columns, indptr = CharNgrams(chars.ngrams.ngram_range, ENGLISH_STOP_WORDS).count(texts, chars.vocabulary, {})
    _same(fresh.transform(texts), _tfidf(columns, indptr, len(chars.vocabulary), chars.idf))


def test_a_full_table_is_emptied_and_a_sent_model_starts_with_an_empty_one():
    model = load_model().estimator
    arrays, vocabularies = model.to_arrays()
    expected = model.transform(TEXTS)
    small = LinearTopicModel.from_arrays(model.params, arrays, vocabularies)
    table = small.parts[0][1].table
    assert all(part.table is table for _, part, _ in small.parts)  # one table: each text is split once
    table.limit = 3
    for _ in range(3):
        _same(small.transform(TEXTS), expected)
    assert len(table.ids) == len({word for text in TEXTS for word in text.split()})
    sent = LinearTopicModel.from_arrays(model.params, arrays, vocabularies)
    sent.transform(TEXTS[::-1])  # the words get other ids than TEXTS would give them
    copy = pickle.loads(pickle.dumps(sent))
    assert copy.parts[0][1].table.ids == {} and all(store.words == 0 for store in copy.parts[0][1].table.stores)
    _same(copy.transform(TEXTS), expected)
    _same(copy.transform(TEXTS[::-1]), sent.transform(TEXTS[::-1]))


def test_a_table_gives_each_word_one_id_and_each_store_its_runs():
    table = WordTable(100)
    lengths = table.store(lambda word: [len(word)])  # any run of ints a block takes from a word
    words = table.words(["a bb a", "", "ccc bb"])
    assert words.ids.tolist() == [0, 1, 0, 2, 1] and words.rows.tolist() == [0, 0, 0, 2, 2]
    assert table.words(["bb dddd"]).ids.tolist() == [1, 3]
    store = table.store(lambda word: [len(word)] * len(word))  # added late: fills in the words already met
    values, rows = store.gather(words)
    assert values.tolist() == [1, 2, 2, 1, 3, 3, 3, 2, 2] and rows.tolist() == [0, 0, 0, 0, 2, 2, 2, 2, 2]
    assert lengths.gather(words)[0].tolist() == [1, 2, 1, 3, 2]
    titles = table.words(["a bb\nccc", "\nbb", "dddd"]).first_lines()
    assert titles.ids.tolist() == [0, 1, 3] and titles.rows.tolist() == [0, 0, 2]


def _first_code(word: str) -> list[int]:
    """What a store takes from a word here: the code of its first character (É in a word as it is, e once
    normalised)."""
    return [ord(word[0])]


def test_a_raw_store_takes_the_words_as_the_text_has_them_when_added_late_or_sent():
    table = WordTable(100)
    table.words(["Élan x"])
    raw = table.store(_first_code, raw=True)  # added late: fills in the words met already
    normalised = table.store(_first_code)
    words = table.words(["Élan Über", "", "x"])
    assert raw.gather(words)[0].tolist() == [ord("É"), ord("Ü"), ord("x")]
    assert normalised.gather(words)[0].tolist() == [ord("e"), ord("u"), ord("x")]
    copy = pickle.loads(pickle.dumps(table))  # the stores arrive empty, each still raw or not
    sent = copy.words(["Über Élan"])
    assert [store.gather(sent)[0].tolist() for store in copy.stores] == [[ord("Ü"), ord("É")], [ord("u"), ord("e")]]
    for store in (WordStore(_first_code), WordStore.__new__(WordStore)):  # made alone, or pickled before `raw`
        if not hasattr(store, "raw"):
            store.__setstate__({"of_word": _first_code})
        store.extend(["Élan"], [["elan"]])
        assert store.gather(Words(["Élan"], np.array([0]), np.array([0])))[0].tolist() == [ord("e")]


def test_a_store_refuses_values_past_what_its_int32_starts_can_index():
    store = WordStore(lambda word: [1, 2])
    store.used = np.iinfo(np.int32).max - 1  # as if that many were stored: two more would wrap the int32 starts
    refusal = r"^a word table's store would hold 2147483648 values, more than int32 indexes$"
    with pytest.raises(OverflowError, match=refusal):
        store.extend(["ab"], [["ab"]])
    assert store.words == 0  # nothing half-stored


def test_a_table_is_emptied_only_once_it_holds_more_words_than_its_limit():
    table = WordTable(3)
    lengths = table.store(lambda word: [len(word)])
    table.words(["a bb ccc"])
    assert list(table.ids) == ["a", "bb", "ccc"]  # at the limit: kept
    table.words(["dddd"])
    assert list(table.ids) == ["a", "bb", "ccc", "dddd"]  # past it now: emptied at the next call
    words = table.words(["ee a"])
    assert list(table.ids) == ["ee", "a"] and lengths.gather(words)[0].tolist() == [2, 1] and lengths.words == 2


def test_a_call_that_empties_a_full_table_and_is_interrupted_leaves_it_empty():
    """Ctrl-C in the call that empties a full table, after one block stored the new words and before another did:
    every word of that call is forgotten (the table held none before it), so the next call stores them in both."""
    interrupted = []

    def first_code(word: str) -> list[int]:
        if interrupted == ["armed"]:
            interrupted.append(word)
            raise KeyboardInterrupt
        return [ord(word[0])]

    table = WordTable(3)
    lengths, codes = table.store(lambda word: [len(word)]), table.store(first_code)
    table.words(["a bb ccc dddd"])  # past the limit: emptied at the next call
    interrupted.append("armed")
    with pytest.raises(KeyboardInterrupt):
        table.words(["xx y"])
    assert interrupted == ["armed", "xx"] and table.ids == {} and lengths.words == codes.words == 0
    words = table.words(["y xx"])
    assert lengths.gather(words)[0].tolist() == [1, 2] and codes.gather(words)[0].tolist() == [ord("y"), ord("x")]


def test_a_store_takes_thousands_of_new_words_at_once_and_counts_a_chunk_of_one_word_repeated():
    table = WordTable(10**6)
    store = table.store(lambda word: [len(word) - 2])
    words = table.words([" ".join(f"w{i}" for i in range(3000))])  # more new words than twice the first size
    assert store.words == 3000 and store.gather(words)[0].tolist() == [len(str(i)) - 1 for i in range(3000)]
    table = WordTable(100)
    store = table.store(lambda word: [0])
    assert store.counts(table.words(["ab " * 5000]), 1).toarray().tolist() == [[5000.0]]  # 1 value, 5,000 times


def test_a_word_normalised_to_several_words_gives_the_runs_of_each():
    table = WordTable(100)
    lengths = table.store(lambda word: [len(word)])
    words = table.words(["ab´cde ´ f´´g", "ÁB"])
    assert lengths.gather(words)[0].tolist() == [2, 3, 1, 1, 2] and words.ids.tolist() == [0, 1, 2, 3]


def test_gathering_few_picks_out_the_words_that_have_values():
    table = WordTable(100)
    store = table.store(lambda word: [len(word)] if word.startswith("x") else [])
    words = table.words(["a xb c", "", "xdd e xf", "g"])
    for few in (False, True):
        values, rows = store.gather(words, few=few)
        assert values.tolist() == [2, 3, 2] and rows.tolist() == [0, 2, 2]
        assert [part.size for part in store.gather(table.words(["a c"]), few=few)] == [0, 0]


def test_rows_are_summed_per_text():
    table = WordTable(100)
    table.words(["a bb"])
    rows = table.rows(lambda word: [len(word), 1], 2)  # added late: fills in the words met already
    words = table.words(["a bb ccc", "dddd", "", "e ff", "a a"])  # new words: each store takes its rows
    sums = rows.sums(words)
    assert sums.tolist() == [[6, 3], [4, 1], [0, 0], [3, 2], [2, 2]] and sums.dtype == np.int64
    none = rows.sums(table.words(["", " "]))  # no words at all
    assert none.tolist() == [[0, 0], [0, 0]] and none.dtype == np.int64
    # Integers past what float64 holds exactly (2**53 + 1 is not a float64): summed exactly in a table's first rows
    # and in rows grown past their first size (1,024 words), here by 1,500 words met at once.
    big = table.rows(lambda word: [2**53 + len(word)], 1)
    assert big.sums(table.words(["a bb ccc"])).tolist() == [[3 * 2**53 + 6]]
    table = WordTable(10**6)
    grown = table.rows(lambda word: [2**53 + 1] if word == "big" else [1], 1)
    words = table.words([" ".join(f"w{i}" for i in range(1500)) + " big", "big w0"])
    assert grown.words == 1501 and grown.sums(words).tolist() == [[1500 + 2**53 + 1], [2**53 + 2]]


def test_counts_are_those_of_summing_duplicates():
    rng = np.random.default_rng(0)
    # (2, 2**30): the keys fit in 32 bits, but not the row starts (3 * 2**30).
    for n_rows, width in ((7, 5), (50, 300), (2, 2**30), (3, 2**30)):
        rows = np.sort(rng.integers(0, n_rows, 400))
        columns = rng.integers(0, width, 400)
        expected = sparse.coo_array((np.ones(400, np.float32), (rows, columns)), shape=(n_rows, width)).tocsr()
        expected.sum_duplicates()
        _same(counts_matrix(rows, columns, n_rows, width), expected)
    assert counts_matrix(np.zeros(0, int), np.zeros(0, int), 2, 4).shape == (2, 4)
    # Indices of 32 bits, half the memory, as scipy gives them, for as long as every row start fits in 32 bits.
    for n_rows, width, bits in ((50, 300, 32), (1, 2**30 - 1, 32), (2, 2**30 - 1, 64)):
        rows, columns = np.arange(n_rows), np.full(n_rows, width - 1)
        matrix = counts_matrix(rows, columns, n_rows, width)
        assert matrix.indices.dtype == matrix.indptr.dtype == np.dtype(f"int{bits}")
        assert matrix.indices.tolist() == columns.tolist()


def test_phrases_counted_on_normalised_texts_are_those_of_the_texts():
    counter = PhraseCounter(load_model().estimator.label_phrases)
    normalized = [normalize(text) for text in TEXTS + ["Élections: Human Rights Défenders, police reform"]]
    np.testing.assert_array_equal(
        evidence_features(counter, TEXTS, normalized=False)[: len(TEXTS)],
        evidence_features(counter, normalized, normalized=True)[: len(TEXTS)],
    )


def test_accents_are_stripped_as_scikit_learn_strips_them_for_every_character():
    from sklearn.feature_extraction.text import strip_accents_unicode

    from classifier.estimator.text import strip_accents

    characters = [chr(code) for code in range(sys.maxunicode + 1) if not 0xD800 <= code <= 0xDFFF]
    for start in range(0, len(characters), 4096):
        block = "a" + "a".join(characters[start : start + 4096])  # each mark after a letter, and on its own
        assert strip_accents(block) == strip_accents_unicode(block)
        assert strip_accents(block.lower()) == strip_accents_unicode(block.lower())


def test_threads_sharing_a_model_get_the_features_each_would_get_alone():
    """The REST API scores in threads: adding words to the shared table, or emptying it, must not mix them up."""
    model = load_model().estimator
    arrays, vocabularies = model.to_arrays()
    shared = LinearTopicModel.from_arrays(model.params, arrays, vocabularies)
    shared.parts[0][1].table.limit = 30  # emptied again and again
    batches = [[f"{text} word{i} other{i % 7}" for text in TEXTS] for i in range(40)]
    expected = [model.transform(batch) for batch in batches]
    for got, want in zip(in_threads(shared.transform, batches), expected):
        _same(got, want)


def test_a_large_call_counted_block_by_block_gives_what_one_block_gives(monkeypatch):
    import classifier.estimator.runtime as runtime

    model = load_model().estimator
    texts = TEXTS * 3
    whole, proba = model.transform(texts), model.predict_proba(texts)
    monkeypatch.setattr(runtime, "BLOCK_ROWS", 5)
    _same(model.transform(texts), whole)
    np.testing.assert_array_equal(model.predict_proba(texts), proba)


def test_a_text_gets_the_same_scores_byte_for_byte_in_any_chunk_and_with_any_table():
    # The character block's rows hold their columns in the order the text first has them, and float32 sums them
    # in that order: the same text must keep it whatever other texts share its chunk and whatever ids its words got.
    model = load_model().estimator
    arrays, vocabularies = model.to_arrays()
    texts = TEXTS + ["Election observers from ODIHR met police and border guards in Priština."]
    together = model.predict_proba(texts)
    fresh = LinearTopicModel.from_arrays(model.params, arrays, vocabularies)
    fresh.predict_proba(["Observers border police election guards met"])  # other ids for the same words
    alone = np.vstack([fresh.predict_proba([text]) for text in reversed(texts)])[::-1]
    assert together.tobytes() == alone.tobytes()


def test_bulk_counts_equal_scikit_learns_count_vectorizers_on_the_corpus_and_odd_texts():
    """The counts behind every feature, checked against scikit-learn itself (not our term-by-term analyzers): word
    unigrams and bigrams of the whole text and unigrams of its title, and character n-grams of 3 to 5 ("char_wb"),
    each over the vocabulary scikit-learn fits on the same texts."""
    from functools import partial

    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as SKLEARN_STOP_WORDS
    from sklearn.feature_extraction.text import CountVectorizer, strip_accents_unicode

    from classifier.estimator.text import char_input

    from conftest import training_records

    stop = frozenset(SKLEARN_STOP_WORDS)
    texts = [f"{r['title']}\n{r['text']}" for r in training_records()[:60]] + TEXTS
    table = WordTable(10**6)
    words = table.words(texts)

    def title(text):
        return strip_accents_unicode(text.split("\n", 1)[0].lower())

    for ngram_range, preprocessor, first_lines in (((1, 2), None, False), ((1, 1), title, True), ((2, 2), None, False)):
        plain = CountVectorizer(ngram_range=ngram_range, stop_words="english", strip_accents="unicode")
        plain.set_params(preprocessor=preprocessor)
        expected = plain.fit_transform(texts)
        counter = WordGramCounter(plain.vocabulary_, stop, ngram_range, table)
        _same(counter.count(words.first_lines() if first_lines else words), expected.astype(np.float32))
    plain = CountVectorizer(analyzer="char_wb", ngram_range=(3, 5), preprocessor=partial(char_input, stop_words=stop))
    expected = plain.fit_transform(texts)
    counter = CharGramCounter(plain.vocabulary_, CharNgrams((3, 5), stop).grams, stop, table)
    _same(counter.count(words), expected.astype(np.float32))
