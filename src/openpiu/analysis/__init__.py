"""Analysis of stored travel data: what changed between versions of a booking (more to come: identities
across bookings, journeys, networks). Pure functions over `openpiu.model` records."""
