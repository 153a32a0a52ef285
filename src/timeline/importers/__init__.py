"""`timeline import`: ACLED, UCDP GED, GDELT 2.0, Air Force tallies and mapped CSV files.

One module per format turns a chunk of the source into event rows (`acled`, `ucdp`, `gdelt`,
`missile_attacks`, `mapped_csv`); `base` runs every format through the same read, validate
and reject pipeline; `command` is the CLI. docs/importing.md describes each mapping.
"""
