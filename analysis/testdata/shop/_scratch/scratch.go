package scratch
