"""Documents: scraped pages parsed into releases, inputs of every kind read as documents, labelled data sets."""
