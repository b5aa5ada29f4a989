"""The scikit-learn estimator: features, one linear model per field, calibration, thresholds, taxonomy keywords."""
