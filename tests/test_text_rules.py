"""How the features read a text's title: the text up to its first line break."""

from classifier.estimator.text import first_line


def test_the_title_is_the_first_line_of_a_text_of_many():
    """A text of three lines or more: its title is its first line, not all but its last."""
    texts = ["Observers deployed\nThe mission opened.\nIt will report.\n", "One line only", "\nA text without title"]
    assert first_line(texts) == ["Observers deployed", "One line only", ""]
