"""The graph from files: finding and parsing ontology/ and data/ttl/, and SHACL validation."""
