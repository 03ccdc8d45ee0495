"""Migration revisions, oldest first: each file is one revision, frozen once released."""
