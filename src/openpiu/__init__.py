"""openpiu: an open Passenger Information Unit."""
