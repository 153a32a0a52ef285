"""`timeline import`: ACLED, UCDP GED, GDELT 2.0, Air Force tallies and mapped CSV files.

One module per format turns a chunk of the source into event rows (`acled`, `ucdp`, `gdelt`,
`missile_attacks`, `mapped_csv`) filling in `base.Format`; `pipeline.run` takes every format
through the same read (`reading`, `encodings`), date-order (`dateorder`), one-row-per-id
(`ids`) and reject (`rejects`) steps; the CLI is `timeline.cli.importing`.
docs/importing.md describes each mapping.
"""
