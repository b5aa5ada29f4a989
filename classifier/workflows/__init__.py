"""What users run: training, batch tagging, picking what to label next, keeping the taxonomy in step with the site."""
