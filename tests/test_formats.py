"""What is told to be a pandas table (a DataFrame or Series, which the API refuses where it wants texts, documents or
paths) without importing pandas."""

import pandas as pd
import pytest

from classifier.io.formats import is_pandas_table


class DataFrame:
    """Not pandas's: another library's table of the same name."""


# pandas before 3.0 (the extra asks for 2.2 or later) gave its classes the module where they are defined.
PANDAS_2_FRAME = type("DataFrame", (), {"__module__": "pandas.core.frame"})
PANDAS_2_SERIES = type("Series", (), {"__module__": "pandas.core.series"})


@pytest.mark.parametrize(
    "value, expected",
    [
        (pd.DataFrame({"text": ["a", "b"]}), True),
        (pd.Series(["a", "b"], name="text"), True),
        (PANDAS_2_FRAME(), True),
        (PANDAS_2_SERIES(), True),
        (pd.Index(["a", "b"]), False),  # pandas, but neither table
        (pd.DataFrame({"text": ["a"]}).columns, False),
        (DataFrame(), False),  # a DataFrame, but not pandas's
        (["a", "b"], False),
    ],
    ids=[
        "DataFrame",
        "Series",
        "pandas 2 DataFrame",
        "pandas 2 Series",
        "Index",
        "columns",
        "DataFrame of another module",
        "list",
    ],
)
def test_a_pandas_table_is_a_dataframe_or_series_of_pandas(value, expected):
    assert is_pandas_table(value) is expected
