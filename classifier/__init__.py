"""classifier: suggest OSCE fields of work for policy texts with a TF-IDF and linear model."""

__version__ = "0.1.0"

__all__ = ["load_model", "parse_release", "Taxonomy", "__version__"]


def __getattr__(name):
    # Imported on first use, so `import classifier` and the CLI start fast.
    if name == "load_model":
        from classifier.bundle.storage import load_model

        return load_model
    if name == "parse_release":
        from classifier.corpus.release import parse_release

        return parse_release
    if name == "Taxonomy":
        from classifier.taxonomy.fields import Taxonomy

        return Taxonomy
    raise AttributeError(f"module 'classifier' has no attribute {name!r}")
