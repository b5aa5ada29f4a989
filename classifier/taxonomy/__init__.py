"""The label taxonomy: the OSCE fields of work from taxonomy.yaml."""
