"""The maintainers' `timeline` command: one module per family of subcommands, each a thin
skin over the service, the engine and the exporters.
"""
