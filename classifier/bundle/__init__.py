"""A trained model as data on disk (save, load, check), the loaded Model that answers, and its Suggestion results."""
