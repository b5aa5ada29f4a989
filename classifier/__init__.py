"""classifier: suggest OSCE fields of work for policy texts with a TF-IDF and linear model."""

__version__ = "0.1.0"

# The public face for Python callers, each imported on first use, so `import classifier` and the
# command line start fast: name -> module that defines it.
_PUBLIC = {
    "load_model": "classifier.bundle.storage",
    "Model": "classifier.bundle.model",
    "Suggestion": "classifier.bundle.suggestion",
    "parse_release": "classifier.corpus.release",
    "read_documents": "classifier.corpus.documents",
    "Taxonomy": "classifier.taxonomy.fields",
    "ClassifierError": "classifier.errors",
    "train": "classifier.workflows.training",
    "tag": "classifier.workflows.tagging",
    "evaluate_model": "classifier.evaluation.metrics",
}
__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name):
    if name in _PUBLIC:
        import importlib  # only where it is used

        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'classifier' has no attribute {name!r}")


def __dir__():
    # The public names are imported on first use, so they are not in the module's namespace until then: listed
    # here, tab completion and help(classifier) show them before any is used.
    return sorted({*globals(), *__all__})
