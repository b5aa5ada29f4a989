"""How good a model is: metrics, comparing two models with a regression gate, and the HTML report."""
