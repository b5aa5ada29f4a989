"""The words a scraped OSCE page is built from: its content types, header keys and month names, and the marks it
may put before an item."""

CONTENT_TYPES = ("press release", "news", "feature", "statement", "speech", "report", "story", "op-ed", "interview")
HEADER_KEYS = ("date", "place", "source", "fields of work", "what we do")
FIELDS_KEYS = ("fields of work", "what we do")
MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
# Marks a page copied from elsewhere may put before a menu item or header value instead of the site's dash.
BULLETS = "*•·"
