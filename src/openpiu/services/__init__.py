"""Use cases: what the web application and the command line call."""
