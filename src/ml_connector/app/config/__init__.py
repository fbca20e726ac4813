"""The config file, its settings models, secret references and resolved credentials."""
