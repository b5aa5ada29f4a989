"""The words a scraped OSCE page is built from: its content types, header keys and month names."""

CONTENT_TYPES = ("press release", "news", "feature", "statement", "speech", "report", "story", "op-ed", "interview")
HEADER_KEYS = ("date", "place", "source", "fields of work", "what we do")
FIELDS_KEYS = ("fields of work", "what we do")
MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
