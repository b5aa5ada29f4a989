"""File formats: text of unknown encoding, JSON Lines and CSV in bounded memory, tag output files, atomic writes."""
