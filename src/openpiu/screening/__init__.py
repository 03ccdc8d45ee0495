"""Screening: name normalisation and comparison, watchlists and their index, pre-determined criteria, and
the engine that turns a traveller into explained hits. Pure: imports only `openpiu.model` (and libraries
made for the job: rigour for name variants, rapidfuzz for distances, numpy for the index)."""
